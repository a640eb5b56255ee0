import ciutils.Check
import ciutils.Shell

/*
 * ciReport: turns result records (or JUnit, TAP) into one JUnit file with `report junit`,
 * publishes it with the junit step, prints a text summary, and returns the counts.
 * Help: ciReport.txt.
 */

def call(Map args = [:]) {
  Check check = new Check(this, 'ciReport')
  check.known(args, ['results', 'junitFile', 'flakyAs', 'suiteName', 'allowEmpty', 'summary'])
  List inputs = [args.results != null ? args.results : 'results.jsonl'].flatten()
  if (inputs.isEmpty()) {
    check.fail("results: give at least one file")
  }
  String junitFile = check.text('junitFile', args.junitFile != null ? args.junitFile : 'junit.xml')
  Map cmd = Shell.command('CIREPORT', 'report junit')
  Shell.flag(cmd, '--flaky-as', args.flakyAs == null ? null :
    check.oneOf('flakyAs', args.flakyAs, ['flaky', 'pass', 'duplicate']))
  Shell.flag(cmd, '--suite-name', args.suiteName == null ? null :
    check.text('suiteName', args.suiteName, 200))
  Shell.flag(cmd, '--allow-empty', args.allowEmpty ? true : null)
  Shell.flag(cmd, '-o', junitFile)
  Map summary = Shell.command('CISUMMARY', 'report summary --format text')
  Shell.flag(summary, '--allow-empty', args.allowEmpty ? true : null)
  for (Object input : inputs) {
    String file = check.text('results', input)
    Shell.arg(cmd, file)
    Shell.arg(summary, file)
  }
  boolean withSummary = args.summary == null || args.summary
  withEnv(cmd.env + (withSummary ? summary.env : [])) {
    sh(script: cmd.script + (withSummary ? '\n' + summary.script : ''), label: 'ciReport: report junit')
  }
  def result = junit(testResults: junitFile, allowEmptyResults: args.allowEmpty ? true : false)
  Map counts = [
    total: result.totalCount,
    passed: result.passCount,
    failed: result.failCount,
    skipped: result.skipCount,
  ]
  echo("ciReport: ${counts.total} tests, ${counts.failed} failed, ${counts.skipped} skipped")
  return counts
}
