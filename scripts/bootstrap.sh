#!/usr/bin/env bash
# Installs the Debian packages tdsprobe needs to build, test, fuzz and benchmark.
# As root it runs apt-get itself; otherwise it prints the exact command to run.
# Usage: scripts/bootstrap.sh [build|package|test]
#   build = what the demo needs; package = that and what scripts/package.sh needs; test = everything
set -euo pipefail
what=${1:-test}

# scripts/package.sh: dpkg-dev (dpkg-buildflags, dpkg-shlibdeps), file (CPack's DEB generator),
# mandoc and man-db (the man page's linters). Its tests also need systemd (systemd-analyze
# verifies the service unit; no running systemd needed) and bash-completion (the completion is
# tested with its library loaded).
package_pkgs="dpkg-dev file mandoc man-db"
package_test_pkgs="$package_pkgs systemd bash-completion"

build_pkgs="cmake make gcc libc6-dev pkg-config libuv1-dev libmbedtls-dev libssl-dev libcmocka-dev openssl ca-certificates
            python3"
# check_ssl_cert (monitoring-plugins-contrib; the Nagios agreement test) refuses to run without
# bc, which the package only suggests.
test_pkgs="$build_pkgs clang libclang-rt-14-dev llvm freetds-bin nmap prometheus
           monitoring-plugins-contrib bc bind9-host python3 python3-jsonschema iproute2 procps time"
case "$what" in
build) want=$build_pkgs ;;
package) want="$build_pkgs $package_pkgs" ;;
test) want="$test_pkgs $package_test_pkgs" ;;
*) echo "usage: $0 [build|package|test]" >&2; exit 64 ;;
esac

# Node.js + npm run the tedious agreement tests. A machine may already have them from elsewhere
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package): then leave them be.
if [ "$what" = test ] && ! command -v npm >/dev/null 2>&1; then
    want="$want nodejs npm"
fi

missing=()
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "tdsprobe: these Debian packages are missing: ${missing[*]}" >&2
    echo "Install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "tdsprobe: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# prometheus' postinst wants to start a service; there is no init here, so keep it from trying.
if printf '%s\n' "${missing[@]}" | grep -qx prometheus && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
