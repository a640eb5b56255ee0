/** ciRun (the real prun) feeding ciReport (the real report and a junit step that reads its XML). */
class CiRunReportTest extends PipelineTestCase {

  @Override
  protected void setUp() {
    super.setUp()
    new File(workspace, 'jobs.txt').text = 'true\nfalse\necho "it;s $HOME" > out.txt\n'
  }

  void testFailedTestsFailTheStepAndTheReportCountsThem() {
    assertAborts('ciRun: tests failed (prun exit status 1; results.jsonl has the results)') {
      ciRun(argFile: 'jobs.txt', jobs: 2, timeout: '30s')
    }
    assertEquals('prun -a "$CIRUN_0" -j "$CIRUN_1" --timeout "$CIRUN_2" --results "$CIRUN_3"', pipeline.scripts()[0])
    assertEquals(3, new File(workspace, 'results.jsonl').readLines().size())
    Map counts = ciReport()
    assertEquals([total: 3, passed: 2, failed: 1, skipped: 0], counts)
    assertEquals([testResults: 'junit.xml', allowEmptyResults: false], pipeline.calls('junit')[0].args)
    assertTrue(new File(workspace, 'junit.xml').text.contains('<testsuites'))
    assertEquals('ciReport: 3 tests, 1 failed, 0 skipped', pipeline.calls('echo')[-1].message)
    assertTrue(pipeline.calls('sh')[-1].stdout.contains('Test results: FAILED'))
  }

  void testReturnStatusLeavesTheVerdictToTheCaller() {
    assertEquals(1, ciRun(argFile: 'jobs.txt', results: 'r.jsonl', returnStatus: true))
    new File(workspace, 'pass.txt').text = 'true\n'
    assertEquals(0, ciRun(argFile: 'pass.txt', results: 'p.jsonl'))
    Map counts = ciReport(results: ['r.jsonl', 'p.jsonl'], junitFile: 'all.xml', flakyAs: 'pass', summary: false)
    assertEquals([total: 4, passed: 3, failed: 1, skipped: 0], counts)
    assertEquals('report junit --flaky-as "$CIREPORT_0" -o "$CIREPORT_1" "$CIREPORT_2" "$CIREPORT_3"',
      pipeline.scripts()[-1])
  }

  void testShardingReachesPrun() {
    new File(workspace, 'four.txt').text = 'true\ntrue\ntrue\ntrue\n'
    assertEquals(0, ciRun(argFile: 'four.txt', shard: '2/2', retries: 1))
    assertEquals(2, new File(workspace, 'results.jsonl').readLines().size())
  }

  void testAPlanRuns() {
    new File(workspace, 'plan.json').text = '{"steps": [{"name": "t", "jobs": ["true", "true"]}]}'
    assertEquals(0, ciRun(plan: 'plan.json', cancelGrace: '5s'))
    assertEquals(2, new File(workspace, 'results.jsonl').readLines().size())
  }

  void testABrokenPlanIsPrunsUsageError() {
    new File(workspace, 'plan.json').text = '{"steps": [{"comand": "true"}]}'
    assertAborts('ciRun: prun failed with exit status 2 (its message is above)') { ciRun(plan: 'plan.json') }
  }

  void testAllowEmptyPublishesAReportWithoutTests() {
    new File(workspace, 'none.tap').text = '1..0\n'
    assertEquals([total: 0, passed: 0, failed: 0, skipped: 0], ciReport(results: 'none.tap', allowEmpty: true))
    assertEquals([testResults: 'junit.xml', allowEmptyResults: true], pipeline.calls('junit')[0].args)
    assertTrue(pipeline.calls('sh')[0].stdout.contains('no tests'))
  }

  void testAnEmptyResultsFileFailsTheReport() {
    new File(workspace, 'results.jsonl').text = ''
    assertAborts('script returned exit code 2') { ciReport() }
    assertEquals([], pipeline.calls('junit'))
  }

  void testValuesThatAreNotPlainAreRefused() {
    assertAborts('ciRun: give exactly one of plan (a prun plan file) or argFile (one command per line)') { ciRun([:]) }
    assertAborts("ciRun: timeout: '10 m' is not a duration such as 250ms, 90s, 10m or 1h30m") {
      ciRun(plan: 'p.json', timeout: '10 m')
    }
    assertAborts("ciRun: shard: '1/2;id' is not I/N (e.g. 2/4) or auto") { ciRun(plan: 'p.json', shard: '1/2;id') }
    assertAborts("ciRun: jobs: '0' is not an integer from 1 to 10000") { ciRun(plan: 'p.json', jobs: 0) }
    assertAborts("ciReport: flakyAs: 'maybe' is not one of flaky, pass, duplicate") { ciReport(flakyAs: 'maybe') }
    assertEquals([], pipeline.calls('sh'))
  }
}
