#!/usr/bin/env bats
# Output: a reader that never reads stalls nothing; stdout and stderr stay apart and whole;
# GitHub workflow commands in job output never run.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

setup() { mark_setup; }

teardown() {
  [[ -n ${HOLDER:-} ]] && kill "$HOLDER" 2>/dev/null
  kill_marked
}

has_record() { # FILE STATUS: a record with STATUS is in FILE
  grep -q "\"status\":\"$2\"" "$1"
}

# prun writing into a FIFO whose reader never reads (a paused pager, a stuck log shipper).
start_stuck_reader() {
  mkfifo out.fifo
  sleep "$MARK" <out.fifo 3>&- &
  HOLDER=$!
}

@test "a reader that never reads stalls neither timeouts nor cancellation" {
  start_stuck_reader
  for mode in --tag --ungroup --group; do
    rm -f r.jsonl
    printf '%s\n' 'head -c 20000000 /dev/zero | tr "\0" "x" | fold -w 100' 'sleep 30' >jobs.txt
    prun -j 2 $mode --timeout 1s --cancel-grace 2s --results r.jsonl -a jobs.txt >out.fifo 2>&1 3>&- &
    local pid=$!
    # The timeout fires although nothing prun wrote has been read.
    wait_until 20 has_record r.jsonl timeout
    [ "$(field r.jsonl "sleep 30" status)" = timeout ]
    kill -TERM "$pid"
    local status=0
    wait "$pid" || status=$?
    [ "$status" -eq 143 ]
    check_results r.jsonl 2
  done
}

@test "--group prints a job's stdout, then its stderr; --merge-stderr keeps the exact order" {
  job='echo out-1; echo err-1 >&2; printf out-2; echo err-2 >&2; echo; echo out-3'
  run -0 --separate-stderr prun --group --no-progress <<<"$job"
  assert_output "==> [0/1] $job: passed in ${output#*passed in }"
  [ "$(sed 1d <<<"$output")" = $'out-1\nout-2\nout-3\nerr-1\nerr-2' ]
  run -0 prun -q --group --merge-stderr <<<"$job"
  assert_output $'out-1\nerr-1\nout-2err-2\n\nout-3'
}

@test "--group: stdout without a final newline does not run into stderr" {
  run -0 prun -q --group <<<'printf partial; echo err >&2'
  assert_output $'partial\nerr'
}

@test "--tag: a line is never split by the other stream's text" {
  run -0 prun -q --tag <<<'printf part; sleep 0.2; echo err >&2; sleep 0.2; echo ial'
  assert_output $'[0/1] err\n[0/1] partial'
}

# simulate_runner: reads one stream of prun's output as the GitHub runner would and fails on
# a line it would run as a command that prun did not write itself.
simulate_runner() {
  /usr/bin/python3 -c '
import re, sys
stopped = None
for number, line in enumerate(sys.stdin.read().split("\n"), 1):
    v2 = line.lstrip().startswith("::")
    v1 = "##[" in line
    if not (v1 or v2):
        continue
    body = line.lstrip()
    if stopped is not None:
        if body == "::" + stopped + "::":
            stopped = None
        continue
    m = re.fullmatch(r"::stop-commands::(prun-[0-9a-f]{24})", body)
    if m:
        stopped = m.group(1)
        continue
    if v2 and re.match(r"::(group|endgroup)::", body) and not v1:
        continue
    sys.exit(f"line {number} would run as a workflow command: {line!r}")
'
}

@test "GITHUB_ACTIONS: job output runs no workflow command, on any stream, in any mode" {
  cat >jobs.txt <<'EOF2'
echo '::add-mask::secret'; echo '  ::error::out'; echo 'x ##[error]v1' >&2; echo '::warning::err' >&2; exit 1
printf '%s\n' '::set-output name=a::b' '##[add-path]/evil'
EOF2
  for mode in --group --tag --ungroup; do
    for extra in "" "--merge-stderr"; do
      GITHUB_ACTIONS=true run -1 --separate-stderr prun -j 1 $mode $extra --retries 1 -a jobs.txt
      simulate_runner <<<"$output"
      simulate_runner <<<"$stderr"
      # Each stream on its own: the job's text is still there to read.
      [[ "$output$stderr" == *"add-mask"*"secret"* ]]
    done
  done
}

@test "GITHUB_ACTIONS: a plan name with a line break cannot start a command" {
  printf '%s\n' '{"steps": [{"name": "s", "jobs": [{"name": "x\n::error::injected", "command": "exit 1"}]}]}' >plan.json
  GITHUB_ACTIONS=true run -1 --separate-stderr prun -f plan.json
  simulate_runner <<<"$output"
  simulate_runner <<<"$stderr"
}

@test "progress in a CI log is a whole line now and then, never carriage returns; --bar adds a bar" {
  CI=true prun -j 1 --progress-interval 100ms -- 'until [ -e go ]; do sleep 0.05; done; : {}' ::: 1 2 >out.txt 2>err.txt 3>&- &
  local pid=$!
  wait_until 20 bash -c '[ "$(grep -c "^prun: 0 done, 1 running, 1 queued$" err.txt)" -ge 2 ]'
  touch go
  wait "$pid"
  ! grep -q $'\r' err.txt
  ! grep -q $'\e' err.txt
  # Forced (--bar, --eta, --progress) without a CI as well; the bar shows the share done.
  rm go
  prun -j 1 --bar --progress-interval 100ms -- '[ {} = 1 ] || until [ -e go ]; do sleep 0.05; done' ::: 1 2 >out.txt 2>err.txt 3>&- &
  pid=$!
  wait_until 20 grep -Eq '^prun: 1 done, 1 running, 0 queued \[##########\.{10}\] 50%, ETA [0-9.]+m?s$' err.txt
  touch go
  wait "$pid"
  ! grep -q $'\r' err.txt
  # Off: --no-progress wins over a CI, and -q silences it (each job outlives many intervals).
  run -0 --separate-stderr env CI=true prun -j 1 --no-progress --progress-interval 50ms -- sleep 0.5 ::: 1
  [ "$(grep -c '^prun: 0 done' <<<"$stderr")" = 0 ]
  run -0 --separate-stderr prun -j 1 -q --eta --progress-interval 50ms -- sleep 0.5 ::: 1
  [ -z "$stderr" ]
  run -2 prun --bar --no-progress -- true ::: 1
  assert_output "prun: error: --progress, --eta or --bar and --no-progress exclude each other"
}
