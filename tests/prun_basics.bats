#!/usr/bin/env bats
# Job lines, templates, environment, output modes, records and exit codes.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

@test "job lines from stdin run and pass" {
  run -0 prun -j 2 --results r.jsonl <<<$'echo one\n\n# a comment\necho two'
  assert_output --partial "==> [0/1] echo one: passed in"
  assert_output --partial "one"
  assert_output --partial "two"
  check_results r.jsonl 2
  [ "$(field r.jsonl 'echo one' status)" = passed ]
  [ "$(field r.jsonl 'echo one' stdout_tail)" = one ]
}

@test "a failing job makes exit 1, names it and keeps its output in the summary" {
  run -1 --separate-stderr prun -j 2 --results r.jsonl <<<$'echo fine\necho broken >&2; exit 3'
  [[ $stderr == *"[1/2] echo broken >&2; exit 3: failed (exit status 3)"* ]]
  [[ $stderr == *"prun: 2 jobs: 1 passed, 1 failed in"* ]]
  [ "$(field r.jsonl 'echo broken >&2; exit 3' exit_code)" = 3 ]
  [ "$(field r.jsonl 'echo broken >&2; exit 3' stderr_tail)" = broken ]
  check_results r.jsonl 2
}

@test "-a reads job lines from a file" {
  printf 'echo from-file\n' >jobs.txt
  run -0 prun -a jobs.txt
  assert_output --partial "from-file"
}

@test "template mode fills {} {#} {%} and quotes items" {
  run -0 prun -j 1 --ungroup -q -- echo 'item={} job={#} slot={%}' <<<$'a b\n$(touch pwned)'
  assert_line "item=a b job=1 slot=0"
  assert_line 'item=$(touch pwned) job=2 slot=0'
  [ ! -e pwned ]
}

@test "template without {} appends the item" {
  run -0 prun -q --ungroup -- echo x <<<"y"
  assert_output "x y"
}

@test "every job gets its slot, run id and project name" {
  run -0 prun -j 2 --run-id Nightly@1 --env A=1 --slot-env 'HOSTX=h0,h1' --ungroup -q \
    <<<$'echo "$PRUN_JOB $PRUN_SLOT $CI_COMMAND_NUMBER $PRUN_SLOT_COUNT $PRUN_RUN_ID $PROJECT_NAME $A $HOSTX"; sleep 0.3\necho "$PRUN_JOB $PRUN_SLOT $CI_COMMAND_NUMBER $PRUN_SLOT_COUNT $PRUN_RUN_ID $PROJECT_NAME $A $HOSTX"'
  assert_line "1 0 0 2 Nightly@1 nightly-1-0 1 h0"
  assert_line "2 1 1 2 Nightly@1 nightly-1-1 1 h1"
}

@test "--slot-env values may hold commas, and a repeated key adds values" {
  yes 'echo "$PRUN_SLOT:$OPTS"; sleep 0.3' | head -n 3 >jobs.txt
  run -0 prun -j 3 -q --ungroup --slot-env 'OPTS=-Da=1\,2' --slot-env 'OPTS=-Db' --slot-env 'OPTS=x\\' -a jobs.txt
  assert_line '0:-Da=1,2'
  assert_line '1:-Db'
  assert_line '2:x\'
}

@test "two runs get different run ids" {
  a=$(echo 'echo $PRUN_RUN_ID' | prun -q --ungroup)
  b=$(echo 'echo $PRUN_RUN_ID' | prun -q --ungroup)
  [ -n "$a" ] && [ "$a" != "$b" ]
}

@test "--tag prefixes each line with slot and job, stdout and stderr apart" {
  run --separate-stderr prun -j 1 -q --tag <<<$'printf "a\\nb"; echo e >&2'
  [ "$status" -eq 0 ]
  [ "$output" = $'[0/1] a\n[0/1] b' ]
  [ "$stderr" = "[0/1] e" ]
}

@test "--tag --timestamps adds a UTC time" {
  run -0 prun -q --tag --timestamps <<<'echo hi'
  assert_output --regexp '^20[0-9-]{8}T[0-9:.]{12}Z \[0/1\] hi$'
}

@test "output written just before exit is never lost" {
  prun -j 4 -q <<<$'seq 1 20000 | tail -1\nhead -c 300000 /dev/zero | tr "\\0" x; echo; exit 0\nprintf last' >out.txt
  grep -qx 20000 out.txt
  grep -qx last out.txt
  [ "$(awk 'length($0) == 300000 && /^x+$/' out.txt | wc -l)" -eq 1 ]
}

@test "large output does not stall the job (group mode spills to disk)" {
  prun -q --timeout 60s <<<'head -c 5000000 /dev/zero | tr "\0" y | fold -w 100' >out.txt
  [ "$(grep -c '^y\{100\}$' out.txt)" -eq 50000 ]
}

@test "--log-dir keeps one file per job and the record points at it" {
  run -0 prun -q --log-dir logs --results r.jsonl <<<$'echo out; echo err >&2'
  [ -f logs/0001.log ]
  grep -q out logs/0001.log
  grep -q err logs/0001.log
  [ "$(field r.jsonl 'echo out; echo err >&2' log)" = logs/0001.log ]
}

@test "--joblog writes GNU parallel's format" {
  run -1 prun -q --joblog jl.tsv <<<$'true\nexit 5'
  [ "$(head -1 jl.tsv)" = $'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand' ]
  [ "$(wc -l <jl.tsv)" -eq 3 ]
  awk -F'\t' '$9 == "exit 5" && $7 == 5 { found = 1 } END { exit !found }' jl.tsv
}

@test "in GitHub Actions output is grouped and cannot run workflow commands" {
  GITHUB_ACTIONS=true run -0 --separate-stderr prun <<<'echo "::error::injected"'
  [ "${lines[0]:0:9}" = "::group::" ]
  token=$(sed -n 's/^::stop-commands::\(.*\)$/\1/p' <<<"$output")
  [ -n "$token" ]
  [ "${lines[2]}" = "::error::injected" ]
  [ "${lines[3]}" = "::$token::" ]
  [ "${lines[4]}" = "::endgroup::" ]
  [ "${#lines[@]}" -eq 5 ]
  # -q: no group around the output, which still cannot run workflow commands.
  GITHUB_ACTIONS=true run -0 --separate-stderr prun -q <<<'echo "::error::injected"'
  token=$(sed -n 's/^::stop-commands::\(.*\)$/\1/p' <<<"$output")
  [ -n "$token" ]
  [ "${lines[0]}" = "::stop-commands::$token" ]
  [ "${lines[1]}" = "::error::injected" ]
  [ "${lines[2]}" = "::$token::" ]
  [ "${#lines[@]}" -eq 3 ]
  [ "$stderr" = "" ]
}

@test "a command that is not found is an error" {
  run -1 prun -q --results r.jsonl <<<'no-such-command-for-prun'
  [ "$(field r.jsonl no-such-command-for-prun status)" = error ]
  [ "$(field r.jsonl no-such-command-for-prun exit_code)" = 127 ]
}

@test "no jobs is success" {
  run -0 prun -q </dev/null
  assert_output ""
}

@test "bad usage exits 2 with a message naming the flag" {
  run -2 prun --jobs 0 </dev/null
  assert_output --partial "prun: error: --jobs"
  run -2 prun --timeout soon </dev/null
  assert_output --partial "prun: error: --timeout"
  run -2 prun --kill-sequence TERM,x </dev/null
  assert_output --partial "prun: error: --kill-sequence"
  run -2 prun --halt later </dev/null
  assert_output --partial "prun: error: --halt: invalid value 'later'"
  run -2 prun --tag --ungroup </dev/null
  assert_output "prun: error: --group, --tag and --ungroup exclude each other"
  run -2 prun --results /nonexistent/dir/r.jsonl <<<true
  assert_output --partial "prun: error: --results: /nonexistent/dir/r.jsonl:"
  run -2 prun --no-such-flag
  assert_output --partial "prun: error:"
}

@test "a command template is given before -- or after it, never both; --command is no flag" {
  run -2 --separate-stderr prun echo -- x </dev/null
  [ "$stderr" = "prun: error: COMMAND: given both before and after '--' (give it on one side)" ]
  [ "$output" = "" ]
  run -2 --separate-stderr prun -q --command 'echo hi' <<<'echo job'
  [ "$stderr" = "prun: error: --command: unknown option" ]
  [ "$output" = "" ]
  run -2 --separate-stderr prun --command='echo hi' </dev/null
  [ "$stderr" = "prun: error: --command: unknown option" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r -j 1 echo -- x
  [ "$stderr" = "prun: error: TEMPLATE: given both before and after '--' (give it on one side)" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r -j 1 --command x
  [ "$stderr" = "prun: error: --command: unknown option" ]
  # Either side alone is the template; a -- after the first one is the command's own.
  run -0 prun -q --ungroup echo {} <<<a
  assert_output a
  run -0 prun -q --ungroup -- echo {} <<<b
  assert_output b
  run -0 prun -q --ungroup -- echo -- {} <<<c
  assert_output -- "-- c"
}

@test "--help lists flags, environment and exit codes; --version" {
  run -0 prun --help
  assert_output --partial "--timeout"
  assert_output --partial "--kill-sequence"
  assert_output --partial "PROJECT_NAME"
  assert_output --partial "Exit status"
  run -0 prun --version
  assert_output --partial "prun "
}

@test "--dry-run prints the commands in order" {
  run -0 prun --dry-run -- gzip {} <<<$'a\nb c'
  assert_output $'gzip a\ngzip \'b c\''
}

@test "--json prints the summary as one object after the output; -v names each start" {
  run -1 --separate-stderr prun -q -v --json --run-id j1 <<<$'true\nexit 1'
  last=$(tail -1 <<<"$output")
  /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["jobs"] == 2 and d["passed"] == 1 and d["failed"] == 1 and d["exit_code"] == 1 and d["run_id"] == "j1", d' "$last"
  [[ $stderr == *"prun: start [0/1] true"* ]]
}

@test "--joblog - writes to stdout; a timed-out job's Exitval is -1 as in parallel" {
  run -1 --separate-stderr prun -q --ungroup --timeout 0.2s --joblog - <<<$'echo hi\nsleep 5'
  [ "${lines[0]}" = $'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand' ]
  grep -qx hi <<<"$output"
  awk -F'\t' '$9 == "sleep 5" && $7 == -1 && $8 == 15 { found = 1 } END { exit !found }' <<<"$output"
  awk -F'\t' '$9 == "echo hi" && $7 == 0 { found = 1 } END { exit !found }' <<<"$output"
}

@test "a NUL byte in a job line is refused, naming the line" {
  printf 'echo a\necho b\0c\n' >jobs.txt
  run -2 --separate-stderr prun -q --results r.jsonl -a jobs.txt
  [ "$stderr" = "prun: error: jobs.txt:2: a NUL byte in a job line (the shell would see the line cut there; -0 reads NUL-separated items)" ]
}

@test "an unusable TMPDIR fails only the job whose output needed it, with a clear record" {
  TMPDIR=$PWD/missing run -1 --separate-stderr prun -j 1 -q --results r.jsonl <<<$'head -c 2000000 /dev/zero\necho small'
  [ "$(field r.jsonl 'head -c 2000000 /dev/zero' status)" = error ]
  [[ "$(field r.jsonl 'head -c 2000000 /dev/zero' message)" == "output beyond 512 KiB lost: no temporary file in $PWD/missing: No such file or directory" ]]
  [ "$(field r.jsonl 'echo small' status)" = passed ]
  check_results r.jsonl 2
}

@test "-q prints the jobs' output and none of prun's own lines" {
  run -0 prun --help
  assert_output --partial "-q [ --quiet ]"
  assert_output --partial "no headers, summary, progress or notes (jobs'"
  # Without -q: a header per job on stdout, the summary on stderr.
  run -1 --separate-stderr prun -j 1 --progress <<<$'echo data; echo err >&2\necho two; exit 3'
  [ "${lines[0]:0:17}" = "==> [0/1] echo da" ]
  [[ "$stderr" == *"prun: 2 jobs: 1 passed, 1 failed"* ]]
  # With -q, in every output mode: the jobs' output exactly, nothing on stderr but the jobs'.
  for mode in --group -k; do
    run -1 --separate-stderr prun -j 1 -q --progress $mode <<<$'echo data; echo err >&2\necho two; exit 3'
    assert_output $'data\nerr\ntwo'
    [ "$stderr" = "" ]
  done
  run -1 --separate-stderr prun -j 1 -q --progress --ungroup <<<$'echo data; echo err >&2\necho two; exit 3'
  assert_output $'data\ntwo'
  [ "$stderr" = err ]
  run -1 --separate-stderr prun -j 1 -q --retries 1 --tag <<<'echo try; exit 1'
  assert_output $'[0/1] try\n[0/1] try'
  [ "$stderr" = "" ]
  # Errors still print.
  run -2 --separate-stderr prun -q --jobs 0 <<<'true'
  [ "$stderr" = "prun: error: --jobs: 0 is out of range 1..4096" ]
}
