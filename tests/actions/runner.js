'use strict';
// Stands in for the GitHub Actions runner in node --test suites: a real redis-server, the
// real tools of the build on PATH, and steps run with the runner's environment (INPUT_*,
// STATE_*, GITHUB_OUTPUT/STATE/ENV/PATH/STEP_SUMMARY files) parsed back the way it does.
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const SOURCE_DIR = process.env.CIUTILS_SOURCE_DIR || path.resolve(__dirname, '../..');
const BUILD_DIR = process.env.CIUTILS_BUILD_DIR;
if (!BUILD_DIR) throw new Error('CIUTILS_BUILD_DIR must point at the build directory');
const YAML = require(path.join(SOURCE_DIR, '.deps/npm/node_modules/yaml'));

const BASE_ENV = {
  PATH: `${BUILD_DIR}/bin:/usr/local/bin:/usr/bin:/bin`,
  HOME: os.tmpdir(),
  LC_ALL: 'C.UTF-8',
  ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0',
  UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
};

// Temporary directories, removed when the test process exits (after its step processes
// are killed).
const temp_dirs = [];
function temp_dir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ciutils-${name}-`));
  temp_dirs.push(dir);
  return dir;
}

function free_port() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// wait_for(predicate, what, seconds): polls every 50 ms until predicate() is truthy.
async function wait_for(predicate, what, seconds = 10) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A throwaway redis-server with a password, so tests can check that it never shows.
async function start_redis() {
  const dir = temp_dir('redis');
  const port = await free_port();
  const password = 'pw-' + Math.random().toString(36).slice(2);
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--requirepass', password], { stdio: 'ignore' });
  const ping = () => {
    try {
      const args = ['-p', String(port), '-a', password, '--no-auth-warning', 'ping'];
      return execFileSync('redis-cli', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'PONG';
    } catch {
      return false;
    }
  };
  await wait_for(ping, 'redis-server to answer');
  return {
    port,
    password,
    url: `redis://:${password}@127.0.0.1:${port}/0`,
    stop: () => server.kill('SIGKILL'),
    cli: (...args) => execFileSync('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', ...args]).toString(),
  };
}

// The runner's file-command format: NAME=VALUE or NAME<<DELIMITER ... DELIMITER.
function parse_file_commands(text) {
  const result = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = line.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const value = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]);
      if (i >= lines.length) throw new Error(`unterminated ${heredoc[1]}<<${heredoc[2]}`);
      result[heredoc[1]] = value.join('\n');
    } else {
      const eq = line.indexOf('=');
      if (eq <= 0) throw new Error(`invalid file command line: ${line}`);
      result[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return result;
}

function read_action(dir) {
  return YAML.parse(fs.readFileSync(path.join(dir, 'action.yml'), 'utf8'));
}

// INPUT_* as the runner builds them: every input's default, then what `with:` gives.
function input_env(action, inputs) {
  const env = {};
  for (const [name, spec] of Object.entries(action.inputs || {})) {
    env[`INPUT_${name.toUpperCase()}`] = spec.default === undefined ? '' : String(spec.default);
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (!(name in (action.inputs || {}))) throw new Error(`the action has no input ${name}`);
    env[`INPUT_${name.toUpperCase()}`] = String(value);
  }
  return env;
}

// Every step process still running; kill_steps() ends them (call it in after()).
const started = new Set();
function kill_steps() {
  for (const child of started) child.kill('SIGKILL');
}
process.on('exit', () => {
  kill_steps();
  for (const dir of temp_dirs) fs.rmSync(dir, { recursive: true, force: true });
});

// One job on a simulated runner: its GITHUB_* files and the steps run so far.
class Job {
  constructor(name, env = {}) {
    this.name = name;
    this.dir = temp_dir(`job-${name}`);
    this.files = {};
    for (const f of ['OUTPUT', 'STATE', 'ENV', 'PATH', 'STEP_SUMMARY']) {
      this.files[f] = path.join(this.dir, f.toLowerCase());
      fs.writeFileSync(this.files[f], '');
    }
    this.env = {
      ...BASE_ENV,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_WORKFLOW: 'e2e',
      GITHUB_RUN_ID: '1001',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: name,
      GITHUB_SERVER_URL: 'https://github.example',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: path.join(this.dir, 'tmp'),
      RUNNER_TOOL_CACHE: path.join(this.dir, 'toolcache'),
      GITHUB_WORKSPACE: path.join(this.dir, 'workspace'),
      ...env,
    };
    for (const d of ['RUNNER_TEMP', 'RUNNER_TOOL_CACHE', 'GITHUB_WORKSPACE']) fs.mkdirSync(this.env[d], { recursive: true });
  }

  read(file) {
    return parse_file_commands(fs.readFileSync(this.files[file], 'utf8'));
  }

  step_env(action_dir, inputs, extra) {
    const env = { ...this.env, ...input_env(read_action(action_dir), inputs), ...extra };
    for (const f of Object.keys(this.files)) env[`GITHUB_${f}`] = this.files[f];
    return env;
  }

  // Starts a JavaScript action's entry point (main or post) as the runner does: node FILE.
  // With worker: true, it runs under a stand-in for Runner.Worker (worker.js), which
  // stays after the step ends, as the worker does until the job is over; with
  // container: true too, that stand-in is the init of a PID namespace of its own.
  start(action_dir, entry, inputs = {}, { state = {}, worker = false, container = false } = {}) {
    const extra = {};
    for (const [k, v] of Object.entries(state)) extra[`STATE_${k}`] = v;
    const env = this.step_env(action_dir, inputs, extra);
    const script = path.join(action_dir, entry);
    const rc_file = path.join(this.dir, `${entry}.rc`);
    let argv = [process.execPath, script];
    if (worker) argv = [process.execPath, path.join(__dirname, 'worker.js'), script, rc_file];
    // A container job: the worker stand-in is pid 1 of a PID namespace of its own, as the
    // job container's init is, and everything in it dies with it.
    if (container) argv = ['unshare', '--pid', '--fork', '--kill-child', ...argv];
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    child.on('exit', () => started.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const result = () => ({ stdout, stderr, outputs: this.read('OUTPUT'), state: this.read('STATE'), env: this.read('ENV') });
    const step = { child, output: () => stdout };
    if (worker) {
      step.done = wait_for(() => fs.existsSync(rc_file) && fs.readFileSync(rc_file, 'utf8').endsWith('\n'), `${entry} to end`, 30)
        .then(() => ({ code: Number(fs.readFileSync(rc_file, 'utf8')), ...result() }));
    } else {
      step.done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...result() })));
    }
    return step;
  }

  run(action_dir, entry, inputs, options) {
    return this.start(action_dir, entry, inputs, options).done;
  }
}

module.exports = { kill_steps, SOURCE_DIR, BUILD_DIR, BASE_ENV, Job, start_redis, wait_for, parse_file_commands, temp_dir, read_action };
