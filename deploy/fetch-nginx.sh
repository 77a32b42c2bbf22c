#!/usr/bin/env sh
# Fetch nginx from Debian's packages into .tools/nginx, without root (`apt-get download` then
# `dpkg -x`): the gateway's configuration (deploy/nginx.conf) is tested with the real server.
# Already there: nothing to do. Without apt-get or the archive, say so and stop without failing:
# the tests that need it then skip, naming what is missing.
set -eu
DEST="${1:-.tools/nginx}"
if [ -x "$DEST/usr/sbin/nginx" ] && [ -f "$DEST/etc/nginx/mime.types" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "apt-get/dpkg not found: nginx not fetched (the gateway's nginx tests will be skipped)"
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if ! (cd "$WORK" && apt-get download -q nginx nginx-common >/dev/null 2>&1); then
  echo "apt-get download nginx nginx-common failed: the gateway's nginx tests will be skipped"
  exit 0
fi
mkdir -p "$DEST"
for deb in "$WORK"/*.deb; do dpkg -x "$deb" "$DEST"; done
"$DEST/usr/sbin/nginx" -v 2>&1 | head -1
