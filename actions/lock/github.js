'use strict';
// The runner's side of a JavaScript action, without npm dependencies: inputs, outputs,
// state, exported variables and workflow commands, as the GitHub Actions runner defines them.
const crypto = require('crypto');
const fs = require('fs');

// INPUT_<NAME>: upper case, spaces as underscores (hyphens are kept), as the runner sets them.
function input(name) {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
  return value.trim();
}

function escape_data(s) {
  return String(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function command(name, message) {
  process.stdout.write(`::${name}::${escape_data(message)}\n`);
}

// Appends NAME<<DELIMITER\nVALUE\nDELIMITER to the file a GITHUB_* variable names.
function append_to(variable, name, value) {
  const file = process.env[variable];
  if (!file) throw new Error(`${variable} is not set: not running under a GitHub Actions runner`);
  const text = String(value);
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  if (name.includes(delimiter) || text.includes(delimiter)) throw new Error(`${name}: value contains the delimiter`);
  fs.appendFileSync(file, `${name}<<${delimiter}\n${text}\n${delimiter}\n`);
}

// Runs the async step function; exits with its code, or 1 with an error annotation.
function run_step(step) {
  step().then(
    (code) => process.exit(code),
    (e) => {
      command('error', e.message);
      process.exit(1);
    },
  );
}

module.exports = {
  run_step,
  input,
  state: (name) => process.env[`STATE_${name}`] || '',
  save_state: (name, value) => append_to('GITHUB_STATE', name, value),
  set_output: (name, value) => append_to('GITHUB_OUTPUT', name, value),
  export_variable: (name, value) => append_to('GITHUB_ENV', name, value),
  mask: (value) => command('add-mask', value),
  info: (message) => process.stdout.write(`${message}\n`),
  notice: (message) => command('notice', message),
  warning: (message) => command('warning', message),
  error: (message) => command('error', message),
};
