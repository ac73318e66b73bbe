/* tls/tls_sigmemo.c: a config's memo of signatures its trust anchors have verified.
 *
 * A fleet's servers mostly chain to a few intermediates under a few roots, so every target's
 * handshake checks the same intermediate's signature with the same root key: one RSA or ECDSA
 * public-key operation per target (an RSA-2048 verify is about a fifth of a certificate-mode
 * probe's instructions). A signature check is a pure function of (key, hash algorithm, hash,
 * signature): the memo keeps the exact bytes of the checks that succeeded, per trust-anchor key
 * set (one per config, i.e. per client profile of a run), and answers a repeated check from
 * them. Everything else mbedTLS does per target is unchanged: it still parses the chain, hashes
 * each certificate's tbsCertificate, checks validity dates against the current time, key usage,
 * the path and every signature not made by a trust anchor (the leaf's, the ServerKeyExchange's).
 * A check that failed is not kept, so it fails again the same way. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"

/* Slots: distinct (anchor, intermediate) pairs a run meets; a fleet with more evicts the oldest
 * and merely verifies again. */
#define SIGMEMO_SLOTS 32
/* RSA-4096 signatures are 512 bytes; longer ones are checked every time. */
#define SIGMEMO_SIG_MAX 512

struct sigmemo_entry {
    const void *key;            /* the routed key that verified it */
    mbedtls_md_type_t md;
    size_t hash_len;
    size_t sig_len;
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    unsigned char sig[SIGMEMO_SIG_MAX];
};

struct tls_sigmemo {
    pthread_mutex_t lock;       /* sessions of one config run on every engine thread */
    size_t used;
    size_t next;                /* the slot the next new entry takes (round robin) */
    size_t hits;
    struct sigmemo_entry slot[SIGMEMO_SLOTS];
};

struct tls_sigmemo *tls__sigmemo_new(void)
{
    struct tls_sigmemo *m = calloc(1, sizeof(*m));

    if (m != NULL && pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}

void tls__sigmemo_free(struct tls_sigmemo *m)
{
    if (m == NULL) {
        return;
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

size_t tls__sigmemo_hits(struct tls_sigmemo *m)
{
    size_t n;

    pthread_mutex_lock(&m->lock);
    n = m->hits;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static bool same(const struct sigmemo_entry *e, const void *key, mbedtls_md_type_t md,
                 const unsigned char *hash, size_t hash_len, const unsigned char *sig,
                 size_t sig_len)
{
    return e->key == key && e->md == md && e->hash_len == hash_len && e->sig_len == sig_len &&
           memcmp(e->hash, hash, hash_len) == 0 && memcmp(e->sig, sig, sig_len) == 0;
}

static bool remembered(struct tls_sigmemo *m, const void *key, mbedtls_md_type_t md,
                       const unsigned char *hash, size_t hash_len, const unsigned char *sig,
                       size_t sig_len)
{
    bool found = false;

    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->used && !found; i++) {
        found = same(&m->slot[i], key, md, hash, hash_len, sig, sig_len);
    }
    m->hits += found;
    pthread_mutex_unlock(&m->lock);
    return found;
}

static void remember(struct tls_sigmemo *m, const void *key, mbedtls_md_type_t md,
                     const unsigned char *hash, size_t hash_len, const unsigned char *sig,
                     size_t sig_len)
{
    pthread_mutex_lock(&m->lock);
    struct sigmemo_entry *e = &m->slot[m->next];

    e->key = key;
    e->md = md;
    e->hash_len = hash_len;
    e->sig_len = sig_len;
    memcpy(e->hash, hash, hash_len);
    memcpy(e->sig, sig, sig_len);
    m->next = (m->next + 1) % SIGMEMO_SLOTS;
    m->used += m->used < SIGMEMO_SLOTS;
    pthread_mutex_unlock(&m->lock);
}

int tls__sigmemo_verify(struct tls_sigmemo *m, tls__pk_verify_fn verify, void *key,
                        mbedtls_md_type_t md, const unsigned char *hash, size_t hash_len,
                        const unsigned char *sig, size_t sig_len)
{
    bool keep = hash_len <= MBEDTLS_MD_MAX_SIZE && sig_len <= SIGMEMO_SIG_MAX;
    int rc;

    if (keep && remembered(m, key, md, hash, hash_len, sig, sig_len)) {
        return 0;
    }
    rc = verify(key, md, hash, hash_len, sig, sig_len);
    if (rc == 0 && keep) {
        remember(m, key, md, hash, hash_len, sig, sig_len);
    }
    return rc;
}

int tls__sigmemo_route_anchors(struct tls_sigmemo *m, mbedtls_x509_crt *anchors)
{
    for (mbedtls_x509_crt *c = anchors; c != NULL && c->raw.len > 0; c = c->next) {
        if (tls__pk_route_verify(&c->pk, m) < 0) {
            return -1;
        }
    }
    return 0;
}
