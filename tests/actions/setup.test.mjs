// actions/setup: its composite steps run by the harness (composite.mjs) with the runner's
// files simulated; actions/cache is answered by the test (hit or miss).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'crypto';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { run_composite } from './composite.mjs';

const require = createRequire(import.meta.url);
const { SOURCE_DIR, BUILD_DIR, Job, temp_dir } = require('./runner.js');
const SETUP = path.join(SOURCE_DIR, 'actions/setup');
const VERSION = fs.readFileSync(path.join(SOURCE_DIR, 'CMakeLists.txt'), 'utf8').match(/project\(ciutils VERSION ([0-9.]+)/)[1];
const cache_miss = { 'actions/cache@v4': () => ({ 'cache-hit': 'false' }) };

function ran(result) {
  return result.steps.filter((s) => s.ran).map((s) => s.id);
}

test('a non-Linux runner fails at once with a message saying why', () => {
  for (const os of ['Windows', 'macOS']) {
    const job = new Job('setup', { RUNNER_OS: os });
    const result = run_composite(SETUP, job, {}, { uses: cache_miss });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `::error::ciutils runs on Linux runners only; this runner is ${os} ` +
      '(use runs-on: ubuntu-latest or a Linux self-hosted runner)\n');
    assert.deepEqual(ran(result), ['prepare']);
    assert.deepEqual(result.paths, []);
  }
});

test('an ARM64 runner needs from-source', () => {
  const result = run_composite(SETUP, new Job('setup', { RUNNER_ARCH: 'ARM64' }), {}, { uses: cache_miss });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^::error::release builds exist for X64 runners only; this runner is ARM64 \(set from-source: true\)\n$/);
});

test('version: the tag the action is used at, else its checkout; the cache key and path follow it', () => {
  for (const [ref, expected] of [['v1.4.2', '1.4.2'], ['main', VERSION], ['', VERSION]]) {
    const job = new Job('setup');
    let cache_with;
    const result = run_composite(SETUP, job, {}, {
      github: { action_ref: ref },
      uses: { 'actions/cache@v4': (w) => { cache_with = w; return { 'cache-hit': 'false' }; } },
    });
    const prepare = result.steps[0];
    assert.equal(prepare.outcome, 'success', prepare.stderr);
    assert.deepEqual(prepare.outputs, {
      version: expected,
      dir: `${job.env.RUNNER_TOOL_CACHE}/ciutils/${expected}/x64`,
      key: `ciutils-Linux-X64-${expected}`,
    });
    assert.deepEqual(cache_with, { path: prepare.outputs.dir, key: prepare.outputs.key });
  }
});

test('bad inputs: one error naming the input, nothing installed', () => {
  const cases = [
    [{ version: 'latest' }, 'version: "latest" is not a version like 1.2.3'],
    [{ sha256: 'abc' }, 'sha256: must be 64 lowercase hex digits'],
    [{ 'from-source': 'yes' }, 'from-source: must be true or false, not "yes"'],
    [{ 'from-source': 'true', version: '9.9.9' }, `version: 9.9.9 differs from the checkout's ${VERSION}; from-source builds the checkout`],
  ];
  for (const [inputs, message] of cases) {
    const job = new Job('setup');
    const result = run_composite(SETUP, job, inputs, { uses: cache_miss });
    assert.equal(result.code, 1, message);
    assert.equal(result.stdout, `::error::${message}\n`);
    assert.deepEqual(ran(result), ['prepare']);
    assert.deepEqual(fs.readdirSync(job.env.RUNNER_TOOL_CACHE), []);
  }
});

test('a cache hit skips the download and puts the cached bin/ on PATH', () => {
  const job = new Job('setup');
  const bin = path.join(job.env.RUNNER_TOOL_CACHE, 'ciutils', '1.4.2', 'x64', 'ciutils-1.4.2', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(path.join(BUILD_DIR, 'bin/lockctl'), path.join(bin, 'lockctl'));
  const result = run_composite(SETUP, job, { version: 'v1.4.2' }, { uses: { 'actions/cache@v4': () => ({ 'cache-hit': 'true' }) } });
  assert.equal(result.code, 0, JSON.stringify(result.steps, null, 1));
  assert.deepEqual(ran(result), ['prepare', 'cache', 'finish']);
  assert.deepEqual(result.paths, [bin]);
  assert.deepEqual(result.outputs, { version: '1.4.2', 'bin-dir': bin });
});

test('a download whose tools do not run fails in the finish step', () => {
  const job = new Job('setup');
  const bin = path.join(job.env.RUNNER_TOOL_CACHE, 'ciutils', '1.4.2', 'x64', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'lockctl'), '#!/bin/sh\nexit 126\n', { mode: 0o755 });
  const result = run_composite(SETUP, job, { version: '1.4.2' }, { uses: { 'actions/cache@v4': () => ({ 'cache-hit': 'true' }) } });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, `::error::${bin}/lockctl does not run on this runner\n`);
  assert.deepEqual(result.paths, []);
});

const has_installer = fs.existsSync(path.join(SOURCE_DIR, 'scripts/install'));
test('without scripts/install in the checkout, a download says what to do instead', { skip: has_installer && 'scripts/install exists' }, () => {
  const result = run_composite(SETUP, new Job('setup'), { version: '1.4.2' }, { uses: cache_miss });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '::error::this checkout of ciutils has no scripts/install; use a released version of the action or from-source: true\n');
});

// A release as scripts/install expects it: BASE/vV/ciutils-V-linux-x86_64.tar.gz holding the
// tools of this build (without debug sections, to keep it small) under
// ciutils-V-linux-x86_64/bin/.
function fake_release(version) {
  const base = temp_dir('releases');
  const top = `ciutils-${version}-linux-x86_64`;
  const stage = temp_dir('stage');
  fs.mkdirSync(path.join(stage, top, 'bin'), { recursive: true });
  for (const tool of ['fetch', 'lockctl', 'notify', 'prun', 'report', 'schedule']) {
    execFileSync('strip', ['--strip-debug', '-o', path.join(stage, top, 'bin', tool), path.join(BUILD_DIR, 'bin', tool)]);
  }
  fs.mkdirSync(path.join(base, `v${version}`));
  const tarball = path.join(base, `v${version}`, `${top}.tar.gz`);
  execFileSync('tar', ['czf', tarball, '-C', stage, top]);
  return { base, sha256: crypto.createHash('sha256').update(fs.readFileSync(tarball)).digest('hex') };
}

test('a cache miss downloads the release with scripts/install (file://), checked against sha256', { skip: !has_installer && 'scripts/install is not in this checkout yet' }, () => {
  const { base, sha256 } = fake_release('1.4.2');
  const job = new Job('setup');
  const result = run_composite(SETUP, job, { version: '1.4.2', sha256, 'releases-url': `file://${base}` }, { uses: cache_miss });
  assert.equal(result.code, 0, JSON.stringify(result.steps.map((s) => [s.id, s.stdout, s.stderr]), null, 1));
  assert.deepEqual(ran(result), ['prepare', 'cache', 'install', 'finish']);
  const bin = result.outputs['bin-dir'];
  assert.ok(bin.startsWith(`${job.env.RUNNER_TOOL_CACHE}/ciutils/1.4.2/x64`), bin);
  assert.ok(fs.existsSync(path.join(bin, 'lockctl')));
  assert.deepEqual(result.paths, [bin]);

  const other = new Job('setup');
  const bad = run_composite(SETUP, other, { version: '1.4.2', sha256: 'f'.repeat(64), 'releases-url': `file://${base}` }, { uses: cache_miss });
  assert.equal(bad.code, 1);
  assert.equal(bad.steps[2].stdout, `::error::the download of ciutils 1.4.2 from file://${base}/v1.4.2/ciutils-1.4.2-linux-x86_64.tar.gz does not match its sha256; nothing was installed\n`);
  assert.deepEqual(bad.paths, []);
  assert.equal(fs.readdirSync(other.env.RUNNER_TOOL_CACHE).flatMap((d) => fs.readdirSync(path.join(other.env.RUNNER_TOOL_CACHE, d), { recursive: true })).filter((f) => f.endsWith('lockctl')).length, 0);
});

test('from-source builds the checkout with CMake and installs into the runner temp', { skip: !process.env.CIUTILS_SETUP_FROM_SOURCE && 'set CIUTILS_SETUP_FROM_SOURCE=1 (builds lockctl)' }, () => {
  const job = new Job('setup');
  const result = run_composite(SETUP, job, { 'from-source': 'true', tools: 'lockctl' }, { uses: {} });
  assert.equal(result.code, 0, JSON.stringify(result.steps.map((s) => [s.id, s.stderr && s.stderr.slice(-2000)]), null, 1));
  assert.deepEqual(ran(result), ['prepare', 'install', 'finish']);
  const bin = path.join(job.env.RUNNER_TEMP, 'ciutils-source', 'bin');
  assert.deepEqual(result.paths, [bin]);
  assert.deepEqual(result.outputs, { version: VERSION, 'bin-dir': bin });
  assert.deepEqual(fs.readdirSync(bin), ['lockctl']);
});
