/* tests/unit/test_probe_audit_report.c: what the writers make of a TLS policy audit.
 *
 * Audits are built by hand (as the planner would leave them): TLS 1.2 enforced, not enforced,
 * nothing accepted, the connection budget hit, and a server accepting 3DES, RC4, CBC-SHA1 and
 * static-RSA suites. Checked: the "TLS 1.2 enforced" verdict and its fix, the weak reasons,
 * the JSON (strict validator from json_check.h plus Python's json module, which also checks
 * values), the text tables, the audit findings (added, never changing the verdict), the
 * summary's copy, the end-of-run matrix and the Prometheus families (through promtool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/promtool_check.h"

#include "probe/diagnose/probe_audit_verdict.h"
#include "probe/diagnose/probe_diagnose.h"
#include "probe/model/probe.h"
#include "probe/model/probe_audit.h"
#include "probe/output/probe_audit_report.h"
#include "probe/output/probe_monitor.h"
#include "probe/output/probe_report.h"
#include "probe/output/probe_summary.h"

#include "json_check.h"

#define SUITE_3DES 0x000a  /* TLS_RSA_WITH_3DES_EDE_CBC_SHA: 3DES, CBC-SHA1, no FS */
#define SUITE_RC4 0x0005   /* TLS_RSA_WITH_RC4_128_SHA: RC4, no FS */
#define SUITE_CBC 0xc014   /* TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: CBC-SHA1 only */
#define SUITE_NOFS 0x009d  /* TLS_RSA_WITH_AES_256_GCM_SHA384: no FS only */
#define SUITE_GOOD 0xc02f  /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
#define SUITE_GOOD2 0xc030 /* TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 */

/* ---- fixtures ---- */

struct fx {
    struct probe_target t;
    struct probe_result r;
    struct probe_audit a;
};

static void set_proto(struct probe_audit *a, int v, enum probe_proto_state st, const char *how,
                      uint16_t cipher)
{
    a->proto[v].state = st;
    snprintf(a->proto[v].how, sizeof(a->proto[v].how), "%s", how);
    a->proto[v].cipher = cipher;
}

static void set_suites(struct probe_audit *a, int v, const uint16_t *ids, size_t n, bool known,
                       bool server)
{
    struct probe_cipher_list *cl = &a->ciphers[v];

    cl->n = n;
    memcpy(cl->ids, ids, n * sizeof(ids[0]));
    cl->order_known = known;
    cl->server_order = server;
}

/* A result the client verdict calls OK, with the audit attached and nothing else reached. */
static struct fx *fx_new(const char *target)
{
    struct fx *x = calloc(1, sizeof(*x));

    assert_non_null(x);
    snprintf(x->t.text, sizeof(x->t.text), "%s", target);
    snprintf(x->t.host, sizeof(x->t.host), "%s", target);
    x->t.port = 1433;
    x->r.target = &x->t;
    x->r.status = PROBE_STATUS_OK;
    x->r.diag = PROBE_DIAG_OK;
    x->r.facts.got_prelogin = true;
    x->r.facts.phase = PROBE_PHASE_DONE;
    snprintf(x->r.message, sizeof(x->r.message), "A client with these settings would connect.");
    x->r.facts.t_resolve = x->r.facts.t_browser = x->r.facts.t_connect = -1;
    x->r.facts.t_prelogin = x->r.facts.t_handshake = x->r.facts.t_total = -1;
    x->a.want_protocols = true;
    x->a.max_connections = 100;
    x->r.facts.audit = &x->a;
    return x;
}

/* TLS 1.0 and 1.1 rejected, TLS 1.2 accepted: the seed's mssql-conf setting. */
static struct fx *fx_enforced(const char *target)
{
    struct fx *x = fx_new(target);

    set_proto(&x->a, TLS_V10, PROBE_PROTO_REJECTED, "alert protocol_version", 0);
    set_proto(&x->a, TLS_V11, PROBE_PROTO_REJECTED, "connection reset", 0);
    set_proto(&x->a, TLS_V12, PROBE_PROTO_ACCEPTED,
              "ServerHello TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", SUITE_GOOD2);
    x->a.connections = 3;
    return x;
}

/* Every version, every weak class: the old server an audit is for. */
static struct fx *fx_legacy(const char *target)
{
    struct fx *x = fx_new(target);
    const uint16_t old[] = {SUITE_CBC, SUITE_3DES, SUITE_RC4};
    const uint16_t v12[] = {SUITE_GOOD, SUITE_NOFS, SUITE_CBC, SUITE_3DES};

    x->a.want_ciphers = true;
    set_proto(&x->a, TLS_V10, PROBE_PROTO_ACCEPTED,
              "ServerHello TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", SUITE_CBC);
    set_proto(&x->a, TLS_V11, PROBE_PROTO_ACCEPTED,
              "ServerHello TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", SUITE_CBC);
    set_proto(&x->a, TLS_V12, PROBE_PROTO_ACCEPTED,
              "ServerHello TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", SUITE_GOOD);
    set_suites(&x->a, TLS_V10, old, 3, true, true);
    set_suites(&x->a, TLS_V11, old, 3, true, false);
    set_suites(&x->a, TLS_V12, v12, 4, false, false);
    x->a.connections = 24;
    return x;
}

static struct fx *fx_nothing(const char *target)
{
    struct fx *x = fx_new(target);

    x->a.want_ciphers = true;
    for (int v = TLS_V10; v <= TLS_V12; v++) {
        set_proto(&x->a, v, PROBE_PROTO_REJECTED, "alert handshake_failure", 0);
    }
    return x;
}

/* --ciphers with a budget of 5: the TLS 1.2 walk stopped after two picks. */
static struct fx *fx_budget(const char *target)
{
    struct fx *x = fx_enforced(target);
    const uint16_t two[] = {SUITE_GOOD2, SUITE_GOOD};

    x->a.want_ciphers = true;
    x->a.max_connections = 5;
    x->a.connections = 5;
    x->a.budget_hit = true;
    set_suites(&x->a, TLS_V12, two, 2, false, false);
    x->a.ciphers[TLS_V12].incomplete = true;
    return x;
}

#include "tests/unit/capture.h"
#include "tls/tls_version.h"

/* The result as probe_diagnose() leaves it: the audit's findings after the result's own (on
 * a copy, so a fixture can be written again after a change to its audit). */
static struct probe_result *diagnosed(const struct fx *x)
{
    struct probe_result *r = malloc(sizeof(*r));

    assert_non_null(r);
    *r = x->r;
    probe_audit_add_findings(r);
    return r;
}

static char *json_of(const struct fx *x)
{
    struct probe_result *r = diagnosed(x);
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_json(f, r);
    cap_close(f);
    free(r);
    return c.buf;
}

static char *text_of(const struct fx *x)
{
    struct probe_result *r = diagnosed(x);
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_text(f, r, false);
    cap_close(f);
    free(r);
    return c.buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void assert_valid_json(const char *s, struct jv *v)
{
    if (!jv_parse_line(v, s, strlen(s))) {
        fail_msg("invalid JSON line near offset %ld:\n%s", (long)(v->p - s), s);
    }
}

/* Python's json module parses the line, and the Python expression `check` (over d, the
 * object) must hold: a second parser and a check of values, not only of substrings. */
static void assert_python(const char *json, const char *check)
{
    char path[] = "/tmp/tdsprobe-audit-XXXXXX";
    char cmd[2048];
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_true(fputs(json, f) >= 0);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; d=json.loads(open(sys.argv[1],\"rb\").read()"
             ".decode(\"utf-8\")); assert (%s), d' %s", check, path);
    int rc = system(cmd);
    unlink(path);
    if (rc != 0) {
        fail_msg("python check failed: %s\non: %s", check, json);
    }
}

static char *prometheus_of(const struct probe_summary *s, size_t n);

/* ---- the verdict ---- */

static void test_tls12_verdict(void **state)
{
    enum probe_proto_state st[TLS_V13 + 1] = {0};

    (void)state;
    st[TLS_V10] = st[TLS_V11] = PROBE_PROTO_REJECTED;
    st[TLS_V12] = PROBE_PROTO_ACCEPTED;
    assert_int_equal(probe_audit_tls12(st), PROBE_TLS12_ENFORCED);
    st[TLS_V11] = PROBE_PROTO_ACCEPTED;
    assert_int_equal(probe_audit_tls12(st), PROBE_TLS12_NOT_ENFORCED);
    st[TLS_V11] = PROBE_PROTO_ERROR; /* cannot tell */
    assert_int_equal(probe_audit_tls12(st), PROBE_TLS12_UNKNOWN);
    st[TLS_V10] = PROBE_PROTO_ACCEPTED; /* one old version accepted is enough for "no" */
    assert_int_equal(probe_audit_tls12(st), PROBE_TLS12_NOT_ENFORCED);
    st[TLS_V10] = st[TLS_V11] = PROBE_PROTO_REJECTED;
    st[TLS_V12] = PROBE_PROTO_REJECTED;
    assert_int_equal(probe_audit_tls12(st), PROBE_TLS12_NOT_ENFORCED);
    st[TLS_V12] = PROBE_PROTO_NOT_TESTED;
    assert_int_equal(probe_audit_tls12(st), PROBE_TLS12_UNKNOWN);
    assert_string_equal(probe_tls12_name(PROBE_TLS12_ENFORCED), "yes");
    assert_string_equal(probe_tls12_name(PROBE_TLS12_NOT_ENFORCED), "no");
    assert_string_equal(probe_tls12_name(PROBE_TLS12_UNKNOWN), "unknown");
}

static void test_fix_text(void **state)
{
    enum probe_proto_state st[TLS_V13 + 1] = {0};
    char fix[4096];

    (void)state;
    st[TLS_V10] = st[TLS_V11] = st[TLS_V12] = PROBE_PROTO_ACCEPTED;
    probe_audit_fix(st, fix, sizeof(fix));
    assert_contains(fix, "\n  sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols 1.2\n");
    assert_contains(fix, "\n  sudo systemctl restart mssql-server\n");
    assert_contains(fix, "  reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders"
                         "\\SCHANNEL\\Protocols\\TLS 1.0\\Server\" /v Enabled /t REG_DWORD /d 0 "
                         "/f\n");
    assert_contains(fix, "\\TLS 1.0\\Server\" /v DisabledByDefault /t REG_DWORD /d 1 /f\n");
    assert_contains(fix, "\\TLS 1.1\\Server\" /v Enabled /t REG_DWORD /d 0 /f\n");
    assert_contains(fix, "\\TLS 1.1\\Server\" /v DisabledByDefault /t REG_DWORD /d 1 /f\n");
    assert_contains(fix, "restart SQL Server");
    assert_contains(fix, "every client supports TLS 1.2");
    assert_not_contains(fix, "nothing modern");

    st[TLS_V12] = PROBE_PROTO_REJECTED;
    probe_audit_fix(st, fix, sizeof(fix));
    assert_contains(fix, "accepts nothing modern");
    assert_contains(fix, "\\TLS 1.2\\Server\" /v Enabled /t REG_DWORD /d 1 /f\n");
    assert_contains(fix, "\\TLS 1.2\\Server\" /v DisabledByDefault /t REG_DWORD /d 0 /f\n");
    assert_contains(fix, "network.tlsprotocols 1.2");

    st[TLS_V10] = st[TLS_V11] = PROBE_PROTO_REJECTED;
    st[TLS_V12] = PROBE_PROTO_ACCEPTED;
    probe_audit_fix(st, fix, sizeof(fix));
    assert_string_equal(fix, ""); /* enforced: nothing to do */

    probe_audit_fix(st, fix, 8); /* a short buffer is cut, never overrun */
    st[TLS_V10] = PROBE_PROTO_ACCEPTED;
    probe_audit_fix(st, fix, 8);
    assert_int_equal(strlen(fix), 7);
}

static void test_weak_mask(void **state)
{
    (void)state;
    assert_int_equal(probe_suite_weak_mask(SUITE_3DES), (1u << PROBE_WEAK_3DES) |
                     (1u << PROBE_WEAK_CBC_SHA1) | (1u << PROBE_WEAK_NO_FS));
    assert_int_equal(probe_suite_weak_mask(SUITE_RC4),
                     (1u << PROBE_WEAK_RC4) | (1u << PROBE_WEAK_NO_FS));
    assert_int_equal(probe_suite_weak_mask(SUITE_CBC), 1u << PROBE_WEAK_CBC_SHA1);
    assert_int_equal(probe_suite_weak_mask(SUITE_NOFS), 1u << PROBE_WEAK_NO_FS);
    assert_int_equal(probe_suite_weak_mask(SUITE_GOOD), 0);
    assert_int_equal(probe_suite_weak_mask(0xfefe), 0); /* unknown: no claim */
    assert_string_equal(probe_weak_reason(PROBE_WEAK_3DES), "SWEET32 (3DES)");
    assert_string_equal(probe_weak_reason(PROBE_WEAK_RC4), "RC4");
    assert_string_equal(probe_weak_reason(PROBE_WEAK_CBC_SHA1), "CBC with SHA-1 MAC");
    assert_string_equal(probe_weak_reason(PROBE_WEAK_NO_FS), "no forward secrecy");
    assert_string_equal(probe_weak_reason(PROBE_WEAK_NULL), "NULL cipher");
}

/* ---- JSON ---- */

static void test_json_enforced(void **state)
{
    struct fx *x = fx_enforced("db1");
    char *j = json_of(x);
    struct jv v;
    char keys[512];

    (void)state;
    assert_valid_json(j, &v);
    keys_under(&v, "", keys, sizeof(keys));
    assert_contains(keys, ",protocols,protocols_detail,");
    assert_contains(keys, ",tls12_enforced,");
    assert_contains(keys, "ciphers,");
    /* version keys hold dots, which the validator's key paths cannot split: Python checks */
    assert_python(j, "list(d[\"protocols\"])==[\"TLSv1.0\",\"TLSv1.1\",\"TLSv1.2\"] and "
                     "list(d[\"protocols_detail\"])==[\"TLSv1.0\",\"TLSv1.1\",\"TLSv1.2\","
                     "\"TLSv1.3\"] and all(sorted(x)==[\"cipher\",\"how\",\"state\"] "
                     "for x in d[\"protocols_detail\"].values())");
    assert_contains(j, "\"protocols\":{\"TLSv1.0\":\"rejected\",\"TLSv1.1\":\"rejected\","
                       "\"TLSv1.2\":\"accepted\"}");
    assert_contains(j, "\"tls12_enforced\":true");
    assert_contains(j, "\"audit_transport\":\"tds7\"");
    assert_contains(j, "\"ciphers\":null"); /* --protocols alone */
    assert_contains(j, "\"findings\":[]");
    assert_python(j, "d[\"protocols_detail\"][\"TLSv1.1\"]=={\"state\":\"rejected\","
                     "\"how\":\"connection reset\",\"cipher\":None} and "
                     "d[\"protocols_detail\"][\"TLSv1.2\"][\"cipher\"]=="
                     "\"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\" and "
                     "d[\"protocols_detail\"][\"TLSv1.3\"]=={\"state\":\"not_tested\","
                     "\"how\":\"needs TDS 8.0 strict\",\"cipher\":None}");
    free(j);
    free(x);
}

static void test_json_legacy(void **state)
{
    struct fx *x = fx_legacy("old1");
    char *j = json_of(x);
    struct jv v;

    (void)state;
    assert_valid_json(j, &v);
    assert_python(j, "list(d[\"ciphers\"])==[\"TLSv1.0\",\"TLSv1.1\",\"TLSv1.2\"] and "
                     "all(sorted(c)==[\"incomplete\",\"order\",\"suites\"] "
                     "for c in d[\"ciphers\"].values()) and "
                     "all(sorted(s)==[\"auth\",\"cipher\",\"id\",\"kx\",\"mac\",\"name\","
                     "\"weak\"] for c in d[\"ciphers\"].values() for s in c[\"suites\"])");
    assert_contains(j, "\"tls12_enforced\":false");
    assert_contains(j, "{\"name\":\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\",\"id\":\"0x000a\","
                       "\"kx\":\"RSA\",\"auth\":\"RSA\",\"cipher\":\"3DES-EDE-CBC\","
                       "\"mac\":\"SHA1\",\"weak\":[\"SWEET32 (3DES)\",\"CBC with SHA-1 MAC\","
                       "\"no forward secrecy\"]}");
    assert_contains(j, "\"weak\":[\"RC4\",\"no forward secrecy\"]");
    /* the verdict stays the client's */
    assert_contains(j, "\"status\":\"ok\"");
    assert_contains(j, "\"diagnosis\":{\"code\":\"ok\"");
    assert_python(j, "[c[\"order\"] for c in d[\"ciphers\"].values()]=="
                     "[\"server\",\"client\",\"unknown\"] and "
                     "[s[\"id\"] for s in d[\"ciphers\"][\"TLSv1.2\"][\"suites\"]]=="
                     "[\"0xc02f\",\"0x009d\",\"0xc014\",\"0x000a\"] and "
                     "d[\"ciphers\"][\"TLSv1.2\"][\"suites\"][0][\"weak\"]==[] and "
                     "d[\"ciphers\"][\"TLSv1.2\"][\"incomplete\"] is False");
    /* old versions, then one finding per weak class, all warnings with no certificate */
    assert_python(j, "[(f[\"code\"],f[\"severity\"],f[\"cert\"]) for f in d[\"findings\"]]=="
                     "[(\"old_tls_accepted\",\"warning\",None)]+"
                     "[(\"weak_cipher_accepted\",\"warning\",None)]*4");
    assert_contains(j, "3DES suites accepted (64-bit blocks: SWEET32, CVE-2016-2183): "
                       "TLS_RSA_WITH_3DES_EDE_CBC_SHA.");
    assert_contains(j, "RC4 suites accepted (RFC 7465 forbids RC4): TLS_RSA_WITH_RC4_128_SHA.");
    /* each suite named once per class, though accepted at several versions */
    assert_int_equal(count(j, "MACs accepted (Lucky13 family; prefer AEAD): "
                              "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "
                              "TLS_RSA_WITH_3DES_EDE_CBC_SHA."), 1);
    assert_contains(j, "forward secrecy accepted (static RSA/ECDH key exchange: a stolen key "
                       "decrypts recorded traffic): TLS_RSA_WITH_3DES_EDE_CBC_SHA, "
                       "TLS_RSA_WITH_RC4_128_SHA, TLS_RSA_WITH_AES_256_GCM_SHA384.");
    assert_contains(j, "The server accepts TLS 1.0 and TLS 1.1 (deprecated, RFC 8996)");
    free(j);
    free(x);
}

static void test_json_nothing_and_budget(void **state)
{
    struct fx *x = fx_nothing("dead1");
    char *j = json_of(x);
    struct jv v;

    (void)state;
    assert_valid_json(j, &v);
    assert_contains(j, "\"tls12_enforced\":false");
    assert_contains(j, "\"ciphers\":{}"); /* --ciphers ran, no version to walk */
    assert_contains(j, "\"findings\":[]"); /* nothing old accepted, no suites */
    free(j);
    free(x);

    x = fx_budget("busy1");
    j = json_of(x);
    assert_valid_json(j, &v);
    assert_python(j, "d[\"ciphers\"]=={\"TLSv1.2\":{\"order\":\"unknown\",\"incomplete\":True,"
                     "\"suites\":d[\"ciphers\"][\"TLSv1.2\"][\"suites\"]}} and "
                     "len(d[\"ciphers\"][\"TLSv1.2\"][\"suites\"])==2");
    free(j);

    /* the budget ran out before TLS 1.2 was tried: not tested, and no verdict */
    x->a.proto[TLS_V12].state = PROBE_PROTO_NOT_TESTED;
    x->a.proto[TLS_V12].how[0] = '\0';
    x->a.ciphers[TLS_V12].n = 0;
    j = json_of(x);
    assert_valid_json(j, &v);
    assert_contains(j, "\"TLSv1.2\":\"not_tested\"");
    assert_contains(j, "\"tls12_enforced\":null");
    assert_contains(j, "\"TLSv1.2\":{\"state\":\"not_tested\",\"how\":\"connection budget "
                       "reached\",\"cipher\":null}");
    free(j);
    free(x);
}

/* The audit's time budget (--audit-timeout) ran out: the same places say "audit time budget
 * reached", in JSON and text. */
static void test_time_budget(void **state)
{
    struct fx *x = fx_budget("slow1");
    struct jv v;
    char *j, *t;

    (void)state;
    x->a.limit = PROBE_AUDIT_LIMIT_TIME;
    t = text_of(x);
    assert_contains(t, "Ciphers    TLSv1.2  2 accepted, order unknown; incomplete: audit time "
                       "budget reached\n");
    assert_not_contains(t, "connection budget");
    free(t);
    x->a.proto[TLS_V12].state = PROBE_PROTO_NOT_TESTED;
    x->a.proto[TLS_V12].how[0] = '\0';
    x->a.ciphers[TLS_V12].n = 0;
    x->a.want_tls13 = true;
    j = json_of(x);
    assert_valid_json(j, &v);
    assert_contains(j, "\"TLSv1.2\":{\"state\":\"not_tested\",\"how\":\"audit time budget "
                       "reached\",\"cipher\":null}");
    assert_contains(j, "\"TLSv1.3\":{\"state\":\"not_tested\",\"how\":\"audit time budget "
                       "reached\",\"cipher\":null}");
    assert_contains(j, "\"tls12_enforced\":null");
    free(j);
    t = text_of(x);
    assert_contains(t, "           TLSv1.2  not tested (audit time budget reached)\n");
    assert_contains(t, "           TLSv1.3  not tested (audit time budget reached)\n");
    assert_contains(t, "Ciphers    incomplete: audit time budget reached\n");
    assert_not_contains(t, "connection budget");
    free(t);
    free(x);
}

/* Many suites of one class: as many named as fit, "and N more", and the advice kept whole. */
static void test_finding_bounded(void **state)
{
    const uint16_t cbc[] = {0xc014, 0xc013, 0x0035, 0x002f, 0xc00a, 0xc009, 0x0039, 0x0033,
                            0x000a, 0xc012, 0x0016, 0xc008};
    struct probe_finding f[PROBE_AUDIT_MAX_FINDINGS];
    struct fx *x = fx_enforced("many");

    (void)state;
    x->a.want_ciphers = true;
    for (size_t i = 0; i < sizeof(cbc) / sizeof(cbc[0]); i++) {
        assert_true(probe_suite_weak_mask(cbc[i]) & (1u << PROBE_WEAK_CBC_SHA1));
    }
    set_suites(&x->a, TLS_V12, cbc, sizeof(cbc) / sizeof(cbc[0]), true, true);
    size_t n = probe_audit_findings(&x->a, f, PROBE_AUDIT_MAX_FINDINGS);
    const char *m = NULL;
    for (size_t i = 0; i < n; i++) { /* classes come in enum order: 3DES first */
        m = strstr(f[i].message, "CBC suites") == f[i].message ? f[i].message : m;
    }
    assert_non_null(m);
    assert_contains(m, "CBC suites with SHA-1 MACs accepted");
    assert_contains(m, " more. Remove them: mssql-conf network.tlsciphers (Linux), "
                       "Disable-TlsCipherSuite (Windows).");
    assert_true(strlen(m) < sizeof(f[0].message) - 1);
    assert_int_equal(probe_audit_findings(&x->a, f, 0), 0);
    assert_int_equal(probe_audit_findings(NULL, f, PROBE_AUDIT_MAX_FINDINGS), 0);
    free(x);
}

/* A finding the result already carries (say the engine adds it one day) is not repeated. */
static void test_json_finding_not_doubled(void **state)
{
    struct fx *x = fx_legacy("old2");
    char *j;

    (void)state;
    x->r.n_findings = 1;
    snprintf(x->r.findings[0].code, sizeof(x->r.findings[0].code), "old_tls_accepted");
    snprintf(x->r.findings[0].message, sizeof(x->r.findings[0].message), "from the engine");
    x->r.findings[0].severity = TLS_SEV_WARNING;
    x->r.findings[0].cert = -1;
    j = json_of(x);
    assert_int_equal(count(j, "\"old_tls_accepted\""), 1);
    assert_contains(j, "from the engine");
    assert_int_equal(count(j, "\"weak_cipher_accepted\""), 4);
    free(j);
    free(x);
}

/* probe_diagnose() puts the audit's findings into the result itself, after its own, so every
 * consumer of r->findings sees them; the verdict stays the client's. */
static void test_diagnose_adds_audit_findings(void **state)
{
    struct fx *x = fx_legacy("old3");
    size_t n;

    (void)state;
    probe_diagnose(&x->r);
    n = x->r.n_findings;
    assert_int_equal(x->r.diag, PROBE_DIAG_OK);
    assert_true(n >= 5);
    assert_string_equal(x->r.findings[n - 5].code, "old_tls_accepted");
    for (size_t i = n - 4; i < n; i++) {
        assert_string_equal(x->r.findings[i].code, "weak_cipher_accepted");
        assert_int_equal(x->r.findings[i].severity, TLS_SEV_WARNING);
        assert_int_equal(x->r.findings[i].cert, -1);
    }
    /* diagnosing again starts over: nothing doubled */
    probe_diagnose(&x->r);
    assert_int_equal(x->r.n_findings, n);
    free(x);
}

/* ---- text ---- */

static void test_text_enforced(void **state)
{
    struct fx *x = fx_enforced("db1");
    char *t = text_of(x);

    (void)state;
    assert_contains(t, "Protocols  TLSv1.0  rejected  alert protocol_version\n");
    assert_contains(t, "           TLSv1.1  rejected  connection reset\n");
    assert_contains(t, "           TLSv1.2  accepted  ServerHello "
                       "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n");
    assert_contains(t, "           TLSv1.3  not tested (needs TDS 8.0 strict)\n");
    assert_contains(t, "Policy     TLS 1.2 enforced: yes (TLS 1.0 and 1.1 rejected, TLS 1.2 "
                       "accepted)\n");
    assert_not_contains(t, "To enforce");
    assert_not_contains(t, "Ciphers");
    assert_not_contains(t, "Findings");
    assert_not_contains(t, "Audit ");
    assert_contains(t, "Verdict    OK");
    free(t);
    free(x);
}

/* A strict client's audit went TLS first: JSON and text say so; the verdict reads the same. */
static void test_transport_tds8(void **state)
{
    struct fx *x = fx_enforced("strict1");
    char *j, *t;

    (void)state;
    x->a.transport = PROBE_AUDIT_TDS8;
    j = json_of(x);
    t = text_of(x);
    assert_python(j, "d[\"audit_transport\"]==\"tds8\" and d[\"tls12_enforced\"] is True");
    assert_contains(t, "Audit      over TDS 8.0 (TLS first, ALPN tds/8.0), as a strict client "
                       "connects\nProtocols  TLSv1.0  rejected");
    assert_contains(t, "Policy     TLS 1.2 enforced: yes");
    assert_string_equal(probe_audit_transport_name(PROBE_AUDIT_TDS7), "tds7");
    assert_string_equal(probe_audit_transport_name(PROBE_AUDIT_TDS8), "tds8");
    free(j);
    free(t);
    free(x);
}

static void test_text_legacy(void **state)
{
    struct fx *x = fx_legacy("old1");
    char *t = text_of(x);

    (void)state;
    assert_contains(t, "Policy     TLS 1.2 enforced: no (TLS 1.0 and 1.1 accepted)\n");
    assert_contains(t, "To enforce Linux: allow only TLS 1.2 in mssql.conf");
    assert_contains(t, "\n             sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols "
                       "1.2\n");
    assert_contains(t, "\\SCHANNEL\\Protocols\\TLS 1.1\\Server\" /v DisabledByDefault /t "
                       "REG_DWORD /d 1 /f\n");
    assert_contains(t, "Ciphers    TLSv1.0  3 accepted, server order\n");
    assert_contains(t, "           TLSv1.1  3 accepted, client order\n");
    assert_contains(t, "           TLSv1.2  4 accepted, order unknown\n");
    /* names padded to the longest of the version, then the reasons */
    assert_contains(t, "             TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA  ! CBC with SHA-1 MAC\n");
    assert_contains(t, "             TLS_RSA_WITH_3DES_EDE_CBC_SHA       ! SWEET32 (3DES), CBC "
                       "with SHA-1 MAC, no forward secrecy\n");
    assert_contains(t, "             TLS_RSA_WITH_RC4_128_SHA            ! RC4, no forward "
                       "secrecy\n");
    assert_contains(t, "             TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"); /* no flag */
    assert_contains(t, "Findings   ! old_tls_accepted: The server accepts TLS 1.0 and TLS 1.1");
    assert_int_equal(count(t, "! weak_cipher_accepted: "), 4);
    assert_contains(t, "Verdict    OK"); /* the audit informs; the verdict stays */
    /* sections in reading order */
    assert_true(strstr(t, "Protocols") < strstr(t, "Ciphers"));
    assert_true(strstr(t, "Ciphers") < strstr(t, "Policy"));
    assert_true(strstr(t, "Policy") < strstr(t, "To enforce"));
    assert_true(strstr(t, "To enforce") < strstr(t, "Findings"));
    assert_true(strstr(t, "Findings") < strstr(t, "Verdict"));
    free(t);
    free(x);
}

static void test_text_nothing_and_budget(void **state)
{
    struct fx *x = fx_nothing("dead1");
    char *t = text_of(x);

    (void)state;
    assert_contains(t, "TLS 1.2 enforced: no (TLS 1.2 rejected: the server accepts nothing "
                       "modern)\n");
    assert_contains(t, "To enforce TLS 1.2 is rejected too: the server accepts nothing modern.");
    assert_not_contains(t, "Ciphers    TLSv");
    free(t);
    free(x);

    x = fx_budget("busy1");
    t = text_of(x);
    assert_contains(t, "Ciphers    TLSv1.2  2 accepted, order unknown; incomplete: connection "
                       "budget reached\n");
    assert_contains(t, "TLS 1.2 enforced: yes");
    free(t);
    x->a.proto[TLS_V12].state = PROBE_PROTO_NOT_TESTED;
    x->a.ciphers[TLS_V12].n = 0;
    t = text_of(x);
    assert_contains(t, "           TLSv1.2  not tested (connection budget reached)\n");
    assert_contains(t, "Ciphers    incomplete: connection budget reached\n");
    assert_contains(t, "TLS 1.2 enforced: unknown (not every version could be tested)\n");
    free(t);
    free(x);
}

static void test_text_hostile_how_and_none(void **state)
{
    struct fx *x = fx_enforced("db1");
    char *t;

    (void)state;
    set_proto(&x->a, TLS_V10, PROBE_PROTO_ERROR, "timeout \x1b[2J", 0);
    t = text_of(x);
    assert_contains(t, "TLSv1.0  error     timeout \\x1b[2J\n");
    assert_not_contains(t, "\x1b");
    free(t);
    x->r.facts.audit = NULL; /* no audit: no section at all */
    t = text_of(x);
    assert_not_contains(t, "Protocols");
    assert_not_contains(t, "Policy");
    free(t);
    free(x);
}

/* The engine can test TLS 1.3 (one TLS-first ClientHello, TDS 8.0 strict): it then shows up
 * everywhere, and a TLS 1.3-only server is not called "nothing modern". */
static void test_tls13_tested(void **state)
{
    struct fx *x = fx_nothing("strict1");
    struct probe_summary s;
    char *j, *t;

    (void)state;
    x->a.want_tls13 = true;
    set_proto(&x->a, TLS_V13, PROBE_PROTO_ACCEPTED, "ServerHello TLS_AES_256_GCM_SHA384", 0x1302);
    j = json_of(x);
    assert_contains(j, "\"TLSv1.2\":\"rejected\",\"TLSv1.3\":\"accepted\"}");
    assert_contains(j, "\"cipher\":\"TLS_AES_256_GCM_SHA384\"}}");
    assert_contains(j, "\"tls12_enforced\":false");
    t = text_of(x);
    assert_contains(t, "           TLSv1.3  accepted  ServerHello TLS_AES_256_GCM_SHA384\n");
    assert_contains(t, "TLS 1.2 enforced: no (TLS 1.2 rejected: TLS 1.3 only, for TDS 8.0 "
                       "strict clients)\n");
    assert_contains(t, "only TDS 8.0 (strict) clients can connect, over TLS 1.3.");
    assert_not_contains(t, "nothing modern");
    free(j);
    free(t);
    probe_summary_from_result_at(&s, &x->r, 1700000000);
    j = prometheus_of(&s, 1);
    assert_contains(j, "tdsprobe_tls_protocol_accepted{target=\"strict1\","
                       "version=\"TLSv1.3\"} 1\n");
    free(j);
    /* --ciphers: the TLS 1.3 suites, listed like the others */
    x->a.want_ciphers = true;
    x->a.ciphers[TLS_V13] = (struct probe_cipher_list){
        .n = 2, .ids = { 0x1302, 0x1303 }, .order_known = true, .server_order = true };
    j = json_of(x);
    assert_contains(j, "\"ciphers\":{\"TLSv1.3\":{\"order\":\"server\",\"incomplete\":false,"
                       "\"suites\":[{\"name\":\"TLS_AES_256_GCM_SHA384\",\"id\":\"0x1302\"");
    assert_contains(j, "{\"name\":\"TLS_CHACHA20_POLY1305_SHA256\",\"id\":\"0x1303\"");
    t = text_of(x);
    assert_contains(t, "Ciphers    TLSv1.3  2 accepted, server order\n");
    assert_contains(t, "             TLS_CHACHA20_POLY1305_SHA256\n");
    assert_not_contains(t, "weak_cipher_accepted");
    free(j);
    free(t);
    x->a.want_ciphers = false;
    /* the budget ran out before the TLS 1.3 probe */
    x->a.proto[TLS_V13].state = PROBE_PROTO_NOT_TESTED;
    x->a.budget_hit = true;
    t = text_of(x);
    assert_contains(t, "TLSv1.3  not tested (connection budget reached)\n");
    free(t);
    free(x);
}

/* ---- summary, matrix, Prometheus ---- */

static void summarize(struct fx *x, struct probe_summary *s)
{
    probe_summary_from_result_at(s, &x->r, 1700000000);
    free(x);
}

/* db1 enforced, old1 legacy with suites, busy1 budget-limited, down1 without audit. */
static size_t run4(struct probe_summary s[4])
{
    summarize(fx_enforced("db1"), &s[0]);
    summarize(fx_legacy("old1"), &s[1]);
    summarize(fx_budget("busy1"), &s[2]);
    struct fx *x = fx_new("down1");
    x->r.facts.audit = NULL;
    x->r.status = PROBE_STATUS_ERROR;
    x->r.diag = PROBE_DIAG_CONNECTION_REFUSED;
    summarize(x, &s[3]);
    return 4;
}

static void test_summary_copy(void **state)
{
    struct probe_summary s[4];

    (void)state;
    run4(s);
    assert_true(s[0].audit.ran);
    assert_false(s[0].audit.ciphers_ran);
    assert_int_equal(s[0].audit.proto[TLS_V10], PROBE_PROTO_REJECTED);
    assert_int_equal(s[0].audit.proto[TLS_V12], PROBE_PROTO_ACCEPTED);
    assert_int_equal(s[0].audit.proto[TLS_V13], PROBE_PROTO_NOT_TESTED);
    assert_true(s[1].audit.ciphers_ran);
    assert_int_equal(s[1].audit.suites[TLS_V12].n, 4);
    assert_int_equal(s[1].audit.suites[TLS_V12].ids[1], SUITE_NOFS);
    assert_true(s[1].audit.suites[TLS_V12].has_weak);
    assert_true(s[2].audit.budget_hit);
    assert_true(s[2].audit.suites[TLS_V12].incomplete);
    assert_false(s[2].audit.suites[TLS_V12].has_weak);
    assert_false(s[3].audit.ran);

    /* more suites than the summary keeps: cut, flagged, never overrun */
    struct fx *x = fx_budget("many1");
    x->a.ciphers[TLS_V12].n = 100;
    for (uint16_t i = 0; i < 100; i++) {
        x->a.ciphers[TLS_V12].ids[i] = (uint16_t)(0xfe00 + i);
    }
    summarize(x, &s[0]);
    assert_int_equal(s[0].audit.suites[TLS_V12].n, PROBE_SUMMARY_MAX_SUITES);
    assert_true(s[0].audit.suites[TLS_V12].cut);
}

static char *table_of(const struct probe_summary *s, size_t n, bool color)
{
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_summary_table(f, s, n, color);
    cap_close(f);
    return c.buf;
}

static void test_matrix(void **state)
{
    struct probe_summary s[4];
    size_t n = run4(s);
    char *t = table_of(s, n, false);

    (void)state;
    assert_contains(t, "4 targets: 3 ok, 0 fail, 1 error\n"); /* the table first */
    assert_contains(t, "\nTLS policy audit (versions offered alone; suites by --ciphers):\n"
                       "TARGET  TLSv1.0   TLSv1.1   TLSv1.2   TLS 1.2 ENFORCED  WEAK SUITES\n"
                       "db1     rejected  rejected  accepted  yes               -\n"
                       "old1    accepted  accepted  accepted  no                yes\n"
                       "busy1   rejected  rejected  accepted  yes               incomplete\n"
                       "down1   -         -         -         -                 -\n");
    assert_true(strstr(t, "Totals:") < strstr(t, "TLS policy audit"));
    free(t);

    /* colour: old versions accepted in red, enforced in green; widths unchanged by it */
    t = table_of(s, n, true);
    assert_contains(t, "old1    \033[31maccepted\033[0m  \033[31maccepted\033[0m  "
                       "\033[32maccepted\033[0m  \033[31mno\033[0m");
    free(t);

    /* a TLS 1.3 column only when some target had it tested */
    s[0].audit.proto[TLS_V13] = PROBE_PROTO_ACCEPTED;
    t = table_of(s, n, false);
    assert_contains(t, "TARGET  TLSv1.0   TLSv1.1   TLSv1.2   TLSv1.3     TLS 1.2 ENFORCED");
    assert_contains(t, "old1    accepted  accepted  accepted  not tested  no");
    free(t);

    /* no audit anywhere: no matrix */
    t = table_of(&s[3], 1, false);
    assert_not_contains(t, "TLS policy audit");
    free(t);
}

static char *prometheus_of(const struct probe_summary *s, size_t n)
{
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_prometheus(f, s, n);
    cap_close(f);
    return c.buf;
}

#define promtool promtool_check

static void test_prometheus(void **state)
{
    struct probe_summary s[4];
    size_t n = run4(s);
    char *p, out[4096];

    (void)state;
    s[2].audit.proto[TLS_V11] = PROBE_PROTO_ERROR; /* unknown: no sample rather than 0 */
    p = prometheus_of(s, n);
    assert_int_equal(count(p, "# TYPE tdsprobe_tls_protocol_accepted gauge\n"), 1);
    assert_int_equal(count(p, "# TYPE tdsprobe_tls_cipher_accepted gauge\n"), 1);
    assert_contains(p, "tdsprobe_tls_protocol_accepted{target=\"db1\",version=\"TLSv1.0\"} 0\n"
                       "tdsprobe_tls_protocol_accepted{target=\"db1\",version=\"TLSv1.1\"} 0\n"
                       "tdsprobe_tls_protocol_accepted{target=\"db1\",version=\"TLSv1.2\"} 1\n"
                       "tdsprobe_tls_protocol_accepted{target=\"old1\",version=\"TLSv1.0\"} 1\n");
    assert_not_contains(p, "target=\"busy1\",version=\"TLSv1.1\"");
    assert_not_contains(p, "version=\"TLSv1.3\"");
    assert_not_contains(p, "target=\"down1\",version=");
    assert_contains(p, "tdsprobe_tls_cipher_accepted{target=\"old1\",version=\"TLSv1.0\","
                       "cipher=\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"} 1\n");
    assert_int_equal(count(p, "tdsprobe_tls_cipher_accepted{target=\"old1\""), 3 + 3 + 4);
    assert_int_equal(count(p, "tdsprobe_tls_cipher_accepted{target=\"busy1\""), 2);
    assert_not_contains(p, "tdsprobe_tls_cipher_accepted{target=\"db1\"");
    int rc = promtool(p, out, sizeof(out));
    if (rc != 0 || out[0] != '\0') {
        fail_msg("promtool said (exit %d):\n%s\n--- input ---\n%s", rc, out, p);
    }
    free(p);

    /* unknown suite ids are named by their hex id, and stay promtool-clean */
    struct fx *x = fx_budget("hex1");
    x->a.ciphers[TLS_V12].ids[1] = 0xfefe;
    summarize(x, &s[0]);
    p = prometheus_of(s, 1);
    assert_contains(p, "cipher=\"0xfefe\"} 1\n");
    rc = promtool(p, out, sizeof(out));
    assert_int_equal(rc, 0);
    assert_string_equal(out, "");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_verdict),
        cmocka_unit_test(test_fix_text),
        cmocka_unit_test(test_weak_mask),
        cmocka_unit_test(test_json_enforced),
        cmocka_unit_test(test_json_legacy),
        cmocka_unit_test(test_json_nothing_and_budget),
        cmocka_unit_test(test_json_finding_not_doubled),
        cmocka_unit_test(test_diagnose_adds_audit_findings),
        cmocka_unit_test(test_finding_bounded),
        cmocka_unit_test(test_text_enforced),
        cmocka_unit_test(test_text_legacy),
        cmocka_unit_test(test_transport_tds8),
        cmocka_unit_test(test_text_nothing_and_budget),
        cmocka_unit_test(test_text_hostile_how_and_none),
        cmocka_unit_test(test_tls13_tested),
        cmocka_unit_test(test_time_budget),
        cmocka_unit_test(test_summary_copy),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_prometheus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
