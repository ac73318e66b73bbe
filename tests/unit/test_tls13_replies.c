/* tests/unit/test_tls13_replies.c: the TLS 1.3 client's own ClientHello, and hand-made server
 * replies for what RFC 8448's trace does not show: a HelloRetryRequest (RFC 8446 4.1.4) and every
 * refusal of malformed or out-of-order input. Each case says which rule it pins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls/tls13_client.h"
#include "tls/tls13_int.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"
#include "tls/tls_version.h"

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

struct hello_view {
    uint16_t record_version;
    uint8_t sid[32];
    size_t n_shares;
    uint16_t share_group[4];
    size_t share_len[4];
    const uint8_t *cookie;
    size_t cookie_len;
    bool has_alpn;
    bool has_sni;
    size_t msg_len;      /* the handshake message, i.e. the record's body */
    bool padding_last;   /* an RFC 7685 padding extension, the last one, all zero bytes */
    size_t padding_len;
};

/* Walks one ClientHello record from the client's output (RFC 8446 4.1.2). */
static size_t view_hello(const uint8_t *p, size_t n, struct hello_view *v)
{
    struct tds_rd r = tds_rd_make(p, n), body = { 0 }, exts = { 0 };
    uint16_t rec_len = 0, suites_len = 0, ext_len = 0;
    uint8_t type = 0, sid_len = 0, comp_len = 0;
    uint32_t hs_len = 0;

    memset(v, 0, sizeof(*v));
    assert_true(tds_rd_u8(&r, &type) && type == 22);
    assert_true(tds_rd_u16be(&r, &v->record_version) && tds_rd_u16be(&r, &rec_len));
    assert_true(tds_rd_u8(&r, &type) && type == 1 && tds_rd_u24be(&r, &hs_len));
    assert_int_equal(hs_len + 4, rec_len);
    v->msg_len = rec_len;
    assert_true(tds_rd_sub(&r, hs_len, &body));
    assert_true(tds_rd_skip(&body, 2 + 32) && tds_rd_u8(&body, &sid_len) && sid_len == 32);
    memcpy(v->sid, body.buf + body.pos, 32);
    assert_true(tds_rd_skip(&body, 32) && tds_rd_u16be(&body, &suites_len) &&
                tds_rd_skip(&body, suites_len) && tds_rd_u8(&body, &comp_len) &&
                tds_rd_skip(&body, comp_len) && tds_rd_u16be(&body, &ext_len) &&
                tds_rd_sub(&body, ext_len, &exts) && tds_rd_left(&body) == 0);
    while (tds_rd_left(&exts) > 0) {
        uint16_t et = 0, el = 0, list = 0;
        struct tds_rd e = { 0 };

        assert_true(tds_rd_u16be(&exts, &et) && tds_rd_u16be(&exts, &el) &&
                    tds_rd_sub(&exts, el, &e));
        v->has_alpn |= et == 16;
        v->has_sni |= et == 0;
        v->padding_last = false; /* set again below when the padding is this extension */
        if (et == 21) {
            v->padding_last = true;
            v->padding_len = el;
            for (size_t i = 0; i < el; i++) {
                assert_int_equal(e.buf[e.pos + i], 0);
            }
        }
        if (et == 51) {
            assert_true(tds_rd_u16be(&e, &list) && list == tds_rd_left(&e));
            while (tds_rd_left(&e) > 0 && v->n_shares < 4) {
                uint16_t g = 0, kl = 0;

                assert_true(tds_rd_u16be(&e, &g) && tds_rd_u16be(&e, &kl) && tds_rd_skip(&e, kl));
                v->share_group[v->n_shares] = g;
                v->share_len[v->n_shares++] = kl;
            }
        } else if (et == 44) {
            uint16_t cl = 0;

            assert_true(tds_rd_u16be(&e, &cl) && cl == tds_rd_left(&e));
            v->cookie = e.buf + e.pos;
            v->cookie_len = cl;
        }
    }
    return 5 + rec_len;
}

/* A ServerHello (or HRR) record: random, the echoed session id, suite, then extensions as given
 * (already encoded). */
static size_t server_hello(uint8_t *out, size_t cap, const uint8_t *random, const uint8_t *sid,
                           uint16_t suite, const uint8_t *ext, size_t ext_len)
{
    struct tds_wr w = tds_wr_make(out, cap);

    tds_wr_u8(&w, 22);
    tds_wr_u16be(&w, 0x0303);
    tds_wr_u16be(&w, (uint16_t)(4 + 2 + 32 + 1 + 32 + 2 + 1 + 2 + ext_len));
    tds_wr_u8(&w, 2);
    tds_wr_u8(&w, 0);
    tds_wr_u16be(&w, (uint16_t)(2 + 32 + 1 + 32 + 2 + 1 + 2 + ext_len));
    tds_wr_u16be(&w, 0x0303);
    tds_wr_bytes(&w, random, 32);
    tds_wr_u8(&w, 32);
    tds_wr_bytes(&w, sid, 32);
    tds_wr_u16be(&w, suite);
    tds_wr_u8(&w, 0);
    tds_wr_u16be(&w, (uint16_t)ext_len);
    tds_wr_bytes(&w, ext, ext_len);
    assert_false(w.overflow);
    return w.len;
}

static struct tls13_client *started_sni(bool x25519_only, const char *sni,
                                       struct hello_view *v)
{
    struct tls13_client *c;
    struct tls13_client_opts o = { .sni = sni, .alpn = "tds/8.0", .x25519_only = x25519_only };
    char err[100];
    size_t n;
    const uint8_t *out;

    assert_int_equal(tls13_client_new(&c, &o, err, sizeof(err)), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_WANT_INPUT);
    out = tls13_client_out(c, &n);
    assert_int_equal(view_hello(out, n, v), n);
    tls13_client_out_ack(c, n);
    return c;
}

static struct tls13_client *started(bool x25519_only, struct hello_view *v)
{
    return started_sni(x25519_only, "db1.tdsprobe.test", v);
}

/* The first ClientHello is at least TLS13_CLIENT_HELLO_MIN bytes, the shortest real strict
 * client's, so a pre-2022 server reading its record header as a TDS header sees the length real
 * clients give it (257): padded (RFC 7685, last, zeros) when shorter, never when longer. */
static void test_client_hello_length(void **state)
{
    static const char long_name[] = "a-host-name-long-enough-to-need-no-padding-at-all.with-"
                                    "several-labels.in-a-deep-domain.tdsprobe.test";
    struct hello_view v;
    struct tls13_client *c;
    (void)state;

    assert_int_equal(TLS13_CLIENT_HELLO_MIN, 306);
    for (int one = 0; one < 2; one++) {
        for (int i = 0; i < 2; i++) { /* no server_name (an IP address), then a host name */
            c = started_sni(one, i == 0 ? "10.0.0.5" : "db1.tdsprobe.test", &v);
            assert_int_equal(v.msg_len, TLS13_CLIENT_HELLO_MIN);
            assert_true(v.padding_last);
            assert_int_equal(v.n_shares, one ? 1 : 2);
            tls13_client_free(c);
        }
    }
    c = started_sni(false, long_name, &v);
    assert_true(v.msg_len > TLS13_CLIENT_HELLO_MIN);
    assert_false(v.padding_last);
    assert_int_equal(v.padding_len, 0);
    tls13_client_free(c);
}

/* The first ClientHello: record version 0x0301, x25519 then secp256r1 shares, SNI, ALPN. */
static void test_client_hello(void **state)
{
    struct hello_view v;
    struct tls13_client *c = started(false, &v);
    (void)state;

    assert_int_equal(v.record_version, 0x0301);
    assert_int_equal(v.n_shares, 2);
    assert_int_equal(v.share_group[0], 0x001D);
    assert_int_equal(v.share_len[0], 32);
    assert_int_equal(v.share_group[1], 0x0017);
    assert_int_equal(v.share_len[1], 65);
    assert_true(v.has_alpn && v.has_sni);
    assert_null(v.cookie);
    assert_int_equal(tls13_client_info(c)->stage, TLS_STAGE_CLIENT_HELLO_SENT);
    tls13_client_free(c);
}

static const uint8_t hrr_p256_cookie[] = {
    0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,             /* supported_versions: TLS 1.3 */
    0x00, 0x33, 0x00, 0x02, 0x00, 0x17,             /* key_share: secp256r1 */
    0x00, 0x2c, 0x00, 0x05, 0x00, 0x03, 'c', 'k', 'y', /* cookie "cky" */
};

/* RFC 8446 4.1.4: one retry with the requested group alone, the cookie echoed, record version
 * 0x0303, the same session id; a second HRR is refused. */
static void test_hello_retry(void **state)
{
    struct hello_view v, v2;
    struct tls13_client *c = started(true, &v);
    uint8_t rec[256];
    size_t n = server_hello(rec, sizeof(rec), hrr_random, v.sid, 0x1302, hrr_p256_cookie,
                            sizeof(hrr_p256_cookie));
    const uint8_t *out;
    size_t out_len;
    (void)state;

    assert_int_equal(v.n_shares, 1);
    assert_int_equal(tls13_client_feed(c, rec, n), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_WANT_INPUT);
    assert_true(tls13_client_facts(c)->hello_retry);
    assert_int_equal(tls13_client_facts(c)->hello_retry_group, 0x0017);
    out = tls13_client_out(c, &out_len);
    assert_int_equal(view_hello(out, out_len, &v2), out_len);
    assert_int_equal(v2.record_version, 0x0303);
    assert_int_equal(v2.n_shares, 1);
    assert_int_equal(v2.share_group[0], 0x0017);
    assert_int_equal(v2.share_len[0], 65);
    assert_int_equal(v2.cookie_len, 3);
    assert_memory_equal(v2.cookie, "cky", 3);
    assert_memory_equal(v2.sid, v.sid, 32);
    assert_int_equal(v2.padding_len, 0); /* only the first ClientHello is padded */
    /* a second HelloRetryRequest ends it */
    assert_int_equal(tls13_client_feed(c, rec, n), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(c)->error_text, "second HelloRetryRequest"));
    tls13_client_free(c);
}

/* Feeds one record to a fresh client and expects FAILED with `why` in the error text. */
static void refused(const uint8_t *rec, size_t n, const char *why)
{
    struct hello_view v;
    struct tls13_client *c = started(false, &v);

    assert_int_equal(tls13_client_feed(c, rec, n), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(c)->error_text, why));
    tls13_client_free(c);
}

static void test_hello_retry_refusals(void **state)
{
    static const uint8_t x25519_again[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
                                            0x00, 0x33, 0x00, 0x02, 0x00, 0x1d };
    static const uint8_t ffdhe[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
                                     0x00, 0x33, 0x00, 0x02, 0x01, 0x00 };
    uint8_t sid[32] = { 0 }, rec[256];
    struct hello_view v;
    struct tls13_client *c = started(false, &v);
    size_t n;
    (void)state;

    /* a group that already had a share, or one never offered (RFC 8446 4.1.4) */
    n = server_hello(rec, sizeof(rec), hrr_random, v.sid, 0x1301, x25519_again,
                     sizeof(x25519_again));
    assert_int_equal(tls13_client_feed(c, rec, n), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(c)->error_text, "already had a key share"));
    tls13_client_free(c);
    c = started(false, &v);
    n = server_hello(rec, sizeof(rec), hrr_random, v.sid, 0x1301, ffdhe, sizeof(ffdhe));
    assert_int_equal(tls13_client_feed(c, rec, n), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    tls13_client_free(c);
    /* a session id that is not ours (RFC 8446 4.1.3) */
    n = server_hello(rec, sizeof(rec), hrr_random, sid, 0x1301, hrr_p256_cookie,
                     sizeof(hrr_p256_cookie));
    refused(rec, n, "legacy session id");
}

/* A TLS 1.2 ServerHello: refused, with the version it chose kept for the report. */
static void test_server_picks_tls12(void **state)
{
    static const uint8_t random[32] = { 7 };
    uint8_t rec[256];
    struct hello_view v;
    struct tls13_client *c = started(false, &v);
    size_t n = server_hello(rec, sizeof(rec), random, v.sid, 0xC02F, NULL, 0);
    (void)state;

    assert_int_equal(tls13_client_feed(c, rec, n), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    assert_true(tls13_client_info(c)->local_reject);
    assert_non_null(strstr(tls13_client_info(c)->error_text, "did not select TLS 1.3"));
    tls13_client_free(c);
}

static void test_alert(void **state)
{
    static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, 70 };
    struct hello_view v;
    struct tls13_client *c = started(false, &v);
    const struct tls_info *info = tls13_client_info(c);
    (void)state;

    assert_int_equal(tls13_client_feed(c, alert, sizeof(alert)), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    assert_true(info->alert_received);
    assert_int_equal(info->alert_level, 2);
    assert_int_equal(info->alert_description, 70);
    assert_string_equal(info->error_text, "the server sent a protocol_version alert");
    assert_false(info->local_reject);
    tls13_client_free(c);
}

static void test_peer_closed(void **state)
{
    static const uint8_t partial[] = { 22, 3, 3, 0, 90, 2 };
    struct hello_view v;
    struct tls13_client *c = started(false, &v);
    (void)state;

    assert_int_equal(tls13_client_feed(c, partial, sizeof(partial)), 0);
    assert_int_equal(tls13_client_step(c), TLS_STEP_WANT_INPUT);
    tls13_client_peer_closed(c, false);
    assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
    assert_true(tls13_client_info(c)->peer_closed);
    tls13_client_free(c);
}

/* Malformed or misplaced records and messages before the keys (each a refusal, never a read past
 * the input: the suite runs under ASan). */
static void test_malformed(void **state)
{
    static const uint8_t tds[] = { 0x04, 0x01, 0x00, 0x2B, 0x00, 0x00, 0x01, 0x00 };
    static const uint8_t ccs_bad[] = { 20, 3, 3, 0, 1, 2 };
    static const uint8_t appdata_first[] = { 23, 3, 3, 0, 1, 0 };
    static const uint8_t huge_record[] = { 22, 3, 3, 0x48, 0x01 };
    static const uint8_t not_sh[] = { 22, 3, 3, 0, 4, 11, 0, 0, 0 };
    static const uint8_t short_sh[] = { 22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3 };
    static const uint8_t empty_hs[] = { 22, 3, 3, 0, 0 };
    static const uint8_t two_byte_alert[] = { 21, 3, 3, 0, 3, 2, 40, 0 };
    static const uint8_t huge_msg[] = { 22, 3, 3, 0, 4, 2, 0x01, 0x00, 0x01 };
    (void)state;

    refused(tds, sizeof(tds), "not TLS");
    refused(ccs_bad, sizeof(ccs_bad), "change_cipher_spec");
    refused(appdata_first, sizeof(appdata_first), "application data before");
    refused(huge_record, sizeof(huge_record), "version or length");
    refused(not_sh, sizeof(not_sh), "first handshake message is not a ServerHello");
    refused(short_sh, sizeof(short_sh), "cut short");
    refused(empty_hs, sizeof(empty_hs), "empty or over-long");
    refused(two_byte_alert, sizeof(two_byte_alert), "not one alert");
    refused(huge_msg, sizeof(huge_msg), "longer than 64 KiB");
}

/* ServerHello extension errors (RFC 8446 4.1.3, 4.2). */
static void test_server_hello_extensions(void **state)
{
    static const uint8_t dup_versions[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
                                            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04 };
    static const uint8_t bad_share[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
                                         0x00, 0x33, 0x00, 0x03, 0x00, 0x1d, 0x00 };
    static const uint8_t p384_share[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33,
                                          0x00, 0x06, 0x00, 0x18, 0x00, 0x02, 0x04, 0x00 };
    static const uint8_t small_order[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33,
                                           0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t random[32] = { 9 };
    uint8_t rec[256];
    struct hello_view v;
    struct tls13_client *c;
    size_t n;
    (void)state;

    struct {
        const uint8_t *ext;
        size_t len;
        uint16_t suite;
        const char *why;
    } cases[] = {
        { dup_versions, sizeof(dup_versions), 0x1301, "repeats an extension" },
        { bad_share, sizeof(bad_share), 0x1301, "key_share is malformed" },
        { p384_share, sizeof(p384_share), 0x1301, "no share for" },
        { small_order, sizeof(small_order), 0x1301, "not a valid point" },
        { small_order, sizeof(small_order), 0x1304, "suite that was not offered" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = started(false, &v);
        n = server_hello(rec, sizeof(rec), random, v.sid, cases[i].suite, cases[i].ext,
                         cases[i].len);
        assert_int_equal(tls13_client_feed(c, rec, n), 0);
        assert_int_equal(tls13_client_step(c), TLS_STEP_FAILED);
        assert_non_null(strstr(tls13_client_info(c)->error_text, cases[i].why));
        tls13_client_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hello),
        cmocka_unit_test(test_client_hello_length),
        cmocka_unit_test(test_hello_retry),
        cmocka_unit_test(test_hello_retry_refusals),
        cmocka_unit_test(test_server_picks_tls12),
        cmocka_unit_test(test_alert),
        cmocka_unit_test(test_peer_closed),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_server_hello_extensions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
