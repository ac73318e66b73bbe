/* tls/tls13_keysched.c: the TLS 1.3 key schedule (RFC 8446 7.1) and the (EC)DHE exchange that
 * feeds it (RFC 8446 7.4), on mbedTLS 2.28's HKDF, HMAC, SHA-2 and ECP. Checked against RFC
 * 8448's "Simple 1-RTT Handshake" in tests/unit/test_tls13_client.c. */
#include <string.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/platform_util.h>

#include "tls/tls13_int.h"
#include "tls/tls_int.h"

/* RFC 8446 B.4: the three suites this client offers. */
static const struct tls13__suite suites[] = {
    { 0x1301, MBEDTLS_MD_SHA256, 32, 16, false }, /* TLS_AES_128_GCM_SHA256 */
    { 0x1302, MBEDTLS_MD_SHA384, 48, 32, false }, /* TLS_AES_256_GCM_SHA384 */
    { 0x1303, MBEDTLS_MD_SHA256, 32, 32, true },  /* TLS_CHACHA20_POLY1305_SHA256 */
};

const struct tls13__suite *tls13__suite(uint16_t id)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        if (suites[i].id == id) {
            return &suites[i];
        }
    }
    return NULL;
}

const char *tls13__group_name(uint16_t g)
{
    switch (g) {
    case 0x0017: return "secp256r1";
    case 0x0018: return "secp384r1";
    case 0x0019: return "secp521r1";
    case 0x001D: return "x25519";
    case 0x001E: return "x448";
    case 0x0100: return "ffdhe2048";
    case 0x0101: return "ffdhe3072";
    case 0x0102: return "ffdhe4096";
    case 0x0103: return "ffdhe6144";
    case 0x0104: return "ffdhe8192";
    default: return NULL;
    }
}

const char *tls13__sigscheme_name(uint16_t scheme)
{
    switch (scheme) {
    case 0x0401: return "rsa_pkcs1_sha256";
    case 0x0501: return "rsa_pkcs1_sha384";
    case 0x0601: return "rsa_pkcs1_sha512";
    case 0x0403: return "ecdsa_secp256r1_sha256";
    case 0x0503: return "ecdsa_secp384r1_sha384";
    case 0x0603: return "ecdsa_secp521r1_sha512";
    case 0x0804: return "rsa_pss_rsae_sha256";
    case 0x0805: return "rsa_pss_rsae_sha384";
    case 0x0806: return "rsa_pss_rsae_sha512";
    case 0x0807: return "ed25519";
    case 0x0808: return "ed448";
    case 0x0809: return "rsa_pss_pss_sha256";
    case 0x080a: return "rsa_pss_pss_sha384";
    case 0x080b: return "rsa_pss_pss_sha512";
    default: return NULL;
    }
}

/* RFC 8446 7.1: HkdfLabel { uint16 length; opaque label<7..255> = "tls13 " + Label;
 * opaque context<0..255> }. */
int tls13__expand_label(const struct tls13__suite *s, const uint8_t *secret, const char *label,
                        const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    struct tds_wr w = tds_wr_make(info, sizeof(info));
    size_t label_len = strlen(label);

    if (label_len > 255 - 6 || ctx_len > 255) {
        return -1;
    }
    tds_wr_u16be(&w, (uint16_t)out_len);
    tds_wr_u8(&w, (uint8_t)(6 + label_len));
    tds_wr_bytes(&w, "tls13 ", 6);
    tds_wr_bytes(&w, label, label_len);
    tds_wr_u8(&w, (uint8_t)ctx_len);
    tds_wr_bytes(&w, ctx, ctx_len);
    if (w.overflow) {
        return -1;
    }
    return mbedtls_hkdf_expand(mbedtls_md_info_from_type(s->md), secret, s->hash_len, info, w.len,
                               out, out_len) == 0 ? 0 : -1;
}

int tls13__hash(const struct tls13__suite *s, const uint8_t *p, size_t n, uint8_t *out)
{
    return mbedtls_md(mbedtls_md_info_from_type(s->md), p, n, out) == 0 ? 0 : -1;
}

/* Derive-Secret(secret, label, messages) with the transcript hash th already computed. */
static int derive(const struct tls13__suite *s, const uint8_t *secret, const char *label,
                  const uint8_t *th, uint8_t *out)
{
    return tls13__expand_label(s, secret, label, th, s->hash_len, out, s->hash_len);
}

/* Derive-Secret(secret, "derived", "") then HKDF-Extract with ikm: the next stage's secret. */
static int next_stage(const struct tls13__suite *s, const uint8_t *prev, const uint8_t *ikm,
                      size_t ikm_len, uint8_t *out)
{
    uint8_t empty_hash[TLS13_MAX_HASH], salt[TLS13_MAX_HASH];

    if (tls13__hash(s, NULL, 0, empty_hash) != 0 || derive(s, prev, "derived", empty_hash,
                                                           salt) != 0) {
        return -1;
    }
    return mbedtls_hkdf_extract(mbedtls_md_info_from_type(s->md), salt, s->hash_len, ikm,
                                ikm_len, out) == 0 ? 0 : -1;
}

int tls13__handshake_secrets(const struct tls13__suite *s, const uint8_t *shared,
                             size_t shared_len, const uint8_t *th, struct tls13__secrets *out)
{
    uint8_t zeros[TLS13_MAX_HASH] = { 0 };

    /* no PSK: Early Secret = HKDF-Extract(0, 0) */
    if (mbedtls_hkdf_extract(mbedtls_md_info_from_type(s->md), zeros, s->hash_len, zeros,
                             s->hash_len, out->early) != 0 ||
        next_stage(s, out->early, shared, shared_len, out->handshake) != 0) {
        return -1;
    }
    if (derive(s, out->handshake, "c hs traffic", th, out->client_hs) != 0 ||
        derive(s, out->handshake, "s hs traffic", th, out->server_hs) != 0) {
        return -1;
    }
    return 0;
}

int tls13__app_secrets(const struct tls13__suite *s, const uint8_t *th, struct tls13__secrets *io)
{
    uint8_t zeros[TLS13_MAX_HASH] = { 0 };

    if (next_stage(s, io->handshake, zeros, s->hash_len, io->master) != 0 ||
        derive(s, io->master, "c ap traffic", th, io->client_ap) != 0 ||
        derive(s, io->master, "s ap traffic", th, io->server_ap) != 0) {
        return -1;
    }
    return 0;
}

int tls13__finished(const struct tls13__suite *s, const uint8_t *base, const uint8_t *th,
                    uint8_t *out)
{
    uint8_t key[TLS13_MAX_HASH];
    int rc = tls13__expand_label(s, base, "finished", NULL, 0, key, s->hash_len);

    if (rc == 0) {
        rc = mbedtls_md_hmac(mbedtls_md_info_from_type(s->md), key, s->hash_len, th, s->hash_len,
                             out) == 0 ? 0 : -1;
    }
    mbedtls_platform_zeroize(key, sizeof(key));
    return rc;
}

/* ---- ECDHE ---- */

static mbedtls_ecp_group_id ecp_id(uint16_t group, size_t *coord_len)
{
    switch (group) {
    case TLS13_GROUP_X25519: *coord_len = 32; return MBEDTLS_ECP_DP_CURVE25519;
    case TLS13_GROUP_SECP256R1: *coord_len = 32; return MBEDTLS_ECP_DP_SECP256R1;
    case TLS13_GROUP_SECP384R1: *coord_len = 48; return MBEDTLS_ECP_DP_SECP384R1;
    default: *coord_len = 0; return MBEDTLS_ECP_DP_NONE;
    }
}

/* Montgomery scalars and u-coordinates are little-endian (RFC 7748 5), NIST ones big-endian
 * (SEC 1 2.3); public keys are written uncompressed (RFC 8446 4.2.8.2). */
static int write_pair(struct tls13__kex *k, const mbedtls_ecp_group *grp, const mbedtls_mpi *d,
                      const mbedtls_ecp_point *q, size_t coord_len)
{
    bool le = k->group == TLS13_GROUP_X25519;
    int rc = le ? mbedtls_mpi_write_binary_le(d, k->priv, coord_len)
                : mbedtls_mpi_write_binary(d, k->priv, coord_len);

    k->priv_len = coord_len;
    if (rc == 0) {
        rc = mbedtls_ecp_point_write_binary(grp, q, MBEDTLS_ECP_PF_UNCOMPRESSED, &k->pub_len,
                                            k->pub, sizeof(k->pub));
    }
    return rc == 0 ? 0 : -1;
}

static int make_pair(struct tls13__kex *k, uint16_t group, const uint8_t *fixed)
{
    size_t coord_len;
    mbedtls_ecp_group_id id = ecp_id(group, &coord_len);
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d;
    int rc;

    memset(k, 0, sizeof(*k));
    k->group = group;
    if (id == MBEDTLS_ECP_DP_NONE) {
        return -1;
    }
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    rc = mbedtls_ecp_group_load(&grp, id);
    if (rc == 0 && fixed == NULL) {
        rc = mbedtls_ecp_gen_keypair(&grp, &d, &q, tls__random, NULL);
    } else if (rc == 0) {
        rc = mbedtls_mpi_read_binary_le(&d, fixed, 32);
        if (rc == 0) {
            rc = mbedtls_ecp_mul(&grp, &q, &d, &grp.G, tls__random, NULL);
        }
    }
    if (rc == 0) {
        rc = write_pair(k, &grp, &d, &q, coord_len);
    }
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc == 0 ? 0 : -1;
}

int tls13__kex_generate(struct tls13__kex *k, uint16_t group)
{
    return make_pair(k, group, NULL);
}

int tls13__kex_x25519_from(struct tls13__kex *k, const uint8_t priv[32])
{
    uint8_t clamped[32];

    memcpy(clamped, priv, 32);
    clamped[0] &= 248; /* RFC 7748 5: decodeScalar25519 */
    clamped[31] &= 127;
    clamped[31] |= 64;
    return make_pair(k, TLS13_GROUP_X25519, clamped);
}

static int compute(mbedtls_ecp_group *grp, const struct tls13__kex *k, const uint8_t *peer,
                   size_t peer_len, uint8_t *out, size_t coord_len)
{
    bool le = k->group == TLS13_GROUP_X25519;
    mbedtls_ecp_point q;
    mbedtls_mpi d, z;
    int rc;

    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&z);
    rc = le ? mbedtls_mpi_read_binary_le(&d, k->priv, k->priv_len)
            : mbedtls_mpi_read_binary(&d, k->priv, k->priv_len);
    if (rc == 0) {
        rc = mbedtls_ecp_point_read_binary(grp, &q, peer, peer_len);
    }
    if (rc == 0) {
        rc = mbedtls_ecp_check_pubkey(grp, &q);
    }
    if (rc == 0) {
        rc = mbedtls_ecdh_compute_shared(grp, &z, &q, &d, tls__random, NULL);
    }
    if (rc == 0) {
        rc = le ? mbedtls_mpi_write_binary_le(&z, out, coord_len)
                : mbedtls_mpi_write_binary(&z, out, coord_len);
    }
    mbedtls_mpi_free(&z);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    return rc;
}

int tls13__kex_shared(const struct tls13__kex *k, const uint8_t *peer, size_t peer_len,
                      uint8_t *out, size_t *out_len)
{
    static const uint8_t zero[32];
    size_t coord_len;
    mbedtls_ecp_group_id id = ecp_id(k->group, &coord_len);
    mbedtls_ecp_group grp;
    int rc;

    if (id == MBEDTLS_ECP_DP_NONE) {
        return -1;
    }
    mbedtls_ecp_group_init(&grp);
    rc = mbedtls_ecp_group_load(&grp, id);
    if (rc == 0) {
        rc = compute(&grp, k, peer, peer_len, out, coord_len);
    }
    mbedtls_ecp_group_free(&grp);
    *out_len = coord_len;
    /* RFC 8446 7.4.2: an all-zero X25519 output (a small-order point) is refused */
    if (rc == 0 && id == MBEDTLS_ECP_DP_CURVE25519 && memcmp(out, zero, 32) == 0) {
        rc = -1;
    }
    return rc == 0 ? 0 : -1;
}
