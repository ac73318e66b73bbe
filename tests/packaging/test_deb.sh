#!/usr/bin/env bash
# scripts/package.sh, as a user runs it, into a scratch build tree; then the .deb it makes:
#   its name, control fields (Version, Architecture, Depends: the package of every library the
#   binary links, with a version this machine satisfies), conffiles and file list;
#   unpacked with dpkg -x into a temporary root: tdsprobe --version, the man page man finds,
#   the completion, the samples, the systemd unit (systemd-analyze verify and security), and
#   `tdsprobe serve` started with the unit's settings from /etc.
# Usage: test_deb.sh SOURCE_DIR VERSION
set -uo pipefail
src=$1 version=$2
tmp=$(mktemp -d /tmp/tdsprobe-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
for tool in dpkg-deb dpkg-shlibdeps systemd-analyze man; do
    command -v $tool >/dev/null || { bad "$tool missing: scripts/bootstrap.sh test"; exit 1; }
done

# One compiler at a time: CTest runs other tests beside this one.
if ! JOBS=1 BUILD_DIR=$tmp/build DIST_DIR=$tmp/dist bash "$src/scripts/package.sh" \
        >"$tmp/package.log" 2>&1; then
    cat "$tmp/package.log"; bad "scripts/package.sh failed"; exit 1
fi
arch=$(dpkg --print-architecture)
deb=$tmp/dist/tdsprobe_${version}_${arch}.deb
[ -f "$deb" ] || { ls -l "$tmp/dist"; bad "no $deb"; exit 1; }
[ "$(tail -n 1 "$tmp/package.log")" = "$deb" ] && ok "package.sh printed $(basename "$deb")" ||
    bad "package.sh's last line is not the .deb: $(tail -n 1 "$tmp/package.log")"

dpkg-deb -I "$deb"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = tdsprobe ] && [ "$(field Version)" = "$version" ] &&
    [ "$(field Architecture)" = "$arch" ] && ok "Package/Version/Architecture" ||
    bad "control: $(field Package) $(field Version) $(field Architecture)"

# Files.
dpkg-deb -c "$deb" | awk '{print $1, $6}' | sed 's| \./| /|' >"$tmp/contents"
want_files="-rwxr-xr-x /usr/bin/tdsprobe
-rw-r--r-- /usr/share/man/man1/tdsprobe.1.gz
-rw-r--r-- /usr/share/bash-completion/completions/tdsprobe
-rw-r--r-- /usr/lib/systemd/system/tdsprobe-serve.service
-rw-r--r-- /etc/default/tdsprobe-serve
-rw-r--r-- /etc/tdsprobe/modules.conf
-rw-r--r-- /usr/share/doc/tdsprobe/README.md
-rw-r--r-- /usr/share/doc/tdsprobe/samples/monitoring/prometheus.yml
-rw-r--r-- /usr/share/doc/tdsprobe/samples/monitoring/prometheus-sharded.yml
-rwxr-xr-x /usr/share/doc/tdsprobe/samples/monitoring/prometheus-textfile.sh
-rw-r--r-- /usr/share/doc/tdsprobe/samples/lab/README.md"
while read -r line; do
    grep -qxF -- "$line" "$tmp/contents" && ok "contains $line" || bad "no '$line' in the package"
done <<<"$want_files"
# Every sample (but the systemd sources, installed in their places) is in the documentation.
(cd "$src/samples" && find . -type f ! -path './systemd/*' | sed 's|^\./||' | sort) >"$tmp/samples"
n=0
while read -r f; do
    n=$((n + 1))
    grep -q " /usr/share/doc/tdsprobe/samples/$f$" "$tmp/contents" || bad "sample $f not packaged"
done <"$tmp/samples"
[ "$n" -gt 20 ] && ok "all $n samples under /usr/share/doc/tdsprobe/samples" || bad "$n samples"
if grep -E ' /(usr/local|home|root|tmp|build)' "$tmp/contents"; then bad "stray paths"; fi

# Conffiles: an administrator's edits in /etc survive upgrades.
dpkg-deb -e "$deb" "$tmp/control"
printf '/etc/default/tdsprobe-serve\n/etc/tdsprobe/modules.conf\n' |
    cmp -s - "$tmp/control/conffiles" && ok "conffiles" ||
    bad "conffiles: $(cat "$tmp/control/conffiles")"

# Depends: libc6 and the packages of libuv and mbedTLS's three libraries, each "(>= version)"
# with the version installed here satisfying it; mbedTLS at 2.28, the API the code is written for.
root=$tmp/root
dpkg -x "$deb" "$root"
depends=$(field Depends)
echo "Depends: $depends"
for lib in $(ldd "$root/usr/bin/tdsprobe" | awk '$3 ~ /^\// {print $3}'); do
    # dpkg knows a library by the path its package ships (with merged /usr, /lib or /usr/lib).
    real=$(realpath "$lib")
    pkg=
    for path in "$lib" "$real" "${real#/usr}" "/usr$lib"; do
        pkg=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$pkg" ] && break
    done
    dep=$(tr ',' '\n' <<<"$depends" | sed 's/^ *//' | grep -E "^$pkg \(>= [^)]+\)$")
    if [ -z "$dep" ]; then
        bad "$(basename "$lib") is in $pkg, which Depends does not name with a version"
        continue
    fi
    need=$(sed -E 's/.*>= ([^)]+)\)/\1/' <<<"$dep")
    have=$(dpkg-query -W -f='${Version}' "$pkg")
    dpkg --compare-versions "$have" ge "$need" &&
        ok "$(basename "$lib") -> $dep (installed $have)" || bad "$dep not satisfied by $have"
done
for pkg in libc6 libuv1 libmbedtls14 libmbedx509-1 libmbedcrypto7; do
    grep -qE "(^|, )$pkg \(>= " <<<"$depends" || bad "Depends lacks $pkg"
done
for pkg in libmbedtls14 libmbedx509-1 libmbedcrypto7; do
    grep -qE "(^|, )$pkg \(>= 2\.28" <<<"$depends" || bad "Depends: $pkg not >= 2.28"
done

# The binary, from the unpacked root.
got=$("$root/usr/bin/tdsprobe" --version)
[ "$got" = "tdsprobe $version" ] && ok "tdsprobe --version: $got" || bad "--version: '$got'"
"$root/usr/bin/tdsprobe" --dry-run db1.example.com >/dev/null && ok "tdsprobe --dry-run" ||
    bad "tdsprobe --dry-run db1.example.com failed"

# The man page where man looks, and the completion, as in the repository.
page=$(MANPATH=$root/usr/share/man man -w tdsprobe)
[ "$page" = "$root/usr/share/man/man1/tdsprobe.1.gz" ] && ok "man -w: $page" ||
    bad "man -w: '$page'"
zcat "$page" | cmp -s - "$src/docs/man/tdsprobe.1" && ok "man page = docs/man/tdsprobe.1" ||
    bad "man page differs from docs/man/tdsprobe.1"
cmp -s "$root/usr/share/bash-completion/completions/tdsprobe" "$src/scripts/completion/tdsprobe" &&
    ok "completion = scripts/completion/tdsprobe" || bad "completion differs"

# The unit: systemd-analyze verify on the unpacked root (with the host's units for the targets
# it orders against, and MANPATH for Documentation=man:tdsprobe(1)) says nothing; its exposure
# score is low.
unit=$root/usr/lib/systemd/system/tdsprobe-serve.service
[ -f /lib/systemd/system/sysinit.target ] || bad "no systemd units here: apt-get install systemd"
cp -an /lib/systemd/system/. "$root/usr/lib/systemd/system/"
out=$(MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" tdsprobe-serve.service 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify" ||
    bad "systemd-analyze verify ($rc): $out"
out=$(systemd-analyze security --offline=true --root="$root" --threshold=20 \
      tdsprobe-serve.service 2>&1)
rc=$?
[ $rc -eq 0 ] && ok "systemd-analyze security: $(grep -o 'exposure level.*' <<<"$out")" ||
    bad "systemd-analyze security ($rc): $(tail -n 3 <<<"$out")"
grep -qx 'DynamicUser=yes' "$unit" && grep -q '^ExecStart=/usr/bin/tdsprobe serve ' "$unit" &&
    grep -qx 'EnvironmentFile=-/etc/default/tdsprobe-serve' "$unit" &&
    ok "unit: DynamicUser, ExecStart, EnvironmentFile" ||
    bad "unit lines"

# `tdsprobe serve` with the settings the unit reads (/etc/default/tdsprobe-serve: listen address,
# modules file, options), the listen port made free and /etc made the unpacked root's.
(
    set -a
    # shellcheck source=/dev/null
    source "$root/etc/default/tdsprobe-serve"
    set +a
    [ "$TDSPROBE_LISTEN" = 127.0.0.1:9717 ] &&
        [ "$TDSPROBE_MODULES" = /etc/tdsprobe/modules.conf ] ||
        { echo "FAIL: defaults $TDSPROBE_LISTEN $TDSPROBE_MODULES"; exit 1; }
    # shellcheck disable=SC2086
    exec timeout 5 "$root/usr/bin/tdsprobe" serve --listen 127.0.0.1:0 \
        --config "$root$TDSPROBE_MODULES" $TDSPROBE_OPTS
) >"$tmp/serve.out" 2>&1
grep -q '^tdsprobe serve: listening on http://127.0.0.1:' "$tmp/serve.out" &&
    ok "serve starts with /etc/default/tdsprobe-serve and /etc/tdsprobe/modules.conf" ||
    bad "serve: $(cat "$tmp/serve.out")"
exit $fail
