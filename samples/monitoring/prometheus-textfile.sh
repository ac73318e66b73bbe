#!/bin/sh
# Prometheus, via node_exporter's textfile collector: run from cron (e.g. every 5 minutes).
# tdsprobe probes the whole fleet in one process and writes the exposition atomically.
#   */5 * * * * /usr/local/bin/prometheus-textfile.sh
# node_exporter --collector.textfile.directory=/var/lib/node_exporter/textfile
set -eu
dir=/var/lib/node_exporter/textfile
fleet=/etc/tdsprobe/fleet.txt
tmp=$(mktemp "$dir/tdsprobe.prom.XXXXXX")
/usr/local/bin/tdsprobe --format prometheus --handshake certificate --concurrency 256 \
    --timeout 10 -f "$fleet" > "$tmp" || true   # exit code 1/2 = some target failed: keep data
chmod 644 "$tmp"
mv "$tmp" "$dir/tdsprobe.prom"
