/* tls/tls_suites.c: what a cipher suite is made of, for the cipher audit.
 *
 * mbedTLS's own suite table is the source (key exchange, cipher, MAC, version range), so the
 * audit describes exactly what this build can offer. The five TLS 1.3 suites are added by hand:
 * mbedTLS 2.28 cannot speak TLS 1.3, but the TLS 1.3 probe reports the suite a server chose. */
#include "tls/tls_session.h"

#include <string.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "tls/tls_int.h"

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
    const mbedtls_cipher_info_t *ci = mbedtls_cipher_info_from_type(c);

    return ci != NULL ? ci->mode : MBEDTLS_MODE_NONE;
}

static int clamp_version(int minor)
{
    /* mbedTLS lists SSLv3 as the floor of the oldest suites; this tool starts at TLS 1.0. */
    return minor < TLS_V10 ? TLS_V10 : minor;
}

static void from_mbedtls(const mbedtls_ssl_ciphersuite_t *cs, struct tls_suite_info *out)
{
    struct kx_auth ka = kx_of(cs->key_exchange);
    mbedtls_cipher_type_t c = cs->cipher;
    bool aead = is_aead(mode_of(c));

    out->kx = ka.kx;
    out->auth = ka.auth;
    out->cipher = cipher_of(c, (cs->flags & MBEDTLS_CIPHERSUITE_SHORT_TAG) != 0);
    /* An AEAD suite's hash drives only the PRF: there is no separate MAC to name. */
    out->mac = aead ? "AEAD" : mac_of(cs->mac);
    out->min_version = clamp_version(cs->min_minor_ver);
    out->max_version = clamp_version(cs->max_minor_ver);
    out->weak_3des = c == MBEDTLS_CIPHER_DES_EDE3_CBC || c == MBEDTLS_CIPHER_DES_CBC;
    out->weak_rc4 = c == MBEDTLS_CIPHER_ARC4_128;
    out->cbc_sha1 = mode_of(c) == MBEDTLS_MODE_CBC && cs->mac == MBEDTLS_MD_SHA1;
    out->no_forward_secrecy = !ka.forward_secret;
    out->null_cipher = c == MBEDTLS_CIPHER_NULL;
    out->mbedtls_known = true;
}

/* RFC 8446 B.4: a TLS 1.3 suite names only the AEAD and the HKDF hash. */
static bool from_tls13(uint16_t id, struct tls_suite_info *out)
{
    static const char *const ciphers[] = {
        [1] = "AES-128-GCM", [2] = "AES-256-GCM", [3] = "CHACHA20-POLY1305",
        [4] = "AES-128-CCM", [5] = "AES-128-CCM-8",
    };

    if ((id >> 8) != 0x13 || (id & 0xFF) < 1 || (id & 0xFF) > 5)
        return false;
    out->kx = out->auth = "any";
    out->cipher = ciphers[id & 0xFF];
    out->mac = "AEAD";
    out->min_version = out->max_version = TLS_V13;
    return true;
}

bool tls_suite_info(uint16_t id, struct tls_suite_info *out)
{
    const mbedtls_ssl_ciphersuite_t *cs = id != 0 ? mbedtls_ssl_ciphersuite_from_id(id) : NULL;
    const char *name = tls_cipher_name(id);

    memset(out, 0, sizeof(*out));
    if (cs != NULL)
        from_mbedtls(cs, out);
    else if (!from_tls13(id, out))
        return false;
    /* The IANA spelling from our table; mbedTLS's own names use dashes ("TLS-RSA-WITH-..."). */
    out->name = name != NULL ? name : cs->name;
    return true;
}
