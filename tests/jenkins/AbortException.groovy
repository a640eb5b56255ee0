/** Thrown by the `error` step and by a failing `sh`, as Jenkins' hudson.AbortException is. */
class AbortException extends RuntimeException {
  AbortException(String message) {
    super(message)
  }
}
