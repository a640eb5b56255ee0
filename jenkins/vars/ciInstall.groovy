import ciutils.Check
import ciutils.Shell

/*
 * ciInstall: installs a ciutils release on the agent (once per version, in a tool cache)
 * with the project's install script, and puts its bin directory on PATH. Help: ciInstall.txt.
 */

def call(Map args = [:]) {
  return install(args)
}

def call(Map args = [:], Closure body) {
  String bin = install(args)
  return withEnv(["PATH+CIUTILS=${bin}".toString()]) {
    body()
  }
}

String install(Map args) {
  Check check = new Check(this, 'ciInstall')
  check.known(args, ['version', 'sha256', 'from', 'repository', 'toolCache'])
  Map cmd = Shell.command('CIINSTALL', 'sh "$CIINSTALL_SCRIPT"')
  Shell.flag(cmd, '--version', check.version('version', args.version))
  // The tool cache, kept across builds on the agent: the install script keeps each
  // version in its own directory there (ciutils-V) and skips one already installed.
  // groovylint-disable-next-line GStringExpressionWithinString
  cmd.script += ' --to "${CIINSTALL_CACHE:-${CIUTILS_TOOL_CACHE:-$HOME/.cache/ciutils}}"'
  if (args.sha256 != null) {
    Shell.flag(cmd, '--sha256', check.sha256('sha256', args.sha256))
  }
  if (args.from != null) {
    Shell.flag(cmd, '--from', check.text('from', args.from))
  }
  if (args.repository != null) {
    String repository = args.repository
    if (!(repository ==~ /[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+/)) {
      check.fail("repository: '${Check.printable(repository)}' is not OWNER/REPO")
    }
    Shell.flag(cmd, '--repository', repository)
  }
  List env = cmd.env
  if (args.toolCache != null) {
    env << "CIINSTALL_CACHE=${check.text('toolCache', args.toolCache)}".toString()
  }
  // The install script travels with this library (resources/ciutils/install), so the
  // agent needs nothing but sh and curl or wget.
  String installer = "${pwd(tmp: true)}/ciutils-install.sh"
  writeFile(file: installer, text: libraryResource('ciutils/install'))
  env << "CIINSTALL_SCRIPT=${installer}".toString()
  String out = withEnv(env) {
    sh(script: cmd.script, returnStdout: true, label: 'ciInstall')
  }
  String bin = Shell.lastLine(out)
  if (!bin.startsWith('/')) {
    error("ciInstall: the install script printed '${Check.printable(bin)}', not the bin directory")
  }
  return bin
}

