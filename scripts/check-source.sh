#!/usr/bin/env bash
# Source rules CMake cannot enforce (notes/style.md):
#  - tds/ and tls/ are sans-I/O: no libuv, no sockets, no mbedTLS networking, and tds/ no mbedTLS;
#  - no banned C functions anywhere in the project's own code.
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
banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|sscanf|gets)[[:space:]]*\('
if grep -rnE "$banned" --include='*.c' --include='*.h' tds tls probe tests bench 2>/dev/null \
    | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)'; then
    echo "check-source: banned function used (use snprintf / memcpy / strtol)" >&2
    bad=1
fi
[ $bad -eq 0 ] && echo "check-source: ok"
exit $bad
