# A Sentinel-guarded Redis for a bats file: a primary (start_redis, tests/helpers/redis.bash),
# one replica and three sentinels watching them as "mymaster", quorum 2.
# start_redis_sentinel exports SENTINEL_PORTS (three ports), REPLICA_PORT and REDIS_URL as a
# redis+sentinel:// URL; stop_redis_sentinel stops them all.

start_redis_sentinel() {
  start_redis --appendonly no || return 1
  PRIMARY_PORT="$REDIS_PORT"
  REPLICA_PORT="$(free_port)"
  export PRIMARY_PORT REPLICA_PORT
  redis-server --port "$REPLICA_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --dbfilename replica.rdb \
    --save "" --appendonly no --daemonize yes --pidfile "$REDIS_DIR/replica.pid" \
    --logfile "$REDIS_DIR/replica.log" --replicaof 127.0.0.1 "$PRIMARY_PORT" 3>&- || return 1
  wait_until 10 sh -c "redis-cli -p $REPLICA_PORT info replication | grep -q 'master_link_status:up'" || {
    cat "$REDIS_DIR/replica.log" >&2
    return 1
  }
  SENTINEL_PORTS=""
  local i port
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
    # each sentinel knows the replica and the other two before a failover can be asked for
    wait_until 20 sh -c "redis-cli -p $port sentinel replicas mymaster | grep -q $REPLICA_PORT &&
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
  local f
  for f in "$REDIS_DIR"/sentinel*.pid "$REDIS_DIR/replica.pid"; do
    stop_pidfile "$f"
  done
  stop_redis
}
