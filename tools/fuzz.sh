#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz.sh [SECONDS_EACH]
#
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz
# (-Dfuzz=true, warnings as errors) and runs every one of them for
# SECONDS_EACH seconds (default 60), starting from its seeds in
# fuzz/corpus/<target>. Targets run side by side, as many at a time as
# there are cores (FUZZ_JOBS=N to choose). Prints, per target, the
# executions, the coverage (libFuzzer's cov: edges, ft: features) and the
# corpus size at the end.
#
# Exit status: 0 when every target ran its time without a crash, a
# sanitizer report (ASan, UBSan, LeakSanitizer), a timeout (one input
# taking over 20 s) or running out of memory (2 GiB); 1 otherwise, with the
# report and the input that caused it (build-fuzz/fuzz-artifacts/) shown;
# 2 on a usage error.
#
# New inputs the fuzzers find go to build-fuzz/fuzz-corpus/<target> (kept
# between runs, so a second run starts where the last stopped); the seeds
# in fuzz/corpus are never written. To add a crash's input as a regression
# seed: fix the bug, then copy the artifact to fuzz/corpus/<target>/regress-<what>.
set -eu
cd "$(dirname "$0")/.."

case ${1:-60} in
  -h|--help) sed -n '3,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *[!0-9]*|'') echo "fuzz.sh: SECONDS_EACH must be a whole number of seconds" >&2; exit 2 ;;
esac
seconds=${1:-60}
[ "$seconds" -ge 1 ] || { echo "fuzz.sh: SECONDS_EACH must be at least 1" >&2; exit 2; }
jobs=${FUZZ_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
case $jobs in *[!0-9]*|''|0) jobs=1 ;; esac

build=build-fuzz
mkdir -p "$build"
buildlog=$build/fuzz-build.log
if [ -f "$build/build.ninja" ]; then
  meson configure "$build" -Dfuzz=true >"$buildlog" 2>&1
else
  CC=clang meson setup "$build" --werror -Dbuildtype=debugoptimized -Dfuzz=true \
    -Dtests=false -Dexamples=false -Dbench=false >"$buildlog" 2>&1
fi || { cat "$buildlog" >&2; echo "fuzz.sh: configuring $build failed" >&2; exit 1; }
ninja -C "$build" >>"$buildlog" 2>&1 ||
  { tail -n 40 "$buildlog" >&2; echo "fuzz.sh: building $build failed" >&2; exit 1; }

targets=
for exe in "$build"/fuzz/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  targets="$targets ${exe##*/fuzz_}"
done
if [ -z "$targets" ]; then
  echo "fuzz.sh: no fuzz target was built (is CC clang? see $build/meson-logs)" >&2
  exit 1
fi

logs=$build/fuzz-logs
artifacts=$build/fuzz-artifacts
mkdir -p "$logs" "$artifacts"
cat fuzz/sse.dict fuzz/json.dict >"$build/stream.dict"

dict_for() {
  case $1 in
    sse) echo fuzz/sse.dict ;;
    stream) echo "$build/stream.dict" ;;
    *) echo fuzz/json.dict ;;
  esac
}

# One target: its exit status in $logs/<t>.rc, its output in $logs/<t>.log.
run_one() {
  t=$1
  mkdir -p "$build/fuzz-corpus/$t"
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 -dict="$(dict_for "$t")" \
      -artifact_prefix="$artifacts/$t-" \
      "$build/fuzz-corpus/$t" "fuzz/corpus/$t" >"$logs/$t.log" 2>&1
  echo $? >"$logs/$t.rc"
  set -e
}

n=$(echo $targets | wc -w)
echo "fuzz.sh: $n targets, ${seconds}s each, $jobs at a time"
pids=
running=0
for t in $targets; do
  rm -f "$logs/$t.rc" "$logs/$t.log"
  run_one "$t" &
  pids="$pids $!"
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    for p in $pids; do wait "$p" || true; done
    pids=
    running=0
  fi
done
for p in $pids; do wait "$p" || true; done

# The figures of a log: the last status line ("#N DONE cov: C ft: F corp:
# K/..."), the final stats.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
field() { grep -E '^#[0-9]+' "$2" | tail -n 1 | sed -n "s/.* $1 \([0-9]*\).*/\1/p"; }

failed=0
printf '\n%-11s %-7s %12s %9s %6s %7s %7s\n' target result executions exec/s cov ft corpus
for t in $targets; do
  log=$logs/$t.log
  rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
  result=ok
  if [ "$rc" -ne 0 ] ||
     grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|check failed:' "$log"; then
    result=FAILED
    failed=1
  fi
  corp=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
  printf '%-11s %-7s %12s %9s %6s %7s %7s\n' "$t" "$result" \
    "$(stat number_of_executed_units "$log")" "$(stat average_exec_per_sec "$log")" \
    "$(field cov: "$log")" "$(field ft: "$log")" "$corp"
done

if [ "$failed" -ne 0 ]; then
  for t in $targets; do
    log=$logs/$t.log
    rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
    if [ "$rc" -ne 0 ] ||
       grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|check failed:' "$log"; then
      printf '\n=== fuzz_%s failed (exit %s); report (full log: %s):\n' "$t" "$rc" "$log"
      # The finding and the first frames of its stack, then the input.
      grep -E -m1 -A24 'ERROR: |runtime error:|check failed:' "$log" || tail -n 30 "$log"
      grep -E -m1 'Test unit written to' "$log" || true
    fi
  done
  echo "fuzz.sh: FAILED (reproduce: $build/fuzz/fuzz_<target> <artifact>)" >&2
  exit 1
fi
echo "fuzz.sh: all targets ran ${seconds}s without a crash or a sanitizer report"
