/*
 * Runs the Jenkins library's tests in one JVM and prints TAP:
 *   groovy tests/jenkins/run.groovy LIBRARY_DIR [CLASS...]
 * LIBRARY_DIR is the shared library (jenkins/); the test classes are the *Test.groovy
 * files beside this script (or only the CLASSes named). Exit status 1 when a test failed.
 */
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

File here = new File(getClass().protectionDomain.codeSource.location.path).parentFile
File library = new File(args[0]).canonicalFile
List<String> only = args.length > 1 ? args[1..-1] as List : []

GroovyClassLoader loader = new GroovyClassLoader(getClass().classLoader)
loader.addClasspath(new File(here, 'stubs').path)
loader.addClasspath(here.path)
// The annotation stub first, so that the library and the tests compile against it.
loader.loadClass('com.cloudbees.groovy.cps.NonCPS')
System.setProperty('ciutils.jenkins.library', library.path)

List<Class> classes = here.listFiles().findAll { it.name.endsWith('Test.groovy') }
  .sort { it.name }
  .findAll { only.isEmpty() || only.contains(it.name - '.groovy') }
  .collect { loader.parseClass(it) }

int n = 0
int failed = 0
Map<Description, Failure> failures = [:]
JUnitCore core = new JUnitCore()
core.addListener(new RunListener() {
  long started

  @Override
  void testStarted(Description d) { started = System.nanoTime() }

  @Override
  void testFailure(Failure failure) { failures[failure.description] = failure }

  @Override
  void testFinished(Description d) {
    n++
    Failure f = failures[d]
    String name = "${d.testClass.simpleName}: ${d.methodName} in ${(System.nanoTime() - started).intdiv(1000000)}ms"
    if (f == null) {
      println "ok ${n} - ${name}"
    } else {
      failed++
      println "not ok ${n} - ${name}"
      String trace = f.trace.readLines().findAll { !it.contains('org.codehaus.groovy') && !it.contains('java.base') }
        .take(12).join('\n')
      println trace.readLines().collect { "# ${it}" }.join('\n')
    }
  }
})
core.run(classes as Class[])
println "1..${n}"
System.exit(failed == 0 && n > 0 ? 0 : 1)
