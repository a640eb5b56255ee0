/**
 * ciLock against the real lockctl and a real redis-server (REDIS_URL and
 * CIUTILS_NAMESPACE come from the bats suite that starts it).
 */
class CiLockTest extends PipelineTestCase {

  @Override
  protected void setUp() {
    super.setUp()
    assertEquals(0, shell('redis-cli -u "$REDIS_URL" flushall >/dev/null').status)
  }

  Map status(String resource) {
    Map r = shell("lockctl status ${resource} --json")
    assertEquals(r.out, 0, r.status)
    return new groovy.json.JsonSlurper().parseText(r.out) as Map
  }

  void testTheBodyRunsUnderTheLeaseWhichIsReleasedAfterwards() {
    String seen = null
    def value = ciLock('uat') {
      seen = pipeline.sh(script: 'echo "$LOCKCTL_RESOURCE $LOCKCTL_FENCE"; lockctl status uat --json',
        returnStdout: true)
      'the body result'
    }
    assertEquals('the body result', value)
    List lines = seen.readLines()
    assertEquals('uat 1', lines[0])
    Map during = new groovy.json.JsonSlurper().parseText(lines[1..-1].join('\n')) as Map
    assertEquals('web/main#7', during.resources[0].holders[0].owner)
    assertEquals([], status('uat').resources[0].holders)
    assertEquals(['lockctl acquire "$CILOCK_0" --ttl "$CILOCK_1" --max-hold "$CILOCK_2" --keep-alive --json' +
                  ' || echo "ciLock-exit=$?"', 'lockctl release "$CILOCK_0"'],
      pipeline.scripts().findAll { it.startsWith('lockctl acquire') || it.startsWith('lockctl release') })
    assertEquals('uat', envOfSh('lockctl acquire', 'CILOCK_0'))
    assertEquals('2m', envOfSh('lockctl acquire', 'CILOCK_1'))
    assertEquals('6h', envOfSh('lockctl acquire', 'CILOCK_2'))
    assertEquals('ciLock: holding uat (fence 1)', pipeline.calls('echo')[0].message)
  }

  void testFencesIncreaseAndTheTokenReachesTheBody() {
    ciLock(resource: 'uat') {}
    ciLock(resource: 'uat') {
      assertEquals('2', pipeline.currentEnv().LOCKCTL_FENCE)
      assertTrue(pipeline.currentEnv().LOCKCTL_TOKEN ==~ /[0-9a-f]{32}/)
    }
  }

  void testAPoolWithQuantityAndLockableResourcesVariable() {
    assertEquals(0, shell('lockctl pool set hosts kvm-1 kvm-2 kvm-3').status)
    ciLock(pool: 'hosts', quantity: 2, variable: 'HOSTS') {
      Map e = pipeline.currentEnv()
      assertEquals('kvm-1,kvm-2', e.HOSTS)
      assertEquals('kvm-1', e.HOSTS0)
      assertEquals('kvm-2', e.HOSTS1)
      assertEquals('kvm-1 kvm-2', e.LOCKCTL_RESOURCES)
      assertEquals('1 1', e.LOCKCTL_FENCES)
    }
    assertEquals('hosts', envOfSh('lockctl acquire', 'CILOCK_0'))
    assertTrue(pipeline.scripts().any { it.startsWith('lockctl acquire --pool "$CILOCK_0" --quantity "$CILOCK_1"') })
    ciLock(pool: 'hosts') {
      assertEquals('kvm-1', pipeline.currentEnv().LOCKCTL_RESOURCE)
    }
  }

  void testALabelExpressionChoosesAmongThePoolsMembers() {
    assertEquals(0, shell('lockctl pool set hosts kvm-1 kvm-2 kvm-3').status)
    assertEquals(0, shell('lockctl pool set-labels kvm-2 linux gpu').status)
    assertEquals(0, shell('lockctl pool set-props kvm-2 url=https://kvm-2.example/').status)
    ciLock(pool: 'hosts', label: 'linux && gpu', variable: 'HOST') {
      Map e = pipeline.currentEnv()
      assertEquals('kvm-2', e.LOCKCTL_RESOURCE)
      assertEquals('https://kvm-2.example/', e.LOCKCTL_PROP_URL)
      assertEquals('https://kvm-2.example/', e.LOCKCTL_RESOURCE0_PROP_URL)
      assertEquals('https://kvm-2.example/', e.HOST0_URL)
    }
    assertEquals('linux && gpu', envOfSh('lockctl acquire', 'CILOCK_1'))
    assertTrue(pipeline.scripts().any { it.startsWith('lockctl acquire --pool "$CILOCK_0" --label "$CILOCK_1"') })
  }

  void testAFailingBodyStillReleasesAndItsErrorPropagates() {
    assertAborts('deploy failed') {
      ciLock('uat') {
        pipeline.var('ciLock').error('deploy failed')
      }
    }
    assertEquals([], status('uat').resources[0].holders)
    assertEquals('lockctl release "$CILOCK_0"', pipeline.scripts()[-1])
  }

  void testSkipIfLockedSkipsTheBodyWhenBusy() {
    Map held = shell('lockctl acquire uat --ttl 1m --owner other')
    assertEquals(held.out, 0, held.status)
    boolean ran = false
    assertNull(ciLock(resource: 'uat', skipIfLocked: true) { ran = true })
    assertFalse(ran)
    assertEquals('ciLock: uat is busy; skipping the block (skipIfLocked)', pipeline.calls('echo')[-1].message)
    assertTrue(pipeline.scripts()[0].contains(' --no-wait '))
    assertEquals(0, pipeline.calls('sh').count { it.script.startsWith('lockctl release') })
  }

  void testWaitRunsOutWithAClearError() {
    assertEquals(0, shell('lockctl acquire uat --ttl 1m --owner other').status)
    boolean ran = false
    assertAborts('ciLock: uat was not acquired within 200ms') {
      ciLock(resource: 'uat', wait: '200ms') { ran = true }
    }
    assertFalse(ran)
    assertEquals(1, status('uat').resources[0].holders.size())
  }

  void testALeaseLostDuringTheBodyIsAWarningAtRelease() {
    ciLock('uat') {
      assertEquals(0, shell('lockctl force-release uat').status)
    }
    assertEquals('ciLock: warning: the lease on uat had already ended (lockctl release exit status 1); ' +
      'the block may have run without it', pipeline.calls('echo')[-1].message)
  }

  void testTheKeeperRenewsTheLeaseWhileTheBlockRuns() {
    // A renewal every second; the 3 s lease leaves room for a loaded machine.
    ciLock(resource: 'uat', ttl: '3s') {
      String expires = status('uat').resources[0].holders[0].expires_at
      // Wait on the event (a renewal moved the expiry), not on a fixed sleep.
      long deadline = System.currentTimeMillis() + 20000
      while (status('uat').resources[0].holders[0]?.expires_at == expires) {
        assertTrue('the lease was never renewed', System.currentTimeMillis() < deadline)
        Thread.sleep(50)
      }
      assertEquals(1, status('uat').resources[0].holders.size())
    }
  }

  void testRedisUrlFromACredential() {
    pipeline.credentials['locks-redis'] = System.getenv('REDIS_URL')
    pipeline.env.REDIS_URL = 'redis://127.0.0.1:1/0'   // what the agent has is not used
    ciLock(resource: 'uat', redisCredentialsId: 'locks-redis', namespace: 'jenkins') {
      Map r = shell('CIUTILS_NAMESPACE=jenkins lockctl status uat --json')
      assertEquals(1, new groovy.json.JsonSlurper().parseText(r.out).resources[0].holders.size())
    }
    List bindings = pipeline.calls('withCredentials')*.bindings.flatten()
    assertEquals([[type: 'string', credentialsId: 'locks-redis', variable: 'REDIS_URL']] * 2, bindings)
    assertEquals('jenkins', envOfSh('lockctl release', 'CIUTILS_NAMESPACE'))
  }

  void testAnOwnerWithShellSyntaxStaysText() {
    File marker = new File(workspace, 'pwned')
    ciLock(resource: 'uat', owner: 'x$(touch pwned)`touch pwned`;touch pwned') {
      assertEquals('x$(touch pwned)`touch pwned`;touch pwned', status('uat').resources[0].holders[0].owner)
    }
    assertFalse(marker.exists())
  }

  void testValuesThatAreNotPlainAreRefusedBeforeAnyShellRuns() {
    Map cases = [
      [resource: 'uat; touch pwned']: "ciLock: resource: 'uat; touch pwned' is not a plain name (1-128 of A-Z a-z 0-9 . _ -)",
      [resource: 'uat\n']: "ciLock: resource: 'uat\\x0A' is not a plain name (1-128 of A-Z a-z 0-9 . _ -)",
      [label: '$(id)']: "ciLock: label: '\$(id)' is not a label expression " +
        '(labels of A-Z a-z 0-9 . _ - joined by &&, || and !, with parentheses)',
      [pool: '$(id)']: "ciLock: pool: '\$(id)' is not a plain name (1-128 of A-Z a-z 0-9 . _ -)",
      [resource: 'uat', ttl: '1m && id']: "ciLock: ttl: '1m && id' is not a duration such as 250ms, 90s, 10m or 1h30m",
      [resource: 'uat', wait: 'soon']: "ciLock: wait: 'soon' is not a duration such as 250ms, 90s, 10m or 1h30m",
      [pool: 'p', quantity: '2 x']: "ciLock: quantity: '2 x' is not an integer from 1 to 1000",
      [resource: 'uat', priority: 1001]: "ciLock: priority: '1001' is not an integer from -1000 to 1000",
      [resource: 'uat', variable: 'A B']: "ciLock: variable: 'A B' is not a variable name",
      [resource: 'uat', namespace: 'a b']: "ciLock: namespace: 'a b' is not a plain name (1-128 of A-Z a-z 0-9 . _ -)",
      [resource: 'uat', quantity: 2]: 'ciLock: quantity needs label or pool',
      [resource: 'uat', label: 'p']: 'ciLock: give either resource, or pool and/or label',
      [:]: 'ciLock: give either resource, or pool and/or label',
      [resource: 'uat', inversePrecedence: true]: 'ciLock: inversePrecedence is not supported: lockctl serves ' +
        'waiters in arrival order; use priority: N to put this build ahead of waiters with a lower priority',
      [resource: 'uat', extra: []]: "ciLock: unknown argument 'extra' (known: resource, label, pool, quantity, " +
        'slots, variable, priority, inversePrecedence, skipIfLocked, ttl, wait, maxHold, owner, ' +
        'redisCredentialsId, namespace)',
    ]
    cases.each { args, message ->
      assertAborts(message) { ciLock(args) { fail('the body ran') } }
    }
    assertEquals([], pipeline.calls('sh'))
  }
}
