/* tests/unit/test_tls13_probe.c: the hand-built TLS 1.3 ClientHello and the ServerHello reader.
 *
 * Server replies are built here field by field (tds_wr), so each case says what it holds; every
 * reply is also parsed at every prefix from a copy that ends at a PROT_NONE page (guarded_copy in
 * test_tds_util.c), so a read past the end crashes instead of passing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "tds/tds_cursor.h"
#include "test_tds_util.h"
#include "test_tls_server.h"
#include "tls/tls13_probe.h"
#include "tls/tls_version.h"

static const uint8_t hrr_magic[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* Parses every proper prefix (each must be NEED_MORE and leave r cleared) and then the whole. */
static int parse_all_prefixes(const uint8_t *p, size_t n, struct tls13_probe_result *r)
{
    struct tls13_probe_result zero;
    uint8_t *g;
    int rc;

    memset(&zero, 0, sizeof(zero));
    for (size_t k = 0; k < n; k++) {
        g = guarded_copy(p, k);
        rc = tls13_probe_parse(g, k, r);
        guarded_free(g, k);
        if (rc != TLS13_NEED_MORE) {
            fail_msg("prefix %zu of %zu: %d (%s)", k, n, rc, r->detail);
        }
        assert_memory_equal(&zero, r, sizeof(*r));
    }
    g = guarded_copy(p, n);
    rc = tls13_probe_parse(g, n, r);
    guarded_free(g, n);
    return rc;
}

/* ---- building server replies ---- */

static size_t open16(struct tds_wr *w)
{
    size_t at = w->len;

    tds_wr_u16be(w, 0);
    return at;
}

static void close16(struct tds_wr *w, size_t at)
{
    size_t n = w->len - at - 2;

    w->buf[at] = (uint8_t)(n >> 8);
    w->buf[at + 1] = (uint8_t)n;
}

struct hello {
    uint16_t version;
    const uint8_t *random; /* NULL: 32 x 0x11 */
    uint16_t suite;
    int supported_version; /* -1: no extension */
    int key_share;         /* -1: none; else the group (with a 32-byte key unless hrr) */
    bool hrr;
    const char *alpn;
    bool no_extensions;    /* a TLS 1.0-style ServerHello that ends after compression */
};

static void hello_exts(struct tds_wr *w, const struct hello *h)
{
    size_t all = open16(w), e;
    uint8_t key[32];

    memset(key, 0x42, sizeof(key));
    tds_wr_u16be(w, 0xFF01); /* renegotiation_info, as a TLS 1.2 server sends it */
    tds_wr_u16be(w, 1);
    tds_wr_u8(w, 0);
    if (h->supported_version >= 0) {
        tds_wr_u16be(w, 43);
        tds_wr_u16be(w, 2);
        tds_wr_u16be(w, (uint16_t)h->supported_version);
    }
    if (h->key_share >= 0) {
        tds_wr_u16be(w, 51);
        e = open16(w);
        tds_wr_u16be(w, (uint16_t)h->key_share);
        if (!h->hrr) {
            tds_wr_u16be(w, sizeof(key));
            tds_wr_bytes(w, key, sizeof(key));
        }
        close16(w, e);
    }
    if (h->alpn != NULL) {
        tds_wr_u16be(w, 16);
        e = open16(w);
        tds_wr_u16be(w, (uint16_t)(strlen(h->alpn) + 1));
        tds_wr_u8(w, (uint8_t)strlen(h->alpn));
        tds_wr_bytes(w, h->alpn, strlen(h->alpn));
        close16(w, e);
    }
    close16(w, all);
}

/* The ServerHello handshake message (type, 24-bit length, body). */
static size_t hello_msg(uint8_t *out, size_t cap, const struct hello *h)
{
    struct tds_wr w = tds_wr_make(out, cap);
    uint8_t random[32], sid[32];

    memset(random, 0x11, sizeof(random));
    memset(sid, 0x22, sizeof(sid));
    tds_wr_u8(&w, 2);
    tds_wr_u8(&w, 0); /* 24-bit length, patched below */
    tds_wr_u16be(&w, 0);
    tds_wr_u16be(&w, h->version);
    tds_wr_bytes(&w, h->hrr ? hrr_magic : h->random ? h->random : random, 32);
    tds_wr_u8(&w, sizeof(sid));
    tds_wr_bytes(&w, sid, sizeof(sid));
    tds_wr_u16be(&w, h->suite);
    tds_wr_u8(&w, 0);
    if (!h->no_extensions) {
        hello_exts(&w, h);
    }
    assert_false(w.overflow);
    out[2] = (uint8_t)((w.len - 4) >> 8);
    out[3] = (uint8_t)(w.len - 4);
    return w.len;
}

/* Wraps bytes into records of at most frag bytes each. */
static size_t records(uint8_t *out, size_t cap, uint8_t type, const uint8_t *p, size_t n,
                      size_t frag)
{
    struct tds_wr w = tds_wr_make(out, cap);

    for (size_t off = 0; off < n || (n == 0 && off == 0); off += frag) {
        size_t k = n - off < frag ? n - off : frag;

        tds_wr_u8(&w, type);
        tds_wr_u16be(&w, 0x0303);
        tds_wr_u16be(&w, (uint16_t)k);
        tds_wr_bytes(&w, p + off, k);
        if (n == 0) {
            break;
        }
    }
    assert_false(w.overflow);
    return w.len;
}

static size_t server_hello(uint8_t *out, size_t cap, const struct hello *h)
{
    uint8_t msg[512];
    size_t n = hello_msg(msg, sizeof(msg), h);

    return records(out, cap, 22, msg, n, 16384);
}

static const struct hello tls13 = { .version = 0x0303, .suite = 0x1301,
                                    .supported_version = 0x0304, .key_share = 0x001D };

/* Reads the ServerHello record built from h, and every prefix of it: the whole is an answer. */
static void answer_of(const struct hello *h, struct tls13_probe_result *r)
{
    uint8_t buf[1024];
    size_t n = server_hello(buf, sizeof(buf), h);

    assert_int_equal(TLS13_DONE, parse_all_prefixes(buf, n, r));
}

/* ---- the replies ---- */

static void test_accepted(void **state)
{
    struct tls13_probe_result r;

    (void)state;
    answer_of(&tls13, &r);
    assert_true(r.accepted);
    assert_false(r.hello_retry);
    assert_int_equal(TLS_V13, r.version);
    assert_int_equal(0x1301, r.cipher_id);
    assert_string_equal("TLS_AES_128_GCM_SHA256", r.cipher);
    assert_int_equal(0x001D, r.group);
    assert_string_equal("x25519", r.group_name);
    assert_false(r.alert_received);
    assert_false(r.alpn_visible);
    assert_string_equal("", r.alpn);
    assert_non_null(strstr(r.detail, "accepts TLS 1.3"));
}

/* What a TLS 1.3 server really sends: ServerHello, then a middlebox-compatibility CCS and the
 * encrypted rest. Only the ServerHello is read; the rest may be cut anywhere. */
static void test_accepted_with_encrypted_flight(void **state)
{
    uint8_t buf[2048], junk[300];
    size_t n = server_hello(buf, sizeof(buf), &tls13);
    static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
    struct tls13_probe_result r;

    (void)state;
    memcpy(buf + n, ccs, sizeof(ccs));
    n += sizeof(ccs);
    memset(junk, 0xA5, sizeof(junk));
    n += records(buf + n, sizeof(buf) - n, 23, junk, sizeof(junk), 16384);
    for (size_t cut = n - 200; cut <= n; cut++) {
        assert_int_equal(TLS13_DONE, tls13_probe_parse(buf, cut, &r));
        assert_true(r.accepted);
    }
}

static void test_hello_retry_request(void **state)
{
    struct hello h = tls13;
    struct tls13_probe_result r;

    (void)state;
    h.hrr = true;
    h.suite = 0x1302;
    h.key_share = 0x0017;
    answer_of(&h, &r);
    assert_true(r.accepted);
    assert_true(r.hello_retry);
    assert_int_equal(TLS_V13, r.version);
    assert_string_equal("TLS_AES_256_GCM_SHA384", r.cipher);
    assert_int_equal(0x0017, r.group);
    assert_string_equal("secp256r1", r.group_name);
    assert_non_null(strstr(r.detail, "HelloRetryRequest"));
}

static void test_rejected_tls12(void **state)
{
    struct hello h = { .version = 0x0303, .suite = 0xC02F, .supported_version = -1,
                       .key_share = -1, .alpn = "tds/8.0" };
    struct tls13_probe_result r;

    (void)state;
    answer_of(&h, &r);
    assert_false(r.accepted);
    assert_false(r.hello_retry);
    assert_int_equal(TLS_V12, r.version);
    assert_string_equal("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", r.cipher);
    assert_true(r.alpn_visible); /* a TLS 1.2 ServerHello shows it in the clear */
    assert_string_equal("tds/8.0", r.alpn);
    assert_non_null(strstr(r.detail, "TLSv1.2"));
    assert_false(r.alert_received);
}

static void test_rejected_tls10_no_extensions(void **state)
{
    struct hello h = { .version = 0x0301, .suite = 0x002F, .no_extensions = true };
    struct tls13_probe_result r;

    (void)state;
    answer_of(&h, &r);
    assert_false(r.accepted);
    assert_int_equal(TLS_V10, r.version);
    assert_false(r.alpn_visible);
}

/* supported_versions may only select what was offered: report what the server did. */
static void test_supported_versions_selects_tls12(void **state)
{
    struct hello h = tls13;
    struct tls13_probe_result r;

    (void)state;
    h.supported_version = 0x0303;
    answer_of(&h, &r);
    assert_false(r.accepted);
    assert_int_equal(TLS_V12, r.version);
    assert_non_null(strstr(r.detail, "supported_versions"));
}

static void test_accepted_unoffered_suite(void **state)
{
    struct hello h = tls13;
    struct tls13_probe_result r;

    (void)state;
    h.suite = 0x1304;
    answer_of(&h, &r);
    assert_true(r.accepted);
    assert_string_equal("TLS_AES_128_CCM_SHA256", r.cipher);
    assert_non_null(strstr(r.detail, "not offered"));
}

static void test_alert_protocol_version(void **state)
{
    static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46 };
    struct tls13_probe_result r;

    (void)state;
    assert_int_equal(TLS13_DONE, parse_all_prefixes(alert, sizeof(alert), &r));
    assert_false(r.accepted);
    assert_true(r.alert_received);
    assert_int_equal(2, r.alert_level);
    assert_int_equal(70, r.alert_description);
    assert_string_equal("protocol_version", r.alert_name);
    assert_int_equal(0, r.version);
    assert_int_equal(0, r.cipher_id);
    assert_non_null(strstr(r.detail, "protocol_version"));
}

static void test_alert_handshake_failure(void **state)
{
    static const uint8_t alert[] = { 0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28 };
    struct tls13_probe_result r;

    (void)state;
    assert_int_equal(TLS13_DONE, parse_all_prefixes(alert, sizeof(alert), &r));
    assert_string_equal("handshake_failure", r.alert_name);
    assert_non_null(strstr(r.detail, "without TLS 1.3"));
}

/* A warning (unrecognized_name) before the ServerHello is skipped, not taken for a refusal. */
static void test_warning_then_accepted(void **state)
{
    static const uint8_t warning[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70 };
    uint8_t buf[1024];
    size_t n;
    struct tls13_probe_result r;

    (void)state;
    memcpy(buf, warning, sizeof(warning));
    n = sizeof(warning) + server_hello(buf + sizeof(warning), sizeof(buf) - sizeof(warning),
                                       &tls13);
    assert_int_equal(TLS13_DONE, parse_all_prefixes(buf, n, &r));
    assert_true(r.accepted);
    assert_false(r.alert_received);
}

/* The ServerHello split over many records (RFC 8446 5.1 allows any fragmentation). */
static void test_fragmented_hello(void **state)
{
    uint8_t msg[512], buf[4096];
    size_t m = hello_msg(msg, sizeof(msg), &tls13);

    (void)state;
    for (size_t frag = 1; frag <= 9; frag++) {
        size_t n = records(buf, sizeof(buf), 22, msg, m, frag);
        struct tls13_probe_result r;

        assert_int_equal(TLS13_DONE, tls13_probe_parse(buf, n, &r));
        assert_true(r.accepted);
        assert_int_equal(0x1301, r.cipher_id);
    }
    /* and every prefix of the 3-byte fragmentation */
    {
        size_t n = records(buf, sizeof(buf), 22, msg, m, 3);
        struct tls13_probe_result r;

        assert_int_equal(TLS13_DONE, parse_all_prefixes(buf, n, &r));
    }
}

/* ---- what is not an answer ---- */

struct bad {
    const char *what;
    const uint8_t *p;
    size_t n;
    const char *detail; /* expected in r.detail */
};

static void expect_error(const struct bad *b)
{
    struct tls13_probe_result r;
    uint8_t *g = guarded_copy(b->p, b->n);
    int rc = tls13_probe_parse(g, b->n, &r);

    guarded_free(g, b->n);
    if (rc != TLS13_ERROR) {
        fail_msg("%s: %d, want ERROR", b->what, rc);
    }
    assert_false(r.accepted);
    if (strstr(r.detail, b->detail) == NULL) {
        fail_msg("%s: detail \"%s\" lacks \"%s\"", b->what, r.detail, b->detail);
    }
    /* an ERROR carries its sentence and nothing else */
    assert_false(r.hello_retry);
    assert_int_equal(0, r.cipher_id);
    assert_int_equal(0, r.version);
    assert_int_equal(0, r.group);
}

static void test_garbage(void **state)
{
    static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n";
    static const uint8_t tds[] = { 0x04, 0x01, 0x00, 0x25, 0x00, 0x00, 0x01, 0x00 };
    static const uint8_t sslv2[] = { 0x16, 0x02, 0x00, 0x00, 0x10 };
    static const uint8_t huge[] = { 0x16, 0x03, 0x03, 0x48, 0x01 };
    static const uint8_t ccs_first[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
    static const uint8_t appdata_first[] = { 0x17, 0x03, 0x03, 0x00, 0x01, 0x00 };
    static const uint8_t cert_first[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x0B, 0x00, 0x00, 0x00 };
    static const uint8_t short_alert[] = { 0x15, 0x03, 0x03, 0x00, 0x01, 0x02 };
    static const uint8_t long_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x10, 0x00 };
    static const uint8_t one_byte[] = { 0x00 };
    const struct bad bads[] = {
        { "HTTP", http, sizeof(http) - 1, "first byte 0x48" },
        { "HTTP, first byte only", http, 1, "not TLS" },
        { "TDS reply", tds, sizeof(tds), "TDS packet" },
        { "TDS, first byte only", tds, 1, "PRELOGIN" },
        { "record version 2.0", sslv2, sizeof(sslv2), "record version" },
        { "record too long", huge, sizeof(huge), "longer than 18 KiB" },
        { "CCS first", ccs_first, sizeof(ccs_first), "type 20" },
        { "application data first", appdata_first, sizeof(appdata_first), "type 23" },
        { "Certificate first", cert_first, sizeof(cert_first), "type 11" },
        { "alert of one byte", short_alert, sizeof(short_alert), "shorter" },
        { "ServerHello of 4 KiB", long_hello, sizeof(long_hello), "4 KiB" },
        { "zero byte", one_byte, 1, "first byte 0x00" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        expect_error(&bads[i]);
    }
}

/* Malformed ServerHellos: each built valid, then broken in one field. */
static void test_malformed_hello(void **state)
{
    uint8_t msg[512], buf[1024];
    size_t m, n;
    struct hello h = tls13;
    struct bad b;

    (void)state;
    /* session id length 33 */
    m = hello_msg(msg, sizeof(msg), &tls13);
    msg[4 + 2 + 32] = 33;
    n = records(buf, sizeof(buf), 22, msg, m, 16384);
    b = (struct bad){ "sid 33", buf, n, "malformed" };
    expect_error(&b);
    /* extensions block one byte longer than the message */
    m = hello_msg(msg, sizeof(msg), &tls13);
    msg[4 + 2 + 32 + 1 + 32 + 3 + 1] += 1;
    n = records(buf, sizeof(buf), 22, msg, m, 16384);
    b = (struct bad){ "extensions overrun", buf, n, "extensions" };
    expect_error(&b);
    /* a HelloRetryRequest that does not select TLS 1.3 */
    h.hrr = true;
    h.supported_version = -1;
    h.key_share = 0x0017;
    m = hello_msg(msg, sizeof(msg), &h);
    n = records(buf, sizeof(buf), 22, msg, m, 16384);
    b = (struct bad){ "HRR without supported_versions", buf, n, "HelloRetryRequest" };
    expect_error(&b);
    /* found by fuzz_tls13_probe: a HelloRetryRequest whose key_share is one byte short of its
     * length field; hello_retry was left set on the ERROR result */
    h = tls13;
    h.hrr = true;
    h.key_share = 0x0017;
    m = hello_msg(msg, sizeof(msg), &h);
    msg[m - 3] = 3; /* key_share extension length 3, but 2 bytes follow */
    n = records(buf, sizeof(buf), 22, msg, m, 16384);
    b = (struct bad){ "HRR key_share overrun", buf, n, "extensions" };
    expect_error(&b);
    /* a ServerHello whose version is not 3.x */
    h = tls13;
    h.version = 0x0203;
    m = hello_msg(msg, sizeof(msg), &h);
    n = records(buf, sizeof(buf), 22, msg, m, 16384);
    b = (struct bad){ "version 2.3", buf, n, "not TLS" };
    expect_error(&b);
    /* cut: the message claims more than it holds, and the record ends there */
    m = hello_msg(msg, sizeof(msg), &tls13);
    msg[3] = (uint8_t)(msg[3] - 10);
    n = records(buf, sizeof(buf), 22, msg, m - 10, 16384);
    b = (struct bad){ "truncated body", buf, n, "extensions" };
    expect_error(&b);
}

static void test_empty_input(void **state)
{
    struct tls13_probe_result r;

    (void)state;
    assert_int_equal(TLS13_NEED_MORE, tls13_probe_parse(NULL, 0, &r));
    assert_false(r.accepted);
}

/* ---- the ClientHello ---- */

struct parsed_hello {
    uint8_t random[32];
    uint8_t sid[32];
    uint16_t suites[8];
    size_t n_suites;
    const uint8_t *ext[64]; /* body of each extension type we look at, NULL if absent */
    uint16_t ext_len[64];
    size_t n_ext;
};

/* Checks every length in the record and collects the fields. */
static void parse_client_hello(const uint8_t *p, size_t n, struct parsed_hello *h)
{
    /* zeroed: cmocka's asserts do not tell the compiler that a failure does not return */
    struct tds_rd r = tds_rd_make(p, n), hs = r, body = r, list = r, exts = r;
    uint8_t type = 0, sid_len = 0, ncomp = 0, comp = 0;
    uint16_t rec_ver = 0, rec_len = 0, legacy = 0, suites_len = 0, exts_len = 0;
    uint32_t hs_len = 0;
    const uint8_t *b = p;

    memset(h, 0, sizeof(*h));
    assert_true(tds_rd_u8(&r, &type) && type == 22);
    assert_true(tds_rd_u16be(&r, &rec_ver) && rec_ver == 0x0301);
    assert_true(tds_rd_u16be(&r, &rec_len) && rec_len == n - 5);
    assert_true(tds_rd_sub(&r, rec_len, &hs));
    assert_true(tds_rd_u8(&hs, &type) && type == 1);
    assert_true(tds_rd_u24be(&hs, &hs_len) && hs_len == (uint32_t)rec_len - 4);
    assert_true(tds_rd_sub(&hs, hs_len, &body));
    assert_true(tds_rd_u16be(&body, &legacy) && legacy == 0x0303);
    assert_true(tds_rd_bytes(&body, 32, &b));
    memcpy(h->random, b, 32);
    assert_true(tds_rd_u8(&body, &sid_len) && sid_len == 32);
    assert_true(tds_rd_bytes(&body, 32, &b));
    memcpy(h->sid, b, 32);
    assert_true(tds_rd_u16be(&body, &suites_len) && tds_rd_sub(&body, suites_len, &list));
    while (tds_rd_left(&list) > 0 && h->n_suites < 8) {
        assert_true(tds_rd_u16be(&list, &h->suites[h->n_suites++]));
    }
    assert_true(tds_rd_u8(&body, &ncomp) && ncomp == 1 && tds_rd_u8(&body, &comp) && comp == 0);
    assert_true(tds_rd_u16be(&body, &exts_len) && tds_rd_sub(&body, exts_len, &exts));
    assert_int_equal(0, tds_rd_left(&body));
    while (tds_rd_left(&exts) > 0) {
        uint16_t et = 0, el = 0;
        const uint8_t *eb = NULL;

        assert_true(tds_rd_u16be(&exts, &et) && tds_rd_u16be(&exts, &el));
        assert_true(tds_rd_bytes(&exts, el, &eb));
        assert_true(et < 64);
        assert_null(h->ext[et]); /* no duplicates */
        h->ext[et] = eb;
        h->ext_len[et] = el;
        h->n_ext++;
    }
}

static void fixed_keys(uint8_t random[32], uint8_t pub[32])
{
    for (int i = 0; i < 32; i++) {
        random[i] = (uint8_t)i;
        pub[i] = (uint8_t)(0x80 + i);
    }
}

static void test_client_hello_fields(void **state)
{
    static const uint8_t groups[] = { 0x00, 0x06, 0x00, 0x1D, 0x00, 0x17, 0x00, 0x18 };
    static const uint8_t sigalgs[] = { 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x08, 0x05, 0x08,
                                       0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x05, 0x03 };
    static const uint8_t versions[] = { 0x02, 0x03, 0x04 };
    static const uint8_t psk_modes[] = { 0x01, 0x01 };
    static const uint8_t sni[] = { 0x00, 0x0F, 0x00, 0x00, 0x0C, 'd', 'b', '1', '.', 'c', 'o',
                                   'n', 't', 'o', 's', 'o', '!' };
    static const uint8_t alpn[] = { 0x00, 0x08, 0x07, 't', 'd', 's', '/', '8', '.', '0' };
    uint8_t random[32], pub[32], out[TLS13_CLIENT_HELLO_MAX], sid[32];
    struct parsed_hello h;
    size_t n;

    (void)state;
    fixed_keys(random, pub);
    n = tls13_probe_client_hello(out, sizeof(out), "db1.contoso!", "tds/8.0", random, pub);
    assert_true(n > 0);
    parse_client_hello(out, n, &h);
    assert_memory_equal(random, h.random, 32);
    assert_int_equal(0, mbedtls_sha256_ret(random, 32, sid, 0));
    assert_memory_equal(sid, h.sid, 32);
    assert_int_equal(3, h.n_suites);
    assert_int_equal(0x1301, h.suites[0]);
    assert_int_equal(0x1302, h.suites[1]);
    assert_int_equal(0x1303, h.suites[2]);
    assert_int_equal(7, h.n_ext);
    assert_int_equal(sizeof(sni), h.ext_len[0]);
    assert_memory_equal(sni, h.ext[0], sizeof(sni));
    assert_int_equal(sizeof(groups), h.ext_len[10]);
    assert_memory_equal(groups, h.ext[10], sizeof(groups));
    assert_int_equal(sizeof(sigalgs), h.ext_len[13]);
    assert_memory_equal(sigalgs, h.ext[13], sizeof(sigalgs));
    assert_int_equal(sizeof(versions), h.ext_len[43]); /* TLS 1.3 and nothing else */
    assert_memory_equal(versions, h.ext[43], sizeof(versions));
    assert_int_equal(sizeof(psk_modes), h.ext_len[45]);
    assert_memory_equal(psk_modes, h.ext[45], sizeof(psk_modes));
    assert_int_equal(sizeof(alpn), h.ext_len[16]);
    assert_memory_equal(alpn, h.ext[16], sizeof(alpn));
    assert_int_equal(2 + 4 + 32, h.ext_len[51]);
    assert_memory_equal("\x00\x24\x00\x1D\x00\x20", h.ext[51], 6);
    assert_memory_equal(pub, h.ext[51] + 6, 32);
}

static void test_client_hello_optional_extensions(void **state)
{
    const char *no_sni[] = { NULL, "", "10.0.0.5", "::1", "[fe80::1%eth0]" };
    uint8_t random[32], pub[32], out[TLS13_CLIENT_HELLO_MAX];
    struct parsed_hello h;
    size_t n;

    (void)state;
    fixed_keys(random, pub);
    for (size_t i = 0; i < sizeof(no_sni) / sizeof(no_sni[0]); i++) {
        n = tls13_probe_client_hello(out, sizeof(out), no_sni[i], NULL, random, pub);
        assert_true(n > 0);
        parse_client_hello(out, n, &h);
        assert_null(h.ext[0]);  /* RFC 6066 3: no IP literals as SNI */
        assert_null(h.ext[16]); /* no ALPN */
        assert_int_equal(5, h.n_ext);
    }
    n = tls13_probe_client_hello(out, sizeof(out), "x", "", random, pub);
    parse_client_hello(out, n, &h);
    assert_null(h.ext[16]);
}

static void test_client_hello_limits(void **state)
{
    uint8_t random[32], pub[32], out[TLS13_CLIENT_HELLO_MAX], small[TLS13_CLIENT_HELLO_MAX];
    char name[300];
    size_t n;

    (void)state;
    fixed_keys(random, pub);
    memset(name, 'a', sizeof(name));
    name[255] = '\0';
    n = tls13_probe_client_hello(out, sizeof(out), name, name, random, pub);
    assert_true(n > 0 && n <= TLS13_CLIENT_HELLO_MAX); /* the largest one fits the constant */
    /* every smaller buffer: 0, and nothing written past cap */
    for (size_t cap = 0; cap < n; cap++) {
        memset(small, 0xEE, sizeof(small));
        assert_int_equal(0, tls13_probe_client_hello(small, cap, name, name, random, pub));
        for (size_t i = cap; i < sizeof(small); i++) {
            assert_int_equal(0xEE, small[i]);
        }
    }
    name[255] = 'a';
    name[256] = '\0';
    assert_int_equal(0, tls13_probe_client_hello(out, sizeof(out), name, NULL, random, pub));
    assert_int_equal(0, tls13_probe_client_hello(out, sizeof(out), NULL, name, random, pub));
}

/* The key is a real X25519 point (mbedTLS checks it as a peer key), and fresh every time. */
static void test_keys(void **state)
{
    uint8_t r1[32], p1[32], r2[32], p2[32];
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;

    (void)state;
    assert_int_equal(0, tls13_probe_keys(r1, p1));
    assert_int_equal(0, tls13_probe_keys(r2, p2));
    assert_memory_not_equal(r1, r2, 32);
    assert_memory_not_equal(p1, p2, 32);
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    assert_int_equal(0, mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519));
    assert_int_equal(0, mbedtls_ecp_point_read_binary(&grp, &q, p1, 32));
    assert_int_equal(0, mbedtls_ecp_check_pubkey(&grp, &q));
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
}

/* A real TLS stack reads the ClientHello: mbedTLS 2.28 (a TLS 1.2-only server) takes the SNI
 * from it, finds no suite it knows and refuses; the reader turns that into a rejection. */
static void test_against_tls12_only_server(void **state)
{
    struct srv_opts so = { .cert = KIT("good.pem"), .key = KIT("good.key") };
    uint8_t random[32], pub[32], hello[TLS13_CLIENT_HELLO_MAX], reply[4096];
    char sni[256];
    size_t n, got;
    struct tls13_probe_result r;

    (void)state;
    assert_int_equal(0, tls13_probe_keys(random, pub));
    n = tls13_probe_client_hello(hello, sizeof(hello), "db1.tdsprobe.test", "tds/8.0", random,
                                 pub);
    got = srv_reply(&so, hello, n, reply, sizeof(reply), sni);
    assert_string_equal("db1.tdsprobe.test", sni);
    assert_true(got > 0);
    assert_int_equal(TLS13_DONE, parse_all_prefixes(reply, got, &r));
    assert_false(r.accepted);
    assert_true(r.alert_received);
    assert_string_equal("handshake_failure", r.alert_name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_accepted_with_encrypted_flight),
        cmocka_unit_test(test_hello_retry_request),
        cmocka_unit_test(test_rejected_tls12),
        cmocka_unit_test(test_rejected_tls10_no_extensions),
        cmocka_unit_test(test_supported_versions_selects_tls12),
        cmocka_unit_test(test_accepted_unoffered_suite),
        cmocka_unit_test(test_alert_protocol_version),
        cmocka_unit_test(test_alert_handshake_failure),
        cmocka_unit_test(test_warning_then_accepted),
        cmocka_unit_test(test_fragmented_hello),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_malformed_hello),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_client_hello_fields),
        cmocka_unit_test(test_client_hello_optional_extensions),
        cmocka_unit_test(test_client_hello_limits),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_against_tls12_only_server),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
