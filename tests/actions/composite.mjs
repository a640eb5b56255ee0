// Runs a composite action's steps the way the runner does, here: `${{ }}` evaluated by
// GitHub's own expression library (@actions/expressions) against inputs, github, runner,
// env and steps contexts; each `run:` step executed with `bash --noprofile --norc -eo
// pipefail` and a fresh GITHUB_OUTPUT file, GITHUB_ENV and GITHUB_PATH applied to the
// steps after it; `uses:` steps answered by the caller (uses[ref] → outputs) since they
// would run other actions.
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const { SOURCE_DIR, read_action, parse_file_commands } = require('./runner.js');
const expressions = await import(path.join(SOURCE_DIR, '.deps/npm/node_modules/@actions/expressions/dist/index.js'));
const { truthy } = await import(path.join(SOURCE_DIR, '.deps/npm/node_modules/@actions/expressions/dist/result.js'));
const { Lexer, Parser, Evaluator, data } = expressions;

const STATUS_FUNCTIONS = ['success', 'always', 'failure', 'cancelled'];

export function evaluate(expression, context, failed = false) {
  const lexed = new Lexer(expression).lex();
  const parser = new Parser(lexed.tokens, Object.keys(context), STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })));
  const status = { success: !failed, always: true, failure: failed, cancelled: false };
  const functions = new Map(STATUS_FUNCTIONS.map((name) => [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(status[name]) }]));
  const dictionary = JSON.parse(JSON.stringify(context), data.reviver);
  return new Evaluator(parser.parse(), dictionary, functions).evaluate();
}

// "text ${{ expr }} text" with each expression replaced by its string value.
export function interpolate(text, context) {
  return String(text).replace(/\$\{\{(.*?)\}\}/gs, (_, expr) => evaluate(expr, context).coerceString());
}

function condition(text, context, failed) {
  if (text === undefined) return !failed;
  const expr = String(text).replace(/^\s*\$\{\{(.*)\}\}\s*$/s, '$1');
  const needs_status = STATUS_FUNCTIONS.some((f) => new RegExp(`\\b${f}\\s*\\(`).test(expr));
  return truthy(evaluate(needs_status ? expr : `success() && (${expr})`, context, failed));
}

// run_composite(action_dir, job, inputs, {uses}) → {code, steps, outputs, stdout}.
export function run_composite(action_dir, job, inputs = {}, { uses = {}, github = {} } = {}) {
  const action = read_action(action_dir);
  if (action.runs.using !== 'composite') throw new Error(`${action_dir} is not a composite action`);
  const env = { ...job.env };
  const context = {
    inputs: {},
    github: { action_path: action_dir, action_ref: '', action_repository: 'ciutils/ciutils', workspace: job.dir,
      server_url: env.GITHUB_SERVER_URL, ...github },
    runner: { os: env.RUNNER_OS, arch: env.RUNNER_ARCH, temp: env.RUNNER_TEMP, tool_cache: env.RUNNER_TOOL_CACHE },
    env: {},
    steps: {},
  };
  for (const [name, spec] of Object.entries(action.inputs || {})) {
    context.inputs[name] = name in inputs ? String(inputs[name]) : interpolate(spec.default ?? '', context);
  }
  for (const name of Object.keys(inputs)) {
    if (!(name in (action.inputs || {}))) throw new Error(`the action has no input ${name}`);
  }
  const paths = [];
  const steps = [];
  let failed = false;
  let stdout = '';
  action.runs.steps.forEach((step, index) => {
    const id = step.id || `__${index}`;
    context.env = { ...env };
    const record = { id, ran: false, outcome: 'skipped', outputs: {} };
    steps.push(record);
    context.steps[id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
    if (!condition(step.if, context, failed)) return;
    record.ran = true;
    if (step.uses) {
      const answer = uses[step.uses];
      if (!answer) throw new Error(`step ${id} uses ${step.uses}: the test gives no answer for it`);
      const with_ = Object.fromEntries(Object.entries(step.with || {}).map(([k, v]) => [k, interpolate(v, context)]));
      record.with = with_;
      record.outputs = answer(with_) || {};
      record.outcome = 'success';
    } else {
      const step_env = { ...env };
      for (const [k, v] of Object.entries(step.env || {})) step_env[k] = interpolate(v, context);
      const output_file = path.join(job.dir, `output.${index}`);
      const env_file = path.join(job.dir, `env.${index}`);
      const path_file = path.join(job.dir, `path.${index}`);
      for (const f of [output_file, env_file, path_file]) fs.writeFileSync(f, '');
      Object.assign(step_env, {
        GITHUB_ACTION_PATH: action_dir,
        GITHUB_OUTPUT: output_file,
        GITHUB_ENV: env_file,
        GITHUB_PATH: path_file,
        GITHUB_STEP_SUMMARY: job.files.STEP_SUMMARY,
        PATH: [...paths.slice().reverse(), env.PATH].join(':'),
      });
      if (step.shell !== 'bash') throw new Error(`step ${id}: shell must be bash, not ${step.shell}`);
      const script = path.join(job.dir, `step.${index}.sh`);
      fs.writeFileSync(script, interpolate(step.run, context));
      const cwd = step['working-directory'] ? interpolate(step['working-directory'], context) : job.env.GITHUB_WORKSPACE || job.dir;
      const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { env: step_env, cwd, encoding: 'utf8' });
      record.code = result.status;
      record.stdout = result.stdout;
      record.stderr = result.stderr;
      stdout += result.stdout;
      record.outputs = parse_file_commands(fs.readFileSync(output_file, 'utf8'));
      Object.assign(env, parse_file_commands(fs.readFileSync(env_file, 'utf8')));
      paths.push(...fs.readFileSync(path_file, 'utf8').split('\n').filter(Boolean));
      record.outcome = result.status === 0 ? 'success' : 'failure';
      if (result.status !== 0 && !step['continue-on-error']) failed = true;
    }
    context.steps[id] = { outputs: record.outputs, outcome: record.outcome, conclusion: record.outcome };
  });
  const outputs = {};
  for (const [name, spec] of Object.entries(action.outputs || {})) outputs[name] = interpolate(spec.value, context);
  return { code: failed ? 1 : 0, steps, outputs, stdout, env, paths };
}
