/* tests/unit/test_tls_policy.c: name matching tables and the client judgement. */
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
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_policy.h"

#define NOT_TRUSTED 0x08u /* MBEDTLS_X509_BADCERT_NOT_TRUSTED */
#define DAY 86400

/* A hand-made parsed certificate: SANs as "DNS:x" / "IP:x". */
static struct tls_cert mk(const char *cn, const char *const *sans)
{
    struct tls_cert c;
    size_t n = 0;

    memset(&c, 0, sizeof(c));
    c.parsed = true;
    c.x509_version = 3;
    snprintf(c.subject_cn, sizeof(c.subject_cn), "%s", cn);
    snprintf(c.subject, sizeof(c.subject), "CN=%s", cn);
    snprintf(c.issuer, sizeof(c.issuer), "CN=Some CA");
    while (sans != NULL && sans[n] != NULL) {
        n++;
    }
    c.san = calloc(n ? n : 1, sizeof(*c.san));
    assert_non_null(c.san);
    for (size_t i = 0; i < n; i++) {
        c.san[i].type = strncmp(sans[i], "IP:", 3) == 0 ? TLS_SAN_IP : TLS_SAN_DNS;
        snprintf(c.san[i].value, sizeof(c.san[i].value), "%s", strchr(sans[i], ':') + 1);
    }
    c.n_san = c.n_san_total = n;
    c.has_san_ext = n > 0;
    snprintf(c.key_type, sizeof(c.key_type), "RSA");
    c.key_bits = 2048;
    snprintf(c.signature_algorithm, sizeof(c.signature_algorithm), "sha256WithRSAEncryption");
    c.signature_bits = 128;
    c.not_before = time(NULL) - 10 * DAY;
    c.not_after = time(NULL) + 300 * DAY;
    snprintf(c.sha256, sizeof(c.sha256), "%064d", 0);
    return c;
}

enum rules_id { SQLCLIENT, NO_CN, JDBC, LOOSE_IP };

static struct tls_name_rules rules_of(enum rules_id r)
{
    struct tls_name_rules x = { false, false, false };

    switch (r) {
    case SQLCLIENT: x.cn_fallback = true; x.ip_needs_ip_san = true; break;
    case NO_CN: x.ip_needs_ip_san = true; break;            /* Go */
    case JDBC: x.cn_always = true; break;
    case LOOSE_IP: x.cn_fallback = true; break;             /* OpenSSL-style string compare */
    }
    return x;
}

struct name_case {
    const char *cn;
    const char *sans[4];
    const char *name;
    enum rules_id rules;
    bool match;
};

static const struct name_case name_cases[] = {
    { "x", { "DNS:db1.contoso.com" }, "db1.contoso.com", SQLCLIENT, true },
    { "x", { "DNS:db1.contoso.com" }, "DB1.Contoso.COM", SQLCLIENT, true },
    { "x", { "DNS:db1.contoso.com" }, "db1.contoso.com.", SQLCLIENT, true },
    { "x", { "DNS:db1.contoso.com" }, "db2.contoso.com", SQLCLIENT, false },
    { "x", { "DNS:db1.contoso.com" }, "", SQLCLIENT, false },
    { "x", { "DNS:*.contoso.com" }, "db1.contoso.com", SQLCLIENT, true },
    { "x", { "DNS:*.contoso.com" }, "DB1.CONTOSO.com", SQLCLIENT, true },
    { "x", { "DNS:*.contoso.com" }, "contoso.com", SQLCLIENT, false },
    { "x", { "DNS:*.contoso.com" }, "a.b.contoso.com", SQLCLIENT, false },
    { "x", { "DNS:*.contoso.com" }, ".contoso.com", SQLCLIENT, false },
    { "x", { "DNS:*.com" }, "contoso.com", SQLCLIENT, false },
    { "x", { "DNS:db*.contoso.com" }, "db1.contoso.com", SQLCLIENT, false },
    { "x", { "DNS:*" }, "db1", SQLCLIENT, false },
    { "db1", { NULL }, "db1", SQLCLIENT, true },
    { "db1", { NULL }, "DB1", SQLCLIENT, true },
    { "db1", { NULL }, "db1", NO_CN, false },
    { "*.contoso.com", { NULL }, "db1.contoso.com", SQLCLIENT, true },
    { "db1", { "DNS:other" }, "db1", SQLCLIENT, false },
    { "db1", { "DNS:other" }, "db1", JDBC, true },
    { "db1", { "DNS:other" }, "other", JDBC, true },
    { "db1", { "IP:10.0.0.5" }, "db1", SQLCLIENT, true }, /* no DNS SAN: the CN counts */
    { "x", { "IP:10.0.0.5" }, "10.0.0.5", SQLCLIENT, true },
    { "x", { "IP:10.0.0.5" }, "10.0.0.6", SQLCLIENT, false },
    { "x", { "DNS:10.0.0.5" }, "10.0.0.5", SQLCLIENT, false },
    { "x", { "DNS:10.0.0.5" }, "10.0.0.5", LOOSE_IP, true },
    { "10.0.0.5", { NULL }, "10.0.0.5", SQLCLIENT, false },
    { "10.0.0.5", { NULL }, "10.0.0.5", LOOSE_IP, true },
    { "x", { "DNS:*.0.0.5" }, "10.0.0.5", LOOSE_IP, false }, /* no wildcard for addresses */
    { "x", { "IP:::1" }, "0:0:0:0:0:0:0:1", SQLCLIENT, true },
    { "x", { "IP:::1" }, "[::1]", SQLCLIENT, true },
    { "x", { "IP:::1" }, "127.0.0.1", SQLCLIENT, false },
    { "x", { "DNS:localhost", "IP:127.0.0.1" }, "localhost", NO_CN, true },
    { "localhost", { "DNS:db1" }, "localhost", SQLCLIENT, false },
};

static void test_name_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
        const struct name_case *k = &name_cases[i];
        struct tls_cert c = mk(k->cn, k->sans);
        struct tls_name_rules r = rules_of(k->rules);

        if (tls_name_matches(&c, k->name, &r) != k->match) {
            fail_msg("case %zu: CN=%s SAN %s vs \"%s\" (rules %d): want %s", i, k->cn,
                     k->sans[0] ? k->sans[0] : "-", k->name, k->rules,
                     k->match ? "match" : "no match");
        }
        free(c.san);
    }
}

static struct tls_info info_of(struct tls_cert *chain, size_t n, uint32_t verify_result)
{
    struct tls_info in;

    memset(&in, 0, sizeof(in));
    in.chain = chain;
    in.chain_len = n;
    in.verified_path = true;
    in.verify_result = verify_result;
    in.verified_len = n;
    return in;
}

static void free_chain(struct tls_cert *chain, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(chain[i].san);
    }
}

/* A leaf with everything wrong, in the order SqlClient reports it. */
static void test_order_of_findings(void **state)
{
    static const char *const sans[] = { "DNS:wrong.example", NULL };
    struct tls_cert c = mk("wrong.example", sans);
    struct tls_info in;
    struct tls_policy_opts po = policy_defaults("db1.example");
    struct tls_verdict v;
    static const enum tls_finding_code want[] = {
        TLS_F_UNTRUSTED_CHAIN, TLS_F_EXPIRED, TLS_F_NAME_MISMATCH, TLS_F_NO_SERVER_AUTH_EKU,
        TLS_F_BAD_KEY_USAGE, TLS_F_BAD_KEY_USAGE, TLS_F_WEAK_SIGNATURE, TLS_F_WEAK_KEY,
        TLS_F_NEGATIVE_SERIAL,
    };

    (void)state;
    c.not_before = po.now - 400 * DAY;
    c.not_after = po.now - 35 * DAY;
    c.has_eku = true;
    c.eku = TLS_EKU_CLIENT_AUTH;
    c.has_key_usage = true;
    c.key_usage = TLS_KU_KEY_AGREEMENT;
    c.signature_bits = 0;
    snprintf(c.signature_algorithm, sizeof(c.signature_algorithm), "md5WithRSAEncryption");
    c.key_bits = 1024;
    c.serial_negative = true;
    in = info_of(&c, 1, NOT_TRUSTED);
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    assert_int_equal(sizeof(want) / sizeof(want[0]), v.n);
    for (size_t i = 0; i < v.n; i++) {
        if (v.f[i].code != want[i]) {
            fail_msg("finding %zu is %s, want %s", i, tls_finding_name(v.f[i].code),
                     tls_finding_name(want[i]));
        }
        assert_true(strlen(v.f[i].message) > 20);
    }
    assert_int_equal(TLS_SEV_ERROR, v.f[4].severity);   /* no digitalSignature */
    assert_int_equal(TLS_SEV_WARNING, v.f[5].severity); /* RSA without keyEncipherment */
    assert_int_equal(TLS_SEV_WARNING, v.f[8].severity);
    assert_non_null(strstr(v.f[1].message, "35 days ago"));
    assert_non_null(strstr(v.f[2].message, "\"db1.example\""));
    assert_non_null(strstr(v.f[2].message, "DNS:wrong.example"));
    assert_non_null(strstr(v.f[3].message, "clientAuth"));
    assert_non_null(strstr(v.f[6].message, "Ubuntu 20.04"));
    assert_non_null(strstr(v.f[6].message, "security level 2"));
    assert_non_null(strstr(v.f[6].message, "md5WithRSAEncryption"));
    assert_non_null(strstr(v.f[7].message, "RSA-1024"));

    /* TrustServerCertificate=true: the client connects; everything is a warning */
    po.check_trust = false;
    tls_policy_judge(&in, &po, &v);
    assert_true(v.pass);
    for (size_t i = 0; i < v.n; i++) {
        assert_int_not_equal(TLS_SEV_ERROR, v.f[i].severity);
    }
    free_chain(&c, 1);
}

static void test_not_yet_valid(void **state)
{
    struct tls_cert c = mk("db1", NULL);
    struct tls_info in;
    struct tls_policy_opts po = policy_defaults("db1");
    struct tls_verdict v;

    (void)state;
    c.not_before = po.now + 3 * DAY + 100;
    in = info_of(&c, 1, 0);
    tls_policy_judge(&in, &po, &v);
    assert_int_equal(1, v.n);
    assert_int_equal(TLS_F_NOT_YET_VALID, v.f[0].code);
    assert_non_null(strstr(v.f[0].message, "3 days from now"));
    free_chain(&c, 1);
}

static void test_expired_anchor_from_the_store(void **state)
{
    struct tls_cert c = mk("db1", NULL);
    struct tls_info in = info_of(&c, 1, 0x01);
    struct tls_policy_opts po = policy_defaults("db1");
    struct tls_verdict v;

    (void)state;
    in.verified_len = 2;          /* leaf, then the root from the client's store */
    in.verify_flags[1] = 0x01;    /* MBEDTLS_X509_BADCERT_EXPIRED */
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    assert_int_equal(1, v.n);
    assert_int_equal(TLS_F_EXPIRED, v.f[0].code);
    assert_int_equal(-1, v.f[0].cert);
    assert_non_null(strstr(v.f[0].message, "trust store"));
    free(c.san);
}

static void test_pin(void **state)
{
    static uint8_t der[] = { 1, 2, 3, 4 };
    static uint8_t other[] = { 1, 2, 3, 5 };
    struct tls_cert c = mk("somewhere.else", NULL);
    struct tls_info in;
    struct tls_policy_opts po = policy_defaults("db1");
    struct tls_verdict v;

    (void)state;
    c.der = der;
    c.der_len = sizeof(der);
    c.not_after = po.now - DAY;
    in = info_of(&c, 1, NOT_TRUSTED);
    po.pin_der = der;
    po.pin_len = sizeof(der);
    tls_policy_judge(&in, &po, &v);
    assert_true(v.pass); /* SqlClient: a byte match passes chain, name and expiry */
    assert_int_equal(TLS_F_UNTRUSTED_CHAIN, v.f[0].code);
    for (size_t i = 0; i < v.n; i++) {
        assert_int_equal(TLS_SEV_INFO, v.f[i].severity);
    }
    assert_int_equal(-1, finding_index(&v, TLS_F_PIN_MISMATCH));

    po.pin_der = other;
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    assert_true(finding_index(&v, TLS_F_PIN_MISMATCH) > 0);
    assert_int_equal(TLS_SEV_ERROR, v.f[finding_index(&v, TLS_F_PIN_MISMATCH)].severity);

    /* pin_only: the file decides alone, so the chain, name and date findings are warnings and
     * pin_mismatch is the only error */
    po.pin_only = true;
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    for (size_t i = 0; i < v.n; i++) {
        assert_int_equal(v.f[i].code == TLS_F_PIN_MISMATCH ? TLS_SEV_ERROR : TLS_SEV_WARNING,
                         v.f[i].severity);
    }
    po.pin_der = der; /* and a match still passes, the same findings as info */
    tls_policy_judge(&in, &po, &v);
    assert_true(v.pass);
    assert_int_equal(TLS_SEV_INFO, v.f[0].severity);
    free(c.san);
}

static void test_fallback_certificate(void **state)
{
    size_t len;
    uint8_t *der = read_file(TDSPROBE_TEST_DATA "/ssl_self_signed_fallback_mssql2017_linux.der",
                             &len);
    struct tls_cert c;
    struct tls_info in;
    struct tls_policy_opts po = policy_defaults("sql1.contoso.com");
    struct tls_verdict v;
    int fb;

    (void)state;
    assert_non_null(der);
    assert_int_equal(0, tls_cert_from_der(&c, der, len));
    in = info_of(&c, 1, NOT_TRUSTED);
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    assert_int_equal(TLS_F_UNTRUSTED_CHAIN, v.f[0].code);
    assert_non_null(strstr(v.f[0].message, "self-signed"));
    assert_int_equal(TLS_F_NAME_MISMATCH, v.f[1].code);
    assert_non_null(strstr(v.f[1].message, "CN=SSL_Self_Signed_Fallback and no SAN"));
    fb = finding_index(&v, TLS_F_FALLBACK_CERTIFICATE);
    assert_true(fb > 1);
    assert_int_equal(TLS_SEV_WARNING, v.f[fb].severity);
    assert_non_null(strstr(v.f[fb].message, "mssql-conf"));
    assert_non_null(strstr(v.f[fb].message, "network.tlscert"));
    assert_non_null(strstr(v.f[fb].message, "network.tlskey"));
    assert_non_null(strstr(v.f[fb].message, "restart"));
    assert_non_null(strstr(v.f[fb].message, "never pin"));
    assert_int_equal(-1, finding_index(&v, TLS_F_SELF_SIGNED)); /* said once, as fallback */
    tls_cert_clear(&c);
    free(der);
}

static void test_root_signature_not_judged(void **state)
{
    struct tls_cert chain[2] = { mk("db1", NULL), mk("Root", NULL) };
    struct tls_info in;
    struct tls_policy_opts po = policy_defaults("db1");
    struct tls_verdict v;

    (void)state;
    snprintf(chain[0].issuer, sizeof(chain[0].issuer), "CN=Root");
    snprintf(chain[1].issuer, sizeof(chain[1].issuer), "CN=Root");
    chain[1].self_signed = true;
    chain[1].is_ca = true;
    chain[1].signature_bits = 63; /* a SHA-1 root is fine: nobody checks its signature */
    in = info_of(chain, 2, 0);
    tls_policy_judge(&in, &po, &v);
    assert_true(v.pass);
    assert_int_equal(0, v.n);
    chain[0].signature_bits = 63;  /* ...but a SHA-1 leaf is not */
    tls_policy_judge(&in, &po, &v);
    assert_int_equal(1, v.n);
    assert_int_equal(TLS_F_WEAK_SIGNATURE, v.f[0].code);
    assert_int_equal(0, v.f[0].cert);
    free_chain(chain, 2);
}

static void test_no_chain_and_unparsable(void **state)
{
    static const uint8_t junk[] = { 0x30, 0x00 };
    struct tls_info in;
    struct tls_policy_opts po = policy_defaults("db1");
    struct tls_verdict v;
    struct tls_cert c;

    (void)state;
    memset(&in, 0, sizeof(in));
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    assert_int_equal(1, v.n);
    assert_int_equal(TLS_F_UNTRUSTED_CHAIN, v.f[0].code);
    assert_int_equal(-1, v.f[0].cert);

    assert_int_equal(0, tls_cert_from_der(&c, junk, sizeof(junk)));
    in = info_of(&c, 1, NOT_TRUSTED);
    tls_policy_judge(&in, &po, &v);
    assert_false(v.pass);
    assert_int_not_equal(-1, finding_index(&v, TLS_F_UNPARSABLE_CERTIFICATE));
    assert_int_equal(-1, finding_index(&v, TLS_F_NAME_MISMATCH)); /* no name to compare */
    tls_cert_clear(&c);
}

static void test_alt_name(void **state)
{
    static const char *const sans[] = { "DNS:sql1.contoso.com", NULL };
    struct tls_cert c = mk("sql1.contoso.com", sans);
    struct tls_info in = info_of(&c, 1, 0);
    struct tls_policy_opts po = policy_defaults("10.0.0.5");
    struct tls_verdict v;

    (void)state;
    tls_policy_judge(&in, &po, &v);
    assert_int_equal(TLS_F_NAME_MISMATCH, v.f[0].code);
    po.alt_name = "sql1.contoso.com"; /* ODBC 18 HostnameInCertificate: either may match */
    tls_policy_judge(&in, &po, &v);
    assert_true(v.pass);
    po.alt_name = "sql2.contoso.com";
    tls_policy_judge(&in, &po, &v);
    assert_non_null(strstr(v.f[0].message, "\"10.0.0.5\" or \"sql2.contoso.com\""));
    free(c.san);
}

static void test_verify_chain_offline(void **state)
{
    struct tls_config *trust = client_config(KIT("ca.pem"), 0, 0, TLS_HANDSHAKE_FULL, NULL);
    struct tls_config *wrong = client_config(KIT("other-ca.pem"), 0, 0, TLS_HANDSHAKE_FULL,
                                             NULL);
    struct tls_cert chain[2];
    struct tls_info in;
    size_t len;
    uint8_t *der;

    (void)state;
    der = pem_first_der(KIT("good.pem"), &len);
    assert_int_equal(0, tls_cert_from_der(&chain[0], der, len));
    free(der);
    der = pem_first_der(KIT("int.pem"), &len);
    assert_int_equal(0, tls_cert_from_der(&chain[1], der, len));
    free(der);
    in = info_of(chain, 2, 0);
    in.verified_path = false;
    assert_int_equal(0, tls_policy_verify_chain(&in, trust));
    assert_true(in.verified_path);
    assert_int_equal(0, in.verify_result);
    assert_int_equal(3, in.verified_len);
    assert_int_equal(0, tls_policy_verify_chain(&in, wrong));
    assert_true(in.verify_result & NOT_TRUSTED);
    in.chain_len = 0;
    assert_int_equal(-1, tls_policy_verify_chain(&in, trust));
    tls_cert_clear(&chain[0]);
    tls_cert_clear(&chain[1]);
    tls_config_free(trust);
    tls_config_free(wrong);
}

static void test_names_of_codes(void **state)
{
    (void)state;
    assert_string_equal("untrusted_chain", tls_finding_name(TLS_F_UNTRUSTED_CHAIN));
    assert_string_equal("unparsable_certificate", tls_finding_name(TLS_F_UNPARSABLE_CERTIFICATE));
    assert_string_equal("unknown", tls_finding_name(TLS_F_COUNT));
    assert_string_equal("error", tls_severity_name(TLS_SEV_ERROR));
    assert_string_equal("warning", tls_severity_name(TLS_SEV_WARNING));
    assert_string_equal("info", tls_severity_name(TLS_SEV_INFO));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_table),
        cmocka_unit_test(test_order_of_findings),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_expired_anchor_from_the_store),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_fallback_certificate),
        cmocka_unit_test(test_root_signature_not_judged),
        cmocka_unit_test(test_no_chain_and_unparsable),
        cmocka_unit_test(test_alt_name),
        cmocka_unit_test(test_verify_chain_offline),
        cmocka_unit_test(test_names_of_codes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
