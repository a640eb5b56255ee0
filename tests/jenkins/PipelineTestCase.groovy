import java.nio.file.Files

/** A fresh workspace and Pipeline for every test; helpers to run real ciutils commands. */
abstract class PipelineTestCase extends GroovyTestCase {
  Pipeline pipeline
  File workspace

  @Override
  protected void setUp() {
    super.setUp()
    workspace = Files.createTempDirectory('ciutils-jenkins').toFile()
    File library = new File(System.getProperty('ciutils.jenkins.library'))
    pipeline = new Pipeline(library, getClass().classLoader, workspace)
  }

  @Override
  protected void tearDown() {
    workspace.deleteDir()
    super.tearDown()
  }

  /** ciLock(...), ciRun(...): a call of the library's step of that name, as in a Jenkinsfile. */
  def methodMissing(String name, Object args) {
    if (!new File(pipeline.library, "vars/${name}.groovy").exists()) {
      throw new MissingMethodException(name, getClass(), args as Object[])
    }
    return pipeline.var(name).invokeMethod('call', args)
  }

  /** Runs a command outside the pipeline (lockctl status, …); returns [out, status]. */
  Map shell(String script) {
    ProcessBuilder pb = new ProcessBuilder('/bin/sh', '-c', script)
    pb.directory(workspace)
    pb.redirectErrorStream(true)
    Process p = pb.start()
    String out = p.inputStream.getText('UTF-8')
    return [out: out, status: p.waitFor()]
  }

  /** Asserts that CODE fails with the `error` step's MESSAGE. */
  void assertAborts(String message, Closure code) {
    try {
      code()
    } catch (AbortException e) {
      assertEquals(message, e.message)
      return
    }
    fail("expected the step to abort with: ${message}")
  }

  /** The value of VAR in the environment of the last sh whose script contains TEXT. */
  String envOfSh(String text, String var) {
    Map call = pipeline.calls('sh').reverse().find { it.script.contains(text) }
    assertNotNull("no sh ran '${text}'", call)
    return call.env[var]
  }
}
