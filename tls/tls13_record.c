/* tls/tls13_record.c: TLS 1.3 record protection (RFC 8446 5.2-5.4) with mbedTLS 2.28's GCM and
 * ChaCha20-Poly1305. One key per direction and epoch; the per-record nonce is the write IV
 * XORed with the 64-bit sequence number, left-padded (RFC 8446 5.3); the additional data is the
 * record header (RFC 8446 5.2). */
#include <string.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>
#include <mbedtls/platform_util.h>

#include "tls/tls13_int.h"
#include "tls/tls_int.h"

int tls13__aead_init(struct tls13__aead *a, const struct tls13__suite *s, const uint8_t *secret)
{
    memset(a, 0, sizeof(*a));
    a->suite = s;
    if (tls13__expand_label(s, secret, "key", NULL, 0, a->key, s->key_len) != 0 ||
        tls13__expand_label(s, secret, "iv", NULL, 0, a->iv, TLS13_IV_LEN) != 0) {
        return -1;
    }
    return 0;
}

static void nonce(const struct tls13__aead *a, uint8_t out[TLS13_IV_LEN])
{
    memcpy(out, a->iv, TLS13_IV_LEN);
    for (size_t i = 0; i < 8; i++) {
        out[TLS13_IV_LEN - 1 - i] ^= (uint8_t)(a->seq >> (8 * i));
    }
}

/* decrypt: in/len is the ciphertext without the tag. Returns 0 when the tag verifies. */
static int aead_crypt(const struct tls13__aead *a, bool decrypt, const uint8_t aad[5],
                 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[TLS13_TAG_LEN])
{
    uint8_t iv[TLS13_IV_LEN];
    int rc;

    nonce(a, iv);
    if (a->suite->chacha) {
        mbedtls_chachapoly_context ctx;

        mbedtls_chachapoly_init(&ctx);
        rc = mbedtls_chachapoly_setkey(&ctx, a->key);
        if (rc == 0) {
            rc = decrypt ? mbedtls_chachapoly_auth_decrypt(&ctx, len, iv, aad, 5, tag, in, out)
                         : mbedtls_chachapoly_encrypt_and_tag(&ctx, len, iv, aad, 5, in, out, tag);
        }
        mbedtls_chachapoly_free(&ctx);
    } else {
        mbedtls_gcm_context ctx;

        mbedtls_gcm_init(&ctx);
        rc = mbedtls_gcm_setkey(&ctx, MBEDTLS_CIPHER_ID_AES, a->key,
                                (unsigned)(a->suite->key_len * 8));
        if (rc == 0) {
            rc = decrypt ? mbedtls_gcm_auth_decrypt(&ctx, len, iv, TLS13_IV_LEN, aad, 5, tag,
                                                    TLS13_TAG_LEN, in, out)
                         : mbedtls_gcm_crypt_and_tag(&ctx, MBEDTLS_GCM_ENCRYPT, len, iv,
                                                     TLS13_IV_LEN, aad, 5, in, out,
                                                     TLS13_TAG_LEN, tag);
        }
        mbedtls_gcm_free(&ctx);
    }
    return rc;
}

int tls13__aead_open(struct tls13__aead *a, const uint8_t hdr[5], const uint8_t *body,
                     size_t body_len, uint8_t *out, uint8_t *type, size_t *len)
{
    uint8_t tag[TLS13_TAG_LEN];
    size_t n;

    if (body_len < TLS13_TAG_LEN + 1) {
        return -1;
    }
    n = body_len - TLS13_TAG_LEN;
    memcpy(tag, body + n, TLS13_TAG_LEN);
    if (aead_crypt(a, true, hdr, body, n, out, tag) != 0) {
        return -1;
    }
    a->seq++;
    /* TLSInnerPlaintext: content, type, zeros; the type is the last non-zero byte */
    while (n > 0 && out[n - 1] == 0) {
        n--;
    }
    if (n == 0) {
        return -1;
    }
    *type = out[n - 1];
    *len = n - 1;
    return 0;
}

int tls13__aead_seal(struct tls13__aead *a, uint8_t type, const uint8_t *p, size_t n,
                     struct tds_wr *w)
{
    uint8_t hdr[5], tag[TLS13_TAG_LEN];
    size_t inner = n + 1, at;

    if (inner + TLS13_TAG_LEN > TLS13_MAX_CIPHERTEXT || !tds_wr_room(w, 5 + inner + TLS13_TAG_LEN)) {
        return -1;
    }
    hdr[0] = TLS_REC_APPDATA; /* RFC 8446 5.2: opaque_type and legacy_record_version 0x0303 */
    hdr[1] = 3;
    hdr[2] = 3;
    hdr[3] = (uint8_t)((inner + TLS13_TAG_LEN) >> 8);
    hdr[4] = (uint8_t)(inner + TLS13_TAG_LEN);
    tds_wr_bytes(w, hdr, 5);
    at = w->len;
    tds_wr_bytes(w, p, n);
    tds_wr_u8(w, type);
    if (aead_crypt(a, false, hdr, w->buf + at, inner, w->buf + at, tag) != 0) {
        return -1;
    }
    tds_wr_bytes(w, tag, TLS13_TAG_LEN);
    a->seq++;
    return 0;
}
