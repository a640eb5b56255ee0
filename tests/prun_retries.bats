#!/usr/bin/env bats
# --retries, flaky jobs, --fail-on-flaky and --halt.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

flaky_job='if [ -e seen ]; then echo second; else touch seen; echo first; exit 1; fi'

@test "a job passing on retry is flaky and the run passes" {
  run -0 --separate-stderr prun --retries 2 --results r.jsonl <<<"$flaky_job"
  [ "$(field r.jsonl "$flaky_job" status)" = flaky ]
  [ "$(field r.jsonl "$flaky_job" attempts)" = 2 ]
  [ "$(field r.jsonl "$flaky_job" stdout_tail)" = second ]
  check_results r.jsonl 1
  [[ $output == *"retrying (attempt 2 of 3)"* ]]
}

@test "--retry-other-slot runs the retry on another slot, the next job takes the free one" {
  printf '%s\n' "$flaky_job" 'sleep 1' 'echo third' >jobs.txt
  run -0 prun -j 2 -q --retries 1 --retry-other-slot --results r.jsonl -a jobs.txt
  [ "$(field r.jsonl "$flaky_job" status)" = flaky ]
  [ "$(field r.jsonl "$flaky_job" slot)" = 1 ]
  [ "$(field r.jsonl 'echo third' slot)" = 0 ]
  # Without the flag the retry takes the first free slot: the one it failed on.
  rm seen
  run -0 prun -j 2 -q --retries 1 --results r2.jsonl -a jobs.txt
  [ "$(field r2.jsonl "$flaky_job" slot)" = 0 ]
}

@test "--fail-on-flaky turns flaky into a failure" {
  run -1 prun -q --retries 1 --fail-on-flaky --results r.jsonl <<<"$flaky_job"
  [ "$(field r.jsonl "$flaky_job" status)" = flaky ]
}

@test "a job failing every attempt fails with all attempts counted" {
  run -1 prun -q --retries 2 --results r.jsonl <<<'exit 4'
  [ "$(field r.jsonl 'exit 4' status)" = failed ]
  [ "$(field r.jsonl 'exit 4' attempts)" = 3 ]
}

@test "timeouts are retried too" {
  run -1 prun -q --retries 1 --timeout 0.1s --results r.jsonl <<<'sleep 5'
  [ "$(field r.jsonl 'sleep 5' status)" = timeout ]
  [ "$(field r.jsonl 'sleep 5' attempts)" = 2 ]
}

@test "default keeps going after a failure" {
  run -1 prun -j 1 -q --results r.jsonl <<<$'exit 1\necho a\necho b'
  [ "$(field r.jsonl 'echo b' status)" = passed ]
}

@test "--halt soon stops dispatching and lets running jobs finish" {
  run -1 prun -j 2 -q --halt soon --results r.jsonl <<<$'sleep 0.5; echo slow\nexit 1\necho later'
  [ "$(field r.jsonl 'sleep 0.5; echo slow' status)" = passed ]
  [ "$(field r.jsonl 'echo later' status)" = skipped ]
  check_results r.jsonl 3
}

@test "--halt now kills running jobs" {
  run -1 prun -j 2 -q --halt now --results r.jsonl <<<$'sleep 30\nsleep 0.2; exit 1\necho later'
  [ "$(field r.jsonl 'sleep 30' status)" = error ]
  [[ "$(field r.jsonl 'sleep 30' message)" == "stopped by --halt now"* ]]
  [ "$(field r.jsonl 'echo later' status)" = skipped ]
}

@test "--halt fail=2 stops after the second failure" {
  run -1 prun -j 1 -q --halt fail=2 --results r.jsonl <<<$'exit 1\necho ok\nexit 2\necho never'
  [ "$(field r.jsonl 'echo ok' status)" = passed ]
  [ "$(field r.jsonl 'echo never' status)" = skipped ]
}

@test "--resume skips what the results file has; --resume-failed reruns what did not pass" {
  printf '%s\n' 'echo a >>ran' 'exit 1' 'echo c >>ran' >jobs.txt
  # A first run stopped after the first job: the rest were skipped.
  run -1 prun -j 1 -q --halt now --results r.jsonl <<<$'exit 1\necho a >>ran\necho c >>ran'
  [ ! -e ran ]
  run -0 prun -j 1 -q --resume --results r.jsonl -a jobs.txt  # 'exit 1' ran already
  [ "$(cat ran)" = $'a\nc' ]
  # Appended: the first run's records are kept, a record per job run now is added.
  check_results r.jsonl 5
  rm ran
  run -0 prun -j 1 -q --resume --results r.jsonl -a jobs.txt
  [ ! -e ran ]  # everything has a record now: nothing to do
  run -1 prun -j 1 -q --resume-failed --results r.jsonl -a jobs.txt
  [ ! -e ran ]  # only 'exit 1' ran again
  [ "$(grep -c '"name":"exit 1"' r.jsonl)" -eq 2 ]
}

@test "--retry-failed reruns the failed jobs from their records alone" {
  run -1 prun -j 2 -q --results r.jsonl -- 'echo {} >>ran-{}; [ {} != b ]' ::: a b c
  rm ran-*
  run -1 prun -q --retry-failed --results r.jsonl </dev/null
  [ "$(ls ran-*)" = ran-b ]
  run -2 prun -q --retry-failed </dev/null
  assert_output "prun: error: --retry-failed needs --results FILE (the earlier run's records)"
  run -2 prun -q --resume --retry-failed --results r.jsonl </dev/null
  assert_output "prun: error: --resume, --resume-failed and --retry-failed exclude each other"
}
