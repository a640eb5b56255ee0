#!/usr/bin/env bats
# The README's main job: the end-to-end demo (examples/demo/run.sh) with a throwaway Redis.

load helpers/common

setup() {
  common_setup
}

@test "the end-to-end demo runs clean with a throwaway Redis" {
  run -0 env -u REDIS_URL TMPDIR="$BATS_TEST_TMPDIR" "$CIUTILS_SOURCE_DIR/examples/demo/run.sh"
  refute_output --partial "error:"
  refute_output --partial "Sanitizer"
  assert_output --partial '"event": "trigger"'
  assert_output --partial '"event": "recover"'
  # fetch put streamed the failed run's logs to the stand-in artifact store
  assert_output --regexp 'PUT /artifacts/[^ ]+\.tar\.gz [1-9][0-9]* bytes'
  assert_output --partial "demo finished"
}
