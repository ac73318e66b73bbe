#!/usr/bin/env bash
# Fleet benchmark (issue: fleets and monitoring). One fakesql process listens on N loopback
# addresses (127.0.x.y) on port 1433 with an RSA certificate; tdsprobe probes all N in one run,
# then the peers probe the same targets in the same run:
#   nmap -T5 --min-parallelism 256 --min-hostgroup 256 -Pn -n -p 1433 --script ssl-cert
#   check_ssl_cert -P tds (one process per target, as a monitoring scheduler runs it; a sample)
# Figures: targets/s, client CPU per probe, peak RSS, RSS per in-flight probe (from a run at
# concurrency 1 vs concurrency C), fakesql CPU per handshake, lost/duplicated results.
#   bench/bench_fleet.sh [BUILD_DIR] [N] [CONCURRENCY]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-1000}
conc=${3:-1000}
certs=$build/certs
"$root/tests/certs/make-certs.sh" "$certs"
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"

# N addresses from 127.0.1.1 upwards.
addr() { local i=$(( $1 + 256 + 1 )); echo "127.0.$(( i / 250 )).$(( i % 250 + 1 ))"; }
: > "$work/targets"
for i in $(seq 0 $(( n - 1 ))); do addr "$i" >> "$work/targets"; done
list=$(paste -sd, "$work/targets")
cat > "$work/conf" <<CONF
[network]
tlscert = $certs/good.pem
tlskey = $certs/good.key
ipaddress = $list
tcpport = 1433
[fakesql]
quiet = 1
CONF
"$build/tests/fakesql/fakesql" --config "$work/conf" --ready-file "$work/ready" \
    >/dev/null 2>"$work/fakesql.log" &
echo $! > "$work/pid"
for _ in $(seq 400); do [ -s "$work/ready" ] && break; sleep 0.05; done
[ -s "$work/ready" ] || { cat "$work/fakesql.log"; exit 1; }
fpid=$(cat "$work/pid")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run NAME CMD... : wall seconds, user+sys seconds and peak RSS (KiB) via GNU time,
# fakesql CPU over the run.
run() {
    local name=$1
    shift
    local f0 t0 t1 f1
    f0=$(cpu_ticks "$fpid")
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S %M" -o "$work/$name.time" "$@" > "$work/$name.out" 2>/dev/null || true
    t1=$(date +%s%N)
    f1=$(cpu_ticks "$fpid")
    read -r u s m < <(tail -n 1 "$work/$name.time")
    echo "$(( (t1 - t0) / 1000000 )) $u $s $m $(( f1 - f0 ))" > "$work/$name.stats"
}

tp=$build/probe/tdsprobe
# The kit's leaf names localhost; the targets are addresses, so check the name as a client
# with HostNameInCertificate=localhost would.
tp_args=(--json --ca-file "$certs/ca.pem" --host-name-in-certificate localhost)
run full "$tp" "${tp_args[@]}" --concurrency "$conc" --timeout 60 -f "$work/targets"
run cert "$tp" "${tp_args[@]}" --concurrency "$conc" --timeout 60 \
    --handshake certificate -f "$work/targets"
head -n 1 "$work/targets" > "$work/one"
run one "$tp" "${tp_args[@]}" -f "$work/one"
if command -v nmap >/dev/null; then
    run nmap nmap -T5 --min-parallelism 256 --min-hostgroup 256 -Pn -n -p 1433 \
        --script ssl-cert -iL "$work/targets"
fi
sample=$(( n < 50 ? n : 50 ))
head -n "$sample" "$work/targets" > "$work/sample"
if [ -x /usr/lib/nagios/plugins/check_ssl_cert ]; then
    run csc xargs -a "$work/sample" -P 16 -I{} /usr/lib/nagios/plugins/check_ssl_cert -H {} \
        -p 1433 -P tds --ignore-ocsp -r "$certs/ca.pem" -m localhost
fi

# Results: every target exactly once, every verdict ok.
lost=$(( n - $(grep -c '"target"' "$work/full.out" || true) ))
dups=$(grep -o '"target": *"[^"]*"' "$work/full.out" | sort | uniq -d | wc -l)
okc=$(grep -c '"status": *"ok"' "$work/full.out" || true)
okcert=$(grep -c '"status": *"ok"' "$work/cert.out" || true)
nmap_certs=$( [ -f "$work/nmap.out" ] && grep -c 'Subject: commonName=localhost' "$work/nmap.out" || echo 0)

printf '\nFleet benchmark: %d targets on loopback, RSA-2048 leaf, TLS 1.2, concurrency %d, %s\n' \
    "$n" "$conc" "$(nproc) cores"
printf '%-40s %9s %9s %11s %10s %11s\n' tool "targets/s" "wall s" "CPU ms/tgt" "peak RSS" \
    "server ms/hs"
row() { # row NAME LABEL COUNT
    read -r wall u s m f < "$work/$1.stats"
    awk -v l="$2" -v c="$3" -v w="$wall" -v u="$u" -v s="$s" -v m="$m" -v f="$f" -v hz="$hz" \
        'BEGIN { printf "%-40s %9.0f %9.2f %11.3f %8.1fMB %11.3f\n", l, c / (w / 1000),
                 w / 1000, (u + s) * 1000 / c, m / 1024, f / hz * 1000 / c }'
}
row full "tdsprobe (full handshake)" "$n"
row cert "tdsprobe --handshake certificate" "$n"
[ -f "$work/nmap.stats" ] && row nmap "nmap ssl-cert (tuned; leaf only)" "$n"
[ -f "$work/csc.stats" ] && row csc "check_ssl_cert -P tds (-P16, $sample tgts)" "$sample"
read -r _ _ _ m1 _ < "$work/one.stats"
read -r _ _ _ mc _ < "$work/full.stats"
awk -v a="$m1" -v b="$mc" -v c="$conc" -v n="$n" 'BEGIN { k = (c < n ? c : n);
    printf "RSS per in-flight probe: (%.1f MB - %.1f MB) / %d = %.1f KiB\n",
    b / 1024, a / 1024, k, (b - a) / k }'
printf 'results: %d of %d returned, %d lost, %d duplicated, %d ok (certificate mode: %d ok);' \
    "$(( n - lost ))" "$n" "$lost" "$dups" "$okc" "$okcert"
printf ' nmap saw %s leaf certificates\n' "$nmap_certs"
