/* tests/unit/test_tds_packet.c: the 8-byte header (MS-TDS 2.2.3) and packetizing (EOM on the last
 * packet only, as SqlClient SslOverTdsStream writes them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_packet.h"
#include "test_tds_util.h"

struct header_case {
    const char *file;
    size_t at; /* file offset of the packet */
    struct tds_header want;
};

/* Every header in the fixtures, with the values their provenance comments document. */
static const struct header_case header_cases[] = {
    { "mstds-4.1-prelogin-request.hex", 0, { 0x12, 0x01, 47, 0, 1, 0 } },
    { "mssstds-4.1-prelogin-request.hex", 0, { 0x12, 0x01, 52, 0, 1, 0 } },
    { "sql2008-10.0.1600-prelogin-response.freetds605.hex", 0, { 0x04, 0x01, 43, 0, 1, 0 } },
    { "sql2008sp2-10.0.4000-prelogin-exchange.tedious610.hex", 0, { 0x12, 0x01, 47, 0, 1, 0 } },
    { "sql2008sp2-10.0.4000-prelogin-exchange.tedious610.hex", 47, { 0x04, 0x01, 43, 0, 1, 0 } },
    { "sql2008sp2-10.0.4000-prelogin-exchange.tedious610.hex", 90, { 0x12, 0x01, 252, 0, 1, 0 } },
    { "sql2014sp3-12.0.6024-prelogin-response.freetds425.hex", 0, { 0x04, 0x01, 37, 0, 1, 0 } },
    /* F6: the server's whole TLS flight in ONE 0x12 packet of 1141 bytes, PacketID 0. */
    { "server-tls-flight-in-tds12.partial.freetds129.hex", 0, { 0x12, 0x01, 1141, 0, 0, 0 } },
};

static void test_fixture_headers(void **state)
{
    for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
        const struct header_case *c = &header_cases[i];
        size_t len;
        uint8_t *f = load_hex(c->file, &len);
        struct tds_header h;
        struct tds_error e;
        tds_error_clear(&e);
        uint8_t *g = guarded_copy(f + c->at, TDS_HEADER_LEN);
        assert_int_equal(tds_header_decode(g, TDS_HEADER_LEN, &h, &e), TDS_ERR_OK);
        assert_int_equal(h.type, c->want.type);
        assert_int_equal(h.status, c->want.status);
        assert_int_equal(h.length, c->want.length);
        assert_int_equal(h.spid, c->want.spid);
        assert_int_equal(h.packet_id, c->want.packet_id);
        assert_int_equal(h.window, c->want.window);
        /* encode is the exact inverse */
        uint8_t out[TDS_HEADER_LEN];
        tds_header_encode(out, &h);
        assert_memory_equal(out, g, TDS_HEADER_LEN);
        guarded_free(g, TDS_HEADER_LEN);
        free(f);
    }
}

static void test_f6_is_partial(void **state)
{
    size_t len;
    uint8_t *f = load_hex("server-tls-flight-in-tds12.partial.freetds129.hex", &len);
    assert_int_equal(len, 289);
    /* The TLS record header right after: handshake, TLS 1.0, 1128 = 1141 - 8 - 5. */
    assert_int_equal(f[8], 0x16);
    assert_int_equal(f[9] << 8 | f[10], 0x0301);
    assert_int_equal(f[11] << 8 | f[12], 1128);
    free(f);
}

static void test_header_spid_be(void **state)
{
    const uint8_t p[] = { 0x04, 0x01, 0x00, 0x08, 0x12, 0x34, 0xFF, 0x7F };
    struct tds_header h;
    struct tds_error e;
    tds_error_clear(&e);
    assert_int_equal(tds_header_decode(p, sizeof(p), &h, &e), TDS_ERR_OK);
    assert_int_equal(h.length, 8);
    assert_int_equal(h.spid, 0x1234);
    assert_int_equal(h.packet_id, 0xFF);
    assert_int_equal(h.window, 0x7F);
}

static void expect_header_error(const uint8_t *p, size_t n, enum tds_err code, const char *needle)
{
    struct tds_header h = { .type = 0x55 };
    struct tds_error e;
    tds_error_clear(&e);
    uint8_t *g = guarded_copy(p, n);
    assert_int_equal(tds_header_decode(g, n, &h, &e), code);
    guarded_free(g, n);
    assert_int_equal(e.code, code);
    assert_int_equal(h.type, 0x55); /* untouched on failure */
    if (strstr(e.detail, needle) == NULL) {
        fail_msg("detail \"%s\" lacks \"%s\"", e.detail, needle);
    }
}

static void test_header_errors(void **state)
{
    const uint8_t too_short[] = { 0x12, 0x01, 0x00, 0x07, 0, 0, 0, 0 };
    const uint8_t zero[] = { 0x12, 0x01, 0x00, 0x00, 0, 0, 0, 0 };
    const uint8_t too_long[] = { 0x12, 0x01, 0x80, 0x01, 0, 0, 0, 0 };
    const uint8_t max[] = { 0x12, 0x01, 0x80, 0x00, 0, 0, 0, 0 };

    expect_header_error(too_short, 8, TDS_ERR_BAD_PACKET_LENGTH, "length 7 is shorter");
    expect_header_error(zero, 8, TDS_ERR_BAD_PACKET_LENGTH, "length 0 is shorter");
    expect_header_error(too_long, 8, TDS_ERR_BAD_PACKET_LENGTH,
                        "length 32769 exceeds the maximum of 32768");
    for (size_t n = 0; n < TDS_HEADER_LEN; n++) {
        expect_header_error(max, n, TDS_ERR_TRUNCATED, "needs 8 bytes");
    }

    struct tds_header h;
    assert_int_equal(tds_header_decode(max, 8, &h, NULL), TDS_ERR_OK);
    assert_int_equal(h.length, 32768);
    /* e may be NULL on failure too */
    assert_int_equal(tds_header_decode(too_long, 8, &h, NULL), TDS_ERR_BAD_PACKET_LENGTH);
}

static void test_packetized_size(void **state)
{
    assert_int_equal(tds_packetized_size(0, 4096), 8);
    assert_int_equal(tds_packetized_size(1, 4096), 9);
    assert_int_equal(tds_packetized_size(4088, 4096), 4096);
    assert_int_equal(tds_packetized_size(4089, 4096), 4096 + 9);
    assert_int_equal(tds_packetized_size(10000, 4096), 10000 + 3 * 8);
    assert_int_equal(tds_packetized_size(5, 9), 5 * 9);
    assert_int_equal(tds_packetized_size(0, 8), 8);
    /* max_packet out of range, or unable to carry any payload: 0 */
    assert_int_equal(tds_packetized_size(1, 8), 0);
    assert_int_equal(tds_packetized_size(1, 7), 0);
    assert_int_equal(tds_packetized_size(1, 32769), 0);
    assert_int_equal(tds_packetized_size(SIZE_MAX - 4, 4096), 0);
}

static void test_packetize_splits_with_eom_last(void **state)
{
    size_t len = 10000;
    uint8_t *payload = malloc(len);
    for (size_t i = 0; i < len; i++) {
        payload[i] = (uint8_t)(i * 7);
    }
    size_t cap = tds_packetized_size(len, 4096);
    uint8_t *out = malloc(cap);
    uint8_t id = 254;

    assert_int_equal(tds_packetize(0x12, payload, len, 4096, &id, out, cap), cap);
    assert_int_equal(id, 1); /* 254, 255, 0 used; wraps mod 256 */
    const uint8_t want_status[] = { 0x00, 0x00, 0x01 };
    const uint16_t want_len[] = { 4096, 4096, 10000 - 2 * 4088 + 8 };
    const uint8_t want_id[] = { 254, 255, 0 };
    size_t at = 0, got = 0;
    for (int k = 0; k < 3; k++) {
        struct tds_header h;
        assert_int_equal(tds_header_decode(out + at, cap - at, &h, NULL), TDS_ERR_OK);
        assert_int_equal(h.type, 0x12);
        assert_int_equal(h.status, want_status[k]);
        assert_int_equal(h.length, want_len[k]);
        assert_int_equal(h.spid, 0);
        assert_int_equal(h.packet_id, want_id[k]);
        assert_memory_equal(out + at + 8, payload + got, h.length - 8u);
        got += h.length - 8u;
        at += h.length;
    }
    assert_int_equal(at, cap);
    assert_int_equal(got, len);
    free(out);
    free(payload);
}

static void test_packetize_edges(void **state)
{
    uint8_t out[64];
    uint8_t id = 5;
    /* An empty payload is one EOM packet of 8 bytes. */
    assert_int_equal(tds_packetize(0x04, NULL, 0, 4096, &id, out, sizeof(out)), 8);
    assert_int_equal(id, 6);
    const uint8_t want[] = { 0x04, 0x01, 0x00, 0x08, 0x00, 0x00, 0x05, 0x00 };
    assert_memory_equal(out, want, 8);
    /* Too small a buffer, or a bad max_packet: 0 and packet_id untouched. */
    const uint8_t p[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    assert_int_equal(tds_packetize(0x12, p, 10, 4096, &id, out, 17), 0);
    assert_int_equal(tds_packetize(0x12, p, 10, 8, &id, out, sizeof(out)), 0);
    assert_int_equal(tds_packetize(0x12, p, 10, 40000, &id, out, sizeof(out)), 0);
    assert_int_equal(id, 6);
    /* Exactly enough room. */
    assert_int_equal(tds_packetize(0x12, p, 10, 4096, &id, out, 18), 18);
    assert_memory_equal(out + 8, p, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_headers),
        cmocka_unit_test(test_f6_is_partial),
        cmocka_unit_test(test_header_spid_be),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_packetized_size),
        cmocka_unit_test(test_packetize_splits_with_eom_last),
        cmocka_unit_test(test_packetize_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
