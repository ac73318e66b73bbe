/* tls/tls_ctxpool.c: finished sessions' mbedTLS contexts, kept by their config for the next
 * session.
 *
 * mbedtls_ssl_setup allocates both record buffers (MBEDTLS_SSL_IN_BUFFER_LEN and
 * MBEDTLS_SSL_OUT_BUFFER_LEN, ~16.7 KiB each) and the handshake state; mbedtls_ssl_free gives
 * them back. A fleet run does that once per probe. A context given back here is reset instead
 * (mbedtls_ssl_session_reset): mbedTLS 2.28's ssl_session_reset_int zeroes both record buffers,
 * frees the transform and the session (peer chain, session ID, master secret) and makes a fresh
 * handshake state, session_negotiate and transform_negotiate (ssl_handshake_init), so nothing of
 * one server reaches the next. The reset keeps the hostname, the BIO and the verify callback:
 * the hostname is cleared here (mbedtls_ssl_set_hostname with NULL) and the callbacks unset; the
 * next session sets its own. Nothing can resume either: a client offers a session ID or ticket
 * only after mbedtls_ssl_set_session, which tls/ never calls (and tickets are off in every
 * config, tls_config.c).
 *
 * One thread's list: the first thread that takes from or gives to a config's pool owns it, and
 * other threads bypass it (set up and free as before), so the list needs no lock and a config
 * shared between threads stays safe. tdsprobe builds its configs per engine (probe_queue.c, and
 * the audit's per-step configs in probe_audit_run.c), and one engine runs on one loop thread. */
#include "tls/tls_int.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

struct tls_ctxpool {
    atomic_uintptr_t owner;    /* the owning thread's mark (thread_mark), 0 = none yet */
    mbedtls_ssl_context *ctx[TLS_CTXPOOL_MAX];
    size_t n;
    size_t reused;
};

/* A distinct address for every live thread. */
static uintptr_t thread_mark(void)
{
    static _Thread_local char mark;

    return (uintptr_t)&mark;
}

/* Whether the calling thread may use the pool: it owns it, or claims it now. */
static bool owned_here(struct tls_ctxpool *p)
{
    uintptr_t none = 0;
    uintptr_t me = thread_mark();

    return atomic_compare_exchange_strong(&p->owner, &none, me) || none == me;
}

struct tls_ctxpool *tls__ctxpool_new(void)
{
    return calloc(1, sizeof(struct tls_ctxpool));
}

static void ctx_free(mbedtls_ssl_context *ssl)
{
    mbedtls_ssl_free(ssl);
    free(ssl);
}

void tls__ctxpool_free(struct tls_ctxpool *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        ctx_free(p->ctx[i]);
    }
    free(p);
}

mbedtls_ssl_context *tls__ctxpool_take(const struct tls_config *cfg)
{
    struct tls_ctxpool *p = cfg->pool;

    if (p == NULL || p->n == 0 || !owned_here(p)) {
        return NULL;
    }
    p->reused++;
    return p->ctx[--p->n];
}

void tls__ctxpool_give(const struct tls_config *cfg, mbedtls_ssl_context *ssl)
{
    struct tls_ctxpool *p = cfg->pool;

    if (ssl == NULL) {
        return;
    }
    if (p == NULL || p->n == TLS_CTXPOOL_MAX || !owned_here(p) ||
        mbedtls_ssl_session_reset(ssl) != 0 || mbedtls_ssl_set_hostname(ssl, NULL) != 0) {
        ctx_free(ssl);
        return;
    }
    mbedtls_ssl_set_bio(ssl, NULL, NULL, NULL, NULL);
    mbedtls_ssl_set_verify(ssl, NULL, NULL);
    p->ctx[p->n++] = ssl;
}

size_t tls__ctxpool_reused(const struct tls_config *cfg)
{
    return cfg->pool != NULL ? cfg->pool->reused : 0;
}

size_t tls__ctxpool_kept(const struct tls_config *cfg)
{
    return cfg->pool != NULL ? cfg->pool->n : 0;
}
