#!/usr/bin/env bash
# cmake --install of the build tree (into a DESTDIR) lays out what the Debian package holds, under
# the configured prefix: the binary (which runs and prints the project version), tdsprobe(1), the
# completion, the systemd unit (naming this prefix's binary and settings), /etc settings, samples.
# Usage: test_install.sh BUILD_DIR PREFIX VERSION
set -uo pipefail
build=$1 prefix=$2 version=$3
dest=$(mktemp -d /tmp/tdsprobe-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail=0
if ! DESTDIR=$dest cmake --install "$build" >"$dest.log" 2>&1; then
    cat "$dest.log"; rm -f "$dest.log"; echo "FAIL: cmake --install"; exit 1
fi
rm -f "$dest.log"
sysconf=$prefix/etc
[ "$prefix" = /usr ] && sysconf=/etc
for f in "$prefix/bin/tdsprobe" "$prefix/share/man/man1/tdsprobe.1.gz" \
         "$prefix/share/bash-completion/completions/tdsprobe" \
         "$prefix/lib/systemd/system/tdsprobe-serve.service" "$sysconf/default/tdsprobe-serve" \
         "$sysconf/tdsprobe/modules.conf" "$prefix/share/doc/tdsprobe/README.md" \
         "$prefix/share/doc/tdsprobe/samples/monitoring/prometheus.yml"; do
    [ -f "$dest$f" ] && echo "ok: $f" || { echo "FAIL: no $f"; fail=1; }
done
got=$("$dest$prefix/bin/tdsprobe" --version)
if [ "$got" = "tdsprobe $version" ]; then
    echo "ok: --version: $got"
else
    echo "FAIL: --version '$got'"; fail=1
fi
unit=$dest$prefix/lib/systemd/system/tdsprobe-serve.service
for line in "ExecStart=$prefix/bin/tdsprobe serve " \
            "EnvironmentFile=-$sysconf/default/tdsprobe-serve" \
            "Environment=TDSPROBE_MODULES=$sysconf/tdsprobe/modules.conf"; do
    if grep -qF -- "$line" "$unit"; then
        echo "ok: unit has $line"
    else
        echo "FAIL: unit lacks $line"; fail=1
    fi
done
grep -qx "TDSPROBE_MODULES=$sysconf/tdsprobe/modules.conf" "$dest$sysconf/default/tdsprobe-serve" ||
    { echo "FAIL: TDSPROBE_MODULES in default/tdsprobe-serve"; fail=1; }
if grep -rlIE '@[A-Z_]+@' "$dest"; then echo "FAIL: unconfigured @VAR@ left"; fail=1; fi
exit $fail
