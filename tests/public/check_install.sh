#!/bin/sh
# meson install into a temporary DESTDIR, then build and run a program
# against the installed copy with nothing but pkg-config.
set -eu
build_root="$1"
cc="${2:-cc}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build_root" --no-rebuild --destdir "$tmp/root" --quiet >/dev/null
pcdir=$(dirname "$(find "$tmp/root" -name mistral.pc | head -n1)")
[ -f "$pcdir/mistral.pc" ] || { echo "mistral.pc was not installed"; exit 1; }
for h in mistral.h version.h common.h error.h client.h options.h chat.h stream.h sse.h fim.h agents.h raw.h export.h; do
  [ -n "$(find "$tmp/root" -path "*/include/mistral/$h")" ] || { echo "header $h not installed"; exit 1; }
done
[ -n "$(find "$tmp/root" -path "*/include/mistral/embeddings.h")" ] || { echo "header embeddings.h not installed"; exit 1; }
for h in moderation.h ocr.h; do [ -n "$(find "$tmp/root" -path "*/include/mistral/$h")" ] || { echo "header $h not installed"; exit 1; }; done
[ -n "$(find "$tmp/root" -path "*/include/mistral/models.h")" ] || { echo "header models.h not installed"; exit 1; }
[ -n "$(find "$tmp/root" -name mistral -path '*/bin/*')" ] || { echo "the mistral CLI was not installed"; exit 1; }
cat > "$tmp/app.c" <<'C'
#include <mistral/mistral.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  mistral_client *c = NULL;
  if (mistral_client_new(&c) != MISTRAL_OK) return 1;
  int ok = strcmp(mistral_version(), MISTRAL_VERSION_STRING) == 0;
  printf("installed libmistral %s\n", mistral_version());
  mistral_client_free(c);
  return ok ? 0 : 2;
}
C
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs mistral)
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/app" "$tmp/app.c" $flags
libdir=$(dirname "$(find "$tmp/root" -name 'libmistral.so.*' | head -n1)")
LD_LIBRARY_PATH="$libdir" "$tmp/app"
# The static library links with its private requirements as shared
# libraries (a fully static libcurl needs every one of its own -dev packages).
sflags="$(pkg-config --cflags mistral) $(pkg-config --libs libcurl jansson libcrypto) -lpthread -lm"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$tmp/app-static" "$tmp/app.c" "$libdir/libmistral.a" $sflags
"$tmp/app-static"
echo "1 passed, 0 failed"
