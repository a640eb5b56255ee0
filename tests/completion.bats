#!/usr/bin/env bats
# The bash completions written from each tool's --help (scripts/tool-docs, at build time):
# every tool completes its subcommands, their words and flags, and registers under its
# installed name (CIUTILS_PROGRAM_PREFIX).

load helpers/common

setup() {
  common_setup
  COMPLETIONS="$CIUTILS_BUILD_DIR/share/bash-completion/completions"
}

# complete_words FILE WORD...: what bash completes for the command line WORD... (the last
# word is the one being completed), with the completion loaded from FILE.
complete_words() {
  local file="$1"
  shift
  bash -c '
    source "$1"; shift
    name="$(complete -p | awk "{print \$NF}" | tail -1)"
    fn="$(complete -p "$name" | sed -E "s/.*-F ([^ ]+).*/\1/")"
    COMP_WORDS=("$name" "$@"); COMP_CWORD=$#
    "$fn"
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$file" "$@"
}

@test "every built tool has a completion that bash loads" {
  for tool in $(ls "$CIUTILS_BUILD_DIR/bin" | grep -v '_test$'); do
    [ -f "$COMPLETIONS/$tool" ] || fail "no completion for $tool"
    run bash -c "source '$COMPLETIONS/$tool' && complete -p $tool"
    assert_success
    assert_output "complete -o default -F _ciutils_$tool $tool"
  done
}

@test "lockctl completes its subcommands, a subcommand's flags and pool's words" {
  [ -x "$CIUTILS_BUILD_DIR/bin/lockctl" ] || skip "lockctl is not built"
  run complete_words "$COMPLETIONS/lockctl" ""
  assert_output "$(printf '%s\n' acquire force-release history list pool release renew reserve run serve status unreserve)"
  run complete_words "$COMPLETIONS/lockctl" acquire --no
  assert_output "--no-wait"
  run complete_words "$COMPLETIONS/lockctl" pool ""
  assert_output "$(printf '%s\n' add list remove set set-labels set-props)"
}

@test "schedule and report complete their subcommands; fetch its flags and put" {
  for tool in schedule report fetch; do [ -x "$CIUTILS_BUILD_DIR/bin/$tool" ] || skip "$tool is not built"; done
  run complete_words "$COMPLETIONS/schedule" w
  assert_output "work"
  run complete_words "$COMPLETIONS/schedule" next --time
  assert_output "--timezone"
  run complete_words "$COMPLETIONS/report" j
  assert_output "junit"
  run complete_words "$COMPLETIONS/report" serve --tls
  assert_output "$(printf '%s\n' --tls-cert --tls-key)"
  run complete_words "$COMPLETIONS/report" history --s
  assert_output "--sort"
  run complete_words "$COMPLETIONS/fetch" --sha
  assert_output "--sha256"
  run complete_words "$COMPLETIONS/fetch" p
  assert_output "put"
}

@test "prun completes its flags, queue, queue's commands and each one's flags" {
  [ -x "$CIUTILS_BUILD_DIR/bin/prun" ] || skip "prun is not built"
  run complete_words "$COMPLETIONS/prun" q
  assert_output "queue"
  run complete_words "$COMPLETIONS/prun" --kill
  assert_output "--kill-sequence"
  run complete_words "$COMPLETIONS/prun" queue ""
  assert_output "$(printf '%s\n' push results seal status wait work)"
  run complete_words "$COMPLETIONS/prun" queue work --lease
  assert_output "--lease-timeout"
  run complete_words "$COMPLETIONS/prun" queue work --queue q --kill
  assert_output "--kill-sequence"
  run complete_words "$COMPLETIONS/prun" queue wait --time
  assert_output "--timeout"
  run complete_words "$COMPLETIONS/prun" queue push --app
  assert_output "--append"
}

@test "lockctl pool and serve: their first word completes after flags and values, and only there" {
  [ -x "$CIUTILS_BUILD_DIR/bin/lockctl" ] || skip "lockctl is not built"
  local c="$COMPLETIONS/lockctl"
  run complete_words "$c" pool s
  assert_output "$(printf '%s\n' set set-labels set-props)"
  run complete_words "$c" -q pool ""
  assert_output "$(printf '%s\n' add list remove set set-labels set-props)"
  run complete_words "$c" pool --redis redis://127.0.0.1:1/0 --namespace ci a
  assert_output "add"
  run complete_words "$c" pool set ""
  assert_output ""
  run complete_words "$c" pool set envs ""
  assert_output ""
  run complete_words "$c" pool set-labels box-1 --json s
  assert_output ""
  run complete_words "$c" serve --listen 127.0.0.1:0 h
  assert_output "hash-key"
  run complete_words "$c" serve hash-key ""
  assert_output ""
  # A flag's value is left to bash (file names): no command words there.
  run complete_words "$c" acquire --pool ""
  assert_output ""
  run complete_words "$c" acquire --pool p --ttl 5m --w
  assert_output "$(printf '%s\n' --wait --watch-pid)"
}

@test "prun queue: its commands complete after switches, and each command's flags after values" {
  [ -x "$CIUTILS_BUILD_DIR/bin/prun" ] || skip "prun is not built"
  local c="$COMPLETIONS/prun"
  run complete_words "$c" queue w
  assert_output "$(printf '%s\n' wait work)"
  run complete_words "$c" -q queue ""
  assert_output "$(printf '%s\n' push results seal status wait work)"
  run complete_words "$c" queue work w
  assert_output ""
  run complete_words "$c" queue work --queue q --run-id r -j 4 --res
  assert_output "$(printf '%s\n' --results --resume --resume-failed)"
  run complete_words "$c" queue push -a jobs.txt --ttl 1h --q
  assert_output "$(printf '%s\n' --queue --quiet)"
  run complete_words "$c" queue wait --timeout ""
  assert_output ""
}

@test "after -- nothing is completed by the tool (the command's own words follow)" {
  [ -x "$CIUTILS_BUILD_DIR/bin/lockctl" ] || skip "lockctl is not built"
  run complete_words "$COMPLETIONS/lockctl" run uat -- ""
  assert_output ""
}

@test "an installed completion registers under its prefixed name" {
  run cmake -DCIUTILS_PROGRAM_PREFIX=ci- -DCMAKE_INSTALL_PREFIX="$BATS_TEST_TMPDIR/usr" \
    -P "$CIUTILS_BUILD_DIR/cmake_install.cmake"
  assert_success
  local tool
  tool="$(ls "$CIUTILS_BUILD_DIR/bin" | grep -v '_test$' | head -1)"
  run bash -c "source usr/share/bash-completion/completions/ci-$tool && complete -p ci-$tool"
  assert_output "complete -o default -F _ciutils_$tool ci-$tool"
  [ -f "usr/share/man/man1/ci-$tool.1" ]
}
