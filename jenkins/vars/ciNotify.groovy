import ciutils.Check
import ciutils.Secrets
import ciutils.Shell

/*
 * ciNotify: sends an alert with notify: a one-off message, or the lifecycle of a key
 * (trigger once, remind, recover) from result records. Secrets come from Jenkins
 * credentials through withCredentials. Help: ciNotify.txt.
 */

def call(Map args = [:]) {
  Check check = new Check(this, 'ciNotify')
  check.known(args, ['to', 'tags', 'config', 'title', 'message', 'key', 'status', 'results',
    'threshold', 'remind', 'severity', 'links', 'spool', 'secrets', 'redisCredentialsId', 'dryRun'])
  if (args.key == null && args.title == null) {
    check.fail("give key (an alert with a lifecycle) or title (a one-off message)")
  }
  if (args.key != null && (args.status == null) == (args.results == null)) {
    check.fail("with key, give exactly one of status or results")
  }
  Map cmd = Shell.command('CINOTIFY', 'notify')
  for (Object dest : list(args.to)) {
    // Destination URLs hold ${VAR} references that notify expands itself: they pass
    // through the environment unexpanded.
    Shell.arg(cmd, check.text('to', dest))
  }
  for (Object tag : list(args.tags)) {
    Shell.flag(cmd, '--tag', check.name('tags', tag))
  }
  Shell.flag(cmd, '--config', args.config == null ? null : check.text('config', args.config))
  Shell.flag(cmd, '--title', args.title == null ? null : check.text('title', args.title, 500))
  Shell.flag(cmd, '--message', args.message == null ? null : message(check, args.message))
  if (args.key != null) {
    String key = check.text('key', args.key, 200)
    if (key.contains('{') || key.contains('}')) {
      check.fail("key: '${Check.printable(key)}' must not hold braces")
    }
    Shell.flag(cmd, '--key', key)
  }
  Shell.flag(cmd, '--status', args.status == null ? null :
    check.oneOf('status', args.status, ['failed', 'passed']))
  Shell.flag(cmd, '--from', args.results == null ? null : check.text('results', args.results))
  if (args.threshold != null) {
    String threshold = args.threshold
    if (!(threshold ==~ /[0-9]{1,3}\/[0-9]{1,3}/)) {
      check.fail("threshold: '${Check.printable(threshold)}' is not N/M (e.g. 2/3)")
    }
    Shell.flag(cmd, '--threshold', threshold)
  }
  Shell.flag(cmd, '--remind', args.remind == null ? null : check.duration('remind', args.remind))
  Shell.flag(cmd, '--severity', args.severity == null ? null :
    check.oneOf('severity', args.severity, ['critical', 'error', 'warning', 'info']))
  for (Object link : list(args.links)) {
    Shell.flag(cmd, '--link', check.text('links', link))
  }
  Shell.flag(cmd, '--spool', args.spool == null ? null : check.text('spool', args.spool))
  Shell.flag(cmd, '--dry-run', args.dryRun ? true : null)
  List bindings = []
  Map secrets = args.secrets != null ? args.secrets : [:]
  for (Object variable : secrets.keySet()) {
    bindings << string(credentialsId: check.text('secrets', secrets[variable], 200),
      variable: check.variable('secrets', variable))
  }
  int code = Secrets.withRedis(this, args.redisCredentialsId, cmd.env) {
    withCredentials(bindings) {
      sh(script: cmd.script, returnStatus: true, label: 'ciNotify')
    }
  }
  if (code == 2) {
    check.fail("notify refused its input (exit status 2; its message is above)")
  }
  if (code != 0) {
    // An alert service being down must not fail the build it reports on: notify has
    // spooled the alert for `notify flush`.
    echo("ciNotify: warning: notify exit status ${code}: not every destination accepted (spooled for notify flush)")
  }
  return code
}

/** A message may span lines; only NUL and other control characters but TAB and LF are refused. */
String message(Check check, Object value) {
  String text = value
  if (text.length() > 65536 || text.find(/[\x00-\x08\x0B-\x1F\x7F]/) != null) {
    check.fail('message: must be at most 64 KiB of text without control characters')
  }
  return text
}

List list(Object value) {
  return value == null ? [] : [value].flatten()
}
