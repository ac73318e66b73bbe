/* tests/unit/test_tls_names.c: names (suites, alerts, versions, stages) and configuration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "test_tls_server.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

/* Every suite mbedTLS knows has its IANA name in our table (mbedTLS spells them with '-'). */
static void test_cipher_table_matches_mbedtls(void **state)
{
    size_t known = 0;

    (void)state;
    for (unsigned id = 1; id <= 0xFFFF; id++) {
        const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id((int)id);
        struct tls__suite_fields f;
        char want[80];

        if (cs == NULL) {
            continue;
        }
        tls__suite_fields(cs, &f);
        snprintf(want, sizeof(want), "%s", f.name);
        for (char *p = want; *p; p++) {
            if (*p == '-') {
                *p = '_';
            }
        }
        if (tls_cipher_name((uint16_t)id) == NULL) {
            fail_msg("0x%04X %s missing from the table", id, want);
        }
        assert_string_equal(want, tls_cipher_name((uint16_t)id));
        assert_true(tls_cipher_supported((uint16_t)id));
        known++;
    }
    assert_true(known > 100);
    assert_string_equal("TLS_AES_128_GCM_SHA256", tls_cipher_name(0x1301));
    assert_string_equal("TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", tls_cipher_name(0x0013));
    assert_string_equal("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", tls_cipher_name(0xC030));
    assert_null(tls_cipher_name(0xFFFF));
    assert_null(tls_cipher_name(0));
    assert_false(tls_cipher_supported(0x1301));
    assert_false(tls_cipher_supported(0));
}

static void test_small_names(void **state)
{
    (void)state;
    assert_string_equal("TLSv1.0", tls_version_name(TLS_V10));
    assert_string_equal("TLSv1.1", tls_version_name(TLS_V11));
    assert_string_equal("TLSv1.2", tls_version_name(TLS_V12));
    assert_string_equal("TLSv1.3", tls_version_name(TLS_V13));
    assert_string_equal("SSLv3", tls_version_name(0));
    assert_string_equal("unknown", tls_version_name(-1));
    assert_string_equal("unknown", tls_version_name(9));
    assert_string_equal("handshake_failure", tls_alert_name(40));
    assert_string_equal("protocol_version", tls_alert_name(70));
    assert_string_equal("decode_error", tls_alert_name(50));
    assert_string_equal("unknown_ca", tls_alert_name(48));
    assert_string_equal("unknown", tls_alert_name(255));
    for (int st = TLS_STAGE_START; st <= TLS_STAGE_DONE; st++) {
        assert_string_not_equal("unknown", tls_stage_name((enum tls_stage)st));
    }
    assert_string_equal("ClientHello sent", tls_stage_name(TLS_STAGE_CLIENT_HELLO_SENT));
    assert_string_equal("unknown", tls_stage_name((enum tls_stage)99));
}

static int config_error(const struct tls_config_opts *o, char *err, size_t errlen)
{
    struct tls_config *cfg = (struct tls_config *)1;
    int rc = tls_config_new(&cfg, o, err, errlen);

    assert_null(cfg);
    return rc;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_ca_file_errors(void **state)
{
    struct tls_config_opts o = { .min_version = TLS_V10, .max_version = TLS_V12 };
    char dir[] = "/tmp/tls_names_XXXXXX";
    char path[128], err[300];

    (void)state;
    assert_non_null(mkdtemp(dir));
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot read CA file /nonexistent/ca.pem"));
    assert_non_null(strstr(err, "No such file"));

    snprintf(path, sizeof(path), "%s/empty.pem", dir);
    write_text(path, "");
    o.ca_file = path;
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "is empty"));

    snprintf(path, sizeof(path), "%s/junk.pem", dir);
    write_text(path, "this is not a certificate\n");
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "holds no certificate"));
    assert_non_null(strstr(err, path));

    o.ca_file = dir; /* a directory with no certificate in it */
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "CA directory"));
    unlink(path);
    snprintf(path, sizeof(path), "%s/empty.pem", dir);
    unlink(path);
    rmdir(dir);
}

/* A system bundle with one broken entry still loads the rest. */
static void test_ca_bundle_with_a_bad_certificate(void **state)
{
    struct tls_config_opts o = { .min_version = TLS_V10, .max_version = TLS_V12 };
    char path[] = "/tmp/tls_bundle_XXXXXX";
    size_t n1, n2;
    uint8_t *ca = read_file(KIT("ca.pem"), &n1), *other = read_file(KIT("other-ca.pem"), &n2);
    struct tls_config *cfg;
    char err[300];
    int fd = mkstemp(path);
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    fwrite(ca, 1, n1, f);
    fputs("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", f);
    fwrite(other, 1, n2, f);
    fclose(f);
    o.ca_file = path;
    assert_int_equal(0, tls_config_new(&cfg, &o, err, sizeof(err)));
    assert_int_equal(2, tls_config_ca_count(cfg));
    assert_int_equal(1, tls_config_ca_failed(cfg));
    tls_config_free(cfg);
    unlink(path);
    free(ca);
    free(other);
}

static void test_ca_directory(void **state)
{
    struct tls_config_opts o = { .min_version = TLS_V10, .max_version = TLS_V12,
                                 .ca_file = TDSPROBE_CERTS };
    struct tls_config *cfg;
    char err[300];

    (void)state;
    /* the kit directory: its .pem files load, its keys and notes are counted as failures */
    assert_int_equal(0, tls_config_new(&cfg, &o, err, sizeof(err)));
    assert_true(tls_config_ca_count(cfg) >= 10);
    assert_true(tls_config_ca_failed(cfg) > 0);
    tls_config_free(cfg);
}

static void test_option_errors(void **state)
{
    static const uint16_t tls13[] = { 0x009C, 0x1301, 0 };
    static const uint16_t none[] = { 0 };
    struct tls_config_opts o = { .min_version = TLS_V12, .max_version = TLS_V10 };
    char err[300];

    (void)state;
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "TLSv1.2 to TLSv1.0"));
    o.min_version = TLS_V12;
    o.max_version = TLS_V13;
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "TLS 1.0 to TLS 1.2"));
    o.max_version = TLS_V12;
    o.ciphersuites = tls13;
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "0x1301 (TLS_AES_128_GCM_SHA256)"));
    o.ciphersuites = none;
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "empty"));
    o.ciphersuites = NULL;
    o.alpn = "";
    assert_int_equal(-1, config_error(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "ALPN"));
}

static int rank(int id)
{
    struct tls__suite_fields f;

    tls__suite_fields(mbedtls_ssl_ciphersuite_from_id(id), &f);
    switch (f.key_exchange) {
    case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
    case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA: return 0;
    case MBEDTLS_KEY_EXCHANGE_DHE_RSA: return 1;
    case MBEDTLS_KEY_EXCHANGE_RSA: return 2;
    case MBEDTLS_KEY_EXCHANGE_ECDH_RSA:
    case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA: return 3;
    default: return 99; /* PSK and friends must never be offered */
    }
}

static void test_default_offer(void **state)
{
    struct tls_config *cfg = client_config(NULL, 0, 0, TLS_HANDSHAKE_FULL, NULL);
    size_t n = 0;
    int prev = 0;
    bool gcm = false, chacha = false, cbc = false;

    (void)state;
    for (; cfg->suites[n] != 0; n++) {
        const char *name = tls_cipher_name((uint16_t)cfg->suites[n]);
        int r = rank(cfg->suites[n]);

        assert_true(r <= 3);
        /* ranks never go down, except the 3DES suite appended last */
        if (cfg->suites[n + 1] != 0) {
            assert_true(r >= prev);
        }
        prev = r;
        assert_null(strstr(name, "_NULL_"));
        gcm = gcm || (r == 0 && strstr(name, "_GCM_") != NULL);
        chacha = chacha || (r == 0 && strstr(name, "CHACHA20") != NULL);
        cbc = cbc || (r == 0 && strstr(name, "_CBC_") != NULL);
    }
    assert_true(n > 40);
    assert_true(gcm && chacha && cbc);
    assert_int_equal(0, rank(cfg->suites[0]));
    assert_non_null(strstr(tls_cipher_name((uint16_t)cfg->suites[0]), "_GCM_"));
    assert_int_equal(0x000A, cfg->suites[n - 1]);
    assert_int_equal(MBEDTLS_ECP_DP_CURVE25519, cfg->curves[0]);
    assert_int_equal(MBEDTLS_ECP_DP_SECP256R1, cfg->curves[1]);
    assert_int_equal(MBEDTLS_ECP_DP_SECP384R1, cfg->curves[2]);
    tls_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cipher_table_matches_mbedtls),
        cmocka_unit_test(test_small_names),
        cmocka_unit_test(test_ca_file_errors),
        cmocka_unit_test(test_ca_bundle_with_a_bad_certificate),
        cmocka_unit_test(test_ca_directory),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_default_offer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
