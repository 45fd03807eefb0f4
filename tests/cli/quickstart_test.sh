#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tools/quickstart.sh without MISTRAL_API_KEY, from another directory:
# the demo fixtures answer through mistral-replay, the script prints one line
# about it on stderr, the answer alone on stdout, exits with the CLI's
# status, and stops the server when it is done.
#
# Usage: quickstart_test.sh SOURCE_ROOT BUILD_ROOT MISTRAL_CLI
# Skips (77) when tools/setup-deps.sh would have to install packages: a test
# never runs apt-get.
set -u
src=$1
build=$2
cli=$3

if ! "$src/tools/setup-deps.sh" --check 2>/dev/null; then
  echo "SKIP: tools/setup-deps.sh --check reports missing packages"
  exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/quickstart-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"; exit 1; }

run() { # run PROMPT... : quickstart from / with no key
  (cd / && env -u MISTRAL_API_KEY -u MISTRAL_SERVER_URL QUICKSTART_BUILD_DIR="$build" \
     "$src/tools/quickstart.sh" "$@" >"$tmp/out" 2>"$tmp/err")
}

# The default prompt, answered by tests/fixtures/demo/hello.fixture.
run
status=$?
[ "$status" -eq 0 ] || fail "exit status $status"
[ "$(cat "$tmp/out")" = "Hello, it's great to meet you!" ] || fail "unexpected answer"
lines=$(grep -c '^quickstart: no MISTRAL_API_KEY set; answering from recorded fixtures (tests/fixtures/demo) on http://127\.0\.0\.1:[0-9][0-9]*$' "$tmp/err")
[ "$lines" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
  fail "expected one line on stderr: 'quickstart: no MISTRAL_API_KEY set; ...'"
url=$(sed -n 's/^quickstart: no MISTRAL_API_KEY set;.* on \(http:.*\)$/\1/p' "$tmp/err")

# The server is gone once the script has returned: connection refused (4).
MISTRAL_API_KEY=replay-no-key "$cli" raw --server-url "$url" GET /v1/models >/dev/null 2>&1
status=$?
[ "$status" -eq 4 ] || fail "the replay server still answers on $url (exit $status)"

# A prompt of several words, answered by demo/capital.fixture.
run What is the capital of France?
status=$?
[ "$status" -eq 0 ] || fail "exit status $status"
[ "$(cat "$tmp/out")" = "The capital of France is Paris." ] || fail "unexpected answer"

echo "ok"
exit 0
