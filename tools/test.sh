#!/bin/sh
# The whole test suite, as CI runs it. On a fresh Debian 12 machine:
#   tools/test.sh
# 1. installs the Debian packages the build and the checks need (if missing);
# 2. builds with gcc, warnings as errors, and runs every test;
# 3. builds with clang under AddressSanitizer + UndefinedBehaviorSanitizer
#    and runs every test again;
# 4. runs the C tests under valgrind memcheck, leaks as errors;
# 5. runs every libFuzzer target for 60 s (tools/fuzz.sh, build-fuzz);
# 6. runs the threads suite under ThreadSanitizer (build-test-tsan).
# Build directories: build-test-gcc, build-test-asan, build-fuzz,
# build-test-tsan (kept for reruns).
# --quick stops after step 2.
set -eu
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

sh tools/setup-deps.sh

step() { printf '\n=== %s\n' "$*"; }

configure() { # dir, extra args...
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

step "gcc, warnings as errors"
CC=gcc configure build-test-gcc --werror -Dbuildtype=debugoptimized
ninja -C build-test-gcc
meson test -C build-test-gcc --print-errorlogs --num-processes 2

[ $quick -eq 1 ] && exit 0

step "clang, AddressSanitizer + UndefinedBehaviorSanitizer"
CC=clang configure build-test-asan --werror -Dbuildtype=debug \
  -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-test-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-test-asan --print-errorlogs --num-processes 2

step "valgrind memcheck (C test programs)"
# The C suites only: valgrind on python or sh says nothing about our code.
meson test -C build-test-gcc --print-errorlogs --num-processes 2 \
  --no-suite spec --no-suite public --no-suite quickstart --no-suite fuzz \
  --timeout-multiplier 10 \
  --wrap='valgrind --quiet --trace-children=yes --trace-children-skip=*/sh,*/bash,*/python3* --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-fds=no'

step "libFuzzer smoke (every fuzz target, 60 s each, from its seeds)"
# 8 targets x 60 s, run two at a time on 2 cores (tools/fuzz.sh runs one per
# core): 4 min of fuzzing plus about 1 min to build build-fuzz. Any crash or
# sanitizer report fails CI.
sh tools/fuzz.sh 60

step "clang, ThreadSanitizer (the threads suite only)"
# One client shared by 8 threads x 200 calls (tests/threads); any race
# report fails the run. Build directory: build-test-tsan.
CC=clang configure build-test-tsan --werror -Dbuildtype=debug \
  -Db_sanitize=thread -Db_lundef=false
ninja -C build-test-tsan tests/threads/test_threads
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  meson test -C build-test-tsan --no-rebuild --print-errorlogs --suite threads

step "all checks passed"
