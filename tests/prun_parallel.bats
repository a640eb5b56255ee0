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
