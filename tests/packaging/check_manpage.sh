#!/usr/bin/env bash
# tdsprobe(1) is clean for both linters Debian has (mandoc -Tlint, including its style checks;
# groff via `man --warnings`, what man-db renders with) and lists every option the binary's
# --help and `serve --help` list.
# Usage: check_manpage.sh TDSPROBE MANPAGE
set -uo pipefail
tdsprobe=$1 page=$2
fail=0
for tool in mandoc man; do
    if ! command -v $tool >/dev/null; then
        echo "FAIL: $tool missing: apt-get install mandoc man-db"; exit 1
    fi
done

if ! out=$(mandoc -Tlint "$page" 2>&1) || [ -n "$out" ]; then
    echo "FAIL: mandoc -Tlint: $out"; fail=1
else
    echo "ok: mandoc -Tlint finds nothing"
fi
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
if ! warn=$(man --warnings -E UTF-8 -l "$page" 2>&1 >"$rendered") || [ -n "$warn" ]; then
    echo "FAIL: man --warnings: $warn"; fail=1
else
    echo "ok: man --warnings finds nothing ($(wc -l <"$rendered") lines rendered)"
fi

# The options as the help lists them (its lines that start with "  -"), looked up in the
# rendered page as option words.
options() { "$tdsprobe" "$@" --help | grep -E '^  -' | grep -oE '(^|[ ,])--?[a-z][a-z0-9-]*' |
            sed -E 's/^[ ,]+//' | sort -u; }
n=0
for opt in $( (options; options serve) | sort -u); do
    n=$((n + 1))
    if ! grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" "$rendered"; then
        echo "FAIL: $opt (in --help) is not in $page"; fail=1
    fi
done
[ "$n" -ge 30 ] || { echo "FAIL: only $n options read from --help"; fail=1; }
echo "checked $n options of --help and serve --help against the page"
for section in NAME SYNOPSIS DESCRIPTION TARGETS OPTIONS "OUTPUT FORMATS" SERVE "EXIT STATUS" \
               EXAMPLES; do
    grep -qx "$section" "$rendered" || { echo "FAIL: no section $section"; fail=1; }
done
exit $fail
