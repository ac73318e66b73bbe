/* tls/tls13_client_int.h: the TLS 1.3 client's state, shared by its two files (never included
 * elsewhere): tls13_client.c (the public face, records in, test hooks) and tls13_flight.c (the
 * handshake messages: ClientHello out, ServerHello / HelloRetryRequest, the encrypted flight,
 * the client Finished out). */
#ifndef TLS_TLS13_CLIENT_INT_H
#define TLS_TLS13_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tls/tls13_client.h"
#include "tls/tls13_int.h"
#include "tls/tls13_probe.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"

/* Unconsumed server bytes, and the transcript (a chain of up to TLS_SNIFF_MAX_HS plus the
 * other messages). */
#define TLS13_IN_MAX (64u * 1024u)
#define TLS13_TRANSCRIPT_MAX (TLS_SNIFF_MAX_HS + 16u * 1024u)
/* A cookie is echoed up to this size (real ones are a few hundred bytes). */
#define TLS13_COOKIE_MAX 4096u
#define TLS13_OUT_CAP (TLS13_CLIENT_HELLO_MAX + TLS13_COOKIE_MAX + 512u)

enum tls13__state {
    ST_START,
    ST_WAIT_SH,
    ST_WAIT_EE,
    ST_WAIT_CERT_CR, /* Certificate, or CertificateRequest first (RFC 8446 4.3.2) */
    ST_WAIT_CERT,
    ST_WAIT_CV,
    ST_WAIT_FIN,
    ST_DONE,
    ST_FAILED,
};

struct tls13__buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

struct tls13_client {
    enum tls13__state st;
    char sni[256];
    char alpn[256];
    bool x25519_only;
    const struct tls_config *cfg;
    uint8_t random[32];
    uint8_t sid[32];
    size_t sid_len;
    struct tls13__kex kex[2];
    size_t n_kex;
    const struct tls13__suite *suite;
    uint16_t hrr_suite;
    struct tls13__secrets sec;
    struct tls13__aead rd;
    struct tls13__aead wr;
    bool protected_rd;          /* server records are under the handshake keys */
    struct tls13__buf in;              /* server bytes not yet a whole record */
    struct tls13__buf hs;              /* handshake bytes not yet a whole message */
    struct tls13__buf tr;              /* the transcript: every handshake message so far */
    uint8_t out[TLS13_OUT_CAP];
    size_t out_len;
    bool closed;
    bool reset;
    struct tls_info info;
    struct tls13_facts facts;
    uint8_t rec[TLS13_MAX_CIPHERTEXT];
};

static inline int tls13__buf_add(struct tls13__buf *b, const uint8_t *p, size_t n, size_t max)
{
    return tls__buf_append(&b->p, &b->len, &b->cap, p, n, max);
}

static inline void tls13__buf_drop(struct tls13__buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* The handshake is over: error_text says why (tls13_client.c). Returns -1. */
int tls13__fail(struct tls13_client *c, const char *what);
/* The same for something the client refuses from the server (info.local_reject). */
int tls13__refuse(struct tls13_client *c, const char *why);

/* Queues a ClientHello record (the first, or the one after a HelloRetryRequest with its cookie)
 * and adds it to the transcript (tls13_flight.c). Returns 0 or -1. */
int tls13__send_client_hello(struct tls13_client *c, const uint8_t *cookie, size_t cookie_len);
/* Handles every whole handshake message in c->hs (tls13_flight.c). Returns 0 or -1. */
int tls13__drain_messages(struct tls13_client *c);

#endif
