#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# setup-deps.sh [--check] [EXTRA-PACKAGE...]
#
# Installs the Debian 12 packages libmistral needs to build, test and check
# itself, plus any extra packages named, when they are missing: one
# `apt-get update`, then `apt-get install -y --no-install-recommends`, with
# sudo when not root. Silent when nothing is missing.
#
#   --check   install nothing: exit 1 (listing what is missing on stderr)
#             when a package is missing, 0 otherwise.
#
# Exit status: 0 all present (or installed), 1 missing and not installable
# (or --check found some missing), 2 usage error; apt-get's own status when
# it fails.
set -eu

packages="build-essential meson ninja-build pkg-config libcurl4-openssl-dev zlib1g-dev
libjansson-dev libssl-dev libcmocka-dev python3 python3-yaml
openssl
python3-jsonschema valgrind clang libclang-rt-14-dev"

check_only=0
case ${1:-} in
  --check) check_only=1; shift ;;
  -h|--help) sed -n '3,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
  -*) echo "setup-deps: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac
packages="$packages $*"

if ! command -v dpkg >/dev/null 2>&1; then
  # Not Debian: the build tells what is missing.
  echo "setup-deps: no dpkg here; install the equivalents of: $(echo $packages)" >&2
  [ "$check_only" -eq 0 ] || exit 1
  exit 0
fi

missing=
for p in $packages; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed$'; then
    missing="$missing $p"
  fi
done
[ -n "$missing" ] || exit 0

if [ "$check_only" -eq 1 ]; then
  echo "setup-deps: missing:$missing" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=
elif command -v sudo >/dev/null 2>&1; then
  sudo=sudo
else
  echo "setup-deps: missing:$missing; run as root (or install sudo) to install them" >&2
  exit 1
fi

echo "setup-deps: installing$missing" >&2
$sudo apt-get update
# shellcheck disable=SC2086 # one word per package
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
