import ciutils.Check
import ciutils.Secrets
import ciutils.Shell
import com.cloudbees.groovy.cps.NonCPS

/*
 * ciLock: runs a block while holding a lockctl lease, like the Lockable Resources `lock`
 * step but with the lock kept in Redis. Help: ciLock.txt.
 */

def call(String resource, Closure body) {
  return call([resource: resource], body)
}

def call(Map args, Closure body) {
  Map o = parse(args)
  Map lease = acquire(o)
  if (lease.isEmpty()) {
    return null
  }
  try {
    return withEnv(bodyEnv(o, lease)) {
      body()
    }
  } finally {
    release(o, lease)
  }
}

Map parse(Map args) {
  Check check = new Check(this, 'ciLock')
  check.known(args, ['resource', 'label', 'pool', 'quantity', 'slots', 'variable',
    'priority', 'inversePrecedence', 'skipIfLocked', 'ttl', 'wait', 'maxHold', 'owner',
    'redisCredentialsId', 'namespace'])
  if (args.inversePrecedence) {
    check.fail("inversePrecedence is not supported: lockctl serves waiters in arrival order; " +
      'use priority: N to put this build ahead of waiters with a lower priority')
  }
  boolean members = args.pool != null || args.label != null
  if ((args.resource == null) == !members) {
    check.fail("give either resource, or pool and/or label")
  }
  Map o = [:]
  if (args.resource != null) {
    o.resource = check.name('resource', args.resource)
  }
  if (args.pool != null) {
    o.pool = check.name('pool', args.pool)
  }
  if (args.label != null) {
    // A label expression (linux && gpu) choosing among the pool's members; without pool,
    // lockctl takes the pool from LOCKCTL_POOL. lockctl checks the syntax.
    String label = args.label
    if (!(label ==~ /[A-Za-z0-9._\- &|!()]{1,500}/)) {
      check.fail("label: '${Check.printable(label)}' is not a label expression " +
        '(labels of A-Z a-z 0-9 . _ - joined by &&, || and !, with parentheses)')
    }
    o.label = label
  }
  if (args.quantity != null) {
    if (o.resource != null) {
      check.fail("quantity needs label or pool")
    }
    o.quantity = check.integer('quantity', args.quantity, 1, 1000)
  }
  if (args.slots != null) {
    o.slots = check.integer('slots', args.slots, 1, 100000)
  }
  if (args.priority != null) {
    o.priority = check.integer('priority', args.priority, -1000, 1000)
  }
  if (args.variable != null) {
    o.variable = check.variable('variable', args.variable)
  }
  o.ttl = check.duration('ttl', args.ttl != null ? args.ttl : '2m')
  if (args.wait != null) {
    o.wait = check.duration('wait', args.wait)
  }
  o.maxHold = check.duration('maxHold', args.maxHold != null ? args.maxHold : '6h')
  o.skipIfLocked = args.skipIfLocked ? true : false
  if (args.owner != null) {
    o.owner = check.text('owner', args.owner, 200)
  } else if (env.JOB_NAME != null) {
    o.owner = "${env.JOB_NAME}#${env.BUILD_NUMBER}".toString()
  }
  if (args.redisCredentialsId != null) {
    o.redisCredentialsId = check.text('redisCredentialsId', args.redisCredentialsId, 200)
  }
  if (args.namespace != null) {
    o.namespace = check.name('namespace', args.namespace)
  }
  return o
}

/** The lease as [resources, fences, token], or [:] when skipIfLocked found it busy. */
Map acquire(Map o) {
  Map cmd = Shell.command('CILOCK', 'lockctl acquire')
  if (o.resource != null) {
    Shell.arg(cmd, o.resource)
  }
  Shell.flag(cmd, '--pool', o.pool)
  Shell.flag(cmd, '--label', o.label)
  Shell.flag(cmd, '--quantity', o.quantity)
  Shell.flag(cmd, '--slots', o.slots)
  Shell.flag(cmd, '--priority', o.priority)
  Shell.flag(cmd, '--ttl', o.ttl)
  Shell.flag(cmd, '--wait', o.wait)
  Shell.flag(cmd, '--no-wait', o.skipIfLocked)
  Shell.flag(cmd, '--max-hold', o.maxHold)
  // --keep-alive leaves a renewer on the agent; it ends with the lease (released in the
  // finally of call(), or at --max-hold), and Jenkins' process-tree killer ends it with
  // the build, after which the lease expires within one TTL.
  String script = cmd.script + ' --keep-alive --json || echo "ciLock-exit=$?"'
  List env = cmd.env + (o.owner != null ? ["LOCKCTL_OWNER=${o.owner}".toString()] : [])
  String out = Secrets.withRedis(this, o.redisCredentialsId, env + namespaceEnv(o)) {
    sh(script: script, returnStdout: true, label: 'ciLock: acquire')
  }
  String last = Shell.lastLine(out)
  if (last.startsWith('ciLock-exit=')) {
    int code = last.substring('ciLock-exit='.length()).toInteger()
    String what = o.resource
    if (what == null) {
      what = "pool ${o.pool ?: 'of LOCKCTL_POOL'}"
      if (o.label != null) {
        what += " labelled '${o.label}'"
      }
    }
    if (code == 75 && o.skipIfLocked) {
      echo("ciLock: ${what} is busy; skipping the block (skipIfLocked)")
      return [:]
    }
    if (code == 75) {
      error("ciLock: ${what} was not acquired within ${o.wait}")
    }
    error("ciLock: lockctl acquire failed with exit status ${code} (its message is above)")
  }
  Map lease = parseLease(last)
  echo("ciLock: holding ${lease.resources.join(' ')} (fence ${lease.fences.join(' ')})")
  return lease
}

void release(Map o, Map lease) {
  Map cmd = Shell.command('CILOCK', 'lockctl release')
  Shell.arg(cmd, lease.resources[0])
  int code = Secrets.withRedis(this, o.redisCredentialsId,
      cmd.env + namespaceEnv(o) + ["LOCKCTL_TOKEN=${lease.token}".toString()]) {
    sh(script: cmd.script, returnStatus: true, label: 'ciLock: release')
  }
  if (code != 0) {
    // The lease ended before the block did (expired, force-released): worth a warning, but
    // the block's own outcome is what the build reports.
    echo("ciLock: warning: the lease on ${lease.resources.join(' ')} had already ended " +
      "(lockctl release exit status ${code}); the block may have run without it")
  }
}

/** What the body sees: lockctl run's variables, and Lockable Resources' `variable`. */
List bodyEnv(Map o, Map lease) {
  List env = [
    "LOCKCTL_RESOURCE=${lease.resources[0]}".toString(),
    "LOCKCTL_RESOURCES=${lease.resources.join(' ')}".toString(),
    "LOCKCTL_FENCE=${lease.fences[0]}".toString(),
    "LOCKCTL_FENCES=${lease.fences.join(' ')}".toString(),
    "LOCKCTL_TOKEN=${lease.token}".toString(),
  ]
  // Resource properties (lockctl pool set-props), as lockctl run exports them.
  lease.resources.eachWithIndex { r, i ->
    (lease.props[r] ?: [:]).each { k, v ->
      String key = k.toString().toUpperCase()
      if (i == 0) {
        env << "LOCKCTL_PROP_${key}=${v}".toString()
      }
      env << "LOCKCTL_RESOURCE${i}_PROP_${key}=${v}".toString()
      if (o.variable != null) {
        env << "${o.variable}${i}_${key}=${v}".toString()
      }
    }
  }
  if (o.variable != null) {
    env << "${o.variable}=${lease.resources.join(',')}".toString()
    lease.resources.eachWithIndex { r, i -> env << "${o.variable}${i}=${r}".toString() }
  }
  return env
}

@NonCPS
static Map parseLease(String json) {
  Map doc = Shell.json(json) as Map
  List resources = doc.resources.collect { it.toString() }
  List fences = doc.fences.collect { it.toString() }
  Map props = [:]
  (doc.props ?: [:]).each { r, p ->
    props[r.toString()] = (p as Map).collectEntries { k, v -> [(k.toString()): v.toString()] }
  }
  return [resources: resources, fences: fences, props: props, token: doc.token.toString()]
}

List namespaceEnv(Map o) {
  return o.namespace != null ? ["CIUTILS_NAMESPACE=${o.namespace}".toString()] : []
}
