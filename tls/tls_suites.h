/* tls/tls_suites.h: the cipher suite catalogue: IANA names and ids, what this mbedTLS build can
 * offer, the default offer order, and what each suite is made of (with its weaknesses), for the
 * report and the cipher audit. Versions are TLS_V1x (tls/tls_version.h). */
#ifndef TLS_TLS_SUITES_H
#define TLS_TLS_SUITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IANA name for a suite id, or NULL when unknown. */
const char *tls_cipher_name(uint16_t id);
/* Whether this mbedTLS build can offer the suite (for --ciphers audits; tls_config_new refuses
 * a list with an unsupported id). */
bool tls_cipher_supported(uint16_t id);

/* The suites a config with ciphersuites = NULL offers, in offer order (IANA ids). Writes at
 * most cap ids (out may be NULL when cap is 0) and returns how many the list holds. */
size_t tls_default_suites(uint16_t *out, size_t cap);

/* What a suite is made of, for cipher audits. Strings are static. */
struct tls_suite_info {
    const char *name;        /* IANA, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
    const char *kx;          /* "ECDHE", "DHE", "RSA", "ECDH", "PSK", "ECJPAKE"; "any" for a
                                TLS 1.3 suite (key exchange is negotiated apart, RFC 8446 B.4) */
    const char *auth;        /* "RSA", "ECDSA", "PSK", "ECJPAKE"; "any" for TLS 1.3. For static
                                ECDH it is the certificate's signer (ECDH_RSA -> "RSA") */
    const char *cipher;      /* "AES-128-GCM", "AES-256-CBC", "3DES-EDE-CBC", "RC4-128",
                                "CHACHA20-POLY1305", "CAMELLIA-128-CBC", "ARIA-256-GCM", ... */
    const char *mac;         /* "SHA1", "SHA256", "SHA384", "MD5", or "AEAD" (GCM, CCM, ChaCha) */
    int min_version;         /* TLS_V10..TLS_V13: the oldest version the suite can be used in */
    int max_version;
    bool weak_3des;          /* 64-bit block cipher (3DES, DES): SWEET32, CVE-2016-2183 */
    bool weak_rc4;           /* RC4: RFC 7465 forbids it */
    bool cbc_sha1;           /* CBC with HMAC-SHA1: the Lucky13/POODLE-TLS family */
    bool no_forward_secrecy; /* static key exchange (RSA, ECDH, PSK, RSA-PSK) */
    bool null_cipher;        /* no encryption at all */
    bool mbedtls_known;      /* this mbedTLS build knows the suite (it may still not offer it
                                by default, e.g. RC4 and most 3DES suites) */
};
/* false when the id is neither known to mbedTLS nor one of the five TLS 1.3 suites. */
bool tls_suite_info(uint16_t id, struct tls_suite_info *out);

#endif
