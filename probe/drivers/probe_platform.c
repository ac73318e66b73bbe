/* probe/drivers/probe_platform.c: the TLS stacks, one row each, and the client OS (see
 * probe_platform.h). Sources for every value are listed in docs/client-platforms.md. */
#include "probe/drivers/probe_platform.h"

#include "tls/tls_version.h"

/* Windows 10 and Server 2019, the Windows the "windows" client stands for: Schannel offers
 * TLS 1.0-1.2 (TLS 1.3 only from Windows 11 and Server 2022, the next row). CryptoAPI still
 * accepts a SHA-1 signature on a certificate from a private CA (the SHA-1 deprecation covers
 * the Microsoft Trusted Root Program's roots) and refuses RSA keys under 1024 bits
 * (KB2661254). */
const struct probe_tls_stack probe_stack_schannel = {
    .name = "Schannel, Windows 10 / Server 2019", .variant = "schannel",
    .tls_min = TLS_V10, .tls_max = TLS_V12, .min_signature_bits = 63, .min_rsa_bits = 1024,
    .tls13_key_shares = 2,
};

/* Windows 11 24H2 and later and Server 2025, the Windows the "windows11" client stands for:
 * Schannel has TLS 1.3 from Windows 11 and Server 2022 ("TLS 1.3 is supported starting in
 * Windows 11 and Windows Server 2022", Protocols in TLS/SSL (Schannel SSP)), and a client that
 * leaves the versions to the system (SqlClient and ODBC 18 in strict mode) offers it. TLS 1.0
 * and 1.1 are disabled by default "starting with Windows 11 Insider Preview builds in September
 * 2023 and future Windows OS releases", not in OS versions already released then (Microsoft,
 * "TLS 1.0 and TLS 1.1 soon to be disabled in Windows", 2023-08-01): 24H2 and Server 2025 are
 * the first releases after it, Windows 11 21H2-23H2 and Server 2022 still offer TLS 1.0/1.1
 * (--tls-min 1.0 models them). SHA-1 and RSA limits: not verified to differ from Windows 10,
 * kept as the row above. TLS 1.3 key shares: no source seen for Schannel's ClientHello, so
 * the probe's own two (x25519, secp256r1) stay. */
const struct probe_tls_stack probe_stack_schannel_win11 = {
    .name = "Schannel, Windows 11 24H2+ / Server 2025", .variant = "schannel",
    .tls_min = TLS_V12, .tls_max = TLS_V13, .min_signature_bits = 63, .min_rsa_bits = 1024,
    .tls13_key_shares = 2,
};

/* OpenSSL 3 as Debian and Ubuntu configure it (openssl.cnf: security level 2): TLS 1.0/1.1
 * need level 0 (OpenSSL 3.0 CHANGES, commit aba03ae: SHA-1 and MD5 signatures count under 80
 * bits), SHA-1 certificate signatures fail from level 1 (x509_set.c gives SHA-1 63 bits),
 * level 2 wants 112 bits: RSA keys of 2048 bits. SqlClient on Linux (.NET's SslStream) and the
 * ODBC driver on Linux use the system OpenSSL. Its TLS 1.3 ClientHello has one key share, for
 * the first of its groups, x25519 (openssl s_client 3.0 as fakesql logs it, test_tls13.py;
 * OpenSSL 3.5 adds X25519MLKEM768, which a server without it ignores). */
const struct probe_tls_stack probe_stack_openssl3 = {
    .name = "OpenSSL 3, security level 2", .variant = "openssl",
    .tls_min = TLS_V12, .tls_max = TLS_V13, .min_signature_bits = 112, .min_rsa_bits = 2048,
    .tls13_key_shares = 1,
};

/* OpenSSL 3 at its own default, security level 1 (80 bits: RSA 1024, no SHA-1 signatures,
 * no TLS 1.0/1.1): Node.js bundles it and keeps that level, with tls.DEFAULT_MIN_VERSION
 * TLSv1.2 (tedious in TDS 7.x also caps maxVersion at TLSv1.2, src/connection.ts, which the
 * TDS 7.x rule covers); Homebrew's openssl@3, which the ODBC driver links on macOS, sets no
 * other level either. One key share, x25519, as the row above. */
const struct probe_tls_stack probe_stack_openssl3_level1 = {
    .name = "OpenSSL 3, security level 1", .variant = "openssl",
    .tls_min = TLS_V12, .tls_max = TLS_V13, .min_signature_bits = 80, .min_rsa_bits = 1024,
    .tls13_key_shares = 1,
};

/* .NET on macOS uses Apple's Secure Transport, which has no TLS 1.3 (dotnet/runtime#1979);
 * macOS 10.15+ trusts no SHA-1 signed TLS server certificate and no RSA key under 2048 bits
 * (Apple HT210176). */
const struct probe_tls_stack probe_stack_apple = {
    .name = "Apple Secure Transport, macOS 10.15+", .variant = "apple",
    .tls_min = TLS_V10, .tls_max = TLS_V12, .min_signature_bits = 112, .min_rsa_bits = 2048,
    .tls13_key_shares = 2,
};

/* The JDK's JSSE: jdk.tls.disabledAlgorithms has TLSv1 and TLSv1.1 since 8u291 and 11.0.11
 * (JDK-8202343); TLS 1.3 since JDK 11. jdk.certpath.disabledAlgorithms refuses "RSA keySize <
 * 1024" and SHA-1 only for chains to the JDK's own cacerts roots ("SHA1 jdkCA & usage
 * TLSServer"): a private CA's SHA-1 signature passes. The same on every OS. Key shares: the
 * most preferred group of each kind, XDH and ECDHE, so x25519 and secp256r1
 * (sun.security.ssl.KeyShareExtension, CHKeyShareProducer). */
const struct probe_tls_stack probe_stack_jsse = {
    .name = "JSSE, JDK 11.0.11+ / 8u291+", .variant = NULL,
    .tls_min = TLS_V12, .tls_max = TLS_V13, .min_signature_bits = 63, .min_rsa_bits = 1024,
    .tls13_key_shares = 2,
};

/* Go's crypto/tls: clients default to TLS 1.2 minimum (Go 1.18, golang/go#45428) and offer
 * TLS 1.3; crypto/x509 refuses SHA-1 certificate signatures since Go 1.18 (golang/go#41682)
 * and RSA keys under 1024 bits since Go 1.24. The same on every OS. One key share, for the
 * first of its curve preferences, X25519 (handshake_client.go, makeClientHello; Go 1.24 adds
 * X25519MLKEM768 before it, which a server without it ignores). */
const struct probe_tls_stack probe_stack_go = {
    .name = "Go crypto/tls, Go 1.18+", .variant = NULL,
    .tls_min = TLS_V12, .tls_max = TLS_V13, .min_signature_bits = 80, .min_rsa_bits = 1024,
    .tls13_key_shares = 1,
};

/* Debian's FreeTDS is built with GnuTLS and its "enable tls v1" defaults to yes (tsql 1.3.17
 * logs in over TLS 1.0 and 1.1, agreement test); GnuTLS refuses SHA-1 certificate signatures
 * unless %VERIFY_ALLOW_SIGN_WITH_SHA1 is in the priority string. FreeTDS validates only with a
 * "ca file", so the signature and key limits matter only then. Key shares: its top two groups
 * of different kinds (lib/ext/key_share.c, GNUTLS_KEY_SHARE_TOP2), secp256r1 and x25519. */
const struct probe_tls_stack probe_stack_gnutls = {
    .name = "GnuTLS, as Debian builds FreeTDS", .variant = NULL,
    .tls_min = TLS_V10, .tls_max = TLS_V13, .min_signature_bits = 80, .min_rsa_bits = 1024,
    .tls13_key_shares = 2,
};

static const char *const os_names[PROBE_OS_COUNT] = {
    [PROBE_OS_WINDOWS] = "windows", [PROBE_OS_LINUX] = "linux", [PROBE_OS_MACOS] = "macos",
    [PROBE_OS_WINDOWS11] = "windows11",
};

static const char *const os_titles[PROBE_OS_COUNT] = {
    [PROBE_OS_WINDOWS] = "Windows", [PROBE_OS_LINUX] = "Linux", [PROBE_OS_MACOS] = "macOS",
    [PROBE_OS_WINDOWS11] = "Windows 11",
};

enum probe_os probe_os_host(void)
{
#if defined(_WIN32)
    return PROBE_OS_WINDOWS;
#elif defined(__APPLE__)
    return PROBE_OS_MACOS;
#else
    return PROBE_OS_LINUX;
#endif
}

enum probe_os probe_os_resolve(enum probe_os os)
{
    return os > PROBE_OS_HOST && os < PROBE_OS_COUNT ? os : probe_os_host();
}

enum probe_os probe_client_os(const struct probe_client *c)
{
    return probe_os_resolve(c->os);
}

const char *probe_os_name(enum probe_os os)
{
    return os_names[probe_os_resolve(os)];
}

const char *probe_os_title(enum probe_os os)
{
    return os_titles[probe_os_resolve(os)];
}

bool probe_stack_accepts_version(const struct probe_tls_stack *s, int v)
{
    return v >= s->tls_min && v <= s->tls_max;
}
