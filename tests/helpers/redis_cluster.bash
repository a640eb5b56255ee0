# A throwaway 3-master Redis Cluster for a bats file (no replicas), the suite server
# redis_cluster (helpers/suite: setup_file() { suite_start redis_cluster; } starts it,
# reset_redis_cluster empties it between tests, stop_redis_cluster ends it; also stopped by
# an EXIT trap). Exports
# CLUSTER_PORTS (three ports), CLUSTER_DIR, REDIS_URL as a redis+cluster:// URL naming two
# of them as seeds, and CIUTILS_NAMESPACE. When the cluster cannot start, the suite fails.
# Load helpers/redis first (stop_pidfile).
# With CLUSTER_TLS_DIR set to certificates made by make_tls_certificates (helpers/redis_tls),
# the nodes speak only TLS, to clients and to each other (helpers/redis_tls_cluster).
# cluster_cli PORT ARGS... is redis-cli to a node, over TLS when the nodes speak it.

start_redis_cluster() {
  CLUSTER_DIR="$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/cluster.XXXXXX")"
  CLUSTER_PORTS=""
  local i port bus
  for i in 1 2 3; do
    port="$(free_port)"
    bus="$(free_port)"
    mkdir -p "$CLUSTER_DIR/$i"
    # shellcheck disable=SC2046
    redis-server $(cluster_listen_args "$port") --cluster-port "$bus" --bind 127.0.0.1 --dir "$CLUSTER_DIR/$i" \
      --cluster-enabled yes --cluster-config-file "$CLUSTER_DIR/$i/nodes.conf" --cluster-node-timeout 2000 \
      --save "" --appendonly no --daemonize yes --pidfile "$CLUSTER_DIR/$i/redis.pid" \
      --logfile "$CLUSTER_DIR/$i/redis.log" 3>&- || {
      echo "redis-server (cluster node $i) failed to start" >&2
      return 1
    }
    CLUSTER_PORTS="$CLUSTER_PORTS $port"
  done
  CLUSTER_PORTS="${CLUSTER_PORTS# }"
  # redis-cli shows the client certificate too, so it gets in when a test makes the nodes
  # require one
  CLUSTER_CLI_ARGS="${CLUSTER_TLS_DIR:+--tls --cacert $CLUSTER_TLS_DIR/ca.crt --cert $CLUSTER_TLS_DIR/client.crt --key $CLUSTER_TLS_DIR/client.key}"
  export CLUSTER_DIR CLUSTER_PORTS CLUSTER_CLI_ARGS
  trap stop_redis_cluster EXIT
  for port in $CLUSTER_PORTS; do
    wait_until 10 cluster_cli "$port" ping || {
      cat "$CLUSTER_DIR"/*/redis.log >&2
      return 1
    }
  done
  # shellcheck disable=SC2046,SC2086
  timeout 60 redis-cli $CLUSTER_CLI_ARGS --cluster create $(for port in $CLUSTER_PORTS; do printf '127.0.0.1:%s ' "$port"; done) \
    --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 3>&- || {
    cat "$CLUSTER_DIR/create.log" >&2
    return 1
  }
  wait_cluster_ok || return 1
  local p1 p2
  read -r p1 p2 _ <<<"$CLUSTER_PORTS"
  export REDIS_URL="redis+cluster://127.0.0.1:$p1,127.0.0.1:$p2/"
  export CIUTILS_NAMESPACE="test$$"
}

# wait_cluster_ok: every running node says cluster_state:ok and sees all 16384 slots served.
wait_cluster_ok() {
  local port
  for port in $CLUSTER_PORTS; do
    [ -n "$(cluster_node_pid "$port")" ] || continue
    wait_until 20 sh -c "redis-cli $CLUSTER_CLI_ARGS -p $port cluster info | grep -q 'cluster_state:ok' &&
      redis-cli $CLUSTER_CLI_ARGS -p $port cluster info | grep -q 'cluster_slots_ok:16384'" || {
      cat "$CLUSTER_DIR"/*/redis.log >&2
      return 1
    }
  done
}

# cluster_node_pid PORT: the pid of the running node on PORT (empty when it is stopped).
cluster_node_pid() {
  local i=1 p
  for p in $CLUSTER_PORTS; do
    if [ "$p" = "$1" ] && [ -f "$CLUSTER_DIR/$i/redis.pid" ]; then
      cat "$CLUSTER_DIR/$i/redis.pid"
      return 0
    fi
    i=$((i + 1))
  done
}

# slot_owner_port KEY: the port of the master serving KEY's slot.
slot_owner_port() {
  local port="${CLUSTER_PORTS%% *}" slot
  slot="$(cluster_cli "$port" cluster keyslot "$1")"
  cluster_cli "$port" cluster nodes | awk -v s="$slot" '$3 ~ /master/ {
    for (i = 9; i <= NF; i++) {
      if ($i ~ /^\[/) continue
      n = split($i, r, "-"); lo = r[1]; hi = (n == 2 ? r[2] : r[1])
      if (s + 0 >= lo + 0 && s + 0 <= hi + 0) { split($2, a, "@"); m = split(a[1], b, ":"); print b[m]; exit }
    }
  }'
}

# node_id PORT: the cluster node id of the master on PORT.
node_id() {
  cluster_cli "$1" cluster myid
}

# reset_redis_cluster: empties every master between tests of one file.
reset_redis_cluster() {
  local port
  for port in $CLUSTER_PORTS; do
    [ -n "$(cluster_node_pid "$port")" ] && cluster_cli "$port" flushall >/dev/null
  done
  return 0
}

# cluster_listen_args PORT: how a node listens: on PORT, in plain TCP or (CLUSTER_TLS_DIR)
# only in TLS, its cluster bus too.
cluster_listen_args() {
  if [ -z "${CLUSTER_TLS_DIR:-}" ]; then
    echo "--port $1"
    return
  fi
  local d="$CLUSTER_TLS_DIR"
  # On the bus each node is a TLS client of the others, checked like any client: it shows
  # a certificate made for clients (clientAuth), not its server one.
  echo "--port 0 --tls-port $1 --tls-cluster yes --tls-replication yes --tls-ca-cert-file $d/ca.crt" \
    "--tls-cert-file $d/server.crt --tls-key-file $d/server.key" \
    "--tls-client-cert-file $d/client.crt --tls-client-key-file $d/client.key --tls-auth-clients optional"
}

# cluster_cli PORT ARGS...: redis-cli to the node on PORT.
cluster_cli() {
  local port="$1"
  shift
  # shellcheck disable=SC2086
  redis-cli $CLUSTER_CLI_ARGS -p "$port" "$@"
}

stop_redis_cluster() {
  [ -n "${CLUSTER_DIR:-}" ] || return 0
  local f
  for f in "$CLUSTER_DIR"/*/redis.pid; do
    stop_pidfile "$f"
  done
}
