/* tls/tls13_hs.c: the server's TLS 1.3 handshake messages (RFC 8446 4.1.3, 4.3.1, 4.4.2, 4.4.3),
 * read with the bounds-checked cursor, and the CertificateVerify signature check on mbedTLS
 * 2.28's pk layer (RSASSA-PSS and ECDSA). */
#include <stdio.h>
#include <string.h>

#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls13_int.h"
#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"

const uint8_t tls13__hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static int bad(const char **why, const char *what)
{
    *why = what;
    return -1;
}

/* The next Extension { ExtensionType; opaque extension_data<0..2^16-1> } of a list. */
static bool next_ext(struct tds_rd *all, uint16_t *type, struct tds_rd *e)
{
    uint16_t len;

    return tds_rd_u16be(all, type) && tds_rd_u16be(all, &len) && tds_rd_sub(all, len, e);
}

/* One ServerHello / HelloRetryRequest extension; `seen` catches duplicates (RFC 8446 4.2). */
static int sh_ext(struct tls13__server_hello *sh, uint16_t type, struct tds_rd e, unsigned *seen,
                  const char **why)
{
    uint16_t len;
    unsigned bit = type == TLS_EXT_SUPPORTED_VERSIONS ? 1u : type == TLS_EXT_KEY_SHARE ? 2u
                                                          : type == TLS13_EXT_COOKIE ? 4u : 0u;

    if ((*seen & bit) != 0) {
        return bad(why, "the ServerHello repeats an extension");
    }
    *seen |= bit;
    switch (type) {
    case TLS_EXT_SUPPORTED_VERSIONS:
        return tds_rd_u16be(&e, &sh->version) && tds_rd_left(&e) == 0
                   ? 0 : bad(why, "the ServerHello's supported_versions is malformed");
    case TLS_EXT_KEY_SHARE: /* ServerHello: KeyShareEntry; HRR: the selected group alone */
        if (!tds_rd_u16be(&e, &sh->group)) {
            return bad(why, "the ServerHello's key_share is malformed");
        }
        if (sh->hrr) {
            return tds_rd_left(&e) == 0 ? 0 : bad(why, "the HelloRetryRequest's key_share is "
                                                       "malformed");
        }
        if (!tds_rd_u16be(&e, &len) || len == 0 || !tds_rd_bytes(&e, len, &sh->share) ||
            tds_rd_left(&e) != 0) {
            return bad(why, "the ServerHello's key_share is malformed");
        }
        sh->share_len = len;
        return 0;
    case TLS13_EXT_COOKIE:
        if (!tds_rd_u16be(&e, &len) || len == 0 || !tds_rd_bytes(&e, len, &sh->cookie) ||
            tds_rd_left(&e) != 0) {
            return bad(why, "the HelloRetryRequest's cookie is malformed");
        }
        sh->cookie_len = len;
        return 0;
    default:
        return 0;
    }
}

int tls13__parse_server_hello(struct tds_rd m, struct tls13__server_hello *sh, const char **why)
{
    uint16_t legacy, all_len;
    const uint8_t *random, *sid;
    uint8_t sid_len, compression;
    struct tds_rd all;
    unsigned seen = 0;

    memset(sh, 0, sizeof(*sh));
    if (!tds_rd_u16be(&m, &legacy) || !tds_rd_bytes(&m, 32, &random) ||
        !tds_rd_u8(&m, &sid_len) || sid_len > 32 || !tds_rd_bytes(&m, sid_len, &sid) ||
        !tds_rd_u16be(&m, &sh->suite) || !tds_rd_u8(&m, &compression)) {
        return bad(why, "the ServerHello is cut short");
    }
    memcpy(sh->session_id_echo, sid, sid_len);
    sh->session_id_len = sid_len;
    sh->hrr = memcmp(random, tls13__hrr_random, 32) == 0;
    if (compression != 0) {
        return bad(why, "the ServerHello selects a compression method");
    }
    if (!tds_rd_u16be(&m, &all_len) || !tds_rd_sub(&m, all_len, &all) || tds_rd_left(&m) != 0) {
        return bad(why, "the ServerHello's extensions are malformed");
    }
    while (tds_rd_left(&all) > 0) {
        uint16_t type;
        struct tds_rd e;

        if (!next_ext(&all, &type, &e)) {
            return bad(why, "the ServerHello's extensions are malformed");
        }
        if (sh_ext(sh, type, e, &seen, why) != 0) {
            return -1;
        }
    }
    return 0;
}

/* RFC 7301 3.1: ProtocolNameList holding exactly one ProtocolName. */
static int read_alpn(struct tds_rd e, char *alpn, size_t cap, const char **why)
{
    uint16_t list;
    uint8_t len;
    const uint8_t *name;

    if (!tds_rd_u16be(&e, &list) || list != tds_rd_left(&e) || !tds_rd_u8(&e, &len) || len == 0 ||
        !tds_rd_bytes(&e, len, &name) || tds_rd_left(&e) != 0) {
        return bad(why, "the EncryptedExtensions' ALPN is malformed");
    }
    snprintf(alpn, cap, "%.*s", (int)len, (const char *)name);
    return 0;
}

int tls13__parse_encrypted_extensions(struct tds_rd m, char *alpn, size_t alpn_cap,
                                      const char **why)
{
    uint16_t all_len;
    struct tds_rd all;

    if (!tds_rd_u16be(&m, &all_len) || !tds_rd_sub(&m, all_len, &all) || tds_rd_left(&m) != 0) {
        return bad(why, "the EncryptedExtensions message is malformed");
    }
    while (tds_rd_left(&all) > 0) {
        uint16_t type;
        struct tds_rd e;

        if (!next_ext(&all, &type, &e)) {
            return bad(why, "the EncryptedExtensions message is malformed");
        }
        if (type == TLS_EXT_ALPN && read_alpn(e, alpn, alpn_cap, why) != 0) {
            return -1;
        }
    }
    return 0;
}

int tls13__parse_certificate(struct tds_rd m, tls13__cert_fn fn, void *ctx, const char **why)
{
    uint8_t context_len;
    uint32_t list_len;
    struct tds_rd list;
    int n = 0;

    if (!tds_rd_u8(&m, &context_len) || !tds_rd_skip(&m, context_len) ||
        !tds_rd_u24be(&m, &list_len) || !tds_rd_sub(&m, list_len, &list) ||
        tds_rd_left(&m) != 0) {
        return bad(why, "the Certificate message is malformed");
    }
    while (tds_rd_left(&list) > 0) {
        uint32_t len;
        uint16_t ext_len;
        const uint8_t *der;

        if (!tds_rd_u24be(&list, &len) || len == 0 || !tds_rd_bytes(&list, len, &der) ||
            !tds_rd_u16be(&list, &ext_len) || !tds_rd_skip(&list, ext_len)) {
            return bad(why, "a CertificateEntry is malformed");
        }
        if (fn(ctx, der, len) != 0) {
            return bad(why, "out of memory keeping the chain");
        }
        n++;
    }
    return n;
}

/* ---- CertificateVerify ---- */

struct scheme {
    uint16_t id;
    mbedtls_md_type_t md;
    bool pss;                    /* rsa_pss_rsae_*, else ECDSA */
    mbedtls_ecp_group_id curve;  /* ECDSA: the curve the scheme names (RFC 8446 4.2.3) */
};

/* RFC 8446 4.4.3: what a server may sign CertificateVerify with, among what the ClientHello
 * offers; rsa_pkcs1_* are for certificates only (RFC 8446 4.2.3). */
static const struct scheme schemes[] = {
    { 0x0403, MBEDTLS_MD_SHA256, false, MBEDTLS_ECP_DP_SECP256R1 },
    { 0x0503, MBEDTLS_MD_SHA384, false, MBEDTLS_ECP_DP_SECP384R1 },
    { 0x0804, MBEDTLS_MD_SHA256, true, MBEDTLS_ECP_DP_NONE },
    { 0x0805, MBEDTLS_MD_SHA384, true, MBEDTLS_ECP_DP_NONE },
    { 0x0806, MBEDTLS_MD_SHA512, true, MBEDTLS_ECP_DP_NONE },
};

static const struct scheme *find_scheme(uint16_t id)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (schemes[i].id == id) {
            return &schemes[i];
        }
    }
    return NULL;
}

/* RFC 8446 4.4.3: 64 spaces, the context string, a zero byte, then the transcript hash. */
static int signed_digest(const struct scheme *sc, const uint8_t *th, size_t th_len,
                         uint8_t *digest)
{
    static const char context[] = "TLS 1.3, server CertificateVerify";
    uint8_t content[64 + sizeof(context) + TLS13_MAX_HASH];

    memset(content, 0x20, 64);
    memcpy(content + 64, context, sizeof(context)); /* with its terminating zero byte */
    memcpy(content + 64 + sizeof(context), th, th_len);
    return mbedtls_md(mbedtls_md_info_from_type(sc->md), content, 64 + sizeof(context) + th_len,
                      digest);
}

static int check_signature(const struct scheme *sc, mbedtls_pk_context *pk, const uint8_t *sig,
                           size_t sig_len, const uint8_t *th, size_t th_len, const char **why)
{
    uint8_t digest[64];
    size_t dlen = mbedtls_md_get_size(mbedtls_md_info_from_type(sc->md));

    if (signed_digest(sc, th, th_len, digest) != 0) {
        return bad(why, "cannot hash the CertificateVerify content");
    }
    if (sc->pss) {
        /* RFC 8446 4.2.3: MGF1 with the same hash, salt as long as the hash */
        mbedtls_pk_rsassa_pss_options opt = { sc->md, (int)dlen };

        if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_RSA)) {
            return bad(why, "CertificateVerify uses RSA-PSS but the leaf's key is not RSA");
        }
        return mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &opt, pk, sc->md, digest, dlen, sig,
                                     sig_len) == 0
                   ? 0 : bad(why, "the CertificateVerify signature does not verify");
    }
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) || tls__pk_ec_group(pk) != sc->curve) {
        return bad(why, "CertificateVerify names an ECDSA curve the leaf's key is not on");
    }
    return mbedtls_pk_verify(pk, sc->md, digest, dlen, sig, sig_len) == 0
               ? 0 : bad(why, "the CertificateVerify signature does not verify");
}

int tls13__verify_certificate_verify(struct tds_rd m, const uint8_t *leaf, size_t leaf_len,
                                     const uint8_t *th, size_t th_len, uint16_t *scheme,
                                     const char **why)
{
    uint16_t sig_len;
    const uint8_t *sig;
    const struct scheme *sc;
    mbedtls_x509_crt crt;
    int rc;

    if (!tds_rd_u16be(&m, scheme) || !tds_rd_u16be(&m, &sig_len) ||
        !tds_rd_bytes(&m, sig_len, &sig) || tds_rd_left(&m) != 0) {
        return bad(why, "the CertificateVerify message is malformed");
    }
    sc = find_scheme(*scheme);
    if (sc == NULL) {
        return bad(why, "CertificateVerify uses a signature scheme the client did not offer");
    }
    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_der(&crt, leaf, leaf_len) != 0) {
        rc = bad(why, "the leaf certificate cannot be parsed, so its key is unknown");
    } else {
        rc = check_signature(sc, &crt.pk, sig, sig_len, th, th_len, why);
    }
    mbedtls_x509_crt_free(&crt);
    return rc;
}
