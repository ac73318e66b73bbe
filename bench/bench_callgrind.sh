#!/usr/bin/env bash
# Instructions per probe (issue 15): tdsprobe and the bare-mbedTLS floor (bench_floor) counted
# by valgrind's callgrind, a figure that does not depend on what else the machine runs.
#
# fakesql listens on N loopback addresses (127.0.B.1-250, port PORT) with the kit's LEAF
# (good = RSA-2048, ecdsa = ECDSA P-256; same RSA intermediate and root). For each mode
# (full, certificate) tdsprobe runs under callgrind on N targets and on 1 target; Ir per probe is
# (Ir(N) - Ir(1)) / (N - 1), i.e. without the run's fixed start-up and exit, and the total Ir / N
# is printed beside it. bench_floor runs under callgrind with --collect-atstart=no: it collects
# only its client-side calls (setup, handshake steps, free), so its Ir per handshake is the
# floor. Only user-space instructions are counted: the kernel's TCP work is in neither figure.
#
#   bench/bench_callgrind.sh [BUILD_DIR] [N] [--leaf good|ecdsa] [--port P] [--keep DIR] [--top K]
#     N         targets (default 200); --keep DIR keeps the callgrind.out files in DIR
#     --port P  fakesql's port (default 24330: not 1433, which tests on a shared machine use)
#     --top K   print the K functions with the largest inclusive Ir of each N-target run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

leaf=good
port=24330
keep=""
top=0
pos=()
while [ $# -gt 0 ]; do
    case $1 in
    --leaf) leaf=${2:?}; shift ;;
    --port) port=${2:?}; shift ;;
    --keep) keep=${2:?}; shift ;;
    --top) top=${2:?}; shift ;;
    -h | --help) sed -n '13,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    -*) echo "bench_callgrind: unknown option $1" >&2; exit 2 ;;
    *) pos+=("$1") ;;
    esac
    shift
done
build=$(cd "${pos[0]:-$root/build}" && pwd)
n=${pos[1]:-200}
(( n >= 2 && n <= 250 * 250 )) || { echo "bench_callgrind: N must be 2..62500" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "bench_callgrind: needs valgrind (Debian package)" >&2; exit 1; }
certs=$build/certs
"$root/tests/certs/make-certs.sh" "$certs" >/dev/null
work=$(mktemp -d)
out=${keep:-$work}
mkdir -p "$out"
cleanup() {
    [ -f "$work/pid" ] && kill "$(cat "$work/pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

awk -v n="$n" -v p="$port" 'BEGIN { for (i = 0; i < n; i++)
    printf "127.0.%d.%d,%d\n", 1 + int(i / 250), 1 + i % 250, p }' > "$work/targets"
head -n 1 "$work/targets" > "$work/one"
ranges=$(awk -v n="$n" 'BEGIN { for (b = 0; b * 250 < n; b++) {
    last = n - b * 250 < 250 ? n - b * 250 : 250;
    printf "%s127.0.%d.1-127.0.%d.%d", b ? "," : "", b + 1, b + 1, last } }')
cat > "$work/conf" <<CONF
[network]
tlscert = $certs/$leaf.pem
tlskey = $certs/$leaf.key
ipaddress = $ranges
tcpport = $port
[fakesql]
quiet = 1
# under valgrind all N connections wait while one slow process works through them
idletimeout = 600
CONF
"$build/tests/fakesql/fakesql" --config "$work/conf" --ready-file "$work/ready" >/dev/null \
    2>"$work/fakesql.log" &
echo $! > "$work/pid"
for _ in $(seq 600); do [ -s "$work/ready" ] && break; sleep 0.05; done
[ -s "$work/ready" ] || { cat "$work/fakesql.log"; exit 1; }

# total FILE: the Ir summary of a callgrind output file
total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
cg() { # cg NAME CMD... : runs CMD under callgrind into $out/NAME.cg
    local name=$1
    shift
    # tdsprobe's exit status says what it found; the status counts are checked below
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.cg" "$@" >"$work/$name.out" \
        2>"$work/$name.err" || true
    [ -s "$out/$name.cg" ] || { cat "$work/$name.err" >&2; exit 1; }
}
tp=("$build/probe/tdsprobe" --json --ca-file "$certs/ca.pem" --host-name-in-certificate localhost
    --timeout 600 --threads 1 --concurrency "$n")
printf 'callgrind, %s: %d targets, %s leaf (%s.pem) + intermediate, fakesql on loopback\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$n" "$(openssl x509 -in "$certs/$leaf.pem" -noout -text |
    awk '/Public Key Algorithm/ { print $4; exit }')" "$leaf"
printf '%-12s %14s %14s %12s %12s %10s %8s\n' mode "Ir N targets" "Ir 1 target" "Ir/probe" \
    "Ir total/N" "floor Ir" ratio
for mode in full certificate; do
    extra=()
    [ "$mode" = certificate ] && extra=(--handshake certificate)
    cg "tdsprobe-$mode-$n" "${tp[@]}" "${extra[@]}" -f "$work/targets"
    ok=$(grep -c '"status": *"ok"' "$work/tdsprobe-$mode-$n.out" || true)
    (( ok == n )) || { echo "bench_callgrind: $mode: $ok of $n ok:" >&2
        grep -o '"code": *"[a-z_]*"' "$work/tdsprobe-$mode-$n.out" | sort | uniq -c >&2; exit 1; }
    cg "tdsprobe-$mode-1" "${tp[@]}" "${extra[@]}" -f "$work/one"
    cg "floor-$mode" --collect-atstart=no "$build/bench/bench_floor" --certs "$certs" \
        --leaf "$leaf" --mode "$mode" --iterations 100 --warmup 0
    a=$(total "$out/tdsprobe-$mode-$n.cg")
    b=$(total "$out/tdsprobe-$mode-1.cg")
    f=$(total "$out/floor-$mode.cg")
    awk -v m="$mode" -v a="$a" -v b="$b" -v f="$f" -v n="$n" 'BEGIN {
        p = (a - b) / (n - 1); fl = f / 100;
        printf "%-12s %14.0f %14.0f %12.0f %12.0f %10.0f %7.2fx\n", m, a, b, p, a / n, fl, p / fl }'
done
if (( top > 0 )); then
    for mode in full certificate; do
        echo
        echo "top $top inclusive, $mode mode, $n targets (callgrind_annotate --inclusive=yes):"
        callgrind_annotate --inclusive=yes "$out/tdsprobe-$mode-$n.cg" 2>/dev/null |
            awk '/^-+$/ { d++; next } d >= 3 && NF >= 2' | head -n "$top"
    done
fi
