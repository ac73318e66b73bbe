/* tls/tls_version.c: version names. */
#include "tls/tls_version.h"

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
