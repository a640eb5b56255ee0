// Every action.yml under actions/ and every workflow under examples/github/ passes GitHub's
// parser, actionlint, shellcheck and the env:-only rule; broken files are caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { action_errors, workflow_errors, actionlint_errors, interpolation_errors, shellcheck_errors } from './validate.mjs';

const require = createRequire(import.meta.url);
const { SOURCE_DIR } = require('./runner.js');
const FIXTURES = path.join(SOURCE_DIR, 'tests/fixtures/actions');

const action_files = fs.readdirSync(path.join(SOURCE_DIR, 'actions'))
  .map((d) => path.join(SOURCE_DIR, 'actions', d, 'action.yml')).filter((f) => fs.existsSync(f));
const example_dir = path.join(SOURCE_DIR, 'examples/github');
const workflow_files = fs.existsSync(example_dir)
  ? fs.readdirSync(example_dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(example_dir, f)) : [];

test('the actions are there', () => {
  const names = action_files.map((f) => path.basename(path.dirname(f))).sort();
  assert.deepEqual(names, ['fetch', 'lock', 'notify', 'report', 'run', 'schedule-tick', 'setup']);
  assert.deepEqual(workflow_files.map((f) => path.basename(f)).sort(), ['nightly-e2e.yml', 'pull-request.yml']);
});

for (const file of action_files) {
  const name = path.relative(SOURCE_DIR, file);
  test(`${name}: GitHub's parser, described inputs and outputs, env:-only, shellcheck`, () => {
    assert.deepEqual(action_errors(file), []);
    assert.deepEqual(interpolation_errors(file), []);
    assert.deepEqual(shellcheck_errors(file), []);
  });
}

for (const file of workflow_files) {
  const name = path.relative(SOURCE_DIR, file);
  test(`${name}: GitHub's parser, actionlint, env:-only, shellcheck`, async () => {
    assert.deepEqual(await workflow_errors(file), []);
    assert.deepEqual(actionlint_errors(file), []);
    assert.deepEqual(interpolation_errors(file), []);
    assert.deepEqual(shellcheck_errors(file), []);
  });
}

test('shell scripts of the actions and examples pass shellcheck', () => {
  const scripts = ['actions', 'examples/github'].flatMap((dir) => fs.readdirSync(path.join(SOURCE_DIR, dir), { recursive: true })
    .filter((f) => f.endsWith('.sh')).map((f) => path.join(dir, f)));
  assert.ok(scripts.length >= 7, scripts.join(' '));
  const result = spawnSync('shellcheck', ['-x', '--format=gcc', ...scripts], { cwd: SOURCE_DIR, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('a broken action.yml fails validation, naming line and value', () => {
  assert.deepEqual(action_errors(path.join(FIXTURES, 'broken-action/action.yml')), [
    "tests/fixtures/actions/broken-action/action.yml (Line: 13, Col: 10): Unexpected value 'node99'",
  ]);
  assert.deepEqual(action_errors(path.join(FIXTURES, 'undocumented-action/action.yml')), [
    'tests/fixtures/actions/undocumented-action/action.yml: inputs.target has no description',
  ]);
  assert.deepEqual(interpolation_errors(path.join(FIXTURES, 'undocumented-action/action.yml')), [
    'tests/fixtures/actions/undocumented-action/action.yml: runs.steps[0] (deploy): ${{ }} inside run: (pass it through env:)',
  ]);
});

test('a broken workflow fails validation with each checker', async () => {
  const file = path.join(FIXTURES, 'broken-workflow.yml');
  const parsed = await workflow_errors(file);
  assert.ok(parsed.some((e) => e.includes("Unexpected value 'runs_on'")), parsed.join('\n'));
  const linted = actionlint_errors(file);
  assert.ok(linted.some((e) => e.includes('"runs-on" section is missing in job "e2e"')), linted.join('\n'));
  assert.ok(linted.some((e) => e.includes('potentially untrusted')), linted.join('\n'));
  const checked = shellcheck_errors(file);
  assert.ok(checked.some((e) => e.includes('SC2086')), checked.join('\n'));
});
