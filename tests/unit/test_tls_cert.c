/* tests/unit/test_tls_cert.c: certificates into plain structs (kit certificates and the real
 * SQL Server 2017 fallback certificate). */
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
#include "tls/tls_int.h"
#include "tls/tls_policy.h"

#define FALLBACK_DER TDSPROBE_TEST_DATA "/ssl_self_signed_fallback_mssql2017_linux.der"

static void load(const char *pem, struct tls_cert *c)
{
    size_t len;
    uint8_t *der = pem_first_der(pem, &len);

    assert_non_null(der);
    assert_int_equal(0, tls_cert_from_der(c, der, len));
    free(der);
}

static void test_sql_fallback_der(void **state)
{
    size_t len;
    uint8_t *der = read_file(FALLBACK_DER, &len);
    struct tls_cert c;
    char when[21];

    (void)state;
    assert_non_null(der);
    assert_int_equal(0, tls_cert_from_der(&c, der, len));
    assert_true(c.parsed);
    assert_int_equal(1, c.x509_version);
    assert_string_equal("SSL_Self_Signed_Fallback", c.subject_cn);
    assert_string_equal("CN=SSL_Self_Signed_Fallback", c.subject);
    assert_string_equal(c.subject, c.issuer);
    assert_string_equal("RSA", c.key_type);
    assert_int_equal(2048, c.key_bits);
    assert_string_equal("sha256WithRSAEncryption", c.signature_algorithm);
    assert_int_equal(128, c.signature_bits);
    assert_string_equal("3f24941504701b34", c.serial);
    assert_false(c.serial_negative);
    assert_true(c.self_signed);
    assert_false(c.has_san_ext);
    assert_false(c.has_eku);
    assert_false(c.has_key_usage);
    assert_false(c.is_ca);
    assert_int_equal(0, c.n_san);
    tls_time_format(c.not_before, when);
    assert_string_equal("2018-04-06T19:38:24Z", when);
    tls_time_format(c.not_after, when);
    assert_string_equal("2048-04-06T19:38:24Z", when);
    assert_int_equal(64, strlen(c.sha256));
    assert_int_equal(len, c.der_len);
    assert_memory_equal(der, c.der, len);
    assert_true(tls_cert_is_sql_fallback(&c));
    tls_cert_clear(&c);
    free(der);
}

static void test_good_leaf(void **state)
{
    struct tls_cert c;
    const char *names[8];
    size_t n;

    (void)state;
    load(KIT("good.pem"), &c);
    assert_int_equal(3, c.x509_version);
    assert_string_equal("CN=localhost, O=tdsprobe kit", c.subject);
    assert_string_equal("CN=tdsprobe kit intermediate CA, O=tdsprobe kit", c.issuer);
    assert_true(c.has_san_ext);
    assert_int_equal(4, c.n_san);
    assert_int_equal(4, c.n_san_total);
    assert_int_equal(TLS_SAN_DNS, c.san[0].type);
    assert_string_equal("localhost", c.san[0].value);
    assert_string_equal("db1.tdsprobe.test", c.san[1].value);
    assert_int_equal(TLS_SAN_IP, c.san[2].type);
    assert_string_equal("127.0.0.1", c.san[2].value);
    assert_int_equal(TLS_SAN_IP, c.san[3].type);
    assert_string_equal("::1", c.san[3].value);
    assert_true(c.has_eku);
    assert_int_equal(TLS_EKU_SERVER_AUTH, c.eku);
    n = tls_cert_eku_names(&c, names, 8);
    assert_int_equal(1, n);
    assert_string_equal("serverAuth", names[0]);
    assert_true(c.has_key_usage);
    assert_int_equal(TLS_KU_DIGITAL_SIGNATURE | TLS_KU_KEY_ENCIPHERMENT, c.key_usage);
    n = tls_cert_key_usage_names(&c, names, 8);
    assert_int_equal(2, n);
    assert_string_equal("digitalSignature", names[0]);
    assert_string_equal("keyEncipherment", names[1]);
    assert_false(c.is_ca);
    assert_false(c.self_signed);
    assert_string_equal("RSA", c.key_type);
    assert_int_equal(2048, c.key_bits);
    assert_string_equal("sha256WithRSAEncryption", c.signature_algorithm);
    assert_true(c.not_after > c.not_before);
    tls_cert_clear(&c);
    assert_null(c.der);
}

static void test_root_and_intermediate(void **state)
{
    struct tls_cert c;

    (void)state;
    load(KIT("ca.pem"), &c);
    assert_true(c.is_ca);
    assert_true(c.self_signed);
    assert_int_equal(TLS_KU_KEY_CERT_SIGN | TLS_KU_CRL_SIGN, c.key_usage);
    tls_cert_clear(&c);
    load(KIT("int.pem"), &c);
    assert_true(c.is_ca);
    assert_false(c.self_signed);
    tls_cert_clear(&c);
}

/* The fingerprint of a certificate past the leaf may come from the thread's memo: it must be the
 * SHA-256 of exactly these bytes, never of an earlier certificate of the same length. */
static void assert_fingerprint(const uint8_t *der, size_t len, bool shared)
{
    struct tls_cert memo, direct;

    assert_int_equal(0, tls__cert_capture(&memo, der, len, shared));
    assert_int_equal(0, tls_cert_from_der(&direct, der, len)); /* never memoized */
    assert_int_equal(64, strlen(memo.sha256));
    assert_string_equal(direct.sha256, memo.sha256);
    tls_cert_clear(&memo);
    tls_cert_clear(&direct);
}

static void test_intermediate_fingerprint_memo(void **state)
{
    size_t len;
    uint8_t *der = pem_first_der(KIT("int.pem"), &len);
    size_t hits;

    (void)state;
    assert_non_null(der);
    assert_fingerprint(der, len, true);
    hits = tls__cert_fingerprint_hits();
    assert_fingerprint(der, len, true);
    assert_int_equal(hits + 1, tls__cert_fingerprint_hits());
    assert_fingerprint(der, len, false); /* a leaf is hashed every time */
    assert_int_equal(hits + 1, tls__cert_fingerprint_hits());
    /* Same length, one byte different (in the signature, at the end): hashed, not looked up;
     * then enough different ones to evict every slot, and the first again. */
    for (unsigned k = 1; k <= 6; k++) {
        der[len - 1] ^= (uint8_t)k;
        assert_fingerprint(der, len, true);
        der[len - 1] ^= (uint8_t)k;
    }
    assert_fingerprint(der, len, true);
    free(der);
}

static void test_weak_and_odd_leaves(void **state)
{
    struct tls_cert c;
    const char *names[8];

    (void)state;
    load(KIT("sha1.pem"), &c);
    assert_string_equal("sha1WithRSAEncryption", c.signature_algorithm);
    assert_int_equal(63, c.signature_bits);
    tls_cert_clear(&c);
    load(KIT("rsa1024.pem"), &c);
    assert_int_equal(1024, c.key_bits);
    tls_cert_clear(&c);
    load(KIT("clientauth.pem"), &c);
    assert_int_equal(TLS_EKU_CLIENT_AUTH, c.eku);
    assert_int_equal(1, tls_cert_eku_names(&c, names, 8));
    assert_string_equal("clientAuth", names[0]);
    tls_cert_clear(&c);
    load(KIT("nokeyenc.pem"), &c);
    assert_int_equal(TLS_KU_DIGITAL_SIGNATURE, c.key_usage);
    tls_cert_clear(&c);
    load(KIT("ecdsa.pem"), &c);
    assert_string_equal("EC", c.key_type);
    assert_string_equal("secp256r1", c.key_curve);
    assert_string_equal("sha256WithRSAEncryption", c.signature_algorithm); /* the int signs */
    tls_cert_clear(&c);
    load(KIT("seed.pem"), &c);
    assert_true(c.self_signed);
    assert_string_equal("mssql.contoso.com", c.subject_cn);
    tls_cert_clear(&c);
}

static void test_many_sans_truncated_but_matched(void **state)
{
    struct tls_cert c;
    struct tls_name_rules rules = { .cn_fallback = true, .ip_needs_ip_san = true };

    (void)state;
    load(KIT("bigchain.pem"), &c);
    assert_int_equal(44, c.n_san_total);
    assert_int_equal(TLS_MAX_SAN, c.n_san);
    /* replica40 is entry 44, beyond the kept array: matching reads the DER */
    assert_true(tls_name_matches(&c, "replica40.db.tdsprobe.test", &rules));
    assert_true(tls_name_matches(&c, "::1", &rules));
    assert_false(tls_name_matches(&c, "replica41.db.tdsprobe.test", &rules));
    tls_cert_clear(&c);
}

static void test_unparsable(void **state)
{
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    struct tls_cert c;

    (void)state;
    assert_int_equal(0, tls_cert_from_der(&c, junk, sizeof(junk)));
    assert_false(c.parsed);
    assert_true(c.parse_error[0] != '\0');
    assert_int_equal(64, strlen(c.sha256));
    assert_int_equal(sizeof(junk), c.der_len);
    assert_false(tls_cert_is_sql_fallback(&c));
    tls_cert_clear(&c);
    assert_int_equal(0, tls_cert_from_der(&c, junk, 0));
    assert_false(c.parsed);
    /* SHA-256 of the empty string */
    assert_string_equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                        c.sha256);
    tls_cert_clear(&c);
}

static void test_every_prefix_of_a_real_certificate(void **state)
{
    size_t len;
    uint8_t *der = pem_first_der(KIT("good.pem"), &len);

    (void)state;
    assert_non_null(der);
    for (size_t n = 0; n < len; n++) {
        struct tls_cert c;
        uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any over-read */

        assert_non_null(copy);
        memcpy(copy, der, n);
        assert_int_equal(0, tls_cert_from_der(&c, copy, n));
        assert_false(c.parsed);
        tls_cert_clear(&c);
        free(copy);
    }
    free(der);
}

static void test_negative_serial(void **state)
{
    size_t len;
    uint8_t *der = read_file(FALLBACK_DER, &len);
    struct tls_cert c;

    (void)state;
    assert_non_null(der);
    assert_int_equal(0x02, der[8]); /* serial INTEGER at offset 8 (see the fixture's dump) */
    assert_int_equal(0x3f, der[10]);
    der[10] = 0xbf;                 /* top bit set, no 0x00 pad: negative */
    assert_int_equal(0, tls_cert_from_der(&c, der, len));
    assert_true(c.parsed);
    assert_true(c.serial_negative);
    assert_string_equal("bf24941504701b34", c.serial);
    assert_false(c.self_signed);    /* the signature no longer verifies */
    tls_cert_clear(&c);
    free(der);
}

static void test_time_format(void **state)
{
    char out[21];

    (void)state;
    tls_time_format(0, out);
    assert_string_equal("1970-01-01T00:00:00Z", out);
    tls_time_format(4102444800, out); /* 2100-01-01 */
    assert_string_equal("2100-01-01T00:00:00Z", out);
    /* every digit position, and the edges (expected values from Python's datetime) */
    tls_time_format(1796315045, out);
    assert_string_equal("2026-12-03T16:24:05Z", out);
    tls_time_format(951782399, out);
    assert_string_equal("2000-02-28T23:59:59Z", out);
    tls_time_format(-1, out);
    assert_string_equal("1969-12-31T23:59:59Z", out);
    tls_time_format(253402300799, out);
    assert_string_equal("9999-12-31T23:59:59Z", out);
    tls_time_format(253402300800, out); /* year 10000: clamped */
    assert_string_equal("9999-12-31T23:59:59Z", out);
}

static void test_ip_text(void **state)
{
    static const struct { const char *in; const char *out; } ok[] = {
        { "10.0.0.5", "10.0.0.5" }, { "::1", "::1" }, { "[::1]", "::1" },
        { "fe80::1%eth0", "fe80::1" }, { "2001:db8:0:0:0:0:2:1", "2001:db8::2:1" },
        { "2001:DB8::", "2001:db8::" }, { "::", "::" }, { "::ffff:10.0.0.1", "::ffff:a00:1" },
        { "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
        { "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
    };
    static const char *const bad[] = {
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "localhost", "1::2::3", ":1",
        "1:2:3:4:5:6:7:8:9", "12345::", "1:", "[::1", "::g", "db1.contoso.com",
    };
    uint8_t ip[16];
    size_t len;
    char text[64];

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!tls__ip_parse(ok[i].in, ip, &len)) {
            fail_msg("should parse: %s", ok[i].in);
        }
        tls__ip_format(ip, len, text, sizeof(text));
        assert_string_equal(ok[i].out, text);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tls__ip_parse(bad[i], ip, &len)) {
            fail_msg("should not parse: \"%s\"", bad[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_fallback_der),
        cmocka_unit_test(test_good_leaf),
        cmocka_unit_test(test_root_and_intermediate),
        cmocka_unit_test(test_intermediate_fingerprint_memo),
        cmocka_unit_test(test_weak_and_odd_leaves),
        cmocka_unit_test(test_many_sans_truncated_but_matched),
        cmocka_unit_test(test_unparsable),
        cmocka_unit_test(test_every_prefix_of_a_real_certificate),
        cmocka_unit_test(test_negative_serial),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_ip_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
