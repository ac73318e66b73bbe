/* probe/drivers/probe_platform.h: the client's operating system and the TLS stack its driver
 * runs on there. One driver is several clients: Microsoft.Data.SqlClient and the ODBC driver
 * use Schannel on Windows (TLS 1.3 only from Windows 11) and OpenSSL 3 on Linux, and what a
 * TLS stack accepts (TLS versions, SHA-1 signatures, short RSA keys, TLS 1.3) is decided by
 * the stack, not by the driver. Each stack is one row of data here; each driver row
 * (probe_driver.h) names its stack per OS, and probe_client.h reads it for a client
 * (probe_client_stack, probe_client_tls_range).
 * docs/client-platforms.md lists the sources for every value. */
#ifndef PROBE_PROBE_PLATFORM_H
#define PROBE_PROBE_PLATFORM_H

#include <stdbool.h>

#include "probe/model/probe.h"

/* What one TLS stack, as the driver configures it by default, offers and accepts. */
struct probe_tls_stack {
    const char *name;       /* for reports: "OpenSSL 3, security level 2" */
    const char *variant;    /* the driver-text variant for this stack's own words
                               (probe_driver_text), NULL when the driver's plain text fits */
    int tls_min, tls_max;   /* the versions it offers (TLS_V1x); tls_max TLS_V13 = has TLS 1.3 */
    int min_signature_bits; /* weakest certificate signature it accepts, in bits of security
                               as tls_cert counts them: 63 accepts SHA-1, 80 refuses it */
    int min_rsa_bits;       /* smallest RSA key it accepts in the chain */
    /* TLS 1.3 key shares in its first ClientHello: 1 = x25519 alone (a server without x25519
     * then costs a HelloRetryRequest), 2 = x25519 and secp256r1. */
    int tls13_key_shares;
};

extern const struct probe_tls_stack probe_stack_schannel;
extern const struct probe_tls_stack probe_stack_schannel_win11;
extern const struct probe_tls_stack probe_stack_openssl3;
extern const struct probe_tls_stack probe_stack_openssl3_level1;
extern const struct probe_tls_stack probe_stack_apple;
extern const struct probe_tls_stack probe_stack_jsse;
extern const struct probe_tls_stack probe_stack_go;
extern const struct probe_tls_stack probe_stack_gnutls;

/* The OS tdsprobe runs on (what PROBE_OS_HOST means). */
enum probe_os probe_os_host(void);

/* os, with PROBE_OS_HOST (and anything out of range) as probe_os_host(). */
enum probe_os probe_os_resolve(enum probe_os os);

/* c->os, with PROBE_OS_HOST resolved to probe_os_host(). */
enum probe_os probe_client_os(const struct probe_client *c);

/* "windows", "linux", "macos", "windows11" (HOST: the host's name). */
const char *probe_os_name(enum probe_os os);

/* "Windows", "Linux", "macOS", "Windows 11", for sentences. */
const char *probe_os_title(enum probe_os os);

/* Does the stack accept version v (TLS_V1x) by default? */
bool probe_stack_accepts_version(const struct probe_tls_stack *s, int v);

#endif
