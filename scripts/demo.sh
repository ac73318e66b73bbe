#!/usr/bin/env bash
# README command 1: build tdsprobe and run the demo. Five fake SQL Servers (tests/fakesql,
# configured by samples/demo/*.conf, mssql.conf syntax) each show one documented situation;
# tdsprobe probes each and explains it. Installs missing Debian packages first. Every fakesql it
# starts is stopped when it ends, also when interrupted.
#   scripts/demo.sh            the whole demo
#   scripts/demo.sh --json     the same, as JSON Lines
#   TDSPROBE_BUILD_DIR=DIR scripts/demo.sh
#                              use the tdsprobe and fakesql already built in DIR (no package
#                              check, no build): how the test suite runs it
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${TDSPROBE_BUILD_DIR:-}
if [ -z "$build" ]; then
    build=$root/build
    scripts/bootstrap.sh build
    cmake -S . -B build >/dev/null
    cmake --build build -j"$(nproc)" --target tdsprobe fakesql >/dev/null
fi
tdsprobe=$build/probe/tdsprobe
fakesql=$build/tests/fakesql/fakesql
certs=$build/certs
tests/certs/make-certs.sh "$certs"

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME: starts fakesql with samples/demo/NAME.conf and sets port to where it listens. It
# runs in this shell, not in a $(...) subshell, so that its pid stays in pids for cleanup.
start() {
    local conf=$work/$1.conf ready=$work/$1.ready
    sed "s#{certs}#$certs#g" "samples/demo/$1.conf" > "$conf"
    "$fakesql" --config "$conf" --ready-file "$ready" >/dev/null 2>"$work/$1.log" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
    port=$(sed -n 's/^fakesql: listening tcp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$ready" | head -n 1)
    if [ -z "$port" ]; then
        echo "demo: fakesql did not start for $1:" >&2
        cat "$work/$1.log" >&2
        exit 1
    fi
}

show() { # show TITLE NAME TDSPROBE-ARGS...
    local title=$1 name=$2
    shift 2
    start "$name"
    printf '\n\033[1m=== %s\033[0m\n' "$title" >&2
    grep '^#' "samples/demo/$name.conf" | sed 's/^# \{0,1\}/    /' >&2
    printf '$ tdsprobe %s %s,%s\n\n' "$*" "$host" "$port" >&2
    "$tdsprobe" "$@" "$host,$port" || true
}

# Probe by name when this machine resolves localhost (a bare debootstrap has no /etc/hosts).
host=127.0.0.1
getent hosts localhost >/dev/null 2>&1 && host=localhost
fmt=()
[ "${1:-}" = "--json" ] && fmt=(--json)
show "1. A healthy server" 1-healthy "${fmt[@]}" --ca-file "$certs/ca.pem"
show "2. Untrusted chain (SQL Server's self-signed fallback certificate)" 2-untrusted-chain "${fmt[@]}"
show "3. Target principal name is incorrect" 3-target-principal-name "${fmt[@]}" --ca-file "$certs/ca.pem"
show "4. Forcibly closed: server enforces TLS 1.2, client stops at TLS 1.1" 4-forcibly-closed-tls12 "${fmt[@]}" --ca-file "$certs/ca.pem" --tls-max 1.1
show "5. Forcibly closed: SHA-1 certificate on OpenSSL security level 2 (Ubuntu 20.04+)" 5-forcibly-closed-sha1 "${fmt[@]}" --ca-file "$certs/ca.pem"
printf '\nDone. Run %s --help to probe your own servers.\n' "${tdsprobe#"$root"/}" >&2
