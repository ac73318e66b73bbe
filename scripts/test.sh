#!/usr/bin/env bash
# README command 2: build and pass the whole test suite.
#   1. a normal build and its CTest suite (unit, fakesql, interop and integration tests)
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#   3. every libFuzzer target for a bounded time (FUZZ_SECONDS in all, default 60)
# Installs missing Debian packages first (as root; otherwise it prints the apt-get command).
# CI=true turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test

jobs=$(nproc)
werror=OFF
[ "${CI:-}" = true ] && werror=ON
fuzz_total=${FUZZ_SECONDS:-60}

step() { printf '\n==== %s\n' "$*"; }

step "build (gcc, warnings as errors: $werror)"
cmake -S . -B build -DTDSPROBE_WERROR=$werror >/dev/null
cmake --build build -j"$jobs"
step "test suite"
(cd build && ctest --output-on-failure -j"$jobs")

step "build with ASan + UBSan"
cmake -S . -B build-asan -DTDSPROBE_WERROR=$werror -DTDSPROBE_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
step "test suite under ASan + UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")

step "fuzz targets (clang libFuzzer, ${fuzz_total}s in all)"
CC=clang cmake -S . -B build-fuzz -DTDSPROBE_FUZZ=ON -DTDSPROBE_WERROR=$werror >/dev/null
cmake --build build-fuzz -j"$jobs"
scripts/fuzz.sh build-fuzz "$fuzz_total"
step "all green"
