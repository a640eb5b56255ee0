#!/usr/bin/env bats
# GNU parallel's everyday syntax: prun's output compared with parallel's on the same input.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

# same_as_parallel ARGS...: prun -j1 --ungroup ARGS and parallel -j1 ARGS print the same.
same_as_parallel() {
  local ours theirs
  ours=$(prun -j 1 -q --ungroup "$@")
  theirs=$(parallel -j 1 "$@")
  if [ "$ours" != "$theirs" ]; then
    printf 'prun:\n%s\nparallel:\n%s\n' "$ours" "$theirs" >&2
    return 1
  fi
}

@test "replacement strings and ::: give what parallel gives" {
  same_as_parallel echo {} {.} {/} {//} {/.} ::: a/b.c x.tar.gz plain /root.d/f 'sp ace/q.x'
  same_as_parallel echo {#} ::: a b c
  same_as_parallel echo pre ::: a b
  printf '%s\n' dir/one.txt two.md >items.txt
  same_as_parallel -a items.txt echo {/.}
}

@test "several input sources are crossed, paired with :::+ or --link, as parallel does" {
  printf '%s\n' x y >f1
  printf '%s\n' 1 2 3 >f2
  same_as_parallel echo ::: a b ::: 1 2
  same_as_parallel echo {2}-{1} ::: a b ::: 1 2
  same_as_parallel echo {1.} {2/} {-1} {1//} {2/.} ::: a.x/b.c 'sp ace/d' ::: d/e.f
  same_as_parallel echo ::: a b c :::+ 1 2 ::: X Y
  same_as_parallel --link echo ::: a b c ::: 1 2
  same_as_parallel --link echo ::: a b ::: 1 2 3 ::: X
  same_as_parallel -a f1 echo ::: a b
  same_as_parallel echo :::: f1 f2
  same_as_parallel -a f1 -a f2 echo
  same_as_parallel -a f1 echo :::: f2 ::: Q
  # Job lines from two sources are joined, as the command, as parallel joins them.
  printf '%s\n' 'echo a' 'echo b' >cmds
  same_as_parallel -a cmds ::: 1 2
  [ "$(prun -j1 -q --ungroup -a cmds ::: 1 2)" = $'a 1\na 2\nb 1\nb 2' ]
  # Without a command, the values after ::: are the commands.
  same_as_parallel ::: 'echo a' 'echo b'
}

@test "each combination is one job, named by its arguments, with a valid record" {
  run -1 prun -j 1 -q --results r2.jsonl -- 'echo {1}{2}; exit $(( {#} == 2 ))' ::: a b ::: '1 2' ''
  [ "$(jq -r '[.name, .status] | @tsv' r2.jsonl)" = $'a 1 2\tpassed\na \tfailed\nb 1 2\tpassed\nb \tpassed' ]
  check_results r2.jsonl 4
}

@test "a replacement string prun does not fill or a position beyond the arguments is refused" {
  run -2 prun -- echo {0} ::: a
  assert_output "prun: error: replacement string {0} is not supported (prun fills {} {.} {/} {//} {/.} {#} {%} and {N} {N.} {N/} {N//} {N/.})"
  run -2 prun -- echo {2} ::: a
  assert_output "prun: error: replacement string {2}: a job has 1 argument (one per input source)"
  run -2 prun -- echo {3.} ::: a ::: b
  assert_output "prun: error: replacement string {3}: a job has 2 arguments (one per input source)"
  run -2 prun -N 2 -- echo {-3} ::: a
  assert_output "prun: error: replacement string {3}: a job has 2 arguments (--max-args)"
  run -2 prun -- echo :::+ a
  assert_output "prun: error: ':::+' needs an input source before it"
  run -2 prun -- echo ::::
  assert_output "prun: error: '::::' needs a file after it"
  run -2 prun -- echo :::: missing
  assert_output "prun: error: '::::': missing: No such file or directory"
  run -2 prun -a missing -- echo ::: a
  assert_output "prun: error: --arg-file: missing: No such file or directory"
}

@test "-0, -d, -N and -X cut the input as parallel does" {
  printf 'a\0b c\0\0d\ne' >nul.txt
  same_as_parallel -0 -a nul.txt echo x{}y
  printf 'a,b,,c\n' >comma.txt
  same_as_parallel -d , -a comma.txt echo x{}y
  printf 'a::b::c' >colons.txt
  same_as_parallel -d :: -a colons.txt echo
  seq 5 >five.txt
  same_as_parallel -N 2 -a five.txt echo {1}-{2}
  same_as_parallel -N 2 -a five.txt echo
  same_as_parallel -N 3 echo {} {#} ::: a b c d
  same_as_parallel -N 0 echo hi ::: a b
  # -X: every item in as few jobs as there are slots, a word with {} repeated per item.
  [ "$(prun -j 2 -q -k -X -- echo x{}y ::: 1 2 3 4 5 | grep -v '^==> ')" = "$(parallel -j 2 -k -X echo x{}y ::: 1 2 3 4 5)" ]
  [ "$(prun -j 2 --dry-run -X -- echo pre {} ::: 1 'a b' 3)" = $'echo pre 1 \'a b\'\necho pre 3' ]
  run -2 prun -d '\q' -- echo ::: a
  assert_output "prun: error: --delimiter: unknown escape '\q' in '\q'"
  run -2 prun -d '' -- echo ::: a
  assert_output "prun: error: --delimiter: empty value"
  run -2 prun -0 -d , -- echo ::: a
  assert_output "prun: error: --delimiter and --null exclude each other"
  run -2 prun -N 2 -- echo ::: a ::: b
  assert_output "prun: error: --max-args works with one input source"
  run -2 prun -X -N 2 -- echo ::: a
  assert_output "prun: error: -X and --max-args exclude each other"
  run -2 prun -X
  assert_output "prun: error: -X needs a command template"
}

@test "empty items are kept as empty arguments, as parallel keeps them; --skip-empty drops them" {
  printf 'a\n\n  \nb\n' >items.txt
  same_as_parallel -a items.txt echo x{}y
  same_as_parallel -r -a items.txt echo x{}y
  [ "$(prun -j1 -q --ungroup --skip-empty -a items.txt -- echo x{}y)" = $'xay\nxby' ]
  run -0 prun -j1 -q --results r.jsonl -a items.txt -- true
  [ "$(jq -r .name r.jsonl)" = $'a\n\'\'\n  \nb' ]
  check_results r.jsonl 4
  # Job lines: a blank line is no command, so it is no job (parallel runs it as an empty one).
  printf 'echo a\n\necho b\n' >jobs.txt
  run -0 prun -j1 -q --ungroup -a jobs.txt
  assert_output $'a\nb'
}

@test "-k prints in input order, as parallel -k, each job as soon as those before it are done" {
  # Later items finish first; the order on stdout is still the input's.
  ours=$(prun -j 3 -q -k -- 'sleep {}; echo {}' ::: 0.6 0.1 0.3 | grep -v '^==> ')
  theirs=$(parallel -j 3 -k 'sleep {}; echo {}' ::: 0.6 0.1 0.3)
  [ "$ours" = "$theirs" ]
  [ "$ours" = $'0.6\n0.1\n0.3' ]
  # Streaming: job 1's block is out while job 3 still runs (it waits for a file we create).
  prun -j 3 -q -k -- 'if [ {} = 3 ]; then until [ -e go ]; do sleep 0.05; done; fi; echo item-{}' ::: 1 2 3 >out.txt 3>&- &
  local pid=$!
  wait_until 20 grep -qx item-2 out.txt
  grep -qx item-1 out.txt
  ! grep -q item-3 out.txt
  touch go
  wait "$pid"
  [ "$(grep -v '^==> ' out.txt)" = $'item-1\nitem-2\nitem-3' ]
}

@test "-k keeps every attempt of a retried job together, in order" {
  run -0 prun -j 2 -q -k --retries 1 -- 'sleep {}; [ -e m{#} ] || { touch m{#}; echo try-{}; exit 1; }; echo ok-{}' ::: 0.4 0.1
  [ "$(grep -v '^==> ' <<<"$output")" = $'try-0.4\nok-0.4\ntry-0.1\nok-0.1' ]
  run -2 prun -k --tag -- echo ::: a
  assert_output "prun: error: --keep-order works with --group only"
}

@test "--tagstring prefixes lines as parallel does, and cannot start a workflow command" {
  [ "$(prun -j 1 -q --tagstring '{}-{#}' -- echo ::: a b)" = "$(parallel -j 1 --tagstring '{}-{#}' echo ::: a b)" ]
  [ "$(prun -j 1 -q --tagstring '{2}/{1.}' -- echo ::: x.c ::: 1)" = $'1/x\tx.c 1' ]
  # Job lines: {} is the line.
  [ "$(prun -j 1 -q --tagstring 'job {#}: {}' <<<'echo hi')" = $'job 1: echo hi\thi' ]
  run -0 env GITHUB_ACTIONS=true prun -j 1 -q --tagstring '{}' -- echo ::: '::error::x'
  [ "$output" = $':\u200b:error::x\t:\u200b:error::x' ]
  run -2 prun --tagstring '{0}' -- echo ::: a
  assert_output "prun: error: --tagstring: replacement string {0} is not supported"
  run -2 prun --tagstring x --group -- echo ::: a
  assert_output "prun: error: --tagstring is --tag: it excludes --group and --ungroup"
}

@test "--no-shell runs the words as argv: nothing is re-parsed, a missing program is the job's error" {
  run -0 prun -j 1 -q --ungroup --no-shell --results r.jsonl -- printf '<%s>\n' {} ::: 'a b' '$(touch x)' "it's"
  assert_output $'<a b>\n<$(touch x)>\n<it\'s>'
  [ ! -e x ] && [ ! -e '$(touch' ]
  # Without {}, the items are appended one argument each; the record shows the argv quoted.
  run -0 prun -j 1 -q --ungroup --no-shell --results r2.jsonl -- printf '[%s]' ::: 'a;b'
  assert_output '[a;b]'
  [ "$(jq -r .command r2.jsonl)" = "printf '[%s]' 'a;b'" ]
  run -0 prun --no-shell --dry-run -- echo x{}y {} ::: 'a b'
  assert_output "echo 'xa by' 'a b'"
  run -1 prun -j 1 -q --ungroup --no-shell --results r3.jsonl -- no-such-program {} ::: a
  assert_output "prun: no-such-program: command not found"
  [ "$(jq -r '[.status, .exit_code, .message] | @tsv' r3.jsonl)" = $'error\t127\tcommand not found (exit 127)' ]
  check_results r3.jsonl 1
  run -2 prun --no-shell <<<'echo a'
  assert_output "prun: error: --no-shell needs a command template"
}
