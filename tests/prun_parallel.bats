#!/usr/bin/env bats
# GNU parallel's everyday syntax: prun's output compared with parallel's on the same input.

bats_require_minimum_version 1.5.0
load helpers/common

setup() { common_setup; }

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

@test "a replacement string prun does not fill is refused, and ::: without a command" {
  run -2 prun -- echo {1} ::: a
  assert_output "prun: error: replacement string {1} is not supported (prun fills {} {.} {/} {//} {/.} {#} {%})"
  run -2 prun -- echo ::: a ::: b
  assert_output "prun: error: ':::': only one ::: input source is supported"
  run -2 prun -- ::: a
  assert_output "prun: error: ':::' needs a command before it"
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
