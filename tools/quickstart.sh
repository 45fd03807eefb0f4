#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# quickstart.sh [PROMPT...]
#
# From a fresh Debian 12 machine to an answer: installs what the build needs
# (tools/setup-deps.sh), configures and builds libmistral in ./build, then
# asks a model PROMPT (default: "Say hello in one short sentence.") with the
# mistral command-line program, printing the answer as it streams in.
#
# With MISTRAL_API_KEY set, the question goes to the real API (or to
# MISTRAL_SERVER_URL). Without it, the answer comes from recorded fixtures:
# build/tools/replay/mistral-replay serves tests/fixtures/demo on 127.0.0.1
# for the duration of the call.
#
# Works from any directory. QUICKSTART_BUILD_DIR overrides the build
# directory (relative to the repository root, or absolute). The build is
# quiet unless it fails; the answer alone goes to stdout. The exit status is the mistral
# program's (0 success, 2 usage, 3 API error, 4 network error, 1 other).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cd -- "$here/.."
build=${QUICKSTART_BUILD_DIR:-build}

"$here/setup-deps.sh"

# The build's output is shown only when it fails.
quiet() {
  if ! log=$("$@" 2>&1); then
    printf '%s\n' "$log" >&2
    echo "quickstart: failed: $*" >&2
    exit 1
  fi
}
if [ ! -f "$build/build.ninja" ]; then
  echo "quickstart: configuring and building libmistral in $build (first run only)" >&2
  quiet meson setup "$build"
fi
quiet ninja -C "$build" tools/mistral/mistral tools/replay/mistral-replay

cli=$build/tools/mistral/mistral
[ $# -gt 0 ] || set -- "Say hello in one short sentence."

if [ -n "${MISTRAL_API_KEY:-}" ]; then
  exec "$cli" chat --stream -- "$@"
fi

fixtures=tests/fixtures/demo
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mistral-quickstart.XXXXXX")
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || :
    wait "$server" 2>/dev/null || :
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$build/tools/replay/mistral-replay" --quiet --dir "$fixtures" --port-file "$tmp/url" &
server=$!
# The server writes the port file atomically once it listens.
tries=0
while [ ! -s "$tmp/url" ]; do
  if ! kill -0 "$server" 2>/dev/null; then
    server=
    echo "quickstart: mistral-replay failed to start" >&2
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ]; then
    echo "quickstart: mistral-replay did not start within 30 s" >&2
    exit 1
  fi
  sleep 0.05
done
url=$(cat "$tmp/url")

echo "quickstart: no MISTRAL_API_KEY set; answering from recorded fixtures ($fixtures) on $url" >&2
status=0
MISTRAL_SERVER_URL=$url MISTRAL_API_KEY=replay-no-key "$cli" chat --stream -- "$@" || status=$?
exit "$status"
