/* tests/unit/test_tls_sigmemo.c: the trust anchors' signature memo (tls/tls_sigmemo.c): a check
 * it answers is one that succeeded with exactly the same key and bytes; failures, other keys and
 * evicted entries are checked again; routed RSA and EC keys still work as keys; and a config's
 * sessions keep their verdicts while the memo answers the intermediate's signature. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "test_tls_server.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"

/* ---- the memo alone, with a stand-in verify ---- */

static int calls;

/* "Verifies" when the signature's first byte equals the hash's. */
static int fake_verify(void *key, mbedtls_md_type_t md, const unsigned char *hash,
                       size_t hash_len, const unsigned char *sig, size_t sig_len)
{
    (void)key;
    (void)md;
    calls++;
    return hash_len > 0 && sig_len > 0 && hash[0] == sig[0] ? 0 : MBEDTLS_ERR_PK_BAD_INPUT_DATA;
}

static int memo_check(struct tls_sigmemo *m, const void *key, unsigned char h, unsigned char s)
{
    unsigned char hash[32], sig[256];

    memset(hash, h, sizeof(hash));
    memset(sig, s, sizeof(sig));
    return tls__sigmemo_verify(m, fake_verify, (void *)key, MBEDTLS_MD_SHA256, hash,
                               sizeof(hash), sig, sizeof(sig));
}

static void test_memo_answers_only_repeated_successes(void **state)
{
    struct tls_sigmemo *m = tls__sigmemo_new();
    int key_a, key_b;

    (void)state;
    assert_non_null(m);
    calls = 0;
    assert_int_equal(0, memo_check(m, &key_a, 1, 1));
    assert_int_equal(0, memo_check(m, &key_a, 1, 1));
    assert_int_equal(1, calls); /* the second came from the memo */
    assert_int_equal(1, tls__sigmemo_hits(m));
    assert_int_equal(0, memo_check(m, &key_b, 1, 1)); /* another key: checked */
    assert_int_equal(2, calls);
    assert_int_not_equal(0, memo_check(m, &key_a, 2, 3)); /* fails, and is not kept */
    assert_int_not_equal(0, memo_check(m, &key_a, 2, 3));
    assert_int_equal(4, calls);
    assert_int_equal(1, tls__sigmemo_hits(m));
    tls__sigmemo_free(m);
}

static void test_memo_is_bounded(void **state)
{
    struct tls_sigmemo *m = tls__sigmemo_new();
    int key;

    (void)state;
    calls = 0;
    for (int i = 0; i < 40; i++) { /* more distinct successes than slots */
        assert_int_equal(0, memo_check(m, &key, (unsigned char)(10 + i), (unsigned char)(10 + i)));
    }
    assert_int_equal(40, calls);
    assert_int_equal(0, memo_check(m, &key, 49, 49)); /* recent: answered */
    assert_int_equal(40, calls);
    assert_int_equal(0, memo_check(m, &key, 10, 10)); /* the oldest was evicted: checked */
    assert_int_equal(41, calls);
    tls__sigmemo_free(m);
}

/* ---- routed keys ---- */

/* Signs a SHA-256 hash with the kit's NAME.key, checks it twice through the routed public key
 * of NAME.crt (the second time from the memo), and a wrong signature twice (never kept). */
static void check_routed(const char *name, mbedtls_pk_type_t type, size_t bits)
{
    char path[256];
    mbedtls_x509_crt crt;
    mbedtls_pk_context priv;
    struct tls_sigmemo *m = tls__sigmemo_new();
    unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t sig_len = 0;

    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&priv);
    snprintf(path, sizeof(path), "%s/%s.crt", TDSPROBE_CERTS, name);
    assert_int_equal(0, mbedtls_x509_crt_parse_file(&crt, path));
    snprintf(path, sizeof(path), "%s/%s.key", TDSPROBE_CERTS, name);
    assert_int_equal(0, mbedtls_pk_parse_keyfile(&priv, path, NULL));
    memset(hash, 0x5a, sizeof(hash));
    assert_int_equal(0, mbedtls_pk_sign(&priv, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig,
                                        &sig_len, tls__random, NULL));

    assert_int_equal(0, tls__sigmemo_route_anchors(m, &crt));
    assert_int_equal(type, mbedtls_pk_get_type(&crt.pk));
    assert_int_equal(bits, mbedtls_pk_get_bitlen(&crt.pk));
    assert_true(mbedtls_pk_can_do(&crt.pk, type == MBEDTLS_PK_ECKEY ? MBEDTLS_PK_ECDSA : type));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(0, mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash, sizeof(hash),
                                              sig, sig_len));
    }
    assert_int_equal(1, tls__sigmemo_hits(m));
    sig[sig_len / 2] ^= 1;
    for (int i = 0; i < 2; i++) {
        assert_int_not_equal(0, mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, hash,
                                                  sizeof(hash), sig, sig_len));
    }
    assert_int_equal(1, tls__sigmemo_hits(m));
    mbedtls_x509_crt_free(&crt); /* the routed key's free, before the memo */
    mbedtls_pk_free(&priv);
    tls__sigmemo_free(m);
}

static void test_routed_rsa_key(void **state)
{
    (void)state;
    check_routed("good", MBEDTLS_PK_RSA, 2048);
}

static void test_routed_ec_key(void **state)
{
    (void)state;
    check_routed("ecdsa", MBEDTLS_PK_ECKEY, 256);
}

/* ---- a config's sessions ---- */

static const struct tls_info *run(struct tls_config *cfg, const char *name,
                                  struct tls_session **s)
{
    char cert[256], key[256];
    struct srv_opts so = { .cert = cert, .key = key };
    struct pair_result res;

    snprintf(cert, sizeof(cert), "%s/%s.pem", TDSPROBE_CERTS, name);
    snprintf(key, sizeof(key), "%s/%s.key", TDSPROBE_CERTS, name);
    pair_run(cfg, "localhost", &so, 0, s, &res);
    assert_int_equal(TLS_STEP_DONE, res.step);
    return tls_session_info(*s);
}

/* The intermediate's signature is checked by the root once per config; every later session's
 * path, flags and verdict are what the first session had. An expired leaf under the same
 * intermediate is still expired: dates are checked per session, not remembered. */
static void test_sessions_keep_their_verdicts(void **state)
{
    struct tls_config *cfg = client_config(KIT("ca.pem"), 0, 0, TLS_HANDSHAKE_CERTIFICATE, NULL);
    struct tls_session *first, *again, *expired;
    const struct tls_info *a = run(cfg, "good", &first);

    (void)state;
    assert_int_equal(0, tls__sigmemo_hits(cfg->memo));
    const struct tls_info *b = run(cfg, "good", &again);
    assert_int_equal(1, tls__sigmemo_hits(cfg->memo));
    assert_int_equal(0, a->verify_result);
    assert_int_equal(a->verify_result, b->verify_result);
    assert_int_equal(3, b->verified_len);
    assert_memory_equal(a->verify_flags, b->verify_flags, sizeof(a->verify_flags));

    const struct tls_info *x = run(cfg, "expired", &expired);
    assert_int_equal(2, tls__sigmemo_hits(cfg->memo));
    assert_int_equal(MBEDTLS_X509_BADCERT_EXPIRED, x->verify_flags[0]);
    assert_int_equal(0, x->verify_flags[1]);
    assert_int_equal(MBEDTLS_X509_BADCERT_EXPIRED, x->verify_result);
    tls_session_free(first);
    tls_session_free(again);
    tls_session_free(expired);
    tls_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_answers_only_repeated_successes),
        cmocka_unit_test(test_memo_is_bounded),
        cmocka_unit_test(test_routed_rsa_key),
        cmocka_unit_test(test_routed_ec_key),
        cmocka_unit_test(test_sessions_keep_their_verdicts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
