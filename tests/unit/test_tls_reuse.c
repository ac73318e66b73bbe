/* tests/unit/test_tls_reuse.c: a config's pool of mbedTLS contexts (tls/tls_ctxpool.c).
 *
 * Sessions of one config run one after another against different servers (the in-process
 * mbedTLS server of test_tls_server.c, with the certificate kit) and different names; a session
 * on a reused context must see only its own server: its own chain, its own SNI (or none), its
 * own verify flags, and offer no session ID or ticket of an earlier one. Also: a context is
 * taken only when the handshake starts, the pool keeps at most TLS_CTXPOOL_MAX, and a thread
 * other than the pool's owner neither takes nor gives. And the chain is parsed once: the
 * sniffer's copy takes mbedTLS's parse, and parses only what mbedTLS did not. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/x509.h>

#include "test_tls_server.h"
#include "tls/tls_cert.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"
#include "tls/tls_session.h"
#include "tls/tls_version.h"

/* One handshake against the kit's case_name server; the session is freed, its info copied out
 * in the fields the tests look at. */
struct seen {
    enum tls_step step;
    char server_sni[256];
    size_t chain_len;
    char leaf_sha256[65];
    char leaf_cn[256];
    bool leaf_parsed;
    bool self_signed;
    char key_type[16];
    bool verified_path;
    uint32_t verify_result;
    enum tls_stage stage;
    bool alert_received;
    char error_text[256];
};

static struct seen handshake(const struct tls_config *cfg, const char *sni, const char *case_name,
                             int server_max)
{
    char cert[256], key[256];
    struct srv_opts so = { .cert = cert, .key = key, .max_version = server_max };
    struct tls_session *s = NULL;
    struct pair_result res;
    const struct tls_info *in;
    struct seen w;

    memset(&w, 0, sizeof(w));
    snprintf(cert, sizeof(cert), "%s/%s.pem", TDSPROBE_CERTS, case_name);
    snprintf(key, sizeof(key), "%s/%s.key", TDSPROBE_CERTS, case_name);
    pair_run(cfg, sni, &so, 0, &s, &res);
    in = tls_session_info(s);
    w.step = res.step;
    snprintf(w.server_sni, sizeof(w.server_sni), "%s", res.server_sni);
    w.chain_len = in->chain_len;
    if (in->chain_len > 0) {
        snprintf(w.leaf_sha256, sizeof(w.leaf_sha256), "%s", in->chain[0].sha256);
        snprintf(w.leaf_cn, sizeof(w.leaf_cn), "%s", in->chain[0].subject_cn);
        snprintf(w.key_type, sizeof(w.key_type), "%s", in->chain[0].key_type);
        w.self_signed = in->chain[0].self_signed;
        w.leaf_parsed = in->chain[0].parsed;
    }
    w.verified_path = in->verified_path;
    w.verify_result = in->verify_result;
    w.stage = in->stage;
    w.alert_received = in->alert_received;
    snprintf(w.error_text, sizeof(w.error_text), "%s", in->error_text);
    tls_session_free(s);
    return w;
}

/* What a ClientHello offers that could carry an earlier session along. */
struct hello {
    size_t session_id_len;
    bool sni;          /* server_name extension (RFC 6066 3) */
    bool ticket;       /* SessionTicket extension (RFC 5077 3.2, type 35) */
};

static uint32_t be(const uint8_t *p, size_t n)
{
    uint32_t v = 0;

    for (size_t i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* RFC 5246 7.4.1.2: record header (5), handshake header (4), client_version (2), random (32),
 * session_id<0..32>, cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>, extensions. */
static struct hello parse_hello(const uint8_t *p, size_t n)
{
    struct hello h = { 0 };
    size_t off = 43, ext_end;

    assert_true(n > off && p[0] == 22 && p[5] == 1);
    h.session_id_len = p[off];
    off += 1 + h.session_id_len;
    assert_true(off + 2 <= n);
    off += 2 + be(p + off, 2);
    assert_true(off + 1 <= n);
    off += 1 + p[off];
    assert_true(off + 2 <= n);
    ext_end = off + 2 + be(p + off, 2);
    assert_true(ext_end <= n);
    for (off += 2; off + 4 <= ext_end; off += 4 + be(p + off + 2, 2)) {
        uint32_t type = be(p + off, 2);

        h.sni = h.sni || type == 0;
        h.ticket = h.ticket || type == 35;
    }
    assert_int_equal(ext_end, off);
    return h;
}

/* The ClientHello a new session of cfg sends; the session is then freed mid-handshake. */
static struct hello first_flight(const struct tls_config *cfg, const char *sni)
{
    struct tls_session *s;
    const uint8_t *p;
    size_t n;
    char err[160];
    struct hello h;

    assert_int_equal(0, tls_session_new(&s, cfg, sni, err, sizeof(err)));
    assert_int_equal(TLS_STEP_WANT_INPUT, tls_session_step(s));
    p = tls_session_out(s, &n);
    assert_non_null(p);
    h = parse_hello(p, n);
    tls_session_free(s);
    return h;
}

static struct tls_config *kit_config(enum tls_handshake_mode mode)
{
    return client_config(KIT("ca.pem"), 0, 0, mode, NULL);
}

/* Full handshakes, one after another on one context: each sees only its own server. */
static void test_reused_context_sees_only_its_server(void **state)
{
    struct tls_config *cfg = kit_config(TLS_HANDSHAKE_FULL);
    struct seen a, c, d, e;
    struct hello h;

    (void)state;
    a = handshake(cfg, "localhost", "good", 0);
    assert_int_equal(TLS_STEP_DONE, a.step);
    assert_string_equal("localhost", a.server_sni);
    assert_int_equal(2, a.chain_len);
    assert_int_equal(0, a.verify_result);
    assert_int_equal(0, tls__ctxpool_reused(cfg));
    assert_int_equal(1, tls__ctxpool_kept(cfg));

    /* the reused context offers no SNI of the last session, no session ID, no ticket */
    h = first_flight(cfg, NULL);
    assert_int_equal(1, tls__ctxpool_reused(cfg));
    assert_int_equal(0, h.session_id_len);
    assert_false(h.sni);
    assert_false(h.ticket);
    h = first_flight(cfg, "db1.contoso.com");
    assert_int_equal(2, tls__ctxpool_reused(cfg));
    assert_true(h.sni);
    assert_int_equal(0, h.session_id_len);

    /* another server, no name: its own self-signed chain, untrusted, and no SNI */
    c = handshake(cfg, NULL, "selfsigned", 0);
    assert_int_equal(3, tls__ctxpool_reused(cfg));
    assert_int_equal(TLS_STEP_DONE, c.step);
    assert_string_equal("", c.server_sni);
    assert_int_equal(1, c.chain_len);
    assert_true(c.self_signed);
    assert_string_not_equal(a.leaf_sha256, c.leaf_sha256);
    assert_true(c.verified_path);
    assert_true(c.verify_result & MBEDTLS_X509_BADCERT_NOT_TRUSTED);

    /* a third name reaches the server as itself */
    d = handshake(cfg, "db1.contoso.com", "wrongcn", 0);
    assert_int_equal(4, tls__ctxpool_reused(cfg));
    assert_string_equal("db1.contoso.com", d.server_sni);
    assert_int_equal(2, d.chain_len);
    assert_int_equal(0, d.verify_result); /* the name is the policy's business, not mbedTLS's */

    /* and the first server again: trusted again, none of the untrusted flags left over */
    e = handshake(cfg, "localhost", "good", 0);
    assert_int_equal(5, tls__ctxpool_reused(cfg));
    assert_string_equal(a.leaf_sha256, e.leaf_sha256);
    assert_int_equal(0, e.verify_result);
    assert_int_equal(TLS_STAGE_DONE, e.stage);
    assert_int_equal(1, tls__ctxpool_kept(cfg));
    tls_config_free(cfg);
}

/* Certificate mode gives its context back mid-handshake (after ServerHelloDone): the next
 * session still starts from the ClientHello and verifies its own chain. */
static void test_certificate_mode_reuse(void **state)
{
    struct tls_config *cfg = kit_config(TLS_HANDSHAKE_CERTIFICATE);
    struct seen a, b, c;

    (void)state;
    a = handshake(cfg, "localhost", "good", 0);
    b = handshake(cfg, "localhost", "ecdsa", 0);
    c = handshake(cfg, NULL, "other-ca", 0);
    assert_int_equal(2, tls__ctxpool_reused(cfg));
    assert_int_equal(TLS_STEP_DONE, a.step);
    assert_string_equal("RSA", a.key_type);
    assert_int_equal(0, a.verify_result);
    assert_int_equal(TLS_STEP_DONE, b.step);
    assert_string_equal("EC", b.key_type);
    assert_string_not_equal(a.leaf_sha256, b.leaf_sha256);
    assert_int_equal(0, b.verify_result);
    assert_int_equal(TLS_STEP_DONE, c.step);
    assert_string_equal("", c.server_sni);
    assert_true(c.verify_result & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    tls_config_free(cfg);
}

/* A failed handshake (the server refuses the client's only version) gives back a context that
 * serves the next session as a new one would. */
static void test_failed_session_reuse(void **state)
{
    struct tls_config *cfg = client_config(KIT("ca.pem"), TLS_V12, TLS_V12, TLS_HANDSHAKE_FULL,
                                           NULL);
    struct seen a, b;
    size_t parses;

    (void)state;
    parses = tls__cert_own_parses();

    a = handshake(cfg, "localhost", "good", TLS_V11);
    assert_int_equal(TLS_STEP_FAILED, a.step);
    /* mbedTLS refused the ServerHello and never read the Certificate: the sniffer parsed it */
    assert_int_equal(parses + 2, tls__cert_own_parses());
    assert_int_equal(2, a.chain_len);
    assert_true(a.leaf_parsed);
    assert_string_equal("localhost", a.leaf_cn);
    assert_true(a.error_text[0] != '\0');
    assert_int_equal(1, tls__ctxpool_kept(cfg));
    b = handshake(cfg, "localhost", "good", 0);
    assert_int_equal(1, tls__ctxpool_reused(cfg));
    assert_int_equal(TLS_STEP_DONE, b.step);
    assert_false(b.alert_received);
    assert_string_equal("", b.error_text);
    assert_int_equal(0, b.verify_result);
    tls_config_free(cfg);
}

/* A session holds a context only from its first step, and the pool keeps TLS_CTXPOOL_MAX. */
static void test_context_taken_at_first_step_and_bounded(void **state)
{
    enum { N = TLS_CTXPOOL_MAX + 6 };
    struct tls_config *cfg = kit_config(TLS_HANDSHAKE_FULL);
    static struct tls_session *s[N];
    char err[160];

    (void)state;
    (void)handshake(cfg, "localhost", "good", 0);
    assert_int_equal(1, tls__ctxpool_kept(cfg));
    assert_int_equal(0, tls_session_new(&s[0], cfg, "localhost", err, sizeof(err)));
    assert_int_equal(1, tls__ctxpool_kept(cfg)); /* new: nothing taken yet */
    assert_int_equal(TLS_STEP_WANT_INPUT, tls_session_step(s[0]));
    assert_int_equal(0, tls__ctxpool_kept(cfg));
    for (size_t i = 1; i < N; i++) {
        assert_int_equal(0, tls_session_new(&s[i], cfg, NULL, err, sizeof(err)));
        assert_int_equal(TLS_STEP_WANT_INPUT, tls_session_step(s[i]));
    }
    for (size_t i = 0; i < N; i++) {
        tls_session_free(s[i]);
    }
    assert_int_equal(TLS_CTXPOOL_MAX, tls__ctxpool_kept(cfg));
    assert_int_equal(1, tls__ctxpool_reused(cfg));
    /* the kept contexts all work */
    for (size_t i = 0; i < TLS_CTXPOOL_MAX; i++) {
        assert_int_equal(0, handshake(cfg, "localhost", "good", 0).verify_result);
    }
    assert_int_equal(1 + TLS_CTXPOOL_MAX, tls__ctxpool_reused(cfg));
    tls_config_free(cfg);
}

struct other_thread {
    const struct tls_config *cfg;
    struct seen seen[3];
};

static void *other_thread_run(void *arg)
{
    struct other_thread *t = arg;

    for (size_t i = 0; i < 3; i++) {
        t->seen[i] = handshake(t->cfg, "localhost", "good", 0);
    }
    return NULL;
}

/* The pool is the first user's thread's: another thread's sessions set up and free their own
 * contexts, and still complete. */
static void test_other_thread_bypasses_pool(void **state)
{
    struct tls_config *cfg = kit_config(TLS_HANDSHAKE_FULL);
    struct other_thread t = { .cfg = cfg };
    pthread_t tid;

    (void)state;
    (void)handshake(cfg, "localhost", "good", 0); /* this thread owns the pool now */
    assert_int_equal(0, pthread_create(&tid, NULL, other_thread_run, &t));
    assert_int_equal(0, pthread_join(tid, NULL));
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(TLS_STEP_DONE, t.seen[i].step);
        assert_int_equal(0, t.seen[i].verify_result);
    }
    assert_int_equal(0, tls__ctxpool_reused(cfg));
    assert_int_equal(1, tls__ctxpool_kept(cfg));
    (void)handshake(cfg, "localhost", "good", 0);
    assert_int_equal(1, tls__ctxpool_reused(cfg));
    tls_config_free(cfg);
}

static void assert_same_cert(const struct tls_cert *a, const struct tls_cert *b)
{
    assert_true(a->parsed && b->parsed);
    assert_string_equal(a->subject, b->subject);
    assert_string_equal(a->issuer, b->issuer);
    assert_string_equal(a->subject_cn, b->subject_cn);
    assert_string_equal(a->serial, b->serial);
    assert_int_equal(a->not_before, b->not_before);
    assert_int_equal(a->not_after, b->not_after);
    assert_string_equal(a->signature_algorithm, b->signature_algorithm);
    assert_int_equal(a->signature_bits, b->signature_bits);
    assert_string_equal(a->key_type, b->key_type);
    assert_int_equal(a->key_bits, b->key_bits);
    assert_string_equal(a->key_curve, b->key_curve);
    assert_int_equal(a->eku, b->eku);
    assert_int_equal(a->key_usage, b->key_usage);
    assert_int_equal(a->is_ca, b->is_ca);
    assert_int_equal(a->self_signed, b->self_signed);
    assert_string_equal(a->sha256, b->sha256);
    assert_int_equal(a->n_san, b->n_san);
    assert_int_equal(a->n_san_total, b->n_san_total);
    for (size_t i = 0; i < a->n_san; i++) {
        assert_string_equal(a->san[i].value, b->san[i].value);
    }
}

/* A chain mbedTLS parsed is not parsed again, and its fields are those of a parse of the DER. */
static void test_chain_parsed_once(void **state)
{
    static const char *const cases[] = { "good", "ecdsa", "selfsigned" };

    (void)state;
    for (size_t m = 0; m < 2; m++) {
        struct tls_config *cfg = kit_config(m == 0 ? TLS_HANDSHAKE_FULL
                                                   : TLS_HANDSHAKE_CERTIFICATE);

        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            char cert[256], key[256];
            struct srv_opts so = { .cert = cert, .key = key };
            struct tls_session *s = NULL;
            struct pair_result res;
            const struct tls_info *in;
            size_t parses = tls__cert_own_parses();

            snprintf(cert, sizeof(cert), "%s/%s.pem", TDSPROBE_CERTS, cases[k]);
            snprintf(key, sizeof(key), "%s/%s.key", TDSPROBE_CERTS, cases[k]);
            pair_run(cfg, "localhost", &so, 0, &s, &res);
            in = tls_session_info(s);
            assert_int_equal(TLS_STEP_DONE, res.step);
            assert_int_equal(parses, tls__cert_own_parses());
            assert_true(in->chain_len >= 1);
            for (size_t i = 0; i < in->chain_len; i++) {
                struct tls_cert again;

                assert_int_equal(0, tls_cert_from_der(&again, in->chain[i].der,
                                                      in->chain[i].der_len));
                assert_same_cert(&in->chain[i], &again);
                tls_cert_clear(&again);
            }
            tls_session_free(s);
        }
        tls_config_free(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reused_context_sees_only_its_server),
        cmocka_unit_test(test_certificate_mode_reuse),
        cmocka_unit_test(test_failed_session_reuse),
        cmocka_unit_test(test_context_taken_at_first_step_and_bounded),
        cmocka_unit_test(test_other_thread_bypasses_pool),
        cmocka_unit_test(test_chain_parsed_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
