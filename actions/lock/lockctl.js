'use strict';
// Runs lockctl with the lock service taken from the action's inputs (the Redis URL goes
// through the environment, never the command line).
const { spawn } = require('child_process');
const gh = require('./github');

function lockctl_env() {
  const env = { ...process.env };
  const url = gh.input('redis-url');
  if (url) env.REDIS_URL = url;
  const ns = gh.input('namespace');
  if (ns) env.CIUTILS_NAMESPACE = ns;
  return env;
}

// Starts lockctl ARGS; resolves {code, signal, stdout, stderr} when it exits. stderr is
// shown in the log as it comes and kept for messages.
function start(args, extra_env = {}) {
  const child = spawn('lockctl', args, { env: { ...lockctl_env(), ...extra_env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      process.stderr.write(d);
    });
    child.on('error', (e) => {
      if (e.code === 'ENOENT') reject(new Error('lockctl was not found on PATH: run the ciutils setup action first'));
      else reject(e);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

// lockctl's last "lockctl: error: ..." line, without the prefix.
function last_error(stderr) {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const line = lines.length ? lines[lines.length - 1] : '';
  return line.replace(/^lockctl: (error: )?/, '');
}

module.exports = { start, last_error };
