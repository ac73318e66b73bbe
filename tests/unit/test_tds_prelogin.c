/* tests/unit/test_tds_prelogin.c: PRELOGIN parse and build (MS-TDS 2.2.6.5).
 * Every parse runs on a guard-page copy, so reading one byte too far crashes the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_packet.h"
#include "tds/tds_prelogin.h"
#include "test_tds_util.h"

/* Parses p[0..n) from a guarded copy; the result's views are dead after return, so only
 * scalars are compared by callers that use this. */
static int parse_guarded(const uint8_t *p, size_t n, struct tds_prelogin *pl, struct tds_error *e)
{
    uint8_t *g = guarded_copy(p, n);
    tds_error_clear(e);
    int rc = tds_prelogin_parse(g, n, pl, e);
    guarded_free(g, n);
    return rc;
}

/* Payload of the packet starting at file offset `at` in a fixture. */
static const uint8_t *packet_payload(const uint8_t *file, size_t file_len, size_t at, size_t *n)
{
    struct tds_header h;
    struct tds_error e;
    tds_error_clear(&e);
    assert_int_equal(tds_header_decode(file + at, file_len - at, &h, &e), TDS_ERR_OK);
    assert_true(h.length <= file_len - at);
    *n = h.length - TDS_HEADER_LEN;
    return file + at + TDS_HEADER_LEN;
}

static void expect_error(const char *hex, enum tds_err code, int option, const char *needle)
{
    uint8_t buf[512];
    size_t n = hex_to_bytes(hex, buf, sizeof(buf));
    struct tds_prelogin pl;
    struct tds_error e;

    int rc = parse_guarded(buf, n, &pl, &e);
    if (rc != (int)code) {
        fail_msg("expected %s, got %s (%s)", tds_err_name(code), tds_err_name(rc), e.detail);
    }
    assert_int_equal(e.code, code);
    assert_int_equal(e.option, option);
    if (needle != NULL && strstr(e.detail, needle) == NULL) {
        fail_msg("detail \"%s\" lacks \"%s\"", e.detail, needle);
    }
    assert_int_equal(pl.n_options, 0); /* a failed parse leaves no half-valid views */
}

/* Parses a PRELOGIN payload that must be well-formed; *pl views p. */
static void parse_ok(const uint8_t *p, size_t n, struct tds_prelogin *pl)
{
    struct tds_error e;

    tds_error_clear(&e);
    assert_int_equal(tds_prelogin_parse(p, n, pl, &e), TDS_ERR_OK);
}

/* Loads a fixture and parses its first packet's payload into *pl, which views the returned
 * file (the caller frees it); *len is the file's length. */
static uint8_t *parse_fixture(const char *name, size_t *len, struct tds_prelogin *pl)
{
    size_t n;
    uint8_t *f = load_hex(name, len);
    const uint8_t *p = packet_payload(f, *len, 0, &n);

    parse_ok(p, n, pl);
    return f;
}

/* The server's VERSION as text and the product it names. */
static void assert_server(const struct tds_prelogin *pl, const char *version,
                          const char *product)
{
    char ver[32], prod[64];

    tds_version_format(&pl->version, ver, sizeof(ver));
    assert_string_equal(ver, version);
    assert_string_equal(tds_product_name(&pl->version, prod, sizeof(prod)), product);
}

/* ---- fixtures decode to their documented values ---- */

static void test_f1_mstds_request(void **state)
{
    size_t len;
    struct tds_prelogin pl;
    uint8_t *f = parse_fixture("mstds-4.1-prelogin-request.hex", &len, &pl);

    assert_int_equal(pl.n_options, 5);
    assert_int_equal(pl.table_len, 26);
    assert_true(pl.has_version);
    assert_int_equal(pl.version.major, 9);
    assert_int_equal(pl.version.minor, 0);
    assert_int_equal(pl.version.build, 0);
    assert_int_equal(pl.encryption, TDS_ENC_ON);
    assert_int_equal(pl.instopt_len, 1);
    assert_int_equal(pl.instopt[0], 0);
    assert_int_equal(pl.threadid_len, 4);
    assert_int_equal(pl.threadid, 0xB80D0000u);
    assert_true(pl.has_mars);
    assert_int_equal(pl.mars, 1);
    assert_false(pl.has_traceid);
    assert_false(pl.has_fedauth);
    free(f);
}

static void test_f2_mssstds_request(void **state)
{
    size_t len;
    struct tds_prelogin pl;
    uint8_t *f = parse_fixture("mssstds-4.1-prelogin-request.hex", &len, &pl);

    assert_int_equal(pl.n_options, 4);
    assert_int_equal(pl.version.major, 8);
    assert_int_equal(pl.version.minor, 0);
    assert_int_equal(pl.version.build, 341);
    assert_int_equal(pl.encryption, TDS_ENC_OFF);
    assert_int_equal(pl.instopt_len, 12);
    assert_memory_equal(pl.instopt, "MSSQLServer", 12);
    assert_int_equal(pl.threadid, 0x80190000u);
    assert_false(pl.has_mars);
    free(f);
}

static void test_f3_sql2008_reply(void **state)
{
    size_t len;
    struct tds_prelogin pl;
    uint8_t *f = parse_fixture("sql2008-10.0.1600-prelogin-response.freetds605.hex", &len, &pl);

    assert_server(&pl, "10.0.1600", "SQL Server 2008");
    assert_int_equal(pl.version.subbuild, 0);
    assert_string_equal(tds_enc_name(pl.encryption), "off");
    assert_int_equal(pl.instopt_len, 1);
    assert_int_equal(pl.instopt[0], 0);
    /* THREADID length 0 and MARS share offset 0x22: zero-length options do not overlap. */
    assert_true(pl.has_threadid);
    assert_int_equal(pl.threadid_len, 0);
    assert_int_equal(pl.options[3].offset, 0x22);
    assert_int_equal(pl.options[4].offset, 0x22);
    assert_true(pl.has_mars);
    assert_int_equal(pl.mars, 0);
    free(f);
}

static void test_f4_sql2008sp2_exchange(void **state)
{
    size_t len, n1, n2;
    uint8_t *f = load_hex("sql2008sp2-10.0.4000-prelogin-exchange.tedious610.hex", &len);
    const uint8_t *req = packet_payload(f, len, 0, &n1);
    const uint8_t *rep = packet_payload(f, len, 47, &n2);
    struct tds_prelogin pl;

    assert_int_equal(len, 47 + 43 + 21);
    parse_ok(req, n1, &pl);
    assert_int_equal(pl.encryption, TDS_ENC_ON);
    assert_int_equal(pl.version.major, 0); /* tedious of 2017 sent 00 00 00 01 00 01 */
    assert_int_equal(pl.version.build, 1);
    assert_int_equal(pl.version.subbuild, 1);
    assert_int_equal(pl.threadid, 0);
    assert_int_equal(pl.mars, 0);
    parse_ok(rep, n2, &pl);
    assert_server(&pl, "10.0.4000", "SQL Server 2008");
    assert_int_equal(pl.encryption, TDS_ENC_ON);
    assert_string_equal(tds_enc_name(pl.encryption), "on");
    assert_int_equal(pl.threadid_len, 0);
    assert_int_equal(pl.mars, 0);
    free(f);
}

static void test_f5_sql2014_reply(void **state)
{
    size_t len;
    struct tds_prelogin pl;
    uint8_t *f = parse_fixture("sql2014sp3-12.0.6024-prelogin-response.freetds425.hex", &len, &pl);

    assert_int_equal(len, 37);
    assert_int_equal(pl.n_options, 4);
    assert_int_equal(pl.table_len, 21);
    assert_server(&pl, "12.0.6024", "SQL Server 2014");
    assert_int_equal(pl.encryption, TDS_ENC_OFF);
    assert_int_equal(pl.instopt[0], 0);
    assert_int_equal(pl.threadid_len, 0);
    assert_false(pl.has_mars); /* not asked for, not answered (captured replies) */
    free(f);
}

/* ---- build reproduces the fixtures byte for byte ---- */

static void assert_builds(const char *fixture, size_t built, const uint8_t *out)
{
    size_t len, n;
    uint8_t *f = load_hex(fixture, &len);
    const uint8_t *p = packet_payload(f, len, 0, &n);
    assert_int_equal(built, n);
    assert_memory_equal(out, p, n);
    free(f);
}

static void test_build_client_matches_f1(void **state)
{
    struct tds_prelogin_client c = {
        .version = { .major = 9 }, .encryption = TDS_ENC_ON, .instance = NULL,
        .threadid = 0xB80D0000u, .send_mars = true, .mars = 1,
    };
    uint8_t out[128];
    assert_builds("mstds-4.1-prelogin-request.hex",
                  tds_prelogin_build_client(&c, out, sizeof(out)), out);
}

static void test_build_client_matches_f2(void **state)
{
    struct tds_prelogin_client c = {
        .version = { .major = 8, .minor = 0, .build = 341 }, .encryption = TDS_ENC_OFF,
        .instance = "MSSQLServer", .threadid = 0x80190000u,
    };
    uint8_t out[128];
    assert_builds("mssstds-4.1-prelogin-request.hex",
                  tds_prelogin_build_client(&c, out, sizeof(out)), out);
}

static void test_build_server_matches_f3(void **state)
{
    struct tds_prelogin_server s = {
        .version = { .major = 10, .minor = 0, .build = 1600 }, .encryption = TDS_ENC_OFF,
        .instopt = 0, .send_mars = true, .mars = 0,
    };
    uint8_t out[128];
    assert_builds("sql2008-10.0.1600-prelogin-response.freetds605.hex",
                  tds_prelogin_build_server(&s, out, sizeof(out)), out);
}

static void test_build_server_matches_f5(void **state)
{
    struct tds_prelogin_server s = {
        .version = { .major = 12, .minor = 0, .build = 6024 }, .encryption = TDS_ENC_OFF,
    };
    uint8_t out[128];
    assert_builds("sql2014sp3-12.0.6024-prelogin-response.freetds425.hex",
                  tds_prelogin_build_server(&s, out, sizeof(out)), out);
}

static void test_build_client_optional_options(void **state)
{
    struct tds_prelogin_client c = {
        .version = { .major = 16, .minor = 0, .build = 1000 }, .encryption = 0x81,
        .instance = "", .threadid = 42, .send_mars = true, .mars = 0,
        .send_traceid = true, .send_fedauth = true,
    };
    for (size_t i = 0; i < sizeof(c.traceid); i++) {
        c.traceid[i] = (uint8_t)i;
    }
    uint8_t out[256];
    size_t n = tds_prelogin_build_client(&c, out, sizeof(out));
    /* 7 entries + terminator = 36; data 6+1+1+4+1+36+1 = 50. */
    assert_int_equal(n, 36 + 50);
    struct tds_prelogin pl;
    parse_ok(out, n, &pl);
    assert_int_equal(pl.options[0].token, TDS_PL_VERSION);
    assert_int_equal(pl.options[5].token, TDS_PL_TRACEID);
    assert_int_equal(pl.options[6].token, TDS_PL_FEDAUTHREQUIRED);
    assert_int_equal(pl.version.build, 1000);
    assert_int_equal(pl.encryption, 0x81);
    assert_int_equal(pl.instopt_len, 1);
    assert_int_equal(pl.threadid, 42);
    assert_true(pl.has_traceid);
    assert_memory_equal(pl.traceid, c.traceid, 36);
    assert_true(pl.has_fedauth);
    assert_int_equal(pl.fedauth, 1);
    /* One byte short of room: nothing usable is returned. */
    assert_int_equal(tds_prelogin_build_client(&c, out, n - 1), 0);
}

static void test_build_server_fedauth(void **state)
{
    struct tds_prelogin_server s = {
        .version = { .major = 16, .build = 1000 }, .encryption = TDS_ENC_REQ, .instopt = 1,
        .send_fedauth = true, .fedauth = 1,
    };
    uint8_t out[64];
    size_t n = tds_prelogin_build_server(&s, out, sizeof(out));
    struct tds_prelogin pl;
    parse_ok(out, n, &pl);
    assert_int_equal(pl.n_options, 5);
    assert_false(pl.has_mars);
    assert_int_equal(pl.encryption, TDS_ENC_REQ);
    assert_int_equal(pl.instopt[0], 1);
    assert_int_equal(pl.fedauth, 1);
    assert_int_equal(tds_prelogin_build_server(&s, out, n - 1), 0);
}

static void test_encode_roundtrip_and_limits(void **state)
{
    static const uint8_t big[40000];
    uint8_t unk[3] = { 'a', 'b', 'c' }, ver[6] = { 15, 0, 0x07, 0xD0, 0, 0 };
    struct tds_pl_item items[] = {
        { TDS_PL_VERSION, ver, 6 }, { 0x2A, unk, 3 }, { TDS_PL_THREADID, NULL, 0 },
    };
    uint8_t out[64];
    size_t n = tds_prelogin_encode(items, 3, out, sizeof(out));
    assert_int_equal(n, 16 + 9);
    struct tds_prelogin pl;
    parse_ok(out, n, &pl);
    assert_int_equal(pl.n_options, 3);
    assert_int_equal(pl.options[1].token, 0x2A); /* unknown token kept, in table order */
    assert_int_equal(pl.options[1].length, 3);
    assert_memory_equal(pl.options[1].data, "abc", 3);
    assert_int_equal(pl.version.build, 2000);
    assert_int_equal(tds_prelogin_encode(items, 3, out, n - 1), 0);
    /* Offsets are u16: a data area past 65535 cannot be described. */
    struct tds_pl_item huge[] = { { TDS_PL_VERSION, ver, 6 }, { 0x30, big, 40000 },
                                  { 0x31, big, 40000 } };
    uint8_t *wide = malloc(100000);
    assert_int_equal(tds_prelogin_encode(huge, 3, wide, 100000), 0);
    free(wide);
}

static void test_nonce_option(void **state)
{
    /* NONCEOPT (32 bytes, federated auth) is decoded into its own field. */
    uint8_t nonce[32], ver[6] = { 16, 0, 0x03, 0xE8, 0, 0 };
    for (size_t i = 0; i < sizeof(nonce); i++) {
        nonce[i] = (uint8_t)(0xA0 + i);
    }
    struct tds_pl_item items[] = { { TDS_PL_VERSION, ver, 6 }, { TDS_PL_NONCEOPT, nonce, 32 } };
    uint8_t out[64];
    size_t n = tds_prelogin_encode(items, 2, out, sizeof(out));
    assert_int_equal(n, 11 + 38);
    struct tds_prelogin pl;
    parse_ok(out, n, &pl);
    assert_true(pl.has_nonce);
    assert_memory_equal(pl.nonce, nonce, 32);
    assert_false(pl.has_encryption);
}

/* ---- malformed input: the specific code, and a detail naming the option ---- */

static void test_bad_length_fixed_options(void **state)
{
    /* The issue's own example: ENCRYPTION claims 2 bytes (F3 with its length patched). */
    expect_error("00 00 15 00 06 01 00 1b 00 02 02 00 1d 00 01 03 00 1e 00 00 ff"
                 " 0a 00 06 40 00 00 00 00 00",
                 TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 5 claims 2 bytes; ENCRYPTION is 1 byte");
    expect_error("00 00 06 00 05 ff 01 02 03 04 05", TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_VERSION,
                 "option VERSION at table offset 0 claims 5 bytes; VERSION is 6 bytes");
    expect_error("00 00 0b 00 06 03 00 11 00 03 ff 0a 00 06 40 00 00 01 02 03",
                 TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_THREADID,
                 "option THREADID at table offset 5 claims 3 bytes; THREADID is 0 or 4 bytes");
    expect_error("00 00 0b 00 06 04 00 11 00 02 ff 0a 00 06 40 00 00 01 00",
                 TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_MARS, "MARS is 1 byte");
    expect_error("00 00 0b 00 06 06 00 11 00 00 ff 0a 00 06 40 00 00",
                 TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_FEDAUTHREQUIRED, "FEDAUTHREQUIRED is 1 byte");
    expect_error("00 00 0b 00 06 05 00 11 00 01 ff 0a 00 06 40 00 00 07",
                 TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_TRACEID, "TRACEID is 36 bytes");
    expect_error("00 00 0b 00 06 07 00 11 00 01 ff 0a 00 06 40 00 00 07",
                 TDS_ERR_OPTION_BAD_LENGTH, TDS_PL_NONCEOPT, "NONCEOPT is 32 bytes");
}

static void test_version_not_first(void **state)
{
    expect_error("01 00 0b 00 01 00 00 0c 00 06 ff 00 0a 00 06 40 00 00",
                 TDS_ERR_VERSION_NOT_FIRST, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 0 comes first");
    /* A TLS record is not a PRELOGIN: its 0x16 reads as an unknown first token. */
    expect_error("16 03 01 04 68 02", TDS_ERR_VERSION_NOT_FIRST, 0x16, "option 0x16");
}

static void test_missing_version(void **state)
{
    expect_error("ff", TDS_ERR_MISSING_OPTION, TDS_PL_VERSION, "VERSION");
}

static void test_duplicate_option(void **state)
{
    expect_error("00 00 10 00 06 01 00 16 00 01 01 00 17 00 01 ff"
                 " 0a 00 06 40 00 00 00 01",
                 TDS_ERR_DUPLICATE_OPTION, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 10 repeats the one at table offset 5");
    expect_error("00 00 0b 00 06 00 00 0b 00 06 ff 0a 00 06 40 00 00",
                 TDS_ERR_DUPLICATE_OPTION, TDS_PL_VERSION, "option VERSION at table offset 5");
}

static void test_no_terminator(void **state)
{
    expect_error("00 00 05 00 00", TDS_ERR_NO_TERMINATOR, -1, "no 0xFF terminator");
    expect_error("", TDS_ERR_NO_TERMINATOR, -1, "0-byte payload");
}

static void test_truncated_entry(void **state)
{
    expect_error("00 00 0b 00 06 01 00", TDS_ERR_TRUNCATED, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 5: entry cut short");
}

static void test_out_of_range(void **state)
{
    expect_error("00 00 06 00 06 ff 0a 00 06 40 00", TDS_ERR_OPTION_OUT_OF_RANGE,
                 TDS_PL_VERSION, "option VERSION at table offset 0 claims bytes [6, 12) of a "
                                 "11-byte payload");
    /* Offset and length near 0xFFFF must not wrap around. */
    expect_error("00 00 0b 00 06 01 ff ff ff ff ff 0a 00 06 40 00 00",
                 TDS_ERR_OPTION_OUT_OF_RANGE, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 5 claims bytes [65535, 131070)");
    /* Even a zero-length option must point inside the payload. */
    expect_error("00 00 0b 00 06 03 00 12 00 00 ff 0a 00 06 40 00 00",
                 TDS_ERR_OPTION_OUT_OF_RANGE, TDS_PL_THREADID, "option THREADID");
}

static void test_overlap(void **state)
{
    /* ENCRYPTION's byte lies inside the option table. */
    expect_error("00 00 0b 00 06 01 00 03 00 01 ff 0a 00 06 40 00 00",
                 TDS_ERR_OPTION_OVERLAP, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 5 has data at offset 3, inside the 11-byte "
                 "option table");
    /* ENCRYPTION's byte is VERSION's last byte. */
    expect_error("00 00 0b 00 06 01 00 10 00 01 ff 0a 00 06 40 00 00",
                 TDS_ERR_OPTION_OVERLAP, TDS_PL_ENCRYPTION,
                 "option ENCRYPTION at table offset 5 ([16, 17)) overlaps option VERSION at "
                 "table offset 0");
    /* Two unknown options of 3 bytes each, sharing their middle byte. */
    expect_error("00 00 10 00 06 20 00 16 00 03 21 00 18 00 03 ff 0a 00 06 40 00 00 01 02 03 04 05",
                 TDS_ERR_OPTION_OVERLAP, 0x21, "option 0x21 at table offset 10");
}

static void test_zero_length_never_overlaps(void **state)
{
    /* THREADID with length 0 inside the table or at another option's offset is accepted. */
    uint8_t buf[64];
    size_t n = hex_to_bytes("00 00 10 00 06 03 00 02 00 00 04 00 16 00 01 ff"
                            " 0a 00 06 40 00 00 01", buf, sizeof(buf));
    struct tds_prelogin pl;
    struct tds_error e;
    assert_int_equal(parse_guarded(buf, n, &pl, &e), TDS_ERR_OK);
    assert_int_equal(pl.threadid_len, 0);
    assert_int_equal(pl.mars, 1);
}

static void test_too_many_options(void **state)
{
    char hex[1024];
    size_t k = 0;
    size_t table = 17 * 5 + 1;
    for (int t = 0; t < 17; t++) {
        /* VERSION then 16 unknown tokens 0x40.., all zero-length at the data start. */
        int tok = t == 0 ? 0 : 0x40 + t;
        int len = t == 0 ? 6 : 0;
        k += (size_t)snprintf(hex + k, sizeof(hex) - k, "%02x %02x %02x 00 %02x ", tok,
                              (unsigned)(table >> 8), (unsigned)(table & 0xff), len);
    }
    snprintf(hex + k, sizeof(hex) - k, "ff 0a 00 06 40 00 00");
    expect_error(hex, TDS_ERR_TOO_MANY_OPTIONS, 0x50,
                 "option 0x50 at table offset 80 is past the 16 options kept");
}

static void test_unknown_tokens_kept(void **state)
{
    uint8_t buf[64];
    size_t n = hex_to_bytes("00 00 10 00 06 2a 00 16 00 02 fe 00 18 00 00 ff"
                            " 0f 00 07 d0 00 00 be ef", buf, sizeof(buf));
    struct tds_prelogin pl;
    struct tds_error e;
    assert_int_equal(parse_guarded(buf, n, &pl, &e), TDS_ERR_OK);
    assert_int_equal(pl.n_options, 3);
    assert_int_equal(pl.options[1].token, 0x2A);
    assert_int_equal(pl.options[1].offset, 0x16);
    assert_int_equal(pl.options[1].length, 2);
    assert_int_equal(pl.options[2].token, 0xFE);
    assert_false(pl.has_encryption);
    assert_int_equal(pl.version.major, 15);
    assert_int_equal(pl.version.build, 2000);
}

static void test_token_names(void **state)
{
    static const struct {
        uint8_t token;
        const char *name;
    } names[] = {
        { 0x00, "VERSION" },    { 0x01, "ENCRYPTION" }, { 0x02, "INSTOPT" },
        { 0x03, "THREADID" },   { 0x04, "MARS" },       { 0x05, "TRACEID" },
        { 0x06, "FEDAUTHREQUIRED" }, { 0x07, "NONCEOPT" }, { 0xFF, "TERMINATOR" },
        { 0x2A, "0x2A" },       { 0x08, "0x08" },       { 0xFE, "0xFE" },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_string_equal(tds_pl_token_name(names[i].token), names[i].name);
    }
}

/* ---- every prefix of every fixture payload is rejected, on a guard page ---- */

static void sweep_prefixes(const uint8_t *p, size_t n)
{
    struct tds_prelogin pl;
    struct tds_error e;

    for (size_t k = 0; k < n; k++) {
        int rc = parse_guarded(p, k, &pl, &e);
        if (rc == TDS_ERR_OK) {
            fail_msg("prefix of %zu/%zu bytes parsed", k, n);
        }
        assert_int_equal(e.code, rc);
        assert_true(e.detail[0] != '\0');
    }
}

static void test_every_prefix_rejected(void **state)
{
    for (size_t i = 0; i < tds_n_fixtures; i++) {
        size_t len, at = 0;
        uint8_t *f = load_hex(tds_fixtures[i], &len);
        /* Each complete packet's payload; a partial last packet contributes what it has. */
        while (at < len) {
            struct tds_header h;
            struct tds_error e;
            tds_error_clear(&e);
            assert_int_equal(tds_header_decode(f + at, len - at, &h, &e), TDS_ERR_OK);
            size_t have = len - at < h.length ? len - at : h.length;
            sweep_prefixes(f + at + TDS_HEADER_LEN, have - TDS_HEADER_LEN);
            at += have;
        }
        free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f1_mstds_request),
        cmocka_unit_test(test_f2_mssstds_request),
        cmocka_unit_test(test_f3_sql2008_reply),
        cmocka_unit_test(test_f4_sql2008sp2_exchange),
        cmocka_unit_test(test_f5_sql2014_reply),
        cmocka_unit_test(test_build_client_matches_f1),
        cmocka_unit_test(test_build_client_matches_f2),
        cmocka_unit_test(test_build_server_matches_f3),
        cmocka_unit_test(test_build_server_matches_f5),
        cmocka_unit_test(test_build_client_optional_options),
        cmocka_unit_test(test_build_server_fedauth),
        cmocka_unit_test(test_encode_roundtrip_and_limits),
        cmocka_unit_test(test_nonce_option),
        cmocka_unit_test(test_bad_length_fixed_options),
        cmocka_unit_test(test_version_not_first),
        cmocka_unit_test(test_missing_version),
        cmocka_unit_test(test_duplicate_option),
        cmocka_unit_test(test_no_terminator),
        cmocka_unit_test(test_truncated_entry),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_zero_length_never_overlaps),
        cmocka_unit_test(test_too_many_options),
        cmocka_unit_test(test_unknown_tokens_kept),
        cmocka_unit_test(test_token_names),
        cmocka_unit_test(test_every_prefix_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
