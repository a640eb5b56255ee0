'use strict';
// Post step (post-if: always()): releases the lease whose token main saved. Without a
// saved token (never granted, cancelled while waiting, busy and skipped) it releases
// nothing, so it can never end a lease another job holds.
const gh = require('./github');
const lockctl = require('./lockctl');

async function post() {
  const token = gh.state('token');
  const resource = gh.state('resource');
  if (!token || !resource) {
    gh.info('Nothing to release: this job was not granted the lock');
    return 0;
  }
  gh.mask(token);
  const { done } = lockctl.start(['release', resource], { LOCKCTL_TOKEN: token });
  const result = await done;
  if (result.code === 0) {
    gh.info(`Released ${resource}`);
    return 0;
  }
  const message = lockctl.last_error(result.stderr);
  if (result.code === 1) {
    // Expired, force-released, or taken over since: the lease already ended.
    gh.warning(`${message}: the lease ended before the job did; ` +
      'a step may have run without the lock (see lockctl history)');
    return 0;
  }
  gh.error(`could not release ${resource}: ${message || `lockctl exited with ${result.code ?? result.signal}`}; ` +
    'the lease expires one ttl after the job ends');
  return 1;
}

gh.run_step(post);
