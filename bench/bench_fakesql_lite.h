/* bench/bench_fakesql_lite.h: a deliberately minimal TLS 1.2 client for the benchmark.
 *
 * One suite (ECDHE-ECDSA-AES128-GCM-SHA256), one group (X25519), no certificate parsing and no
 * signature check: it exists so that one client core can keep a fakesql core busy. A full
 * OpenSSL client costs about four times what the server does per handshake (OpenSSL 3 parses
 * and decodes the certificate chain), so with it the clients, not fakesql, set the pace.
 * The handshake is still a real one for the server: ECDHE, ECDSA signature, the client's
 * Finished verified; the client counts success only when the server's ChangeCipherSpec and
 * Finished arrive, which OpenSSL sends only after checking the client's Finished.
 */
#ifndef BENCH_BENCH_FAKESQL_LITE_H
#define BENCH_BENCH_FAKESQL_LITE_H

#include <stddef.h>
#include <stdint.h>

struct lite_tls;

enum lite_step {
    LITE_MORE, /* feed more server bytes */
    LITE_SEND, /* *out_len bytes in out are to be sent, then feed more */
    LITE_DONE, /* the server finished its side of the handshake */
    LITE_FAIL, /* an alert, or bytes that do not parse */
};

struct lite_tls *lite_new(void);
void lite_free(struct lite_tls *l);
/* The ClientHello record; returns its length, 0 on error. */
size_t lite_client_hello(struct lite_tls *l, uint8_t *out, size_t cap);
/* Server bytes in (any chunking); out must hold at least 512 bytes. */
enum lite_step lite_feed(struct lite_tls *l, const uint8_t *p, size_t n, uint8_t *out,
                         size_t cap, size_t *out_len);

#endif
