#!/bin/sh
# Every benchmark, built optimised, figures on stdout:  tools/bench.sh
set -eu
cd "$(dirname "$0")/.."
sh tools/setup-deps.sh
if [ -f build-bench/build.ninja ]; then
  meson configure build-bench -Dbuildtype=release -Db_ndebug=true >/dev/null
else
  meson setup build-bench -Dbuildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build-bench
for b in build-bench/bench/bench_*; do
  [ -x "$b" ] && "$b"
done
