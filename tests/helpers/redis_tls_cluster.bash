# A 3-master Redis Cluster that speaks only TLS, to clients and on its cluster bus, with
# certificates made here by openssl: start_redis_tls_cluster in setup_file (or
# `suite_start tls_cluster`). Load helpers/redis, helpers/redis_cluster and helpers/redis_tls
# first. Exports TLS_DIR (helpers/redis_tls), CLUSTER_PORTS and the other variables of
# helpers/redis_cluster, and REDIS_URL as a rediss+cluster:// URL naming two nodes as seeds
# by 127.0.0.1, with ?cacert=. cluster_cli PORT ARGS... reaches a node with redis-cli.
#
# `redis-cli --cluster create` waits for the nodes to meet on their bus with no time limit.
# Over TLS each node connects to the others as a TLS client and, by default
# (tls-auth-clients yes), each checks the certificate the other shows as a client's; a
# certificate made for servers only (extendedKeyUsage=serverAuth) fails that check, logged
# only at loglevel verbose ("Error accepting cluster node connection: certificate verify
# failed"): the nodes never meet and the create waits forever. The nodes here show a client
# certificate on the bus (tls-client-cert-file), and the create runs under a timeout.

start_redis_tls_cluster() {
  TLS_DIR="$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/tls.XXXXXX")"
  export TLS_DIR
  make_tls_certificates "$TLS_DIR" || return 1
  CLUSTER_TLS_DIR="$TLS_DIR" start_redis_cluster || return 1
  local p1 p2
  read -r p1 p2 _ <<<"$CLUSTER_PORTS"
  export REDIS_URL="rediss+cluster://127.0.0.1:$p1,127.0.0.1:$p2/?cacert=$TLS_DIR/ca.crt"
}

start_tls_cluster() { start_redis_tls_cluster; }
# reset_tls_cluster: empties every master; client certificates optional again.
reset_tls_cluster() {
  reset_redis_cluster
  local port
  for port in $CLUSTER_PORTS; do cluster_cli "$port" config set tls-auth-clients optional >/dev/null; done
}
stop_tls_cluster() { stop_redis_cluster; }
