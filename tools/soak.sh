#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The soak run (not part of CI): one shared client, 10,000 plain calls and
# 1,000 streams over 4 threads against a loopback fixture server in a child
# process, with cancelled streams and injected faults (500, bodies cut short,
# a hung server under a 200 ms timeout). Prints outcomes and errors by kind,
# RSS and open file descriptors at the start and the end, and a verdict;
# exits 1 when the verdict is FAIL. Takes a minute or two.
#
#   tools/soak.sh [--plain N] [--streams N] [--threads N]
#
# Build directory: build-soak (optimised, kept for reruns).
set -eu
cd "$(dirname "$0")/.."
sh tools/setup-deps.sh
if [ -f build-soak/build.ninja ]; then
  meson configure build-soak -Dbuildtype=release >/dev/null
else
  meson setup build-soak -Dbuildtype=release >/dev/null
fi
ninja -C build-soak bench/soak >/dev/null
exec build-soak/bench/soak "$@"
