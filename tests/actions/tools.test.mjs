// The composite wrappers of prun, report, fetch, notify and schedule tick, run by the harness
// (composite.mjs) with the real tools, a real redis-server and real HTTP servers on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'crypto';
import { execFileSync } from 'child_process';
import fs from 'fs';
import http from 'http';
import path from 'path';
import { createRequire } from 'module';
import { run_composite } from './composite.mjs';

const require = createRequire(import.meta.url);
const { SOURCE_DIR, Job, start_redis, temp_dir } = require('./runner.js');
const action = (name) => path.join(SOURCE_DIR, 'actions', name);
const records = (file) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

let redis;
before(async () => {
  redis = await start_redis();
});
after(() => redis.stop());

// An HTTP server on loopback that keeps every request: {method, url, body}.
async function recorder() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, body: Buffer.concat(chunks) });
      res.writeHead(req.method === 'PUT' ? 201 : 200).end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { requests, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

function workspace_job(name) {
  const job = new Job(name);
  return { job, ws: job.env.GITHUB_WORKSPACE };
}

test('run: the commands as jobs, results written, prun\'s status as exit-code and the step\'s', () => {
  const { job, ws } = workspace_job('run');
  const result = run_composite(action('run'), job, { commands: 'true\n  exit 3  \n\necho "$GREETING"\n', env: 'GREETING=hello there', parallel: '2' });
  assert.equal(result.code, 1);
  assert.deepEqual(result.outputs, { results: 'results.jsonl', 'exit-code': '1' });
  const got = records(path.join(ws, 'results.jsonl')).map((r) => [r.command, r.status]).sort();
  assert.deepEqual(got, [['echo "$GREETING"', 'passed'], ['exit 3', 'failed'], ['true', 'passed']]);
  assert.match(result.steps[0].stdout, /hello there/);
});

test('run: shards 1/2 and 2/2 split the jobs between two matrix jobs, each job once', () => {
  const commands = Array.from({ length: 6 }, (_, i) => `echo job${i}`).join('\n');
  const seen = [];
  for (const shard of ['1/2', '2/2']) {
    const { job, ws } = workspace_job(`shard${shard[0]}`);
    const result = run_composite(action('run'), job, { commands, shard });
    assert.equal(result.code, 0, result.stdout);
    const mine = records(path.join(ws, 'results.jsonl')).map((r) => r.command);
    assert.ok(mine.length > 0 && mine.length < 6, `${shard}: ${mine}`);
    seen.push(...mine);
  }
  assert.deepEqual(seen.sort(), Array.from({ length: 6 }, (_, i) => `echo job${i}`));
});

test('run: bad inputs name the input', () => {
  for (const [inputs, message] of [
    [{}, 'give exactly one of the inputs commands, jobs-file and plan'],
    [{ commands: 'true', plan: 'plan.json' }, 'give exactly one of the inputs commands, jobs-file and plan'],
    [{ commands: 'true', env: 'not a pair' }, 'env: "not a pair" is not K=V'],
  ]) {
    const result = run_composite(action('run'), new Job('bad'), inputs);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `::error::${message}\n`);
  }
});

function write_results(ws) {
  fs.mkdirSync(path.join(ws, 'shard-1'));
  fs.mkdirSync(path.join(ws, 'shard-2'));
  fs.writeFileSync(path.join(ws, 'shard-1/results.jsonl'), [
    { name: 'checkout', classname: 'web', status: 'passed', duration_s: 1.5 },
    { name: 'search', classname: 'web', status: 'flaky', attempts: 2, message: 'exit status 1' },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(path.join(ws, 'shard-2/results.jsonl'), [
    { name: 'pay', classname: 'web', status: 'failed', message: 'expected 200, got 500', file: 'tests/pay.sh', line: 7 },
    { name: 'import', classname: 'api', status: 'timeout', message: 'timed out after 10m' },
    { name: 'legacy', classname: 'api', status: 'skipped' },
  ].map((r) => JSON.stringify(r)).join('\n') + '\n');
}

test('report: merged JUnit, step summary, annotations and counts from every shard', () => {
  const { job, ws } = workspace_job('report');
  write_results(ws);
  const result = run_composite(action('report'), job, { files: 'shard-*/results.jsonl' });
  assert.equal(result.code, 0, result.stdout);
  const summary_file = result.outputs['summary-file'];
  assert.deepEqual(result.outputs, { total: '5', passed: '1', failed: '2', flaky: '1', skipped: '1', 'summary-file': summary_file });
  const junit = fs.readFileSync(path.join(ws, 'junit.xml'), 'utf8');
  assert.match(junit, /<testsuites name="report" tests="5"/);
  const summary = fs.readFileSync(job.files.STEP_SUMMARY, 'utf8');
  assert.equal(summary, fs.readFileSync(summary_file, 'utf8'));
  assert.match(summary, /^## ❌ Test results: 1 failed, 1 timed out, 1 passed, 1 flaky, 1 skipped \(5 tests/);
  assert.match(result.stdout, /^::error file=tests\/pay\.sh,line=7,title=web › pay failed::expected 200, got 500$/m);
  assert.match(result.stdout, /^::warning title=web › search is flaky::/m);
});

test('report: fail-on-failure fails after writing everything; summary and annotations can be off', () => {
  const { job, ws } = workspace_job('report');
  write_results(ws);
  const result = run_composite(action('report'), job, { files: 'shard-1/results.jsonl\nshard-2/results.jsonl', 'fail-on-failure': 'true', summary: 'false', annotations: 'false', junit: '' });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '::error::2 test(s) failed\n');
  assert.equal(result.outputs.failed, '2');
  assert.equal(fs.readFileSync(job.files.STEP_SUMMARY, 'utf8'), '');
  assert.ok(!fs.existsSync(path.join(ws, 'junit.xml')));
});

test('report: a pattern matching nothing is an error naming it', () => {
  const result = run_composite(action('report'), new Job('report'), { files: 'missing/**/*.xml' });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '::error::files: nothing matches missing/**/*.xml\n');
});

function archive() {
  const dir = temp_dir('archive');
  fs.mkdirSync(path.join(dir, 'suite'));
  fs.writeFileSync(path.join(dir, 'suite/plan.json'), '{}\n');
  const file = path.join(dir, 'suite.tar.gz');
  execFileSync('tar', ['czf', file, '-C', dir, 'suite']);
  return { file, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') };
}

test('fetch: an archive checked against its sha256 and unpacked; a wrong sha256 publishes nothing', () => {
  const { file, sha256 } = archive();
  const { job, ws } = workspace_job('fetch');
  const result = run_composite(action('fetch'), job, { url: `file://${file}`, to: 'suite', sha256, 'strip-components': '1' });
  assert.equal(result.code, 0, result.steps[0].stderr);
  assert.deepEqual(result.outputs, { path: 'suite', sha256 });
  assert.equal(fs.readFileSync(path.join(ws, 'suite/plan.json'), 'utf8'), '{}\n');

  const bad = run_composite(action('fetch'), job, { url: `file://${file}`, to: 'other', sha256: '0'.repeat(64) });
  assert.equal(bad.code, 1);
  assert.equal(bad.steps[0].code, 4);
  assert.match(bad.steps[0].stderr, /sha256/i);
  assert.ok(!fs.existsSync(path.join(ws, 'other')));
});

test('fetch put: a directory uploaded as tar.gz to an HTTP server', async () => {
  const server = await recorder();
  try {
    const { job, ws } = workspace_job('put');
    fs.mkdirSync(path.join(ws, 'logs'));
    fs.writeFileSync(path.join(ws, 'logs/e2e.log'), 'failed at step 3\n');
    const result = await run_composite_async(action('fetch'), job, { put: 'logs', url: `${server.url}/runs/1001.tar.gz` });
    assert.equal(result.code, 0, JSON.stringify(result.steps));
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].method, 'PUT');
    assert.equal(server.requests[0].url, '/runs/1001.tar.gz');
    const listing = execFileSync('tar', ['tzf', '-'], { input: server.requests[0].body }).toString();
    assert.match(listing, /e2e\.log/);
  } finally {
    server.close();
  }
});

test('notify: trigger once on failure, silent on a repeat, recovery on success', async () => {
  const server = await recorder();
  try {
    const inputs = { to: `webhook+${server.url}/hook`, key: 'shop/e2e', 'redis-url': redis.url, namespace: 'notify-test' };
    for (const [status, sent] of [['failure', 1], ['failure', 1], ['success', 2]]) {
      const result = await run_composite_async(action('notify'), new Job('notify'), { ...inputs, status });
      assert.equal(result.code, 0, JSON.stringify(result.steps));
      assert.equal(server.requests.length, sent, `after ${status}`);
    }
    assert.match(server.requests[1].body.toString(), /recover|resolved|passed/i);
  } finally {
    server.close();
  }
});

test('schedule-tick: due slots enqueued once, a second tick enqueues nothing', () => {
  const { job, ws } = workspace_job('tick');
  fs.writeFileSync(path.join(ws, 'schedules.json'), JSON.stringify({ schedules: [{ name: 'e2e-every-minute', cron: '* * * * *', queue: 'e2e' }] }));
  const inputs = { file: 'schedules.json', 'redis-url': redis.url, namespace: 'tick-test' };
  const first = run_composite(action('schedule-tick'), job, inputs);
  assert.equal(first.code, 0, first.steps[0].stderr);
  assert.equal(first.outputs.enqueued, '1');
  assert.match(first.stdout, /"decision":"enqueued"/);
  const second = run_composite(action('schedule-tick'), job, inputs);
  assert.equal(second.outputs.enqueued, '0');
});

// run_composite blocks (spawnSync); for steps that talk to a server in this process, run the
// harness in a child process so the server can answer.
function run_composite_async(dir, job, inputs) {
  return new Promise((resolve, reject) => {
    const { spawn } = require('child_process');
    const child = spawn(process.execPath, [path.join(SOURCE_DIR, 'tests/actions/composite-cli.mjs')], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`composite-cli exited ${code}`))));
    child.stdin.end(JSON.stringify({ dir, job: { name: job.name, dir: job.dir, env: job.env, files: job.files }, inputs }));
  });
}

test('notify: a cancelled run sends nothing and keeps the alert state', async () => {
  const server = await recorder();
  try {
    const result = await run_composite_async(action('notify'), new Job('notify'), { to: `webhook+${server.url}/hook`, key: 'shop/cancel', status: 'cancelled', 'redis-url': redis.url });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'status is cancelled: no alert sent, the alert state is unchanged\n');
    assert.equal(server.requests.length, 0);
    const bad = await run_composite_async(action('notify'), new Job('notify'), { to: `webhook+${server.url}/hook`, key: 'shop/cancel', status: 'green' });
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '::error::status: "green" is not failed, passed, success, failure or cancelled\n');
  } finally {
    server.close();
  }
});
