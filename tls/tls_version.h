/* tls/tls_version.h: how tls/ numbers TLS versions.
 *
 * A version is the minor number of its 3.x wire value (RFC 5246 6.2.1, RFC 8446 4.1.2): the
 * config's range, what a ServerHello chose, a suite's span and the TLS 1.3 probe all use it. */
#ifndef TLS_TLS_VERSION_H
#define TLS_TLS_VERSION_H

/* 1 = TLS 1.0 (0x0301), 2 = TLS 1.1, 3 = TLS 1.2, 4 = TLS 1.3 (0x0304). */
#define TLS_V10 1
#define TLS_V11 2
#define TLS_V12 3
#define TLS_V13 4

/* "TLSv1.2"; "SSLv3" for 0; "unknown" for anything else. */
const char *tls_version_name(int minor);

/* "2.28.3": the version of the mbedTLS library this process runs with (the shared library's
 * own mbedtls_version_get_string, which may be newer than the headers it was built with). */
const char *tls_library_version(void);

#endif
