#!/usr/bin/env sh
# Fetch Prometheus (with promtool) and Alertmanager (with amtool) from Debian's packages into
# .tools/monitoring, without root: `apt-get download` then `dpkg -x`. Already there: nothing to do.
# Where apt-get or the archive is missing, say so and stop without failing: the tests that need
# the binaries then skip, naming what is missing.
set -eu
DEST="${1:-.tools/monitoring}"
BIN="$DEST/usr/bin"
if [ -x "$BIN/promtool" ] && [ -x "$BIN/amtool" ] && [ -x "$BIN/prometheus" ] && [ -x "$BIN/prometheus-alertmanager" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "apt-get/dpkg not found: Prometheus and Alertmanager not fetched (their tests will be skipped)"
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if ! (cd "$WORK" && apt-get download -q prometheus prometheus-alertmanager >/dev/null 2>&1); then
  echo "apt-get download prometheus prometheus-alertmanager failed: their tests will be skipped"
  exit 0
fi
mkdir -p "$DEST"
for deb in "$WORK"/*.deb; do dpkg -x "$deb" "$DEST"; done
"$BIN/promtool" --version 2>&1 | head -1
"$BIN/amtool" --version 2>&1 | head -1
