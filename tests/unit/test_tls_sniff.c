/* tests/unit/test_tls_sniff.c: the record sniffer on hand-made and real server bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_tls_server.h"
#include "tls/tls_cert.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"
#include "tls/tls_version.h"

struct bytes {
    uint8_t p[200000];
    size_t n;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    assert_true(n <= sizeof(b->p) - b->n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_u8(struct bytes *b, unsigned v)
{
    uint8_t x = (uint8_t)v;

    put(b, &x, 1);
}

static void put_u16(struct bytes *b, unsigned v)
{
    put_u8(b, v >> 8);
    put_u8(b, v);
}

static void put_u24(struct bytes *b, size_t v)
{
    put_u8(b, (unsigned)(v >> 16));
    put_u16(b, (unsigned)(v & 0xFFFF));
}

/* Wraps body as records of the given type, at most max bytes each. */
static void records(struct bytes *out, uint8_t type, const uint8_t *body, size_t n, size_t max)
{
    size_t off = 0;

    do {
        size_t k = n - off < max ? n - off : max;

        put_u8(out, type);
        put_u16(out, 0x0303);
        put_u16(out, (unsigned)k);
        put(out, body + off, k);
        off += k;
    } while (off < n);
}

static void hs_msg(struct bytes *out, uint8_t type, const uint8_t *body, size_t n)
{
    put_u8(out, type);
    put_u24(out, n);
    put(out, body, n);
}

static void server_hello(struct bytes *out, unsigned version, unsigned suite, bool exts)
{
    struct bytes *m = calloc(1, sizeof(*m));
    uint8_t random[32] = { 0 };

    assert_non_null(m);
    put_u16(m, version);
    put(m, random, 32);
    put_u8(m, 0); /* no session id */
    put_u16(m, suite);
    put_u8(m, 0);
    if (exts) {
        put_u16(m, 4 + 11 + 4 + 2);
        put_u16(m, 16); /* ALPN */
        put_u16(m, 11);
        put_u16(m, 9);
        put_u8(m, 8);
        put(m, "tds/8.0x", 8);
        put_u16(m, 43); /* supported_versions */
        put_u16(m, 2);
        put_u16(m, 0x0304);
    }
    hs_msg(out, 2, m->p, m->n);
    free(m);
}

/* A fresh sniffer and an empty info for it to fill. */
static void sniff_start(struct tls_info *in, struct tls_sniff *sn)
{
    memset(in, 0, sizeof(*in));
    tls__sniff_init(sn);
}

static void sniff_all(const struct bytes *b, size_t chunk, struct tls_info *in,
                      struct tls_sniff *sn)
{
    sniff_start(in, sn);
    for (size_t off = 0; off < b->n; off += chunk) {
        size_t k = b->n - off < chunk ? b->n - off : chunk;

        assert_int_equal(0, tls__sniff_feed(sn, in, b->p + off, k));
    }
}

/* The DER of SQL Server 2017 on Linux's self-signed fallback certificate. */
static uint8_t *fallback_der(size_t *len)
{
    uint8_t *der = read_file(TDSPROBE_TEST_DATA "/ssl_self_signed_fallback_mssql2017_linux.der",
                             len);

    assert_non_null(der);
    return der;
}

/* wire = a 70,000-byte Certificate message (over the reassembly bound; ServerHelloDone after it
 * when done) in records of 16 KB. */
static void oversized_records(struct bytes *wire, bool done)
{
    struct bytes *hs = calloc(1, sizeof(*hs));
    uint8_t *body = calloc(1, 70000);

    assert_non_null(hs);
    assert_non_null(body);
    hs_msg(hs, 11, body, 70000);
    if (done) {
        hs_msg(hs, 14, NULL, 0);
    }
    records(wire, 22, hs->p, hs->n, 16384);
    free(body);
    free(hs);
}

/* wire = ServerHello (version, suite), a Certificate message listing the fallback certificate
 * `copies` times, ServerHelloDone, in records of at most max bytes; returns the Certificate
 * message's body length. */
static size_t fallback_flight(struct bytes *wire, unsigned version, unsigned suite,
                              size_t copies, size_t max)
{
    size_t len, body_len;
    uint8_t *der = fallback_der(&len);
    struct bytes *body = calloc(1, sizeof(*body)), *hs = calloc(1, sizeof(*hs));

    assert_non_null(body);
    assert_non_null(hs);
    put_u24(body, (len + 3) * copies);
    for (size_t i = 0; i < copies; i++) {
        put_u24(body, len);
        put(body, der, len);
    }
    server_hello(hs, version, suite, false);
    hs_msg(hs, 11, body->p, body->n);
    hs_msg(hs, 14, NULL, 0);
    records(wire, 22, hs->p, hs->n, max);
    body_len = body->n;
    free(der);
    free(body);
    free(hs);
    return body_len;
}

static void test_server_hello_tls13_and_alpn(void **state)
{
    struct bytes *hs = calloc(1, sizeof(*hs)), *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;

    (void)state;
    server_hello(hs, 0x0303, 0x1301, true);
    records(wire, 22, hs->p, hs->n, 16384);
    sniff_all(wire, 1, &in, &sn);
    assert_int_equal(TLS_STAGE_SERVER_HELLO, in.stage);
    assert_int_equal(TLS_V13, in.version);
    assert_int_equal(TLS_V13, in.server_hello_version);
    assert_int_equal(0x1301, in.cipher_id);
    assert_string_equal("TLS_AES_128_GCM_SHA256", in.cipher);
    assert_string_equal("tds/8.0x", in.alpn);
    assert_null(sn.hs); /* nothing partial: no buffer held */
    tls__sniff_free(&sn);
    free(hs);
    free(wire);
}

static void test_certificate_split_across_records(void **state)
{
    struct bytes *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;

    (void)state;
    /* 12 certificates (the first TLS_MAX_CHAIN are kept) in many small records */
    fallback_flight(wire, 0x0301, 0x0039, 12, 100);
    for (size_t chunk = 1; chunk <= 4099; chunk += 1366) {
        sniff_all(wire, chunk, &in, &sn);
        assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in.stage);
        assert_int_equal(TLS_V10, in.version);
        assert_string_equal("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", in.cipher);
        assert_int_equal(TLS_MAX_CHAIN, in.chain_len);
        assert_string_equal("SSL_Self_Signed_Fallback", in.chain[9].subject_cn);
        assert_null(sn.hs);
        tls__info_clear_chain(&in);
        tls__sniff_free(&sn);
    }
    free(wire);
}

static void test_alerts(void **state)
{
    static const uint8_t fatal[] = { 2, 40 }, warning[] = { 1, 112 }, close_notify[] = { 1, 0 };
    struct bytes *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;

    (void)state;
    records(wire, 21, warning, 2, 2);
    records(wire, 21, fatal, 2, 1); /* an alert split over two records */
    records(wire, 21, warning, 2, 2);
    sniff_all(wire, 1, &in, &sn);
    assert_true(in.alert_received);
    assert_int_equal(2, in.alert_level);
    assert_int_equal(40, in.alert_description); /* the later warning does not hide it */
    tls__sniff_free(&sn);

    /* a warning alone does not end anything: the handshake may still succeed */
    wire->n = 0;
    records(wire, 21, warning, 2, 2);
    sniff_all(wire, 3, &in, &sn);
    assert_false(in.alert_received);
    tls__sniff_free(&sn);

    wire->n = 0;
    records(wire, 21, close_notify, 2, 2);
    sniff_all(wire, 2, &in, &sn);
    assert_true(in.alert_received);
    assert_int_equal(1, in.alert_level);
    assert_int_equal(0, in.alert_description);
    tls__sniff_free(&sn);
    free(wire);
}

static void test_stops_at_change_cipher_spec(void **state)
{
    static const uint8_t ccs[] = { 1 };
    struct bytes *hs = calloc(1, sizeof(*hs)), *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;

    (void)state;
    records(wire, 20, ccs, 1, 1);
    server_hello(hs, 0x0303, 0xC02F, false); /* encrypted from here: must not be read */
    records(wire, 22, hs->p, hs->n, 16384);
    sniff_all(wire, 7, &in, &sn);
    assert_true(sn.stopped);
    assert_false(sn.not_tls);
    assert_int_equal(TLS_STAGE_START, in.stage);
    assert_int_equal(0, in.cipher_id);
    tls__sniff_free(&sn);
    free(hs);
    free(wire);
}

static void test_not_tls(void **state)
{
    static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    struct bytes *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;
    uint8_t big[5] = { 22, 3, 3, 0x48, 0x01 }; /* 18433 bytes: over the record limit */

    (void)state;
    put(wire, http, sizeof(http) - 1);
    sniff_all(wire, 4, &in, &sn);
    assert_true(sn.not_tls);
    assert_int_equal(TLS_STAGE_START, in.stage);
    tls__sniff_free(&sn);
    wire->n = 0;
    put(wire, big, sizeof(big));
    sniff_all(wire, 5, &in, &sn);
    assert_true(sn.not_tls);
    tls__sniff_free(&sn);
    free(wire);
}

/* A handshake message bigger than the reassembly bound is skipped, not buffered. */
static void test_oversized_message_skipped(void **state)
{
    struct bytes *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;
    size_t peak = 0;

    (void)state;
    oversized_records(wire, true);
    sniff_start(&in, &sn);
    for (size_t off = 0; off < wire->n; off += 1000) {
        size_t k = wire->n - off < 1000 ? wire->n - off : 1000;

        assert_int_equal(0, tls__sniff_feed(&sn, &in, wire->p + off, k));
        peak = sn.hs_cap > peak ? sn.hs_cap : peak;
    }
    assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in.stage);
    assert_int_equal(0, in.chain_len);
    assert_true(peak <= 8192);
    tls__sniff_free(&sn);
    free(wire);
}

/* A Certificate message over 16 KB spans records (what mbedTLS 2.28 refuses): the sniffer
 * says which message is open until its last byte came, then has the whole chain. */
static void test_open_message_across_records(void **state)
{
    size_t len;
    uint8_t *der = fallback_der(&len);
    struct bytes *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;
    uint8_t type = 0;
    size_t mlen = 0, body_len;
    /* one certificate after another, past 16 KB */
    size_t n = (20000 + len + 2) / (len + 3);

    (void)state;
    free(der);
    body_len = fallback_flight(wire, 0x0303, 0xC02F, n, 16384);
    sniff_start(&in, &sn);
    assert_false(tls__sniff_open_message(&sn, &type, &mlen));
    for (size_t off = 0; off < wire->n; off++) {
        assert_int_equal(0, tls__sniff_feed(&sn, &in, wire->p + off, 1));
        bool open = tls__sniff_open_message(&sn, &type, &mlen);
        if (in.stage == TLS_STAGE_SERVER_HELLO && sn.hs_len >= 4) {
            assert_true(open); /* inside the Certificate message */
            assert_int_equal(11, type);
            assert_int_equal(body_len, mlen);
        }
        if (sn.hs_len > 0 && sn.hs_len < 4) {
            assert_false(open); /* not even its header yet */
        }
    }
    assert_false(tls__sniff_open_message(&sn, &type, &mlen));
    assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in.stage);
    assert_int_equal(n < TLS_MAX_CHAIN ? n : TLS_MAX_CHAIN, in.chain_len);
    assert_string_equal("SSL_Self_Signed_Fallback", in.chain[0].subject_cn);
    tls__info_clear_chain(&in);
    tls__sniff_free(&sn);
    free(wire);
}

/* A message over the bound is open while it streams past (type and length known), never kept. */
static void test_open_message_skipped(void **state)
{
    struct bytes *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;
    uint8_t type = 0;
    size_t mlen = 0;

    (void)state;
    oversized_records(wire, false);
    sniff_start(&in, &sn);
    assert_int_equal(0, tls__sniff_feed(&sn, &in, wire->p, 20000));
    assert_true(tls__sniff_open_message(&sn, &type, &mlen));
    assert_int_equal(11, type);
    assert_int_equal(70000, mlen);
    assert_null(sn.hs);
    assert_int_equal(0, tls__sniff_feed(&sn, &in, wire->p + 20000, wire->n - 20000));
    assert_false(tls__sniff_open_message(&sn, &type, &mlen));
    assert_int_equal(0, in.chain_len);
    tls__sniff_free(&sn);
    free(wire);
}

/* wire = a Certificate message with this body (and a ServerHelloDone after it when done), in
 * records of at most max bytes, its last cut bytes left out. */
static void certificate_records(struct bytes *wire, const struct bytes *body, bool done,
                                size_t max, size_t cut)
{
    struct bytes *hs = calloc(1, sizeof(*hs));

    assert_non_null(hs);
    hs_msg(hs, 11, body->p, body->n);
    if (done) {
        hs_msg(hs, 14, NULL, 0);
    }
    wire->n = 0;
    records(wire, 22, hs->p, hs->n - cut, max);
    free(hs);
}

/* Malformed Certificate messages reassembled from records: lengths that point past their
 * container keep no certificate and read nothing beyond the message. */
static void test_malformed_split_certificates(void **state)
{
    size_t len;
    uint8_t *der = fallback_der(&len);
    struct bytes *body = calloc(1, sizeof(*body)), *wire = calloc(1, sizeof(*wire));
    struct tls_info in;
    struct tls_sniff sn;
    uint8_t type;
    size_t mlen;

    (void)state;
    /* the list announces more than the message holds */
    put_u24(body, len + 3 + 100);
    put_u24(body, len);
    put(body, der, len);
    certificate_records(wire, body, true, 300, 0);
    sniff_all(wire, 97, &in, &sn);
    assert_int_equal(0, in.chain_len);
    assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in.stage);
    assert_false(tls__sniff_open_message(&sn, &type, &mlen));
    tls__sniff_free(&sn);

    /* a certificate announces more than the list holds: the ones before it are kept */
    body->n = 0;
    put_u24(body, 2 * (len + 3));
    put_u24(body, len);
    put(body, der, len);
    put_u24(body, len + 50);
    put(body, der, len);
    certificate_records(wire, body, false, 1000, 0);
    sniff_all(wire, 1000, &in, &sn);
    assert_int_equal(1, in.chain_len);
    tls__info_clear_chain(&in);
    tls__sniff_free(&sn);

    /* the message ends before its header announces (the server stopped): open, nothing kept */
    body->n = 0;
    put_u24(body, len + 3);
    put_u24(body, len);
    put(body, der, len);
    certificate_records(wire, body, false, 16384, 10);
    sniff_all(wire, 4096, &in, &sn);
    assert_true(tls__sniff_open_message(&sn, &type, &mlen));
    assert_int_equal(len + 6, mlen);
    assert_int_equal(0, in.chain_len);
    tls__sniff_free(&sn);
    assert_false(tls__sniff_open_message(&sn, &type, &mlen)); /* freed: nothing open */
    free(der);
    free(body);
    free(wire);
}

/* Real bytes: the start of a Windows SQL Server flight inside a TDS 0x12 packet (FreeTDS #129). */
static void test_real_partial_flight(void **state)
{
    size_t len;
    uint8_t *pkt = read_hex(TDSPROBE_TEST_DATA "/server-tls-flight-in-tds12.partial.freetds129.hex",
                            &len);
    struct tls_info in;
    struct tls_sniff sn;

    (void)state;
    assert_non_null(pkt);
    assert_int_equal(289, len);
    sniff_start(&in, &sn);
    assert_int_equal(0, tls__sniff_feed(&sn, &in, pkt + 8, len - 8)); /* past the TDS header */
    assert_int_equal(TLS_STAGE_SERVER_HELLO, in.stage);
    assert_int_equal(TLS_V10, in.server_hello_version);
    assert_string_equal("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", in.cipher);
    assert_int_equal(0, in.chain_len); /* the Certificate message is cut short */
    assert_non_null(sn.hs);            /* ...and waits, bounded, for the rest */
    tls__sniff_free(&sn);
    free(pkt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_hello_tls13_and_alpn),
        cmocka_unit_test(test_certificate_split_across_records),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_stops_at_change_cipher_spec),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_oversized_message_skipped),
        cmocka_unit_test(test_real_partial_flight),
        cmocka_unit_test(test_open_message_across_records),
        cmocka_unit_test(test_open_message_skipped),
        cmocka_unit_test(test_malformed_split_certificates),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
