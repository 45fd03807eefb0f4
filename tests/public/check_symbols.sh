#!/bin/sh
# Only mistral_* symbols leave the shared library.
set -eu
lib="$1"
nm -D --defined-only "$lib" | awk '{print $3}' | sort > symbols.txt.tmp
total=$(wc -l < symbols.txt.tmp)
bad=$(grep -v '^mistral_' symbols.txt.tmp || true)
rm -f symbols.txt.tmp
if [ "$total" -eq 0 ]; then echo "no exported symbols found in $lib"; exit 1; fi
if [ -n "$bad" ]; then
  echo "symbols exported without the mistral_ prefix:"; echo "$bad"
  echo "0 passed, 1 failed"; exit 1
fi
echo "$total exported symbols, all mistral_*"
echo "1 passed, 0 failed"
