/**
 * ciInstall hands the library's install script to sh with the interface of
 * scripts/install (--version V --to DIR [--sha256 S] [--from FILE|URL], prints the bin
 * directory). A stand-in script with that interface records what it was given.
 */
class CiInstallTest extends PipelineTestCase {
  static final String SHA = 'a' * 64

  @Override
  protected void setUp() {
    super.setUp()
    pipeline.resources['ciutils/install'] = '''#!/bin/sh
set -eu
printf '%s\\n' "$@" > "$INSTALL_ARGS"
while [ $# -gt 0 ]; do
  case "$1" in --to) to=$2; shift ;; --version) version=$2; shift ;; esac
  shift
done
mkdir -p "$to/ciutils-$version/bin"
echo "installing into $to" >&2
echo "$to/ciutils-$version/bin"
'''
    pipeline.env.INSTALL_ARGS = new File(workspace, 'args').path
    pipeline.env.HOME = new File(workspace, 'home').path
  }

  List<String> installArgs() {
    return new File(workspace, 'args').readLines()
  }

  void testInstallsIntoTheToolCacheAndReturnsTheBinDirectory() {
    String bin = ciInstall(version: '1.2.0', sha256: SHA)
    String home = new File(workspace, 'home').path
    assertEquals("${home}/.cache/ciutils/ciutils-1.2.0/bin".toString(), bin)
    assertEquals(['--version', '1.2.0', '--to', "${home}/.cache/ciutils".toString(), '--sha256', SHA],
      installArgs())
    assertEquals("${workspace.path}@tmp/ciutils-install.sh".toString(), pipeline.calls('writeFile')[0].file)
  }

  void testTheBodyHasTheToolsOnPath() {
    String path = null
    String cache = new File(workspace, 'ci tools').path
    ciInstall(version: '1.2.0', sha256: SHA, toolCache: cache, from: 'file:///srv/ciutils.tar.gz',
              repository: 'acme/ciutils') {
      path = pipeline.currentEnv().PATH
    }
    assertTrue(path, path.startsWith("${cache}/ciutils-1.2.0/bin:"))
    assertEquals(['--version', '1.2.0', '--to', cache, '--sha256', SHA, '--from', 'file:///srv/ciutils.tar.gz',
                  '--repository', 'acme/ciutils'], installArgs())
  }

  void testCiutilsToolCacheOnTheAgentIsTheDefaultCache() {
    pipeline.env.CIUTILS_TOOL_CACHE = new File(workspace, 'agent-cache').path
    assertEquals("${workspace.path}/agent-cache/ciutils-2.0.0/bin".toString(), ciInstall(version: '2.0.0', sha256: SHA))
  }

  void testAFailedInstallFailsTheStep() {
    pipeline.resources['ciutils/install'] = 'echo "install: error: checksum mismatch" >&2; exit 4'
    assertAborts('script returned exit code 4') { ciInstall(version: '1.2.0', sha256: SHA) }
  }

  void testAnInstallScriptThatPrintsNoDirectoryIsAnError() {
    pipeline.resources['ciutils/install'] = 'echo done'
    assertAborts("ciInstall: the install script printed 'done', not the bin directory") {
      ciInstall(version: '1.2.0', sha256: SHA)
    }
  }

  void testValuesThatAreNotPlainAreRefused() {
    assertAborts("ciInstall: version: '1.0;id' is not a version such as 1.2.0") { ciInstall(version: '1.0;id') }
    assertAborts("ciInstall: version: '' is not a version such as 1.2.0") { ciInstall([:]) }
    assertAborts("ciInstall: sha256: 'abc' is not a SHA-256 (64 hex digits)") {
      ciInstall(version: '1.0.0', sha256: 'abc')
    }
    assertAborts("ciInstall: repository: 'acme' is not OWNER/REPO") {
      ciInstall(version: '1.0.0', repository: 'acme')
    }
    assertAborts("ciInstall: from: 'x\\x0Ay' must be one line of 1-4096 printable characters") {
      ciInstall(version: '1.0.0', from: 'x\ny')
    }
    assertEquals([], pipeline.calls('sh'))
  }

  /** The library's own install script (a copy of scripts/install) with a release tarball on disk. */
  void testTheLibrarysInstallScriptInstallsOnceAndRefusesAWrongChecksum() {
    pipeline.resources.remove('ciutils/install')
    String name = 'ciutils-1.2.3-linux-x86_64'
    assertEquals(0, shell("mkdir -p rel/${name}/bin && printf '#!/bin/sh\\necho fetch 1.2.3\\n' > rel/${name}/bin/fetch && " +
      "chmod +x rel/${name}/bin/fetch && tar -czf ${name}.tar.gz -C rel ${name}").status)
    String sha = shell("sha256sum ${name}.tar.gz").out.split()[0]
    String from = "file://${workspace.path}/${name}.tar.gz"
    String cache = new File(workspace, 'tools').path
    String bin = ciInstall(version: '1.2.3', sha256: sha, from: from, toolCache: cache)
    assertEquals("${cache}/ciutils-1.2.3/bin".toString(), bin)
    assertEquals('fetch 1.2.3\n', shell("'${bin}/fetch'").out)
    // Installed once: a second build on the agent finds it in the cache.
    new File(workspace, "${name}.tar.gz").delete()
    assertEquals(bin, ciInstall(version: '1.2.3', sha256: sha, from: from, toolCache: cache))
    assertAborts('script returned exit code 4') {
      ciInstall(version: '1.2.3', sha256: '0' * 64, from: from, toolCache: cache)
    }
  }
}
