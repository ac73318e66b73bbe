/* tests/unit/test_tls_suites.c: the default offer list, suite descriptions for the cipher audit,
 * and the cost of a config (the audit builds one per version and suite subset). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <mbedtls/ssl_ciphersuites.h>

#include "tls/tls_config.h"
#include "tls/tls_int.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

static void test_default_list(void **state)
{
    size_t n = tls_default_suites(NULL, 0);
    uint16_t *ids = calloc(n + 1, sizeof(*ids));
    struct tls_suite_info si;

    (void)state;
    assert_non_null(ids);
    assert_true(n > 20);
    ids[n] = 0xBEEF;
    assert_int_equal(n, tls_default_suites(ids, n));
    assert_int_equal(0xBEEF, ids[n]); /* never past cap */
    for (size_t i = 0; i < n; i++) {
        assert_true(tls_cipher_supported(ids[i]));
        assert_true(tls_suite_info(ids[i], &si));
        assert_string_not_equal("PSK", si.auth); /* a probe has no pre-shared key */
        assert_string_not_equal("ECJPAKE", si.kx);
        assert_false(si.null_cipher);
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(ids[i], ids[j]);
        }
    }
    /* forward-secret ECDHE first, as Schannel and OpenSSL order them; RSA 3DES last */
    assert_true(tls_suite_info(ids[0], &si));
    assert_string_equal("ECDHE", si.kx);
    assert_string_equal("AEAD", si.mac);
    assert_int_equal(0x000A, ids[n - 1]);
    free(ids);
}

static void test_default_list_short_cap(void **state)
{
    uint16_t all[256], few[4] = { 0, 0, 0, 0x1234 };
    size_t n = tls_default_suites(all, 256);

    (void)state;
    assert_true(n <= 256);
    assert_int_equal(n, tls_default_suites(few, 3));
    assert_memory_equal(all, few, 3 * sizeof(few[0]));
    assert_int_equal(0x1234, few[3]);
}

struct want {
    uint16_t id;
    const char *kx, *auth, *cipher, *mac;
    int min;
    bool des, rc4, cbc_sha1, no_fs;
};

static const struct want wants[] = {
    { 0xC02F, "ECDHE", "RSA", "AES-128-GCM", "AEAD", TLS_V12, false, false, false, false },
    { 0xC02C, "ECDHE", "ECDSA", "AES-256-GCM", "AEAD", TLS_V12, false, false, false, false },
    { 0xC013, "ECDHE", "RSA", "AES-128-CBC", "SHA1", TLS_V10, false, false, true, false },
    { 0xC028, "ECDHE", "RSA", "AES-256-CBC", "SHA384", TLS_V12, false, false, false, false },
    { 0xCCA8, "ECDHE", "RSA", "CHACHA20-POLY1305", "AEAD", TLS_V12, false, false, false, false },
    { 0x009F, "DHE", "RSA", "AES-256-GCM", "AEAD", TLS_V12, false, false, false, false },
    { 0x002F, "RSA", "RSA", "AES-128-CBC", "SHA1", TLS_V10, false, false, true, true },
    { 0x003C, "RSA", "RSA", "AES-128-CBC", "SHA256", TLS_V12, false, false, false, true },
    { 0x009C, "RSA", "RSA", "AES-128-GCM", "AEAD", TLS_V12, false, false, false, true },
    { 0x000A, "RSA", "RSA", "3DES-EDE-CBC", "SHA1", TLS_V10, true, false, true, true },
    { 0xC012, "ECDHE", "RSA", "3DES-EDE-CBC", "SHA1", TLS_V10, true, false, true, false },
    { 0x0005, "RSA", "RSA", "RC4-128", "SHA1", TLS_V10, false, true, false, true },
    { 0x0004, "RSA", "RSA", "RC4-128", "MD5", TLS_V10, false, true, false, true },
    { 0xC00E, "ECDH", "RSA", "AES-128-CBC", "SHA1", TLS_V10, false, false, true, true },
    { 0xC02D, "ECDH", "ECDSA", "AES-128-GCM", "AEAD", TLS_V12, false, false, false, true },
    { 0x0041, "RSA", "RSA", "CAMELLIA-128-CBC", "SHA1", TLS_V10, false, false, true, true },
    { 0xC0A0, "RSA", "RSA", "AES-128-CCM-8", "AEAD", TLS_V12, false, false, false, true },
    { 0x008C, "PSK", "PSK", "AES-128-CBC", "SHA1", TLS_V10, false, false, true, true },
    { 0x1301, "any", "any", "AES-128-GCM", "AEAD", TLS_V13, false, false, false, false },
    { 0x1303, "any", "any", "CHACHA20-POLY1305", "AEAD", TLS_V13, false, false, false, false },
};

static void test_suite_info_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
        const struct want *w = &wants[i];
        struct tls_suite_info si;

        if (!tls_suite_info(w->id, &si)) {
            fail_msg("0x%04X unknown", w->id);
        }
        assert_string_equal(tls_cipher_name(w->id), si.name);
        assert_string_equal(w->kx, si.kx);
        assert_string_equal(w->auth, si.auth);
        assert_string_equal(w->cipher, si.cipher);
        assert_string_equal(w->mac, si.mac);
        assert_int_equal(w->min, si.min_version);
        assert_int_equal(w->des, si.weak_3des);
        assert_int_equal(w->rc4, si.weak_rc4);
        assert_int_equal(w->cbc_sha1, si.cbc_sha1);
        assert_int_equal(w->no_fs, si.no_forward_secrecy);
        assert_false(si.null_cipher);
        assert_int_equal(w->min != TLS_V13, si.mbedtls_known);
    }
}

static void test_suite_info_unknown(void **state)
{
    struct tls_suite_info si;

    (void)state;
    assert_false(tls_suite_info(0, &si));
    assert_false(tls_suite_info(0xFFFF, &si));
    assert_false(tls_suite_info(0x0013, &si)); /* DHE-DSS: named, but not in mbedTLS */
    assert_false(tls_suite_info(0x1306, &si));
    assert_false(tls_suite_info(0x1300, &si));
}

/* Every suite mbedTLS knows gets a full description in our vocabulary. */
static void test_suite_info_every_mbedtls_suite(void **state)
{
    size_t known = 0;

    (void)state;
    for (unsigned id = 1; id <= 0xFFFF; id++) {
        struct tls_suite_info si;

        if (mbedtls_ssl_ciphersuite_from_id((int)id) == NULL) {
            if ((id >> 8) != 0x13) {
                assert_false(tls_suite_info((uint16_t)id, &si));
            }
            continue;
        }
        assert_true(tls_suite_info((uint16_t)id, &si));
        assert_true(si.mbedtls_known);
        assert_string_equal(tls_cipher_name((uint16_t)id), si.name);
        if (strcmp(si.kx, "unknown") == 0 || strcmp(si.cipher, "unknown") == 0 ||
            strcmp(si.mac, "unknown") == 0) {
            fail_msg("0x%04X %s: %s/%s/%s", id, si.name, si.kx, si.cipher, si.mac);
        }
        assert_true(si.min_version >= TLS_V10 && si.min_version <= si.max_version);
        assert_int_equal(TLS_V12, si.max_version);
        /* the flags agree with the IANA name */
        assert_int_equal(strstr(si.name, "3DES") != NULL || strstr(si.name, "_DES_") != NULL,
                         si.weak_3des);
        assert_int_equal(strstr(si.name, "RC4") != NULL, si.weak_rc4);
        assert_int_equal(strstr(si.name, "_CBC_SHA") != NULL &&
                         strstr(si.name, "_CBC_SHA2") == NULL &&
                         strstr(si.name, "_CBC_SHA3") == NULL, si.cbc_sha1);
        assert_int_equal(strstr(si.name, "_NULL_") != NULL, si.null_cipher);
        known++;
    }
    assert_true(known > 100);
}

static double seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The audit's pattern: no CA, one explicit suite, one version. Each config once seeded its own
 * entropy source (~130 us: 100 configs took 13-22 ms); now they all use the thread's DRBG, seeded
 * once. What made configs expensive is asserted (no new seeding); the time is printed, never
 * asserted (speed is measured in bench/, not in tests). */
static void test_config_cheap(void **state)
{
    static const uint16_t suites[] = { 0xC02F, 0xC030, 0x009C, 0 };
    struct tls_config_opts o = { .min_version = TLS_V12, .max_version = TLS_V12,
                                 .ciphersuites = suites, .mode = TLS_HANDSHAKE_HELLO };
    struct tls_config *cfg[100];
    char err[200];
    double t0, spent;
    size_t seeded;

    (void)state;
    assert_int_equal(0, tls_config_new(&cfg[0], &o, err, sizeof(err))); /* seeds, once */
    tls_config_free(cfg[0]);
    seeded = tls__drbg_seed_count();
    t0 = seconds();
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(0, tls_config_new(&cfg[i], &o, err, sizeof(err)));
    }
    spent = seconds() - t0;
    print_message("100 configs (no CA, explicit suites, TLS 1.2 only): %.3f ms\n", spent * 1e3);
    assert_int_equal(0, tls_config_ca_count(cfg[0]));
    /* one DRBG for all: no config seeded one of its own, they use the thread's */
    assert_int_equal(seeded, tls__drbg_seed_count());
    assert_non_null(tls__thread_drbg());
    for (size_t i = 0; i < 100; i++) {
        tls_config_free(cfg[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_list),
        cmocka_unit_test(test_default_list_short_cap),
        cmocka_unit_test(test_suite_info_known),
        cmocka_unit_test(test_suite_info_unknown),
        cmocka_unit_test(test_suite_info_every_mbedtls_suite),
        cmocka_unit_test(test_config_cheap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
