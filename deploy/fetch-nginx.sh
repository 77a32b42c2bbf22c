#!/usr/bin/env sh
# Fetch nginx from Debian's packages into .tools/nginx, without root: the gateway's configuration
# (deploy/nginx.conf) is tested in the real server.
set -eu
exec sh "$(dirname "$0")/fetch-debian.sh" "${1:-.tools/nginx}" "nginx nginx-common" \
  usr/sbin/nginx etc/nginx/mime.types
