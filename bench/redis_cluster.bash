# Sourced by bench/lockctl and bench/schedule (not a benchmark itself): a throwaway
# 3-master Redis Cluster on loopback for the cluster case.
# start_bench_cluster DIR: starts it under DIR and sets CLUSTER_URL (redis+cluster://) and
# CLUSTER_PORT (one node, for redis-cli -c); stop_bench_cluster DIR stops it.

start_bench_cluster() {
  local dir="$1" i port bus nodes=""
  for i in 1 2 3; do
    port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    bus="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    mkdir -p "$dir/node$i"
    redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --dir "$dir/node$i" \
      --cluster-enabled yes --cluster-config-file "$dir/node$i/nodes.conf" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/node$i/redis.pid" --logfile "$dir/node$i/redis.log" 3>&- >/dev/null
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    nodes="$nodes 127.0.0.1:$port"
  done
  # shellcheck disable=SC2086
  redis-cli --cluster create $nodes --cluster-yes >"$dir/create.log" 2>&1 3>&- || {
    cat "$dir/create.log" >&2
    return 1
  }
  for node in $nodes; do
    for _ in $(seq 1 400); do
      redis-cli -p "${node#*:}" cluster info | grep -q 'cluster_state:ok' && break
      sleep 0.05
    done
  done
  CLUSTER_PORT="${node#*:}"
  CLUSTER_URL="redis+cluster://$(echo $nodes | tr ' ' ',')/"
  export CLUSTER_PORT CLUSTER_URL
}

stop_bench_cluster() {
  local f
  for f in "$1"/node*/redis.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
}
