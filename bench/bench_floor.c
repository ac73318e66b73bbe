/* bench/bench_floor.c: the floor for the fleet benchmark.
 *
 * A bare mbedTLS 2.28 client and a bare mbedTLS server in one process, over memory buffers,
 * with no tdsprobe code: the kit's RSA-2048 leaf and intermediate (good.pem, good.key), X25519,
 * TLS 1.2 and TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (the suite tdsprobe negotiates with
 * fakesql), the client verifying the chain against ca.pem and the name "localhost". With
 * --leaf ecdsa: the kit's ECDSA P-256 leaf (ecdsa.pem, ecdsa.key; same RSA intermediate) and
 * TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, again what tdsprobe negotiates with fakesql.
 *
 * It measures the client's CPU per handshake (CLOCK_THREAD_CPUTIME_ID around client-side calls
 * only: session setup, every handshake call, free) in two modes:
 *   full         until the client's handshake is over;
 *   certificate  the client stops once ServerHelloDone is parsed (state reaches
 *                MBEDTLS_SSL_CLIENT_CERTIFICATE), before its key exchange.
 * The server's CPU is measured the same way, as a reference (fakesql is OpenSSL, not this).
 * It also reports the heap a client session holds at its peak (glibc mallinfo2, counted over
 * client-side calls only): the memory floor per in-flight handshake.
 *
 * Under valgrind --tool=callgrind --collect-atstart=no, only the client-side calls are
 * collected (CALLGRIND_TOGGLE_COLLECT around the same spans the CPU clock meters), so the
 * instruction count per handshake compares with tdsprobe's (bench/bench_callgrind.sh).
 *
 *   bench_floor --certs DIR [--leaf good|ecdsa] [--mode full|certificate] [--iterations N]
 *               [--warmup N]
 * Prints one line per mode; the fleet script reads the "full" and "certificate" rows. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_internal.h> /* handshake->ecdh_ctx: the curve negotiated */
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

#define PIPE_CAP (64u * 1024u)

/* One direction of the memory transport: bytes [off, len) are queued. */
struct pipe {
    unsigned char buf[PIPE_CAP];
    size_t off;
    size_t len;
};

/* What a peer's BIO reads from and writes to. */
struct end {
    struct pipe *rx;
    struct pipe *tx;
};

struct floor_env {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt chain; /* leaf + intermediate, what the server sends */
    mbedtls_pk_context key;
    mbedtls_ssl_config ccfg;
    mbedtls_ssl_config scfg;
    mbedtls_ssl_context server;
    struct pipe c2s;
    struct pipe s2c;
    struct end cend;
    struct end send_;
    int suites[2];          /* the one suite, by the leaf's key type */
    const char *suite_name;
};

/* Client-side costs of one handshake. */
struct sample {
    double client_ms;
    double server_ms;
    long long heap_peak; /* bytes, net allocations made by client-side calls */
};

enum mode { MODE_FULL, MODE_CERTIFICATE, MODE_BOTH };

/* X25519 for the key exchange; P-256 is offered after it because an mbedTLS server only uses an
 * ECDSA certificate whose curve the client lists (ssl_srv.c, ssl_check_key_curve). */
static const mbedtls_ecp_group_id curves[] = { MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                               MBEDTLS_ECP_DP_NONE };

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct pipe *p = ((struct end *)ctx)->tx;

    if (p->off == p->len) {
        p->off = p->len = 0;
    }
    if (len > PIPE_CAP - p->len) {
        len = PIPE_CAP - p->len;
    }
    if (len == 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    memcpy(p->buf + p->len, buf, len);
    p->len += len;
    return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct pipe *p = ((struct end *)ctx)->rx;
    size_t n = p->len - p->off;

    if (n == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    n = n < len ? n : len;
    memcpy(buf, p->buf + p->off, n);
    p->off += n;
    return (int)n;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long long heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return (long long)mi.uordblks + (long long)mi.hblkhd;
}

static int fail(const char *what, int rc)
{
    char why[128];

    mbedtls_strerror(rc, why, sizeof(why));
    fprintf(stderr, "bench_floor: %s: %s (-0x%04X)\n", what, why, (unsigned)-rc);
    return -1;
}

/* The suite tdsprobe negotiates with fakesql for this leaf's key: ECDHE with AES-256-GCM. */
static void choose_suite(struct floor_env *e)
{
    bool ec = mbedtls_pk_get_type(&e->key) == MBEDTLS_PK_ECKEY;

    e->suites[0] = ec ? MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
                      : MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
    e->suites[1] = 0;
    e->suite_name = mbedtls_ssl_get_ciphersuite_name(e->suites[0]);
}

static int load_files(struct floor_env *e, const char *dir, const char *leaf)
{
    char path[PATH_MAX];
    int rc;

    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    if ((rc = mbedtls_x509_crt_parse_file(&e->ca, path)) != 0) {
        return fail(path, rc);
    }
    snprintf(path, sizeof(path), "%s/%s.pem", dir, leaf);
    if ((rc = mbedtls_x509_crt_parse_file(&e->chain, path)) != 0) {
        return fail(path, rc);
    }
    snprintf(path, sizeof(path), "%s/%s.key", dir, leaf);
    if ((rc = mbedtls_pk_parse_keyfile(&e->key, path, NULL)) != 0) {
        return fail(path, rc);
    }
    choose_suite(e);
    return 0;
}

/* What both configurations share: TLS 1.2 only, the one suite, X25519 first, one DRBG. */
static void conf_common(struct floor_env *e, mbedtls_ssl_config *c)
{
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(c, e->suites);
    mbedtls_ssl_conf_curves(c, curves);
    mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &e->drbg);
    mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
}

static int env_setup(struct floor_env *e, const char *dir, const char *leaf)
{
    static const char pers[] = "bench_floor";
    int rc;

    rc = mbedtls_ctr_drbg_seed(&e->drbg, mbedtls_entropy_func, &e->entropy,
                               (const unsigned char *)pers, sizeof(pers) - 1);
    if (rc != 0) {
        return fail("ctr_drbg_seed", rc);
    }
    if (load_files(e, dir, leaf) != 0) {
        return -1;
    }
    rc = mbedtls_ssl_config_defaults(&e->ccfg, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) {
        rc = mbedtls_ssl_config_defaults(&e->scfg, MBEDTLS_SSL_IS_SERVER,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (rc != 0) {
        return fail("ssl_config_defaults", rc);
    }
    conf_common(e, &e->ccfg);
    conf_common(e, &e->scfg);
    mbedtls_ssl_conf_authmode(&e->ccfg, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&e->ccfg, &e->ca, NULL);
    mbedtls_ssl_conf_authmode(&e->scfg, MBEDTLS_SSL_VERIFY_NONE);
    if ((rc = mbedtls_ssl_conf_own_cert(&e->scfg, &e->chain, &e->key)) != 0) {
        return fail("ssl_conf_own_cert", rc);
    }
    if ((rc = mbedtls_ssl_setup(&e->server, &e->scfg)) != 0) {
        return fail("ssl_setup (server)", rc);
    }
    e->cend = (struct end){ .rx = &e->s2c, .tx = &e->c2s };
    e->send_ = (struct end){ .rx = &e->c2s, .tx = &e->s2c };
    mbedtls_ssl_set_bio(&e->server, &e->send_, bio_send, bio_recv, NULL);
    return 0;
}

static void env_free(struct floor_env *e)
{
    mbedtls_ssl_free(&e->server);
    mbedtls_ssl_config_free(&e->ccfg);
    mbedtls_ssl_config_free(&e->scfg);
    mbedtls_pk_free(&e->key);
    mbedtls_x509_crt_free(&e->chain);
    mbedtls_x509_crt_free(&e->ca);
    mbedtls_ctr_drbg_free(&e->drbg);
    mbedtls_entropy_free(&e->entropy);
}

static bool client_done(const mbedtls_ssl_context *c, enum mode m)
{
    if (m == MODE_CERTIFICATE) {
        return c->state >= MBEDTLS_SSL_CLIENT_CERTIFICATE;
    }
    return c->state == MBEDTLS_SSL_HANDSHAKE_OVER;
}

/* Client-side accounting around one client call. */
struct meter {
    double ms;
    long long heap;
    long long heap_peak;
};

/* The start of a metered span; callgrind collects from here to meter_add. */
static double meter_start(void)
{
    double t0 = now_ms();

    CALLGRIND_TOGGLE_COLLECT;
    return t0;
}

static void meter_add(struct meter *m, double t0, long long h0)
{
    CALLGRIND_TOGGLE_COLLECT;
    m->ms += now_ms() - t0;
    m->heap += heap_in_use() - h0;
    if (m->heap > m->heap_peak) {
        m->heap_peak = m->heap;
    }
}

/* The client moves one call: a step in certificate mode, as far as it can go in full mode. */
static int client_move(mbedtls_ssl_context *c, enum mode m, struct meter *cm)
{
    long long h0 = heap_in_use();
    double t0 = meter_start();
    int rc = 0;

    if (m == MODE_CERTIFICATE) {
        while (rc == 0 && !client_done(c, m)) {
            rc = mbedtls_ssl_handshake_step(c);
        }
    } else {
        rc = mbedtls_ssl_handshake(c);
    }
    meter_add(cm, t0, h0);
    return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : rc;
}

static int server_move(struct floor_env *e, double *ms)
{
    double t0 = now_ms();
    int rc = 0;

    if (e->server.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        rc = mbedtls_ssl_handshake(&e->server);
    }
    *ms += now_ms() - t0;
    return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : rc;
}

/* The suite and curve are the only ones offered: check anyway that they were negotiated. */
static int check_negotiated(const struct floor_env *e, const mbedtls_ssl_context *c)
{
    const mbedtls_ssl_session *s = c->session_negotiate != NULL ? c->session_negotiate
                                                                : c->session;
    const char *name = s != NULL ? mbedtls_ssl_get_ciphersuite_name(s->ciphersuite) : "none";

    if (strcmp(name, e->suite_name) != 0) {
        fprintf(stderr, "bench_floor: negotiated %s, not %s\n", name, e->suite_name);
        return -1;
    }
    if (c->handshake != NULL && c->handshake->ecdh_ctx.grp.id != MBEDTLS_ECP_DP_CURVE25519) {
        fprintf(stderr, "bench_floor: negotiated curve %d, not X25519\n",
                (int)c->handshake->ecdh_ctx.grp.id);
        return -1;
    }
    return 0;
}

/* Drives both ends until the client is done; client setup and free are on the client's bill. */
static int handshake_loop(struct floor_env *e, mbedtls_ssl_context *c, enum mode m,
                          struct meter *cm, double *server_ms)
{
    for (int rounds = 0; !client_done(c, m); rounds++) {
        int rc;

        if (rounds > 100) {
            fprintf(stderr, "bench_floor: handshake makes no progress\n");
            return -1;
        }
        if ((rc = client_move(c, m, cm)) != 0) {
            return fail("client handshake", rc);
        }
        if (client_done(c, m)) {
            break;
        }
        if ((rc = server_move(e, server_ms)) != 0) {
            return fail("server handshake", rc);
        }
    }
    if (mbedtls_ssl_get_verify_result(c) != 0) {
        fprintf(stderr, "bench_floor: the chain did not verify (flags 0x%x)\n",
                mbedtls_ssl_get_verify_result(c));
        return -1;
    }
    return check_negotiated(e, c);
}

static int one_handshake(struct floor_env *e, enum mode m, struct sample *out)
{
    mbedtls_ssl_context c;
    struct meter cm = { 0 };
    double server_ms = 0;
    long long h0;
    double t0;
    int rc;

    /* The server's reset is the server's bill, outside the client's span. */
    e->c2s.off = e->c2s.len = e->s2c.off = e->s2c.len = 0;
    mbedtls_ssl_session_reset(&e->server);
    h0 = heap_in_use();
    t0 = meter_start();
    mbedtls_ssl_init(&c);
    rc = mbedtls_ssl_setup(&c, &e->ccfg);
    if (rc == 0) {
        rc = mbedtls_ssl_set_hostname(&c, "localhost");
    }
    mbedtls_ssl_set_bio(&c, &e->cend, bio_send, bio_recv, NULL);
    meter_add(&cm, t0, h0);
    if (rc != 0) {
        mbedtls_ssl_free(&c);
        return fail("ssl_setup (client)", rc);
    }
    rc = handshake_loop(e, &c, m, &cm, &server_ms);
    h0 = heap_in_use();
    t0 = meter_start();
    mbedtls_ssl_free(&c);
    meter_add(&cm, t0, h0);
    *out = (struct sample){ .client_ms = cm.ms, .server_ms = server_ms,
                            .heap_peak = cm.heap_peak };
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Prints: mode, iterations, client mean/median/p90 ms, server mean ms, client heap peak. */
static int run_mode(struct floor_env *e, enum mode m, int iterations, int warmup)
{
    const char *label = m == MODE_FULL ? "full" : "certificate";
    double *ms = calloc((size_t)iterations, sizeof(*ms));
    double sum = 0, server_sum = 0;
    long long heap = 0;
    struct sample s;

    if (ms == NULL) {
        return -1;
    }
    for (int i = -warmup; i < iterations; i++) {
        if (one_handshake(e, m, &s) != 0) {
            free(ms);
            return -1;
        }
        if (i < 0) {
            continue;
        }
        ms[i] = s.client_ms;
        sum += s.client_ms;
        server_sum += s.server_ms;
        heap = s.heap_peak > heap ? s.heap_peak : heap;
    }
    qsort(ms, (size_t)iterations, sizeof(*ms), cmp_double);
    printf("%-12s %6d %10.3f %10.3f %10.3f %12.3f %12.1f\n", label, iterations,
           sum / iterations, ms[iterations / 2], ms[(iterations * 9) / 10], server_sum / iterations,
           (double)heap / 1024.0);
    free(ms);
    return 0;
}

static int parse_count(const char *s, long min, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > 10000000) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_floor --certs DIR [--leaf good|ecdsa (good)] "
                    "[--mode full|certificate|both (both)]\n"
                    "                   [--iterations N (500)] [--warmup N (20)]\n"
                    "  DIR holds ca.pem, LEAF.pem and LEAF.key (tests/certs/make-certs.sh DIR)\n");
    return 2;
}

static int parse_mode(const char *s, enum mode *out)
{
    static const char *const names[] = { "full", "certificate", "both" };

    for (int i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum mode)i;
            return 0;
        }
    }
    return -1;
}

static int run(struct floor_env *e, enum mode m, int iterations, int warmup)
{
    if (m != MODE_CERTIFICATE && run_mode(e, MODE_FULL, iterations, warmup) != 0) {
        return -1;
    }
    if (m != MODE_FULL && run_mode(e, MODE_CERTIFICATE, iterations, warmup) != 0) {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *leaf = "good";
    enum mode mode = MODE_BOTH;
    int iterations = 500, warmup = 20, rc = 1;
    struct floor_env *e;

    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;

        if (strcmp(argv[i], "--certs") == 0 && more) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--leaf") == 0 && more) {
            leaf = argv[++i];
        } else if (strcmp(argv[i], "--mode") == 0 && more) {
            if (parse_mode(argv[++i], &mode) != 0) {
                return usage();
            }
        } else if (strcmp(argv[i], "--iterations") == 0 && more) {
            if (parse_count(argv[++i], 1, &iterations) != 0) {
                return usage();
            }
        } else if (strcmp(argv[i], "--warmup") == 0 && more) {
            if (parse_count(argv[++i], 0, &warmup) != 0) {
                return usage();
            }
        } else {
            return usage();
        }
    }
    if (dir == NULL) {
        return usage();
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return 1;
    }
    mbedtls_entropy_init(&e->entropy);
    mbedtls_ctr_drbg_init(&e->drbg);
    mbedtls_x509_crt_init(&e->ca);
    mbedtls_x509_crt_init(&e->chain);
    mbedtls_pk_init(&e->key);
    mbedtls_ssl_config_init(&e->ccfg);
    mbedtls_ssl_config_init(&e->scfg);
    mbedtls_ssl_init(&e->server);
    if (env_setup(e, dir, leaf) == 0) {
        printf("bench_floor: mbedTLS %s, bare client + server in one process, %s leaf (%s.pem) + "
               "intermediate, X25519, TLSv1.2 %s, client verifies against ca.pem\n",
               MBEDTLS_VERSION_STRING, mbedtls_pk_get_name(&e->key), leaf, e->suite_name);
        printf("%-12s %6s %10s %10s %10s %12s %12s\n", "mode", "n", "client ms", "median",
               "p90", "server ms", "client KiB");
        if (run(e, mode, iterations, warmup) == 0) {
            rc = 0;
        }
    }
    env_free(e);
    free(e);
    return rc;
}
