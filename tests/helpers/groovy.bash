# Debian's groovy looks for Java under /usr/lib/jvm/default-java (default-jre-headless);
# where only another JDK is installed, point JAVA_HOME at the java on PATH.
groovy_env() {
  if [ -z "${JAVA_HOME:-}" ] && [ ! -x /usr/lib/jvm/default-java/bin/java ]; then
    local java
    java="$(readlink -f "$(command -v java)")" || return 1
    JAVA_HOME="$(dirname "$(dirname "$java")")"
    export JAVA_HOME
  fi
  # Start the JVM quickly: these are short runs, not servers.
  export JAVA_OPTS="${JAVA_OPTS:-} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"
}
