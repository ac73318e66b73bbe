/* bench/bench_fakesql_lite.c: the benchmark's minimal TLS 1.2 client (see the header).
 * RFC 5246 (records, handshake, PRF), RFC 8422 (ECDHE), RFC 5288 (AES-GCM suites). */
#include "bench_fakesql_lite.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define REC_HANDSHAKE 22
#define REC_CCS 20
#define REC_ALERT 21
#define HS_SERVER_HELLO 2
#define HS_SERVER_KEY_EXCHANGE 12
#define HS_SERVER_HELLO_DONE 14
#define SUITE_ECDHE_ECDSA_AES128_GCM 0xC02B
#define GROUP_X25519 0x001D
#define MAX_FLIGHT 65536

struct lite_tls {
    EVP_MD_CTX *transcript;
    uint8_t client_random[32];
    uint8_t server_random[32];
    uint8_t server_pub[32];
    int have_pub;
    uint8_t rec[MAX_FLIGHT]; /* server bytes not yet parsed into records */
    size_t rec_len;
    uint8_t hs[MAX_FLIGHT]; /* handshake bytes not yet parsed into messages */
    size_t hs_len;
    int sent_finished;
    int got_ccs;
};

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    put16(p + 1, v);
}

struct lite_tls *lite_new(void)
{
    struct lite_tls *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        return NULL;
    }
    l->transcript = EVP_MD_CTX_new();
    if (l->transcript == NULL || EVP_DigestInit_ex(l->transcript, EVP_sha256(), NULL) != 1) {
        lite_free(l);
        return NULL;
    }
    return l;
}

void lite_free(struct lite_tls *l)
{
    if (l == NULL) {
        return;
    }
    EVP_MD_CTX_free(l->transcript);
    free(l);
}

size_t lite_client_hello(struct lite_tls *l, uint8_t *out, size_t cap)
{
    static const uint8_t ext[] = {
        /* supported_groups: x25519 for the key exchange, and secp256r1, the curve of the
         * server's ECDSA key, which a TLS 1.2 server requires to be listed (RFC 8422 5.1.1) */
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17,
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                   /* ec_point_formats */
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03,       /* ecdsa_secp256r1_sha256 */
        0xff, 0x01, 0x00, 0x01, 0x00,                         /* renegotiation_info */
    };
    size_t body = 2 + 32 + 1 + 4 + 2 + 2 + sizeof(ext);
    size_t total = 5 + 4 + body;
    uint8_t *h = out + 5;

    if (cap < total || RAND_bytes(l->client_random, 32) != 1) {
        return 0;
    }
    out[0] = REC_HANDSHAKE, out[1] = 3, out[2] = 1; /* record version 1.0, as clients send */
    put16(out + 3, 4 + body);
    h[0] = 1; /* ClientHello */
    put24(h + 1, body);
    h[4] = 3, h[5] = 3;
    memcpy(h + 6, l->client_random, 32);
    h[38] = 0;                                  /* no session id */
    put16(h + 39, 2), put16(h + 41, SUITE_ECDHE_ECDSA_AES128_GCM);
    h[43] = 1, h[44] = 0;                       /* null compression */
    put16(h + 45, sizeof(ext));
    memcpy(h + 47, ext, sizeof(ext));
    EVP_DigestUpdate(l->transcript, h, 4 + body);
    return total;
}

/* TLS 1.2 PRF with SHA-256 (RFC 5246 section 5). */
static int prf(const uint8_t *secret, size_t slen, const char *label, const uint8_t *s1,
               size_t n1, const uint8_t *s2, size_t n2, uint8_t *out, size_t olen)
{
    uint8_t seed[128], a[32 + 128], block[32];
    size_t llen = strlen(label), seedlen = llen + n1 + n2;
    unsigned len;

    if (seedlen > sizeof(seed)) {
        return -1;
    }
    memcpy(seed, label, llen);
    memcpy(seed + llen, s1, n1);
    if (n2 > 0) {
        memcpy(seed + llen + n1, s2, n2);
    }
    if (!HMAC(EVP_sha256(), secret, (int)slen, seed, seedlen, a, &len)) { /* A(1) */
        return -1;
    }
    for (size_t done = 0; done < olen; done += 32) {
        memcpy(a + 32, seed, seedlen);
        if (!HMAC(EVP_sha256(), secret, (int)slen, a, 32 + seedlen, block, &len)) {
            return -1;
        }
        memcpy(out + done, block, olen - done < 32 ? olen - done : 32);
        if (!HMAC(EVP_sha256(), secret, (int)slen, a, 32, a, &len)) { /* A(i+1) */
            return -1;
        }
    }
    return 0;
}

static int x25519(struct lite_tls *l, uint8_t pub[32], uint8_t shared[32])
{
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
    EVP_PKEY *mine = NULL, *peer = NULL;
    EVP_PKEY_CTX *dctx = NULL;
    size_t plen = 32, slen = 32;
    int rc = -1;

    if (kctx == NULL || EVP_PKEY_keygen_init(kctx) != 1 || EVP_PKEY_keygen(kctx, &mine) != 1) {
        goto out;
    }
    peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, l->server_pub, 32);
    dctx = peer ? EVP_PKEY_CTX_new(mine, NULL) : NULL;
    if (dctx != NULL && EVP_PKEY_get_raw_public_key(mine, pub, &plen) == 1 &&
        EVP_PKEY_derive_init(dctx) == 1 && EVP_PKEY_derive_set_peer(dctx, peer) == 1 &&
        EVP_PKEY_derive(dctx, shared, &slen) == 1) {
        rc = 0;
    }
out:
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(mine);
    EVP_PKEY_free(peer);
    return rc;
}

/* Finished, as one AES-128-GCM record with sequence number 0 (RFC 5288). */
static size_t finished_record(const uint8_t key[16], const uint8_t iv[4], const uint8_t fin[16],
                              uint8_t *out)
{
    uint8_t nonce[12] = { 0 }, aad[13] = { 0 };
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, ok;

    memcpy(nonce, iv, 4); /* explicit part: 8 zero bytes, the sequence number */
    aad[8] = REC_HANDSHAKE, aad[9] = 3, aad[10] = 3, aad[12] = 16;
    out[0] = REC_HANDSHAKE, out[1] = 3, out[2] = 3;
    put16(out + 3, 8 + 16 + 16);
    memset(out + 5, 0, 8);
    ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce) == 1 &&
         EVP_EncryptUpdate(c, NULL, &len, aad, sizeof(aad)) == 1 &&
         EVP_EncryptUpdate(c, out + 13, &len, fin, 16) == 1 &&
         EVP_EncryptFinal_ex(c, out + 13 + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 29) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 5 + 8 + 16 + 16 : 0;
}

/* ClientKeyExchange, ChangeCipherSpec, Finished. */
static size_t client_flight(struct lite_tls *l, uint8_t *out)
{
    uint8_t pub[32], pms[32], ms[48], kb[40], hash[32], fin[16];
    uint8_t *cke = out + 5;
    EVP_MD_CTX *t = EVP_MD_CTX_new();
    unsigned hlen;

    if (t == NULL || x25519(l, pub, pms) != 0 ||
        prf(pms, 32, "master secret", l->client_random, 32, l->server_random, 32, ms, 48) ||
        prf(ms, 48, "key expansion", l->server_random, 32, l->client_random, 32, kb, 40)) {
        EVP_MD_CTX_free(t);
        return 0;
    }
    out[0] = REC_HANDSHAKE, out[1] = 3, out[2] = 3;
    put16(out + 3, 4 + 33);
    cke[0] = 16, put24(cke + 1, 33), cke[4] = 32;
    memcpy(cke + 5, pub, 32);
    EVP_DigestUpdate(l->transcript, cke, 4 + 33);
    uint8_t *ccs = out + 5 + 37;
    ccs[0] = REC_CCS, ccs[1] = 3, ccs[2] = 3, ccs[3] = 0, ccs[4] = 1, ccs[5] = 1;
    fin[0] = 20, put24(fin + 1, 12);
    if (EVP_MD_CTX_copy_ex(t, l->transcript) != 1 || EVP_DigestFinal_ex(t, hash, &hlen) != 1 ||
        prf(ms, 48, "client finished", hash, 32, NULL, 0, fin + 4, 12) != 0) {
        EVP_MD_CTX_free(t);
        return 0;
    }
    EVP_MD_CTX_free(t);
    /* key block: client key [0,16), server key [16,32), client IV [32,36), server IV [36,40) */
    size_t n = finished_record(kb, kb + 32, fin, ccs + 6);
    return n ? 5 + 37 + 6 + n : 0;
}

/* One whole handshake message from the server. */
static int on_message(struct lite_tls *l, const uint8_t *m, size_t len)
{
    EVP_DigestUpdate(l->transcript, m, len);
    if (m[0] == HS_SERVER_HELLO) {
        if (len < 4 + 2 + 32) {
            return -1;
        }
        memcpy(l->server_random, m + 6, 32);
    } else if (m[0] == HS_SERVER_KEY_EXCHANGE) {
        /* ECParameters: named_curve(3), x25519, then a 32-byte point */
        if (len < 4 + 4 + 32 || m[4] != 3 || m[5] != 0 || m[6] != GROUP_X25519 || m[7] != 32) {
            return -1;
        }
        memcpy(l->server_pub, m + 8, 32);
        l->have_pub = 1;
    } else if (m[0] == HS_SERVER_HELLO_DONE) {
        return l->have_pub ? 1 : -1;
    }
    return 0;
}

/* Whole handshake messages out of l->hs; 1 after ServerHelloDone. */
static int on_handshake_bytes(struct lite_tls *l)
{
    size_t at = 0;
    int rc = 0;

    while (rc == 0 && l->hs_len - at >= 4) {
        size_t len = (size_t)l->hs[at + 1] << 16 | (size_t)l->hs[at + 2] << 8 | l->hs[at + 3];
        if (l->hs_len - at - 4 < len) {
            break;
        }
        rc = on_message(l, l->hs + at, 4 + len);
        at += 4 + len;
    }
    memmove(l->hs, l->hs + at, l->hs_len - at);
    l->hs_len -= at;
    return rc;
}

static enum lite_step on_record(struct lite_tls *l, uint8_t type, const uint8_t *p, size_t n,
                                uint8_t *out, size_t cap, size_t *out_len)
{
    if (type == REC_ALERT) {
        return LITE_FAIL;
    }
    if (l->sent_finished) {
        if (type == REC_CCS) {
            l->got_ccs = 1;
        } else if (type == REC_HANDSHAKE && l->got_ccs && n == 8 + 16 + 16) {
            return LITE_DONE; /* the server's encrypted Finished */
        }
        return LITE_MORE;
    }
    if (type != REC_HANDSHAKE || n > sizeof(l->hs) - l->hs_len) {
        return LITE_FAIL;
    }
    memcpy(l->hs + l->hs_len, p, n);
    l->hs_len += n;
    int rc = on_handshake_bytes(l);
    if (rc < 0 || cap < 512) {
        return LITE_FAIL;
    }
    if (rc == 0) {
        return LITE_MORE;
    }
    *out_len = client_flight(l, out);
    l->sent_finished = 1;
    return *out_len ? LITE_SEND : LITE_FAIL;
}

enum lite_step lite_feed(struct lite_tls *l, const uint8_t *p, size_t n, uint8_t *out,
                         size_t cap, size_t *out_len)
{
    enum lite_step step = LITE_MORE;
    size_t at = 0;

    *out_len = 0;
    if (n > sizeof(l->rec) - l->rec_len) {
        return LITE_FAIL;
    }
    memcpy(l->rec + l->rec_len, p, n);
    l->rec_len += n;
    while (step == LITE_MORE && l->rec_len - at >= 5) {
        size_t len = (size_t)l->rec[at + 3] << 8 | l->rec[at + 4];
        if (l->rec_len - at - 5 < len) {
            break;
        }
        step = on_record(l, l->rec[at], l->rec + at + 5, len, out, cap, out_len);
        at += 5 + len;
    }
    memmove(l->rec, l->rec + at, l->rec_len - at);
    l->rec_len -= at;
    return step;
}
