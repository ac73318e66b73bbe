/* tests/unit/test_tls_threads.c: the TLS layer from two threads at once, as tdsprobe --threads
 * uses it (one event loop per thread). Each thread runs in-memory handshakes against the test
 * server (test_tls_server.c) and draws TLS 1.3 probe keys; the checks are that every handshake
 * still completes and verifies, and that each thread drew from a DRBG of its own
 * (tls/tls_rng.c). Under ASan, UBSan or ThreadSanitizer a shared, unlocked generator or any
 * other cross-thread state in tls/ would show here. Threads only record; the main thread
 * asserts. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_tls_server.h"
#include "tls/tls13_probe.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"
#include "tls/tls_session.h"
#include "tls/tls_version.h"

#define ROUNDS 6

struct worker {
    const char *kit;                  /* the server's certificate: "good" or "ecdsa" */
    const struct tls_config *shared;  /* NULL: the thread builds a config of its own */
    int verified;                     /* full TLS 1.2 handshakes with a verified kit chain */
    int keys;                         /* tls13_probe_keys successes */
    uint8_t random[ROUNDS][32];       /* the ClientHello.random each round drew */
    const void *drbg;                 /* the DRBG this thread drew from */
};

static bool handshake_verified(const struct tls_config *cfg, const char *kit)
{
    char cert[256], key[256];
    struct srv_opts so = { .cert = cert, .key = key };
    struct tls_session *s = NULL;
    struct pair_result res;
    const struct tls_info *in;
    bool ok;

    snprintf(cert, sizeof(cert), "%s/%s.pem", TDSPROBE_CERTS, kit);
    snprintf(key, sizeof(key), "%s/%s.key", TDSPROBE_CERTS, kit);
    pair_run(cfg, "localhost", &so, 0, &s, &res);
    in = tls_session_info(s);
    ok = res.step == TLS_STEP_DONE && in->stage == TLS_STAGE_DONE && in->version == TLS_V12 &&
         in->chain_len == 2 && in->verified_path && in->verify_result == 0;
    tls_session_free(s);
    return ok;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct tls_config_opts o = {
        .min_version = TLS_V10, .max_version = TLS_V12, .ca_file = KIT("ca.pem"),
        .mode = TLS_HANDSHAKE_FULL,
    };
    struct tls_config *own = NULL;
    const struct tls_config *cfg = w->shared;
    char err[200];

    if (cfg == NULL && tls_config_new(&own, &o, err, sizeof(err)) == 0) {
        cfg = own;
    }
    for (int i = 0; i < ROUNDS && cfg != NULL; i++) {
        uint8_t pub[32];

        w->verified += handshake_verified(cfg, w->kit);
        w->keys += tls13_probe_keys(w->random[i], pub) == 0;
    }
    w->drbg = tls__thread_drbg();
    tls_config_free(own);
    return NULL;
}

static void run_two(struct worker w[2])
{
    pthread_t t[2];

    for (int i = 0; i < 2; i++) {
        assert_int_equal(0, pthread_create(&t[i], NULL, work, &w[i]));
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(0, pthread_join(t[i], NULL));
    }
}

static void check_workers(const struct worker w[2])
{
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ROUNDS, w[i].verified);
        assert_int_equal(ROUNDS, w[i].keys);
        assert_non_null(w[i].drbg);
        assert_ptr_not_equal(tls__thread_drbg(), w[i].drbg); /* not the main thread's */
    }
    assert_ptr_not_equal(w[0].drbg, w[1].drbg);
    /* Two generators that shared state by mistake could hand out the same block twice. */
    for (int a = 0; a < ROUNDS; a++) {
        for (int b = 0; b < ROUNDS; b++) {
            assert_true(memcmp(w[0].random[a], w[1].random[b], 32) != 0);
        }
    }
}

/* One config, as a profile is shared: its sessions on two threads each use their own thread's
 * DRBG, which each thread seeds once. */
static void test_shared_config(void **state)
{
    struct tls_config *cfg = client_config(KIT("ca.pem"), 0, 0, TLS_HANDSHAKE_FULL, NULL);
    struct worker w[2] = { { .kit = "good", .shared = cfg }, { .kit = "ecdsa", .shared = cfg } };
    size_t seeded = tls__drbg_seed_count();

    (void)state;
    run_two(w);
    check_workers(w);
    assert_int_equal(seeded + 2, tls__drbg_seed_count());
    tls_config_free(cfg);
}

/* Configs built on two threads at once (each engine builds its own). */
static void test_config_per_thread(void **state)
{
    struct worker w[2] = { { .kit = "ecdsa" }, { .kit = "good" } };

    (void)state;
    run_two(w);
    check_workers(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_config),
        cmocka_unit_test(test_config_per_thread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
