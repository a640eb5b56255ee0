import ciutils.Check
import ciutils.Shell

/*
 * ciRun: runs tests with prun (a plan file, or one command per line of a file) and writes
 * result records for ciReport. Help: ciRun.txt.
 */

def call(Map args = [:]) {
  Check check = new Check(this, 'ciRun')
  check.known(args, ['plan', 'argFile', 'jobs', 'timeout', 'retries', 'shard', 'timings',
    'results', 'logDir', 'failOnFlaky', 'cancelGrace', 'returnStatus'])
  if ((args.plan == null) == (args.argFile == null)) {
    check.fail("give exactly one of plan (a prun plan file) or argFile (one command per line)")
  }
  Map cmd = Shell.command('CIRUN', 'prun')
  Shell.flag(cmd, '-f', args.plan == null ? null : check.text('plan', args.plan))
  Shell.flag(cmd, '-a', args.argFile == null ? null : check.text('argFile', args.argFile))
  Shell.flag(cmd, '-j', args.jobs == null ? null : check.integer('jobs', args.jobs, 1, 10000))
  Shell.flag(cmd, '--timeout', args.timeout == null ? null : check.duration('timeout', args.timeout))
  Shell.flag(cmd, '--retries', args.retries == null ? null :
    check.integer('retries', args.retries, 0, 100))
  if (args.shard != null) {
    String shard = args.shard
    if (!(shard ==~ /auto|[0-9]{1,4}\/[0-9]{1,4}/)) {
      check.fail("shard: '${Check.printable(shard)}' is not I/N (e.g. 2/4) or auto")
    }
    Shell.flag(cmd, '--shard', shard)
  }
  Shell.flag(cmd, '--timings', args.timings == null ? null : check.text('timings', args.timings))
  String results = check.text('results', args.results != null ? args.results : 'results.jsonl')
  Shell.flag(cmd, '--results', results)
  Shell.flag(cmd, '--log-dir', args.logDir == null ? null : check.text('logDir', args.logDir))
  Shell.flag(cmd, '--cancel-grace', args.cancelGrace == null ? null :
    check.duration('cancelGrace', args.cancelGrace))
  Shell.flag(cmd, '--fail-on-flaky', args.failOnFlaky ? true : null)
  int code = withEnv(cmd.env) {
    sh(script: cmd.script, returnStatus: true, label: 'ciRun: prun')
  }
  if (args.returnStatus) {
    return code
  }
  if (code == 1) {
    check.fail("tests failed (prun exit status 1; ${results} has the results)")
  }
  if (code != 0) {
    check.fail("prun failed with exit status ${code} (its message is above)")
  }
  return code
}
