#!/usr/bin/env bash
# `nginx -t` on scripts/nginx/aragora.conf, included in a minimal main configuration as in an
# http {} block. Runs as any user: every path nginx touches is in a temporary directory.
# Usage: tests/scripts/nginx_config_test.sh NGINX [ROOT]
set -euo pipefail
nginx="$1"
root="${2:-$(cd "$(dirname "$0")/../.." && pwd)}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat >"$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $dir/body;  # instead of the packaged /var/lib/nginx/*
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $root/scripts/nginx/aragora.conf;
}
CONF
"$nginx" -t -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
