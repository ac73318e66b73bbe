/* tests/unit/test_tds_reasm.c: stream reassembly under every chunking (MS-TDS 2.2.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_packet.h"
#include "test_tds_util.h"

/* What came out of a stream: messages concatenated, plus counts. */
struct sink {
    uint8_t *data;
    size_t len;
    size_t packets;
    size_t messages;
    size_t msg_lens[64];
    uint8_t msg_types[64];
};

static void drain(struct tds_reasm *r, struct sink *s)
{
    while (tds_reasm_packet_ready(r)) {
        struct tds_header h;
        size_t n;
        assert_non_null(tds_reasm_packet(r, &h, &n));
        assert_int_equal(n, h.length - 8u);
        s->packets++;
        if (tds_reasm_message_ready(r)) {
            uint8_t type;
            size_t m;
            const uint8_t *msg = tds_reasm_message(r, &type, &m);
            assert_non_null(msg);
            assert_true(s->messages < 64);
            s->msg_lens[s->messages] = m;
            s->msg_types[s->messages++] = type;
            s->data = realloc(s->data, s->len + m + 1);
            if (m > 0) {
                memcpy(s->data + s->len, msg, m);
            }
            s->len += m;
        }
        tds_reasm_next(r);
    }
}

/* Feeds p in chunks whose sizes come from `pick`; returns the final feed code. */
static int feed_chunks(struct tds_reasm *r, struct sink *s, const uint8_t *p, size_t n,
                       uint64_t *seed, size_t max_chunk)
{
    size_t at = 0;
    while (at < n) {
        size_t k = max_chunk == 1 ? 1 : 1 + (size_t)(test_rand(seed) % max_chunk);
        if (k > n - at) {
            k = n - at;
        }
        uint8_t *g = guarded_copy(p + at, k);
        size_t off = 0;
        while (off < k) {
            size_t used;
            int rc = tds_reasm_feed(r, g + off, k - off, &used);
            off += used;
            if (rc != TDS_ERR_OK) {
                guarded_free(g, k);
                return rc;
            }
            drain(r, s);
        }
        guarded_free(g, k);
        at += k;
    }
    return TDS_ERR_OK;
}

/* A reassembler and what it delivered. */
struct fed {
    struct tds_reasm r;
    struct sink s;
};

/* Feeds p to a fresh reassembler with this message cap, in chunks as feed_chunks cuts them;
 * returns the final feed code. */
static int feed_fresh(struct fed *x, size_t cap, const uint8_t *p, size_t n, uint64_t seed,
                      size_t max_chunk)
{
    memset(&x->s, 0, sizeof(x->s));
    tds_reasm_init(&x->r, cap);
    return feed_chunks(&x->r, &x->s, p, n, &seed, max_chunk);
}

static void fed_free(struct fed *x)
{
    tds_reasm_free(&x->r);
    free(x->s.data);
}

/* A stream of three messages: 10000 bytes in 0x12 packets of 4096, an empty message, and
 * 300 bytes in packets of 100 -- plus the payloads concatenated, for comparison. */
static uint8_t *make_stream(size_t *n, uint8_t **payloads, size_t *plen)
{
    const size_t sizes[] = { 10000, 0, 300 };
    const size_t maxp[] = { 4096, 4096, 108 };
    size_t total = 0, ptotal = 0;
    uint8_t *out = malloc(20000), *pl = malloc(20000);
    uint8_t id = 0;
    for (int m = 0; m < 3; m++) {
        uint8_t *p = pl + ptotal;
        for (size_t i = 0; i < sizes[m]; i++) {
            p[i] = (uint8_t)(i * 31 + (size_t)m);
        }
        size_t w = tds_packetize(0x12, p, sizes[m], maxp[m], &id, out + total, 20000 - total);
        assert_true(w > 0);
        total += w;
        ptotal += sizes[m];
    }
    *n = total;
    *payloads = pl;
    *plen = ptotal;
    return out;
}

static void check_stream_sink(const struct sink *s, const uint8_t *pl, size_t plen)
{
    assert_int_equal(s->packets, 3 + 1 + 3);
    assert_int_equal(s->messages, 3);
    assert_int_equal(s->msg_lens[0], 10000);
    assert_int_equal(s->msg_lens[1], 0);
    assert_int_equal(s->msg_lens[2], 300);
    assert_int_equal(s->msg_types[0], 0x12);
    assert_int_equal(s->len, plen);
    assert_memory_equal(s->data, pl, plen);
}

static void run_chunked(size_t max_chunk, uint64_t seed)
{
    size_t n, plen;
    uint8_t *pl;
    uint8_t *stream = make_stream(&n, &pl, &plen);
    struct fed x;

    assert_int_equal(feed_fresh(&x, TDS_DEFAULT_MAX_MESSAGE, stream, n, seed, max_chunk),
                     TDS_ERR_OK);
    check_stream_sink(&x.s, pl, plen);
    assert_true(tds_reasm_idle(&x.r));
    fed_free(&x);
    free(stream);
    free(pl);
}

static void test_one_byte_at_a_time(void **state)
{
    run_chunked(1, 1);
}

static void test_random_chunks(void **state)
{
    const size_t maxima[] = { 2, 3, 7, 9, 64, 4095, 4097, 9000, 30000 };
    for (size_t i = 0; i < sizeof(maxima) / sizeof(maxima[0]); i++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            run_chunked(maxima[i], seed * 0x9E3779B97F4A7C15ULL);
        }
    }
}

static void test_whole_fixture_f4(void **state)
{
    /* Request, reply, then 21 bytes of a 252-byte ClientHello packet: 2 messages, then waiting. */
    size_t len;
    uint8_t *f = load_hex("sql2008sp2-10.0.4000-prelogin-exchange.tedious610.hex", &len);
    struct fed x;

    assert_int_equal(feed_fresh(&x, TDS_DEFAULT_MAX_MESSAGE, f, len, 7, 1), TDS_ERR_OK);
    assert_int_equal(x.s.messages, 2);
    assert_int_equal(x.s.msg_types[0], 0x12);
    assert_int_equal(x.s.msg_types[1], 0x04);
    assert_int_equal(x.s.msg_lens[0], 39);
    assert_int_equal(x.s.msg_lens[1], 35);
    assert_false(tds_reasm_packet_ready(&x.r));
    assert_false(tds_reasm_idle(&x.r));
    assert_int_equal(x.r.err.code, TDS_ERR_OK);
    fed_free(&x);
    free(f);
}

static void test_f6_partial_is_incomplete(void **state)
{
    size_t len;
    uint8_t *f = load_hex("server-tls-flight-in-tds12.partial.freetds129.hex", &len);
    struct tds_reasm r;
    size_t used;

    tds_reasm_init(&r, TDS_DEFAULT_MAX_MESSAGE);
    uint8_t *g = guarded_copy(f, len);
    assert_int_equal(tds_reasm_feed(&r, g, len, &used), TDS_ERR_OK);
    guarded_free(g, len);
    assert_int_equal(used, 289);
    assert_false(tds_reasm_packet_ready(&r));
    assert_false(tds_reasm_message_ready(&r));
    assert_false(tds_reasm_idle(&r)); /* 281 of 1133 payload bytes buffered */
    assert_int_equal(r.body_have, 281);
    assert_int_equal(r.pkt.length, 1141);
    assert_int_equal(r.err.code, TDS_ERR_OK);
    tds_reasm_free(&r);
    free(f);
}

/* Every prefix shorter than a fixture's first packet: consumed, incomplete, never an error. */
static void test_every_prefix_incomplete(void **state)
{
    for (size_t i = 0; i < tds_n_fixtures; i++) {
        size_t len;
        uint8_t *f = load_hex(tds_fixtures[i], &len);
        size_t first = (size_t)(f[2] << 8 | f[3]);
        size_t stop = first <= len ? first : len + 1; /* F6: the whole file */
        for (size_t k = 0; k < stop; k++) {
            struct tds_reasm r;
            size_t used;
            tds_reasm_init(&r, TDS_DEFAULT_MAX_MESSAGE);
            uint8_t *g = guarded_copy(f, k);
            assert_int_equal(tds_reasm_feed(&r, g, k, &used), TDS_ERR_OK);
            guarded_free(g, k);
            assert_int_equal(used, k);
            assert_false(tds_reasm_packet_ready(&r));
            assert_int_equal(tds_reasm_idle(&r), k == 0);
            tds_reasm_free(&r);
        }
        free(f);
    }
}

static void test_type_change_is_accepted(void **state)
{
    /* 0x12 then 0x04 inside one message: servers differ (SQL Server 0x12, the Dataverse
     * endpoint 0x04), not an error. */
    const uint8_t p[] = { 0x12, 0x00, 0x00, 0x0A, 0, 0, 0, 0, 'a', 'b',
                          0x04, 0x01, 0x00, 0x09, 0, 0, 1, 0, 'c' };
    struct fed x;

    assert_int_equal(feed_fresh(&x, 64, p, sizeof(p), 3, 4), TDS_ERR_OK);
    assert_int_equal(x.s.packets, 2);
    assert_int_equal(x.s.messages, 1);
    assert_int_equal(x.s.msg_types[0], 0x12); /* the first packet's type */
    assert_int_equal(x.s.len, 3);
    assert_memory_equal(x.s.data, "abc", 3);
    fed_free(&x);
}

static void test_too_big_before_allocation(void **state)
{
    /* The first header already claims more than the cap: nothing may be allocated. */
    const uint8_t p[] = { 0x12, 0x01, 0x10, 0x00, 0, 0, 0, 0, 'x' };
    struct tds_reasm r;
    size_t used;

    tds_reasm_init(&r, 100);
    assert_int_equal(tds_reasm_feed(&r, p, sizeof(p), &used), TDS_ERR_MESSAGE_TOO_BIG);
    assert_int_equal(used, 8);
    assert_null(r.msg);
    assert_int_equal(r.msg_cap, 0);
    assert_non_null(strstr(r.err.detail, "would grow to 4088 bytes; the cap is 100"));
    /* Sticky: the same error again, nothing consumed. */
    assert_int_equal(tds_reasm_feed(&r, p + 8, 1, &used), TDS_ERR_MESSAGE_TOO_BIG);
    assert_int_equal(used, 0);
    tds_reasm_free(&r);
}

static void test_too_big_across_packets(void **state)
{
    /* Two non-EOM packets of 60 payload bytes with a cap of 100: the second is refused. */
    uint8_t p[136] = { 0 };
    const uint8_t h[] = { 0x12, 0x00, 0x00, 68, 0, 0, 0, 0 };
    memcpy(p, h, 8);
    memcpy(p + 68, h, 8);
    struct fed x;

    assert_int_equal(feed_fresh(&x, 100, p, sizeof(p), 11, 5), TDS_ERR_MESSAGE_TOO_BIG);
    assert_int_equal(x.s.packets, 1);
    assert_int_equal(x.r.err.offset, 68);
    assert_true(x.r.msg_cap <= 100);
    fed_free(&x);
}

static void test_bad_length_in_stream_is_sticky(void **state)
{
    const uint8_t p[] = { 0x04, 0x01, 0x00, 0x09, 0, 0, 1, 0, 'z',
                          0x04, 0x01, 0x00, 0x05, 0, 0, 1, 0, 'q' };
    struct fed x;

    assert_int_equal(feed_fresh(&x, 64, p, sizeof(p), 5, 1), TDS_ERR_BAD_PACKET_LENGTH);
    assert_int_equal(x.s.messages, 1);
    assert_int_equal(x.r.err.code, TDS_ERR_BAD_PACKET_LENGTH);
    assert_int_equal(x.r.err.offset, 9 + 2); /* the length field of the second header */
    assert_non_null(strstr(x.r.err.detail, "length 5"));
    size_t used;
    assert_int_equal(tds_reasm_feed(&x.r, p, sizeof(p), &used), TDS_ERR_BAD_PACKET_LENGTH);
    assert_int_equal(used, 0);
    fed_free(&x);
}

static void test_feed_while_ready_consumes_nothing(void **state)
{
    const uint8_t p[] = { 0x12, 0x00, 0x00, 0x09, 0, 0, 0, 0, 'a',
                          0x12, 0x01, 0x00, 0x09, 0, 0, 1, 0, 'b' };
    struct tds_reasm r;
    size_t used;

    tds_reasm_init(&r, 64);
    assert_int_equal(tds_reasm_feed(&r, p, sizeof(p), &used), TDS_ERR_OK);
    assert_int_equal(used, 9); /* stops after one whole packet */
    assert_true(tds_reasm_packet_ready(&r));
    assert_false(tds_reasm_message_ready(&r));
    assert_null(tds_reasm_message(&r, NULL, NULL));
    assert_int_equal(tds_reasm_feed(&r, p + 9, 9, &used), TDS_ERR_OK);
    assert_int_equal(used, 0);
    tds_reasm_next(&r);
    assert_int_equal(tds_reasm_feed(&r, p + 9, 9, &used), TDS_ERR_OK);
    assert_int_equal(used, 9);
    size_t n;
    uint8_t type;
    const uint8_t *m = tds_reasm_message(&r, &type, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(m, "ab", 2);
    tds_reasm_next(&r);
    tds_reasm_next(&r); /* no packet: a no-op */
    assert_null(tds_reasm_packet(&r, NULL, NULL));
    assert_true(tds_reasm_idle(&r));
    tds_reasm_free(&r);
}

/* The TLS-in-TDS reader: take each packet's payload, discard, so the buffer never grows even
 * though EOM never comes (older Babelfish set EOM on every handshake packet). */
static void test_discard_keeps_buffer_small(void **state)
{
    uint8_t pkt[108];
    struct tds_reasm r;
    size_t got = 0;

    tds_reasm_init(&r, 200);
    for (int k = 0; k < 50; k++) {
        const uint8_t h[] = { 0x12, 0x00, 0x00, 108, 0, 0, (uint8_t)k, 0 };
        memcpy(pkt, h, 8);
        memset(pkt + 8, k, 100);
        size_t off = 0;
        while (off < sizeof(pkt)) {
            size_t used;
            assert_int_equal(tds_reasm_feed(&r, pkt + off, sizeof(pkt) - off, &used), 0);
            off += used;
            if (!tds_reasm_packet_ready(&r)) {
                continue;
            }
            size_t n;
            const uint8_t *p = tds_reasm_packet(&r, NULL, &n);
            assert_int_equal(n, 100);
            assert_int_equal(p[0], k);
            assert_int_equal(p[99], k);
            got += n;
            if (k % 2 == 0) {
                tds_reasm_discard(&r); /* before next: the packet survives */
                p = tds_reasm_packet(&r, NULL, &n);
                assert_int_equal(p[50], k);
                tds_reasm_next(&r);
            } else {
                tds_reasm_next(&r);
                tds_reasm_discard(&r);
            }
        }
    }
    assert_int_equal(got, 5000);
    assert_true(r.msg_cap <= 200);
    tds_reasm_free(&r);
}

static void test_discard_mid_packet(void **state)
{
    /* Discard while the second packet is half read keeps its bytes. */
    const uint8_t p[] = { 0x12, 0x00, 0x00, 0x0A, 0, 0, 0, 0, 'a', 'b',
                          0x12, 0x01, 0x00, 0x0B, 0, 0, 1, 0, 'c', 'd', 'e' };
    struct tds_reasm r;
    size_t used;

    tds_reasm_init(&r, 64);
    assert_int_equal(tds_reasm_feed(&r, p, 10, &used), TDS_ERR_OK);
    tds_reasm_next(&r);
    assert_int_equal(tds_reasm_feed(&r, p + 10, 9, &used), TDS_ERR_OK);
    tds_reasm_discard(&r);
    assert_int_equal(tds_reasm_feed(&r, p + 19, 2, &used), TDS_ERR_OK);
    size_t n;
    const uint8_t *m = tds_reasm_message(&r, NULL, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(m, "cde", 3);
    tds_reasm_free(&r);
}

static void test_discard_moves_ready_packet(void **state)
{
    /* Two packets of one message; discarding while the second is ready keeps only it. */
    const uint8_t p[] = { 0x12, 0x00, 0x00, 0x0A, 0, 0, 0, 0, 'a', 'b',
                          0x12, 0x01, 0x00, 0x0B, 0, 0, 1, 0, 'c', 'd', 'e' };
    struct tds_reasm r;
    size_t used, n;

    tds_reasm_init(&r, 64);
    assert_int_equal(tds_reasm_feed(&r, p, sizeof(p), &used), TDS_ERR_OK);
    tds_reasm_next(&r);
    assert_int_equal(tds_reasm_feed(&r, p + 10, 11, &used), TDS_ERR_OK);
    assert_int_equal(r.pkt_start, 2);
    tds_reasm_discard(&r);
    const uint8_t *pk = tds_reasm_packet(&r, NULL, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(pk, "cde", 3);
    const uint8_t *m = tds_reasm_message(&r, NULL, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(m, "cde", 3);
    tds_reasm_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_random_chunks),
        cmocka_unit_test(test_whole_fixture_f4),
        cmocka_unit_test(test_f6_partial_is_incomplete),
        cmocka_unit_test(test_every_prefix_incomplete),
        cmocka_unit_test(test_type_change_is_accepted),
        cmocka_unit_test(test_too_big_before_allocation),
        cmocka_unit_test(test_too_big_across_packets),
        cmocka_unit_test(test_bad_length_in_stream_is_sticky),
        cmocka_unit_test(test_feed_while_ready_consumes_nothing),
        cmocka_unit_test(test_discard_keeps_buffer_small),
        cmocka_unit_test(test_discard_mid_packet),
        cmocka_unit_test(test_discard_moves_ready_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
