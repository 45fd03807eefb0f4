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
ninja -C build-bench bench/bench_chat_call bench/bench_embeddings bench/bench_json_decode \
  bench/bench_sse_parse bench/bench_stream_chat >/dev/null
for b in build-bench/bench/bench_*; do
  # Programs only (meson keeps a bench_*.p directory beside each).
  [ -f "$b" ] && [ -x "$b" ] || continue
  "$b"
done
