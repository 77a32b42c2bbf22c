#!/usr/bin/env sh
# Fetch Debian packages' files into a folder, without root: `apt-get download` then `dpkg -x`.
#   sh deploy/fetch-debian.sh DEST "PACKAGE…" FILE…
# FILEs (paths under DEST) already there: nothing to do. Without apt-get or the archive, say so and
# stop without failing: the tests that need the files then skip, naming what is missing.
set -eu
DEST="$1"
PACKAGES="$2"
shift 2
present=yes
for file in "$@"; do [ -e "$DEST/$file" ] || present=no; done
[ "$present" = yes ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "apt-get/dpkg not found: $PACKAGES not fetched (the tests that need them will be skipped)"
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# shellcheck disable=SC2086 # a list of package names
if ! (cd "$WORK" && apt-get download -q $PACKAGES >/dev/null 2>&1); then
  echo "apt-get download $PACKAGES failed: the tests that need them will be skipped"
  exit 0
fi
mkdir -p "$DEST"
for deb in "$WORK"/*.deb; do dpkg -x "$deb" "$DEST"; done
echo "$PACKAGES extracted into $DEST"
