/* tests/unit/test_tls13_client.c: the TLS 1.3 client against RFC 8448 section 3, "Simple 1-RTT
 * Handshake" (the bytes in tests/data/rfc8448/), plus hand-made server replies for the paths the
 * trace does not take (HelloRetryRequest, refusals, malformed input).
 *
 * The trace's client sent its own ClientHello (not the one tls13_client builds), so the client is
 * made with the trace's ClientHello message and x25519 private key (tls13__client_new_traced);
 * from the ServerHello on, everything is the client's own work: every secret of the key schedule,
 * the decryption of the server flight, the CertificateVerify signature, the server Finished and
 * the client Finished record are compared with the RFC's values. */
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
#include "test_tds_util.h"

/* RFC 8448 section 3: {client} create an ephemeral x25519 key pair. */
static const char client_priv_hex[] = "49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca a7 91 1d e2 "
                                      "6a dc 56 42 cb 63 45 40 e7 ea 50 05";
static const char client_pub_hex[] = "99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 "
                                     "c1 3c ae 4d 54 13 69 1e 52 9a af 2c";
/* RFC 8448 section 3: the secrets, each "secret" or "expanded" in the trace. */
static const char early_hex[] = "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa "
                                "1f 26 60 e1 b2 2e 10 f1 70 f9 2a";
static const char handshake_hex[] = "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 "
                                    "9f 69 1e d2 21 a9 f0 ca 04 3f be ac";
static const char c_hs_hex[] = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 "
                               "2e 96 00 74 6a 0e 27 a5 5a 21";
static const char s_hs_hex[] = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 "
                               "10 5d 42 be fd 59 d3 91 ad 38";
static const char master_hex[] = "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c "
                                 "62 79 84 d5 a4 1d a8 d0 40 29 19";
static const char c_ap_hex[] = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df "
                               "00 87 f7 92 eb b7 c1 75 04 a5";
static const char s_ap_hex[] = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb "
                               "6b 3a 4b 4f 1f 3f cb 63 16 43";
static const char s_key_hex[] = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc";
static const char s_iv_hex[] = "5d 31 3e b2 67 12 76 ee 13 00 0b 30";
static const char c_key_hex[] = "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01";
static const char c_iv_hex[] = "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f";
/* {server} calculate finished "tls13 finished": the server's finished_key and verify_data. */
static const char s_finished_key_hex[] = "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 "
                                         "bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8";
static const char s_finished_hex[] = "9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c 30 "
                                     "95 72 cb 7f ff ee 54 54 b7 8f 07 18";

struct trace {
    uint8_t *ch, *sh, *flight, *cfin;
    size_t ch_len, sh_len, flight_len, cfin_len;
    uint8_t priv[32];
};

static void load(struct trace *t)
{
    t->ch = load_hex("rfc8448/client_hello.hex", &t->ch_len);
    t->sh = load_hex("rfc8448/server_hello_record.hex", &t->sh_len);
    t->flight = load_hex("rfc8448/server_flight_record.hex", &t->flight_len);
    t->cfin = load_hex("rfc8448/client_finished_record.hex", &t->cfin_len);
    assert_int_equal(hex_to_bytes(client_priv_hex, t->priv, 32), 32);
}

static void unload(struct trace *t)
{
    free(t->ch);
    free(t->sh);
    free(t->flight);
    free(t->cfin);
}

static void assert_hex(const uint8_t *got, const char *hex)
{
    uint8_t want[64];
    size_t n = hex_to_bytes(hex, want, sizeof(want));

    assert_memory_equal(got, want, n);
}

static struct tls13_client *traced(const struct trace *t)
{
    struct tls13_client *c;

    assert_int_equal(tls13__client_new_traced(&c, t->ch, t->ch_len, t->priv), 0);
    return c;
}

static enum tls_step feed(struct tls13_client *c, const uint8_t *p, size_t n)
{
    assert_int_equal(tls13_client_feed(c, p, n), 0);
    return tls13_client_step(c);
}

/* The RFC's server handshake traffic protection (TLS_AES_128_GCM_SHA256). */
static void server_hs_aead(struct tls13__aead *a)
{
    uint8_t secret[32];

    hex_to_bytes(s_hs_hex, secret, 32);
    assert_int_equal(tls13__aead_init(a, tls13__suite(0x1301), secret), 0);
}

/* A traced client that took the RFC's ServerHello and waits for the encrypted flight. */
static struct tls13_client *past_server_hello(const struct trace *t)
{
    struct tls13_client *c = traced(t);

    assert_int_equal(feed(c, t->sh, t->sh_len), TLS_STEP_WANT_INPUT);
    return c;
}

/* The ServerHello alone: the key share and every handshake secret. */
static void test_rfc8448_handshake_secrets(void **state)
{
    struct trace t;
    struct tls13_client *c;
    const struct tls13__secrets *s;
    struct tls13__aead a;
    (void)state;

    load(&t);
    c = traced(&t);
    assert_hex(tls13__client_kex(c, 0)->pub, client_pub_hex);
    assert_int_equal(feed(c, t.sh, t.sh_len), TLS_STEP_WANT_INPUT);
    s = tls13__client_secrets(c);
    assert_hex(s->early, early_hex);
    assert_hex(s->handshake, handshake_hex);
    assert_hex(s->client_hs, c_hs_hex);
    assert_hex(s->server_hs, s_hs_hex);
    assert_int_equal(tls13_client_info(c)->cipher_id, 0x1301);
    assert_string_equal(tls13_client_info(c)->cipher, "TLS_AES_128_GCM_SHA256");
    assert_int_equal(tls13_client_info(c)->version, TLS_V13);
    assert_string_equal(tls13_client_info(c)->group, "x25519");
    assert_int_equal(tls13__aead_init(&a, tls13__suite(0x1301), s->server_hs), 0);
    assert_hex(a.key, s_key_hex);
    assert_hex(a.iv, s_iv_hex);
    assert_int_equal(tls13__aead_init(&a, tls13__suite(0x1301), s->client_hs), 0);
    assert_hex(a.key, c_key_hex);
    assert_hex(a.iv, c_iv_hex);
    tls13_client_free(c);
    unload(&t);
}

static void assert_finished_flight(struct tls13_client *c, const struct trace *t)
{
    const struct tls_info *info = tls13_client_info(c);
    const struct tls13_facts *f = tls13_client_facts(c);
    const struct tls13__secrets *s = tls13__client_secrets(c);
    size_t out_len;
    const uint8_t *out = tls13_client_out(c, &out_len);
    uint8_t key[32];

    assert_true(f->cert_verify_ok);
    assert_true(f->finished_ok);
    assert_int_equal(f->sig_scheme, 0x0804);
    assert_string_equal(info->sig_scheme, "rsa_pss_rsae_sha256");
    assert_int_equal(info->chain_len, 1);
    assert_string_equal(info->chain[0].subject_cn, "rsa");
    assert_int_equal(info->chain[0].key_bits, 1024);
    assert_int_equal(info->stage, TLS_STAGE_DONE);
    assert_hex(s->master, master_hex);
    assert_hex(s->client_ap, c_ap_hex);
    assert_hex(s->server_ap, s_ap_hex);
    assert_int_equal(tls13__expand_label(tls13__suite(0x1301), s->server_hs, "finished", NULL, 0,
                                         key, 32), 0);
    assert_hex(key, s_finished_key_hex);
    /* the client Finished record is byte for byte the trace's; a close_notify record follows */
    assert_int_equal(out_len, t->cfin_len + 5 + 2 + 1 + 16);
    assert_memory_equal(out, t->cfin, t->cfin_len);
    assert_int_equal(out[t->cfin_len], 23);
    assert_int_equal(out[t->cfin_len + 4], 19);
}

static void test_rfc8448_flight(void **state)
{
    struct trace t;
    struct tls13_client *c;
    (void)state;

    load(&t);
    c = past_server_hello(&t);
    assert_int_equal(feed(c, t.flight, t.flight_len), TLS_STEP_DONE);
    assert_finished_flight(c, &t);
    assert_string_equal(tls13_client_info(c)->alpn, "");
    tls13_client_free(c);
    unload(&t);
}

/* The same bytes one at a time: every record and message boundary falls mid-feed. */
static void test_rfc8448_byte_at_a_time(void **state)
{
    struct trace t;
    struct tls13_client *c;
    enum tls_step st = TLS_STEP_WANT_INPUT;
    (void)state;

    load(&t);
    c = traced(&t);
    for (size_t i = 0; i < t.sh_len; i++) {
        assert_int_equal(feed(c, t.sh + i, 1), TLS_STEP_WANT_INPUT);
    }
    for (size_t i = 0; i < t.flight_len; i++) {
        st = feed(c, t.flight + i, 1);
        assert_int_equal(st, i + 1 < t.flight_len ? TLS_STEP_WANT_INPUT : TLS_STEP_DONE);
    }
    assert_finished_flight(c, &t);
    tls13_client_free(c);
    unload(&t);
}

/* The decrypted flight (EE, Certificate, CertificateVerify, Finished: 657 bytes in the RFC). */
static size_t open_flight(const struct trace *t, uint8_t *plain)
{
    struct tls13__aead a;
    uint8_t type;
    size_t len;

    server_hs_aead(&a);
    assert_int_equal(tls13__aead_open(&a, t->flight, t->flight + 5, t->flight_len - 5, plain,
                                      &type, &len), 0);
    assert_int_equal(type, 22);
    assert_int_equal(len, 657);
    assert_hex(plain + 657 - 32, s_finished_hex); /* the Finished verify_data */
    return len;
}

/* Re-seals plain under the RFC's server handshake key in records of `chunk` bytes. */
static size_t reseal(const uint8_t *plain, size_t len, size_t chunk, uint8_t *out, size_t cap)
{
    struct tls13__aead a;
    struct tds_wr w = tds_wr_make(out, cap);

    server_hs_aead(&a);
    for (size_t at = 0; at < len; at += chunk) {
        size_t n = len - at < chunk ? len - at : chunk;

        assert_int_equal(tls13__aead_seal(&a, 22, plain + at, n, &w), 0);
    }
    return w.len;
}

/* The server Finished computed from the transcript (RFC 8446 4.4.4) is the trace's. */
static void test_rfc8448_server_finished(void **state)
{
    struct trace t;
    uint8_t tr[1024], plain[700], th[32], fin[32], secret[32];
    size_t n;
    const struct tls13__suite *s = tls13__suite(0x1301);
    (void)state;

    load(&t);
    n = open_flight(&t, plain);
    memcpy(tr, t.ch, t.ch_len);
    memcpy(tr + t.ch_len, t.sh + 5, t.sh_len - 5);
    memcpy(tr + t.ch_len + t.sh_len - 5, plain, n - 36);
    assert_int_equal(tls13__hash(s, tr, t.ch_len + t.sh_len - 5 + n - 36, th), 0);
    hex_to_bytes(s_hs_hex, secret, 32);
    assert_int_equal(tls13__finished(s, secret, th, fin), 0);
    assert_hex(fin, s_finished_hex);
    unload(&t);
}

/* RFC 8446 5.1: handshake messages may be split over records; here 7 bytes per record. */
static void test_rfc8448_flight_in_small_records(void **state)
{
    struct trace t;
    struct tls13_client *c;
    uint8_t plain[700], sealed[700 / 7 * 30 + 64];
    size_t n;
    (void)state;

    load(&t);
    n = reseal(plain, open_flight(&t, plain), 7, sealed, sizeof(sealed));
    c = past_server_hello(&t);
    assert_int_equal(feed(c, sealed, n), TLS_STEP_DONE);
    assert_finished_flight(c, &t);
    tls13_client_free(c);
    unload(&t);
}

/* Changes byte `at` of the decrypted flight, re-seals it, and expects a refusal naming `why`. */
static void tampered(size_t at, const char *why)
{
    struct trace t;
    struct tls13_client *c;
    uint8_t plain[700], sealed[800];
    size_t len, n;

    load(&t);
    len = open_flight(&t, plain);
    plain[at] ^= 0x01;
    n = reseal(plain, len, len, sealed, sizeof(sealed));
    c = past_server_hello(&t);
    assert_int_equal(feed(c, sealed, n), TLS_STEP_FAILED);
    assert_true(tls13_client_info(c)->local_reject);
    assert_non_null(strstr(tls13_client_info(c)->error_text, why));
    assert_false(tls13_client_facts(c)->finished_ok);
    tls13_client_free(c);
    unload(&t);
}

static void test_rfc8448_tampered(void **state)
{
    (void)state;
    tampered(656, "Finished does not verify");          /* the last verify_data byte */
    tampered(657 - 36 - 10, "signature does not verify"); /* inside the RSA-PSS signature */
    tampered(657 - 36 - 132, "scheme the client did not offer"); /* 0x0804 -> 0x0904 */
}

static void test_rfc8448_bad_record_mac(void **state)
{
    struct trace t;
    struct tls13_client *c;
    (void)state;

    load(&t);
    t.flight[100] ^= 0x80;
    c = past_server_hello(&t);
    assert_int_equal(feed(c, t.flight, t.flight_len), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(c)->error_text, "bad_record_mac"));
    tls13_client_free(c);
    unload(&t);
}

/* Seals plain (one record) after the RFC's ServerHello and expects FAILED with `why`. */
static const struct tls_info *after_server_hello(struct tls13_client **c, const uint8_t *plain,
                                                 size_t len, uint8_t inner_type, const char *why)
{
    struct trace t;
    struct tls13__aead a;
    uint8_t sealed[1200];
    struct tds_wr w = tds_wr_make(sealed, sizeof(sealed));

    load(&t);
    server_hs_aead(&a);
    assert_int_equal(tls13__aead_seal(&a, inner_type, plain, len, &w), 0);
    *c = past_server_hello(&t);
    assert_int_equal(feed(*c, sealed, w.len), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(*c)->error_text, why));
    unload(&t);
    return tls13_client_info(*c);
}

static void flight_refused(const uint8_t *plain, size_t len, const char *why)
{
    struct tls13_client *c;

    after_server_hello(&c, plain, len, 22, why);
    tls13_client_free(c);
}

/* What the encrypted flight may not hold (RFC 8446 4.3.1, 4.4.2-4.4.4, 5.2, 6). */
static void test_flight_malformed(void **state)
{
    static const uint8_t ee_bad_len[] = { 8, 0, 0, 2, 0, 5 };
    static const uint8_t ee_bad_alpn[] = { 8, 0, 0, 9, 0, 7, 0, 16, 0, 3, 0, 1, 0 };
    static const uint8_t cert_first[] = { 11, 0, 0, 4, 0, 0, 0, 0 };
    static const uint8_t ee_then_empty_cert[] = { 8, 0, 0, 2, 0, 0, 11, 0, 0, 4, 0, 0, 0, 0 };
    static const uint8_t ee_then_bad_entry[] = { 8, 0, 0, 2, 0, 0, 11, 0, 0, 8, 0, 0, 0, 4,
                                                 0, 0, 9, 1 };
    static const uint8_t ee_garbage_leaf_cv[] = { 8, 0, 0, 2, 0, 0,
                                                  11, 0, 0, 11, 0, 0, 0, 7, 0, 0, 2, 0x30, 0,
                                                  0, 0,
                                                  15, 0, 0, 6, 8, 4, 0, 2, 1, 2 };
    static const uint8_t ee_cert_bad_cv[] = { 8, 0, 0, 2, 0, 0,
                                              11, 0, 0, 11, 0, 0, 0, 7, 0, 0, 2, 0x30, 0,
                                              0, 0,
                                              15, 0, 0, 3, 8, 4, 0 };
    static const uint8_t finished_first[] = { 20, 0, 0, 32 };
    (void)state;

    flight_refused(ee_bad_len, sizeof(ee_bad_len), "EncryptedExtensions message is malformed");
    flight_refused(ee_bad_alpn, sizeof(ee_bad_alpn), "ALPN is malformed");
    flight_refused(cert_first, sizeof(cert_first), "out of order");
    flight_refused(ee_then_empty_cert, sizeof(ee_then_empty_cert), "empty Certificate");
    flight_refused(ee_then_bad_entry, sizeof(ee_then_bad_entry), "CertificateEntry is malformed");
    flight_refused(ee_garbage_leaf_cv, sizeof(ee_garbage_leaf_cv), "cannot be parsed");
    flight_refused(ee_cert_bad_cv, sizeof(ee_cert_bad_cv), "CertificateVerify message is malformed");
    flight_refused(finished_first, 0, "not a handshake message");
}

/* An alert inside a protected record, application data before the Finished, and the ALPN of an
 * EncryptedExtensions kept even when what follows fails. */
static void test_flight_alert_and_types(void **state)
{
    static const uint8_t alert[] = { 2, 42 };
    static const uint8_t app[] = { 'x' };
    static const uint8_t ee_alpn_then_cert[] = { 8, 0, 0, 16, 0, 14, 0, 16, 0, 10, 0, 8, 7, 't',
                                                 'd', 's', '/', '8', '.', '0',
                                                 11, 0, 0, 4, 0, 0, 0, 0 };
    struct tls13_client *c;
    const struct tls_info *info;
    (void)state;

    info = after_server_hello(&c, alert, sizeof(alert), 21, "bad_certificate");
    assert_true(info->alert_received);
    assert_int_equal(info->alert_description, 42);
    tls13_client_free(c);
    info = after_server_hello(&c, app, sizeof(app), 23, "not a handshake message");
    tls13_client_free(c);
    info = after_server_hello(&c, ee_alpn_then_cert, sizeof(ee_alpn_then_cert), 22,
                              "empty Certificate");
    assert_string_equal(info->alpn, "tds/8.0");
    tls13_client_free(c);
}

/* RFC 8446 5.1: nothing may follow the ServerHello in its plaintext record, and no plaintext
 * handshake record may come after it. */
static void test_plaintext_after_server_hello(void **state)
{
    struct trace t;
    struct tls13_client *c;
    uint8_t rec[200];
    static const uint8_t plain_ee[] = { 22, 3, 3, 0, 6, 8, 0, 0, 2, 0, 0 };
    (void)state;

    load(&t);
    memcpy(rec, t.sh, t.sh_len);
    rec[4] = (uint8_t)(rec[4] + 6);
    memcpy(rec + t.sh_len, plain_ee + 5, 6);
    c = traced(&t);
    assert_int_equal(feed(c, rec, t.sh_len + 6), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(c)->error_text, "follows the ServerHello"));
    tls13_client_free(c);
    c = past_server_hello(&t);
    assert_int_equal(feed(c, plain_ee, sizeof(plain_ee)), TLS_STEP_FAILED);
    assert_non_null(strstr(tls13_client_info(c)->error_text, "plaintext handshake record"));
    tls13_client_free(c);
    unload(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8448_handshake_secrets),
        cmocka_unit_test(test_rfc8448_flight),
        cmocka_unit_test(test_rfc8448_server_finished),
        cmocka_unit_test(test_rfc8448_byte_at_a_time),
        cmocka_unit_test(test_rfc8448_flight_in_small_records),
        cmocka_unit_test(test_rfc8448_tampered),
        cmocka_unit_test(test_rfc8448_bad_record_mac),
        cmocka_unit_test(test_flight_malformed),
        cmocka_unit_test(test_flight_alert_and_types),
        cmocka_unit_test(test_plaintext_after_server_hello),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
