/* tls/tls_rng.c: where every random byte of tls/ comes from.
 *
 * One CTR_DRBG per thread, seeded from an entropy context of its own the first time that thread
 * asks. No two threads ever share generator state, so concurrent use is safe by construction,
 * whether or not mbedTLS was built with MBEDTLS_THREADING_C: several event loops (tdsprobe
 * --threads) run handshakes at once, each drawing from its own thread's DRBG with no lock on
 * the way, and a config shared between threads hands every session the calling thread's DRBG
 * (the config registers tls__random with no context, so nothing thread-specific is stored in
 * it). Per thread rather than per config: seeding costs ~130 us (mbedtls_entropy_init and the
 * first poll of its sources; 100 configs took 13-22 ms when each had its own), and the cipher
 * audit builds one config per (version, suite subset); a thread seeds once.
 *
 * The state lives in thread-local storage and holds no heap memory, so nothing is freed when a
 * thread ends (with MBEDTLS_THREADING_C the init functions also set up a pthread mutex each,
 * which holds no resource on Linux). */
#include "tls/tls_int.h"

#include <stdatomic.h>

#include <mbedtls/entropy.h>

struct thread_rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    bool seeded;
};

static _Thread_local struct thread_rng rng;
static atomic_size_t seed_count;

mbedtls_ctr_drbg_context *tls__thread_drbg(void)
{
    static const unsigned char pers[] = "tdsprobe";

    if (rng.seeded) {
        return &rng.drbg;
    }
    mbedtls_entropy_init(&rng.entropy);
    mbedtls_ctr_drbg_init(&rng.drbg);
    if (mbedtls_ctr_drbg_seed(&rng.drbg, mbedtls_entropy_func, &rng.entropy, pers,
                              sizeof(pers) - 1) != 0) {
        mbedtls_ctr_drbg_free(&rng.drbg);
        mbedtls_entropy_free(&rng.entropy);
        return NULL; /* tried again on the next call */
    }
    rng.seeded = true;
    atomic_fetch_add(&seed_count, 1);
    return &rng.drbg;
}

int tls__random(void *p_rng, unsigned char *out, size_t len)
{
    mbedtls_ctr_drbg_context *drbg = tls__thread_drbg();

    (void)p_rng;
    if (drbg == NULL) {
        return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    }
    return mbedtls_ctr_drbg_random(drbg, out, len);
}

size_t tls__drbg_seed_count(void)
{
    return atomic_load(&seed_count);
}
