#!/usr/bin/env bats
# One vocabulary (docs/cli.md): every tool's and subcommand's --help has the same parts and
# shared flags, its exit codes are docs/exit-codes.md's, and bad invocations all fail alike:
# one line "TOOL: error: WHAT: WHY" on stderr, nothing on stdout, exit 2.

load helpers/suite

# A redis-server for the errors only Redis can tell (a name that is a pool); every other
# invocation here is sent to a port where nothing listens.
setup_file() { suite_start redis; }

setup() {
  suite_setup
  # Nothing here may reach a server: an invocation that tried would fail with exit 3.
  export REDIS_URL=redis://127.0.0.1:1/0
}

TOOLS="lockctl schedule fetch prun notify report"

built() { [ -x "$CIUTILS_BUILD_DIR/bin/$1" ]; }

# subcommands TOOL: the subcommands its generated bash completion lists.
subcommands() {
  sed -nE 's/^    ([a-z][a-z-]*)\) words=.*/\1/p' "$CIUTILS_BUILD_DIR/share/bash-completion/completions/$1"
}

# second_level TOOL SUB: the words after "TOOL SUB" its completion lists (prun queue push).
second_level() {
  sed -nE "s/^    $2\) words=\"([^\"]*)\".*/\1/p" "$CIUTILS_BUILD_DIR/share/bash-completion/completions/$1"
}

# has_flags TEXT: the shared flags of docs/cli.md, and --namespace wherever --redis is.
has_flags() {
  local flag
  for flag in "-h [ --help ]" "--version" "-q [ --quiet ]" "-v [ --verbose ]" "--json"; do
    grep -qF -- "$flag" <<<"$1" || { echo "no $flag"; return 1; }
  done
  if grep -qE -- '--redis[ =]' <<<"$1"; then
    grep -qF -- "--namespace NS" <<<"$1" || { echo "--redis without --namespace NS"; return 1; }
    grep -qF -- "REDIS_URL" <<<"$1" || { echo "--redis without REDIS_URL in Environment"; return 1; }
  fi
  ! grep -qF -- "--redis-url" <<<"$1" || { echo "shows the old spelling --redis-url"; return 1; }
}

@test "every tool's and subcommand's --help: usage, the shared flags, exit status" {
  local tool sub word
  for tool in $TOOLS; do
    built "$tool" || continue
    run -0 "$tool" --help
    [[ "${lines[0]}" == "Usage: $tool"* ]] || fail "$tool --help: first line '${lines[0]}'"
    assert_output --partial "Exit status:"
    run -0 "$tool" --version
    assert_output --regexp "^$tool \(ciutils\) [0-9]"
    for sub in $(subcommands "$tool"); do
      run -0 "$tool" "$sub" --help
      [[ "${lines[0]}" == "Usage: $tool $sub"* ]] || fail "$tool $sub --help: first line '${lines[0]}'"
      assert_output --partial "Exit status:"
      local words
      words="$(second_level "$tool" "$sub")"
      if [ -n "$words" ] && [ "$tool" = prun ]; then
        for word in $words; do
          run -0 "$tool" "$sub" "$word" --help
          # prun queue work takes prun's own flags, which prun --help lists.
          [[ "$output" == *"[prun's flags]"* ]] && continue
          has_flags "$output" || fail "$tool $sub $word --help: $(has_flags "$output")"
        done
      else
        has_flags "$output" || fail "$tool $sub --help: $(has_flags "$output")"
      fi
    done
    # A tool without subcommands, or with a default command (fetch URL), lists its flags.
    run -0 "$tool" --help
    if [ -z "$(subcommands "$tool")" ] || grep -qx "Options:" <<<"$output"; then
      has_flags "$output" || fail "$tool --help: $(has_flags "$output")"
    fi
  done
}

# exit_rows TOOL [SUB]: the "Exit status" section of a --help as "code|meaning" lines, each
# row's wrapped lines joined.
exit_rows() {
  "$@" --help | awk '
    /^Exit status:/ { on = 1; next }
    on && /^$/ { exit }
    on && /^  [^ ]/ { if (row != "") print row; line = substr($0, 3); split(line, a, /  +/)
                      code = a[1]; rest = substr(line, length(code) + 1); sub(/^ +/, "", rest)
                      row = code "|" rest; next }
    on && /^ +[^ ]/ { text = $0; sub(/^ +/, "", text)
                      if (row ~ /\|$/) row = row text; else row = row " " text }
    END { if (row != "") print row }'
}

# doc_rows TOOL: the rows of docs/exit-codes.md that TOOL's --help may show, as "code|meaning".
doc_rows() {
  awk -F' \\| ' -v tool="$1" '
    /^\| [^-]/ && !/^\| (code|tool) \|/ {
      sub(/^\| /, ""); sub(/ \|$/, "")
      n = split($0, c, / \| /)
      if (n == 2) print c[1] "|" c[2]
      else if (c[1] == tool) print c[2] "|" c[3]
    }' "$CIUTILS_SOURCE_DIR/docs/exit-codes.md"
}

@test "the exit codes a --help made from the command table lists are docs/exit-codes.md's" {
  local tool sub checked=""
  for tool in $TOOLS; do
    built "$tool" || continue
    "$tool" --man >/dev/null 2>&1 || continue
    checked="$checked $tool"
    local documented
    documented="$(doc_rows "$tool")"
    for sub in "" $(subcommands "$tool"); do
      run -0 exit_rows "$tool" $sub
      [ "${#lines[@]}" -ge 3 ] || fail "$tool $sub: too few exit codes: $output"
      local row
      for row in "${lines[@]}"; do
        grep -qxF -- "$row" <<<"$documented" || fail "$tool $sub --help shows '$row', which docs/exit-codes.md does not"
      done
      # Every code docs/exit-codes.md lists for this tool alone is in its --help.
      while IFS= read -r row; do
        grep -qxF -- "$row" <<<"$output" || fail "$tool $sub --help lacks '$row'"
      done < <(awk -F' \\| ' -v tool="$tool" '$1 == "| " tool { sub(/ \|$/, "", $3); print $2 "|" $3 }' \
        "$CIUTILS_SOURCE_DIR/docs/exit-codes.md")
    done
  done
  [ -n "$checked" ] || skip "no tool built from the command table"
}

@test "every man page's SYNOPSIS reads one usage a line, at the margin, wrapped beneath it" {
  command -v groff >/dev/null || fail "groff is not installed (scripts/deps/package.apt)"
  local tool checked=""
  for tool in $TOOLS; do
    built "$tool" || continue
    "$tool" --man >/dev/null 2>&1 || continue
    checked="$checked $tool"
    run -0 bash -c "'$tool' --man | groff -man -Tascii -P-cbou -rLL=78n 2>&1 | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;\$d'"
    local entries=0 line
    for line in "${lines[@]}"; do
      [ -n "$line" ] || continue
      if [[ "$line" == "       $tool "* ]]; then
        entries=$((entries + 1))
      else
        # A long usage wraps, indented under its start; nothing else is there.
        [[ "$line" =~ ^"           "[^\ ] ]] || fail "$tool --man SYNOPSIS: '$line' is neither an entry nor its continuation"
      fi
    done
    [ "$entries" -ge 1 ] || fail "$tool --man SYNOPSIS is empty: $output"
    [ "$entries" -eq "$("$tool" --man | sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' | grep -c "^$tool ")" ] ||
      fail "$tool --man SYNOPSIS: $entries entries for its usages: $output"
  done
  [ -n "$checked" ] || skip "no tool built from the command table"
}

# bad TOOL ARG...: exit 2, nothing on stdout, and one line "TOOL: error: WHAT: WHY" where
# WHAT names a flag, an argument, a file position, a field or a word.
bad() {
  local tool="$1"
  run --separate-stderr "$@" </dev/null
  [ "$status" -eq 2 ] || fail "$*: exit $status, not 2 (stderr: $stderr)"
  [ -z "$output" ] || fail "$*: wrote to stdout: $output"
  local first="${stderr%%$'\n'*}"
  local what="(--?[a-z0-9][a-z0-9/-]*|'[^']*'|[A-Z][A-Z_=]*|[^ :]+:[0-9]+(:[0-9]+)?|field '[^']*'|[A-Za-z0-9_./-]+)"
  [[ "$first" =~ ^$tool:\ error:\ $what:\ [^\ ].*$ ]] || fail "$*: first line is not '$tool: error: WHAT: WHY': $first"
}

@test "bad invocations: one line TOOL: error: WHAT: WHY, exit 2, for every tool" {
  if built lockctl; then
    bad lockctl
    bad lockctl frobnicate
    bad lockctl --bogus
    bad lockctl acquire uat --bogus
    bad lockctl acquire uat --ttl 5x
    bad lockctl acquire uat --ttl
    bad lockctl release
    bad lockctl acquire uat --namespace a:b
    bad lockctl acquire uat --wait 1s --no-wait
    bad lockctl acquire uat --quantity 2
    bad lockctl acquire uat uat
    bad lockctl run uat
    bad lockctl run uat sh
    bad lockctl release uat
    bad lockctl release uat extra --token 0123456789abcdef0123456789abcdef
    bad lockctl renew uat --token nothex
    bad lockctl history
    bad lockctl list extra
    bad lockctl status uat --pool p
    bad lockctl pool
    bad lockctl pool frob
    bad lockctl pool set p
    bad lockctl reserve uat --for 31d
    bad lockctl serve
    bad lockctl serve hash-key
    bad lockctl serve --api-keys k --tls-cert c.pem
    bad lockctl status --redis-url redis://127.0.0.1:1/0 --redis redis://127.0.0.1:1/0
    bad lockctl acquire ''
    bad lockctl acquire 'a b'
    bad lockctl acquire "$(printf 'x%.0s' {1..129})"
    bad lockctl acquire --pool 'p q'
    bad lockctl status --pool 'p:q'
    bad lockctl pool set 'p q' m
    bad lockctl pool add p 'm n'
    bad lockctl pool set-labels r 'no space'
    bad lockctl pool set-labels r $(seq -f 'l%g' 201)
    bad lockctl pool set-props r url
    bad lockctl pool set-props r 1x=2
    bad lockctl pool set-props r "k=$(printf 'v%.0s' {1..4097})"
    bad lockctl serve --api-keys missing.keys
    echo 'nothex ci' >bad.keys
    bad lockctl serve --api-keys bad.keys
    # What the scripts answer from Redis: a name that is a pool, a member of another pool.
    local r=(--redis "redis://127.0.0.1:$REDIS_PORT/0")
    lockctl pool set envs e1 e2 "${r[@]}" >/dev/null
    lockctl pool set other o1 "${r[@]}" >/dev/null
    lockctl acquire solo --ttl 1m "${r[@]}" >/dev/null
    bad lockctl acquire envs "${r[@]}"
    bad lockctl run envs "${r[@]}" -- true
    bad lockctl acquire e1 solo "${r[@]}"
    bad lockctl acquire e1 o1 "${r[@]}"
    bad lockctl pool add other e1 "${r[@]}"
    bad lockctl pool add other envs "${r[@]}"
    bad lockctl pool set solo m1 "${r[@]}"
    bad lockctl pool set-labels envs gpu "${r[@]}"
    bad lockctl reserve envs "${r[@]}"
    bad lockctl pool set-props e1 a=1 a=2 "${r[@]}"
    bad lockctl acquire --pool nope "${r[@]}"
    bad lockctl acquire --pool envs --quantity 3 "${r[@]}"
    bad lockctl acquire --pool envs --label gpu "${r[@]}"
  fi
  if built schedule; then
    bad schedule
    bad schedule frobnicate
    bad schedule --bogus
    bad schedule tick
    bad schedule tick --bogus
    bad schedule next -n many
    bad schedule pause a b
    bad schedule take --queue q --wait 5x
    bad schedule work --queue q
    bad schedule status
    bad schedule next --cron '0 0 30 2 *'
    bad schedule tick -f s.json --namespace a:b
  fi
  if built fetch; then
    bad fetch
    bad fetch --bogus
    bad fetch --max-bytes 5x http://127.0.0.1:1/a.tar
    bad fetch put
    bad fetch put --bogus
    bad fetch put logs
    bad fetch put logs s3://b/k extra
    bad fetch put logs s3://b/k --part-size 1MiB
    bad fetch put logs file:///tmp/x
    bad fetch http://127.0.0.1:1/a.tar extra
    bad fetch http://127.0.0.1:1/a.tar --no-extract --strip-components 1
    bad fetch a.tar
  fi
  if built notify; then
    bad notify --bogus
    bad notify flush --bogus
    bad notify --title t --remind 1h slack://x
    bad notify --title t --to 'irc://chat.example.com/#ci'
    bad notify --title t --claim-timeout 1m 'slack://${NOPE}'
    bad notify flush --to 'slack://${NOPE}'
    bad notify flush extra
    bad notify -q flush --claim-timeout 0s
    bad notify --title t --severity loud 'slack://${NOPE}'
    bad notify --key k --status maybe 'slack://${NOPE}'
  fi
  if built prun; then
    bad prun --bogus
    bad prun -j many true
    bad prun --timeout 5x ::: a
    bad prun queue
    bad prun queue frobnicate
    bad prun queue push
    bad prun queue push --bogus
    bad prun queue --bogus
    bad prun queue seal --queue q
    bad prun queue wait --queue q --run-id r --timeout 5x
    bad prun queue work --queue q --run-id r -j many
    bad prun queue status --queue 'q{x}' --run-id r
    bad prun queue results --queue q --run-id r extra
    bad prun -q --halt sometimes true
    bad prun --namespace ns true
  fi
  if built report; then
    bad report
    bad report frobnicate
    bad report junit --bogus
    bad report junit missing.jsonl
    bad report store --namespace a:b results.jsonl
    bad report --bogus
    bad report junit
    bad report junit --flaky-as maybe results.jsonl
    bad report merge --suite-name s a.xml
    bad report summary --format html results.jsonl
    bad report summary --max-bytes 5x results.jsonl
    bad report annotate --max-per-type 0 results.jsonl
    bad report metrics --max-series
    bad report store --ttl 5x results.jsonl
    bad report history extra
    bad report history --sort random
    bad report history --last 0
    bad report html --limit many results.jsonl
    bad report serve --listen nonsense
    bad report serve --tls-cert c.pem
    bad report serve --refresh soon
    bad report serve results.jsonl
    bad report history --redis-url redis://127.0.0.1:1/0 --redis redis://127.0.0.1:1/0
  fi
}

@test "report: man page and completion come from its command table" {
  built report || skip "report is not built"
  run -0 report --man
  [[ "${lines[0]}" == '.TH REPORT 1 '* ]] || fail "first line: ${lines[0]}"
  local command
  for command in junit merge summary annotate metrics html store history serve; do
    assert_output --partial ".SS \"report $command\""
  done
  assert_output --partial '\-\-fail\-on\-failure'
  assert_output --partial '.SH EXIT STATUS'
  run -0 report --completion
  assert_output --partial 'words="annotate history html junit merge metrics serve store summary"'
  # Each command completes its own flags only: --suite-name is junit's, --tls-cert serve's.
  assert_output --regexp $'\n    junit\\) words=""; flags="[^"]*--suite-name'
  refute_output --regexp $'\n    merge\\) words=""; flags="[^"]*--suite-name'
  refute_output --regexp $'\n    junit\\) words=""; flags="[^"]*--redis'
  assert_output --regexp $'\n    serve\\) words=""; flags="[^"]*--tls-cert'
  # The file the build installs is the same text.
  diff <(report --completion) "$CIUTILS_BUILD_DIR/share/bash-completion/completions/report"
  diff <(report --man) "$CIUTILS_BUILD_DIR/share/man/man1/report.1"
}
