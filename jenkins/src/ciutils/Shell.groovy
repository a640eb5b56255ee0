package ciutils

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/** How ciutils steps talk to `sh`: values in through the environment, answers out of stdout. */
class Shell implements Serializable {
  private static final long serialVersionUID = 1L

  /**
   * A command line whose values reach the shell only through numbered environment
   * variables: command('CIRUN', 'prun') then flag(cmd, '--timeout', '10m') gives the
   * script `prun --timeout "$CIRUN_0"` and the environment ['CIRUN_0=10m'] for withEnv.
   */
  @NonCPS
  static Map command(String prefix, String program) {
    return [prefix: prefix, script: program, env: []]
  }

  /** Appends FLAG and its value; a null value appends nothing, `true` only the flag. */
  @NonCPS
  static void flag(Map cmd, String flag, Object value) {
    if (value == null || value == false) {
      return
    }
    cmd.script += " ${flag}"
    if (value != true) {
      arg(cmd, value)
    }
  }

  /** Appends one positional value. */
  @NonCPS
  static void arg(Map cmd, Object value) {
    String name = "${cmd.prefix}_${cmd.env.size()}"
    cmd.env << "${name}=${value}".toString()
    cmd.script += " \"\$${name}\""
  }

  /** The last non-empty line a command printed (the tools print their answer last). */
  @NonCPS
  static String lastLine(String out) {
    List lines = out.trim().readLines()
    return lines.isEmpty() ? '' : lines[-1].trim()
  }

  /** A JSON document as plain maps and lists (serializable, unlike JsonSlurper's lazy maps). */
  @NonCPS
  static Object json(String text) {
    return new JsonSlurperClassic().parseText(text)
  }
}
