import ciutils.Check
import ciutils.Secrets
import ciutils.Shell

/*
 * ciFetch: downloads a test archive (http, https, file, s3), checks it and unpacks it in
 * one pass with fetch; returns the destination. Help: ciFetch.txt.
 */

def call(Map args = [:]) {
  Check check = new Check(this, 'ciFetch')
  check.known(args, ['url', 'to', 'sha256', 'cache', 'replace', 'stripComponents',
    'deadline', 'awsCredentialsId'])
  String url = check.text('url', args.url)
  if (!(url ==~ /(https?|s3|file):\/\/.+/)) {
    check.fail("url: '${Check.printable(url)}' is not an http, https, s3 or file URL")
  }
  Map cmd = Shell.command('CIFETCH', 'fetch')
  Shell.arg(cmd, url)
  Shell.flag(cmd, '-o', args.to == null ? null : check.text('to', args.to))
  Shell.flag(cmd, '--sha256', args.sha256 == null ? null : check.sha256('sha256', args.sha256))
  Shell.flag(cmd, '--cache', args.cache == null ? null : check.text('cache', args.cache))
  Shell.flag(cmd, '--replace', args.replace == null || args.replace ? true : null)
  Shell.flag(cmd, '--strip-components', args.stripComponents == null ? null :
    check.integer('stripComponents', args.stripComponents, 0, 100))
  Shell.flag(cmd, '--deadline', args.deadline == null ? null : check.duration('deadline', args.deadline))
  Shell.flag(cmd, '-q', true)
  String out = Secrets.withAws(this, args.awsCredentialsId, cmd.env) {
    sh(script: cmd.script, returnStdout: true, label: 'ciFetch')
  }
  return Shell.lastLine(out)
}
