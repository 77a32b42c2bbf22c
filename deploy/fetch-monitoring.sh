#!/usr/bin/env sh
# Fetch Prometheus (with promtool) and Alertmanager (with amtool) from Debian's packages into
# .tools/monitoring, without root (deploy/fetch-debian.sh). Already there: nothing to do.
set -eu
exec sh "$(dirname "$0")/fetch-debian.sh" "${1:-.tools/monitoring}" "prometheus prometheus-alertmanager" \
  usr/bin/promtool usr/bin/amtool usr/bin/prometheus usr/bin/prometheus-alertmanager
