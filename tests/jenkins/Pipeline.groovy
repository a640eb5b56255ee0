import groovy.transform.CompileStatic

/**
 * A stand-in for a Jenkins agent that runs the library's vars/*.groovy the way
 * JenkinsPipelineUnit does: each var is loaded as a script whose pipeline steps are
 * closures in its binding. Every step call is recorded. `sh` runs its script for real
 * with bash (with the environment withEnv and withCredentials built), unless a test
 * answers it with a responder; the other steps are mocks that do what Jenkins does
 * with their arguments.
 */
class Pipeline {
  /** Compiled once per JVM: the library's classes and vars do not change between tests. */
  private static final Map<String, GroovyClassLoader> LOADERS = [:]
  private static final Map<String, Class> VARS = [:]

  final File library
  final GroovyClassLoader loader
  final File workspace
  final List<Map> calls = []
  /** The build's environment (env.X in Groovy; also given to every sh). */
  final Map<String, String> env = [JOB_NAME: 'web/main', BUILD_NUMBER: '7']
  /** Credentials by id: a String (secret text) or [user, password]. */
  final Map<String, Object> credentials = [:]
  /** Library resources by path (libraryResource), over the library's resources/ directory. */
  final Map<String, String> resources = [:]
  /** responder(script, env) -> [stdout: '', status: 0], or null to run the script. */
  Closure responder = null
  private final List<List<String>> envStack = []
  private final Map<String, Script> loaded = [:]

  Pipeline(File library, ClassLoader parent, File workspace) {
    this.library = library
    this.workspace = workspace
    loader = LOADERS.computeIfAbsent(library.path) {
      GroovyClassLoader l = new GroovyClassLoader(parent)
      l.addClasspath(new File(library, 'src').path)
      l
    }
  }

  /** The var NAME (vars/NAME.groovy), loaded once, its steps bound to this pipeline. */
  Script var(String name) {
    if (!loaded.containsKey(name)) {
      File file = new File(library, "vars/${name}.groovy")
      Class cls = VARS.computeIfAbsent(file.path) { loader.parseClass(file) }
      Script script = (Script) cls.newInstance()
      script.binding = binding()
      loaded[name] = script
    }
    return loaded[name]
  }

  /** Calls of STEP, in order. */
  List<Map> calls(String step) {
    return calls.findAll { it.step == step }
  }

  /** Scripts that sh ran, in order. */
  List<String> scripts() {
    return calls('sh').collect { it.script }
  }

  private Binding binding() {
    Binding b = new Binding()
    b.setVariable('env', env)
    b.setVariable('sh', { Object arg -> sh(arg instanceof Map ? (Map) arg : [script: arg.toString()]) })
    b.setVariable('withEnv', { List entries, Closure body -> withEnv(entries, body) })
    b.setVariable('withCredentials', { List bindings, Closure body -> withCredentials(bindings, body) })
    b.setVariable('string', { Map m -> [type: 'string'] + m })
    b.setVariable('usernamePassword', { Map m -> [type: 'usernamePassword'] + m })
    b.setVariable('error', { Object text ->
      String message = text.toString()
      calls << [step: 'error', message: message]
      throw new AbortException(message)
    })
    b.setVariable('echo', { Object message -> calls << [step: 'echo', message: message.toString()] })
    b.setVariable('junit', { Map m -> junit(m) })
    b.setVariable('pwd', { Map m = [:] -> m.tmp ? "${workspace.path}@tmp".toString() : workspace.path })
    b.setVariable('writeFile', { Map m ->
      calls << [step: 'writeFile', file: m.file]
      File f = new File(m.file.toString())
      f.parentFile.mkdirs()
      f.text = m.text
    })
    b.setVariable('libraryResource', { String path ->
      calls << [step: 'libraryResource', path: path]
      File file = new File(library, "resources/${path}")
      if (resources.containsKey(path)) {
        return resources[path]
      }
      if (!file.isFile()) {
        throw new AbortException("No such library resource ${path} could be found.")
      }
      file.getText('UTF-8')
    })
    return b
  }

  /** The environment a shell step sees now: the build's, then withEnv/withCredentials. */
  Map<String, String> currentEnv() {
    Map<String, String> e = new LinkedHashMap<String, String>(System.getenv())
    e.putAll(env)
    for (List<String> entries : envStack) {
      for (String entry : entries) {
        int eq = entry.indexOf('=')
        String key = entry.substring(0, eq)
        String value = entry.substring(eq + 1)
        int plus = key.indexOf('+')
        if (plus > 0) {
          // PATH+NAME=/dir prepends /dir, as Jenkins' withEnv does.
          String base = key.substring(0, plus)
          e[base] = e[base] ? "${value}:${e[base]}".toString() : value
        } else {
          e[key] = value
        }
      }
    }
    return e
  }

  Object withEnv(List entries, Closure body) {
    List<String> strings = entries.collect { it.toString() }
    strings.each { assert it.indexOf('=') > 0 : "withEnv entry without '=': ${it}" }
    calls << [step: 'withEnv', env: strings]
    envStack << strings
    try {
      return body()
    } finally {
      envStack.remove(envStack.size() - 1)
    }
  }

  Object withCredentials(List bindings, Closure body) {
    calls << [step: 'withCredentials', bindings: bindings]
    List<String> entries = []
    for (Map binding : bindings) {
      Object secret = credentials[binding.credentialsId]
      if (secret == null) {
        throw new AbortException("Could not find credentials entry with ID '${binding.credentialsId}'")
      }
      if (binding.type == 'string') {
        entries << "${binding.variable}=${secret}".toString()
      } else {
        entries << "${binding.usernameVariable}=${secret[0]}".toString()
        entries << "${binding.passwordVariable}=${secret[1]}".toString()
      }
    }
    envStack << entries
    try {
      return body()
    } finally {
      envStack.remove(envStack.size() - 1)
    }
  }

  Object sh(Map args) {
    Map<String, String> e = currentEnv()
    Map call = [step: 'sh', script: args.script, label: args.label, env: e]
    calls << call
    Map result = responder != null ? (Map) responder(args.script, e) : null
    if (result == null) {
      result = run(args.script.toString(), e)
    }
    call.stdout = result.stdout
    call.status = result.status
    if (args.returnStatus) {
      return result.status
    }
    if (result.status != 0) {
      throw new AbortException("script returned exit code ${result.status}")
    }
    return args.returnStdout ? result.stdout : null
  }

  /** Runs a script as Jenkins' sh step does (sh -e), in the workspace, stderr to ours. */
  @CompileStatic
  private Map run(String script, Map<String, String> e) {
    ProcessBuilder pb = new ProcessBuilder('/bin/sh', '-e', '-c', script)
    pb.directory(workspace)
    pb.environment().clear()
    pb.environment().putAll(e)
    pb.redirectError(ProcessBuilder.Redirect.INHERIT)
    pb.redirectInput(ProcessBuilder.Redirect.from(new File('/dev/null')))
    Process p = pb.start()
    String out = p.inputStream.getText('UTF-8')
    int status = p.waitFor()
    return [stdout: out, status: status]
  }

  /** The junit step: reads the file as Jenkins would and returns its TestResultSummary. */
  Map junit(Map args) {
    calls << [step: 'junit', args: args]
    File file = new File(workspace, args.testResults.toString())
    if (!file.exists()) {
      if (args.allowEmptyResults) {
        return [totalCount: 0, passCount: 0, failCount: 0, skipCount: 0]
      }
      throw new AbortException("No test report files were found. Configuration error?")
    }
    def xml = new XmlSlurper().parse(file)
    def cases = xml.'**'.findAll { it.name() == 'testcase' }
    int failed = cases.count { !it.failure.isEmpty() || !it.error.isEmpty() }
    int skipped = cases.count { !it.skipped.isEmpty() }
    return [totalCount: cases.size(), passCount: cases.size() - failed - skipped, failCount: failed,
            skipCount: skipped]
  }
}
