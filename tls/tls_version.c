/* tls/tls_version.c: version names, and the TLS library's own version. */
#include "tls/tls_version.h"

#include <mbedtls/version.h>

const char *tls_version_name(int minor)
{
    switch (minor) {
    case 0: return "SSLv3";
    case TLS_V10: return "TLSv1.0";
    case TLS_V11: return "TLSv1.1";
    case TLS_V12: return "TLSv1.2";
    case TLS_V13: return "TLSv1.3";
    default: return "unknown";
    }
}

const char *tls_library_version(void)
{
    static char v[18]; /* mbedtls_version_get_string writes at most 18 bytes */

    if (v[0] == '\0') {
        mbedtls_version_get_string(v);
    }
    return v;
}
