'use strict';
// actions/lock against a real redis-server and the real lockctl, with the runner simulated.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { SOURCE_DIR, BASE_ENV, Job, kill_steps, start_redis, wait_for } = require('./runner');

const LOCK = path.join(SOURCE_DIR, 'actions/lock');
let redis;
let namespace = 0;
let inputs;

before(async () => {
  redis = await start_redis();
});
after(() => {
  kill_steps();
  redis.stop();
});
beforeEach(() => {
  namespace += 1;
  inputs = { 'redis-url': redis.url, namespace: `t${namespace}` };
});

function lockctl(...args) {
  return execFileSync('lockctl', [...args, '--json'], {
    env: { ...BASE_ENV, REDIS_URL: redis.url, CIUTILS_NAMESPACE: inputs.namespace },
  }).toString();
}
const status = (name, ...flags) => JSON.parse(lockctl('status', ...flags, name));
const holders = (name) => status(name).resources.flatMap((r) => r.holders);
const queue = (name) => status(name).queue;

async function granted(job, extra = {}, options = {}) {
  const result = await job.run(LOCK, 'main.js', { ...inputs, ...extra }, options);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return result;
}

async function post(job, main_result, extra = {}) {
  return job.run(LOCK, 'post.js', { ...inputs, ...extra }, { state: main_result.state });
}

test('granted: outputs, masked token, exports and state; post releases', async () => {
  const job = new Job('deploy');
  const main = await granted(job, { resource: 'uat' });
  const token = main.outputs.token;
  assert.match(token, /^[0-9a-f]{32}$/);
  assert.deepEqual(main.outputs, { acquired: 'true', resource: 'uat', resources: 'uat', fence: '1', token });
  assert.ok(main.stdout.startsWith(`Waiting for uat`), main.stdout);
  assert.ok(main.stdout.indexOf(`::add-mask::${token}`) < main.stdout.indexOf('Locked uat'), 'masked before anything else');
  assert.deepEqual(main.state, { token, resource: 'uat' });
  assert.deepEqual(main.env, { LOCKCTL_RESOURCE: 'uat', LOCKCTL_RESOURCES: 'uat', LOCKCTL_FENCE: '1' });

  const [holder] = holders('uat');
  assert.equal(holder.token, token);
  assert.equal(holder.owner, 'acme/shop/e2e/1001/1/deploy');
  assert.equal(holder.job_url, 'https://github.example/acme/shop/actions/runs/1001/attempts/1');

  const released = await post(job, main);
  assert.equal(released.code, 0, released.stdout + released.stderr);
  assert.equal(released.stdout, `::add-mask::${token}\nReleased uat\n`);
  assert.deepEqual(holders('uat'), []);
  const events = JSON.parse(lockctl('history', 'uat')).map((e) => e.event);
  assert.deepEqual(events, ['acquired', 'released']);
});

test('the Redis URL (a secret) never reaches a command line', async () => {
  const holder = new Job('holder');
  const main = await granted(holder, { resource: 'uat' });
  const waiter = new Job('waiter');
  const step = waiter.start(LOCK, 'main.js', { ...inputs, resource: 'uat' });
  await wait_for(() => queue('uat').length === 1, 'the waiter to queue');
  const pids = execFileSync('pgrep', ['-P', String(step.child.pid)]).toString().trim().split('\n');
  assert.equal(pids.length, 1);
  const argv = fs.readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0');
  assert.equal(path.basename(argv[0]), 'lockctl');
  assert.ok(!argv.join(' ').includes(redis.password), argv.join(' '));
  await post(holder, main);
  assert.equal((await step.done).code, 0);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  test(`cancelled while waiting (${signal} to main): leaves the queue, post releases nothing`, async () => {
    const holder = new Job('holder');
    const held = await granted(holder, { resource: 'uat' });
    const waiter = new Job('waiter');
    const step = waiter.start(LOCK, 'main.js', { ...inputs, resource: 'uat' });
    await wait_for(() => queue('uat').length === 1, 'the waiter to queue');
    step.child.kill(signal);
    const cancelled = await step.done;
    assert.equal(cancelled.code, 1);
    assert.match(cancelled.stdout, new RegExp(`::error::cancelled \\(${signal}\\) while waiting: left the queue without the lock`));
    assert.deepEqual(queue('uat'), []);
    assert.deepEqual(cancelled.state, {});
    assert.deepEqual(cancelled.outputs, {});

    const nothing = await post(waiter, cancelled);
    assert.equal(nothing.code, 0);
    assert.equal(nothing.stdout, 'Nothing to release: this job was not granted the lock\n');
    assert.deepEqual(holders('uat').map((h) => h.token), [held.outputs.token], 'the holder keeps its lease');
    await post(holder, held);
  });
}

test('jobs on one resource are served in arrival order, never two at once', async () => {
  const a = new Job('a');
  const a_main = await granted(a, { resource: 'uat' });
  const waiting = [];
  for (const name of ['b', 'c', 'd']) {
    const job = new Job(name);
    waiting.push({ job, step: job.start(LOCK, 'main.js', { ...inputs, resource: 'uat' }) });
    await wait_for(() => queue('uat').length === waiting.length, `${name} to queue`);
  }
  assert.deepEqual(queue('uat').map((w) => w.owner), ['b', 'c', 'd'].map((n) => `acme/shop/e2e/1001/1/${n}`));

  let current = { job: a, main: a_main };
  for (const next of waiting) {
    assert.deepEqual(holders('uat').map((h) => h.token), [current.main.outputs.token]);
    assert.equal(next.step.child.exitCode, null, `${next.job.name} still waits`);
    assert.equal((await post(current.job, current.main)).code, 0);
    const main = await next.step.done;
    assert.equal(main.code, 0, main.stdout);
    assert.deepEqual(holders('uat').map((h) => h.token), [main.outputs.token], `${next.job.name} alone holds it`);
    current = { job: next.job, main };
  }
  assert.equal((await post(current.job, current.main)).code, 0);
  const acquired = JSON.parse(lockctl('history', 'uat')).filter((e) => e.event === 'acquired').map((e) => e.owner);
  assert.deepEqual(acquired, ['a', 'b', 'c', 'd'].map((n) => `acme/shop/e2e/1001/1/${n}`));
});

// Starts main under a stand-in worker (in a PID namespace of its own for a container
// job), checks the renewer keeps the lease past its first ttl, kills the worker (or the
// container) with SIGKILL, and checks the lease ends: renewals stop once the renewer sees
// the worker gone (it checks every 100 ms; a dead process stays visible until its parent
// reaps it), so at most one more renewal, ttl/3 apart; the last expiry is within
// ttl + ttl/3 of the kill, and the lease is gone once it passes.
async function lease_ends_with_the_worker(name, options) {
  const job = new Job(name);
  const ttl_ms = 3000;
  const step = job.start(LOCK, 'main.js', { ...inputs, resource: 'uat', ttl: '3s' }, { worker: true, ...options });
  const main = await step.done;
  assert.equal(main.code, 0, main.stdout + main.stderr);
  const first_expiry = holders('uat')[0].expires_at;
  await wait_for(() => Date.now() > Date.parse(first_expiry) + 500, 'the first expiry to pass', 10);
  const renewed = holders('uat');
  assert.equal(renewed.length, 1, 'the lease outlives its first ttl');
  assert.ok(Date.parse(renewed[0].expires_at) > Date.parse(first_expiry));

  const killed_at = Date.now();
  step.child.kill('SIGKILL');
  let last_expiry = 0;
  await wait_for(() => {
    const now_held = holders('uat');
    for (const h of now_held) last_expiry = Math.max(last_expiry, Date.parse(h.expires_at));
    return now_held.length === 0;
  }, 'the lease to end', 10);
  assert.ok(last_expiry <= killed_at + ttl_ms + ttl_ms / 3 + 300, `renewed after the worker died: expiry ${last_expiry - killed_at} ms after the kill`);
  const gone_after = Date.now() - killed_at;
  assert.ok(gone_after <= ttl_ms + ttl_ms / 3 + 2500, `gone after ${gone_after} ms`);
  const events = JSON.parse(lockctl('history', 'uat')).map((e) => e.event);
  assert.deepEqual(events, ['acquired', 'expired']);
  return main;
}

test('the watched process (the runner worker) dies: the lease ends within the ttl', async () => {
  const main = await lease_ends_with_the_worker('doomed', {});
  assert.match(main.stdout, / --watch-pid [0-9]+ --keep-alive --json\)\n/);
});

test('container job (parent outside the PID namespace): no --watch-pid; the lease ends with the container', async () => {
  const main = await lease_ends_with_the_worker('container', { container: true });
  assert.match(main.stdout, /\(lockctl acquire uat --ttl 3s --wait 30m --priority 0 --max-hold 6h --keep-alive --json\)\n/);
});

test('pool with quantity: all members in resources and LOCKCTL_RESOURCES', async () => {
  lockctl('pool', 'set', 'envs', 'env-1', 'env-2', 'env-3');
  const job = new Job('pool');
  const main = await granted(job, { pool: 'envs', quantity: '2' });
  assert.equal(main.outputs.resources, 'env-1 env-2');
  assert.equal(main.outputs.resource, 'env-1');
  assert.equal(main.env.LOCKCTL_RESOURCES, 'env-1 env-2');
  assert.equal((await post(job, main)).code, 0);
  assert.deepEqual(holders('env-1'), []);
  assert.deepEqual(holders('env-2'), []);
});

test('label: a label expression passed to lockctl --label, members of the pool that match', async () => {
  lockctl('pool', 'set', 'envs', 'env-1', 'env-2', 'env-3');
  lockctl('pool', 'set-labels', 'env-1', 'linux');
  lockctl('pool', 'set-labels', 'env-2', 'linux', 'gpu');
  lockctl('pool', 'set-labels', 'env-3', 'gpu');
  const job = new Job('label');
  const main = await granted(job, { pool: 'envs', label: 'linux && gpu' });
  assert.match(main.stdout, /Waiting for pool envs labelled 'linux && gpu' \(lockctl acquire --pool envs --label linux && gpu /);
  assert.equal(main.outputs.resources, 'env-2');
  assert.equal((await post(job, main)).code, 0);
  assert.deepEqual(holders('env-1'), []);
  assert.deepEqual(holders('env-2'), []);
});

test('busy with on-busy fail: the step fails; with skip: acquired is false and it succeeds', async () => {
  const holder = new Job('holder');
  const held = await granted(holder, { resource: 'uat' });
  const job = new Job('late');
  const failed = await job.run(LOCK, 'main.js', { ...inputs, resource: 'uat', wait: '0' });
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /::error::could not acquire uat: busy \(--no-wait\)\n$/);
  assert.deepEqual(failed.outputs, { acquired: 'false' });
  assert.deepEqual(failed.state, {});

  const other = new Job('skipper');
  const skipped = await other.run(LOCK, 'main.js', { ...inputs, resource: 'uat', wait: '0', 'on-busy': 'skip' });
  assert.equal(skipped.code, 0);
  assert.match(skipped.stdout, /::notice::could not acquire uat: busy \(--no-wait\); on-busy is skip/);
  assert.deepEqual(skipped.outputs, { acquired: 'false' });
  assert.equal((await post(other, skipped)).stdout, 'Nothing to release: this job was not granted the lock\n');
  assert.equal(holders('uat').length, 1);
  await post(holder, held);
});

test('a lease that ended before post is a warning, not a failure', async () => {
  const job = new Job('slow');
  const main = await granted(job, { resource: 'uat' });
  lockctl('force-release', 'uat');
  const result = await post(job, main);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /::warning::uat: the lease was force-released: the lease ended before the job did/);
});

test('post cannot reach Redis: an error naming the resource, the step fails', async () => {
  const job = new Job('cut');
  const main = await granted(job, { resource: 'uat' });
  const result = await post(job, main, { 'redis-url': 'redis://127.0.0.1:1/0' });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /::error::could not release uat: .*; the lease expires one ttl after the job ends/);
  assert.equal((await post(job, main)).code, 0);
});

test('bad inputs: one error line naming them, lockctl never runs', async () => {
  const cases = [
    [{ resource: 'uat', pool: 'envs' }, 'give either resource, or pool and/or label (got resource, pool)'],
    [{ resource: 'uat', label: 'gpu' }, 'give either resource, or pool and/or label (got resource, label)'],
    [{}, 'give either resource, or pool and/or label (got none)'],
    [{ resource: 'uat', 'on-busy': 'wait' }, 'on-busy: must be fail or skip, not "wait"'],
    [{ resource: 'uat', quantity: '2' }, 'quantity: only with pool or label'],
  ];
  for (const [given, message] of cases) {
    const result = await new Job('bad').run(LOCK, 'main.js', { ...inputs, ...given });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, `::error::${message}\n`);
  }
  const bad_ttl = await new Job('bad').run(LOCK, 'main.js', { ...inputs, resource: 'uat', ttl: 'soon' });
  assert.equal(bad_ttl.code, 1);
  assert.match(bad_ttl.stdout, /::error::.*--ttl.*\n$/);
  assert.deepEqual(JSON.parse(lockctl('list')).resources, []);
});

test('lockctl missing from PATH: says to run the setup action', async () => {
  const job = new Job('bare', { PATH: '/usr/bin:/bin' });
  const result = await job.run(LOCK, 'main.js', { ...inputs, resource: 'uat' });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /::error::lockctl was not found on PATH: run the ciutils setup action first\n$/);
});
