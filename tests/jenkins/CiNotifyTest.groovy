/** ciNotify with the real notify: --dry-run shows the requests, an unreachable service is a warning. */
class CiNotifyTest extends PipelineTestCase {

  @Override
  protected void setUp() {
    super.setUp()
    pipeline.credentials['hook-secret'] = 'hmac-key-1234'
    new File(workspace, 'results.jsonl').text =
      '{"name":"checkout","classname":"web","status":"failed","message":"exit status 1"}\n'
  }

  void testAMessageWithASecretFromACredential() {
    int code = ciNotify(title: 'Deploy done', message: 'smoke tests green\nall of them',
      to: 'webhook+http://127.0.0.1:9/hook?hmac=${HOOK_SECRET}', secrets: [HOOK_SECRET: 'hook-secret'], dryRun: true)
    assertEquals(0, code)
    Map sh = pipeline.calls('sh')[0]
    assertEquals('notify "$CINOTIFY_0" --title "$CINOTIFY_1" --message "$CINOTIFY_2" --dry-run', sh.script)
    assertEquals('webhook+http://127.0.0.1:9/hook?hmac=${HOOK_SECRET}', sh.env.CINOTIFY_0)
    assertEquals('hmac-key-1234', sh.env.HOOK_SECRET)
    assertTrue(sh.stdout, sh.stdout.contains('POST http://127.0.0.1:9/hook'))
    assertTrue(sh.stdout, sh.stdout.contains('X-Signature-256: sha256='))
    assertFalse(sh.stdout.contains('hmac-key-1234'))
    assertEquals([[type: 'string', credentialsId: 'hook-secret', variable: 'HOOK_SECRET']],
      pipeline.calls('withCredentials')[-1].bindings)
  }

  void testAKeyWithResultsTriggers() {
    assertEquals(0, ciNotify(key: 'web/e2e', results: 'results.jsonl', to: ['webhook+http://127.0.0.1:9/hook'],
      threshold: '1/1', severity: 'error', links: ['Build=https://ci.example.com/7'], dryRun: true))
    Map sh = pipeline.calls('sh')[0]
    assertTrue(sh.stdout, sh.stdout.contains('"event":"trigger"'))
    assertTrue(sh.stdout, sh.stdout.contains('checkout'))
  }

  void testAnUnreachableServiceIsAWarningNotAFailedBuild() {
    int code = ciNotify(title: 'Nightly', message: 'red', to: 'webhook+http://127.0.0.1:1/hook?retries=0&timeout=2s',
      spool: new File(workspace, 'spool').path)
    assertEquals(3, code)
    assertEquals('ciNotify: warning: notify exit status 3: not every destination accepted (spooled for notify flush)',
      pipeline.calls('echo')[-1].message)
    assertEquals(1, new File(workspace, 'spool').listFiles().findAll { it.isFile() }.size())
  }

  void testInputNotifyRefusesFailsTheStep() {
    assertAborts('ciNotify: notify refused its input (exit status 2; its message is above)') {
      ciNotify(title: 't', to: 'gopher://x')
    }
  }

  void testValuesThatAreNotPlainAreRefused() {
    assertAborts('ciNotify: give key (an alert with a lifecycle) or title (a one-off message)') { ciNotify([:]) }
    assertAborts('ciNotify: with key, give exactly one of status or results') { ciNotify(key: 'a/b') }
    assertAborts("ciNotify: key: 'a/{b}' must not hold braces") { ciNotify(key: 'a/{b}', status: 'failed') }
    assertAborts("ciNotify: status: 'red' is not one of failed, passed") { ciNotify(key: 'a/b', status: 'red') }
    assertAborts("ciNotify: threshold: '2 of 3' is not N/M (e.g. 2/3)") {
      ciNotify(key: 'a/b', status: 'failed', threshold: '2 of 3')
    }
    assertAborts("ciNotify: secrets: 'A-B' is not a variable name") {
      ciNotify(title: 't', secrets: ['A-B': 'id'])
    }
    assertAborts("ciNotify: tags: 'a b' is not a plain name (1-128 of A-Z a-z 0-9 . _ -)") {
      ciNotify(title: 't', tags: ['a b'])
    }
    assertEquals([], pipeline.calls('sh'))
  }
}
