/* probe/output/probe_monitor.c: Nagios plugin output and the end-of-run table, over an array of
 * probe_summary (the Prometheus exposition is in probe_prometheus.c). */
#include "probe/output/probe_monitor.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "probe/diagnose/probe_audit_verdict.h"
#include "probe/diagnose/probe_finding_codes.h"
#include "probe/output/probe_audit_report.h"
#include "probe/output/probe_emit.h"
#include "probe/output/probe_report.h"
#include "tls/tls_cert.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

/* ---- escaping ---------------------------------------------------------------------------- */


static bool is_control(unsigned char c)
{
    return c < 0x20u || c == 0x7Fu;
}

/* Plugin output text: '|' starts perfdata and a newline starts long output, so neither may
 * come from data; control characters are shown as \xNN, as the text report does. */
static void nagios_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (is_control(*p) || *p == '|') {
            fprintf(f, "\\x%02x", *p);
        } else {
            fputc(*p, f);
        }
    }
}

/* A perfdata label inside single quotes: the plugin guidelines escape a quote by doubling it
 * and forbid '='; '|' and control characters would break the line for every parser. */
static void nagios_label(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '\'') {
            fputs("''", f);
        } else if (*p == '=' || *p == '|' || is_control(*p)) {
            fputc('_', f);
        } else {
            fputc(*p, f);
        }
    }
}

/* ---- Nagios ------------------------------------------------------------------------------ */

const char *probe_nagios_state_name(enum probe_nagios_state st)
{
    switch (st) {
    case PROBE_NAGIOS_OK:
        return "OK";
    case PROBE_NAGIOS_WARNING:
        return "WARNING";
    case PROBE_NAGIOS_CRITICAL:
        return "CRITICAL";
    default:
        return "UNKNOWN";
    }
}

static int state_rank(enum probe_nagios_state st)
{
    switch (st) {
    case PROBE_NAGIOS_OK:
        return 0;
    case PROBE_NAGIOS_WARNING:
        return 2;
    case PROBE_NAGIOS_CRITICAL:
        return 3;
    default:
        return 1; /* UNKNOWN: above OK, below any state that was actually measured */
    }
}

enum probe_nagios_state probe_nagios_worst(enum probe_nagios_state a, enum probe_nagios_state b)
{
    return state_rank(b) > state_rank(a) ? b : a;
}

/* A diagnosis that is no finding code (forcibly_closed, timeout...) is a client failure, CRITICAL
 * whatever is ignored (probe_nagios_state), so ignoring it would do nothing: say so. */
static void unknown_code(const char *code, char *err, size_t cap)
{
    if (probe_diag_from_name(code) != PROBE_DIAG_COUNT) {
        snprintf(err, cap, "--ignore: '%s' is a diagnosis code, not a finding code (a client "
                 "that cannot connect is CRITICAL whatever is ignored); tdsprobe "
                 "--list-findings lists the finding codes", code);
        return;
    }
    snprintf(err, cap, "--ignore: unknown finding code '%s' (did you mean %s?); tdsprobe "
             "--list-findings lists them", code, probe_finding_closest(code));
}

int probe_nagios_ignore(struct probe_nagios_policy *p, const char *code, char *err, size_t cap)
{
    size_t n = strlen(code);

    if (n == 0 || n >= sizeof(p->ignore[0]) || strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_")
                                                   != n) {
        snprintf(err, cap, "--ignore takes a finding code (lowercase letters, digits and '_', "
                 "at most %zu), not '%.60s'", sizeof(p->ignore[0]) - 1, code);
        return -1;
    }
    if (probe_finding_from_name(code) == PROBE_FINDING_COUNT) {
        unknown_code(code, err, cap);
        return -1;
    }
    if (p->n_ignore >= PROBE_NAGIOS_MAX_IGNORE) {
        snprintf(err, cap, "--ignore is given more than %d times", PROBE_NAGIOS_MAX_IGNORE);
        return -1;
    }
    memcpy(p->ignore[p->n_ignore++], code, n + 1);
    return 0;
}

static const struct probe_nagios_policy default_policy = {.warn_days = -1, .crit_days = -1};

/* p with the defaults in place of negative thresholds (check_ssl_cert's 20 and 15 days). */
static struct probe_nagios_policy resolved(const struct probe_nagios_policy *p)
{
    struct probe_nagios_policy r = p != NULL ? *p : default_policy;

    r.warn_days = r.warn_days < 0 ? PROBE_NAGIOS_WARN_DAYS : r.warn_days;
    r.crit_days = r.crit_days < 0 ? PROBE_NAGIOS_CRIT_DAYS : r.crit_days;
    return r;
}

static bool ignored(const struct probe_nagios_policy *p, const char *code)
{
    for (size_t i = 0; i < p->n_ignore && i < PROBE_NAGIOS_MAX_IGNORE; i++) {
        if (strcmp(p->ignore[i], code) == 0) {
            return true;
        }
    }
    return false;
}

/* A finding's share of the state: error CRITICAL, warning WARNING, info none. */
static enum probe_nagios_state finding_state(const struct probe_nagios_policy *p,
                                             const struct probe_summary_finding *f)
{
    if (ignored(p, f->code) || f->severity == TLS_SEV_INFO) {
        return PROBE_NAGIOS_OK;
    }
    return f->severity == TLS_SEV_ERROR ? PROBE_NAGIOS_CRITICAL : PROBE_NAGIOS_WARNING;
}

/* --require-tls12-only (check_ssl_cert's --require-no-tls1 and --require-no-tls1_1 in one):
 * TLS 1.0 or 1.1 accepted, or TLS 1.2 refused, is CRITICAL; an audit that could not tell, or
 * none, is UNKNOWN. */
static enum probe_nagios_state tls12_state(const struct probe_nagios_policy *p,
                                           const struct probe_summary *s)
{
    if (!p->require_tls12_only) {
        return PROBE_NAGIOS_OK;
    }
    enum probe_tls12 v = s->audit.ran ? probe_audit_tls12(s->audit.proto) : PROBE_TLS12_UNKNOWN;
    return v == PROBE_TLS12_ENFORCED       ? PROBE_NAGIOS_OK
           : v == PROBE_TLS12_NOT_ENFORCED ? PROBE_NAGIOS_CRITICAL
                                           : PROBE_NAGIOS_UNKNOWN;
}

static enum probe_nagios_state expiry_state(const struct probe_nagios_policy *p,
                                            const struct probe_summary *s)
{
    if (s->has_expiry && s->earliest_days <= p->crit_days) {
        return PROBE_NAGIOS_CRITICAL;
    }
    return s->has_expiry && s->earliest_days <= p->warn_days ? PROBE_NAGIOS_WARNING
                                                              : PROBE_NAGIOS_OK;
}

enum probe_nagios_state probe_nagios_state(const struct probe_summary *s,
                                           const struct probe_nagios_policy *policy)
{
    struct probe_nagios_policy p = resolved(policy);

    /* Could not probe (DNS, refused, timeout, not TDS) is CRITICAL too: the plugin guidelines
     * keep UNKNOWN for the plugin's own failures, and say name-resolution errors and socket
     * timeouts "should generally NOT be reported as UNKNOWN". A monitored server that does not
     * answer is down. A limit of the probe's own machine or library (class LOCAL: descriptors,
     * no route from here, a handshake message mbedTLS cannot take) is the plugin's own failure:
     * UNKNOWN, as the guidelines say for "could not open TCP socket". */
    if (probe_diag_class(s->diag) == PROBE_CLASS_LOCAL) {
        return PROBE_NAGIOS_UNKNOWN;
    }
    if (s->status != PROBE_STATUS_OK) {
        return PROBE_NAGIOS_CRITICAL;
    }
    enum probe_nagios_state st = probe_nagios_worst(expiry_state(&p, s), tls12_state(&p, s));
    for (size_t i = 0; i < s->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        st = probe_nagios_worst(st, finding_state(&p, &s->findings[i]));
    }
    return st;
}

/* "expires in 300 days (2027-01-01)" / "expired 3 days ago (2025-12-29)" */
static void nagios_expiry(FILE *f, const struct probe_summary *s)
{
    char t[21];
    long d = s->earliest_days;

    tls_time_format(s->earliest_not_after, t);
    t[10] = '\0'; /* the date part of "YYYY-MM-DDThh:mm:ssZ" */
    if (d >= 0) {
        fprintf(f, "expires in %ld day%s (%s)", d, d == 1 ? "" : "s", t);
    } else {
        fprintf(f, "expired %ld day%s ago (%s)", -d, d == -1 ? "" : "s", t);
    }
}

/* What the policy holds against an OK target: "old_tls_accepted (warning), TLS 1.2 not
 * enforced", each item after sep. Returns how many were written. */
static size_t nagios_policy(FILE *f, const struct probe_summary *s,
                            const struct probe_nagios_policy *p, const char *sep)
{
    size_t n = 0;

    for (size_t i = 0; i < s->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        const struct probe_summary_finding *x = &s->findings[i];
        if (finding_state(p, x) != PROBE_NAGIOS_OK) {
            fprintf(f, "%s", n++ == 0 ? sep : ", ");
            nagios_text(f, x->code);
            fprintf(f, " (%s)", tls_severity_name(x->severity));
        }
    }
    enum probe_nagios_state t = tls12_state(p, s);
    if (t != PROBE_NAGIOS_OK) {
        fprintf(f, "%s%s", n++ == 0 ? sep : ", ",
                t == PROBE_NAGIOS_CRITICAL
                    ? "TLS 1.2 not enforced"
                    : "TLS 1.2 enforcement not known (no --protocols answer)");
    }
    return n;
}

/* One target in words: "db1: untrusted_chain: <client text> TLSv1.2, expires in ..." and,
 * for a target the client would connect to, what the policy holds against it. */
static void nagios_verdict(FILE *f, const struct probe_summary *s,
                           const struct probe_nagios_policy *p)
{
    char label[300];

    nagios_text(f, probe_summary_label(s, label, sizeof(label)));
    fputs(": ", f);
    if (s->status != PROBE_STATUS_OK) {
        fprintf(f, "%s: ", probe_diag_name(s->diag));
    }
    nagios_text(f, s->message[0] != '\0' ? s->message : probe_status_name(s->status));
    const char *tls = probe_summary_tls_name(s);
    if (tls[0] != '\0') {
        fprintf(f, " %s%s", tls, s->has_expiry ? "," : "");
    }
    if (s->has_expiry) {
        fputc(' ', f);
        nagios_expiry(f, s);
    }
    if (s->status == PROBE_STATUS_OK) {
        nagios_policy(f, s, p, "; policy: ");
    }
}

/* Why a target is not OK, in a few words, for the many-target summary. */
static void nagios_reason(FILE *f, const struct probe_summary *s,
                          const struct probe_nagios_policy *p)
{
    bool expiry = expiry_state(p, s) != PROBE_NAGIOS_OK;

    if (s->status != PROBE_STATUS_OK) {
        fputs(probe_diag_name(s->diag), f);
        return;
    }
    if (expiry && s->earliest_days >= 0) {
        fprintf(f, "expires in %ld days", s->earliest_days);
    } else if (expiry) {
        fprintf(f, "expired %ld days ago", -s->earliest_days);
    }
    nagios_policy(f, s, p, expiry ? ", " : "");
}

#define NAGIOS_NAMED_MAX 10

/* "3 OK, 1 CRITICAL: db2 (untrusted_chain), ..." naming non-OK targets worst first. */
static void nagios_many(FILE *f, const struct probe_summary *s, size_t n,
                        const struct probe_nagios_policy *p)
{
    static const enum probe_nagios_state order[] = {PROBE_NAGIOS_OK, PROBE_NAGIOS_WARNING,
                                                    PROBE_NAGIOS_CRITICAL, PROBE_NAGIOS_UNKNOWN};
    static const enum probe_nagios_state worst_first[] = {
        PROBE_NAGIOS_CRITICAL, PROBE_NAGIOS_WARNING, PROBE_NAGIOS_UNKNOWN};
    size_t count[4] = {0}, named = 0, listed = 0;
    char label[300];

    for (size_t i = 0; i < n; i++) {
        count[probe_nagios_state(&s[i], p)]++;
    }
    for (size_t k = 0; k < 4; k++) {
        if (count[order[k]] > 0) {
            fprintf(f, "%s%zu %s", listed++ > 0 ? ", " : "", count[order[k]],
                    probe_nagios_state_name(order[k]));
        }
    }
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++) {
            if (probe_nagios_state(&s[i], p) != worst_first[k]) {
                continue;
            }
            if (named++ >= NAGIOS_NAMED_MAX) {
                continue; /* counted for "and N more" */
            }
            fputs(named == 1 ? ": " : ", ", f);
            nagios_text(f, probe_summary_label(&s[i], label, sizeof(label)));
            fputs(" (", f);
            nagios_reason(f, &s[i], p);
            fputc(')', f);
        }
    }
    if (named > NAGIOS_NAMED_MAX) {
        fprintf(f, ", and %zu more", named - NAGIOS_NAMED_MAX);
    }
}

static void nagios_perfdata(FILE *f, const struct probe_summary *s,
                            const struct probe_nagios_policy *p)
{
    char label[300];

    probe_summary_label(s, label, sizeof(label));
    for (size_t i = 0; i < s->n_chain; i++) {
        if (!s->chain[i].parsed) {
            continue; /* no date, no value: an absent datapoint beats a made-up one */
        }
        fputs(" '", f);
        nagios_label(f, label);
        fprintf(f, "_days_chain_elem%zu'=%ld;%d;%d;;", i + 1, s->chain[i].days_left, p->warn_days,
                p->crit_days);
    }
    if (s->handshake_ran && s->t_handshake >= 0 && isfinite(s->t_handshake)) {
        fputs(" '", f);
        nagios_label(f, label);
        fprintf(f, "_handshake'=%.3fms;;;;", s->t_handshake);
    }
}

/* Long output: one line per target with what the first line had no room for. */
static void nagios_long(FILE *f, const struct probe_summary *s,
                        const struct probe_nagios_policy *p)
{
    fprintf(f, "%s: ", probe_nagios_state_name(probe_nagios_state(s, p)));
    nagios_verdict(f, s, p);
    if (s->cipher[0] != '\0') {
        fputs("; cipher ", f);
        nagios_text(f, s->cipher);
    }
    if (s->server_version[0] != '\0') {
        fputs("; server ", f);
        nagios_text(f, s->server_version);
        if (s->server_product[0] != '\0') {
            fputs(" (", f);
            nagios_text(f, s->server_product);
            fputc(')', f);
        }
    }
    fprintf(f, "; handshake %s%s\n", s->mode, s->tds8 ? " (TDS 8.0)" : "");
}

int probe_report_nagios(FILE *f, const struct probe_summary *s, size_t n,
                        const struct probe_nagios_policy *policy)
{
    struct probe_nagios_policy p = resolved(policy);
    enum probe_nagios_state worst = n == 0 ? PROBE_NAGIOS_UNKNOWN : PROBE_NAGIOS_OK;

    for (size_t i = 0; i < n; i++) {
        worst = probe_nagios_worst(worst, probe_nagios_state(&s[i], &p));
    }
    fprintf(f, "TDSPROBE %s - ", probe_nagios_state_name(worst));
    if (n == 0) {
        fputs("no targets\n", f);
        return (int)worst;
    }
    if (n == 1) {
        nagios_verdict(f, &s[0], &p);
    } else {
        nagios_many(f, s, n, &p);
    }
    fputs(" |", f);
    for (size_t i = 0; i < n; i++) {
        nagios_perfdata(f, &s[i], &p);
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        nagios_long(f, &s[i], &p);
    }
    return (int)worst;
}

void probe_report_nagios_unknown(FILE *f, const char *reason)
{
    fputs("TDSPROBE UNKNOWN - ", f);
    nagios_text(f, reason);
    fputc('\n', f);
}

/* ---- summary table ----------------------------------------------------------------------- */

#define TABLE_TARGET_COLS 48
#define CELL_CAP 256 /* TABLE_TARGET_COLS escapes of 4 bytes, plus the ellipsis */

/* One display unit of s: a valid UTF-8 character (1 column; wide characters are not
 * measured) or one byte escaped as \xNN (4 columns). Returns the bytes of s consumed. */
static size_t cell_unit(const unsigned char *s, char out[8], size_t *out_len, size_t *cols)
{
    size_t n = probe_utf8_len(s);

    if (n == 0 || is_control(*s)) {
        *out_len = (size_t)snprintf(out, 8, "\\x%02x", *s);
        *cols = 4;
        return 1;
    }
    memcpy(out, s, n);
    *out_len = n;
    *cols = 1;
    return n;
}

static size_t text_cols(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t total = 0, len, cols;
    char u[8];

    while (*p != '\0') {
        p += cell_unit(p, u, &len, &cols);
        total += cols;
    }
    return total;
}

/* s escaped into out, at most max_cols columns, cut with "…" when longer; returns columns. */
static size_t cell_text(char out[CELL_CAP], const char *s, size_t max_cols)
{
    const unsigned char *p = (const unsigned char *)s;
    bool cut = text_cols(s) > max_cols;
    size_t limit = cut ? max_cols - 1 : max_cols, used = 0, cols_total = 0, len, cols;
    char u[8];

    while (*p != '\0') {
        size_t adv = cell_unit(p, u, &len, &cols);

        if (cols_total + cols > limit || used + len + 4 > CELL_CAP) {
            break;
        }
        memcpy(out + used, u, len);
        used += len;
        cols_total += cols;
        p += adv;
    }
    if (cut) {
        memcpy(out + used, "\xE2\x80\xA6", 3); /* U+2026 */
        used += 3;
        cols_total++;
    }
    out[used] = '\0';
    return cols_total;
}

enum { COL_TARGET, COL_VERDICT, COL_SERVER, COL_TLS, COL_DAYS, COL_COUNT };

struct row {
    char cell[COL_COUNT][CELL_CAP];
    size_t cols[COL_COUNT];
};

static void make_row(struct row *r, const struct probe_summary *s)
{
    char v[96];

    if (s->status == PROBE_STATUS_OK && s->diag == PROBE_DIAG_OK) {
        snprintf(v, sizeof(v), "ok");
    } else {
        snprintf(v, sizeof(v), "%s %s", probe_status_name(s->status), probe_diag_name(s->diag));
    }
    r->cols[COL_TARGET] = cell_text(r->cell[COL_TARGET], s->target, TABLE_TARGET_COLS);
    r->cols[COL_VERDICT] = cell_text(r->cell[COL_VERDICT], v, 64);
    r->cols[COL_SERVER] = cell_text(r->cell[COL_SERVER],
                                    s->server_version[0] != '\0' ? s->server_version : "-", 32);
    const char *tls = probe_summary_tls_name(s);
    r->cols[COL_TLS] = cell_text(r->cell[COL_TLS], tls[0] != '\0' ? tls : "-", 16);
    if (s->has_expiry) {
        snprintf(v, sizeof(v), "%ld", s->earliest_days);
    } else {
        snprintf(v, sizeof(v), "-");
    }
    r->cols[COL_DAYS] = cell_text(r->cell[COL_DAYS], v, 24);
}

static const char *const table_head[COL_COUNT] = {"TARGET", "VERDICT", "SERVER", "TLS",
                                                  "DAYS LEFT"};

static void pad(FILE *f, size_t n)
{
    while (n-- > 0) {
        fputc(' ', f);
    }
}

static const char *verdict_color(const struct probe_summary *s)
{
    switch (s->status) {
    case PROBE_STATUS_OK:
        return "\033[32m";
    case PROBE_STATUS_FAIL:
        return "\033[31m";
    default:
        return "\033[33m";
    }
}

/* Left-aligned columns, the days right-aligned; colour codes never count towards widths. */
static void print_row(FILE *f, const struct row *r, const size_t width[COL_COUNT],
                      const char *color)
{
    for (int c = 0; c < COL_DAYS; c++) {
        bool paint = color != NULL && c == COL_VERDICT;

        fprintf(f, "%s%s%s", paint ? color : "", r->cell[c], paint ? "\033[0m" : "");
        pad(f, width[c] - r->cols[c] + 2);
    }
    pad(f, width[COL_DAYS] - r->cols[COL_DAYS]);
    fprintf(f, "%s\n", r->cell[COL_DAYS]);
}

static void print_totals(FILE *f, const struct probe_summary *s, size_t n)
{
    size_t by_diag[PROBE_DIAG_COUNT + 1] = {0}, by_status[3] = {0}, listed = 0;

    for (size_t i = 0; i < n; i++) {
        by_diag[s[i].diag < PROBE_DIAG_COUNT ? s[i].diag : PROBE_DIAG_COUNT]++;
        by_status[s[i].status <= PROBE_STATUS_ERROR ? s[i].status : PROBE_STATUS_ERROR]++;
    }
    fputs("Totals: ", f);
    for (int d = 0; d <= PROBE_DIAG_COUNT; d++) {
        if (by_diag[d] > 0) {
            fprintf(f, "%s%s %zu", listed++ > 0 ? ", " : "",
                    d < PROBE_DIAG_COUNT ? probe_diag_name((enum probe_diag)d) : "unknown",
                    by_diag[d]);
        }
    }
    fprintf(f, "%s\n%zu target%s: %zu ok, %zu fail, %zu error\n", listed == 0 ? "none" : "", n,
            n == 1 ? "" : "s", by_status[PROBE_STATUS_OK], by_status[PROBE_STATUS_FAIL],
            by_status[PROBE_STATUS_ERROR]);
}

/* ---- audit matrix ------------------------------------------------------------------------ */

enum { MX_TARGET, MX_V10, MX_V11, MX_V12, MX_V13, MX_ENFORCED, MX_WEAK, MX_COUNT };

struct mx_row {
    char cell[MX_COUNT][CELL_CAP];
    size_t cols[MX_COUNT];
    const char *paint[MX_COUNT]; /* SGR sequence or NULL */
};

static const char *const mx_head[MX_COUNT] = {"TARGET", "TLSv1.0", "TLSv1.1", "TLSv1.2",
                                              "TLSv1.3", "TLS 1.2 ENFORCED", "WEAK SUITES"};

static void mx_cell(struct mx_row *r, int c, const char *text, const char *paint)
{
    r->cols[c] = cell_text(r->cell[c], text, c == MX_TARGET ? TABLE_TARGET_COLS : 24);
    r->paint[c] = paint;
}

static const char *mx_state_paint(int v, enum probe_proto_state st)
{
    if (st == PROBE_PROTO_ERROR) {
        return "\033[33m";
    }
    if (st == PROBE_PROTO_NOT_TESTED || (v == TLS_V13 && st == PROBE_PROTO_REJECTED)) {
        return NULL; /* TLS 1.3 needs TDS 8.0 strict: refusing it breaks no TDS 7.x client */
    }
    return (v <= TLS_V11) == (st == PROBE_PROTO_ACCEPTED) ? "\033[31m" : "\033[32m";
}

static const char *mx_weak(const struct probe_summary_audit *a)
{
    bool weak = false, incomplete = false;

    if (!a->ciphers_ran) {
        return "-";
    }
    for (int v = TLS_V10; v <= TLS_V12; v++) {
        weak = weak || a->suites[v].has_weak;
        incomplete = incomplete || a->suites[v].incomplete;
    }
    return weak ? "yes" : incomplete ? "incomplete" : "no";
}

static void mx_make(struct mx_row *r, const struct probe_summary *s)
{
    const struct probe_summary_audit *a = &s->audit;

    mx_cell(r, MX_TARGET, s->target, NULL);
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        const char *t = !a->ran ? "-" : a->proto[v] == PROBE_PROTO_NOT_TESTED
                                        ? (v == TLS_V13 ? "not tested" : "-")
                                        : probe_proto_state_name(a->proto[v]);
        mx_cell(r, MX_V10 + v - TLS_V10, t, a->ran ? mx_state_paint(v, a->proto[v]) : NULL);
    }
    enum probe_tls12 e = a->ran ? probe_audit_tls12(a->proto) : PROBE_TLS12_UNKNOWN;
    mx_cell(r, MX_ENFORCED, a->ran ? probe_tls12_name(e) : "-",
            e == PROBE_TLS12_ENFORCED ? "\033[32m"
            : e == PROBE_TLS12_NOT_ENFORCED ? "\033[31m" : NULL);
    mx_cell(r, MX_WEAK, a->ran ? mx_weak(a) : "-", NULL);
}

static void mx_print(FILE *f, const struct mx_row *r, const size_t width[MX_COUNT], bool color,
                     bool v13)
{
    for (int c = 0; c < MX_COUNT; c++) {
        bool paint = color && r->paint[c] != NULL;
        if (c == MX_V13 && !v13) {
            continue;
        }
        fprintf(f, "%s%s%s", paint ? r->paint[c] : "", r->cell[c], paint ? "\033[0m" : "");
        if (c + 1 < MX_COUNT) {
            pad(f, width[c] - r->cols[c] + 2);
        }
    }
    fputc('\n', f);
}

void probe_report_audit_matrix(FILE *f, const struct probe_summary *s, size_t n, bool color)
{
    struct mx_row r;
    size_t width[MX_COUNT] = {0}, audited = 0;
    bool v13 = false; /* a TLS 1.3 column only when some target had TLS 1.3 tested */

    for (size_t i = 0; i < n; i++) {
        audited += s[i].audit.ran;
        v13 = v13 || (s[i].audit.ran && s[i].audit.proto[TLS_V13] != PROBE_PROTO_NOT_TESTED);
    }
    if (audited == 0) {
        return;
    }
    fputs("\nTLS policy audit (versions offered alone; suites by --ciphers):\n", f);
    for (int c = 0; c < MX_COUNT; c++) {
        mx_cell(&r, c, mx_head[c], NULL);
        width[c] = r.cols[c];
    }
    for (size_t i = 0; i < n; i++) { /* two passes, as for the table above */
        mx_make(&r, &s[i]);
        for (int c = 0; c < MX_COUNT; c++) {
            width[c] = r.cols[c] > width[c] ? r.cols[c] : width[c];
        }
    }
    for (int c = 0; c < MX_COUNT; c++) {
        mx_cell(&r, c, mx_head[c], NULL);
    }
    mx_print(f, &r, width, false, v13);
    for (size_t i = 0; i < n; i++) {
        mx_make(&r, &s[i]);
        mx_print(f, &r, width, color, v13);
    }
}

void probe_report_summary_table(FILE *f, const struct probe_summary *s, size_t n, bool color)
{
    struct row head, r;
    size_t width[COL_COUNT];

    for (int c = 0; c < COL_COUNT; c++) {
        head.cols[c] = cell_text(head.cell[c], table_head[c], 32);
        width[c] = head.cols[c];
    }
    /* two passes rebuild each row rather than hold thousands of rows in memory */
    for (size_t i = 0; i < n; i++) {
        make_row(&r, &s[i]);
        for (int c = 0; c < COL_COUNT; c++) {
            width[c] = r.cols[c] > width[c] ? r.cols[c] : width[c];
        }
    }
    if (n > 0) {
        print_row(f, &head, width, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        make_row(&r, &s[i]);
        print_row(f, &r, width, color ? verdict_color(&s[i]) : NULL);
    }
    print_totals(f, s, n);
    probe_report_audit_matrix(f, s, n, color);
}
