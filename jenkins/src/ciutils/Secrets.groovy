package ciutils

/**
 * Credentials for ciutils steps, bound with the Credentials Binding plugin's
 * withCredentials, so Jenkins masks them in the log and they reach the tools only
 * through their environment variables.
 */
class Secrets implements Serializable {
  private static final long serialVersionUID = 1L

  /** Runs block with env, and REDIS_URL from a secret-text credential when an id is given. */
  static Object withRedis(Object steps, Object credentialsId, List env, Closure block) {
    return steps.withEnv(env) {
      if (credentialsId == null) {
        return block()
      }
      return steps.withCredentials([steps.string(credentialsId: credentialsId.toString(), variable: 'REDIS_URL')]) {
        block()
      }
    }
  }

  /** Runs block with env, and AWS keys from a username/password credential when an id is given. */
  static Object withAws(Object steps, Object credentialsId, List env, Closure block) {
    return steps.withEnv(env) {
      if (credentialsId == null) {
        return block()
      }
      return steps.withCredentials([steps.usernamePassword(credentialsId: credentialsId.toString(),
          usernameVariable: 'AWS_ACCESS_KEY_ID', passwordVariable: 'AWS_SECRET_ACCESS_KEY')]) {
        block()
      }
    }
  }
}
