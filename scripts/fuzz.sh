#!/usr/bin/env bash
# Runs every libFuzzer target in a fuzz build for a share of TOTAL seconds, starting from the
# seed corpus in tests/fuzz/corpus/<target>/. A crash fails the run and leaves the input in
# build-fuzz/findings/ (turn it into a regression test: a corpus file beside the fix).
#   scripts/fuzz.sh BUILD_DIR TOTAL_SECONDS
# CI's short stage must not fail at random on an old bug a lucky mutation finds: it runs with a
# fixed seed (FUZZ_SEED, default 1) over the committed corpus, so a red run is reproducible.
# Long campaigns outside CI use FUZZ_SEED=0 (libFuzzer picks a random seed) and feed what they
# find back as corpus files and tests.
set -euo pipefail
build=${1:?build dir}
total=${2:-60}
seed=${FUZZ_SEED:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t targets < <(find "$build" -maxdepth 3 -type f -executable -name 'fuzz_*' | sort)
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz.sh: no fuzz targets in $build" >&2
    exit 1
fi
per=$(( total / ${#targets[@]} ))
[ "$per" -lt 5 ] && per=5
mkdir -p "$build/findings"
for t in "${targets[@]}"; do
    name=$(basename "$t")
    work="$build/corpus/$name"
    mkdir -p "$work"
    seeds="$root/tests/fuzz/corpus/$name"
    [ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
    printf '%-28s %3ss ' "$name" "$per"
    if ! "$t" -seed="$seed" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/findings/$name-" "$work" >"$build/findings/$name.log" 2>&1; then
        echo "FAILED"
        tail -n 40 "$build/findings/$name.log"
        exit 1
    fi
    grep -Eo 'Done [0-9]+ runs' "$build/findings/$name.log" | tail -n 1
done
