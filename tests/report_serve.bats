#!/usr/bin/env bats
# report serve: the live dashboard, /metrics and /api/runs from a real Redis, scraped by
# Debian's prometheus and rendered by headless chromium.

load helpers/suite
load helpers/report_common
load helpers/report_browser
load helpers/redis_tls

setup_file() { suite_start redis main_serve; }

teardown() {
  kill_test_pids
}

# serve_start NAME [FLAGS...]: report serve on a free port in the background; waits for its
# "serving URL" line and sets <NAME>_URL. Its stderr and pid are NAME.err and NAME.pid in the
# test's directory (killed by its teardown), or for main, the file's one server, among the
# servers the suite stops after the file.
serve_start() {
  local name="$1" dir="${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}"
  shift
  if [ "$name" = main ]; then
    dir="$BATS_FILE_TMPDIR/servers"
    mkdir -p "$dir"
  fi
  report serve --listen 127.0.0.1:0 "$@" 2>"$dir/$name.err" 3>&- &
  echo $! >"$dir/$name.pid"
  wait_until 15 grep -q '^report: serving http' "$dir/$name.err" || {
    cat "$dir/$name.err" >&2
    return 1
  }
  local url
  url="$(sed -n 's/^report: serving \(http[^ ]*\) from .*/\1/p' "$dir/$name.err")"
  printf -v "$(echo "$name" | tr 'a-z' 'A-Z')_URL" '%s' "$url"
}

start_main_serve() {
  serve_start main --rescan 0
  export MAIN_URL
}

# store STATUS NAME CLASSNAME DURATION RUN: one stored run of one test.
store() {
  printf '{"name":"%s","classname":"%s","status":"%s","duration_s":%s,"run_id":"%s"}\n' "$2" "$3" "$1" "$4" "$5" >r.jsonl
  report store -q r.jsonl
}

# The hostile names every page and /metrics must carry as text.
store_hostile() {
  /usr/bin/python3 - <<'EOF' >r.jsonl
import json
for name, cls, status in [('<script>alert(1)</script>', 'web"><img src=x onerror=alert(2)>', 'failed'),
                          ('line\nbreak "quoted" \\ back', 'web.e2e', 'passed'),
                          ('search', 'web.e2e', 'flaky')]:
    print(json.dumps({"name": name, "classname": cls, "status": status, "duration_s": 1.25, "run_id": "run-1"}))
EOF
  report store -q r.jsonl
}

@test "every path answers: pages, /api/runs, /health; 404, 405 and 400 for the rest" {
  store passed login web.e2e 1 run-1
  store failed login web.e2e 2 run-2
  run -0 curl -sS -f "$MAIN_URL/"
  assert_output --partial '<a class="suite" href="/suite/web.e2e">web.e2e</a>'
  assert_output --partial '<meta http-equiv="refresh" content="10">'
  run -0 curl -sS -f "$MAIN_URL/suite/web.e2e"
  assert_output --partial '<table id="test-history">'
  assert_output --partial '<a id="home" href="/">'
  run -0 curl -sS -f "$MAIN_URL/api/runs?last=1"
  assert_output --regexp '^\{"runs":\[\{"run_id":"run-2","at":"[0-9T:.Z-]+","commit":"","branch":"","tests":1,"failures":1,"flaky":0,"skipped":0,"duration_s":2E0\}\]\}$'
  run -0 curl -sS "$MAIN_URL/api/runs"
  assert_output --partial '"run_id":"run-1"'
  run -0 curl -sS -f "$MAIN_URL/health"
  assert_output ok
  run -0 curl -sS -o /dev/null -w '%{http_code}' "$MAIN_URL/suite/nope"
  assert_output 404
  run -0 curl -sS -o /dev/null -w '%{http_code}' "$MAIN_URL/nope"
  assert_output 404
  run -0 curl -sS -X POST -D - -o /dev/null "$MAIN_URL/"
  assert_line --index 0 --partial '405'
  assert_output --partial 'allow: GET'
  run -0 curl -sS -w ' %{http_code}' "$MAIN_URL/api/runs?last=0"
  assert_output "?last: 0 is out of range 1..100000
 400"
}

# events_since ID [CURL ARGS]: /events of the main server into events.txt (curl in the
# background, its pid in events.pid) once the stream has begun.
events_since() {
  local since="$1"
  shift
  curl -sS -N -D events.head "$@" "$MAIN_URL/events${since:+?since=$since}" >events.txt 3>&- &
  echo $! >events.pid
  wait_until 10 grep -q '^: waiting for runs' events.txt
}

newest_run_id() { redis-cli -p "$REDIS_PORT" xrevrange "$CIUTILS_NAMESPACE:{report}:runs" + - COUNT 1 | head -1; }

@test "/events: each run stored arrives as a server-sent event; the pages reload on them, the meta refresh without JavaScript" {
  store passed login web.e2e 1 run-1
  run -0 curl -sS -f "$MAIN_URL/"
  assert_output --partial "<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"
  assert_output --partial "img-src data:; connect-src 'self'\">"
  assert_output --partial "<html lang=\"en\" data-events=\"/events?since=$(newest_run_id)\" data-refresh=\"10\">"
  run -0 curl -sS -f "$MAIN_URL/suite/web.e2e"
  assert_output --partial "data-events=\"/events?since=$(newest_run_id)\""
  events_since "$(newest_run_id)"
  run -0 grep -i '^content-type: text/event-stream' events.head
  run ! grep -q '^event:' events.txt
  store failed login web.e2e 2 run-2
  wait_until 10 grep -q '^data: ' events.txt
  run -0 grep -v '^$' events.txt
  assert_output --regexp '^retry: 5000
: waiting for runs
id: '"$(newest_run_id)"'
event: run
data: \{"run_id":"run-2","at":"[0-9T:.Z-]+","commit":"","branch":"","tests":1,"failures":1,"flaky":0,"skipped":0,"duration_s":2E0\}$'
}

@test "/events: a page that missed a run is told at once (?since= or Last-Event-ID); one that did not is not" {
  store passed login web.e2e 1 run-1
  old="$(newest_run_id)"
  store passed login web.e2e 1 run-2
  events_since "$old"
  wait_until 10 grep -q '^data: {"run_id":"run-2"' events.txt
  kill "$(cat events.pid)"
  events_since "" -H "Last-Event-ID: $old"
  wait_until 10 grep -q '^data: {"run_id":"run-2"' events.txt
  kill "$(cat events.pid)"
  events_since "$(newest_run_id)"
  store passed login web.e2e 1 run-3
  wait_until 10 grep -q '^event: run' events.txt
  run -0 grep '^data: ' events.txt
  assert_output --regexp '^data: \{"run_id":"run-3",'
  assert_equal "${#lines[@]}" 1
}

@test "/metrics passes promtool and holds runs by suite and status, last status and duration, running tasks, alerts" {
  store passed login web.e2e 1.5 run-1
  store failed login web.e2e 2.25 run-2
  store passed ping api 0.1 run-3
  schedule enqueue -q --queue canary --name login '{}'
  run -0 schedule take --queue canary --visibility 5m
  redis-cli -p "$REDIS_PORT" hset "$CIUTILS_NAMESPACE:{notify:opm/opm-tests-1}:state" alerting 1 failures 3 >/dev/null
  run -0 curl -sS -f -D headers.txt -o metrics.txt "$MAIN_URL/metrics"
  run -0 grep -i '^content-type: text/plain; version=0.0.4' headers.txt
  run -0 promtool check metrics <metrics.txt
  run -0 grep -v '^#' metrics.txt
  assert_output - <<EOF
ciutils_notify_alerting{key="opm/opm-tests-1"} 1
ciutils_notify_alert_failures{key="opm/opm-tests-1"} 3
ciutils_report_runs_finished_total{suite="api",status="passed"} 1
ciutils_report_runs_finished_total{suite="web.e2e",status="passed"} 1
ciutils_report_runs_finished_total{suite="web.e2e",status="failed"} 1
ciutils_report_runs_running{queue="canary",schedule="login"} 1
ciutils_report_test_last_status{suite="api",test="ping",status="passed"} 1
ciutils_report_test_last_status{suite="web.e2e",test="login",status="failed"} 1
ciutils_report_test_last_duration_seconds{suite="api",test="ping"} 0.1
ciutils_report_test_last_duration_seconds{suite="web.e2e",test="login"} 2.25
ciutils_report_stored_tests 2
$(grep '^ciutils_report_last_run_timestamp_seconds ' metrics.txt)
ciutils_report_series_dropped 0
EOF
  run -0 grep -c '^ciutils_report_last_run_timestamp_seconds 1[0-9]\{9\}' metrics.txt
}

@test "hostile names are escaped on every page and in /metrics" {
  store_hostile
  run -0 curl -sS -f -o overview.html "$MAIN_URL/"
  run -0 grep -c '<script' overview.html
  assert_output 2
  run -0 grep -c '&lt;script&gt;alert(1)&lt;/script&gt;' overview.html
  run -0 grep -o 'href="/suite/web%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E">web&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</a>' overview.html
  run -0 curl -sS -f -o suite.html "$MAIN_URL/suite/web%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E"
  run ! grep -q '<img' suite.html
  run -0 grep -c '&lt;script&gt;alert(1)&lt;/script&gt;' suite.html
  run -0 curl -sS -f -o metrics.txt "$MAIN_URL/metrics"
  run -0 promtool check metrics <metrics.txt
  run -0 grep -F 'ciutils_report_test_last_status{suite="web.e2e",test="line\nbreak \"quoted\" \\ back",status="passed"} 1' metrics.txt
}

@test "headless chromium renders the live overview and a suite's page, scripts clean, hostile names as text" {
  store passed login web.e2e 1 run-1
  store failed login web.e2e 2 run-2
  store passed ping api 0.1 run-2
  store_hostile
  report_browser --dump-dom "$MAIN_URL/" >"$BATS_TEST_TMPDIR/dom.html" 2>"$BATS_TEST_TMPDIR/browser.log"
  assert_page_clean
  run -0 grep -o '<a class="suite" href="/suite/[^"]*">[^<]*</a>' "$BATS_TEST_TMPDIR/dom.html"
  assert_equal "${#lines[@]}" 3
  assert_line --partial '>api</a>'
  assert_line --partial '>web.e2e</a>'
  # the <script> test name stayed text: the DOM holds only the page's own two scripts
  run -0 grep -o '<script' "$BATS_TEST_TMPDIR/dom.html"
  assert_equal "${#lines[@]}" 2
  run ! grep -q '<img' "$BATS_TEST_TMPDIR/dom.html"
  report_browser --dump-dom "$MAIN_URL/suite/web.e2e" >"$BATS_TEST_TMPDIR/dom.html" 2>"$BATS_TEST_TMPDIR/browser.log"
  assert_page_clean
  run -0 grep -c '<table id="flaky-tests">' "$BATS_TEST_TMPDIR/dom.html"
  run -0 grep -o '<h1>web.e2e — Test dashboard — failed</h1>' "$BATS_TEST_TMPDIR/dom.html"
  # a screenshot of the live overview: a PNG of the window's size
  report_browser --window-size=1280,900 --screenshot="$BATS_TEST_TMPDIR/overview.png" "$MAIN_URL/" 2>/dev/null
  run -0 /usr/bin/python3 -c '
import struct, sys
png = open(sys.argv[1], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", "not a PNG"
print("%dx%d" % struct.unpack(">II", png[16:24]))' "$BATS_TEST_TMPDIR/overview.png"
  assert_output 1280x900
}

@test "prometheus scrapes report serve and its HTTP API returns the expected series" {
  store passed login web.e2e 1 run-1
  store failed login web.e2e 2 run-2
  local port
  port="$(free_port)"
  cat >prometheus.yml <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: report
    static_configs:
      - targets: ['${MAIN_URL#http://}']
EOF
  run -0 promtool check config prometheus.yml
  prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb --web.listen-address="127.0.0.1:$port" \
    >prometheus.log 2>&1 3>&- &
  echo $! >prometheus.pid
  query() {
    curl -sS -f "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1" | /usr/bin/python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    m = r["metric"]
    print(",".join(k + "=" + m[k] for k in sorted(m) if k not in ("instance", "job")), r["value"][1])' | sort
  }
  scraped() { [ -n "$(query 'ciutils_report_runs_finished_total')" ]; }
  wait_until 60 scraped || { cat prometheus.log >&2; false; }
  run -0 query 'up{job="report"}'
  assert_output "__name__=up 1"
  run -0 query 'ciutils_report_runs_finished_total'
  assert_output - <<EOF
__name__=ciutils_report_runs_finished_total,status=failed,suite=web.e2e 1
__name__=ciutils_report_runs_finished_total,status=passed,suite=web.e2e 1
EOF
  run -0 query 'ciutils_report_test_last_status == 1'
  assert_output "__name__=ciutils_report_test_last_status,status=failed,suite=web.e2e,test=login 1"
}

@test "--max-series leaves out what does not fit, counts it and warns once" {
  for i in $(seq 1 80); do
    printf '{"name":"t%02d","classname":"s","status":"passed","duration_s":1}\n' "$i"
  done >r.jsonl
  report store -q r.jsonl
  serve_start capped --max-series 100
  run -0 curl -sS -f -o metrics.txt "$CAPPED_URL/metrics"
  run -0 promtool check metrics <metrics.txt
  run -0 grep -c '^ciutils_report_test_last_status{' metrics.txt
  assert_output 49
  run -0 grep '^ciutils_report_series_dropped ' metrics.txt
  assert_output "ciutils_report_series_dropped 62"
  run -0 curl -sS -f -o /dev/null "$CAPPED_URL/metrics"
  run -0 grep -c 'warning: /metrics left out 62 series to stay within --max-series 100' "$BATS_TEST_TMPDIR/capped.err"
  assert_output 1
}

@test "--rescan: alert keys are found by a scan reused that long; their values are read on every scrape" {
  key="$CIUTILS_NAMESPACE:{notify:web/login}:state"
  redis-cli -p "$REDIS_PORT" hset "$key" alerting 0 failures 0 >/dev/null
  serve_start slow --rescan 1h
  run -0 curl -sS -f "$SLOW_URL/metrics"
  assert_line 'ciutils_notify_alerting{key="web/login"} 0'
  redis-cli -p "$REDIS_PORT" hset "$key" alerting 1 failures 2 >/dev/null
  redis-cli -p "$REDIS_PORT" hset "$CIUTILS_NAMESPACE:{notify:api/new}:state" alerting 1 failures 1 >/dev/null
  run -0 curl -sS -f "$SLOW_URL/metrics"
  assert_line 'ciutils_notify_alerting{key="web/login"} 1'
  refute_line --partial 'key="api/new"'
  run -0 curl -sS -f "$MAIN_URL/metrics"
  assert_line 'ciutils_notify_alerting{key="api/new"} 1'
  redis-cli -p "$REDIS_PORT" del "$key" >/dev/null
  run -0 curl -sS -f "$SLOW_URL/metrics"
  refute_line --partial 'key="web/login"'
}

@test "Redis going away: 503 naming it, and answers (and run events) again once it is back; unreachable at start: exit 3" {
  run -3 report serve --listen 127.0.0.1:0 --redis "redis://:hunter2@127.0.0.1:1/0"
  assert_output --partial "report: error: cannot connect to Redis at redis://:***@127.0.0.1:1/0"
  refute_output --partial hunter2
  local rport
  rport="$(free_port)"
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$BATS_TEST_TMPDIR/r2.pid" --logfile "$BATS_TEST_TMPDIR/r2.log" 3>&-
  wait_until 10 redis-cli -p "$rport" ping
  serve_start flaky --redis "redis://127.0.0.1:$rport/0"
  run -0 curl -sS -o /dev/null -w '%{http_code}' "$FLAKY_URL/health"
  assert_output 200
  curl -sS -N "$FLAKY_URL/events" >events.txt 3>&- &
  echo $! >events.pid
  wait_until 10 grep -q '^: waiting for runs' events.txt
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  run -0 curl -sS -w ' %{http_code}' "$FLAKY_URL/metrics"
  assert_output --regexp "^redis: .*127\.0\.0\.1:$rport.* 503$"
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$BATS_TEST_TMPDIR/r2.pid" --logfile "$BATS_TEST_TMPDIR/r2.log" 3>&-
  wait_until 10 redis-cli -p "$rport" ping
  run -0 curl -sS -o /dev/null -w '%{http_code}' "$FLAKY_URL/health"
  assert_output 200
  # the page that kept its event stream hears of the next run stored
  printf '{"name":"a","classname":"s","status":"passed","duration_s":1,"run_id":"after"}\n' >r.jsonl
  report store -q --redis "redis://127.0.0.1:$rport/0" r.jsonl
  wait_until 20 grep -q '^data: {"run_id":"after"' events.txt
}

@test "--tls-cert and --tls-key: HTTPS only, with the test CA's certificate" {
  make_tls_certificates "$BATS_TEST_TMPDIR/tls"
  store passed login web.e2e 1 run-1
  serve_start secure --tls-cert "$BATS_TEST_TMPDIR/tls/server.crt" --tls-key "$BATS_TEST_TMPDIR/tls/server.key"
  [[ "$SECURE_URL" == https://127.0.0.1:* ]]
  run -0 curl -sS -f --cacert "$BATS_TEST_TMPDIR/tls/ca.crt" "$SECURE_URL/metrics"
  assert_output --partial 'ciutils_report_test_last_status{suite="web.e2e",test="login",status="passed"} 1'
  # a client that does not trust the CA is refused; plain HTTP gets no page
  run ! curl -sS -f --cacert "$BATS_TEST_TMPDIR/tls/other-ca.crt" "$SECURE_URL/metrics"
  run ! curl -sS -f "http://${SECURE_URL#https://}/metrics"
  run -2 report serve --tls-cert "$BATS_TEST_TMPDIR/tls/missing.crt" --tls-key "$BATS_TEST_TMPDIR/tls/server.key"
  assert_output --partial "report: error:"
  assert_output --partial "missing.crt"
}

@test "SIGTERM ends it with exit 143, ending the event streams; bad flags are exit 2 naming the flag" {
  serve_start stopping
  local pid
  pid="$(cat "$BATS_TEST_TMPDIR/stopping.pid")"
  curl -sS -N "$STOPPING_URL/events" >events.txt 3>&- &
  local watcher=$!
  wait_until 10 grep -q '^: waiting for runs' events.txt
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 143
  wait "$watcher"  # its stream ended properly (curl exits 0)
  run -2 report serve --listen nonsense
  assert_output "report: error: --listen: 'nonsense' is not HOST:PORT (e.g. 127.0.0.1:8080)"
  run -2 report serve --listen 127.0.0.1:99999
  assert_output --partial "report: error: --listen:"
  run -2 report serve --tls-cert cert.pem
  assert_output "report: error: --tls-key: missing (--tls-cert and --tls-key go together)"
  run -2 report serve --refresh soon
  assert_output --partial "report: error: --refresh:"
  run -2 report serve --namespace 'a:b'
  assert_output --partial "report: error: --namespace:"
}
