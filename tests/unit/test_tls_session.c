/* tests/unit/test_tls_session.c: tls_session against an in-process mbedTLS server, with the
 * certificate kit (tests/certs/make-certs.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/x509.h>

#include "test_tls_server.h"
#include "tls/tls_cert.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_policy.h"
#include "tls/tls_session.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

static struct tls_config *trusting_kit(void)
{
    return client_config(KIT("ca.pem"), 0, 0, TLS_HANDSHAKE_FULL, NULL);
}

/* One handshake as "localhost" against the kit's certificate `case_name` (e.g. "good"), the
 * server otherwise set as *so (NULL: defaults). */
static const struct tls_info *handshake(struct tls_config *cfg, const char *case_name,
                                        const struct srv_opts *so, struct tls_session **s,
                                        struct pair_result *res)
{
    char cert[256], key[256];
    struct srv_opts o = so != NULL ? *so : (struct srv_opts){ 0 };

    snprintf(cert, sizeof(cert), "%s/%s.pem", TDSPROBE_CERTS, case_name);
    snprintf(key, sizeof(key), "%s/%s.key", TDSPROBE_CERTS, case_name);
    o.cert = cert;
    o.key = key;
    pair_run(cfg, "localhost", &o, 0, s, res);
    return tls_session_info(*s);
}

/* A test's one handshake: the run owns its config and frees it with the session. */
struct run {
    struct tls_config *cfg;
    struct tls_session *s;
    struct pair_result res;
    const struct tls_info *in;
};

static const struct tls_info *run_kit(struct run *r, struct tls_config *cfg,
                                      const char *case_name, const struct srv_opts *so)
{
    r->cfg = cfg;
    r->in = handshake(cfg, case_name, so, &r->s, &r->res);
    return r->in;
}

static void run_end(struct run *r)
{
    tls_session_free(r->s);
    tls_config_free(r->cfg);
}

/* A config of exactly these TLS 1.2 suites (0-terminated) trusting the kit's CA. */
static struct tls_config *suites_config(const uint16_t *only)
{
    struct tls_config_opts o = { .min_version = TLS_V12, .max_version = TLS_V12,
                                 .ca_file = KIT("ca.pem"), .ciphersuites = only };
    struct tls_config *cfg = NULL;
    char err[200];

    assert_int_equal(0, tls_config_new(&cfg, &o, err, sizeof(err)));
    return cfg;
}

/* The server answered the ClientHello with a fatal alert: no ServerHello came. */
static void check_fatal_alert(const struct run *r)
{
    assert_int_equal(TLS_STEP_FAILED, r->res.step);
    assert_true(r->in->alert_received);
    assert_int_equal(2, r->in->alert_level);
    assert_false(r->in->local_reject);
    assert_int_equal(TLS_STAGE_CLIENT_HELLO_SENT, r->in->stage);
}

/* The client refused the server's ServerHello version itself, without any alert from it. */
static void check_local_reject(const struct run *r, int version)
{
    assert_int_equal(TLS_STEP_FAILED, r->res.step);
    assert_true(r->in->local_reject);
    assert_int_equal(version, r->in->server_hello_version);
    assert_false(r->in->alert_received);
}

static void test_good_chain(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(&r, trusting_kit(), "good", NULL);
    struct tls_policy_opts po = policy_defaults("localhost");
    struct tls_verdict v;

    (void)state;
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_int_equal(0, r.res.server_ret);
    assert_int_equal(TLS_STAGE_DONE, in->stage);
    assert_string_equal("TLSv1.2", tls_version_name(in->version));
    assert_int_equal(TLS_V12, in->server_hello_version);
    assert_non_null(tls_cipher_name(in->cipher_id));
    assert_string_equal(tls_cipher_name(in->cipher_id), in->cipher);
    assert_true(strncmp(in->cipher, "TLS_ECDHE_RSA_WITH_", 19) == 0);
    assert_int_equal(2, in->chain_len);
    assert_string_equal("localhost", in->chain[0].subject_cn);
    assert_string_equal("tdsprobe kit intermediate CA", in->chain[1].subject_cn);
    assert_true(in->verified_path);
    assert_int_equal(0, in->verify_result);
    assert_int_equal(3, in->verified_len); /* leaf, intermediate, root from ca.pem */
    for (size_t i = 0; i < in->verified_len; i++) {
        assert_int_equal(0, in->verify_flags[i]);
    }
    assert_false(in->alert_received);
    assert_int_equal(0, in->error);
    assert_string_equal("localhost", r.res.server_sni);

    tls_policy_judge(in, &po, &v);
    assert_true(v.pass);
    assert_int_equal(0, v.n);
    po.name = "127.0.0.1";
    tls_policy_judge(in, &po, &v);
    assert_true(v.pass);
    run_end(&r);
}

/* case, name checked, the finding expected first, whether a client passes */
struct kit_case {
    const char *cert;
    const char *name;
    enum tls_finding_code code;
    enum tls_severity sev;
    bool pass;
};

static const struct kit_case kit_cases[] = {
    { "expired", "localhost", TLS_F_EXPIRED, TLS_SEV_ERROR, false },
    { "notyet", "localhost", TLS_F_NOT_YET_VALID, TLS_SEV_ERROR, false },
    { "wrongcn", "localhost", TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, false },
    { "wildcard", "a.b.tdsprobe.test", TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, false },
    { "wildcard", "tdsprobe.test", TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, false },
    { "clientauth", "localhost", TLS_F_NO_SERVER_AUTH_EKU, TLS_SEV_ERROR, false },
    { "nokeyenc", "localhost", TLS_F_BAD_KEY_USAGE, TLS_SEV_WARNING, true },
    { "sha1", "localhost", TLS_F_WEAK_SIGNATURE, TLS_SEV_ERROR, false },
    { "rsa1024", "localhost", TLS_F_WEAK_KEY, TLS_SEV_ERROR, false },
    { "seed", "localhost", TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, false },
};

static void test_kit_cases(void **state)
{
    struct tls_config *cfg = trusting_kit();

    (void)state;
    for (size_t i = 0; i < sizeof(kit_cases) / sizeof(kit_cases[0]); i++) {
        const struct kit_case *k = &kit_cases[i];
        struct tls_session *s;
        struct pair_result res;
        const struct tls_info *in = handshake(cfg, k->cert, NULL, &s, &res);
        struct tls_policy_opts po = policy_defaults(k->name);
        struct tls_verdict v;

        /* VERIFY_OPTIONAL + permissive profile: every case completes and is judged later */
        if (res.step != TLS_STEP_DONE) {
            fail_msg("%s: handshake %d: %s", k->cert, res.step, in->error_text);
        }
        assert_int_equal(0, in->verify_result & 0x04); /* BADCERT_CN_MISMATCH is masked */
        tls_policy_judge(in, &po, &v);
        if (v.n == 0 || v.f[0].code != k->code || v.f[0].severity != k->sev) {
            fail_msg("%s as %s: first finding %s/%s, want %s/%s", k->cert, k->name,
                     v.n ? tls_finding_name(v.f[0].code) : "none",
                     v.n ? tls_severity_name(v.f[0].severity) : "-", tls_finding_name(k->code),
                     tls_severity_name(k->sev));
        }
        assert_int_equal(k->pass, v.pass);
        tls_session_free(s);
    }
    tls_config_free(cfg);
}

/* A completed handshake whose chain the client rules accept as `name` with no finding. */
static void check_clean_pass(const struct run *r, const char *name)
{
    struct tls_policy_opts po = policy_defaults(name);
    struct tls_verdict v;

    assert_int_equal(TLS_STEP_DONE, r->res.step);
    tls_policy_judge(r->in, &po, &v);
    assert_true(v.pass);
    assert_int_equal(0, v.n);
}

static void test_wildcard_matches_one_label(void **state)
{
    struct run r;

    (void)state;
    run_kit(&r, trusting_kit(), "wildcard", NULL);
    check_clean_pass(&r, "db1.tdsprobe.test");
    run_end(&r);
}

static void test_seed_self_signed(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(&r, trusting_kit(), "seed", NULL);
    struct tls_policy_opts po = policy_defaults("localhost");
    struct tls_verdict v;
    int name;

    (void)state;
    assert_int_equal(1, in->chain_len);
    assert_true(in->chain[0].self_signed);
    assert_string_equal("mssql.contoso.com", in->chain[0].subject_cn);
    assert_true(in->verify_result & 0x08); /* MBEDTLS_X509_BADCERT_NOT_TRUSTED */
    tls_policy_judge(in, &po, &v);
    assert_int_equal(TLS_F_UNTRUSTED_CHAIN, v.f[0].code);
    assert_non_null(strstr(v.f[0].message, "self-signed"));
    assert_non_null(strstr(v.f[0].message, "mssql.contoso.com"));
    name = finding_index(&v, TLS_F_NAME_MISMATCH);
    assert_int_equal(1, name);
    assert_non_null(strstr(v.f[name].message, "\"localhost\""));
    assert_non_null(strstr(v.f[name].message, "CN=mssql.contoso.com"));
    assert_true(finding_index(&v, TLS_F_SELF_SIGNED) > name);
    run_end(&r);
}

static void test_other_ca_untrusted(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(
        &r, client_config(KIT("other-ca.pem"), 0, 0, TLS_HANDSHAKE_FULL, NULL), "good", NULL);
    struct tls_policy_opts po = policy_defaults("localhost");
    struct tls_verdict v;

    (void)state;
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    tls_policy_judge(in, &po, &v);
    assert_false(v.pass);
    assert_int_equal(1, v.n);
    assert_int_equal(TLS_F_UNTRUSTED_CHAIN, v.f[0].code);
    assert_int_equal(1, v.f[0].cert); /* the intermediate's issuer is the unknown authority */
    assert_non_null(strstr(v.f[0].message, "tdsprobe kit root CA"));
    run_end(&r);
}

static void test_no_ca_untrusted(void **state)
{
    struct run r;
    const struct tls_info *in =
        run_kit(&r, client_config(NULL, 0, 0, TLS_HANDSHAKE_FULL, NULL), "good", NULL);
    struct tls_policy_opts po = policy_defaults("localhost");
    struct tls_verdict v;

    (void)state;
    assert_int_equal(0, tls_config_ca_count(r.cfg));
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    tls_policy_judge(in, &po, &v);
    assert_int_equal(TLS_F_UNTRUSTED_CHAIN, v.f[0].code);
    po.check_trust = false; /* TrustServerCertificate=true: it would connect */
    tls_policy_judge(in, &po, &v);
    assert_true(v.pass);
    assert_int_equal(TLS_SEV_WARNING, v.f[0].severity);
    run_end(&r);
}

static void test_bigchain_captured_whole(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(&r, trusting_kit(), "bigchain", NULL);
    size_t total = 0;

    (void)state;
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_int_equal(3, in->chain_len);
    for (size_t i = 0; i < in->chain_len; i++) {
        assert_true(in->chain[i].parsed);
        total += in->chain[i].der_len;
    }
    assert_true(total > 4096);
    assert_int_equal(4096, in->chain[0].key_bits);
    assert_int_equal(44, in->chain[0].n_san_total);
    assert_int_equal(TLS_MAX_SAN, in->chain[0].n_san);
    assert_int_equal(0, in->verify_result);
    run_end(&r);
}

static void test_bigchain_byte_by_byte(void **state)
{
    struct tls_config *cfg = trusting_kit();
    struct srv_opts so = { .cert = KIT("bigchain.pem"), .key = KIT("bigchain.key") };
    struct tls_session *s;
    struct pair_result res;
    const struct tls_info *in;

    (void)state;
    pair_run(cfg, "localhost", &so, 1, &s, &res); /* records and messages split everywhere */
    in = tls_session_info(s);
    assert_int_equal(TLS_STEP_DONE, res.step);
    assert_int_equal(3, in->chain_len);
    assert_string_equal("localhost", in->chain[0].subject_cn);
    tls_session_free(s);
    tls_config_free(cfg);
}

/* ---- a Certificate message split across records (mbedTLS 2.28 does not reassemble it) ---- */

struct flight {
    uint8_t *p;
    size_t n;
};

static void fl_put(struct flight *f, const void *p, size_t n)
{
    f->p = realloc(f->p, f->n + n);
    assert_non_null(f->p);
    memcpy(f->p + f->n, p, n);
    f->n += n;
}

static void fl_u24(struct flight *f, size_t v)
{
    uint8_t b[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

    fl_put(f, b, 3);
}

/* ServerHello (TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256), Certificate (hugesan + intermediate),
 * ServerHelloDone, as records of at most 16384 bytes; *cert_len is the Certificate body. */
static struct flight split_flight(size_t *cert_len)
{
    static const uint8_t sh_head[] = { 2, 0, 0, 38, 3, 3 };
    static const uint8_t sh_tail[] = { 0, 0xC0, 0x2F, 0 };
    static const uint8_t done[] = { 14, 0, 0, 0 };
    uint8_t random[32] = { 0 };
    size_t leaf_len, int_len;
    uint8_t *leaf = pem_first_der(KIT("hugesan.pem"), &leaf_len);
    uint8_t *inter = pem_first_der(KIT("int.pem"), &int_len);
    struct flight hs = { 0 }, wire = { 0 };

    assert_non_null(leaf);
    assert_non_null(inter);
    fl_put(&hs, sh_head, sizeof(sh_head));
    fl_put(&hs, random, sizeof(random));
    fl_put(&hs, sh_tail, sizeof(sh_tail));
    *cert_len = 3 + 3 + leaf_len + 3 + int_len;
    fl_put(&hs, (const uint8_t[]){ 11 }, 1);
    fl_u24(&hs, *cert_len);
    fl_u24(&hs, *cert_len - 3);
    fl_u24(&hs, leaf_len);
    fl_put(&hs, leaf, leaf_len);
    fl_u24(&hs, int_len);
    fl_put(&hs, inter, int_len);
    fl_put(&hs, done, sizeof(done));
    for (size_t off = 0; off < hs.n; off += 16384) {
        size_t k = hs.n - off < 16384 ? hs.n - off : 16384;
        uint8_t hdr[5] = { 22, 3, 3, (uint8_t)(k >> 8), (uint8_t)k };
        fl_put(&wire, hdr, sizeof(hdr));
        fl_put(&wire, hs.p + off, k);
    }
    free(leaf);
    free(inter);
    free(hs.p);
    return wire;
}

/* Feeds n bytes of the flight in pieces of chunk bytes, stepping after each, as the probe does
 * (TDS 7.x: one TDS packet at a time; strict: whatever one read brought). */
static enum tls_step feed_flight(struct tls_session *s, const struct flight *f, size_t n,
                                 size_t chunk)
{
    enum tls_step st = tls_session_step(s);
    size_t out;

    for (size_t off = 0; off < n && st == TLS_STEP_WANT_INPUT; off += chunk) {
        assert_int_equal(0, tls_session_feed(s, f->p + off, n - off < chunk ? n - off : chunk));
        st = tls_session_step(s);
        (void)tls_session_out(s, &out);
        tls_session_out_ack(s, out);
    }
    return st;
}

static void test_split_certificate_message(void **state)
{
    static const size_t chunks[] = { 4096, 65536 };
    struct tls_config *cfg = trusting_kit();
    struct tls_config *no_ca = client_config(NULL, 0, 0, TLS_HANDSHAKE_FULL, NULL);
    size_t cert_len;
    struct flight f = split_flight(&cert_len);
    struct tls_session *s;
    const struct tls_info *in;
    char err[200];

    (void)state;
    assert_true(cert_len > 16384);
    /* in TDS packets (the sniffer still inside the message when mbedTLS stops) and in one
     * piece (the sniffer already has all of it) */
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(0, tls_session_new(&s, cfg, "localhost", err, sizeof(err)));
        assert_int_equal(TLS_STEP_FAILED, feed_flight(s, &f, f.n, chunks[i]));
        in = tls_session_info(s);
        assert_int_equal(11, in->split_type);
        assert_int_equal(cert_len, in->split_len);
        assert_int_equal(-0x7080, in->error); /* MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE */
        assert_non_null(strstr(in->error_text, "Certificate message"));
        assert_non_null(strstr(in->error_text, "is split across TLS records"));
        assert_int_equal(2, in->chain_len); /* captured from the records, and verified */
        assert_string_equal("localhost", in->chain[0].subject_cn);
        assert_int_equal(604, in->chain[0].n_san_total);
        assert_true(in->verified_path);
        assert_int_equal(0, in->verify_result);
        assert_true(in->stage >= TLS_STAGE_CERTIFICATE);
        assert_true(in->split_whole);
        tls_session_free(s);
    }

    /* without the root the same chain is untrusted, as a handshake would have found */
    assert_int_equal(0, tls_session_new(&s, no_ca, "localhost", err, sizeof(err)));
    assert_int_equal(TLS_STEP_FAILED, feed_flight(s, &f, f.n, 4096));
    in = tls_session_info(s);
    assert_true(in->verified_path);
    assert_true(in->verify_result & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    tls_session_free(s);

    /* the server stops half-way: the session waits, then ends when the transport closes */
    assert_int_equal(0, tls_session_new(&s, cfg, "localhost", err, sizeof(err)));
    assert_int_equal(TLS_STEP_WANT_INPUT, feed_flight(s, &f, 20000, 4096));
    assert_int_equal(11, tls_session_info(s)->split_type);
    tls_session_peer_closed(s, false);
    assert_int_equal(TLS_STEP_FAILED, tls_session_step(s));
    in = tls_session_info(s);
    assert_int_equal(0, in->chain_len);
    assert_false(in->verified_path);
    assert_false(in->split_whole);
    assert_non_null(strstr(in->error_text, "the server stopped before its end"));
    tls_session_free(s);
    free(f.p);
    tls_config_free(cfg);
    tls_config_free(no_ca);
}

static void test_ecdsa_leaf(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(&r, trusting_kit(), "ecdsa", NULL);

    (void)state;
    assert_string_equal("EC", in->chain[0].key_type);
    assert_string_equal("secp256r1", in->chain[0].key_curve);
    assert_int_equal(256, in->chain[0].key_bits);
    assert_true(strncmp(in->cipher, "TLS_ECDHE_ECDSA_WITH_", 21) == 0);
    check_clean_pass(&r, "localhost");
    run_end(&r);
}

static struct tls_config *certificate_mode_kit(void)
{
    return client_config(KIT("ca.pem"), 0, 0, TLS_HANDSHAKE_CERTIFICATE, NULL);
}

static void test_certificate_mode_stops_early(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(&r, certificate_mode_kit(), "good", NULL);
    size_t pending;

    (void)state;
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in->stage);
    assert_true(r.res.client_bytes > 0);                /* the ClientHello */
    assert_int_equal(0, r.res.client_bytes_after_flight); /* no ClientKeyExchange */
    assert_null(tls_session_out(r.s, &pending));
    assert_int_equal(0, pending);
    assert_int_equal(2, in->chain_len);
    assert_true(in->verified_path);
    assert_int_equal(0, in->verify_result);
    assert_string_equal("TLSv1.2", tls_version_name(in->version));
    assert_int_equal(TLS_STEP_DONE, tls_session_step(r.s)); /* sticky */
    run_end(&r);
}

static void test_certificate_mode_bad_chain_still_done(void **state)
{
    struct run r;
    const struct tls_info *in = run_kit(&r, certificate_mode_kit(), "expired", NULL);

    (void)state;
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_true(in->verify_flags[0] & 0x01); /* MBEDTLS_X509_BADCERT_EXPIRED */
    assert_int_equal(0, r.res.client_bytes_after_flight);
    run_end(&r);
}

/* A CertificateRequest would make mbedTLS queue an empty client Certificate next: certificate
 * mode stops before that, so still nothing of ours follows the server's flight. */
static void test_certificate_mode_with_certificate_request(void **state)
{
    static const struct srv_opts so = { .ask_client_cert = true };
    static const uint8_t late[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
    struct run r;
    const struct tls_info *in = run_kit(&r, certificate_mode_kit(), "good", &so);

    (void)state;
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_int_equal(0, r.res.client_bytes_after_flight);
    assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in->stage);
    /* the result is final: a late alert is neither kept nor reported */
    assert_int_equal(0, tls_session_feed(r.s, late, sizeof(late)));
    assert_int_equal(TLS_STEP_DONE, tls_session_step(r.s));
    assert_false(in->alert_received);
    run_end(&r);
}

static void test_full_handshake_with_certificate_request(void **state)
{
    static const struct srv_opts so = { .ask_client_cert = true };
    struct run r;

    (void)state;
    run_kit(&r, trusting_kit(), "good", &so);
    assert_int_equal(TLS_STEP_DONE, r.res.step); /* we answer with no certificate */
    assert_int_equal(0, r.res.server_ret);
    assert_int_equal(TLS_STAGE_DONE, r.in->stage);
    run_end(&r);
}

static void test_server_alert_protocol_version(void **state)
{
    static const struct srv_opts so = { .min_version = TLS_V12, .max_version = TLS_V12 };
    struct run r;
    const struct tls_info *in = run_kit(
        &r, client_config(KIT("ca.pem"), TLS_V10, TLS_V11, TLS_HANDSHAKE_FULL, NULL), "good", &so);

    (void)state;
    check_fatal_alert(&r);
    assert_true(in->alert_description == 70 || in->alert_description == 40);
    assert_non_null(strstr(in->error_text, tls_alert_name(in->alert_description)));
    assert_int_equal(0, in->chain_len);
    run_end(&r);
}

static void test_server_too_old_local_reject(void **state)
{
    static const struct srv_opts so = { .min_version = TLS_V10, .max_version = TLS_V10 };
    struct run r;
    const struct tls_info *in = run_kit(
        &r, client_config(KIT("ca.pem"), TLS_V12, TLS_V12, TLS_HANDSHAKE_FULL, NULL), "good", &so);

    (void)state;
    check_local_reject(&r, TLS_V10);
    assert_true(in->error < 0);
    assert_non_null(strstr(in->error_text, "TLSv1.0"));
    assert_int_equal(TLS_STAGE_SERVER_HELLO_DONE, in->stage); /* the whole flight came */
    run_end(&r);
}

static void test_old_versions_handshake(void **state)
{
    struct tls_config *cfg = client_config(KIT("ca.pem"), TLS_V10, TLS_V12, TLS_HANDSHAKE_FULL,
                                           NULL);

    (void)state;
    for (int v = TLS_V10; v <= TLS_V11; v++) {
        struct srv_opts so = { .min_version = v, .max_version = v };
        struct tls_session *s;
        struct pair_result res;
        const struct tls_info *in = handshake(cfg, "good", &so, &s, &res);

        assert_int_equal(TLS_STEP_DONE, res.step);
        assert_int_equal(v, in->version);
        assert_string_equal(v == TLS_V10 ? "TLSv1.0" : "TLSv1.1", tls_version_name(in->version));
        assert_true(strstr(in->cipher, "_CBC_SHA") != NULL); /* no AEAD before TLS 1.2 */
        assert_int_equal(0, in->verify_result);
        tls_session_free(s);
    }
    tls_config_free(cfg);
}

static void test_peer_closed_after_client_hello(void **state)
{
    struct tls_config *cfg = trusting_kit();
    struct tls_session *s;
    char err[128];
    size_t n;
    const struct tls_info *in;

    (void)state;
    assert_int_equal(0, tls_session_new(&s, cfg, "localhost", err, sizeof(err)));
    assert_int_equal(TLS_STEP_WANT_INPUT, tls_session_step(s));
    assert_non_null(tls_session_out(s, &n));
    assert_true(n > 40);
    assert_int_equal(0x16, tls_session_out(s, &n)[0]); /* a handshake record */
    tls_session_out_ack(s, n);
    tls_session_peer_closed(s, true);
    assert_int_equal(TLS_STEP_FAILED, tls_session_step(s));
    in = tls_session_info(s);
    assert_true(in->peer_closed);
    assert_true(in->peer_reset);
    assert_int_equal(TLS_STAGE_CLIENT_HELLO_SENT, in->stage);
    assert_false(in->local_reject);
    assert_non_null(strstr(in->error_text, "reset"));
    assert_non_null(strstr(in->error_text, "ClientHello"));
    tls_session_free(s);
    tls_config_free(cfg);
}

static void test_alpn(void **state)
{
    static const struct srv_opts so = { .alpn = "tds/8.0" };
    struct run r;

    (void)state;
    run_kit(&r, client_config(KIT("ca.pem"), 0, 0, TLS_HANDSHAKE_FULL, "tds/8.0"), "good", &so);
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_string_equal("tds/8.0", r.in->alpn);
    run_end(&r);
}

static void test_no_sni_for_ip_literals(void **state)
{
    struct tls_config *cfg = trusting_kit();
    struct srv_opts so = { .cert = KIT("good.pem"), .key = KIT("good.key") };
    const char *names[] = { "127.0.0.1", "::1", "[::1]", "", NULL };
    struct tls_session *s;
    struct pair_result res;

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        pair_run(cfg, names[i], &so, 0, &s, &res);
        assert_int_equal(TLS_STEP_DONE, res.step);
        assert_string_equal("", res.server_sni);
        tls_session_free(s);
    }
    pair_run(cfg, "db1.tdsprobe.test", &so, 0, &s, &res);
    assert_string_equal("db1.tdsprobe.test", res.server_sni);
    tls_session_free(s);
    tls_config_free(cfg);
}

static void test_chosen_suite(void **state)
{
    static const uint16_t only[] = { 0x009C, 0 }; /* TLS_RSA_WITH_AES_128_GCM_SHA256 */
    struct run r;

    (void)state;
    run_kit(&r, suites_config(only), "good", NULL);
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_int_equal(0x009C, r.in->cipher_id);
    assert_string_equal("TLS_RSA_WITH_AES_128_GCM_SHA256", r.in->cipher);
    run_end(&r);
}

static void test_no_common_suite(void **state)
{
    static const uint16_t only[] = { 0x009C, 0 };
    static const int srv_suites[] = { 0xC02F, 0 }; /* ECDHE-RSA only */
    static const struct srv_opts so = { .suites = srv_suites };
    struct run r;

    (void)state;
    run_kit(&r, suites_config(only), "good", &so);
    check_fatal_alert(&r);
    assert_int_equal(40, r.in->alert_description); /* handshake_failure */
    run_end(&r);
}

static void test_feed_bound(void **state)
{
    struct tls_config *cfg = trusting_kit();
    struct tls_session *s;
    char err[128];
    uint8_t *big = calloc(1, 70000);

    (void)state;
    assert_non_null(big);
    assert_int_equal(0, tls_session_new(&s, cfg, NULL, err, sizeof(err)));
    assert_int_equal(0, tls_session_feed(s, big, 65536));
    assert_int_equal(-1, tls_session_feed(s, big, 1));
    tls_session_free(s);
    assert_int_equal(0, tls_session_new(&s, cfg, NULL, err, sizeof(err)));
    assert_int_equal(-1, tls_session_feed(s, big, 70000));
    /* garbage instead of a server: a clean failure, not a hang */
    assert_int_equal(TLS_STEP_WANT_INPUT, tls_session_step(s));
    assert_int_equal(0, tls_session_feed(s, big, 100));
    assert_int_equal(TLS_STEP_FAILED, tls_session_step(s));
    assert_true(tls_session_info(s)->local_reject);
    assert_true(tls_session_info(s)->error_text[0] != '\0');
    tls_session_free(s);
    free(big);
    tls_config_free(cfg);
}

/* ---- hello mode (cipher audits: one connection per suite, stop at the ServerHello) ---- */

static struct tls_config *hello_config(int min, int max, const uint16_t *suites)
{
    struct tls_config_opts o = { .min_version = min, .max_version = max,
                                 .ciphersuites = suites, .mode = TLS_HANDSHAKE_HELLO };
    struct tls_config *cfg = NULL;
    char err[200];

    if (tls_config_new(&cfg, &o, err, sizeof(err)) != 0) {
        fail_msg("tls_config_new: %s", err);
    }
    return cfg;
}

static void check_hello_done(struct tls_session *s, const struct pair_result *res, int version)
{
    const struct tls_info *in = tls_session_info(s);
    size_t pending;

    assert_int_equal(TLS_STEP_DONE, res->step);
    assert_int_equal(TLS_STAGE_SERVER_HELLO, in->stage);
    assert_int_equal(version, in->version);
    assert_int_equal(version, in->server_hello_version);
    assert_true(in->cipher_id != 0);
    assert_non_null(tls_cipher_name(in->cipher_id));
    assert_string_equal(tls_cipher_name(in->cipher_id), in->cipher);
    assert_int_equal(0, in->chain_len);      /* never parsed in hello mode */
    assert_false(in->verified_path);
    assert_int_equal(0, res->client_bytes_after_flight); /* nothing after the ClientHello */
    assert_null(tls_session_out(s, &pending));
    assert_int_equal(TLS_STEP_DONE, tls_session_step(s)); /* sticky */
    assert_int_equal(0, in->error);
}

static void test_hello_mode_done_at_server_hello(void **state)
{
    struct tls_config *cfg = hello_config(TLS_V10, TLS_V12, NULL);
    struct srv_opts so = { .cert = KIT("good.pem"), .key = KIT("good.key") };
    struct tls_session *s;
    struct pair_result res;

    (void)state;
    pair_run(cfg, "localhost", &so, 0, &s, &res);
    check_hello_done(s, &res, TLS_V12);
    assert_true(strncmp(tls_session_info(s)->cipher, "TLS_ECDHE_RSA_WITH_", 19) == 0);
    tls_session_free(s);
    /* split everywhere: the same answer */
    pair_run(cfg, "localhost", &so, 1, &s, &res);
    check_hello_done(s, &res, TLS_V12);
    tls_session_free(s);
    tls_config_free(cfg);
}

static const struct srv_opts tls10_only = { .min_version = TLS_V10, .max_version = TLS_V10 };

static void test_hello_mode_old_version(void **state)
{
    struct run r;

    (void)state;
    run_kit(&r, hello_config(TLS_V10, TLS_V12, NULL), "good", &tls10_only);
    check_hello_done(r.s, &r.res, TLS_V10);
    run_end(&r);
}

/* Two inputs a clean-machine fuzz run found (tests/data/findings): hello mode fed a server
 * flight whose ServerHello sits in an alert record, followed by handshake records with a chain,
 * in chunks of 4,096 and 16,389 bytes; then the transport closes. The session must end (a
 * closed transport ends the handshake) and, in hello mode, never hold a chain nor report a
 * stage past the ServerHello. */
static void run_finding(const char *name)
{
    static const size_t chunks[] = { 1, 5, 64, 517, 4096, 16389, 65536 };
    char path[512];
    uint8_t buf[65536];
    FILE *f;
    size_t size;

    snprintf(path, sizeof(path), "%s/findings/%s", TDSPROBE_TEST_DATA, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    size = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(size > 1);
    assert_true((buf[0] & 0x80) != 0); /* the fuzz target's hello-mode bit */

    struct tls_config *cfg = hello_config(TLS_V10, TLS_V12, NULL);
    struct tls_session *s;
    char err[200];
    size_t chunk = chunks[(buf[0] >> 1) % (sizeof(chunks) / sizeof(chunks[0]))], off = 1, n;

    assert_int_equal(0, tls_session_new(&s, cfg, "db1.contoso.com", err, sizeof(err)));
    enum tls_step st = tls_session_step(s);
    while (st == TLS_STEP_WANT_INPUT && off < size) {
        size_t k = size - off < chunk ? size - off : chunk;
        if (tls_session_feed(s, buf + off, k) != 0) {
            break;
        }
        off += k;
        st = tls_session_step(s);
        (void)tls_session_out(s, &n);
        tls_session_out_ack(s, n);
    }
    if (st == TLS_STEP_WANT_INPUT) {
        tls_session_peer_closed(s, false);
        st = tls_session_step(s);
    }
    assert_int_not_equal(TLS_STEP_WANT_INPUT, st);
    assert_int_equal(0, tls_session_info(s)->chain_len);
    assert_true(tls_session_info(s)->stage <= TLS_STAGE_SERVER_HELLO);
    tls_session_free(s);
    tls_config_free(cfg);
}

static void test_finding_closed_transport(void **state)
{
    (void)state;
    run_finding("fuzz_tls_session-closed-transport-1.bin");
    run_finding("fuzz_tls_session-closed-transport-2.bin");
}

/* One config per suite, as the audit does: each lands on exactly the suite offered, including
 * the ones mbedTLS withholds by default (3DES, and RC4, which must be switched on to be sent). */
static void test_hello_mode_per_suite(void **state)
{
    static const uint16_t probe[] = { 0xC02F, 0xC030, 0x009C, 0x0035, 0xCCA8, 0x000A, 0x0005 };
    static const int srv_suites[] = { 0xC02F, 0xC030, 0x009C, 0x0035, 0xCCA8, 0x000A, 0x0005,
                                      0 };
    struct srv_opts so = { .cert = KIT("good.pem"), .key = KIT("good.key"),
                           .suites = srv_suites, .arc4 = true };

    (void)state;
    for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
        const uint16_t only[] = { probe[i], 0 };
        struct tls_config *cfg = hello_config(TLS_V12, TLS_V12, only);
        struct tls_session *s;
        struct pair_result res;

        pair_run(cfg, "localhost", &so, 0, &s, &res);
        if (res.step != TLS_STEP_DONE) {
            fail_msg("0x%04X: %s", probe[i], tls_session_info(s)->error_text);
        }
        check_hello_done(s, &res, TLS_V12);
        assert_int_equal(probe[i], tls_session_info(s)->cipher_id);
        tls_session_free(s);
        tls_config_free(cfg);
    }
}

static void test_hello_mode_no_shared_suite(void **state)
{
    static const uint16_t only[] = { 0x009C, 0 };
    static const int srv_suites[] = { 0xC02F, 0 };
    static const struct srv_opts so = { .suites = srv_suites };
    struct run r;
    const struct tls_info *in = run_kit(&r, hello_config(TLS_V12, TLS_V12, only), "good", &so);

    (void)state;
    check_fatal_alert(&r);
    assert_int_equal(40, in->alert_description); /* handshake_failure */
    assert_int_equal(0, in->cipher_id);
    assert_non_null(strstr(in->error_text, "handshake_failure"));
    run_end(&r);
}

static void test_hello_mode_version_refused(void **state)
{
    struct run r;
    const struct tls_info *in =
        run_kit(&r, hello_config(TLS_V12, TLS_V12, NULL), "good", &tls10_only);

    (void)state;
    check_local_reject(&r, TLS_V10);
    assert_int_equal(TLS_STAGE_SERVER_HELLO, in->stage); /* the sniffer stopped there */
    assert_int_equal(0, in->chain_len);
    run_end(&r);
}

/* ---- application data (TDS 8.0 strict) ---- */

/* Reads until n bytes came or the session says "need more" with nothing pending. */
static size_t client_read_all(struct tls_session *s, uint8_t *buf, size_t cap)
{
    size_t have = 0, got;

    do {
        assert_int_equal(0, tls_session_read(s, buf + have, cap - have, &got));
        have += got;
    } while (got > 0 && have < cap);
    return have;
}

/* A completed handshake kept open for application data: the app owns config and pair. */
struct app {
    struct tls_config *cfg;
    struct pair *p;
    struct tls_session *s;
    struct pair_result res;
};

/* Opens cfg against the kit's "good" certificate; greeting as in struct srv_opts. */
static struct tls_session *app_open(struct app *a, struct tls_config *cfg, const char *greeting)
{
    struct srv_opts so = { .cert = KIT("good.pem"), .key = KIT("good.key"),
                           .greeting = greeting };

    a->cfg = cfg;
    a->p = pair_open(cfg, "localhost", &so, 0, &a->res);
    a->s = pair_client(a->p);
    return a->s;
}

static void app_close(struct app *a)
{
    pair_close(a->p);
    tls_config_free(a->cfg);
}

static void test_app_data_echo(void **state)
{
    struct app a;
    struct tls_session *s = app_open(&a, trusting_kit(), NULL);
    uint8_t buf[64];
    size_t got, n;

    (void)state;
    assert_int_equal(TLS_STEP_DONE, a.res.step);
    assert_int_equal(0, tls_session_read(s, buf, sizeof(buf), &got)); /* nothing yet */
    assert_int_equal(0, got);
    assert_int_equal(0, tls_session_write(s, (const uint8_t *)"hello", 5));
    assert_non_null(tls_session_out(s, &n));
    assert_true(n > 5);
    assert_int_equal(0x17, tls_session_out(s, &n)[0]); /* an application_data record */
    got = pair_server_read(a.p, buf, sizeof(buf));
    assert_int_equal(5, got);
    assert_memory_equal("hello", buf, 5);
    pair_server_write(a.p, buf, got);
    assert_true(pair_to_client(a.p, 0) > 5);
    assert_int_equal(5, client_read_all(s, buf, sizeof(buf)));
    assert_memory_equal("hello", buf, 5);
    assert_int_equal(TLS_STEP_DONE, tls_session_step(s));
    app_close(&a);
}

static void test_app_data_close_notify(void **state)
{
    struct app a;
    struct tls_session *s = app_open(&a, trusting_kit(), NULL);
    const struct tls_info *in = tls_session_info(s);
    uint8_t buf[64];
    size_t got;

    (void)state;
    assert_int_equal(TLS_STEP_DONE, a.res.step);
    pair_server_close_notify(a.p);
    pair_to_client(a.p, 0);
    assert_int_equal(-1, tls_session_read(s, buf, sizeof(buf), &got));
    assert_int_equal(0, got);
    assert_true(in->alert_received);
    assert_int_equal(1, in->alert_level);
    assert_int_equal(0, in->alert_description); /* close_notify */
    assert_true(in->error < 0);
    assert_non_null(strstr(in->error_text, "close_notify"));
    assert_non_null(strstr(in->error_text, "handshake complete"));
    assert_int_equal(TLS_STEP_FAILED, tls_session_step(s)); /* the session is over */
    assert_int_equal(-1, tls_session_write(s, (const uint8_t *)"x", 1));
    assert_non_null(strstr(in->error_text, "close_notify")); /* the diagnosis survives */
    app_close(&a);
}

static void test_app_data_transport_closed(void **state)
{
    struct app a;
    struct tls_session *s = app_open(&a, trusting_kit(), NULL);
    uint8_t buf[16];
    size_t got;

    (void)state;
    tls_session_peer_closed(s, true);
    assert_int_equal(-1, tls_session_read(s, buf, sizeof(buf), &got));
    assert_true(tls_session_info(s)->peer_reset);
    assert_false(tls_session_info(s)->alert_received);
    assert_non_null(strstr(tls_session_info(s)->error_text, "reset"));
    app_close(&a);
}

/* A large message in several records, and a reply fed one byte at a time. */
static void test_app_data_large_and_split(void **state)
{
    struct app a;
    struct tls_session *s = app_open(&a, trusting_kit(), NULL);
    size_t big = 40000, have = 0;
    uint8_t *msg = malloc(big), *back = malloc(big);

    (void)state;
    assert_non_null(msg);
    assert_non_null(back);
    for (size_t i = 0; i < big; i++) {
        msg[i] = (uint8_t)(i * 7 + 3);
    }
    assert_int_equal(0, tls_session_write(s, msg, big));
    while (have < big) {
        size_t got = pair_server_read(a.p, back + have, big - have);

        assert_true(got > 0);
        have += got;
    }
    assert_memory_equal(msg, back, big);
    pair_server_write(a.p, msg, 3000);
    pair_to_client(a.p, 1);
    memset(back, 0, big);
    assert_int_equal(3000, client_read_all(s, back, big));
    assert_memory_equal(msg, back, 3000);
    free(msg);
    free(back);
    app_close(&a);
}

/* Application data in the same read as the server's Finished is kept for tls_session_read. */
static void test_app_data_with_finished(void **state)
{
    struct app a;
    struct tls_session *s = app_open(&a, trusting_kit(), "early words");
    uint8_t buf[64];

    (void)state;
    assert_int_equal(TLS_STEP_DONE, a.res.step);
    assert_int_equal(11, client_read_all(s, buf, sizeof(buf)));
    assert_memory_equal("early words", buf, 11);
    app_close(&a);
}

static void test_app_data_output_bound(void **state)
{
    struct app a;
    struct tls_session *s = app_open(&a, trusting_kit(), NULL);
    uint8_t *big = calloc(1, 70000);
    size_t n;

    (void)state;
    assert_non_null(big);
    assert_int_equal(-1, tls_session_write(s, big, 70000)); /* more than the output holds */
    assert_null(tls_session_out(s, &n));                    /* and nothing was written */
    assert_non_null(strstr(tls_session_info(s)->error_text, "70000"));
    assert_int_equal(0, tls_session_write(s, big, 40000));
    assert_int_equal(-1, tls_session_write(s, big, 40000)); /* not drained yet */
    tls_session_out(s, &n);
    tls_session_out_ack(s, n);
    assert_int_equal(0, tls_session_write(s, big, 40000));
    assert_int_equal(TLS_STEP_DONE, tls_session_step(s)); /* refusing is not fatal */
    free(big);
    app_close(&a);
}

/* Without app_data the context is released when the handshake ends (memory per probe). */
static void test_no_app_data_releases_context(void **state)
{
    struct tls_config_opts o = { .min_version = TLS_V10, .max_version = TLS_V12,
                                 .ca_file = KIT("ca.pem"), .mode = TLS_HANDSHAKE_FULL };
    struct tls_config *cfg = NULL;
    char err[200];
    struct app a;
    uint8_t buf[16];
    size_t got;

    (void)state;
    assert_int_equal(0, tls_config_new(&cfg, &o, err, sizeof(err)));
    struct tls_session *s = app_open(&a, cfg, NULL);
    assert_int_equal(TLS_STEP_DONE, a.res.step);
    assert_int_equal(TLS_STAGE_DONE, tls_session_info(s)->stage);
    assert_int_equal(2, tls_session_info(s)->chain_len); /* the report stays */
    assert_int_equal(-1, tls_session_write(s, (const uint8_t *)"x", 1));
    assert_int_equal(-1, tls_session_read(s, buf, sizeof(buf), &got));
    app_close(&a);
}

static void test_app_data_needs_full_handshake(void **state)
{
    struct tls_config *full = trusting_kit();
    struct tls_session *s;
    uint8_t buf[8];
    size_t got = 99;
    char err[128];
    struct run r;

    (void)state;
    assert_int_equal(0, tls_session_new(&s, full, "localhost", err, sizeof(err)));
    assert_int_equal(-1, tls_session_write(s, (const uint8_t *)"x", 1)); /* not started */
    assert_non_null(strstr(tls_session_info(s)->error_text, "full handshake"));
    assert_int_equal(-1, tls_session_read(s, buf, sizeof(buf), &got));
    assert_int_equal(0, got);
    tls_session_free(s);
    tls_config_free(full);
    run_kit(&r, certificate_mode_kit(), "good", NULL); /* DONE, but certificate mode */
    assert_int_equal(TLS_STEP_DONE, r.res.step);
    assert_int_equal(-1, tls_session_write(r.s, (const uint8_t *)"x", 1));
    assert_int_equal(-1, tls_session_read(r.s, buf, sizeof(buf), &got));
    run_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain),
        cmocka_unit_test(test_kit_cases),
        cmocka_unit_test(test_wildcard_matches_one_label),
        cmocka_unit_test(test_seed_self_signed),
        cmocka_unit_test(test_other_ca_untrusted),
        cmocka_unit_test(test_no_ca_untrusted),
        cmocka_unit_test(test_bigchain_captured_whole),
        cmocka_unit_test(test_bigchain_byte_by_byte),
        cmocka_unit_test(test_split_certificate_message),
        cmocka_unit_test(test_ecdsa_leaf),
        cmocka_unit_test(test_certificate_mode_stops_early),
        cmocka_unit_test(test_certificate_mode_bad_chain_still_done),
        cmocka_unit_test(test_certificate_mode_with_certificate_request),
        cmocka_unit_test(test_full_handshake_with_certificate_request),
        cmocka_unit_test(test_server_alert_protocol_version),
        cmocka_unit_test(test_server_too_old_local_reject),
        cmocka_unit_test(test_old_versions_handshake),
        cmocka_unit_test(test_peer_closed_after_client_hello),
        cmocka_unit_test(test_alpn),
        cmocka_unit_test(test_no_sni_for_ip_literals),
        cmocka_unit_test(test_chosen_suite),
        cmocka_unit_test(test_no_common_suite),
        cmocka_unit_test(test_feed_bound),
        cmocka_unit_test(test_hello_mode_done_at_server_hello),
        cmocka_unit_test(test_hello_mode_old_version),
        cmocka_unit_test(test_finding_closed_transport),
        cmocka_unit_test(test_hello_mode_per_suite),
        cmocka_unit_test(test_hello_mode_no_shared_suite),
        cmocka_unit_test(test_hello_mode_version_refused),
        cmocka_unit_test(test_app_data_echo),
        cmocka_unit_test(test_app_data_close_notify),
        cmocka_unit_test(test_app_data_transport_closed),
        cmocka_unit_test(test_app_data_large_and_split),
        cmocka_unit_test(test_app_data_with_finished),
        cmocka_unit_test(test_app_data_output_bound),
        cmocka_unit_test(test_app_data_needs_full_handshake),
        cmocka_unit_test(test_no_app_data_releases_context),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
