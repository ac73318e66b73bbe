#!/usr/bin/env bash
# Source rules CMake cannot enforce:
#  - tds/ and tls/ are sans-I/O: no libuv, no sockets, no mbedTLS networking, and tds/ no mbedTLS;
#  - probe/ is in layers whose includes point one way (the table below); only the engine and the
#    front ends see libuv; no header includes another in a cycle;
#  - no banned C functions anywhere in the project's own code;
#  - style: braces on every body (scripts/check-braces.py), no .c file over 900 lines, comments
#    that state facts instead of pointing at notes outside the repository.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
if grep -nE '#include *[<"](uv\.h|sys/socket\.h|netinet/|netdb\.h|mbedtls/net_sockets\.h)' \
    tds/*.[ch] tls/*.[ch]; then
    echo "check-source: tds/ and tls/ must not touch sockets or libuv" >&2
    bad=1
fi
if grep -nE '#include *[<"](mbedtls/|openssl/)' tds/*.[ch]; then
    echo "check-source: tds/ must not use a TLS library" >&2
    bad=1
fi
# probe/ layers: what each may include besides itself, tds/ and tls/.
declare -A may_use=(
    [model]=""
    [drivers]="model"
    [diagnose]="model drivers"
    [engine]="model drivers diagnose"
    [output]="model drivers diagnose"
    [serve]="model drivers diagnose engine output"
    [cli]="model drivers diagnose engine output serve"
)
for layer in probe/*/; do
    layer=$(basename "$layer")
    if [ -z "${may_use[$layer]+set}" ]; then
        echo "check-source: probe/$layer/ is not a known layer (add it to may_use)" >&2
        bad=1
        continue
    fi
    allowed="$layer ${may_use[$layer]}"
    while IFS=: read -r file line inc; do
        used=$(sed -E 's|.*"probe/([^/]+)/.*|\1|' <<<"$inc")
        if ! grep -qw -- "$used" <<<"$allowed"; then
            echo "$file:$line: probe/$layer/ must not include probe/$used/ (layers: docs/architecture.md)" >&2
            bad=1
        fi
    done < <(grep -nHE '#include *"probe/' probe/"$layer"/*.[ch])
done
if grep -nE '#include *<uv\.h>' probe/model/*.[ch] probe/drivers/*.[ch] probe/diagnose/*.[ch] \
    probe/output/*.[ch]; then
    echo "check-source: only probe/engine/ and the front ends may use libuv" >&2
    bad=1
fi
if grep -nE '#include *"probe/(output|serve|cli)/' probe/engine/*.[ch]; then
    echo "check-source: the engine must not know the writers or the front ends" >&2
    bad=1
fi
# No include cycles among the project's own files (tsort reports a loop).
pairs=$(for f in tds/*.[ch] tls/*.[ch] probe/*/*.[ch]; do
    grep -oE '#include *"(tds|tls|probe)/[^"]+"' "$f" | sed -E 's|.*"(.*)"|\1|' |
        while read -r inc; do
            # a .c file and its header are one unit; a module's private *_int.h belongs to its
            # .c files, so including it makes no dependency
            [[ $inc == *_int.h ]] && continue
            printf '%s %s\n' "${f%.[ch]}" "${inc%.[ch]}"
        done
done | awk '$1 != $2')
if ! tsort <<<"$pairs" >/dev/null 2>/tmp/check-source-tsort.$$; then
    cat /tmp/check-source-tsort.$$ >&2
    echo "check-source: include cycle (above)" >&2
    bad=1
fi
rm -f /tmp/check-source-tsort.$$

# Style that clang-format cannot enforce.
c_files=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -E '^(tds|tls|probe|tests|bench)/' ||
    find tds tls probe tests bench -name '*.[ch]' -not -path '*/node_modules/*')
if ! python3 scripts/check-braces.py $c_files; then
    echo "check-source: every if/else/for/while body takes braces" >&2
    bad=1
fi
for f in tds/*.c tls/*.c probe/*/*.c; do
    if [ "$(wc -l <"$f")" -gt 900 ]; then
        echo "$f: $(wc -l <"$f") lines; split it by concept (at most 900)" >&2
        bad=1
    fi
done
if grep -rnE 'notes/|notes §|(clients|tds-protocol|style|peers)\.md' --include='*.[ch]' \
    --include='*.py' --include='*.sh' --include='*.cmake' --include='CMakeLists.txt' \
    tds tls probe tests bench scripts 2>/dev/null | grep -v node_modules | grep -v '^scripts/check-source.sh:'; then
    echo "check-source: a comment points at notes outside the repository; state the fact instead" >&2
    bad=1
fi

banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|sscanf|gets)[[:space:]]*\('
if grep -rnE "$banned" --include='*.c' --include='*.h' tds tls probe tests bench 2>/dev/null \
    | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)'; then
    echo "check-source: banned function used (use snprintf / memcpy / strtol)" >&2
    bad=1
fi
[ $bad -eq 0 ] && echo "check-source: ok"
exit $bad
