# A Sentinel-guarded Redis for a bats file: a primary (start_redis, tests/helpers/redis.bash),
# two replicas and three sentinels watching them as "mymaster", quorum 2. Two replicas, as
# in production: after a failover the new primary has the other one at once, while Sentinel
# demotes the old primary only some 10 s later.
# start_redis_sentinel exports SENTINEL_PORTS (three ports), REPLICA_PORTS (two) and
# REDIS_URL as a redis+sentinel:// URL; stop_redis_sentinel stops them all.

start_redis_sentinel() {
  # no delay before a replica's sync, none for lagging replicas at shutdown
  local fast=(--repl-diskless-sync-delay 0 --shutdown-on-sigterm now)
  start_redis --appendonly no "${fast[@]}" || return 1
  PRIMARY_PORT="$REDIS_PORT"
  REPLICA_PORTS=""
  local r port
  for r in 1 2; do
    port="$(free_port)"
    REPLICA_PORTS="$REPLICA_PORTS $port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$REDIS_DIR" --dbfilename "replica$r.rdb" \
      --save "" --appendonly no --daemonize yes --pidfile "$REDIS_DIR/replica$r.pid" \
      --logfile "$REDIS_DIR/replica$r.log" --replicaof 127.0.0.1 "$PRIMARY_PORT" "${fast[@]}" 3>&- || return 1
    wait_until 10 synced_replica "$port" || {
      cat "$REDIS_DIR/replica$r.log" >&2
      return 1
    }
  done
  REPLICA_PORTS="${REPLICA_PORTS# }"
  export PRIMARY_PORT REPLICA_PORTS
  SENTINEL_PORTS=""
  local i
  for i in 1 2 3; do
    port="$(free_port)"
    SENTINEL_PORTS="$SENTINEL_PORTS $port"
    cat >"$REDIS_DIR/sentinel$i.conf" <<EOF
port $port
bind 127.0.0.1
daemonize yes
pidfile $REDIS_DIR/sentinel$i.pid
logfile $REDIS_DIR/sentinel$i.log
dir $REDIS_DIR
sentinel monitor mymaster 127.0.0.1 $PRIMARY_PORT 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOF
    redis-server "$REDIS_DIR/sentinel$i.conf" --sentinel 3>&- || return 1
  done
  SENTINEL_PORTS="${SENTINEL_PORTS# }"
  export SENTINEL_PORTS
  for port in $SENTINEL_PORTS; do
    # each sentinel knows the replicas and the other two before a failover can be asked for
    wait_until 20 sh -c "[ \"\$(redis-cli -p $port sentinel replicas mymaster | grep -cx -e ${REPLICA_PORTS% *} -e ${REPLICA_PORTS#* })\" = 2 ] &&
      [ \"\$(redis-cli -p $port sentinel sentinels mymaster | grep -c '^name$')\" -ge 2 ]" || {
      cat "$REDIS_DIR"/sentinel*.log >&2
      return 1
    }
  done
  local hosts
  hosts="$(for port in $SENTINEL_PORTS; do printf '127.0.0.1:%s,' "$port"; done)"
  export REDIS_URL="redis+sentinel://${hosts%,}/mymaster/0"
}

# primary_port: the port the sentinels name as the primary now.
primary_port() {
  redis-cli -p "${SENTINEL_PORTS%% *}" sentinel get-master-addr-by-name mymaster | sed -n 2p
}

stop_redis_sentinel() {
  local f pids=()
  # all at once (each takes a moment to exit), then each one waited for
  for f in "$REDIS_DIR"/sentinel*.pid "$REDIS_DIR"/replica*.pid "$REDIS_DIR/redis.pid"; do
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  kill "${pids[@]}" 2>/dev/null || true
  for f in "$REDIS_DIR"/sentinel*.pid "$REDIS_DIR"/replica*.pid; do
    stop_pidfile "$f"
  done
  stop_redis
}

# role_of PORT: the first line of ROLE at that server (master, slave).
role_of() {
  redis-cli -p "$1" role 2>/dev/null | head -1
}

# synced_replica PORT: the server is a replica whose link to its primary is up.
synced_replica() {
  redis-cli -p "$1" info replication 2>/dev/null | grep -q 'master_link_status:up'
}

# every_sentinel_names PORT: all three sentinels name PORT as the primary.
every_sentinel_names() {
  local s
  for s in $SENTINEL_PORTS; do
    [ "$(redis-cli -p "$s" sentinel get-master-addr-by-name mymaster | sed -n 2p)" = "$1" ] || return 1
  done
}

# fail_over: asks a sentinel for a failover and returns once it is over: a sentinel
# published +switch-master, the new primary answers ROLE master with the other replica
# synced to it, and every sentinel names it. The old primary is left as it is: Sentinel
# demotes it only some 10 s later (it takes writes until then). Sets OLD_PRIMARY and
# NEW_PRIMARY.
fail_over() {
  OLD_PRIMARY="$(primary_port)"
  local events="$BATS_TEST_TMPDIR/switch-master.$OLD_PRIMARY" sentinel="${SENTINEL_PORTS%% *}"
  redis-cli -p "$sentinel" subscribe +switch-master >"$events" 2>&1 3>&- &
  local listener=$!
  wait_until 10 grep -qx 'subscribe' "$events" || return 1
  redis-cli -p "$sentinel" sentinel failover mymaster | grep -qx OK || return 1
  wait_until 20 grep -q "^mymaster 127.0.0.1 $OLD_PRIMARY " "$events" || return 1
  kill "$listener" 2>/dev/null
  wait "$listener" 2>/dev/null || true
  NEW_PRIMARY="$(grep "^mymaster 127.0.0.1 $OLD_PRIMARY " "$events" | awk '{print $5}')"
  export OLD_PRIMARY NEW_PRIMARY
  [ "$NEW_PRIMARY" != "$OLD_PRIMARY" ] || return 1
  wait_until 20 sh -c "[ \"\$(redis-cli -p $NEW_PRIMARY role | head -1)\" = master ] &&
    redis-cli -p $NEW_PRIMARY info replication | grep -q '^slave0:.*state=online'" || return 1
  wait_until 20 every_sentinel_names "$NEW_PRIMARY" || return 1
}
