#!/usr/bin/env bash
# One healthy loopback target: wall time of a whole tdsprobe run (process start to exit),
# median and p90 of N runs, beside the peers probing the same fakesql in the same run:
# nmap's ssl-cert script over TDS and check_ssl_cert -P tds. Not a test: it prints figures.
#   bench/bench_probe_latency.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-30}
certs=$build/certs
"$root/tests/certs/make-certs.sh" "$certs"
work=$(mktemp -d)
trap 'kill $(cat "$work/pid") 2>/dev/null; rm -rf "$work"' EXIT

# nmap applies its TDS wrapper only on port 1433 (ms-sql-s), so listen there when it is free.
port=1433
if (exec 3<>/dev/tcp/127.0.0.1/1433) 2>/dev/null; then port=0; fi
cat > "$work/conf" <<CONF
[network]
tlscert = $certs/good.pem
tlskey = $certs/good.key
ipaddress = 127.0.0.1
tcpport = $port
CONF
"$build/tests/fakesql/fakesql" --config "$work/conf" --ready-file "$work/ready" \
    >/dev/null 2>&1 &
echo $! > "$work/pid"
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
port=$(sed -n 's/^fakesql: listening tcp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/ready" | head -1)

# time_runs NAME CMD... : wall milliseconds of each run, one per line, into $work/NAME
time_runs() {
    local name=$1
    shift
    : > "$work/$name"
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) >> "$work/$name"
    done
}
stats() { # prints "median p90" in ms
    sort -n "$work/$1" | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.9+0.5)];
        printf "%.1f %.1f", m/1000, p/1000}'
}

time_runs tdsprobe "$build/probe/tdsprobe" --ca-file "$certs/ca.pem" "localhost,$port"
time_runs tdsprobe_cert "$build/probe/tdsprobe" --ca-file "$certs/ca.pem" \
    --handshake certificate "localhost,$port"
printf '%-44s %10s %10s %8s\n' "one healthy loopback target ($runs runs)" "median ms" "p90 ms" "ratio"
read -r base _ <<< "$(stats tdsprobe)"
row() { read -r m p <<< "$(stats "$1")"; printf '%-44s %10s %10s %7.1fx\n' "$2" "$m" "$p" \
    "$(awk -v a="$m" -v b="$base" 'BEGIN{print a/b}')"; }
row tdsprobe "tdsprobe (full handshake, verdict)"
row tdsprobe_cert "tdsprobe --handshake certificate"
if command -v nmap >/dev/null && [ "$port" = 1433 ]; then
    time_runs nmap nmap -T5 -Pn -n -p 1433 --script ssl-cert 127.0.0.1
    row nmap "nmap -T5 --script ssl-cert (leaf only)"
fi
if [ -x /usr/lib/nagios/plugins/check_ssl_cert ]; then
    time_runs csc /usr/lib/nagios/plugins/check_ssl_cert -H 127.0.0.1 -p "$port" -P tds \
        --ignore-ocsp -r "$certs/ca.pem" -m localhost
    row csc "check_ssl_cert -P tds (leaf only)"
fi
