/* tests/unit/test_probe_monitor.c: the run-level writers (Nagios, Prometheus, summary table)
 * and probe_summary_from_result().
 *
 * Built twice (tests/unit/monitor.cmake): plain, and with PROMTOOL_PATH, where every
 * Prometheus exposition produced here is also fed to `promtool check metrics`, the reference
 * parser and linter, which must exit 0 and print nothing. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe/model/probe.h"
#include "probe/output/probe_monitor.h"
#include "probe/output/probe_summary.h"
#include "tls/tls_cert.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

#define DAY 86400
#define T_2027_01_01 ((time_t)1798761600) /* 2027-01-01T00:00:00Z */

static const char *const untrusted_text =
    "The certificate chain was issued by an authority that is not trusted.";

#include "tests/unit/capture.h"

/* Line i (0-based) of text, without its newline, into out. */
static void line_of(const char *text, int i, char *out, size_t cap)
{
    const char *p = text;

    for (; i > 0; i--) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    size_t n = strcspn(p, "\n");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == c;
    }
    return n;
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void assert_prefix(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0) {
        fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
    }
}

/* Display columns of UTF-8 text: every byte that is not a continuation byte. */
static size_t cols_of(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0u) != 0x80u;
    }
    return n;
}

/* ---- hand-built summaries ---- */

/* A target with a two-element chain: the leaf expires in `days` days (on T_2027_01_01, a
 * stand-in date), the CA 1000 days later. */
static void mk(struct probe_summary *s, const char *target, enum probe_status st,
               enum probe_diag d, const char *message, long days)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->target, sizeof(s->target), "%s", target);
    snprintf(s->host, sizeof(s->host), "%s", target);
    s->port = 1433;
    snprintf(s->mode, sizeof(s->mode), "full");
    s->status = st;
    s->diag = d;
    snprintf(s->message, sizeof(s->message), "%s", message);
    snprintf(s->server_version, sizeof(s->server_version), "16.0.1000");
    snprintf(s->server_product, sizeof(s->server_product), "SQL Server 2022");
    snprintf(s->server_encryption, sizeof(s->server_encryption), "on");
    s->handshake_ran = true;
    s->tls_version = TLS_V12;
    snprintf(s->cipher, sizeof(s->cipher), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    s->chain_len = s->n_chain = 2;
    s->chain[0] = (struct probe_summary_cert){
        .parsed = true, .not_before = T_2027_01_01 - 365 * DAY, .not_after = T_2027_01_01,
        .days_left = days, .cn = "leaf", .subject = "CN=leaf, O=Contoso",
        .issuer = "CN=Test CA", .serial = "01ab",
        .sha256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"};
    s->chain[1] = (struct probe_summary_cert){
        .parsed = true, .not_before = T_2027_01_01 - 3650 * DAY,
        .not_after = T_2027_01_01 + 1000 * DAY, .days_left = days + 1000, .cn = "Test CA",
        .subject = "CN=Test CA", .issuer = "CN=Test CA", .serial = "7f",
        .sha256 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"};
    s->has_expiry = true;
    s->earliest_not_after = T_2027_01_01;
    s->earliest_days = days;
    s->t_resolve = 0.4;
    s->t_browser = -1;
    s->t_connect = 0.2;
    s->t_prelogin = 0.5;
    s->t_handshake = 3.1;
    s->t_total = 4.3;
}

static void mk_ok(struct probe_summary *s, const char *target, long days)
{
    mk(s, target, PROBE_STATUS_OK, PROBE_DIAG_OK, "A client with these settings would connect.",
       days);
}

static void mk_fail(struct probe_summary *s, const char *target)
{
    mk(s, target, PROBE_STATUS_FAIL, PROBE_DIAG_UNTRUSTED_CHAIN, untrusted_text, 300);
}

/* Could not probe: no handshake, no chain. */
static void mk_error(struct probe_summary *s, const char *target)
{
    mk(s, target, PROBE_STATUS_ERROR, PROBE_DIAG_TIMEOUT,
       "Connection Timeout Expired. The timeout period elapsed during the pre-login phase.", 0);
    s->server_version[0] = s->server_product[0] = s->server_encryption[0] = '\0';
    s->handshake_ran = false;
    s->tls_version = 0;
    s->cipher[0] = '\0';
    s->chain_len = s->n_chain = 0;
    s->has_expiry = false;
    s->t_prelogin = s->t_handshake = -1;
}

static int nagios_policy(const struct probe_summary *s, size_t n,
                         const struct probe_nagios_policy *p, struct cap *c)
{
    FILE *f = cap_open(c);
    int rc = probe_report_nagios(f, s, n, p);

    cap_close(f);
    return rc;
}

static int nagios(const struct probe_summary *s, size_t n, int warn, int crit, struct cap *c)
{
    struct probe_nagios_policy p = {.warn_days = warn, .crit_days = crit};

    return nagios_policy(s, n, &p, c);
}

/* A Nagios report and its first line. */
struct nag {
    struct cap c; /* c.buf: the caller frees it */
    char line[8192];
};

/* Writes the report of n targets with these thresholds, which must exit with `want`. */
static void nagios_expect(struct nag *g, const struct probe_summary *s, size_t n, int warn,
                          int crit, int want)
{
    assert_int_equal(nagios(s, n, warn, crit, &g->c), want);
    line_of(g->c.buf, 0, g->line, sizeof(g->line));
}

/* ---- Nagios: states ---- */

static void test_nagios_ok_far_from_expiry(void **state)
{
    struct probe_summary s;
    struct nag g;

    mk_ok(&s, "db1", 300);
    nagios_expect(&g, &s, 1, -1, -1, 0);
    assert_string_equal(g.line, "TDSPROBE OK - db1: A client with these settings would connect. "
                                "TLSv1.2, expires in 300 days (2027-01-01) | "
                                "'db1_days_chain_elem1'=300;20;15;; "
                                "'db1_days_chain_elem2'=1300;20;15;; "
                                "'db1_handshake'=3.100ms;;;;");
    line_of(g.c.buf, 1, g.line, sizeof(g.line));
    assert_string_equal(g.line, "OK: db1: A client with these settings would connect. TLSv1.2, "
                                "expires in 300 days (2027-01-01); cipher "
                                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384; server 16.0.1000 "
                                "(SQL Server 2022); handshake full");
    assert_int_equal(count_char(g.c.buf, '\n'), 2);
    free(g.c.buf);
}

/* One OK target days from expiry under the warn/crit thresholds: the exit state, how the
 * first line starts, and what else it says (NULL: nothing more). */
struct expiry_case {
    long days;
    int warn, crit, want;
    const char *prefix, *says, *also;
};

static void expiry_cases(const struct expiry_case *k, size_t n)
{
    for (size_t i = 0; i < n; i++, k++) {
        struct probe_summary s;
        struct nag g;

        mk_ok(&s, "db1", k->days);
        nagios_expect(&g, &s, 1, k->warn, k->crit, k->want);
        assert_prefix(g.line, k->prefix);
        if (k->says != NULL) {
            assert_non_null(strstr(g.line, k->says));
        }
        if (k->also != NULL) {
            assert_non_null(strstr(g.line, k->also));
        }
        free(g.c.buf);
    }
}

static void test_nagios_warning_threshold(void **state)
{
    static const struct expiry_case cases[] = {
        { 21, 20, 15, 0, "TDSPROBE OK - db1: ", NULL, NULL },
        /* <= warn_days */
        { 20, 20, 15, 1, "TDSPROBE WARNING - db1: ", "expires in 20 days (2027-01-01) |", NULL },
        /* the caller's thresholds, not the defaults */
        { 45, 60, 30, 1, "TDSPROBE WARNING - db1: ", "'db1_days_chain_elem1'=45;60;30;;", NULL },
    };

    expiry_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_nagios_critical_expiry(void **state)
{
    static const struct expiry_case cases[] = {
        /* <= crit_days */
        { 15, 20, 15, 2, "TDSPROBE CRITICAL - db1: ", NULL, NULL },
        /* TrustServerCertificate=true: an expired certificate still connects, but it is
         * CRITICAL */
        { -3, 20, 15, 2, "TDSPROBE CRITICAL - db1: ", "TLSv1.2, expired 3 days ago (2027-01-01) |",
          "'db1_days_chain_elem1'=-3;20;15;;" },
        { 1, 20, 15, 2, "TDSPROBE CRITICAL - db1: ", "expires in 1 day (2027-01-01)", NULL },
    };

    expiry_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_nagios_fail_is_critical(void **state)
{
    struct probe_summary s;
    struct nag g;

    mk_fail(&s, "db2"); /* far from expiry, but the client would fail */
    nagios_expect(&g, &s, 1, -1, -1, 2);
    assert_prefix(g.line, "TDSPROBE CRITICAL - db2: untrusted_chain: The certificate chain "
                               "was issued by an authority that is not trusted. TLSv1.2, expires "
                               "in 300 days (2027-01-01) | ");
    assert_int_equal(probe_nagios_state(&s, NULL), PROBE_NAGIOS_CRITICAL);
    free(g.c.buf);
}

static void test_nagios_error_is_critical(void **state)
{
    struct probe_summary s;
    struct nag g;

    mk_error(&s, "db9");
    nagios_expect(&g, &s, 1, -1, -1, 2); /* a server that does not answer is down */
    line_of(g.c.buf, 0, g.line, sizeof(g.line));
    /* no chain and no handshake: the perfdata part is empty rather than made up */
    assert_string_equal(g.line, "TDSPROBE CRITICAL - db9: timeout: Connection Timeout Expired. The "
                                "timeout period elapsed during the pre-login phase. |");
    free(g.c.buf);

    nagios_expect(&g, NULL, 0, -1, -1, 3);
    assert_string_equal(g.c.buf, "TDSPROBE UNKNOWN - no targets\n");
    free(g.c.buf);
}

static void test_nagios_state_order(void **state)
{
    enum probe_nagios_state ok = PROBE_NAGIOS_OK, w = PROBE_NAGIOS_WARNING;
    enum probe_nagios_state cr = PROBE_NAGIOS_CRITICAL, u = PROBE_NAGIOS_UNKNOWN;

    assert_int_equal(probe_nagios_worst(ok, u), u);
    assert_int_equal(probe_nagios_worst(u, w), w);
    assert_int_equal(probe_nagios_worst(w, u), w);
    assert_int_equal(probe_nagios_worst(u, cr), cr);
    assert_int_equal(probe_nagios_worst(cr, w), cr);
    assert_int_equal(probe_nagios_worst(ok, ok), ok);
    assert_string_equal(probe_nagios_state_name(u), "UNKNOWN");
}

static void test_nagios_many_mixed(void **state)
{
    struct probe_summary s[6];
    struct nag g;

    mk_ok(&s[0], "db1", 300);
    mk_fail(&s[1], "db2");
    mk_ok(&s[2], "db3", 200);
    mk_ok(&s[3], "db4", 100);
    nagios_expect(&g, s, 4, -1, -1, 2);
    assert_prefix(g.line, "TDSPROBE CRITICAL - 3 OK, 1 CRITICAL: db2 (untrusted_chain) | "
                                     "'db1_days_chain_elem1'=300;20;15;; ");
    assert_int_equal(count_char(g.c.buf, '\n'), 5); /* first line + one long line per target */
    line_of(g.c.buf, 2, g.line, sizeof(g.line));
    assert_prefix(g.line, "CRITICAL: db2: untrusted_chain: ");
    free(g.c.buf);

    /* an unreachable server is CRITICAL; non-OK targets are named worst first */
    mk_ok(&s[0], "db1", 300);
    mk_error(&s[1], "db2");
    mk_ok(&s[2], "db3", 10);
    mk_ok(&s[3], "db4", 18);
    nagios_expect(&g, s, 4, -1, -1, 2);
    assert_prefix(g.line, "TDSPROBE CRITICAL - 1 OK, 1 WARNING, 2 CRITICAL: "
                                     "db2 (timeout), db3 (expires in 10 days), "
                                     "db4 (expires in 18 days) | ");
    free(g.c.buf);
    nagios_expect(&g, s, 2, -1, -1, 2); /* OK + unreachable */
    free(g.c.buf);
    mk_ok(&s[1], "db2", 300);
    mk_ok(&s[2], "db3", 19);
    nagios_expect(&g, s, 4, -1, -1, 1); /* OK + WARNINGs */
    assert_prefix(g.c.buf, "TDSPROBE WARNING - 2 OK, 2 WARNING: db3 ");
    free(g.c.buf);
    mk_ok(&s[1], "db2", 25);
    mk_ok(&s[2], "db3", 25);
    mk_ok(&s[3], "db4", 25);
    nagios_expect(&g, s, 4, -1, -1, 0);
    assert_prefix(g.c.buf, "TDSPROBE OK - 4 OK | ");
    free(g.c.buf);
}

static void test_nagios_many_named_bounded(void **state)
{
    struct probe_summary s[15];
    struct nag g;
    char name[16];

    for (int i = 0; i < 15; i++) {
        snprintf(name, sizeof(name), "db%d", i);
        mk_fail(&s[i], name);
    }
    nagios_expect(&g, s, 15, -1, -1, 2);
    assert_non_null(strstr(g.line, "15 CRITICAL: db0 (untrusted_chain), "));
    assert_non_null(strstr(g.line, "db9 (untrusted_chain), and 5 more | "));
    assert_null(strstr(g.line, "db10 (untrusted_chain)"));
    free(g.c.buf);
}

/* Perfdata after the first " |": space-separated 'label'=value[UOM];warn;crit;; items where a
 * quoted label may hold anything but a lone quote (quotes are doubled). */
static void assert_perfdata_syntax(const char *first_line)
{
    const char *bar = strchr(first_line, '|');
    regex_t re;

    assert_non_null(bar);
    assert_null(strchr(bar + 1, '|'));
    assert_int_equal(regcomp(&re,
                             "^( '([^'=|]|'')+_(days_chain_elem[0-9]+'=-?[0-9]+;[0-9]+;[0-9]+;;"
                             "|handshake'=[0-9]+\\.[0-9]+ms;;;;))+$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regexec(&re, bar + 1, 0, NULL, 0), 0);
    regfree(&re);
}

static void test_nagios_perfdata_syntax(void **state)
{
    struct probe_summary s[5];
    struct nag g;

    mk_ok(&s[0], "db1.contoso.com,1433", 300);
    mk_fail(&s[1], "db2\\SQLEXPRESS");
    mk_error(&s[2], "db3");
    mk_ok(&s[3], "it's a \"db\"|x\ny", 5);
    mk_ok(&s[4], "Server=x;Encrypt=strict", 5); /* a connection string: host:port instead */
    snprintf(s[4].host, sizeof(s[4].host), "h'=1");
    nagios_expect(&g, s, 5, -1, -1, 2);
    assert_perfdata_syntax(g.line);
    assert_non_null(strstr(g.line, " 'db1.contoso.com,1433_days_chain_elem2'=1300;20;15;; "));
    assert_non_null(strstr(g.line, " 'db2\\SQLEXPRESS_handshake'=3.100ms;;;; "));
    /* the plugin guidelines: a quote is doubled; '=', '|' and newlines cannot be in a label */
    assert_non_null(strstr(g.line, " 'it''s a \"db\"_x_y_days_chain_elem1'=5;20;15;; "));
    assert_non_null(strstr(g.line, " 'h''_1:1433_days_chain_elem1'=5;20;15;; "));
    free(g.c.buf);
}

static void test_nagios_hostile_text(void **state)
{
    struct probe_summary s;
    struct nag g;

    mk(&s, "evil|db\n\x1b[2J", PROBE_STATUS_FAIL, PROBE_DIAG_NAME_MISMATCH,
       "The target principal name is incorrect.|\nINJECTED", 300);
    nagios_expect(&g, &s, 1, -1, -1, 2);
    assert_int_equal(count_char(g.c.buf, '\n'), 2);  /* first line and one long g.line, no more */
    assert_null(strchr(g.c.buf, '\x1b'));
    line_of(g.c.buf, 0, g.line, sizeof(g.line));
    assert_int_equal(count_char(g.line, '|'), 1);    /* only the perfdata separator */
    assert_non_null(strstr(g.line, "TDSPROBE CRITICAL - evil\\x7cdb\\x0a\\x1b[2J: name_mismatch: "
                                   "The target principal name is incorrect.\\x7c\\x0aINJECTED "));
    assert_perfdata_syntax(g.line);
    free(g.c.buf);
}

/* ---- Nagios: the TLS policy (findings, --require-tls12-only, --ignore) ---- */

static void add_finding(struct probe_summary *s, const char *code, enum tls_severity sev)
{
    s->findings[s->n_findings] = (struct probe_summary_finding){.severity = sev};
    snprintf(s->findings[s->n_findings].code, sizeof(s->findings[0].code), "%s", code);
    s->n_findings++;
}

/* An OK target whose audit saw TLS 1.0 accepted (the finding the diagnosis adds for it). */
static void mk_old_tls(struct probe_summary *s, const char *target)
{
    mk_ok(s, target, 300);
    s->audit.ran = true;
    s->audit.proto[TLS_V10] = PROBE_PROTO_ACCEPTED;
    s->audit.proto[TLS_V11] = PROBE_PROTO_REJECTED;
    s->audit.proto[TLS_V12] = PROBE_PROTO_ACCEPTED;
    add_finding(s, "old_tls_accepted", TLS_SEV_WARNING);
}

static void test_nagios_findings_make_the_state(void **state)
{
    struct probe_summary s[3];
    struct nag g;

    mk_ok(&s[0], "db1", 300);
    add_finding(&s[0], "self_signed", TLS_SEV_INFO); /* info: no change */
    nagios_expect(&g, s, 1, -1, -1, 0);
    assert_null(strstr(g.c.buf, "policy:"));
    free(g.c.buf);

    mk_old_tls(&s[0], "db1"); /* the case: TLS 1.0 accepted was "TDSPROBE OK" */
    nagios_expect(&g, s, 1, -1, -1, 1);
    assert_prefix(g.line, "TDSPROBE WARNING - db1: A client with these settings would connect. "
                          "TLSv1.2, expires in 300 days (2027-01-01); policy: old_tls_accepted "
                          "(warning) | 'db1_days_chain_elem1'=300;20;15;; ");
    line_of(g.c.buf, 1, g.line, sizeof(g.line));
    assert_prefix(g.line, "WARNING: db1: A client");
    free(g.c.buf);

    add_finding(&s[0], "name_mismatch", TLS_SEV_ERROR); /* error: CRITICAL */
    assert_int_equal(probe_nagios_state(&s[0], NULL), PROBE_NAGIOS_CRITICAL);

    /* many targets: each non-OK one named with its reasons */
    mk_old_tls(&s[0], "db1");
    mk_ok(&s[1], "db2", 10);
    add_finding(&s[1], "no_validation", TLS_SEV_WARNING);
    mk_ok(&s[2], "db3", 300);
    nagios_expect(&g, s, 3, -1, -1, 2);
    assert_prefix(g.line, "TDSPROBE CRITICAL - 1 OK, 1 WARNING, 1 CRITICAL: db2 (expires in 10 "
                          "days, no_validation (warning)), db1 (old_tls_accepted (warning)) | ");
    free(g.c.buf);
}

static void test_nagios_require_tls12_only(void **state)
{
    struct probe_nagios_policy p = {.warn_days = -1, .crit_days = -1, .require_tls12_only = true};
    struct probe_summary s;
    struct cap c;
    char line[2048];

    mk_old_tls(&s, "db1");
    assert_int_equal(nagios_policy(&s, 1, &p, &c), 2);
    line_of(c.buf, 0, line, sizeof(line));
    assert_non_null(strstr(line, "; policy: old_tls_accepted (warning), TLS 1.2 not enforced |"));
    free(c.buf);

    s.audit.proto[TLS_V10] = PROBE_PROTO_REJECTED; /* enforced */
    s.n_findings = 0;
    assert_int_equal(nagios_policy(&s, 1, &p, &c), 0);
    assert_prefix(c.buf, "TDSPROBE OK - db1: ");
    free(c.buf);

    s.audit.proto[TLS_V11] = PROBE_PROTO_ERROR; /* the audit cannot tell */
    assert_int_equal(probe_nagios_state(&s, &p), PROBE_NAGIOS_UNKNOWN);
    s.audit.ran = false; /* no audit at all */
    assert_int_equal(nagios_policy(&s, 1, &p, &c), 3);
    assert_non_null(strstr(c.buf, "TLS 1.2 enforcement not known"));
    free(c.buf);

    s.audit.ran = true;
    s.audit.proto[TLS_V11] = PROBE_PROTO_REJECTED;
    s.audit.proto[TLS_V12] = PROBE_PROTO_REJECTED; /* TLS 1.2 refused: not "TLS 1.2 only" */
    assert_int_equal(probe_nagios_state(&s, &p), PROBE_NAGIOS_CRITICAL);
    mk_fail(&s, "db2"); /* the client's failure stays CRITICAL whatever the policy */
    assert_int_equal(probe_nagios_state(&s, &p), PROBE_NAGIOS_CRITICAL);
}

static void test_nagios_ignore(void **state)
{
    struct probe_nagios_policy p = {.warn_days = -1, .crit_days = -1};
    struct probe_summary s;
    struct cap c;
    char err[200];

    mk_old_tls(&s, "db1");
    add_finding(&s, "fallback_certificate", TLS_SEV_WARNING);
    assert_int_equal(probe_nagios_ignore(&p, "old_tls_accepted", err, sizeof(err)), 0);
    assert_int_equal(probe_nagios_state(&s, &p), PROBE_NAGIOS_WARNING);
    assert_int_equal(probe_nagios_ignore(&p, "fallback_certificate", err, sizeof(err)), 0);
    assert_int_equal(nagios_policy(&s, 1, &p, &c), 0);
    assert_prefix(c.buf, "TDSPROBE OK - db1: ");
    assert_null(strstr(c.buf, "policy:"));
    free(c.buf);
    mk_fail(&s, "db2"); /* ignoring a code never hides the client's own failure */
    add_finding(&s, "untrusted_chain", TLS_SEV_ERROR);
    assert_int_equal(probe_nagios_ignore(&p, "untrusted_chain", err, sizeof(err)), 0);
    assert_int_equal(probe_nagios_state(&s, &p), PROBE_NAGIOS_CRITICAL);

    /* not a finding code's shape, or too many */
    assert_int_equal(probe_nagios_ignore(&p, "Old-TLS", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--ignore takes a finding code"));
    assert_int_equal(probe_nagios_ignore(&p, "", err, sizeof(err)), -1);
    assert_int_equal(probe_nagios_ignore(&p, "a_code_that_is_longer_than_31_bytes", err,
                                         sizeof(err)), -1);

    /* a code no finding has: the nearest one, or that it is a diagnosis; nothing is added */
    size_t before = p.n_ignore;
    assert_int_equal(probe_nagios_ignore(&p, "fallback_certificat", err, sizeof(err)), -1);
    assert_string_equal(err, "--ignore: unknown finding code 'fallback_certificat' (did you mean "
                             "fallback_certificate?); tdsprobe --list-findings lists them");
    assert_int_equal(probe_nagios_ignore(&p, "old_tls_acepted", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "did you mean old_tls_accepted?"));
    assert_int_equal(probe_nagios_ignore(&p, "forcibly_closed", err, sizeof(err)), -1);
    assert_prefix(err, "--ignore: 'forcibly_closed' is a diagnosis code, not a finding code");
    assert_non_null(strstr(err, "--list-findings"));
    assert_int_equal(probe_nagios_ignore(&p, "expiry", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "did you mean expired?"));
    assert_int_equal(p.n_ignore, before);
    while (p.n_ignore < PROBE_NAGIOS_MAX_IGNORE) {
        assert_int_equal(probe_nagios_ignore(&p, "self_signed", err, sizeof(err)), 0);
    }
    assert_int_equal(probe_nagios_ignore(&p, "self_signed", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than"));
}

static void test_nagios_unknown_line(void **state)
{
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_nagios_unknown(f, "bad target: 'a|b\nc'");
    cap_close(f);
    assert_string_equal(c.buf, "TDSPROBE UNKNOWN - bad target: 'a\\x7cb\\x0ac'\n");
    free(c.buf);
}

/* ---- probe_summary_from_result ---- */

static void set_cert(struct tls_cert *c, bool parsed, const char *cn, time_t not_after)
{
    c->parsed = parsed;
    snprintf(c->subject_cn, sizeof(c->subject_cn), "%s", cn);
    c->not_after = not_after;
}

/* A TDS 7.x result for db1 with a three-certificate chain the caller frees (ti->chain). */
static void build_result(struct probe_target *t, struct probe_result *r, struct tls_info *ti)
{
    memset(t, 0, sizeof(*t));
    memset(r, 0, sizeof(*r));
    memset(ti, 0, sizeof(*ti));
    snprintf(t->text, sizeof(t->text), "tcp:db1.contoso.com,1533");
    snprintf(t->host, sizeof(t->host), "db1.contoso.com");
    t->client.handshake = TLS_HANDSHAKE_CERTIFICATE;
    r->target = t;
    r->status = PROBE_STATUS_OK;
    r->diag = PROBE_DIAG_OK;
    snprintf(r->message, sizeof(r->message), "A client with these settings would connect.");
    snprintf(r->facts.server_version, sizeof(r->facts.server_version), "16.0.1000");
    snprintf(r->facts.server_product, sizeof(r->facts.server_product), "SQL Server 2022");
    r->facts.got_prelogin = true;
    r->facts.prelogin.has_encryption = true;
    r->facts.prelogin.encryption = 3; /* ENCRYPT_REQ */
    r->facts.t_resolve = 1.5, r->facts.t_browser = -1, r->facts.t_connect = 2, r->facts.t_prelogin = 3;
    r->facts.t_handshake = 4, r->facts.t_total = 10.5;

    ti->version = TLS_V12;
    snprintf(ti->cipher, sizeof(ti->cipher), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    ti->chain_len = 3;
    ti->chain = calloc(ti->chain_len, sizeof(*ti->chain));
    assert_non_null(ti->chain);
    set_cert(&ti->chain[0], true, "db1.contoso.com", T_2027_01_01 + 200 * DAY);
    set_cert(&ti->chain[1], true, "Contoso Issuing CA", T_2027_01_01); /* the earliest */
    set_cert(&ti->chain[2], false, "", 0); /* unparsable: no date, never the earliest */
    snprintf(ti->chain[0].subject, sizeof(ti->chain[0].subject), "CN=db1.contoso.com, O=Contoso");
    snprintf(ti->chain[0].issuer, sizeof(ti->chain[0].issuer), "CN=Contoso Issuing CA");
    snprintf(ti->chain[0].serial, sizeof(ti->chain[0].serial), "5a0c");
    snprintf(ti->chain[0].sha256, sizeof(ti->chain[0].sha256), "%064d", 7);
    ti->chain[0].not_before = T_2027_01_01 - 165 * DAY;
    snprintf(ti->chain[2].sha256, sizeof(ti->chain[2].sha256), "%064d", 9);
    /* one code twice at two severities, and another */
    r->findings[0] = (struct probe_finding){.code = "expired", .severity = TLS_SEV_WARNING};
    r->findings[1] = (struct probe_finding){.code = "self_signed", .severity = TLS_SEV_INFO};
    r->findings[2] = (struct probe_finding){.code = "expired", .severity = TLS_SEV_ERROR};
    r->n_findings = 3;
    r->facts.tls = ti;
}

static void test_summary_from_result(void **state)
{
    static struct probe_target t;
    static struct probe_result r;
    struct tls_info ti;
    struct probe_summary *s = calloc(1, sizeof(*s));
    const time_t now = T_2027_01_01 - 100 * DAY - 3600; /* 100 days and an hour before */

    assert_non_null(s);
    build_result(&t, &r, &ti);
    probe_summary_from_result_at(s, &r, now);
    free(ti.chain); /* the summary holds no pointer into the result */
    r.facts.tls = NULL;
    memset(&t, 0xA5, sizeof(t));

    assert_string_equal(s->target, "tcp:db1.contoso.com,1533");
    assert_string_equal(s->host, "db1.contoso.com");
    assert_int_equal(s->port, 1433); /* no port anywhere, default instance */
    assert_string_equal(s->mode, "certificate");
    assert_int_equal(s->status, PROBE_STATUS_OK);
    assert_string_equal(s->server_encryption, "required");
    assert_true(s->handshake_ran);
    assert_string_equal(probe_summary_tls_name(s), "TLSv1.2");
    assert_string_equal(s->cipher, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_int_equal(s->chain_len, 3);
    assert_int_equal(s->n_chain, 3);
    assert_string_equal(s->chain[1].cn, "Contoso Issuing CA");
    assert_int_equal(s->chain[0].days_left, 300);
    assert_int_equal(s->chain[1].days_left, 100); /* 100 days and an hour: rounded down */
    assert_false(s->chain[2].parsed);
    assert_string_equal(s->chain[0].subject, "CN=db1.contoso.com, O=Contoso");
    assert_string_equal(s->chain[0].issuer, "CN=Contoso Issuing CA");
    assert_string_equal(s->chain[0].serial, "5a0c");
    assert_int_equal(strlen(s->chain[0].sha256), 64);
    assert_int_equal(s->chain[0].not_before, T_2027_01_01 - 165 * DAY);
    assert_string_equal(s->chain[2].sha256 + 62, "09"); /* kept for an unparsable one */
    assert_string_equal(s->chain[2].subject, "");
    assert_int_equal(s->n_findings, 2); /* one per code, at its worst severity */
    assert_string_equal(s->findings[0].code, "expired");
    assert_int_equal(s->findings[0].severity, TLS_SEV_ERROR);
    assert_string_equal(s->findings[1].code, "self_signed");
    assert_int_equal(s->findings[1].severity, TLS_SEV_INFO);
    assert_true(s->has_expiry);
    assert_int_equal(s->earliest_not_after, T_2027_01_01);
    assert_int_equal(s->earliest_days, 100);
    assert_true(s->t_browser < 0);
    assert_true(s->t_total > 10.4 && s->t_total < 10.6);

    /* through a writer: the "expired" finding (severity error) is CRITICAL... */
    struct cap c;
    assert_int_equal(nagios(s, 1, 120, 15, &c), 2);
    assert_non_null(strstr(c.buf, "; policy: expired (error) |"));
    free(c.buf);
    /* ...and, ignored, leaves WARNING at warn 120, and perfdata only for the parsed elements */
    struct probe_nagios_policy p = {.warn_days = 120, .crit_days = 15};
    char err[200];
    assert_int_equal(probe_nagios_ignore(&p, "expired", err, sizeof(err)), 0);
    assert_int_equal(nagios_policy(s, 1, &p, &c), 1);
    assert_non_null(strstr(c.buf, "TDSPROBE WARNING - tcp:db1.contoso.com,1533: A client"));
    assert_null(strstr(c.buf, "policy:"));
    assert_non_null(strstr(c.buf, "'tcp:db1.contoso.com,1533_days_chain_elem2'=100;120;15;;"));
    assert_null(strstr(c.buf, "_days_chain_elem3"));
    free(c.buf);
    free(s);
}

static void test_summary_bounds(void **state)
{
    static struct probe_target t;
    static struct probe_result r;
    struct tls_info ti;
    struct probe_summary s;
    char label[300];

    memset(&t, 0, sizeof(t));
    memset(&r, 0, sizeof(r));
    memset(&ti, 0, sizeof(ti));
    /* 700 bytes of two-byte characters: the 512-byte field must cut between characters */
    for (size_t i = 0; i + 2 < 701; i += 2) {
        memcpy(t.text + i, "\xC3\xA9", 2);
    }
    snprintf(t.host, sizeof(t.host), "db1");
    snprintf(t.instance, sizeof(t.instance), "SQLEXPRESS");
    r.target = &t;
    r.status = PROBE_STATUS_ERROR;
    r.diag = PROBE_DIAG_INSTANCE_NOT_FOUND;
    ti.chain_len = 12; /* more than kept */
    ti.chain = calloc(ti.chain_len, sizeof(*ti.chain));
    assert_non_null(ti.chain);
    for (size_t i = 0; i < ti.chain_len; i++) {
        set_cert(&ti.chain[i], true, "x", T_2027_01_01 + (time_t)(12 - i) * DAY);
    }
    r.facts.tls = &ti;
    probe_summary_from_result_at(&s, &r, T_2027_01_01);
    free(ti.chain);

    assert_int_equal(strlen(s.target), 510);
    assert_string_equal(s.target + 508, "\xC3\xA9");
    assert_int_equal(s.port, 0); /* named instance, SQL Browser not reached */
    assert_int_equal(s.chain_len, 12);
    assert_int_equal(s.n_chain, PROBE_SUMMARY_MAX_CHAIN);
    assert_int_equal(s.earliest_days, 3); /* the earliest among the kept ones */
    assert_string_equal(probe_summary_label(&s, label, sizeof(label)), "db1\\SQLEXPRESS");
    s.port = 1533;
    assert_string_equal(probe_summary_label(&s, label, sizeof(label)), "db1\\SQLEXPRESS:1533");
    snprintf(s.target, sizeof(s.target), "Server=db1;Encrypt=strict");
    s.instance[0] = '\0';
    assert_string_equal(probe_summary_label(&s, label, sizeof(label)), "db1:1533");
    snprintf(s.target, sizeof(s.target), "db1,1533");
    assert_string_equal(probe_summary_label(&s, label, sizeof(label)), "db1,1533");
    assert_int_equal(probe_summary_days_left(T_2027_01_01 - 1, T_2027_01_01), -1);
    assert_int_equal(probe_summary_days_left(T_2027_01_01 + DAY - 1, T_2027_01_01), 0);
}

/* ---- Prometheus ---- */

static char *prometheus(const struct probe_summary *s, size_t n)
{
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_prometheus(f, s, n);
    cap_close(f);
    return c.buf;
}

/* A mixed run with hostile strings in every label that takes data. */
static size_t hostile_run(struct probe_summary *s)
{
    mk_ok(&s[0], "db1.contoso.com", 300);
    mk_fail(&s[1], "db2\\SQLEXPRESS");
    mk_error(&s[2], "db3");
    mk_ok(&s[3], "q\"uote\\back\nnew\x01line", 5);
    snprintf(s[3].chain[0].cn, sizeof(s[3].chain[0].cn), "cn \"x\"\\\n\xff\xfe end");
    snprintf(s[3].server_product, sizeof(s[3].server_product), "bad \xc3\x28 utf8");
    snprintf(s[3].chain[0].subject, sizeof(s[3].chain[0].subject), "CN=\"evil\"\\\n\xff");
    mk_ok(&s[4], "Server=tcp:db5,1433;Encrypt=strict", 30);
    s[4].tds8 = true;
    snprintf(s[4].mode, sizeof(s[4].mode), "certificate");
    /* db1 was audited: TLS 1.0 accepted, so TLS 1.2 is not enforced; two findings */
    s[0].audit.ran = true;
    s[0].audit.proto[TLS_V10] = PROBE_PROTO_ACCEPTED;
    s[0].audit.proto[TLS_V11] = PROBE_PROTO_REJECTED;
    s[0].audit.proto[TLS_V12] = PROBE_PROTO_ACCEPTED;
    s[0].findings[0] = (struct probe_summary_finding){"old_tls_accepted", TLS_SEV_WARNING};
    s[0].findings[1] = (struct probe_summary_finding){"self_signed", TLS_SEV_INFO};
    s[0].n_findings = 2;
    s[1].findings[0] = (struct probe_summary_finding){"untrusted_chain", TLS_SEV_ERROR};
    s[1].n_findings = 1;
    /* db5: audited, TLS 1.0 and 1.1 refused: enforced */
    s[4].audit.ran = true;
    s[4].audit.proto[TLS_V10] = s[4].audit.proto[TLS_V11] = PROBE_PROTO_REJECTED;
    s[4].audit.proto[TLS_V12] = PROBE_PROTO_ACCEPTED;
    return 5;
}

/* Every family: one HELP, one TYPE gauge, right before its samples, which are contiguous. */
static void assert_grouped(const char *text)
{
    char seen[32][64], cur[64] = "", line[4096];
    size_t n_seen = 0;
    int lines = (int)count_char(text, '\n');

    for (int i = 0; i < lines; i++) {
        line_of(text, i, line, sizeof(line));
        if (strncmp(line, "# HELP ", 7) == 0) {
            size_t k = strcspn(line + 7, " ");
            assert_true(k < sizeof(cur));
            memcpy(cur, line + 7, k);
            cur[k] = '\0';
            for (size_t j = 0; j < n_seen; j++) {
                assert_string_not_equal(seen[j], cur);
            }
            assert_true(n_seen < 32);
            memcpy(seen[n_seen++], cur, sizeof(cur));
            line_of(text, ++i, line, sizeof(line));
            char type[128];
            snprintf(type, sizeof(type), "# TYPE %s gauge", cur);
            assert_string_equal(line, type);
            continue;
        }
        assert_true(cur[0] != '\0');
        assert_int_equal(strncmp(line, cur, strlen(cur)), 0);
        assert_int_equal(line[strlen(cur)], '{');
    }
}

static void test_prometheus_format(void **state)
{
    struct probe_summary s[5];
    size_t n = hostile_run(s);
    char *out = prometheus(s, n);

    assert_grouped(out);
    assert_non_null(strstr(out, "tdsprobe_success{target=\"db1.contoso.com\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_success{target=\"db2\\\\SQLEXPRESS\"} 0\n"));
    assert_non_null(strstr(out, "tdsprobe_status_info{target=\"db3\",status=\"error\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_diagnosis_info{target=\"db2\\\\SQLEXPRESS\","
                                "code=\"untrusted_chain\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_ssl_earliest_cert_expiry{target=\"db1.contoso.com\"} "
                                "1798761600\n"));
    assert_non_null(strstr(out, "tdsprobe_ssl_chain_expiry_seconds{target=\"db1.contoso.com\","
                                "element=\"2\",cn=\"Test CA\"} 1885161600\n"));
    assert_non_null(strstr(out, "tdsprobe_tls_version_info{target=\"db1.contoso.com\","
                                "version=\"TLSv1.2\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_duration_seconds{target=\"db1.contoso.com\","
                                "phase=\"handshake\"} 0.0031\n"));
    assert_non_null(strstr(out, "tdsprobe_probe_info{target=\"Server=tcp:db5,1433;"
                                "Encrypt=strict\",mode=\"tds8\",handshake=\"certificate\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_server_info{target=\"db1.contoso.com\",version="
                                "\"16.0.1000\",product=\"SQL Server 2022\",encryption=\"on\"} 1"));
    /* the exposition format's three escapes; other bytes as they are, bad UTF-8 as U+FFFD */
    assert_non_null(strstr(out, "{target=\"q\\\"uote\\\\back\\nnew\x01line\"} 1\n"));
    assert_non_null(strstr(out, "cn=\"cn \\\"x\\\"\\\\\\n\xEF\xBF\xBD\xEF\xBF\xBD end\"}"));
    assert_non_null(strstr(out, "product=\"bad \xEF\xBF\xBD( utf8\""));
    /* phases that did not run, and TLS facts of a target that never got there, are absent */
    assert_null(strstr(out, "phase=\"browser\""));
    assert_null(strstr(out, "tdsprobe_tls_version_info{target=\"db3\""));
    assert_null(strstr(out, "tdsprobe_ssl_chain_length{target=\"db3\""));
    assert_null(strstr(out, "tdsprobe_server_info{target=\"db3\""));
    assert_non_null(strstr(out, "tdsprobe_duration_seconds{target=\"db3\",phase=\"total\"}"));
    /* certificate identity: one series per element, NotBefore beside NotAfter */
    assert_non_null(strstr(out, "tdsprobe_ssl_chain_info{target=\"db1.contoso.com\",element="
                                "\"1\",fingerprint_sha256=\"0011223344556677"));
    assert_non_null(strstr(out, "aabbccddeeff\",subject=\"CN=leaf, O=Contoso\",issuer=\"CN=Test "
                                "CA\",serialnumber=\"01ab\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_ssl_chain_info{target=\"db1.contoso.com\",element="
                                "\"2\",fingerprint_sha256=\"ffeeddcc"));
    assert_non_null(strstr(out, "subject=\"CN=\\\"evil\\\"\\\\\\n\xEF\xBF\xBD\",issuer="));
    assert_int_equal(count_of(out, "tdsprobe_ssl_chain_info{"), 8); /* 4 targets x 2 */
    assert_non_null(strstr(out, "tdsprobe_ssl_chain_not_before_seconds{target=\"db1.contoso.com\""
                                ",element=\"1\",cn=\"leaf\"} 1767225600\n"));
    /* policy: TLS 1.2 enforcement where the audit said yes or no, one series per finding */
    assert_non_null(strstr(out, "tdsprobe_tls12_enforced{target=\"db1.contoso.com\"} 0\n"));
    assert_non_null(strstr(out, "tdsprobe_tls12_enforced{target=\"Server=tcp:db5,1433;"
                                "Encrypt=strict\"} 1\n"));
    assert_int_equal(count_of(out, "tdsprobe_tls12_enforced{"), 2);
    assert_non_null(strstr(out, "tdsprobe_finding_info{target=\"db1.contoso.com\",code="
                                "\"old_tls_accepted\",severity=\"warning\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_finding_info{target=\"db1.contoso.com\",code="
                                "\"self_signed\",severity=\"info\"} 1\n"));
    assert_non_null(strstr(out, "tdsprobe_finding_info{target=\"db2\\\\SQLEXPRESS\",code="
                                "\"untrusted_chain\",severity=\"error\"} 1\n"));
    assert_int_equal(count_of(out, "tdsprobe_finding_info{"), 3);
    free(out);

    out = prometheus(s, 0);
    assert_string_equal(out, "");
    free(out);
}

#ifdef PROMTOOL_PATH
#include "tests/unit/promtool_check.h"
#define promtool promtool_check

static void assert_promtool_clean(const char *text)
{
    char out[4096];
    int rc = promtool(text, out, sizeof(out));

    if (rc != 0 || out[0] != '\0') {
        fprintf(stderr, "promtool said (exit %d):\n%s\n--- input ---\n%s", rc, out, text);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(out, "");
}

static void test_prometheus_promtool(void **state)
{
    struct probe_summary s[5];
    size_t n = hostile_run(s);
    char *out = prometheus(s, n);

    assert_promtool_clean(out);
    free(out);

    out = prometheus(&s[2], 1); /* an error alone: only the families it has */
    assert_promtool_clean(out);
    free(out);
}

static void test_promtool_catches_errors(void **state)
{
    char out[4096];

    /* the check has teeth: a raw newline inside a label value does not parse... */
    assert_int_not_equal(promtool("# HELP x_info y\n# TYPE x_info gauge\n"
                                  "x_info{target=\"a\nb\"} 1\n", out, sizeof(out)), 0);
    assert_string_not_equal(out, "");
    /* ...and lint problems (here a missing HELP) fail it too */
    assert_int_not_equal(promtool("tdsprobe_success{target=\"a\"} 1\n", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "no help text"));
}
#endif

/* ---- summary table ---- */

static char *table(const struct probe_summary *s, size_t n, bool color)
{
    struct cap c;
    FILE *f = cap_open(&c);

    probe_report_summary_table(f, s, n, color);
    cap_close(f);
    return c.buf;
}

static void test_table_alignment_and_totals(void **state)
{
    struct probe_summary s[4];
    char line[1024], head[1024];

    mk_ok(&s[0], "db1", 300);
    mk_fail(&s[1], "db2.contoso.com,1433");
    mk_error(&s[2], "db3");
    mk_ok(&s[3], "db4", 7);
    char *out = table(s, 4, false);

    assert_int_equal(count_char(out, '\n'), 7); /* header, 4 rows, totals, count */
    line_of(out, 0, head, sizeof(head));
    assert_string_equal(head, "TARGET                VERDICT               SERVER     TLS      "
                              "DAYS LEFT");
    line_of(out, 1, line, sizeof(line));
    assert_string_equal(line, "db1                   ok                    16.0.1000  TLSv1.2  "
                              "      300");
    line_of(out, 2, line, sizeof(line));
    assert_string_equal(line, "db2.contoso.com,1433  fail untrusted_chain  16.0.1000  TLSv1.2  "
                              "      300");
    line_of(out, 3, line, sizeof(line));
    assert_string_equal(line, "db3                   error timeout         -          -        "
                              "        -");
    for (int i = 1; i <= 4; i++) { /* every row as wide as the header: days right-aligned */
        line_of(out, i, line, sizeof(line));
        assert_int_equal(strlen(line), strlen(head));
    }
    line_of(out, 5, line, sizeof(line));
    assert_string_equal(line, "Totals: ok 2, untrusted_chain 1, timeout 1");
    line_of(out, 6, line, sizeof(line));
    assert_string_equal(line, "4 targets: 2 ok, 1 fail, 1 error");
    free(out);

    out = table(NULL, 0, false);
    assert_string_equal(out, "Totals: none\n0 targets: 0 ok, 0 fail, 0 error\n");
    free(out);
}

/* Removes SGR sequences (ESC [ ... m) in place. */
static void strip_sgr(char *s)
{
    char *w = s;

    for (const char *p = s; *p != '\0'; p++) {
        if (p[0] == '\x1b' && p[1] == '[') {
            p += strcspn(p, "m");
            continue;
        }
        *w++ = *p;
    }
    *w = '\0';
}

static void test_table_truncation_and_escapes(void **state)
{
    struct probe_summary s[3];
    char line[1024], head[1024], long_target[200];

    memset(long_target, 'a', 100);
    memcpy(long_target, "\xC3\xA9", 2); /* a two-byte character counts as one column */
    long_target[100] = '\0';
    mk_ok(&s[0], long_target, 300);
    mk_fail(&s[1], "db\x1b[31mred\nline\xff");
    mk_ok(&s[2], "db3", 12);
    char *out = table(s, 3, false);

    assert_null(strchr(out, '\x1b'));
    line_of(out, 0, head, sizeof(head));
    line_of(out, 1, line, sizeof(line));
    assert_non_null(strstr(line, "aaa\xE2\x80\xA6  ok")); /* cut at 48 columns with an ellipsis */
    assert_int_equal(cols_of(line), cols_of(head));
    *strstr(line, "  ok") = '\0';
    assert_int_equal(cols_of(line), 48); /* the verdict column starts at 48 + 2 */
    line_of(out, 2, line, sizeof(line));
    assert_prefix(line, "db\\x1b[31mred\\x0aline\\xff  ");
    assert_int_equal(cols_of(line), cols_of(head));
    free(out);

    /* colour: only the verdict is painted, and the layout is the same once codes are removed */
    char *plain = table(s, 3, false);
    char *color = table(s, 3, true);
    assert_non_null(strstr(color, "\x1b[31mfail untrusted_chain\x1b[0m"));
    assert_non_null(strstr(color, "\x1b[32mok\x1b[0m"));
    strip_sgr(color);
    assert_string_equal(color, plain);
    free(plain);
    free(color);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nagios_ok_far_from_expiry),
        cmocka_unit_test(test_nagios_warning_threshold),
        cmocka_unit_test(test_nagios_critical_expiry),
        cmocka_unit_test(test_nagios_fail_is_critical),
        cmocka_unit_test(test_nagios_error_is_critical),
        cmocka_unit_test(test_nagios_state_order),
        cmocka_unit_test(test_nagios_many_mixed),
        cmocka_unit_test(test_nagios_many_named_bounded),
        cmocka_unit_test(test_nagios_perfdata_syntax),
        cmocka_unit_test(test_nagios_hostile_text),
        cmocka_unit_test(test_nagios_findings_make_the_state),
        cmocka_unit_test(test_nagios_require_tls12_only),
        cmocka_unit_test(test_nagios_ignore),
        cmocka_unit_test(test_nagios_unknown_line),
        cmocka_unit_test(test_summary_from_result),
        cmocka_unit_test(test_summary_bounds),
        cmocka_unit_test(test_prometheus_format),
#ifdef PROMTOOL_PATH
        cmocka_unit_test(test_prometheus_promtool),
        cmocka_unit_test(test_promtool_catches_errors),
#endif
        cmocka_unit_test(test_table_alignment_and_totals),
        cmocka_unit_test(test_table_truncation_and_escapes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
