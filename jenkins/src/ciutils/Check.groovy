package ciutils

import com.cloudbees.groovy.cps.NonCPS

/**
 * The values ciutils steps hand to `sh`. Every value is checked here first and then
 * reaches the shell only through an environment variable ("$CI_ARG_0"), never as
 * text spliced into a script, so a value cannot become shell syntax.
 */
class Check implements Serializable {
  private static final long serialVersionUID = 1L

  /** The pipeline script, whose `error` step reports a refused value. */
  private final Object steps
  /** The step's name, which starts every message. */
  private final String step

  Check(Object steps, String step) {
    this.steps = steps
    this.step = step
  }

  /** A lockctl resource or pool name: 1-128 of A-Z a-z 0-9 . _ - (as lockctl accepts). */
  String name(String arg, Object value) {
    return matching(arg, value, /[A-Za-z0-9._-]{1,128}/,
      'a plain name (1-128 of A-Z a-z 0-9 . _ -)')
  }

  /** A duration as every ciutils tool reads it: 250ms, 90s, 10m, 1h30m, 2d; or 0. */
  String duration(String arg, Object value) {
    return matching(arg, value, /0|([0-9]{1,9}(ms|s|m|h|d)){1,5}/,
      'a duration such as 250ms, 90s, 10m or 1h30m')
  }

  /** An integer within [min, max]; numbers written as strings are accepted. */
  int integer(String arg, Object value, int min, int max) {
    String text = value == null ? '' : value.toString()
    if (!(text ==~ /-?[0-9]{1,9}/) || text.toInteger() < min || text.toInteger() > max) {
      fail("${arg}: '${printable(text)}' is not an integer from ${min} to ${max}")
    }
    return text.toInteger()
  }

  /** A shell or environment variable name. */
  String variable(String arg, Object value) {
    return matching(arg, value, /[A-Za-z_][A-Za-z0-9_]{0,63}/, 'a variable name')
  }

  /** A release version: 1.2.0, 1.2.0-rc.1. */
  String version(String arg, Object value) {
    return matching(arg, value, /[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}/, 'a version such as 1.2.0')
  }

  /** A SHA-256 digest: 64 hex digits, with or without a sha256: prefix. */
  String sha256(String arg, Object value) {
    return matching(arg, value, /(sha256:)?[0-9a-fA-F]{64}/, 'a SHA-256 (64 hex digits)')
  }

  /** One of a fixed set of words. */
  String oneOf(String arg, Object value, List<String> words) {
    String text = value == null ? '' : value.toString()
    if (!words.contains(text)) {
      fail("${arg}: '${printable(text)}' is not one of ${words.join(', ')}")
    }
    return text
  }

  /**
   * Free text that still goes to a command line through the environment (a path, a URL,
   * a title): anything printable, one line, at most `max` characters.
   */
  String text(String arg, Object value, int max = 4096) {
    String text = value == null ? '' : value.toString()
    if (text.isEmpty() || text.length() > max || text.find(/[\x00-\x1F\x7F]/) != null) {
      fail("${arg}: '${printable(text)}' must be one line of 1-${max} printable characters")
    }
    return text
  }

  /** Refuses arguments a step does not know, naming the first one. */
  void known(Map args, List<String> names) {
    String unknown = firstUnknown(args, names)
    if (unknown != null) {
      fail("unknown argument '${printable(unknown)}' (known: ${names.join(', ')})")
    }
  }

  @NonCPS
  private static String firstUnknown(Map args, List<String> names) {
    for (Object key : args.keySet()) {
      if (!names.contains(key.toString())) {
        return key.toString()
      }
    }
    return null
  }

  /** Fails the step with `STEP: MESSAGE`. */
  void fail(String message) {
    steps.error("${step}: ${message}")
  }

  private String matching(String arg, Object value, String pattern, String what) {
    String text = value == null ? '' : value.toString()
    if (!(text ==~ pattern)) {
      fail("${arg}: '${printable(text)}' is not ${what}")
    }
    return text
  }

  /** A value shown in a message: control characters escaped, long values cut. */
  @NonCPS
  static String printable(String text) {
    String shown = text.length() > 80 ? text.substring(0, 80) + '...' : text
    return shown.replaceAll(/[\x00-\x1F\x7F]/) { String c -> String.format('\\x%02X', (int) c.charAt(0)) }
  }
}
