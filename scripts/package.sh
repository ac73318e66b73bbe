#!/usr/bin/env bash
# Builds the Debian package dist/tdsprobe_<version>_<arch>.deb: /usr/bin/tdsprobe, tdsprobe(1),
# bash completion, the systemd unit of `tdsprobe serve` with its settings in /etc, and the samples
# in /usr/share/doc/tdsprobe. Depends is computed from the libraries the binary links
# (dpkg-shlibdeps). Install it with: apt-get install ./dist/tdsprobe_*.deb
#
# Installs the Debian packages it needs first (as root; otherwise it prints the apt-get command).
# BUILD_DIR (default build-deb) is the build tree, DIST_DIR (default dist) where the .deb goes,
# JOBS (default: the number of cores) how many compilers run at once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh package

build=${BUILD_DIR:-build-deb}
dist=${DIST_DIR:-dist}
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)

# The man page is refused here rather than shipped with an error in it: mandoc's linter, and
# groff (what man-db renders it with) reporting any warning.
man_src=docs/man/tdsprobe.1
mandoc -Tlint "$man_src"
man_warnings=$(man --warnings -E UTF-8 -l "$man_src" 2>&1 >/dev/null)
if [ -n "$man_warnings" ]; then
    echo "$man_src: $man_warnings" >&2
    exit 1
fi

# Debian's build flags (hardening: fortify, stack protector, relro, bindnow, PIE).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr -DTDSPROBE_TESTS=OFF \
    -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target tdsprobe tdsprobe_docs
(cd "$build" && cpack -G DEB -B "$PWD/cpack" >/dev/null)
deb=$(ls "$build"/cpack/tdsprobe_*.deb)
cp "$deb" "$dist/"
echo "$dist/$(basename "$deb")"
