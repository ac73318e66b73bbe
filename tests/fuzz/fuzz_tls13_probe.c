/* tests/fuzz/fuzz_tls13_probe.c: arbitrary bytes as a server's answer to the TLS 1.3 probe, and
 * as the SNI/ALPN of the ClientHello it builds.
 *
 * Input: byte 0 picks the ClientHello's buffer size; the rest is the server's reply, also split
 * at its first NUL into an SNI and an ALPN string. Oracles beyond the sanitizers:
 *  - the parse is a pure function of the bytes so far, so an answer (DONE or ERROR) at a prefix
 *    must be exactly the answer for the whole input, and NEED_MORE must leave the result clear;
 *  - an answer always carries its sentence, and "accepted" always means TLS 1.3;
 *  - the ClientHello never exceeds its buffer, and its record and handshake lengths agree. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls13_probe.h"
#include "tls/tls_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(int rc, const struct tls13_probe_result *r)
{
    static const struct tls13_probe_result zero;

    if (rc != TLS13_NEED_MORE && rc != TLS13_DONE && rc != TLS13_ERROR) {
        abort();
    }
    if (rc == TLS13_NEED_MORE && memcmp(r, &zero, sizeof(*r)) != 0) {
        abort();
    }
    if (rc != TLS13_NEED_MORE && r->detail[0] == '\0') {
        abort();
    }
    if (r->accepted && (rc != TLS13_DONE || r->version != TLS_V13 || r->alert_received)) {
        abort();
    }
    if (r->hello_retry && !r->accepted) {
        abort();
    }
    if (memchr(r->detail, 0, sizeof(r->detail)) == NULL ||
        memchr(r->cipher, 0, sizeof(r->cipher)) == NULL ||
        memchr(r->alpn, 0, sizeof(r->alpn)) == NULL ||
        memchr(r->group_name, 0, sizeof(r->group_name)) == NULL ||
        memchr(r->alert_name, 0, sizeof(r->alert_name)) == NULL) {
        abort();
    }
}

static void check_prefix(const uint8_t *p, size_t k, int full_rc,
                         const struct tls13_probe_result *full)
{
    struct tls13_probe_result r;
    int rc = tls13_probe_parse(p, k, &r);

    check_result(rc, &r);
    if (rc != TLS13_NEED_MORE && (rc != full_rc || memcmp(&r, full, sizeof(r)) != 0)) {
        abort(); /* an answer at a prefix is final */
    }
}

static void parse_reply(const uint8_t *p, size_t n)
{
    struct tls13_probe_result full;
    int rc = tls13_probe_parse(p, n, &full);
    size_t step = n <= 300 ? 1 : n / 64;

    check_result(rc, &full);
    for (size_t k = 0; k < n; k += step) {
        check_prefix(p, k, rc, &full);
    }
    for (size_t k = n > 8 ? n - 8 : 0; k < n; k++) {
        check_prefix(p, k, rc, &full);
    }
}

static void build_hello(const uint8_t *data, size_t size, size_t cap)
{
    static const uint8_t random[32] = { 1 }, pub[32] = { 9 };
    char sni[300], alpn[300];
    uint8_t out[TLS13_CLIENT_HELLO_MAX + 64];
    const uint8_t *nul = memchr(data, 0, size);
    size_t a = nul != NULL ? (size_t)(nul - data) : size, b = nul != NULL ? size - a - 1 : 0;
    size_t n;

    a = a < sizeof(sni) - 1 ? a : sizeof(sni) - 1;
    b = b < sizeof(alpn) - 1 ? b : sizeof(alpn) - 1;
    memcpy(sni, data, a);
    sni[a] = '\0';
    if (b > 0) {
        memcpy(alpn, nul + 1, b);
    }
    alpn[b] = '\0';
    memset(out, 0xEE, sizeof(out));
    n = tls13_probe_client_hello(out, cap, sni, b > 0 ? alpn : NULL, random, pub);
    if (n > cap || out[cap] != 0xEE) {
        abort();
    }
    if (n == 0) {
        return;
    }
    /* record length = n - 5; handshake length = n - 9; record version 3.1 */
    if (out[0] != 22 || out[1] != 3 || out[2] != 1 || ((size_t)out[3] << 8 | out[4]) != n - 5 ||
        out[5] != 1 || ((size_t)out[6] << 16 | (size_t)out[7] << 8 | out[8]) != n - 9) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap;

    if (size < 1) {
        return 0;
    }
    /* mostly a roomy buffer, sometimes one that is too small */
    cap = data[0] < 200 ? TLS13_CLIENT_HELLO_MAX : (size_t)(data[0] - 200) * 16; /* <= 880 */
    parse_reply(data + 1, size - 1);
    build_hello(data + 1, size - 1, cap);
    return 0;
}
