#!/usr/bin/env bats
# lockctl serve: call-me's API, the JSON API, keys, limits, timeouts, TLS and the drain.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }
setup() {
  suite_setup
  printf 'E-MO-TION' | lockctl serve hash-key ci >keys
  printf 'narrow-key' | lockctl serve hash-key narrow 'uat-*' >>keys
}
teardown() {
  [ -f serve.pid ] && kill -KILL "$(cat serve.pid)" 2>/dev/null
  kill_test_pids
}

# start_serve [ARGS]: lockctl serve on a free port; sets PORT and URL.
start_serve() {
  lockctl serve --listen 127.0.0.1:0 --api-keys keys "$@" 2>serve.log 3>&- &
  echo $! >serve.pid
  wait_until 10 grep -q 'listening on' serve.log || { cat serve.log >&2; return 1; }
  URL="$(sed -n 's/^lockctl: listening on //p' serve.log)"
  PORT="${URL##*:}"
}

# redis_state: every key of the suite's namespace with its value, to show nothing changed.
redis_state() {
  redis-cli -p "$REDIS_PORT" --scan --pattern "$CIUTILS_NAMESPACE:*" | sort | while read -r key; do
    echo "$key $(redis-cli -p "$REDIS_PORT" dump "$key" | od -An -tx1 | tr -d ' \n')"
  done
}

status_line() { head -1 | tr -d '\r'; }

@test "call-me's README curl commands give its documented statuses" {
  start_serve
  # GET: the slot is free
  run bash -c "curl -sI -X GET 'http://127.0.0.1:$PORT/maybe?environment=uat' -H 'X-API-KEY: E-MO-TION' | head -1 | tr -d '\r'"
  assert_output 'HTTP/1.1 200 OK'
  # POST: given to the requester
  run bash -c "curl -sI -X POST 'http://127.0.0.1:$PORT/maybe?environment=uat' -H 'X-API-KEY: E-MO-TION' | head -1 | tr -d '\r'"
  assert_output 'HTTP/1.1 201 Created'
  # POST and GET while it is locked
  run bash -c "curl -sI -X POST 'http://127.0.0.1:$PORT/maybe?environment=uat' -H 'X-API-KEY: E-MO-TION' | head -1 | tr -d '\r'"
  assert_output 'HTTP/1.1 403 Forbidden'
  run bash -c "curl -sI -X GET 'http://127.0.0.1:$PORT/maybe?environment=uat' -H 'X-API-KEY: E-MO-TION' | head -1 | tr -d '\r'"
  assert_output 'HTTP/1.1 403 Forbidden'
  # DELETE releases (the README's example says -X POST there, a slip: it is DELETE)
  run bash -c "curl -sI -X DELETE 'http://127.0.0.1:$PORT/maybe?environment=uat' -H 'X-API-KEY: E-MO-TION' | head -1 | tr -d '\r'"
  assert_output 'HTTP/1.1 204 No Content'
  run bash -c "curl -sI -X GET 'http://127.0.0.1:$PORT/maybe?environment=uat' -H 'X-API-KEY: E-MO-TION' | head -1 | tr -d '\r'"
  assert_output 'HTTP/1.1 200 OK'
}

@test "a /maybe slot is a lockctl lease: the CLI sees it, waits for it, and it lasts --default-ttl" {
  start_serve --default-ttl 2s
  run curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/maybe?environment=uat" -H 'X-API-KEY: E-MO-TION'
  assert_output 201
  run lockctl status uat --json
  assert_output --partial '"owner":"http:ci"'
  run -75 lockctl acquire uat --no-wait
  # Never released: the lease ends after --default-ttl and a CLI waiter gets the slot.
  run lockctl acquire uat --wait 20s
  assert_success
  run curl -s -o /dev/null -w '%{http_code}' "$URL/maybe?environment=uat" -H 'X-API-KEY: E-MO-TION'
  assert_output 403
}

@test "bad keys are 401 and malformed requests 400, and nothing changes in Redis" {
  start_serve
  lockctl acquire held >/dev/null
  before="$(redis_state)"
  run curl -s -w ' %{http_code}' -X POST "$URL/maybe?environment=uat"
  assert_output '{"error":"missing or unknown X-API-KEY"} 401'
  run curl -s -w ' %{http_code}' -X POST "$URL/maybe?environment=uat" -H 'X-API-KEY: E-MO-TIONS'
  assert_output '{"error":"missing or unknown X-API-KEY"} 401'
  run curl -s -w ' %{http_code}' -X POST "$URL/maybe" -H 'X-API-KEY: E-MO-TION'
  assert_output '{"error":"missing ?environment=NAME"} 400'
  run curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/maybe?environment=%zz" -H 'X-API-KEY: E-MO-TION'
  assert_output 400
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":'
  assert_output '{"error":"body: expected a JSON object"} 400'
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"db","ttl":"soon"}'
  assert_output --partial ' 400'
  assert_output --partial '"error":"ttl: '
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/release" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"held","token":"nothex"}'
  assert_output --partial ' 400'
  run curl -s -w ' %{http_code}' -X POST "$URL/maybe?environment=prod" -H 'X-API-KEY: narrow-key'
  assert_output '{"error":"key narrow may not lock '\''prod'\''"} 403'
  # not HTTP, a body over 64 KiB, headers over 16 KiB: answered by the HTTP layer, never run
  run -0 /usr/bin/python3 - "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /maybe?environment=uat HTTP/1.1\r\nHost: x\r\nX-API-KEY: E-MO-TION\r\nContent-Length: zz\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())
EOF
  assert_output 'HTTP/1.1 400 Bad Request'
  head -c 70000 /dev/zero | tr '\0' x >big.json
  run curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' --data-binary @big.json
  assert_output 413
  run curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/maybe?environment=uat" -H 'X-API-KEY: E-MO-TION' \
    -H "X-Padding: $(head -c 17000 /dev/zero | tr '\0' x)"
  assert_output 431
  [ "$(redis_state)" = "$before" ]
  ! grep -q 'E-MO-TION\|narrow-key' serve.log  # secrets never logged
}

@test "/v1: acquire waits in the CLI's queue and is woken by the CLI's release; renew, release, status, history, pools" {
  start_serve
  holder="$(lockctl acquire db)"
  curl -s -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"db","wait":"30s","ttl":"30s"}' >grant.json 3>&- &
  waiter=$!
  wait_queue db 1
  lockctl release db --token "$(sed -n 2p <<<"$holder")"
  wait "$waiter"
  token="$(python3 -c 'import json; print(json.load(open("grant.json"))["token"])')"
  run lockctl status db --json
  assert_output --partial "\"token\":\"$token\""
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/renew" -H 'X-API-KEY: E-MO-TION' -d "{\"resource\":\"db\",\"token\":\"$token\",\"ttl\":\"60s\"}"
  assert_output --regexp '^\{"resource":"db","status":"renewed","expires_at":"[0-9T:.-]+Z"\} 200$'
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/release" -H 'X-API-KEY: E-MO-TION' -d "{\"resource\":\"db\",\"token\":\"$token\"}"
  assert_output '{"resource":"db","status":"released"} 200'
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/renew" -H 'X-API-KEY: E-MO-TION' -d "{\"resource\":\"db\",\"token\":\"$token\"}"
  assert_output --partial ' 410'
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"db"}'
  assert_output --partial ' 200'
  run curl -s -w ' %{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"db","wait":"200ms"}'
  assert_output '{"error":"could not acquire db within wait 200ms"} 409'
  run curl -s "$URL/v1/history?resource=db&limit=2" -H 'X-API-KEY: E-MO-TION'
  assert_output --partial '"event":"acquired"'
  lockctl pool set envs e1 e2
  run curl -s "$URL/v1/pools" -H 'X-API-KEY: E-MO-TION'
  assert_output '{"envs":["e1","e2"]}'
  run curl -s -w ' %{http_code}' "$URL/v1/status?pool=envs" -H 'X-API-KEY: E-MO-TION'
  assert_output --partial ' 200'
}

# events_of RESOURCE: its history as "EVENT OWNER FENCE TOKEN" lines, oldest first.
events_of() {
  lockctl history "$1" --json | /usr/bin/python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["event"], e["owner"], e.get("fence", "-"), e["token"])'
}

@test "HTTP long-polls and CLI waiters on one resource share one FIFO queue and are woken by the same push" {
  start_serve
  holder="$(lockctl acquire q | sed -n 2p)"
  redis-cli -p "$REDIS_PORT" monitor >monitor.log 3>&- &
  echo $! >monitor.pid
  wait_until 10 grep -q '^OK' monitor.log
  # six waiters, HTTP and CLI in turn, each queued before the next arrives
  for i in 1 2 3 4 5 6; do
    if ((i % 2)); then
      (
        token="$(curl -sf -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' \
          -d "{\"resource\":\"q\",\"wait\":\"60s\",\"owner\":\"http$i\"}" |
          /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')" || exit 1
        echo "$token" >"w$i.token"
        redis-cli -p "$REDIS_PORT" rpush order "http$i" >/dev/null
        curl -sf -o /dev/null -X POST "$URL/v1/release" -H 'X-API-KEY: E-MO-TION' \
          -d "{\"resource\":\"q\",\"token\":\"$token\"}"
      ) 3>&- &
    else
      lockctl run q --owner "cli$i" --wait 60s -- \
        sh -c "echo \"\$LOCKCTL_TOKEN\" >w$i.token; redis-cli -p $REDIS_PORT rpush order cli$i >/dev/null" 3>&- &
    fi
    pids+=($!)
    wait_queue q "$i"
  done
  run -0 bash -c "lockctl status q --json | /usr/bin/python3 -c 'import json,sys; print(\" \".join(w[\"owner\"] for w in json.load(sys.stdin)[\"queue\"]))'"
  assert_output 'http1 cli2 http3 cli4 http5 cli6'
  lockctl release q --token "$holder"
  for pid in "${pids[@]}"; do wait "$pid"; done
  run -0 redis-cli -p "$REDIS_PORT" lrange order 0 -1
  assert_output "$(printf 'http1\ncli2\nhttp3\ncli4\nhttp5\ncli6')"
  # every waiter, HTTP or CLI, blocked on its own wake-up list and a lock script pushed onto it
  for i in 1 2 3 4 5 6; do
    grep -q "^[0-9.]* \[[0-9]* lua\] \"RPUSH\" \"$CIUTILS_NAMESPACE:{lock:q}:wake:$(cat "w$i.token")\"" monitor.log ||
      { echo "no push woke waiter $i" >&2; false; }
  done
  # and each was granted once, fences in queue order
  run -0 bash -c "lockctl history q --json | /usr/bin/python3 -c 'import json,sys; print(\" \".join(\"%s:%s\" % (e[\"owner\"], e[\"fence\"]) for e in json.load(sys.stdin) if e[\"event\"] == \"acquired\"))'"
  assert_output --regexp ' http1:2 cli2:3 http3:4 cli4:5 http5:6 cli6:7$'
}

@test "kill -9 of lockctl serve: HTTP grants end by their TTL, its waiters leave the queue, nothing is granted twice; a new server serves" {
  start_serve
  run -0 curl -sf -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"env","ttl":"8s","owner":"job-a"}'
  token_a="$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$output")"
  curl -s -w '%{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' \
    -d '{"resource":"env","wait":"60s","owner":"job-b"}' >waiter.out 3>&- &
  waiter=$!
  wait_queue env 1
  kill -KILL "$(cat serve.pid)"
  wait "$(cat serve.pid)" || true
  rc=0
  wait "$waiter" || rc=$?
  assert_equal "$rc" 52  # the connection died with the server: curl's empty reply
  run -0 cat waiter.out
  assert_output 000
  # the grant stays a lease until its TTL; the dead server's waiter stops heartbeating and is dropped
  run -0 lockctl status env --json
  assert_output --partial "\"token\":\"$token_a\""
  run -0 lockctl acquire env --owner cli --wait 30s
  token_cli="$(sed -n 2p <<<"$output")"
  run -0 queue_length env
  assert_output 0
  run -0 events_of env
  assert_line --index 0 "acquired job-a 1 $token_a"
  assert_line "expired job-a 1 $token_a"
  assert_line --regexp '^abandoned job-b - [0-9a-f]{32}$'
  assert_line --index 3 "acquired cli 2 $token_cli"
  assert_equal "${#lines[@]}" 4
  # a server started again queues behind the CLI holder and is granted on its release
  start_serve
  curl -sf -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"env","wait":"60s","owner":"job-c"}' \
    >grant.json 3>&- &
  waiter=$!
  wait_queue env 1
  lockctl release env --token "$token_cli"
  wait "$waiter"
  run -0 /usr/bin/python3 -c 'import json; g = json.load(open("grant.json")); print(g["resources"], g["fence"])'
  assert_output "['env'] 3"
}

@test "50 HTTP clients and 10 CLI clients on one resource never hold it twice" {
  start_serve --rate-limit 0
  redis-cli -p "$REDIS_PORT" del torture:in torture:total torture:overlap >/dev/null
  # the critical section: in, then out with a count of who else was in (two processes, so the
  # turns stay short on a busy machine; the grant's token is read with sed, not an interpreter)
  cat >critical.sh <<EOF
n=\$(redis-cli -p $REDIS_PORT incr torture:in)
redis-cli -p $REDIS_PORT eval "if ARGV[1] ~= '1' then redis.call('incr', KEYS[2]) end redis.call('incr', KEYS[3]) return redis.call('decr', KEYS[1])" 3 torture:in torture:overlap torture:total "\$n" >/dev/null
EOF
  pids=()
  for i in $(seq 1 50); do
    (
      token="$(curl -sf -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"t","wait":"120s"}' |
        sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')"
      [ -n "$token" ] || exit 1
      sh critical.sh
      curl -sf -o /dev/null -X POST "$URL/v1/release" -H 'X-API-KEY: E-MO-TION' -d "{\"resource\":\"t\",\"token\":\"$token\"}"
    ) 3>&- &
    pids+=($!)
  done
  for i in $(seq 1 10); do
    lockctl run t --wait 120s -- sh critical.sh 3>&- &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  [ "$failed" = 0 ]
  [ "$(redis-cli -p "$REDIS_PORT" get torture:total)" = 60 ]
  [ "$(redis-cli -p "$REDIS_PORT" get torture:overlap)" = "" ]
}

@test "a slowloris client is cut after --read-timeout while others are served" {
  start_serve --read-timeout 500ms
  python3 - "$PORT" >slow.out 3>&- <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")   # and never the end of the headers
s.settimeout(30)
print("closed" if s.recv(100) == b"" else "answered")
EOF
  slow=$!
  run curl -s "$URL/healthz"
  assert_output ok
  wait "$slow"
  run cat slow.out
  assert_output closed
}

@test "per-key rate limit answers 429" {
  start_serve --rate-limit 1
  # 20 requests on one kept-alive connection: at 1 a second with bursts of 2, all 20 pass only
  # if they take over 18 s; the first refused one says when to retry
  run -0 /usr/bin/python3 - "$PORT" <<'EOF'
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(20):
    conn.request("GET", "/maybe?environment=uat", headers={"X-API-KEY": "E-MO-TION"})
    answer = conn.getresponse()
    body = answer.read()
    if answer.status == 429:
        print(answer.status, answer.getheader("retry-after"), body.decode())
        break
EOF
  assert_output '429 1 {"error":"too many requests for key ci"}'
}

@test "SIGTERM: a waiting request is answered 503 and leaves the queue, then exit 0" {
  start_serve
  lockctl acquire busy >/dev/null
  curl -s -w ' %{http_code}' -X POST "$URL/v1/acquire" -H 'X-API-KEY: E-MO-TION' -d '{"resource":"busy","wait":"60s"}' >waiter.out 3>&- &
  waiter=$!
  wait_queue busy 1
  kill -TERM "$(cat serve.pid)"
  wait "$(cat serve.pid)"
  wait "$waiter"
  run cat waiter.out
  assert_output '{"error":"the server is stopping"} 503'
  run queue_length busy
  assert_output 0
  run tail -1 serve.log
  assert_output 'lockctl: stopped on SIGTERM'
}

@test "TLS with a certificate from a test CA" {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=testca 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext 2>/dev/null
  start_serve --tls-cert server.pem --tls-key server.key
  [[ "$URL" == https://127.0.0.1:* ]]
  run curl -s --cacert ca.pem -w ' %{http_code}' -X POST "$URL/maybe?environment=uat" -H 'X-API-KEY: E-MO-TION'
  assert_output ' 201'
  run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz"
  assert_output 000
}

@test "usage errors: key file lines, flags" {
  run -2 lockctl serve --listen 127.0.0.1:0
  assert_output 'lockctl: error: --api-keys: missing (make its lines with: lockctl serve hash-key NAME)'
  printf 'abc ci\n' >bad
  run -2 lockctl serve --api-keys bad
  assert_output 'lockctl: error: bad:1: expected the key'"'"'s SHA-256 (64 hex digits) first (make a line with: lockctl serve hash-key NAME)'
  run -2 lockctl serve --api-keys keys --tls-cert x.pem
  assert_output 'lockctl: error: --tls-key: missing (--tls-cert and --tls-key go together)'
  run -2 lockctl serve --api-keys keys --listen nowhere
  assert_output "lockctl: error: --listen: expected HOST:PORT, got 'nowhere'"
  run -3 lockctl serve --api-keys keys --redis redis://127.0.0.1:1/0
  run lockctl serve hash-key ci <<<'E-MO-TION'
  assert_output "$(printf 'E-MO-TION' | sha256sum | cut -d' ' -f1) ci"
}

@test "docs/lockctl-api.yaml matches the live server" {
  start_serve
  run /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/openapi_check.py" "$CIUTILS_SOURCE_DIR/docs/lockctl-api.yaml" "$URL" E-MO-TION
  assert_success
  assert_output ''
}
