/**
 * ciFetch and ciUpload with the real fetch, against the suite's loopback HTTP server
 * (tests/helpers/fetch_server.py: FETCH_HTTP_PORT, files under FETCH_ROOT).
 */
class CiFetchTest extends PipelineTestCase {
  String base = "http://127.0.0.1:${System.getenv('FETCH_HTTP_PORT')}"
  File root = new File(System.getenv('FETCH_ROOT') ?: '/nonexistent')

  @Override
  protected void setUp() {
    super.setUp()
    assertEquals(0, shell('mkdir -p src/suite && echo "./run" > src/suite/plan.txt && ' +
      'tar -czf suite.tar.gz -C src suite && sha256sum suite.tar.gz > suite.sha256').status)
  }

  String sha() {
    return new File(workspace, 'suite.sha256').text.split()[0]
  }

  void testFetchUnpacksAfterCheckingTheChecksumAndReturnsTheDestination() {
    String dest = ciFetch(url: "file://${workspace.path}/suite.tar.gz", to: 'tests', sha256: sha(), stripComponents: 1)
    assertEquals('tests', dest)
    assertEquals('./run\n', new File(workspace, 'tests/plan.txt').text)
    assertEquals('fetch "$CIFETCH_0" -o "$CIFETCH_1" --sha256 "$CIFETCH_2" --replace --strip-components "$CIFETCH_3" -q',
      pipeline.scripts()[0])
  }

  void testAWrongChecksumPublishesNothing() {
    assertAborts('script returned exit code 4') {
      ciFetch(url: "file://${workspace.path}/suite.tar.gz", to: 'tests', sha256: '0' * 64)
    }
    assertFalse(new File(workspace, 'tests').exists())
  }

  void testFetchOverHttpAndUploadTheLogsBack() {
    new File(root, 'files').mkdirs()
    new File(workspace, 'suite.tar.gz').bytes.with { new File(root, 'files/suite.tar.gz').bytes = it }
    assertEquals('suite', ciFetch(url: "${base}/files/suite.tar.gz", sha256: sha(), stripComponents: 1, to: 'suite'))
    Map answer = ciUpload(path: 'suite', url: "${base}/upload/run-7.tar.gz")
    assertEquals(201, answer.status)
    assertTrue(answer.packed)
    assertEquals(answer.sha256, shell("sha256sum < '${root}/uploads/run-7.tar.gz'").out.split()[0])
  }

  void testS3CredentialsComeFromAUsernamePasswordCredential() {
    pipeline.credentials['suites-s3'] = ['AKIAEXAMPLE', 'the-secret']
    pipeline.responder = { String script, Map env -> [stdout: '{"url":"s3://b/k","status":200}', status: 0] }
    Map answer = ciUpload(path: 'logs', url: 's3://b/k', awsCredentialsId: 'suites-s3', contentType: 'application/gzip')
    assertEquals(200, answer.status)
    assertEquals('AKIAEXAMPLE', envOfSh('fetch put', 'AWS_ACCESS_KEY_ID'))
    assertEquals('the-secret', envOfSh('fetch put', 'AWS_SECRET_ACCESS_KEY'))
    assertEquals('fetch put "$CIUPLOAD_0" "$CIUPLOAD_1" --content-type "$CIUPLOAD_2" --json', pipeline.scripts()[0])
  }

  void testValuesThatAreNotPlainAreRefused() {
    assertAborts("ciFetch: url: 'ftp://x/y' is not an http, https, s3 or file URL") { ciFetch(url: 'ftp://x/y') }
    assertAborts("ciFetch: url: '' must be one line of 1-4096 printable characters") { ciFetch([:]) }
    assertAborts("ciFetch: deadline: '5' is not a duration such as 250ms, 90s, 10m or 1h30m") {
      ciFetch(url: 'https://x/y.tgz', deadline: '5')
    }
    assertAborts("ciUpload: url: 'file:///tmp/x' is not an http, https or s3 URL") {
      ciUpload(path: 'logs', url: 'file:///tmp/x')
    }
    assertEquals([], pipeline.calls('sh'))
  }
}
