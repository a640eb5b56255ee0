#!/usr/bin/env bats
# The release tarball on a bare system: a root holding only glibc's files (Debian's libc6)
# and a static busybox, no tzdata, no CA certificates. In it, every tool prints its version
# and does a real job; lockctl, schedule and notify talk to a redis-server and an HTTP
# receiver on loopback outside the root.
#
# The root gets its own /proc (unshare --root --mount-proc) where this machine allows mount
# namespaces. A container without that right (a CI job in Docker) uses plain chroot with no
# /proc; then the dynamic loader cannot resolve $ORIGIN by itself and is told the programs'
# directory with LD_ORIGIN_PATH, as docs/install.md says for such roots.

load helpers/common
load helpers/package
load helpers/redis
load helpers/notify_common

setup_file() {
  package_releasable || return 0
  if [ "$(id -u)" -ne 0 ]; then
    export PACKAGE_SKIP="chroot needs root"
    return 0
  fi
  make_tarball
  ROOT="$BATS_FILE_TMPDIR/root"
  mkdir -p "$ROOT/bin" "$ROOT/tmp" "$ROOT/dev" "$ROOT/opt" "$ROOT/proc"
  chmod 1777 "$ROOT/tmp"
  # glibc: every file of Debian's libc6, at the paths the package puts them.
  dpkg-query -L libc6 | while read -r f; do
    if [ ! -d "$f" ] && { [ -f "$f" ] || [ -L "$f" ]; }; then echo "${f#/}"; fi
  done | tar -C / --no-recursion -cf - -T - | tar -C "$ROOT" -xf -
  cp /bin/busybox "$ROOT/bin/busybox"
  chroot "$ROOT" /bin/busybox --install -s /bin
  mknod -m 666 "$ROOT/dev/null" c 1 3
  tar -xzf "$TARBALL" -C "$ROOT/opt"
  mv "$ROOT/opt/$NAME" "$ROOT/opt/ciutils"
  ROOT_MODE=chroot
  unshare --mount --pid --fork --root="$ROOT" --mount-proc /bin/true 2>/dev/null && ROOT_MODE=unshare
  export ROOT ROOT_MODE
  start_redis
  start_receiver
}

teardown_file() {
  stop_servers
  stop_redis
}

setup() {
  common_setup
  package_setup
}

# in_root COMMAND...: runs COMMAND in the root with a minimal environment, the tools on PATH.
in_root() {
  local environment=(PATH=/opt/ciutils/bin:/bin HOME=/tmp REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    CIUTILS_NAMESPACE=bare)
  if [ "$ROOT_MODE" = unshare ]; then
    env -i "${environment[@]}" "$(command -v unshare)" --mount --pid --fork --root="$ROOT" --mount-proc "$@"
  else
    env -i "${environment[@]}" LD_ORIGIN_PATH=/opt/ciutils/bin "$(command -v chroot)" "$ROOT" "$@"
  fi
}

@test "the root has no tzdata, no CA certificates and only glibc's libraries" {
  echo "# the root runs with: $ROOT_MODE" >&3
  [ ! -e "$ROOT/usr/share/zoneinfo" ]
  [ ! -e "$ROOT/etc/ssl" ]
  run sh -c "find '$ROOT' -name '*.so*' -not -path '$ROOT/opt/*' | sed 's|.*/||' | sort -u"
  local glibc
  glibc="$(dpkg-query -L libc6 | sed -n 's|.*/||p' | sort -u)"
  for lib in $output; do
    grep -qxF "$lib" <<<"$glibc" || fail "$lib in the root is not glibc's"
  done
}

@test "every tool prints its version" {
  for tool in "${TOOLS[@]}"; do
    run in_root "$tool" --version
    assert_success
    assert_output "$tool (ciutils) $VERSION"
  done
}

@test "prun runs commands with a timeout and report junit writes XML" {
  printf '%s\n' 'echo hello' 'sleep 30' 'exit 3' >"$ROOT/tmp/jobs.txt"
  run in_root prun -j 3 --timeout 1s --results /tmp/results.jsonl -a /tmp/jobs.txt
  assert_failure
  run in_root cat /tmp/results.jsonl
  assert_line --partial '"status":"passed"'
  assert_line --partial '"status":"timeout"'
  assert_line --partial '"status":"failed"'
  run in_root report junit /tmp/results.jsonl -o /tmp/junit.xml
  assert_success
  xmllint --noout "$ROOT/tmp/junit.xml"
  grep -q 'tests="3"' "$ROOT/tmp/junit.xml"
}

@test "schedule next resolves a time zone from the tarball's own zoneinfo" {
  run in_root schedule next --cron "0 9 * * *" --timezone America/New_York -n 2 --now 2026-03-07T00:00:00Z
  assert_success
  assert_line "  2026-03-07 09:00:00 EST   2026-03-07T14:00:00Z"
  assert_line "  2026-03-08 09:00:00 EDT   2026-03-08T13:00:00Z"
  run --separate-stderr in_root schedule next --cron "0 9 * * *" --timezone Mars/Olympus -n 1
  assert_failure 2
  [ "$stderr" = "schedule: error: --timezone: unknown time zone 'Mars/Olympus'" ]
}

@test "fetch file:// unpacks an archive" {
  mkdir -p suite/bin
  echo 'echo ok' >suite/bin/run.sh
  tar -czf "$ROOT/tmp/suite.tar.gz" suite
  run in_root fetch file:///tmp/suite.tar.gz -o /tmp/suite
  assert_success
  [ "$(cat "$ROOT/tmp/suite/suite/bin/run.sh")" = "echo ok" ] || [ "$(cat "$ROOT/tmp/suite/bin/run.sh")" = "echo ok" ]
}

@test "https without CA certificates is a clear error; SSL_CERT_FILE is the way out" {
  run --separate-stderr in_root fetch https://127.0.0.1:1/x.tar.gz -o /tmp/x
  assert_failure 2
  [[ "$stderr" == *"no CA certificates to check https servers with (none of /etc/ssl/certs/ca-certificates.crt,"*"exists): install the ca-certificates package, or set SSL_CERT_FILE to a PEM bundle" ]]
  # With a bundle named, the request is made (and fails to connect: nothing listens on port 1).
  cp /etc/ssl/certs/ca-certificates.crt "$ROOT/tmp/ca.pem"
  run --separate-stderr in_root env SSL_CERT_FILE=/tmp/ca.pem fetch --retry 0 https://127.0.0.1:1/x.tar.gz -o /tmp/x
  [ "$status" -eq 3 ]
  [[ "$stderr" != *"no CA certificates"* ]]
}

@test "lockctl takes and releases a lease in the Redis outside the root" {
  run --separate-stderr in_root lockctl acquire bare-env --ttl 60s --no-wait
  assert_success
  local token="${lines[1]}"
  [ -n "$token" ]
  run redis-cli -p "$REDIS_PORT" --scan --pattern 'bare:*'
  assert_output --partial "bare-env"
  run in_root lockctl release bare-env --token "$token"
  assert_success
}

@test "schedule enqueues a task and takes it back" {
  run in_root schedule enqueue --queue bare --name smoke '{"test":"smoke"}'
  assert_success
  run --separate-stderr in_root schedule take --queue bare --wait 5s
  assert_success
  assert_output --partial '"payload":{"test":"smoke"}'
}

@test "notify sends a webhook (libcurl from the tarball) and keeps the alert's state in Redis" {
  reset_receiver
  run --separate-stderr in_root notify --key bare/app --status failed --title "bare root" \
    "webhook+http://127.0.0.1:$RECEIVER_PORT/hook"
  assert_success
  [ "$(receiver_count)" -eq 1 ]
  run receiver_field 1 'r["path"]'
  assert_output "/hook"
  run redis-cli -p "$REDIS_PORT" exists 'bare:{notify:bare/app}:state'
  assert_output "1"
  # The same failure again is no new alert: the state in Redis says it was sent.
  run in_root notify --key bare/app --status failed --title "bare root" "webhook+http://127.0.0.1:$RECEIVER_PORT/hook"
  assert_success
  [ "$(receiver_count)" -eq 1 ]
}
