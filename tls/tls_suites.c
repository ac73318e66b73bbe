/* tls/tls_suites.c: the cipher suite catalogue.
 *
 * Names: the table carries IANA names (the contract's spelling). Every suite this mbedTLS build
 * knows is listed (test_tls_names checks the table against mbedTLS's own list), plus the ones a
 * server may pick that mbedTLS cannot (TLS 1.3, DSS, export), so a report can still name them.
 * The default offer: the order real clients use. What a suite is made of: mbedTLS's own suite
 * table is the source (key exchange, cipher, MAC, version range), so the audit describes exactly
 * what this build can offer; the five TLS 1.3 suites are added by hand (mbedTLS 2.28 cannot speak
 * TLS 1.3, but the TLS 1.3 probe reports the suite a server chose). */
#include "tls/tls_suites.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"
#include "tls/tls_version.h"

/* ---- names ---- */

struct cipher_name {
    uint16_t id;
    const char *name;
};

/* Sorted by id (binary search). */
static const struct cipher_name names[] = {
    { 0x0001, "TLS_RSA_WITH_NULL_MD5" },
    { 0x0002, "TLS_RSA_WITH_NULL_SHA" },
    { 0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5" },
    { 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
    { 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
    { 0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5" },
    { 0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA" },
    { 0x0009, "TLS_RSA_WITH_DES_CBC_SHA" },
    { 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA" },
    { 0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA" },
    { 0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA" },
    { 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA" },
    { 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" },
    { 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
    { 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
    { 0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA" },
    { 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
    { 0x003B, "TLS_RSA_WITH_NULL_SHA256" },
    { 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
    { 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
    { 0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256" },
    { 0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA" },
    { 0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA" },
    { 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
    { 0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256" },
    { 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
    { 0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA" },
    { 0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA" },
    { 0x008A, "TLS_PSK_WITH_RC4_128_SHA" },
    { 0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA" },
    { 0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA" },
    { 0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA" },
    { 0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA" },
    { 0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA" },
    { 0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA" },
    { 0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA" },
    { 0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA" },
    { 0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA" },
    { 0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA" },
    { 0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA" },
    { 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
    { 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
    { 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
    { 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
    { 0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256" },
    { 0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384" },
    { 0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256" },
    { 0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384" },
    { 0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256" },
    { 0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384" },
    { 0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256" },
    { 0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384" },
    { 0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256" },
    { 0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384" },
    { 0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256" },
    { 0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384" },
    { 0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256" },
    { 0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384" },
    { 0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256" },
    { 0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256" },
    { 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
    { 0x1301, "TLS_AES_128_GCM_SHA256" },
    { 0x1302, "TLS_AES_256_GCM_SHA384" },
    { 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
    { 0x1304, "TLS_AES_128_CCM_SHA256" },
    { 0x1305, "TLS_AES_128_CCM_8_SHA256" },
    { 0x5600, "TLS_FALLBACK_SCSV" },
    { 0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA" },
    { 0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA" },
    { 0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA" },
    { 0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA" },
    { 0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA" },
    { 0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA" },
    { 0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
    { 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
    { 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
    { 0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA" },
    { 0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA" },
    { 0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA" },
    { 0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA" },
    { 0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA" },
    { 0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
    { 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
    { 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
    { 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
    { 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
    { 0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256" },
    { 0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384" },
    { 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
    { 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
    { 0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256" },
    { 0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384" },
    { 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
    { 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
    { 0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256" },
    { 0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384" },
    { 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
    { 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
    { 0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256" },
    { 0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384" },
    { 0xC033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA" },
    { 0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA" },
    { 0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA" },
    { 0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA" },
    { 0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256" },
    { 0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384" },
    { 0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC08E, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC08F, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256" },
    { 0xC093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384" },
    { 0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256" },
    { 0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384" },
    { 0xC09C, "TLS_RSA_WITH_AES_128_CCM" },
    { 0xC09D, "TLS_RSA_WITH_AES_256_CCM" },
    { 0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM" },
    { 0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM" },
    { 0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8" },
    { 0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8" },
    { 0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8" },
    { 0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8" },
    { 0xC0A4, "TLS_PSK_WITH_AES_128_CCM" },
    { 0xC0A5, "TLS_PSK_WITH_AES_256_CCM" },
    { 0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM" },
    { 0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM" },
    { 0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8" },
    { 0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8" },
    { 0xC0AA, "TLS_DHE_PSK_WITH_AES_128_CCM_8" },
    { 0xC0AB, "TLS_DHE_PSK_WITH_AES_256_CCM_8" },
    { 0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
    { 0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
    { 0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
    { 0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
    { 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
    { 0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256" },
};

const char *tls_cipher_name(uint16_t id)
{
    size_t lo = 0, hi = sizeof(names) / sizeof(names[0]);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (names[mid].id == id) {
            return names[mid].name;
        }
        if (names[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

void tls__cipher_label(uint16_t id, char *out, size_t outlen)
{
    const char *name = tls_cipher_name(id);

    if (name != NULL) {
        snprintf(out, outlen, "%s", name);
    } else {
        snprintf(out, outlen, "0x%04X", id);
    }
}

bool tls_cipher_supported(uint16_t id)
{
    return id != 0 && mbedtls_ssl_ciphersuite_from_id(id) != NULL;
}

/* ---- the default offer ---- */

/* Suite classes in the order real clients (Schannel, OpenSSL) prefer them: forward-secret
 * ECDHE first, then DHE, then plain RSA key exchange, then static ECDH. PSK and EC J-PAKE need
 * secrets a probe does not have: never offered. */
static int suite_rank(const struct tls__suite_fields *f)
{
    if (f->cipher == MBEDTLS_CIPHER_NULL) {
        return -1;
    }
    switch (f->key_exchange) {
    case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
    case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
        return 0;
    case MBEDTLS_KEY_EXCHANGE_DHE_RSA:
        return 1;
    case MBEDTLS_KEY_EXCHANGE_RSA:
        return 2;
    case MBEDTLS_KEY_EXCHANGE_ECDH_RSA:
    case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA:
        return 3;
    default:
        return -1;
    }
}

/* Within a class: AES-GCM, then ChaCha20-Poly1305, then AES-CBC, then the rest (CCM,
 * Camellia), as Schannel and OpenSSL order them. */
static int cipher_rank(const struct tls__suite_fields *f)
{
    switch (f->cipher) {
    case MBEDTLS_CIPHER_AES_128_GCM:
    case MBEDTLS_CIPHER_AES_256_GCM:
        return 0;
    case MBEDTLS_CIPHER_CHACHA20_POLY1305:
        return 1;
    case MBEDTLS_CIPHER_AES_128_CBC:
    case MBEDTLS_CIPHER_AES_256_CBC:
        return 2;
    default:
        return 3;
    }
}

/* mbedTLS 2.28 defines under 200 suites; a longer list is cut here rather than overflow. */
#define MAX_LISTED_SUITES 512

/* Writes at most cap ids, returns the count (see tls_suites.h). */
size_t tls_default_suites(uint16_t *out, size_t cap)
{
    const int *all = mbedtls_ssl_list_ciphersuites();
    uint8_t key[MAX_LISTED_SUITES]; /* class * 4 + cipher rank, 0xFF = never offered */
    size_t total = 0, n = 0;
    bool listed_3des = false;

    /* mbedtls_ssl_ciphersuite_from_id is a linear search: one call per suite, not per rank
     * (that made a default config cost ~100 us). */
    for (; all[total] != 0 && total < MAX_LISTED_SUITES; total++) {
        struct tls__suite_fields f;

        tls__suite_fields(mbedtls_ssl_ciphersuite_from_id(all[total]), &f);
        key[total] = suite_rank(&f) < 0 ? 0xFF : (uint8_t)(suite_rank(&f) * 4 + cipher_rank(&f));
        listed_3des = listed_3des || all[total] == 0x000A;
    }
    /* A stable selection by (class, cipher): mbedTLS's own strength order survives inside. */
    for (int rank = 0; rank <= 3 * 4 + 3; rank++) {
        for (size_t i = 0; i < total; i++) {
            if (key[i] != rank) {
                continue;
            }
            if (n < cap) {
                out[n] = (uint16_t)all[i];
            }
            n++;
        }
    }
    /* Schannel still offers RSA 3DES, and 2008-era servers may accept nothing else; this
     * mbedTLS build leaves 3DES out of its default list. */
    if (!listed_3des && mbedtls_ssl_ciphersuite_from_id(0x000A) != NULL) {
        if (n < cap) {
            out[n] = 0x000A;
        }
        n++;
    }
    return n;
}

/* ---- what a suite is made of ---- */

struct kx_auth {
    const char *kx;
    const char *auth;
    bool forward_secret;
};

/* Static ECDH names the certificate's signer as auth (OpenSSL prints "Kx=ECDH/RSA"): the ECDH
 * key itself sits in the certificate, so nothing is forward secret. */
static struct kx_auth kx_of(mbedtls_key_exchange_type_t kx)
{
    switch (kx) {
    case MBEDTLS_KEY_EXCHANGE_RSA: return (struct kx_auth){ "RSA", "RSA", false };
    case MBEDTLS_KEY_EXCHANGE_DHE_RSA: return (struct kx_auth){ "DHE", "RSA", true };
    case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA: return (struct kx_auth){ "ECDHE", "RSA", true };
    case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA: return (struct kx_auth){ "ECDHE", "ECDSA", true };
    case MBEDTLS_KEY_EXCHANGE_ECDH_RSA: return (struct kx_auth){ "ECDH", "RSA", false };
    case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA: return (struct kx_auth){ "ECDH", "ECDSA", false };
    case MBEDTLS_KEY_EXCHANGE_PSK: return (struct kx_auth){ "PSK", "PSK", false };
    case MBEDTLS_KEY_EXCHANGE_RSA_PSK: return (struct kx_auth){ "RSA", "PSK", false };
    case MBEDTLS_KEY_EXCHANGE_DHE_PSK: return (struct kx_auth){ "DHE", "PSK", true };
    case MBEDTLS_KEY_EXCHANGE_ECDHE_PSK: return (struct kx_auth){ "ECDHE", "PSK", true };
    case MBEDTLS_KEY_EXCHANGE_ECJPAKE: return (struct kx_auth){ "ECJPAKE", "ECJPAKE", true };
    default: return (struct kx_auth){ "unknown", "unknown", false };
    }
}

/* OpenSSL-style names, except "3DES-EDE-CBC" and "RC4-128" (the audit's wording; mbedTLS says
 * DES-EDE3-CBC and ARC4-128). CCM_8 suites share the CCM cipher and differ by a flag. */
static const char *cipher_of(mbedtls_cipher_type_t c, bool short_tag)
{
    switch (c) {
    case MBEDTLS_CIPHER_NULL: return "NULL";
    case MBEDTLS_CIPHER_AES_128_CBC: return "AES-128-CBC";
    case MBEDTLS_CIPHER_AES_256_CBC: return "AES-256-CBC";
    case MBEDTLS_CIPHER_AES_128_GCM: return "AES-128-GCM";
    case MBEDTLS_CIPHER_AES_256_GCM: return "AES-256-GCM";
    case MBEDTLS_CIPHER_AES_128_CCM: return short_tag ? "AES-128-CCM-8" : "AES-128-CCM";
    case MBEDTLS_CIPHER_AES_256_CCM: return short_tag ? "AES-256-CCM-8" : "AES-256-CCM";
    case MBEDTLS_CIPHER_CAMELLIA_128_CBC: return "CAMELLIA-128-CBC";
    case MBEDTLS_CIPHER_CAMELLIA_256_CBC: return "CAMELLIA-256-CBC";
    case MBEDTLS_CIPHER_CAMELLIA_128_GCM: return "CAMELLIA-128-GCM";
    case MBEDTLS_CIPHER_CAMELLIA_256_GCM: return "CAMELLIA-256-GCM";
    case MBEDTLS_CIPHER_ARIA_128_CBC: return "ARIA-128-CBC";
    case MBEDTLS_CIPHER_ARIA_256_CBC: return "ARIA-256-CBC";
    case MBEDTLS_CIPHER_ARIA_128_GCM: return "ARIA-128-GCM";
    case MBEDTLS_CIPHER_ARIA_256_GCM: return "ARIA-256-GCM";
    case MBEDTLS_CIPHER_CHACHA20_POLY1305: return "CHACHA20-POLY1305";
    case MBEDTLS_CIPHER_DES_EDE3_CBC: return "3DES-EDE-CBC";
    case MBEDTLS_CIPHER_DES_CBC: return "DES-CBC";
    case MBEDTLS_CIPHER_ARC4_128: return "RC4-128";
    default: return "unknown";
    }
}

static bool is_aead(mbedtls_cipher_mode_t mode)
{
    return mode == MBEDTLS_MODE_GCM || mode == MBEDTLS_MODE_CCM ||
           mode == MBEDTLS_MODE_CHACHAPOLY;
}

static const char *mac_of(mbedtls_md_type_t md)
{
    switch (md) {
    case MBEDTLS_MD_MD5: return "MD5";
    case MBEDTLS_MD_SHA1: return "SHA1";
    case MBEDTLS_MD_SHA256: return "SHA256";
    case MBEDTLS_MD_SHA384: return "SHA384";
    default: return "unknown";
    }
}

static mbedtls_cipher_mode_t mode_of(mbedtls_cipher_type_t c)
{
    return tls__cipher_mode(mbedtls_cipher_info_from_type(c));
}

static int clamp_version(int minor)
{
    /* mbedTLS lists SSLv3 as the floor of the oldest suites; this tool starts at TLS 1.0. */
    return minor < TLS_V10 ? TLS_V10 : minor;
}

static void from_mbedtls(const struct tls__suite_fields *f, struct tls_suite_info *out)
{
    struct kx_auth ka = kx_of(f->key_exchange);
    mbedtls_cipher_type_t c = f->cipher;
    bool aead = is_aead(mode_of(c));

    out->kx = ka.kx;
    out->auth = ka.auth;
    out->cipher = cipher_of(c, f->short_tag);
    /* An AEAD suite's hash drives only the PRF: there is no separate MAC to name. */
    out->mac = aead ? "AEAD" : mac_of(f->mac);
    out->min_version = clamp_version(f->min_minor);
    out->max_version = clamp_version(f->max_minor);
    out->weak_3des = c == MBEDTLS_CIPHER_DES_EDE3_CBC || c == MBEDTLS_CIPHER_DES_CBC;
    out->weak_rc4 = c == MBEDTLS_CIPHER_ARC4_128;
    out->cbc_sha1 = mode_of(c) == MBEDTLS_MODE_CBC && f->mac == MBEDTLS_MD_SHA1;
    out->no_forward_secrecy = !ka.forward_secret;
    out->null_cipher = c == MBEDTLS_CIPHER_NULL;
    out->mbedtls_known = true;
}

/* RFC 8446 B.4: a TLS 1.3 suite names only the AEAD and the HKDF hash. */
static bool from_tls13(uint16_t id, struct tls_suite_info *out)
{
    static const char *const aeads[] = {
        [1] = "AES-128-GCM", [2] = "AES-256-GCM", [3] = "CHACHA20-POLY1305",
        [4] = "AES-128-CCM", [5] = "AES-128-CCM-8",
    };

    if ((id >> 8) != 0x13 || (id & 0xFF) < 1 || (id & 0xFF) > 5) {
        return false;
    }
    out->kx = out->auth = "any";
    out->cipher = aeads[id & 0xFF];
    out->mac = "AEAD";
    out->min_version = out->max_version = TLS_V13;
    return true;
}

bool tls_suite_info(uint16_t id, struct tls_suite_info *out)
{
    const mbedtls_ssl_ciphersuite_t *cs = id != 0 ? mbedtls_ssl_ciphersuite_from_id(id) : NULL;
    const char *name = tls_cipher_name(id);
    struct tls__suite_fields f = { 0 };

    memset(out, 0, sizeof(*out));
    if (cs != NULL) {
        tls__suite_fields(cs, &f);
        from_mbedtls(&f, out);
    } else if (!from_tls13(id, out)) {
        return false;
    }
    /* The IANA spelling from our table; mbedTLS's own names use dashes ("TLS-RSA-WITH-..."). */
    out->name = name != NULL ? name : f.name;
    return true;
}
