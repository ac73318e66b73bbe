/* tests/unit/test_probe_diagnose.c: raw facts -> status, diagnosis, the client's own words,
 * cause, fix and findings, for every diagnosis reachable from the engine's facts. The facts are
 * built by hand (no network): a probe_result, a tls_info and a chain of tls_cert structs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <uv.h>

#include "probe/model/probe.h"
#include "probe/diagnose/probe_diagnose.h"
#include "probe/drivers/probe_client.h"
#include "probe/engine/probe_neterr.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"
#include "probe_fixture.h"
#include "tests/unit/capture.h"

#define SEED_UNTRUSTED "The certificate chain was issued by an authority that is not trusted."
#define SEED_NAME "The target principal name is incorrect."
#define SEED_CLOSED "An existing connection was forcibly closed by the remote host."
#define OK_TEXT "A client with these settings would connect."

/* ---- fixture: a SqlClient (Mandatory) probe of db1.contoso.com that went well ---- */

struct fx {
    struct probe_target t;
    struct probe_result r;
    struct tls_info ti;
    struct tls_cert certs[3];
    struct tls_san sans[3][4];
};

static void fx_cert(struct fx *x, int i, const char *cn, const char *issuer_cn, bool self_signed)
{
    struct tls_cert *c = &x->certs[i];
    time_t now = time(NULL);

    probe_fixture_cert(c, x->sans[i], i == 0, cn, issuer_cn);
    c->x509_version = 3;
    snprintf(c->serial, sizeof(c->serial), "0%d1a2b", i + 1);
    c->not_before = now - 30 * DAY;
    c->not_after = now + 335 * DAY + 3600;
    if (i > 0) {
        c->key_usage |= TLS_KU_CRL_SIGN;
    }
    c->self_signed = self_signed;
    memset(c->sha256, 'a' + i, 64);
    c->sha256[64] = '\0';
}

static void fx_san(struct fx *x, int i, enum tls_san_type type, const char *value)
{
    struct tls_cert *c = &x->certs[i];

    c->san[c->n_san].type = type;
    snprintf(c->san[c->n_san].value, sizeof(c->san[0].value), "%s", value);
    c->n_san++;
    c->has_san_ext = true;
}

static struct fx *fx_new(void)
{
    struct fx *x = calloc(1, sizeof(*x));

    assert_non_null(x);
    probe_fixture_ok(&x->t, &x->r, &x->ti);
    snprintf(x->t.text, sizeof(x->t.text), "db1.contoso.com");
    x->t.client.tls_min = TLS_V12; /* named: not the TLS stack's range */
    x->t.client.tls_max = TLS_V12;
    x->ti.server_hello_version = TLS_V12;
    x->ti.verified_path = true;
    fx_cert(x, 0, "db1.contoso.com", "Contoso Issuing CA", false);
    fx_san(x, 0, TLS_SAN_DNS, "db1.contoso.com");
    fx_cert(x, 1, "Contoso Issuing CA", "Contoso Issuing CA", true);
    x->ti.chain = x->certs;
    x->ti.chain_len = 2;
    return x;
}

static void fx_finding(struct fx *x, enum tls_finding_code code, enum tls_severity sev,
                       int cert, const char *msg)
{
    probe_fixture_finding(&x->r.verdict, code, sev, cert, msg);
}

/* No handshake: the probe stopped before TLS. */
static void fx_no_tls(struct fx *x, enum probe_phase phase)
{
    x->r.facts.tls = NULL;
    x->r.facts.phase = phase;
    x->r.facts.got_prelogin = phase > PROBE_PHASE_PRELOGIN;
}

static const struct probe_finding *find(const struct probe_result *r, const char *code)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        if (strcmp(r->findings[i].code, code) == 0) {
            return &r->findings[i];
        }
    }
    return NULL;
}

static void assert_verdict(const struct probe_result *r, enum probe_status st, enum probe_diag d,
                           const char *message)
{
    assert_string_equal(probe_diag_name(r->diag), probe_diag_name(d));
    assert_int_equal(r->status, st);
    if (message != NULL) {
        assert_string_equal(r->message, message);
    }
    if (d != PROBE_DIAG_OK) {
        assert_true(strlen(r->cause) > 20);
        assert_true(strlen(r->fix) > 20);
        /* the diagnosis is always among the findings, as an error */
        const struct probe_finding *f = find(r, probe_diag_name(d));
        assert_non_null(f);
        assert_int_equal(f->severity, TLS_SEV_ERROR);
    }
}

#define SEED_OPENSSL_DB1                                                                     \
    "openssl req -x509 -nodes -newkey rsa:2048 -subj '/CN=db1.contoso.com' -addext "         \
    "'subjectAltName=DNS:db1.contoso.com' -keyout mssql.key -out mssql.pem -days 365"

/* The seed's recipe for the host; extra -addext options may sit before -keyout. */
static void assert_reissue_fix(const char *fix)
{
    assert_contains(fix, "openssl req -x509 -nodes -newkey rsa:2048 -subj '/CN=db1.contoso.com' "
                         "-addext 'subjectAltName=DNS:db1.contoso.com'");
    assert_contains(fix, "-keyout mssql.key -out mssql.pem -days 365");
    assert_contains(fix, "mssql-conf set network.tlscert /etc/ssl/certs/mssql.pem");
    assert_contains(fix, "mssql-conf set network.tlskey /etc/ssl/private/mssql.key");
}

static void assert_trust_steps(const char *fix)
{
    assert_contains(fix, "/usr/share/ca-certificates/");
    assert_contains(fix, "dpkg-reconfigure ca-certificates");
    assert_contains(fix, "/etc/pki/ca-trust/source/anchors/");
    assert_contains(fix, "update-ca-trust");
    assert_contains(fix, "/usr/share/pki/trust/anchors/");
    assert_contains(fix, "update-ca-certificates");
    assert_contains(fix, "/usr/local/etc/openssl/certs");
    assert_contains(fix, "openssl x509 -hash -in");
    assert_contains(fix, "Current User > Trusted Root Certification Authorities > Certificates");
}

/* ---- names ---- */

static void test_names(void **state)
{
    for (int d = 0; d < PROBE_DIAG_COUNT; d++) {
        const char *n = probe_diag_name((enum probe_diag)d);
        assert_int_equal(probe_diag_from_name(n), d);
        assert_true(strlen(probe_client_text("sqlclient", (enum probe_diag)d, NULL)) > 0);
    }
    assert_string_equal(probe_diag_name(PROBE_DIAG_UNTRUSTED_CHAIN), "untrusted_chain");
    assert_string_equal(probe_diag_name(PROBE_DIAG_TDS8_NOT_SUPPORTED), "tds8_not_supported");
    assert_string_equal(probe_diag_name(PROBE_DIAG_COUNT), "unknown");
    assert_int_equal(probe_diag_from_name("nope"), PROBE_DIAG_COUNT);
    assert_int_equal(probe_diag_from_name(NULL), PROBE_DIAG_COUNT);
    assert_int_equal(probe_diag_class(PROBE_DIAG_OK), PROBE_CLASS_OK);
    assert_int_equal(probe_diag_class(PROBE_DIAG_NAME_MISMATCH), PROBE_CLASS_FAIL);
    assert_int_equal(probe_diag_class(PROBE_DIAG_TIMEOUT), PROBE_CLASS_ERROR);
    assert_int_equal(probe_diag_class(PROBE_DIAG_USAGE), PROBE_CLASS_USAGE);
    assert_string_equal(probe_encrypt_name(PROBE_ENCRYPT_OPTIONAL), "optional");
    assert_string_equal(probe_encrypt_name(PROBE_ENCRYPT_STRICT), "strict");
    assert_string_equal(probe_status_name(PROBE_STATUS_FAIL), "fail");
    assert_string_equal(probe_phase_name(PROBE_PHASE_HANDSHAKE), "handshake");
    assert_string_equal(probe_phase_name(PROBE_PHASE_COUNT), "unknown");
}

static void test_client_texts(void **state)
{
    /* the seed's three, word for word */
    assert_string_equal(probe_client_text("sqlclient", PROBE_DIAG_UNTRUSTED_CHAIN, NULL),
                        SEED_UNTRUSTED);
    assert_string_equal(probe_client_text("sqlclient", PROBE_DIAG_NAME_MISMATCH, NULL),
                        SEED_NAME);
    assert_string_equal(probe_client_text("sqlclient", PROBE_DIAG_FORCIBLY_CLOSED, NULL),
                        SEED_CLOSED);
    /* variants fall back to the plain text, unknown drivers to SqlClient's */
    assert_string_equal(probe_client_text("sqlclient", PROBE_DIAG_NAME_MISMATCH, "no_san"),
                        SEED_NAME);
    assert_string_equal(probe_client_text("nosuchdriver", PROBE_DIAG_EXPIRED, NULL),
                        "The received certificate has expired.");
    assert_string_equal(probe_client_text(NULL, PROBE_DIAG_FORCIBLY_CLOSED, NULL), SEED_CLOSED);
    assert_string_equal(probe_client_text("odbc18", PROBE_DIAG_UNTRUSTED_CHAIN, "self_signed"),
                        "[Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: "
                        "[error:0A000086:SSL routines::certificate verify failed:self-signed "
                        "certificate]");
    assert_string_equal(probe_client_text("tedious", PROBE_DIAG_OK, NULL), OK_TEXT);
    assert_true(probe_client_text_known("jdbc", PROBE_DIAG_UNTRUSTED_CHAIN));
    assert_true(probe_client_text_known("go-mssqldb", PROBE_DIAG_NAME_MISMATCH));
    assert_false(probe_client_text_known("freetds", PROBE_DIAG_NAME_MISMATCH));
}

/* ---- OK ---- */

static void test_ok_validated(void **state)
{
    struct fx *x = fx_new();

    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    assert_contains(x->r.cause, "TLSv1.2");
    assert_contains(x->r.cause, "db1.contoso.com");
    for (size_t i = 0; i < x->r.n_findings; i++) {
        assert_int_not_equal(x->r.findings[i].severity, TLS_SEV_ERROR);
    }
    /* idempotent: a second run starts over */
    size_t n = x->r.n_findings;
    probe_diagnose(&x->r);
    assert_int_equal(x->r.n_findings, n);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    free(x);
}

static void test_ok_login_only_warns(void **state)
{
    struct fx *x = fx_new();

    x->t.client.encrypt = PROBE_ENCRYPT_OPTIONAL;
    x->r.facts.sent_encryption = TDS_ENC_OFF;
    x->r.facts.prelogin.encryption = TDS_ENC_OFF;
    x->r.facts.scope = TDS_TLS_LOGIN_ONLY;
    x->r.facts.validates = false;
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_WARNING, 1, "not in the trust store");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    const struct probe_finding *f = find(&x->r, "login_only_tls");
    assert_non_null(f);
    assert_int_equal(f->severity, TLS_SEV_WARNING);
    assert_string_equal(f->message,
                        "the client does not validate the certificate: Encrypt=Optional gives "
                        "login-only TLS; anyone on the path can read everything after login.");
    /* the policy's warnings are kept */
    f = find(&x->r, "untrusted_chain");
    assert_non_null(f);
    assert_int_equal(f->severity, TLS_SEV_WARNING);
    assert_int_equal(f->cert, 1);
    assert_contains(x->r.fix, "Encrypt=Mandatory");
    free(x);
}

static void test_ok_trust_server_certificate_warns(void **state)
{
    struct fx *x = fx_new();

    x->t.client.trust_server_certificate = true;
    x->r.facts.validates = false;
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_WARNING, 0, "the client expects db1");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    assert_non_null(find(&x->r, "no_validation"));
    assert_contains(find(&x->r, "no_validation")->message, "TrustServerCertificate=True");
    assert_non_null(find(&x->r, "name_mismatch"));
    free(x);
}

static void test_ok_plaintext_warns(void **state)
{
    struct fx *x = fx_new();

    x->t.client.encrypt = PROBE_ENCRYPT_OPTIONAL;
    x->r.facts.sent_encryption = TDS_ENC_OFF;
    x->r.facts.prelogin.encryption = TDS_ENC_NOT_SUP;
    x->r.facts.scope = TDS_TLS_NONE;
    x->r.facts.validates = false;
    x->r.facts.tls = NULL;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    assert_non_null(find(&x->r, "no_encryption"));
    assert_contains(find(&x->r, "no_encryption")->message, "not even the login");
    free(x);
}

static void test_ok_old_tls_warns(void **state)
{
    struct fx *x = fx_new();

    x->t.client.tls_min = TLS_V10;
    x->ti.version = TLS_V10;
    x->ti.server_hello_version = TLS_V10;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    assert_non_null(find(&x->r, "old_tls_version"));
    assert_contains(find(&x->r, "old_tls_version")->message, "TLSv1.0");
    free(x);
}

/* ---- certificate verdicts ---- */

static void test_untrusted_self_signed(void **state)
{
    struct fx *x = fx_new();

    x->certs[0].self_signed = true;
    snprintf(x->certs[0].issuer, sizeof(x->certs[0].issuer), "CN=db1.contoso.com");
    x->ti.chain_len = 1;
    fx_finding(x, TLS_F_SELF_SIGNED, TLS_SEV_INFO, 0, "the server's certificate is self-signed");
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 0,
               "the server's certificate \"CN=db1.contoso.com\" is self-signed and not in the "
               "client's trust store");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    assert_contains(x->r.cause, "The server's certificate \"CN=db1.contoso.com\" is self-signed");
    assert_trust_steps(x->r.fix);
    assert_contains(x->r.fix, "mssql.pem");
    assert_contains(x->r.fix, "ServerCertificate=");
    assert_contains(x->r.fix, "TrustServerCertificate=True");
    assert_contains(x->r.fix, "Last resort");
    assert_contains(x->r.fix, "disables every certificate check");
    /* every finding is kept, in order, and the diagnosis is not duplicated */
    assert_int_equal(x->r.n_findings, 2);
    assert_string_equal(x->r.findings[0].code, "self_signed");
    assert_string_equal(x->r.findings[1].code, "untrusted_chain");
    free(x);
}

static void test_untrusted_fallback(void **state)
{
    struct fx *x = fx_new();

    fx_cert(x, 0, "SSL_Self_Signed_Fallback", "SSL_Self_Signed_Fallback", true);
    x->ti.chain_len = 1;
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 0, "self-signed, not trusted");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    assert_contains(x->r.cause, "SSL_Self_Signed_Fallback");
    assert_reissue_fix(x->r.fix);
    assert_trust_steps(x->r.fix);
    assert_non_null(find(&x->r, "fallback_certificate"));
    free(x);
}

static void test_untrusted_ca(void **state)
{
    struct fx *x = fx_new();

    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 1,
               "the chain's root \"CN=Contoso Issuing CA\" is self-signed and not in the "
               "client's trust store");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    assert_contains(x->r.fix, "copy the CA certificate ('CN=Contoso Issuing CA')");
    assert_contains(x->r.fix, "ca.pem");
    assert_trust_steps(x->r.fix);
    free(x);
}

static void test_untrusted_incomplete_chain(void **state)
{
    struct fx *x = fx_new();

    x->ti.chain_len = 1;
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 0, "issuer not in the trust store");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    assert_contains(x->r.fix, "intermediate CA");
    free(x);
}

/* tedious reports OpenSSL's last verification error: a weak signature over an untrusted chain
 * (agreement test sha1_leaf); SqlClient names the chain. */
static void test_last_error_driver_weak_signature_first(void **state)
{
    static const char *const drivers[] = { "tedious", "sqlclient" };
    static const enum probe_diag want[] = { PROBE_DIAG_WEAK_SIGNATURE,
                                            PROBE_DIAG_UNTRUSTED_CHAIN };

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct fx *x = fx_new();
        snprintf(x->t.client.driver, sizeof(x->t.client.driver), "%s", drivers[i]);
        fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 1, "issuer not in the trust store");
        fx_finding(x, TLS_F_WEAK_SIGNATURE, TLS_SEV_ERROR, 0, "signed with SHA-1");
        probe_diagnose(&x->r);
        assert_string_equal(probe_diag_name(x->r.diag), probe_diag_name(want[i]));
        free(x);
    }
}

static void test_unparsable_maps_to_untrusted(void **state)
{
    struct fx *x = fx_new();

    fx_finding(x, TLS_F_UNPARSABLE_CERTIFICATE, TLS_SEV_ERROR, 1,
               "certificate 1 (SHA-256 1111111111111111...) cannot be parsed: bad length");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    assert_non_null(find(&x->r, "unparsable_certificate"));
    free(x);
}

static void test_name_mismatch(void **state)
{
    struct fx *x = fx_new();

    x->certs[0].n_san = 0;
    snprintf(x->certs[0].subject_cn, sizeof(x->certs[0].subject_cn), "db2.contoso.com");
    fx_san(x, 0, TLS_SAN_DNS, "db2.contoso.com");
    fx_san(x, 0, TLS_SAN_DNS, "db2");
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0,
               "the client expects \"db1.contoso.com\"; the certificate has DNS:db2.contoso.com");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_NAME_MISMATCH, SEED_NAME);
    assert_contains(x->r.cause, "db1.contoso.com");
    assert_contains(x->r.cause, "db2.contoso.com");
    assert_contains(x->r.fix, "Server=db2.contoso.com");
    assert_contains(x->r.fix, "HostNameInCertificate=db2.contoso.com");
    assert_contains(x->r.fix, SEED_OPENSSL_DB1);
    assert_reissue_fix(x->r.fix);
    assert_contains(x->r.fix, "TrustServerCertificate=True");
    free(x);
}

static void test_name_mismatch_first_error_wins(void **state)
{
    struct fx *x = fx_new();

    fx_finding(x, TLS_F_NEGATIVE_SERIAL, TLS_SEV_WARNING, 0, "negative serial");
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "the client expects db1");
    fx_finding(x, TLS_F_EXPIRED, TLS_SEV_ERROR, 0, "expired");
    fx_finding(x, TLS_F_WEAK_KEY, TLS_SEV_ERROR, 0, "small key");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_NAME_MISMATCH, SEED_NAME);
    /* every problem is listed, not only the first */
    assert_int_equal(x->r.n_findings, 4);
    assert_non_null(find(&x->r, "negative_serial"));
    assert_non_null(find(&x->r, "expired"));
    assert_non_null(find(&x->r, "weak_key"));
    free(x);
}

static void test_name_mismatch_hostile_san_not_in_commands(void **state)
{
    struct fx *x = fx_new();

    x->certs[0].n_san = 0;
    snprintf(x->certs[0].subject_cn, sizeof(x->certs[0].subject_cn), "x';rm -rf /;'");
    fx_san(x, 0, TLS_SAN_DNS, "evil$(reboot)\n.example");
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "mismatch\nwith newline");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_NAME_MISMATCH, SEED_NAME);
    assert_not_contains(x->r.fix, "rm -rf");
    assert_not_contains(x->r.fix, "$(reboot)");
    assert_not_contains(x->r.cause, "\n");
    assert_reissue_fix(x->r.fix); /* the user's own host name is still used */
    free(x);
}

static void test_name_mismatch_hnic_in_command(void **state)
{
    struct fx *x = fx_new();

    snprintf(x->t.client.host_name_in_certificate,
             sizeof(x->t.client.host_name_in_certificate), "sql.contoso.com");
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "the client expects sql.contoso.com");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_NAME_MISMATCH, SEED_NAME);
    assert_contains(x->r.cause, "HostNameInCertificate");
    assert_contains(x->r.fix, "-subj '/CN=sql.contoso.com'");
    free(x);
}

static void test_expired(void **state)
{
    struct fx *x = fx_new();

    x->certs[0].not_after = time(NULL) - 3 * DAY;
    fx_finding(x, TLS_F_EXPIRED, TLS_SEV_ERROR, 0, "certificate 0 expired 3 days ago");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_EXPIRED,
                   "The received certificate has expired.");
    assert_contains(x->r.cause, "Certificate 0 expired 3 days ago.");
    assert_contains(x->r.cause, "valid from");
    assert_reissue_fix(x->r.fix);
    free(x);
}

static void test_expired_intermediate(void **state)
{
    struct fx *x = fx_new();

    fx_finding(x, TLS_F_EXPIRED, TLS_SEV_ERROR, 1, "certificate 1 expired");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_EXPIRED, NULL);
    assert_contains(x->r.fix, "CA certificate #1");
    free(x);
}

static void test_not_yet_valid(void **state)
{
    struct fx *x = fx_new();

    x->certs[0].not_before = time(NULL) + 2 * DAY;
    fx_finding(x, TLS_F_NOT_YET_VALID, TLS_SEV_ERROR, 0, "not valid before tomorrow");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_NOT_YET_VALID, NULL);
    assert_contains(x->r.fix, "timedatectl");
    assert_reissue_fix(x->r.fix);
    free(x);
}

static void test_cert_properties(void **state)
{
    static const struct {
        enum tls_finding_code code;
        enum probe_diag diag;
        const char *fix;
    } cases[] = {
        {TLS_F_WEAK_SIGNATURE, PROBE_DIAG_WEAK_SIGNATURE, "SHA-256"},
        {TLS_F_WEAK_KEY, PROBE_DIAG_WEAK_KEY, "at least 2048 bits"},
        {TLS_F_NO_SERVER_AUTH_EKU, PROBE_DIAG_NO_SERVER_AUTH_EKU,
         "-addext 'extendedKeyUsage=serverAuth'"},
        {TLS_F_BAD_KEY_USAGE, PROBE_DIAG_BAD_KEY_USAGE,
         "-addext 'keyUsage=critical,digitalSignature,keyEncipherment'"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fx *x = fx_new();
        fx_finding(x, cases[i].code, TLS_SEV_ERROR, 0,
                   "certificate 0 \"CN=db1.contoso.com\" fails this policy check");
        probe_diagnose(&x->r);
        assert_verdict(&x->r, PROBE_STATUS_FAIL, cases[i].diag, NULL);
        assert_contains(x->r.fix, cases[i].fix);
        assert_reissue_fix(x->r.fix);
        free(x);
    }
}

static void test_pin_mismatch(void **state)
{
    struct fx *x = fx_new();

    fx_finding(x, TLS_F_PIN_MISMATCH, TLS_SEV_ERROR, 0, "not the pinned certificate");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_PIN_MISMATCH,
                   "The certificate provided by the server does not match the certificate "
                   "provided by the ServerCertificate option.");
    assert_contains(x->r.fix, "pinned file");
    free(x);
}

static void test_no_validation_no_failure(void **state)
{
    struct fx *x = fx_new();

    /* a client that does not validate never fails on the certificate */
    x->r.facts.validates = false;
    fx_finding(x, TLS_F_EXPIRED, TLS_SEV_ERROR, 0, "expired");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, OK_TEXT);
    free(x);
}

/* ---- the server hung up ---- */

static void fx_closed_after_hello(struct fx *x)
{
    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->ti.stage = TLS_STAGE_CLIENT_HELLO_SENT;
    x->ti.version = 0;
    x->ti.cipher[0] = '\0';
    x->ti.chain_len = 0;
    x->ti.peer_reset = true;
    x->r.facts.server_reset = true;
}

static void test_forcibly_closed_followup_ok_version(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    x->r.facts.followup_ran = true;
    x->r.facts.followup_ok = true;
    x->r.facts.followup_version = TLS_V10;
    snprintf(x->r.facts.followup_cipher, sizeof(x->r.facts.followup_cipher), "TLS_RSA_WITH_AES_128_CBC_SHA");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "reset");
    assert_contains(x->r.cause, "TLSv1.0 / TLS_RSA_WITH_AES_128_CBC_SHA");
    assert_contains(x->r.fix, "mssql-conf set network.tlsprotocols 1.2");
    assert_contains(x->r.fix, "let the client accept TLSv1.0");
    assert_non_null(find(&x->r, "followup_handshake"));
    free(x);
}

/* The seed's case: the server requires TLS 1.2, the client offers less. */
static void test_forcibly_closed_client_lacks_tls12(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    x->t.client.tls_min = TLS_V10;
    x->t.client.tls_max = TLS_V10;
    x->r.facts.followup_ran = true;
    x->r.facts.followup_ok = true;
    x->r.facts.followup_version = TLS_V12;
    snprintf(x->r.facts.followup_cipher, sizeof(x->r.facts.followup_cipher),
             "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "offering only TLSv1.0");
    assert_contains(x->r.cause, "the server accepts TLSv1.2");
    assert_contains(x->r.fix, "Make the client support TLS 1.2");
    assert_not_contains(x->r.fix, "RFC 8996");
    free(x);
}

static void test_forcibly_closed_followup_ok_cipher(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    x->r.facts.followup_ran = true;
    x->r.facts.followup_ok = true;
    x->r.facts.followup_version = TLS_V12;
    snprintf(x->r.facts.followup_cipher, sizeof(x->r.facts.followup_cipher),
             "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "cipher suites");
    assert_contains(x->r.fix, "network.tlsciphers");
    assert_contains(x->r.fix, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
    free(x);
}

static void test_forcibly_closed_followup_failed(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    x->ti.peer_reset = false;
    x->r.facts.server_reset = false;
    x->ti.peer_closed = true;
    x->r.facts.followup_ran = true;
    x->r.facts.followup_ok = false;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "FIN");
    assert_contains(x->r.cause, "cannot complete any handshake");
    assert_contains(x->r.cause, "SHA-1");
    assert_contains(x->r.cause, "security level 2");
    assert_contains(x->r.fix, "at least 112 bits of security");
    assert_contains(x->r.fix, "SHA-256");
    assert_reissue_fix(x->r.fix);
    free(x);
}

static void test_forcibly_closed_no_followup(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.fix, "mssql-conf set network.tlsprotocols 1.2");
    assert_contains(x->r.fix, "at least 112 bits of security");
    free(x);
}

static void test_forcibly_closed_alert(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    x->ti.peer_reset = false;
    x->r.facts.server_reset = false;
    x->ti.alert_received = true;
    x->ti.alert_level = 2;
    x->ti.alert_description = 40;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "alert handshake_failure");
    free(x);
}

/* Strict against a TLS 1.3-only server with no group in common: handshake_failure to the TLS 1.3
 * ClientHello, protocol_version to the TLS 1.2 retry's. */
static void test_strict_tls13_only_no_common_group(void **state)
{
    struct fx *x = fx_new();

    fx_closed_after_hello(x);
    x->t.client.encrypt = PROBE_ENCRYPT_STRICT;
    x->r.facts.tds8 = true;
    x->r.facts.got_prelogin = false;
    x->ti.peer_reset = false;
    x->r.facts.server_reset = false;
    x->ti.alert_received = true;
    x->ti.alert_level = 2;
    x->ti.alert_description = 70;
    x->r.facts.tls13_refused = true;
    x->r.facts.tls13_refused_alert = 40;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "The server speaks TLS 1.3 only");
    assert_contains(x->r.cause, "alert handshake_failure (40)");
    assert_contains(x->r.cause, "key exchange groups x25519, secp256r1, secp384r1; suites "
                                "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
                                "TLS_CHACHA20_POLY1305_SHA256");
    assert_contains(x->r.fix, "Groups and Ciphersuites");
    assert_not_contains(x->r.fix, "Make the client support TLS 1.2");
    assert_null(find(&x->r, "tls13_refused")); /* the diagnosis says it already */
    /* protocol_version to both: not this case (the client's range decides, as before) */
    x->r.facts.tls13_refused_alert = 70;
    probe_diagnose(&x->r);
    assert_not_contains(x->r.cause, "TLS 1.3 only");
    /* no TLS 1.3 refusal recorded: as before */
    x->r.facts.tls13_refused = false;
    x->r.facts.tls13_refused_alert = 0;
    probe_diagnose(&x->r);
    assert_not_contains(x->r.cause, "TLS 1.3 only");
    free(x);
}

/* Strict against a 1.2+1.3 server that refused the TLS 1.3 offer with handshake_failure: the
 * TLS 1.2 retry connects (ok), and a warning says what a TLS 1.3 client meets. */
static void test_strict_tls13_refused_finding(void **state)
{
    struct fx *x = fx_new();
    const struct probe_finding *f;

    (void)state;
    x->t.client.encrypt = PROBE_ENCRYPT_STRICT;
    x->r.facts.tds8 = true;
    x->r.facts.tls13_refused = true;
    x->r.facts.tls13_refused_alert = 40;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_OK, PROBE_DIAG_OK, NULL);
    f = find(&x->r, "tls13_refused");
    assert_non_null(f);
    assert_int_equal(f->severity, TLS_SEV_WARNING);
    assert_contains(f->message, "key exchange groups x25519, secp256r1, secp384r1) with alert "
                                "handshake_failure;");
    /* a TLS 1.2-only server answers protocol_version: no TLS 1.3 to warn about */
    x->r.facts.tls13_refused_alert = 70;
    x->r.n_findings = 0;
    probe_diagnose(&x->r);
    assert_null(find(&x->r, "tls13_refused"));
    free(x);
}

static void test_forcibly_closed_before_prelogin_reply(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_PRELOGIN);
    x->r.facts.net = probe_net_error_from_uv(UV_ECONNRESET);
    x->r.facts.server_reset = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "without answering");
    assert_contains(x->r.cause, "17819");
    assert_contains(x->r.fix, "Encrypt=Strict");
    /* UV_EOF is a close too */
    x->r.facts.net = probe_net_error_from_uv(UV_EOF);
    x->r.facts.server_reset = false;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "FIN");
    free(x);
}

static void test_forcibly_closed_after_prelogin_reply(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_HANDSHAKE);
    x->r.facts.phase = PROBE_PHASE_PRELOGIN;
    x->r.facts.got_prelogin = true;
    x->r.facts.server_closed_after_prelogin = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_contains(x->r.cause, "answered PRELOGIN (ENCRYPTION=on)");
    free(x);
}

/* ---- TLS version refused by the client ---- */

static void test_protocol_mismatch(void **state)
{
    struct fx *x = fx_new();

    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->ti.stage = TLS_STAGE_SERVER_HELLO;
    x->ti.local_reject = true;
    x->ti.server_hello_version = TLS_V10;
    x->ti.version = TLS_V10;
    x->ti.chain_len = 0;
    x->ti.error = -0x7280;
    x->t.client.os = PROBE_OS_WINDOWS; /* Schannel's words; OpenSSL's: test_client_os_words */
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_PROTOCOL_MISMATCH,
                   "The client and server cannot communicate, because they do not possess a "
                   "common algorithm.");
    assert_contains(x->r.cause, "TLSv1.0");
    assert_contains(x->r.cause, "TLSv1.2");
    assert_contains(x->r.fix, "mssql-conf set network.tlsprotocols 1.2");
    /* a refused version is not also reported as "negotiated" */
    assert_null(find(&x->r, "old_tls_version"));
    free(x);
}

/* ---- encryption negotiation ---- */

/* The server chose TLS 1.0 and the client refused it at the ServerHello. */
static void fx_refused_tls10(struct fx *x)
{
    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->ti.stage = TLS_STAGE_SERVER_HELLO;
    x->ti.local_reject = true;
    x->ti.server_hello_version = TLS_V10;
    x->ti.chain_len = 0;
}

/* The same refusal in each TLS stack's words. */
static void test_client_os_words(void **state)
{
    static const struct {
        const char *driver;
        enum probe_os os;
        const char *words;
    } cases[] = {
        { "sqlclient", PROBE_OS_LINUX, "error:0A000102:SSL routines::unsupported protocol)" },
        { "sqlclient", PROBE_OS_MACOS, "bad protocol version)" },
        { "odbc18", PROBE_OS_WINDOWS, "SSL Provider: The client and server cannot communicate" },
        { "odbc18", PROBE_OS_LINUX, "[error:0A000102:SSL routines::unsupported protocol]" },
        { "jdbc", PROBE_OS_WINDOWS, "The server selected protocol version TLS10 is not "
                                    "accepted by client preferences [TLS13, TLS12]." },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fx *x = fx_new();
        snprintf(x->t.client.driver, sizeof(x->t.client.driver), "%s", cases[i].driver);
        x->t.client.os = cases[i].os;
        fx_refused_tls10(x);
        probe_diagnose(&x->r);
        assert_string_equal(probe_diag_name(x->r.diag), "protocol_mismatch");
        assert_contains(x->r.message, cases[i].words);
        free(x);
    }
}

/* A TLS 1.0 refusal on Linux: Windows 10's Schannel takes TLS 1.0, so the line names it (and
 * macOS's Secure Transport); a client whose range was named gets none for that range. */
static void test_other_platforms_line(void **state)
{
    struct fx *x = fx_new();

    (void)state;
    x->t.client.os = PROBE_OS_LINUX;
    x->t.client.tls_named = 0; /* the stack's range: TLS 1.2 in TDS 7.x */
    fx_refused_tls10(x);
    probe_diagnose(&x->r);
    assert_string_equal(probe_diag_name(x->r.diag), "protocol_mismatch");
    assert_contains(x->r.other_platforms, "On Windows (TLS stack: Schannel, Windows 10 / Server "
                                          "2019) sqlclient accepts the server's TLSv1.0, so "
                                          "there is no protocol_mismatch there");
    assert_contains(x->r.other_platforms, "On macOS");
    assert_null(strchr(x->r.other_platforms, '\n'));
    x->t.client.tls_named = PROBE_TLS_NAMED_MIN | PROBE_TLS_NAMED_MAX; /* 1.2 on every OS */
    probe_diagnose(&x->r);
    assert_string_equal(x->r.other_platforms, "");
    free(x);
}

static void test_encryption_not_supported(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_DONE);
    x->r.facts.prelogin.encryption = TDS_ENC_NOT_SUP;
    x->r.facts.scope = TDS_TLS_TERMINATE;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED,
                   "The instance of SQL Server you attempted to connect to does not support "
                   "encryption.");
    assert_contains(x->r.cause, "not_supported");
    assert_reissue_fix(x->r.fix);
    assert_contains(x->r.fix, "Encrypt=Optional");
    free(x);
}

/* tedious sent ON, heard NOT_SUP (or a byte MS-TDS does not define) and goes on without TLS */
static void test_cleartext_login(void **state)
{
    static const uint8_t replies[] = {TDS_ENC_NOT_SUP, TDS_ENC_OFF, 0x05, 0xFF};

    for (size_t i = 0; i < sizeof(replies); i++) {
        struct fx *x = fx_new();
        fx_no_tls(x, PROBE_PHASE_DONE);
        snprintf(x->t.client.driver, sizeof(x->t.client.driver), "tedious");
        x->r.facts.sent_encryption = TDS_ENC_ON;
        x->r.facts.prelogin.encryption = replies[i];
        x->r.facts.scope = TDS_TLS_NONE;
        probe_diagnose(&x->r);
        assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_CLEARTEXT_LOGIN,
                       "The login, password included, is sent in cleartext although "
                       "encryption was asked for.");
        assert_int_equal(probe_diag_class(x->r.diag), PROBE_CLASS_FAIL);
        assert_string_equal(x->r.findings[0].code, "cleartext_login");
        assert_int_equal(x->r.findings[0].severity, TLS_SEV_ERROR);
        assert_contains(x->r.cause, replies[i] > TDS_ENC_REQ ? "does not define" : "answered");
        assert_contains(x->r.fix, "options.encrypt: 'strict'");
        assert_reissue_fix(x->r.fix);
        free(x);
    }
}

/* The same cleartext scope without asking for encryption (tedious encrypt=false) is OK with a
 * warning, not a leak verdict. */
static void test_cleartext_not_asked_is_ok(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_DONE);
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "tedious");
    x->t.client.encrypt = PROBE_ENCRYPT_OPTIONAL;
    x->r.facts.sent_encryption = TDS_ENC_NOT_SUP;
    x->r.facts.prelogin.encryption = TDS_ENC_NOT_SUP;
    x->r.facts.scope = TDS_TLS_NONE;
    probe_diagnose(&x->r);
    assert_int_equal(x->r.diag, PROBE_DIAG_OK);
    assert_non_null(find(&x->r, "no_encryption"));
    free(x);
}

/* JDBC rejects a reply byte outside MS-TDS: the cause names the byte, not "will not encrypt" */
static void test_unknown_reply_rejected(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_DONE);
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "jdbc");
    x->r.facts.sent_encryption = TDS_ENC_ON;
    x->r.facts.prelogin.encryption = 0x05;
    x->r.facts.scope = TDS_TLS_TERMINATE;
    probe_diagnose(&x->r);
    assert_int_equal(x->r.diag, PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED);
    assert_contains(x->r.cause, "0x05 (a value MS-TDS 2.2.6.5 does not define)");
    assert_contains(x->r.cause, "TDS protocol stream is not valid");
    free(x);
}

static void test_encryption_required(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_DONE);
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "tedious");
    x->r.facts.sent_encryption = TDS_ENC_NOT_SUP;
    x->r.facts.prelogin.encryption = TDS_ENC_REQ;
    x->r.facts.scope = TDS_TLS_TERMINATE;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_ENCRYPTION_REQUIRED,
                   "Server requires encryption, set 'encrypt' config option to true.");
    assert_contains(x->r.fix, "options.encrypt: true");
    /* SqlClient's words for the same facts */
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "sqlclient");
    probe_diagnose(&x->r);
    assert_string_equal(x->r.message, "The instance of SQL Server you attempted to connect to "
                                      "requires encryption but this machine does not support "
                                      "it.");
    free(x);
}

static void test_tds8_not_supported(void **state)
{
    struct fx *x = fx_new();

    x->t.client.encrypt = PROBE_ENCRYPT_STRICT;
    x->r.facts.tds8 = true;
    x->r.facts.got_prelogin = false;
    x->r.facts.strict_refused = true;
    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->ti.stage = TLS_STAGE_CLIENT_HELLO_SENT;
    x->ti.chain_len = 0;
    x->ti.peer_closed = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_TDS8_NOT_SUPPORTED, NULL);
    assert_contains(x->r.cause, "TDS 8.0");
    assert_contains(x->r.cause, "a close");
    assert_contains(x->r.fix, "Encrypt=Mandatory");
    free(x);
}

static void test_strict_no_tsc_escape(void **state)
{
    struct fx *x = fx_new();

    x->t.client.encrypt = PROBE_ENCRYPT_STRICT;
    x->r.facts.tds8 = true;
    x->r.facts.got_prelogin = false;
    x->ti.alpn[0] = 't';
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 1,
               "the chain's root \"CN=Contoso Issuing CA\" is not in the trust store");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    assert_not_contains(x->r.fix, "TrustServerCertificate=True");
    assert_contains(x->r.fix, "Strict encryption always validates");
    free(x);
}

/* ---- could not probe ---- */

static void test_dns_failure(void **state)
{
    static const int errs[] = {UV_EAI_NONAME, UV_EAI_AGAIN, UV_EAI_FAIL, UV_EAI_NODATA};

    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        struct fx *x = fx_new();
        fx_no_tls(x, PROBE_PHASE_RESOLVE);
        x->r.facts.address[0] = '\0';
        x->r.facts.net = probe_net_error_from_uv(errs[i]);
        probe_diagnose(&x->r);
        assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_DNS_FAILURE, NULL);
        assert_contains(x->r.message, "No such host is known.");
        assert_contains(x->r.cause, "db1.contoso.com");
        assert_contains(x->r.cause, uv_strerror(errs[i]));
        assert_null(find(&x->r, "no_validation"));
        free(x);
    }
}

static void test_connection_refused(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_CONNECT);
    x->r.facts.net = probe_net_error_from_uv(UV_ECONNREFUSED);
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_CONNECTION_REFUSED, NULL);
    assert_contains(x->r.message, "actively refused");
    assert_contains(x->r.cause, "10.0.0.5 port 1433");
    assert_contains(x->r.fix, "network.tcpport");
    /* other connect errors name the error (EHOSTUNREACH is no_route now: test_local_errors) */
    x->r.facts.net = probe_net_error_from_uv(UV_EPROTO);
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_CONNECTION_REFUSED, NULL);
    assert_contains(x->r.cause, "EPROTO");
    free(x);
}

/* Errors of the probe's own machine: never the server's refusal, whatever the phase. */
static void test_local_errors(void **state)
{
    static const struct {
        int err;
        enum probe_net_kind kind;
        enum probe_diag diag;
        const char *name, *says;
    } cases[] = {
        {UV_EMFILE, PROBE_NET_LOCAL_FDS, PROBE_DIAG_LOCAL_LIMIT, "EMFILE", "RLIMIT_NOFILE"},
        {UV_ENFILE, PROBE_NET_LOCAL_FDS, PROBE_DIAG_LOCAL_LIMIT, "ENFILE", "fs.file-max"},
        {UV_ENOBUFS, PROBE_NET_LOCAL_MEMORY, PROBE_DIAG_LOCAL_LIMIT, "ENOBUFS", "buffer space"},
        {UV_ENOMEM, PROBE_NET_LOCAL_MEMORY, PROBE_DIAG_LOCAL_LIMIT, "ENOMEM", "memory"},
        {UV_EAI_MEMORY, PROBE_NET_LOCAL_MEMORY, PROBE_DIAG_LOCAL_LIMIT, "EAI_MEMORY", "memory"},
        {UV_EADDRNOTAVAIL, PROBE_NET_LOCAL_ADDRESS, PROBE_DIAG_LOCAL_LIMIT, "EADDRNOTAVAIL",
         "ephemeral port range"},
        {UV_ENETUNREACH, PROBE_NET_NO_ROUTE, PROBE_DIAG_NO_ROUTE, "ENETUNREACH", "no route"},
        {UV_EHOSTUNREACH, PROBE_NET_NO_ROUTE, PROBE_DIAG_NO_ROUTE, "EHOSTUNREACH", "no route"},
    };
    static const enum probe_phase phases[] = {PROBE_PHASE_RESOLVE, PROBE_PHASE_BROWSER,
                                              PROBE_PHASE_CONNECT, PROBE_PHASE_PRELOGIN};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
            struct fx *x = fx_new();
            fx_no_tls(x, phases[p]);
            snprintf(x->t.client.driver, sizeof(x->t.client.driver), "tedious");
            x->r.facts.net = probe_net_error_from_uv(cases[i].err);
            assert_int_equal(cases[i].kind, x->r.facts.net.kind);
            probe_diagnose(&x->r);
            assert_verdict(&x->r, PROBE_STATUS_ERROR, cases[i].diag, NULL);
            assert_int_equal(PROBE_CLASS_LOCAL, probe_diag_class(x->r.diag));
            assert_contains(x->r.cause, cases[i].name);
            assert_contains(x->r.cause, cases[i].says);
            assert_contains(x->r.cause, "not an answer from the server");
            assert_contains(x->r.cause, probe_phase_name(phases[p]));
            /* the probe's own words, not the driver's "Failed to connect" */
            assert_contains(x->r.message, "The probe could not test this server");
            assert_not_contains(x->r.message, "refused");
            assert_true(strlen(x->r.fix) > 40);
            assert_non_null(find(&x->r, probe_diag_name(cases[i].diag)));
            free(x);
        }
    }
    /* and the codes that are not local stay what they were */
    assert_int_equal(PROBE_NET_REFUSED, probe_net_error_from_uv(UV_ECONNREFUSED).kind);
    assert_int_equal(PROBE_NET_DNS, probe_net_error_from_uv(UV_EAI_NONAME).kind);
    assert_int_equal(PROBE_NET_OTHER, probe_net_error_from_uv(UV_EPROTO).kind);
}

/* mbedTLS refused a Certificate message split across records; the sniffer captured the chain. */
static void fx_split(struct fx *x)
{
    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->ti.stage = TLS_STAGE_CERTIFICATE;
    x->ti.error = -0x7080;
    x->ti.local_reject = true;
    x->ti.split_type = 11;
    x->ti.split_len = 29290;
    x->ti.split_whole = true;
    snprintf(x->ti.error_text, sizeof(x->ti.error_text), "split");
}

static void test_split_certificate_message(void **state)
{
    struct fx *x = fx_new();

    (void)state;
    fx_split(x);
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TLS_LIBRARY_LIMIT, NULL);
    assert_int_equal(PROBE_CLASS_LOCAL, probe_diag_class(x->r.diag));
    assert_contains(x->r.cause, "Certificate message (29290 bytes)");
    assert_contains(x->r.cause, "OpenSSL and Schannel clients do");
    assert_contains(x->r.cause, "it passes for 'db1.contoso.com'");
    assert_not_contains(x->r.cause, "-0x7080"); /* never a bare library error */
    assert_contains(x->r.message, "The probe's TLS library could not finish the handshake");
    free(x);

    /* a client that does not validate: said so, no trust verdict */
    x = fx_new();
    fx_split(x);
    x->r.facts.validates = false;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TLS_LIBRARY_LIMIT, NULL);
    assert_contains(x->r.cause, "this client does not validate it");
    free(x);

    /* the chain could not be captured */
    x = fx_new();
    fx_split(x);
    x->ti.chain_len = 0;
    x->ti.verified_path = false;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TLS_LIBRARY_LIMIT, NULL);
    assert_contains(x->r.cause, "could not capture the chain");
    free(x);

    /* the server stopped inside the message: no claim about the client getting past it */
    x = fx_new();
    fx_split(x);
    x->ti.split_whole = false;
    x->ti.chain_len = 0;
    x->ti.verified_path = false;
    x->ti.peer_closed = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, NULL);
    free(x);
    x = fx_new();
    fx_split(x);
    x->ti.split_whole = false;
    x->ti.chain_len = 0;
    x->r.facts.timed_out = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT, NULL);
    free(x);

    /* a certificate error the client stops at comes first; the library's limit is a note */
    x = fx_new();
    fx_split(x);
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 1,
               "the chain's root \"CN=Contoso Issuing CA\" is not in the trust store");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, SEED_UNTRUSTED);
    const struct probe_finding *f = find(&x->r, "tls_library_limit");
    assert_non_null(f);
    assert_int_equal(TLS_SEV_INFO, f->severity);
    assert_contains(f->message, "could not finish the handshake");
    free(x);
}

static void test_timeouts_name_the_phase(void **state)
{
    static const enum probe_phase phases[] = {PROBE_PHASE_RESOLVE, PROBE_PHASE_CONNECT,
                                              PROBE_PHASE_PRELOGIN, PROBE_PHASE_HANDSHAKE};

    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        struct fx *x = fx_new();
        char want[64];
        fx_no_tls(x, phases[i]);
        x->r.facts.timed_out = true;
        probe_diagnose(&x->r);
        assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT,
                       "Timeout expired.  The timeout period elapsed prior to completion of the "
                       "operation or the server is not responding.");
        snprintf(want, sizeof(want), "The %s phase ran out of time", probe_phase_name(phases[i]));
        assert_contains(x->r.cause, want);
        free(x);
    }
}

static void test_timeout_uv_etimedout_and_handshake(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_CONNECT);
    x->r.facts.net = probe_net_error_from_uv(UV_ETIMEDOUT);
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT, NULL);
    free(x);

    /* strict: an old server waits for the rest of a "TDS packet" */
    x = fx_new();
    x->t.client.encrypt = PROBE_ENCRYPT_STRICT;
    x->r.facts.tds8 = true;
    x->r.facts.got_prelogin = false;
    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->r.facts.timed_out = true;
    x->ti.stage = TLS_STAGE_CLIENT_HELLO_SENT;
    x->ti.chain_len = 0;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT, NULL);
    assert_contains(x->r.cause, "handshake phase");
    assert_contains(x->r.fix, "Encrypt=Mandatory");
    free(x);
}

static void test_instance_not_found(void **state)
{
    struct fx *x = fx_new();

    snprintf(x->t.instance, sizeof(x->t.instance), "SQLEXPRESS");
    x->t.port = 0;
    fx_no_tls(x, PROBE_PHASE_BROWSER);
    x->r.facts.timed_out = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_INSTANCE_NOT_FOUND, NULL);
    assert_contains(x->r.message, "error: 26 - Error Locating Server/Instance Specified");
    assert_contains(x->r.cause, "SQLEXPRESS");
    assert_contains(x->r.cause, "UDP 1434");
    assert_contains(x->r.fix, "Server=db1.contoso.com,<port>");
    free(x);
}

static void test_not_tds(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_PRELOGIN);
    x->r.facts.not_tds = true;
    snprintf(x->r.facts.tds_err.detail, sizeof(x->r.facts.tds_err.detail), "reply starts with \"SSH-2.0\"");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_NOT_TDS, NULL);
    assert_contains(x->r.cause, "SSH-2.0");
    assert_contains(x->r.fix, "1433");
    free(x);
}

static void test_protocol_error_names_option(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_PRELOGIN);
    x->r.facts.tds_err.code = TDS_ERR_OPTION_OUT_OF_RANGE;
    x->r.facts.tds_err.offset = 13;
    x->r.facts.tds_err.option = TDS_PL_ENCRYPTION;
    snprintf(x->r.facts.tds_err.detail, sizeof(x->r.facts.tds_err.detail),
             "ENCRYPTION claims [40,+1) of a 30-byte payload");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_PROTOCOL_ERROR, NULL);
    assert_contains(x->r.cause, "offset 13");
    assert_contains(x->r.cause, "option ENCRYPTION");
    assert_contains(x->r.cause, "[40,+1) of a 30-byte payload");
    free(x);
}

static void test_protocol_error_in_handshake_packets(void **state)
{
    struct fx *x = fx_new();

    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->ti.stage = TLS_STAGE_SERVER_HELLO;
    x->ti.chain_len = 0;
    x->r.facts.tds_err.code = TDS_ERR_BAD_PACKET_LENGTH;
    x->r.facts.tds_err.offset = 2;
    snprintf(x->r.facts.tds_err.detail, sizeof(x->r.facts.tds_err.detail), "length 3 is under 8");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_PROTOCOL_ERROR, NULL);
    assert_contains(x->r.cause, "carrying the TLS handshake");
    assert_contains(x->r.cause, "length 3 is under 8");

    /* a local failure is not blamed on the server */
    x->r.facts.tds_err.code = TDS_ERR_NO_SPACE;
    snprintf(x->r.facts.tds_err.detail, sizeof(x->r.facts.tds_err.detail), "TLS session: out of memory");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_PROTOCOL_ERROR, NULL);
    assert_contains(x->r.cause, "The probe could not continue");
    assert_not_contains(x->r.cause, "malformed");
    free(x);
}

static void test_timeout_mid_handshake_not_blamed_on_chain(void **state)
{
    struct fx *x = fx_new();

    /* the chain arrived but the server stalled before verification could run: the policy's
     * "not verified" finding must not turn into untrusted_chain */
    x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
    x->r.facts.timed_out = true;
    x->ti.stage = TLS_STAGE_CERTIFICATE;
    x->ti.verified_path = false;
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, -1,
               "the chain was not verified: the handshake ended before verification");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT, NULL);
    assert_contains(x->r.cause, "The handshake phase ran out of time");
    assert_contains(x->r.cause, "in the middle of the TLS handshake");
    assert_contains(x->r.fix, "drops large packets");
    free(x);
}

/* A reply cut short: named as one, whether the server then went silent or closed. */
static void test_partial_prelogin_reply(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_PRELOGIN);
    x->r.facts.timed_out = true;
    x->r.facts.prelogin_have = 10;
    x->r.facts.prelogin_want = 26;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT, NULL);
    assert_contains(x->r.cause, "only 10 bytes of it (its TDS header announces 26)");
    assert_null(strstr(x->r.cause, "no PRELOGIN reply came back"));

    x->r.facts.timed_out = false;
    x->r.facts.server_closed_after_prelogin = true;
    x->r.facts.prelogin_want = 0;
    x->r.facts.prelogin_have = 3;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, NULL);
    assert_contains(x->r.cause, "only 3 bytes of it (not even the 8-byte TDS header)");
    assert_contains(x->r.cause, "cut short");
    free(x);
}

/* Packets that carry nothing for the handshake: the probe stopped, the cause counts them. */
static void test_handshake_noise(void **state)
{
    struct fx *x = fx_new();

    fx_no_tls(x, PROBE_PHASE_HANDSHAKE);
    x->r.facts.noise_packets = PROBE_NOISE_MAX;
    x->r.facts.noise_alerts = 4;
    x->r.facts.noise_alert = 90;
    x->r.facts.noise_stopped = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_PROTOCOL_ERROR, NULL);
    assert_contains(x->r.cause, "60 empty 0x12 packets, 4 TLS warning alerts, the last one "
                                "user_canceled (90)");
    assert_contains(x->r.cause, "stopped reading after 64");
    /* fewer, then silence: the timeout says what came instead of "never answered" */
    x->r.facts.noise_stopped = false;
    x->r.facts.noise_packets = 5;
    x->r.facts.noise_alerts = 0;
    x->r.facts.timed_out = true;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT, NULL);
    assert_contains(x->r.cause, "5 empty 0x12 packets");
    assert_null(strstr(x->r.cause, "never answered"));
    free(x);
}

static void test_no_chain_no_policy_noise(void **state)
{
    struct fx *x = fx_new();

    /* the handshake died before the Certificate message: "no certificate" is not a finding */
    fx_closed_after_hello(x);
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, -1, "the server presented no certificate");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_FORCIBLY_CLOSED, SEED_CLOSED);
    assert_null(find(&x->r, "untrusted_chain"));
    free(x);
}

/* ---- other drivers' words ---- */

static void test_driver_texts(void **state)
{
    struct fx *x = fx_new();

    /* go-mssqldb and the fallback certificate: no SAN, a hostname error */
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "go-mssqldb");
    fx_cert(x, 0, "SSL_Self_Signed_Fallback", "SSL_Self_Signed_Fallback", true);
    x->ti.chain_len = 1;
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "no names");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_NAME_MISMATCH,
                   "TLS Handshake failed: x509: certificate is not valid for any names, but "
                   "wanted to match db1.contoso.com");
    assert_reissue_fix(x->r.fix);

    /* tedious, self-signed leaf */
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "tedious");
    x->r.verdict.n = 0;
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 0, "self-signed");
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN,
                   "Failed to connect to db1.contoso.com:1433 - self-signed certificate");
    assert_contains(x->r.fix, "options.trustServerCertificate: true");
    /* a named instance: tedious names the instance, not the port the Browser gave
     * (connection.ts wrapSocketError) */
    snprintf(x->t.instance, sizeof(x->t.instance), "SQLEXPRESS");
    x->t.port = 0;
    x->r.facts.port = 50123;
    probe_diagnose(&x->r);
    assert_string_equal(x->r.message, "Failed to connect to db1.contoso.com\\SQLEXPRESS - "
                                      "self-signed certificate");
    x->t.instance[0] = '\0';
    x->t.port = 1433;
    x->r.facts.port = 0;

    /* JDBC name mismatch names both sides (and keeps the original's missing space) */
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "jdbc");
    fx_cert(x, 0, "db2.contoso.com", "Contoso CA", false);
    fx_san(x, 0, TLS_SAN_DNS, "db2.contoso.com");
    x->r.verdict.n = 0;
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "mismatch");
    probe_diagnose(&x->r);
    assert_contains(x->r.message, "\"encrypt\" property is set to \"true\" and "
                                  "\"trustServerCertificate\" property is set to \"false\"");
    assert_contains(x->r.message, "Failed to validate the server name \"db1.contoso.com\"in a "
                                  "certificate");
    assert_contains(x->r.message, "Name in certificate \"db2.contoso.com\"");
    free(x);

    /* go-mssqldb refusing TLS 1.0 prints the wire version */
    x = fx_new();
    snprintf(x->t.client.driver, sizeof(x->t.client.driver), "go-mssqldb");
    x->ti.local_reject = true;
    x->ti.server_hello_version = TLS_V10;
    x->ti.stage = TLS_STAGE_SERVER_HELLO;
    x->ti.chain_len = 0;
    probe_diagnose(&x->r);
    assert_verdict(&x->r, PROBE_STATUS_FAIL, PROBE_DIAG_PROTOCOL_MISMATCH,
                   "TLS Handshake failed: tls: server selected unsupported protocol version "
                   "301");
    free(x);
}

static void test_findings_bounded(void **state)
{
    struct fx *x = fx_new();

    for (int i = 0; i < TLS_MAX_FINDINGS; i++) {
        fx_finding(x, TLS_F_NEGATIVE_SERIAL, TLS_SEV_WARNING, 0, "again");
    }
    x->r.facts.followup_ran = true;
    x->r.facts.scope = TDS_TLS_FULL;
    x->r.facts.validates = false;
    probe_diagnose(&x->r);
    assert_true(x->r.n_findings <= PROBE_MAX_FINDINGS);
    assert_int_equal(x->r.n_findings, TLS_MAX_FINDINGS + 2);
    free(x);
}

/* Every driver's fix speaks its own row's keywords, and its words are filled in: the same
 * untrusted chain and wrong name for each driver (SqlClient 2.x-3.x and FreeTDS included). */
static void test_every_driver_uses_its_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < probe_driver_count(); i++) {
        const struct probe_driver *d = probe_driver_at(i);
        struct fx *x = fx_new();

        snprintf(x->t.client.driver, sizeof(x->t.client.driver), "%s", d->name);
        fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 1, "root not trusted");
        probe_diagnose(&x->r);
        assert_int_equal(x->r.diag, PROBE_DIAG_UNTRUSTED_CHAIN);
        assert_contains(x->r.fix, d->kw->trust);
        if (d->kw->pin != NULL) {
            assert_contains(x->r.fix, d->kw->pin);
        }
        assert_true(x->r.message[0] != '\0' && strchr(x->r.message, '{') == NULL);

        x->r.verdict.n = 0;
        fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "wrong name");
        snprintf(x->certs[0].san[0].value, sizeof(x->certs[0].san[0].value), "db2.contoso.com");
        probe_diagnose(&x->r);
        assert_int_equal(x->r.diag, PROBE_DIAG_NAME_MISMATCH);
        if (d->kw->hnic_pre != NULL) {
            assert_contains(x->r.fix, d->kw->hnic_pre);
        } else {
            assert_not_contains(x->r.fix, "tell the client which name to expect");
        }
        assert_true(x->r.message[0] != '\0' && strchr(x->r.message, '{') == NULL);
        free(x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_client_texts),
        cmocka_unit_test(test_ok_validated),
        cmocka_unit_test(test_ok_login_only_warns),
        cmocka_unit_test(test_ok_trust_server_certificate_warns),
        cmocka_unit_test(test_ok_plaintext_warns),
        cmocka_unit_test(test_ok_old_tls_warns),
        cmocka_unit_test(test_untrusted_self_signed),
        cmocka_unit_test(test_untrusted_fallback),
        cmocka_unit_test(test_untrusted_ca),
        cmocka_unit_test(test_every_driver_uses_its_row),
        cmocka_unit_test(test_untrusted_incomplete_chain),
        cmocka_unit_test(test_last_error_driver_weak_signature_first),
        cmocka_unit_test(test_unparsable_maps_to_untrusted),
        cmocka_unit_test(test_name_mismatch),
        cmocka_unit_test(test_name_mismatch_first_error_wins),
        cmocka_unit_test(test_name_mismatch_hostile_san_not_in_commands),
        cmocka_unit_test(test_name_mismatch_hnic_in_command),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_expired_intermediate),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_cert_properties),
        cmocka_unit_test(test_pin_mismatch),
        cmocka_unit_test(test_no_validation_no_failure),
        cmocka_unit_test(test_forcibly_closed_followup_ok_version),
        cmocka_unit_test(test_forcibly_closed_client_lacks_tls12),
        cmocka_unit_test(test_forcibly_closed_followup_ok_cipher),
        cmocka_unit_test(test_forcibly_closed_followup_failed),
        cmocka_unit_test(test_forcibly_closed_no_followup),
        cmocka_unit_test(test_forcibly_closed_alert),
        cmocka_unit_test(test_strict_tls13_only_no_common_group),
        cmocka_unit_test(test_strict_tls13_refused_finding),
        cmocka_unit_test(test_forcibly_closed_before_prelogin_reply),
        cmocka_unit_test(test_forcibly_closed_after_prelogin_reply),
        cmocka_unit_test(test_protocol_mismatch),
        cmocka_unit_test(test_client_os_words),
        cmocka_unit_test(test_other_platforms_line),
        cmocka_unit_test(test_encryption_not_supported),
        cmocka_unit_test(test_encryption_required),
        cmocka_unit_test(test_tds8_not_supported),
        cmocka_unit_test(test_strict_no_tsc_escape),
        cmocka_unit_test(test_dns_failure),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_local_errors),
        cmocka_unit_test(test_split_certificate_message),
        cmocka_unit_test(test_timeouts_name_the_phase),
        cmocka_unit_test(test_timeout_uv_etimedout_and_handshake),
        cmocka_unit_test(test_instance_not_found),
        cmocka_unit_test(test_not_tds),
        cmocka_unit_test(test_protocol_error_names_option),
        cmocka_unit_test(test_protocol_error_in_handshake_packets),
        cmocka_unit_test(test_timeout_mid_handshake_not_blamed_on_chain),
        cmocka_unit_test(test_no_chain_no_policy_noise),
        cmocka_unit_test(test_partial_prelogin_reply),
        cmocka_unit_test(test_handshake_noise),
        cmocka_unit_test(test_driver_texts),
        cmocka_unit_test(test_findings_bounded),
        cmocka_unit_test(test_cleartext_login),
        cmocka_unit_test(test_cleartext_not_asked_is_ok),
        cmocka_unit_test(test_unknown_reply_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
