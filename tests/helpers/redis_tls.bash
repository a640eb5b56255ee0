# A TLS redis-server for a bats file, with certificates made here by openssl:
#   $TLS_DIR/ca.crt             the CA that signed the server's and the client's certificates
#   $TLS_DIR/server.{crt,key}   the server's, for localhost and 127.0.0.1
#   $TLS_DIR/client.{crt,key}   a client certificate for mutual TLS
#   $TLS_DIR/other-ca.crt       a CA that signed nothing here (a wrong CA)
# start_redis_tls [ARGS] starts it through start_redis (tests/helpers/redis.bash): the plain
# port stays open for redis-cli, the TLS port is $REDIS_TLS_PORT and REDIS_URL is a rediss://
# URL to it with ?cacert=. Client certificates are optional (tls-auth-clients no) unless a
# test sets `require_client_certificates yes`.

make_tls_certificates() {
  local dir="$1"
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
    new_key ca.key && openssl req -x509 -new -key ca.key -days 2 -subj "/CN=ciutils test CA" -out ca.crt &&
      new_key other-ca.key && openssl req -x509 -new -key other-ca.key -days 2 -subj "/CN=ciutils other CA" \
      -out other-ca.crt || exit 1
    # sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by ca.crt
    sign() {
      new_key "$1.key" && openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" &&
        openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
          -extfile <(printf '%s\n' "$3") -out "$1.crt" 2>/dev/null
    }
    sign server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1"$'\n'"extendedKeyUsage=serverAuth" &&
      sign client "/CN=ci-client" "extendedKeyUsage=clientAuth"
  ) || {
    echo "openssl could not make the test certificates" >&2
    return 1
  }
}

start_redis_tls() {
  TLS_DIR="$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/tls.XXXXXX")"
  REDIS_TLS_PORT="$(free_port)"
  export TLS_DIR REDIS_TLS_PORT
  make_tls_certificates "$TLS_DIR" || return 1
  start_redis --tls-port "$REDIS_TLS_PORT" --tls-cert-file "$TLS_DIR/server.crt" \
    --tls-key-file "$TLS_DIR/server.key" --tls-ca-cert-file "$TLS_DIR/ca.crt" --tls-auth-clients no "$@" || return 1
  export REDIS_URL="rediss://localhost:$REDIS_TLS_PORT/0?cacert=$TLS_DIR/ca.crt"
}

# suite_start redis_tls (helpers/suite): the server above; reset_redis_tls empties it and
# makes client certificates optional again between tests.
reset_redis_tls() {
  flush_redis
  require_client_certificates no
}

# require_client_certificates yes|no: whether the server demands a client certificate.
require_client_certificates() {
  redis-cli -p "$REDIS_PORT" config set tls-auth-clients "$1" >/dev/null
}

# start_tls_sentinel: one sentinel that speaks only TLS (port 0, tls-port) and watches the
# TLS server as "mymaster" over TLS (tls-replication yes), with the server's certificate.
# Exports TLS_SENTINEL_PORT; stop_tls_sentinel stops it (suite_start tls_sentinel: both).
start_tls_sentinel() {
  TLS_SENTINEL_PORT="$(free_port)"
  export TLS_SENTINEL_PORT
  cat >"$REDIS_DIR/tls-sentinel.conf" <<CONF
port 0
tls-port $TLS_SENTINEL_PORT
bind 127.0.0.1
daemonize yes
pidfile $REDIS_DIR/tls-sentinel.pid
logfile $REDIS_DIR/tls-sentinel.log
dir $REDIS_DIR
tls-cert-file $TLS_DIR/server.crt
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.crt
tls-auth-clients no
tls-replication yes
sentinel monitor mymaster 127.0.0.1 $REDIS_TLS_PORT 1
CONF
  redis-server "$REDIS_DIR/tls-sentinel.conf" --sentinel 3>&- || return 1
  local cli=(redis-cli --tls --cacert "$TLS_DIR/ca.crt" -p "$TLS_SENTINEL_PORT")
  wait_until 10 sh -c "$(printf '%q ' "${cli[@]}") sentinel get-master-addr-by-name mymaster | grep -qx $REDIS_TLS_PORT" || {
    cat "$REDIS_DIR/tls-sentinel.log" >&2
    return 1
  }
}

stop_tls_sentinel() {
  stop_pidfile "$REDIS_DIR/tls-sentinel.pid"
}
