'use strict';
// Main step: waits for the lock with lockctl and leaves a keep-alive renewer that watches
// the runner's worker process (this step's parent). The token reaches the post step's
// state only once the lock is granted; a cancelled waiter leaves the queue and saves nothing.
const gh = require('./github');
const lockctl = require('./lockctl');

const CANCELLED = { 129: 'SIGHUP', 130: 'SIGINT', 143: 'SIGTERM' };

function default_owner() {
  const e = process.env;
  const parts = [e.GITHUB_REPOSITORY, e.GITHUB_WORKFLOW, e.GITHUB_RUN_ID, e.GITHUB_RUN_ATTEMPT, e.GITHUB_JOB];
  if (parts.every((p) => !p)) return '';
  return parts.map((p) => p || '-').join('/').slice(0, 200);
}

// What acquire_args asks for, in words: "uat", "pool envs", "pool envs labelled 'gpu'".
function describe(args) {
  const flag = (name) => (args.indexOf(name) > 0 ? args[args.indexOf(name) + 1] : '');
  if (!flag('--pool') && !flag('--label')) return args[1];
  const label = flag('--label') ? ` labelled '${flag('--label')}'` : '';
  return `pool ${flag('--pool') || '$LOCKCTL_POOL'}${label}`;
}

// The inputs as lockctl arguments; throws on a combination lockctl cannot express.
function acquire_args() {
  const targets = ['resource', 'pool', 'label'].filter((name) => gh.input(name) !== '');
  if (targets.length === 0 || (targets.includes('resource') && targets.length > 1)) {
    throw new Error(`give either resource, or pool and/or label (got ${targets.length ? targets.join(', ') : 'none'})`);
  }
  const on_busy = gh.input('on-busy') || 'fail';
  if (on_busy !== 'fail' && on_busy !== 'skip') throw new Error(`on-busy: must be fail or skip, not "${on_busy}"`);
  const args = ['acquire'];
  if (targets[0] === 'resource') {
    args.push(gh.input('resource'));
    if (gh.input('quantity') !== '' && gh.input('quantity') !== '1') {
      throw new Error('quantity: only with pool or label');
    }
  } else {
    // label: a label expression choosing among the pool's members (the pool input, else
    // LOCKCTL_POOL in the environment), as Jenkins Lockable Resources' label.
    if (gh.input('pool') !== '') args.push('--pool', gh.input('pool'));
    if (gh.input('label') !== '') args.push('--label', gh.input('label'));
    if (gh.input('quantity') !== '') args.push('--quantity', gh.input('quantity'));
  }
  for (const name of ['slots', 'ttl', 'wait', 'priority', 'max-hold']) {
    if (gh.input(name) !== '') args.push(`--${name}`, gh.input(name));
  }
  // The runner's worker process (Runner.Worker) starts this step and lives until the job
  // ends, post steps included. When it dies the renewer stops and the lease expires
  // within one ttl. In a container job the parent is outside the container (pid 0 or 1
  // here): the renewer then dies with the container instead.
  if (process.ppid > 1) args.push('--watch-pid', String(process.ppid));
  args.push('--keep-alive', '--json');
  return { args, on_busy };
}

async function main() {
  const { args, on_busy } = acquire_args();
  const owner = gh.input('owner') || default_owner();
  const { child, done } = lockctl.start(args, owner ? { LOCKCTL_OWNER: owner } : {});
  let cancelled = '';
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cancelled = sig;
      child.kill(sig); // lockctl withdraws from the queue, or keeps a grant it already has
    });
  }
  gh.info(`Waiting for ${describe(args)} (lockctl ${args.join(' ')})`);
  const result = await done;
  if (result.code === 0) {
    const grant = JSON.parse(result.stdout);
    gh.mask(grant.token);
    gh.save_state('token', grant.token);
    gh.save_state('resource', grant.resources[0]);
    gh.set_output('acquired', 'true');
    gh.set_output('resource', grant.resources[0]);
    gh.set_output('resources', grant.resources.join(' '));
    gh.set_output('fence', String(grant.fence));
    gh.set_output('token', grant.token);
    gh.export_variable('LOCKCTL_RESOURCE', grant.resources[0]);
    gh.export_variable('LOCKCTL_RESOURCES', grant.resources.join(' '));
    gh.export_variable('LOCKCTL_FENCE', String(grant.fence));
    gh.info(`Locked ${grant.resources.join(' ')} (fence ${grant.fence}) after ${(grant.waited_ms / 1000).toFixed(1)}s; ` +
      `the post step releases it`);
    return 0;
  }
  if (CANCELLED[result.code] || cancelled) {
    gh.error(`cancelled (${cancelled || CANCELLED[result.code]}) while waiting: left the queue without the lock`);
    return 1;
  }
  if (result.code === 75) {
    gh.set_output('acquired', 'false');
    const message = lockctl.last_error(result.stderr);
    if (on_busy === 'skip') {
      gh.notice(`${message}; on-busy is skip, so later steps run without the lock`);
      return 0;
    }
    gh.error(message);
    return 1;
  }
  gh.error(lockctl.last_error(result.stderr) || `lockctl exited with ${result.code ?? result.signal}`);
  return 1;
}

gh.run_step(main);
