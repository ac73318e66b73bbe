#!/usr/bin/env bash
# The bash completion, sourced in bash, its function called as bash would (COMP_WORDS, COMP_CWORD):
# options from the binary's help (tdsprobe and tdsprobe serve), the fixed values of --driver,
# --encrypt, --format, --tls-min/--tls-max, --handshake and --client-os, files after -f. Each
# value it offers is one the binary accepts, and the drivers are exactly those --help names.
# With "with-bash-completion", bash-completion's library is loaded first, as in an interactive
# shell (the function then reads the words through _init_completion).
# Usage: test_completion.sh TDSPROBE COMPLETION_FILE [with-bash-completion]
set -uo pipefail
tdsprobe=$1 completion=$2
PATH=$(dirname "$tdsprobe"):$PATH
if [ "${3-}" = with-bash-completion ]; then
    lib=/usr/share/bash-completion/bash_completion
    [ -f $lib ] || { echo "FAIL: $lib missing: apt-get install bash-completion"; exit 1; }
    set +u
    # shellcheck source=/dev/null
    source $lib
    set -u
    declare -F _init_completion >/dev/null || { echo "FAIL: no _init_completion in $lib"; exit 1; }
fi
# shellcheck source=/dev/null
source "$completion"
fail=0

complete_words() {   # prints what the completion offers for the words given (the last is cur)
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _tdsprobe tdsprobe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {   # expect "WANTED" WORDS...
    local want=$1 got
    shift
    got=$(complete_words "$@")
    if [ "$got" = "$want" ]; then
        echo "ok: [$*] -> $got"
    else
        echo "FAIL: [$*] -> '$got', wanted '$want'"; fail=1
    fi
}

complete -p tdsprobe | grep -q -- '-F _tdsprobe' || { echo "FAIL: not registered"; fail=1; }
drivers="freetds go-mssqldb jdbc odbc17 odbc18 sqlclient sqlclient-legacy tedious"
expect "$drivers" tdsprobe --driver ""
expect "odbc17 odbc18" tdsprobe db1 --driver od
expect "disable mandatory optional strict" tdsprobe --encrypt ""
expect "strict" tdsprobe --encrypt st
expect "json nagios prometheus text" tdsprobe --format ""
expect "1.0 1.1 1.2" tdsprobe --tls-max ""
expect "certificate full" tdsprobe serve --handshake ""
expect "linux macos windows windows11" tdsprobe --client-os ""
expect "windows windows11" tdsprobe db1 --client-os win
expect "--driver --dry-run" tdsprobe --dr
expect "--protocols" tdsprobe db1 --prot
expect "--listen" tdsprobe serve --lis   # serve's options, not the CLI's --list-findings, --list-suites
expect "--list-findings --list-suites" tdsprobe --lis
expect "serve" tdsprobe se
expect "" tdsprobe --timeout ""

# Every option of `tdsprobe --help` / `serve --help` is offered after "--", and nothing else.
opts() { "$tdsprobe" "$@" --help | grep -E '^  --?[a-z]' | grep -oE '(^|[ ,])--[a-z][a-z0-9-]*' |
         sed -E 's/^[ ,]+//' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
expect "$(opts)" tdsprobe --
expect "$(opts serve)" tdsprobe serve --
for opt in --version --warn-days --json; do   # the help was read, not an empty list
    if ! grep -qw -- "$opt" <<<"$(complete_words tdsprobe --)"; then
        echo "FAIL: no $opt after --"; fail=1
    fi
done

# Files after -f and --ca-file, with "-" (stdin) for -f.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/fleet.txt" "$dir/fleet2.txt"
expect "$dir/fleet.txt $dir/fleet2.txt" tdsprobe -f "$dir/fle"
expect "$dir/fleet.txt" tdsprobe --ca-file "$dir/fleet."

# The values offered are what the binary takes: each accepted by --dry-run, a wrong one refused.
check_values() {   # check_values OPTION
    local v
    for v in $(complete_words tdsprobe "$1" ""); do
        if ! "$tdsprobe" --dry-run "$1" "$v" db1 >/dev/null 2>&1; then
            echo "FAIL: tdsprobe $1 $v is refused"; fail=1
        fi
    done
    if "$tdsprobe" --dry-run "$1" no-such-value db1 >/dev/null 2>&1; then
        echo "FAIL: tdsprobe $1 no-such-value is accepted"; fail=1
    fi
}
for opt in --driver --encrypt --tls-min --tls-max --handshake --client-os; do
    check_values "$opt"
done
for v in $(complete_words tdsprobe --format ""); do
    if ! out=$("$tdsprobe" --format "$v" --help 2>&1 >/dev/null); then
        echo "FAIL: --format $v: $out"; fail=1
    fi
done
# The drivers named in --help's --driver text are exactly the ones offered.
help_drivers=$("$tdsprobe" --help | sed -n '/--driver NAME/,/inferred/p' |
               sed -E 's/^ *--driver NAME *//' |
               sed -E 's/the client to emulate://; s/\(default\)//; s/\(inferred.*//' |
               tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort | tr '\n' ' ' | sed 's/ $//')
expect "$help_drivers" tdsprobe --driver ""
exit $fail
