/* tests/unit/test_tds_version.c: VERSION decoding, product names, ENCRYPTION names, and the
 * negotiation tables of MS-TDS 2.2.6.5 (VERSION as captured servers send it; what the server answers and what
 * the client does), every cell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_prelogin.h"

static void test_version_decode_encode(void **state)
{
    /* captured replies: 15.0.2000 -> 0F 00 07 D0 00 00; 16.0.1000; 14.0.3015. */
    const struct {
        uint8_t b[6];
        const char *text;
    } cases[] = {
        { { 0x0F, 0x00, 0x07, 0xD0, 0x00, 0x00 }, "15.0.2000" },
        { { 0x10, 0x00, 0x03, 0xE8, 0x00, 0x00 }, "16.0.1000" },
        { { 0x0E, 0x00, 0x0B, 0xC7, 0x00, 0x00 }, "14.0.3015" },
        { { 0x0A, 0x32, 0x06, 0x40, 0x00, 0x00 }, "10.50.1600" },
        { { 0x08, 0x00, 0x01, 0x55, 0x00, 0x00 }, "8.0.341" },
        { { 0xFF, 0xFF, 0xFF, 0xFF, 0x12, 0x34 }, "255.255.65535" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tds_version v;
        char buf[32];
        uint8_t out[6];
        tds_version_decode(cases[i].b, &v);
        assert_int_equal(tds_version_format(&v, buf, sizeof(buf)), strlen(cases[i].text));
        assert_string_equal(buf, cases[i].text);
        tds_version_encode(&v, out);
        assert_memory_equal(out, cases[i].b, 6);
    }
    struct tds_version v;
    tds_version_decode((const uint8_t[6]){ 0x0F, 0, 0x07, 0xD0, 0x12, 0x34 }, &v);
    assert_int_equal(v.subbuild, 0x1234); /* kept as sent, not shown */
    char small[4];
    assert_int_equal(tds_version_format(&v, small, sizeof(small)), 9); /* snprintf semantics */
    assert_string_equal(small, "15.");
}

static void test_product_names(void **state)
{
    const struct {
        uint8_t major, minor;
        const char *name;
    } cases[] = {
        { 8, 0, "SQL Server 2000" },     { 9, 0, "SQL Server 2005" },
        { 10, 0, "SQL Server 2008" },    { 10, 50, "SQL Server 2008 R2" },
        { 11, 0, "SQL Server 2012" },    { 12, 0, "SQL Server 2014" },
        { 13, 0, "SQL Server 2016" },    { 14, 0, "SQL Server 2017" },
        { 15, 0, "SQL Server 2019" },    { 16, 0, "SQL Server 2022" },
        { 17, 0, "SQL Server 2025" },    { 18, 0, "SQL Server, unknown version 18.0" },
        { 7, 0, "SQL Server, unknown version 7.0" },
        { 0, 0, "SQL Server, unknown version 0.0" },
        { 255, 3, "SQL Server, unknown version 255.3" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tds_version v = { .major = cases[i].major, .minor = cases[i].minor };
        char buf[64];
        assert_ptr_equal(tds_product_name(&v, buf, sizeof(buf)), buf);
        assert_string_equal(buf, cases[i].name);
    }
    struct tds_version v = { .major = 16 };
    char tiny[8];
    tds_product_name(&v, tiny, sizeof(tiny));
    assert_string_equal(tiny, "SQL Ser");
}

static void test_enc_names(void **state)
{
    /* the low bits name the value; 0x80 (client certificate) does not change it */
    static const struct {
        uint8_t enc;
        const char *name;
    } names[] = {
        { 0x00, "off" },     { 0x01, "on" },      { 0x02, "not_supported" }, { 0x03, "required" },
        { 0x80, "off" },     { 0x81, "on" },      { 0x82, "not_supported" }, { 0x83, "required" },
        { 0x04, "unknown" }, { 0x08, "unknown" }, { 0x40, "unknown" },       { 0xFF, "unknown" },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_string_equal(tds_enc_name(names[i].enc), names[i].name);
    }
    assert_false(tds_enc_has_client_cert(0x01));
    assert_true(tds_enc_has_client_cert(0x81));
    assert_true(tds_enc_has_client_cert(0x80));
}

/* MS-TDS 2.2.6.5's server table, row by row: client byte, then the answer for server OFF, FORCED, NOT_SUP. */
struct answer_row {
    uint8_t client;
    struct tds_enc_answer a[3];
};

static const struct answer_row answer_rows[] = {
    { 0x00, { { 0x00, false }, { 0x03, false }, { 0x02, false } } },
    { 0x01, { { 0x01, false }, { 0x01, false }, { 0x02, true } } },
    { 0x02, { { 0x02, false }, { 0x03, true }, { 0x02, false } } },
    { 0x03, { { 0x01, false }, { 0x01, false }, { 0x02, true } } },
    { 0x80, { { 0x00, false }, { 0x03, false }, { 0x02, true } } },
    { 0x81, { { 0x01, false }, { 0x01, false }, { 0x02, true } } },
    { 0x82, { { 0x03, true }, { 0x03, true }, { 0x03, true } } },
    { 0x83, { { 0x01, false }, { 0x01, false }, { 0x02, true } } },
    /* outside the table: read as the low two bits */
    { 0x04, { { 0x00, false }, { 0x03, false }, { 0x02, false } } },
    { 0x41, { { 0x01, false }, { 0x01, false }, { 0x02, true } } },
    { 0xC2, { { 0x02, false }, { 0x03, true }, { 0x02, false } } },
};

static void test_server_answer_every_cell(void **state)
{
    const enum tds_srv_enc settings[3] = { TDS_SRV_ENC_OFF, TDS_SRV_ENC_FORCED,
                                           TDS_SRV_ENC_NOT_SUP };
    for (size_t i = 0; i < sizeof(answer_rows) / sizeof(answer_rows[0]); i++) {
        for (int s = 0; s < 3; s++) {
            struct tds_enc_answer got = tds_enc_server_answer(answer_rows[i].client,
                                                              settings[s]);
            if (got.reply != answer_rows[i].a[s].reply ||
                got.terminate != answer_rows[i].a[s].terminate) {
                fail_msg("client 0x%02X server %d: got 0x%02X/%d, want 0x%02X/%d",
                         answer_rows[i].client, s, got.reply, got.terminate,
                         answer_rows[i].a[s].reply, answer_rows[i].a[s].terminate);
            }
        }
    }
}

/* MS-TDS 2.2.6.5's client table: rows = sent OFF, ON, NOT_SUP, REQ; columns = reply OFF, ON, NOT_SUP, REQ. */
static const enum tds_tls_scope action_rows[4][4] = {
    { TDS_TLS_LOGIN_ONLY, TDS_TLS_FULL, TDS_TLS_NONE, TDS_TLS_FULL },
    { TDS_TLS_TERMINATE, TDS_TLS_FULL, TDS_TLS_TERMINATE, TDS_TLS_FULL },
    { TDS_TLS_NONE, TDS_TLS_TERMINATE, TDS_TLS_NONE, TDS_TLS_TERMINATE },
    { TDS_TLS_TERMINATE, TDS_TLS_FULL, TDS_TLS_TERMINATE, TDS_TLS_FULL },
};

static void test_client_action_every_cell(void **state)
{
    for (uint8_t sent = 0; sent < 4; sent++) {
        for (uint8_t reply = 0; reply < 4; reply++) {
            enum tds_tls_scope want = action_rows[sent][reply];
            assert_int_equal(tds_enc_client_action(sent, reply), want);
            /* the client-certificate flag does not change the scope */
            assert_int_equal(tds_enc_client_action((uint8_t)(sent | 0x80), reply), want);
            assert_int_equal(tds_enc_client_action(sent, (uint8_t)(reply | 0x80)), want);
        }
    }
    /* Replies outside MS-TDS (0x04, 0x08 "strict" in some clients): terminate. */
    assert_int_equal(tds_enc_client_action(0x00, 0x04), TDS_TLS_TERMINATE);
    assert_int_equal(tds_enc_client_action(0x01, 0x08), TDS_TLS_TERMINATE);
    assert_int_equal(tds_enc_client_action(0x02, 0x40), TDS_TLS_TERMINATE);
}

static void test_negotiation_end_to_end(void **state)
{
    /* The security-relevant paths: a client that asked for encryption must not carry on in
     * cleartext, and OFF answered with OFF encrypts the login packet only. */
    struct tds_enc_answer a = tds_enc_server_answer(TDS_ENC_OFF, TDS_SRV_ENC_OFF);
    assert_int_equal(tds_enc_client_action(TDS_ENC_OFF, a.reply), TDS_TLS_LOGIN_ONLY);
    a = tds_enc_server_answer(TDS_ENC_OFF, TDS_SRV_ENC_FORCED);
    assert_int_equal(tds_enc_client_action(TDS_ENC_OFF, a.reply), TDS_TLS_FULL);
    a = tds_enc_server_answer(TDS_ENC_ON, TDS_SRV_ENC_NOT_SUP);
    assert_int_equal(tds_enc_client_action(TDS_ENC_ON, a.reply), TDS_TLS_TERMINATE);
    a = tds_enc_server_answer(TDS_ENC_NOT_SUP, TDS_SRV_ENC_OFF);
    assert_int_equal(tds_enc_client_action(TDS_ENC_NOT_SUP, a.reply), TDS_TLS_NONE);
    a = tds_enc_server_answer(TDS_ENC_NOT_SUP, TDS_SRV_ENC_FORCED);
    assert_int_equal(tds_enc_client_action(TDS_ENC_NOT_SUP, a.reply), TDS_TLS_TERMINATE);
}

static void test_scope_names(void **state)
{
    assert_string_equal(tds_tls_scope_name(TDS_TLS_NONE), "none");
    assert_string_equal(tds_tls_scope_name(TDS_TLS_LOGIN_ONLY), "login_only");
    assert_string_equal(tds_tls_scope_name(TDS_TLS_FULL), "full");
    assert_string_equal(tds_tls_scope_name(TDS_TLS_TERMINATE), "terminate");
    assert_string_equal(tds_tls_scope_name((enum tds_tls_scope)42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_decode_encode),
        cmocka_unit_test(test_product_names),
        cmocka_unit_test(test_enc_names),
        cmocka_unit_test(test_server_answer_every_cell),
        cmocka_unit_test(test_client_action_every_cell),
        cmocka_unit_test(test_negotiation_end_to_end),
        cmocka_unit_test(test_scope_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
