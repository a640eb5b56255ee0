import ciutils.Check
import ciutils.Secrets
import ciutils.Shell

/*
 * ciUpload: uploads a file, or a directory packed as tar.gz on the fly, with `fetch put`
 * (http, https, s3); returns fetch's JSON answer as a map. Help: ciUpload.txt.
 */

def call(Map args = [:]) {
  Check check = new Check(this, 'ciUpload')
  check.known(args, ['path', 'url', 'contentType', 'deadline', 'awsCredentialsId'])
  String path = check.text('path', args.path)
  String url = check.text('url', args.url)
  if (!(url ==~ /(https?|s3):\/\/.+/)) {
    check.fail("url: '${Check.printable(url)}' is not an http, https or s3 URL")
  }
  Map cmd = Shell.command('CIUPLOAD', 'fetch put')
  Shell.arg(cmd, path)
  Shell.arg(cmd, url)
  Shell.flag(cmd, '--content-type', args.contentType == null ? null :
    check.text('contentType', args.contentType, 200))
  Shell.flag(cmd, '--deadline', args.deadline == null ? null : check.duration('deadline', args.deadline))
  Shell.flag(cmd, '--json', true)
  String out = Secrets.withAws(this, args.awsCredentialsId, cmd.env) {
    sh(script: cmd.script, returnStdout: true, label: 'ciUpload')
  }
  return Shell.json(Shell.lastLine(out))
}
