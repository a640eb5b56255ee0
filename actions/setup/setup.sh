#!/usr/bin/env bash
# The steps of the ciutils setup action (action.yml calls one subcommand per step):
#   setup.sh prepare   check the runner, resolve the version, name the install directory
#   setup.sh install   download the release with scripts/install, or build from the checkout
#   setup.sh finish    put bin/ on GITHUB_PATH, set the outputs
# Inputs come as environment variables (INPUT_VERSION, INPUT_FROM_SOURCE, INPUT_SHA256,
# INPUT_RELEASES_URL, INPUT_TOOLS), never interpolated into the script.
set -euo pipefail

ACTION_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=actions/lib/gha.sh
. "$ACTION_ROOT/actions/lib/gha.sh"

# The version this checkout of ciutils builds (CMake's project version).
checkout_version() {
  sed -n 's/^project(ciutils VERSION \([0-9][0-9.]*\).*/\1/p' "$ACTION_ROOT/CMakeLists.txt"
}

from_source() {
  bool from-source "${INPUT_FROM_SOURCE:-}"
}

prepare() {
  [ "${RUNNER_OS:-}" = Linux ] ||
    fail "ciutils runs on Linux runners only; this runner is ${RUNNER_OS:-unknown} (use runs-on: ubuntu-latest or a Linux self-hosted runner)"
  local version="${INPUT_VERSION:-}"
  if from_source; then
    [ -z "$version" ] || [ "$version" = "$(checkout_version)" ] ||
      fail "version: $version differs from the checkout's $(checkout_version); from-source builds the checkout"
    version="$(checkout_version)"
  else
    [ "${RUNNER_ARCH:-}" = X64 ] ||
      fail "release builds exist for X64 runners only; this runner is ${RUNNER_ARCH:-unknown} (set from-source: true)"
    if [ -z "$version" ]; then
      # The action's own version: the tag it was used at (uses: …/setup@v1.2.3), else its checkout's.
      if [[ "${ACTION_REF:-}" =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
        version="${BASH_REMATCH[1]}"
      else
        version="$(checkout_version)"
      fi
    fi
  fi
  version="${version#v}"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
    fail "version: \"$version\" is not a version like 1.2.3"
  [ -z "${INPUT_SHA256:-}" ] || [[ "$INPUT_SHA256" =~ ^[0-9a-f]{64}$ ]] ||
    fail "sha256: must be 64 lowercase hex digits"
  local dir
  if from_source; then
    dir="$RUNNER_TEMP/ciutils-source"
  else
    dir="$RUNNER_TOOL_CACHE/ciutils/$version/x64"
  fi
  output version "$version"
  output dir "$dir"
  output key "ciutils-$RUNNER_OS-$RUNNER_ARCH-$version"
}

# release_url VERSION: the release tarball's URL, under INPUT_RELEASES_URL, else under the
# releases of the repository the action came from.
release_url() {
  local base="${INPUT_RELEASES_URL:-}"
  if [ -z "$base" ]; then
    [ -n "${ACTION_REPOSITORY:-}" ] || fail "releases-url: empty, and the action's repository is unknown"
    base="${GITHUB_SERVER_URL:-https://github.com}/$ACTION_REPOSITORY/releases/download"
  fi
  printf '%s/v%s/ciutils-%s-linux-x86_64.tar.gz\n' "${base%/}" "$1" "$1"
}

install() {
  : "${VERSION:?}" "${DIR:?}"
  local bin
  if from_source; then
    local build="$RUNNER_TEMP/ciutils-build" tools=()
    [ -z "${INPUT_TOOLS:-}" ] || tools=("-DCIUTILS_TOOLS=${INPUT_TOOLS// /;}")
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S "$ACTION_ROOT" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCIUTILS_TESTS=OFF "${tools[@]}" ||
      fail "from-source: cmake could not configure ciutils; the job needs its build dependencies (see the README's \"Build from source\")"
    cmake --build "$build" -j "$(nproc)" || fail "from-source: the build failed"
    cmake --install "$build" --prefix "$DIR" >/dev/null || fail "from-source: cmake --install failed"
    bin="$DIR/bin"
  else
    local installer="$ACTION_ROOT/scripts/install" url args
    [ -x "$installer" ] || fail "this checkout of ciutils has no scripts/install; use a released version of the action or from-source: true"
    url="$(release_url "$VERSION")"
    args=(--version "$VERSION" --to "$DIR" --from "$url")
    [ -z "${INPUT_SHA256:-}" ] || args+=(--sha256 "$INPUT_SHA256")
    local status=0
    bin="$("$installer" "${args[@]}")" || status=$?
    case "$status" in
      0) ;;
      4) fail "the download of ciutils $VERSION from $url does not match its sha256; nothing was installed" ;;
      *) fail "could not install ciutils $VERSION from $url (scripts/install exited $status)" ;;
    esac
  fi
  output bin-dir "$bin"
}

finish() {
  : "${VERSION:?}" "${DIR:?}"
  local bin="${BIN_DIR:-}"
  if [ -z "$bin" ]; then
    # Restored from the cache: the bin/ that holds the tools.
    bin="$(find "$DIR" -maxdepth 4 -type f -perm -u+x -path '*/bin/*' | sort | head -1)"
    [ -n "$bin" ] || fail "no ciutils tools under $DIR"
    bin="$(dirname "$bin")"
  fi
  local tool
  tool="$(find "$bin" -maxdepth 1 -type f -perm -u+x | sort | head -1)"
  "$tool" --version >/dev/null || fail "$tool does not run on this runner"
  printf '%s\n' "$bin" >>"$GITHUB_PATH"
  output version "$VERSION"
  output bin-dir "$bin"
  echo "ciutils $VERSION in $bin"
}

case "${1:-}" in
  prepare) prepare ;;
  install) install ;;
  finish) finish ;;
  *)
    echo "usage: setup.sh prepare|install|finish" >&2
    exit 2
    ;;
esac
