#!/usr/bin/env bash
# A full TLS policy audit (versions and suites) of one loopback target: wall time of
# `tdsprobe --ciphers`, median and p90 of N runs, beside nmap's ssl-enum-ciphers on the same
# fakesql in the same run (nmap needs port 1433: both run in a private network namespace).
#   bench/bench_audit.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${2:-10}
if [ "${AUDIT_BENCH_IN_NETNS:-}" != 1 ]; then
    exec unshare --net env AUDIT_BENCH_IN_NETNS=1 "$0" "$build" "$runs"
fi
ip link set lo up
certs=$build/certs
"$root/tests/certs/make-certs.sh" "$certs"
work=$(mktemp -d)
trap 'kill $(cat "$work/pid") 2>/dev/null; rm -rf "$work"' EXIT
cat > "$work/conf" <<CONF
[network]
tlscert = $certs/good.pem
tlskey = $certs/good.key
tlsprotocols = 1.0,1.1,1.2
ipaddress = 127.0.0.1
tcpport = 1433
[fakesql]
seclevel = 0
quiet = 1
CONF
"$build/tests/fakesql/fakesql" --config "$work/conf" --ready-file "$work/ready" >/dev/null 2>&1 &
echo $! > "$work/pid"
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done

time_runs() { # NAME CMD...
    local name=$1
    shift
    : > "$work/$name"
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" > "$work/$name.out" 2>&1 || true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) >> "$work/$name"
    done
}
stats() { sort -n "$work/$1" | awk '{a[NR]=$1} END {printf "%.0f %.0f", a[int((NR+1)/2)]/1000,
    a[int(NR*0.9+0.5)]/1000}'; }
time_runs tdsprobe "$build/probe/tdsprobe" --ciphers --ca-file "$certs/ca.pem" \
    --host-name-in-certificate localhost 127.0.0.1,1433
time_runs nmap nmap -Pn -n -sT -p 1433 --script ssl-enum-ciphers 127.0.0.1
read -r tm tp <<< "$(stats tdsprobe)"
read -r nm np <<< "$(stats nmap)"
printf 'full audit of one loopback target (TLS 1.0-1.2 + TLS 1.3 check, all suites), %s runs\n' \
    "$runs"
printf '%-36s %10s %10s\n' tool "median ms" "p90 ms"
printf '%-36s %10s %10s\n' "tdsprobe --ciphers" "$tm" "$tp"
printf '%-36s %10s %10s   (%.1fx tdsprobe)\n' "nmap --script ssl-enum-ciphers" "$nm" "$np" \
    "$(awk -v a="$nm" -v b="$tm" 'BEGIN{print a/b}')"
