/* probe/output/probe_audit_report.c: the TLS policy audit's verdict, findings and writers (see
 * probe_audit_report.h). */
#include "probe/output/probe_audit_report.h"

#include <stdarg.h>
#include <string.h>

#include "probe/output/probe_emit.h"
#include "tls/tls_policy.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

/* ---- verdict ---- */

enum probe_tls12 probe_audit_tls12(const enum probe_proto_state st[TLS_V13 + 1])
{
    if (st[TLS_V10] == PROBE_PROTO_ACCEPTED || st[TLS_V11] == PROBE_PROTO_ACCEPTED ||
        st[TLS_V12] == PROBE_PROTO_REJECTED) {
        return PROBE_TLS12_NOT_ENFORCED;
    }
    if (st[TLS_V10] == PROBE_PROTO_REJECTED && st[TLS_V11] == PROBE_PROTO_REJECTED &&
        st[TLS_V12] == PROBE_PROTO_ACCEPTED) {
        return PROBE_TLS12_ENFORCED;
    }
    return PROBE_TLS12_UNKNOWN; /* an error or an untested version leaves the question open */
}

const char *probe_tls12_name(enum probe_tls12 v)
{
    switch (v) {
    case PROBE_TLS12_ENFORCED:
        return "yes";
    case PROBE_TLS12_NOT_ENFORCED:
        return "no";
    default:
        return "unknown";
    }
}

static void audit_states(const struct probe_audit *a, enum probe_proto_state st[TLS_V13 + 1])
{
    for (int v = 0; v <= TLS_V13; v++) {
        st[v] = a->proto[v].state;
    }
}

/* ---- weak suites ---- */

static const char *const weak_reasons[PROBE_WEAK_COUNT] = {
    [PROBE_WEAK_3DES] = "SWEET32 (3DES)",
    [PROBE_WEAK_RC4] = "RC4",
    [PROBE_WEAK_CBC_SHA1] = "CBC with SHA-1 MAC",
    [PROBE_WEAK_NO_FS] = "no forward secrecy",
    [PROBE_WEAK_NULL] = "NULL cipher",
};

/* Why each class matters, for the finding (one sentence, then the suites). */
static const char *const weak_why[PROBE_WEAK_COUNT] = {
    [PROBE_WEAK_3DES] = "3DES suites accepted (64-bit blocks: SWEET32, CVE-2016-2183)",
    [PROBE_WEAK_RC4] = "RC4 suites accepted (RFC 7465 forbids RC4)",
    [PROBE_WEAK_CBC_SHA1] = "CBC suites with SHA-1 MACs accepted (Lucky13 family; prefer AEAD)",
    [PROBE_WEAK_NO_FS] = ("Suites without forward secrecy accepted (static RSA/ECDH key "
                          "exchange: a stolen key decrypts recorded traffic)"),
    [PROBE_WEAK_NULL] = "NULL suites accepted (no encryption at all)",
};

const char *probe_weak_reason(enum probe_weak w)
{
    return w < PROBE_WEAK_COUNT ? weak_reasons[w] : "weak";
}

unsigned probe_suite_weak_mask(uint16_t id)
{
    struct tls_suite_info si;
    unsigned m = 0;

    if (!tls_suite_info(id, &si)) {
        return 0;
    }
    m |= si.weak_3des ? 1u << PROBE_WEAK_3DES : 0;
    m |= si.weak_rc4 ? 1u << PROBE_WEAK_RC4 : 0;
    m |= si.cbc_sha1 ? 1u << PROBE_WEAK_CBC_SHA1 : 0;
    m |= si.no_forward_secrecy ? 1u << PROBE_WEAK_NO_FS : 0;
    m |= si.null_cipher ? 1u << PROBE_WEAK_NULL : 0;
    return m;
}

/* IANA name, or "0xNNNN" for an id this build does not know. */
static const char *suite_name(uint16_t id, char buf[8])
{
    const char *n = tls_cipher_name(id);
    struct tls_suite_info si;

    if (n != NULL) {
        return n;
    }
    if (tls_suite_info(id, &si) && si.name != NULL) {
        return si.name; /* the TLS 1.3 suites */
    }
    snprintf(buf, 8, "0x%04x", (unsigned)id);
    return buf;
}

/* ---- findings ---- */

static void add_finding(struct probe_finding *f, const char *code, const char *msg)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->code, sizeof(f->code), "%s", code);
    f->severity = TLS_SEV_WARNING;
    f->cert = -1;
    snprintf(f->message, sizeof(f->message), "%s", msg);
}

static bool old_tls_finding(const struct probe_audit *a, struct probe_finding *f)
{
    bool v10 = a->proto[TLS_V10].state == PROBE_PROTO_ACCEPTED;
    bool v11 = a->proto[TLS_V11].state == PROBE_PROTO_ACCEPTED;
    char msg[400];

    if (!v10 && !v11) {
        return false;
    }
    snprintf(msg, sizeof(msg),
             "The server accepts %s (deprecated, RFC 8996). Allow only TLS 1.2: on Linux "
             "'mssql-conf set network.tlsprotocols 1.2', on Windows disable %s in Schannel "
             "(Enabled=0, DisabledByDefault=1); then restart SQL Server.",
             v10 && v11 ? "TLS 1.0 and TLS 1.1" : v10 ? "TLS 1.0" : "TLS 1.1",
             v10 && v11 ? "TLS 1.0 and 1.1" : v10 ? "TLS 1.0" : "TLS 1.1");
    add_finding(f, "old_tls_accepted", msg);
    return true;
}

static bool has_class(uint16_t id, enum probe_weak w)
{
    return (probe_suite_weak_mask(id) & (1u << w)) != 0;
}

static bool seen_before(const struct probe_audit *a, int v, size_t i)
{
    for (int u = TLS_V10; u <= v; u++) {
        size_t end = u < v ? a->ciphers[u].n : i;
        for (size_t k = 0; k < end && k < PROBE_AUDIT_MAX_SUITES; k++) {
            if (a->ciphers[u].ids[k] == a->ciphers[v].ids[i]) {
                return true;
            }
        }
    }
    return false;
}

/* Appends ": NAME, NAME" for the suites of class w (each once, over all versions) while they
 * fit in out, then " and N more" for the rest. */
static void weak_list(const struct probe_audit *a, enum probe_weak w, char *out, size_t cap)
{
    size_t used = strlen(out), listed = 0, more = 0;

    for (int v = TLS_V10; v <= TLS_V12; v++) {
        for (size_t i = 0; i < a->ciphers[v].n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            uint16_t id = a->ciphers[v].ids[i];
            char nb[8], item[80];
            if (!has_class(id, w) || seen_before(a, v, i)) {
                continue;
            }
            int k = snprintf(item, sizeof(item), "%s%s", listed > 0 ? ", " : ": ",
                             suite_name(id, nb));
            if (k < 0 || used + (size_t)k + 24 >= cap) { /* keep room for " and N more" */
                more++;
                continue;
            }
            memcpy(out + used, item, (size_t)k + 1);
            used += (size_t)k;
            listed++;
        }
    }
    if (more > 0) {
        snprintf(out + used, cap - used, " and %zu more", more);
    }
}

static bool weak_finding(const struct probe_audit *a, enum probe_weak w, struct probe_finding *f)
{
    char msg[400];
    bool any = false;

    for (int v = TLS_V10; v <= TLS_V12 && !any; v++) {
        for (size_t i = 0; i < a->ciphers[v].n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            any = any || has_class(a->ciphers[v].ids[i], w);
        }
    }
    if (!any) {
        return false;
    }
    static const char remove[] = ". Remove them: mssql-conf network.tlsciphers (Linux), "
                                 "Disable-TlsCipherSuite (Windows).";

    snprintf(msg, sizeof(msg), "%s", weak_why[w]);
    weak_list(a, w, msg, sizeof(msg) - sizeof(remove)); /* the advice always fits */
    size_t used = strlen(msg);
    snprintf(msg + used, sizeof(msg) - used, "%s", remove);
    add_finding(f, "weak_cipher_accepted", msg);
    return true;
}

size_t probe_audit_findings(const struct probe_audit *a, struct probe_finding *out, size_t cap)
{
    size_t n = 0;

    if (a == NULL || !a->want_protocols) {
        return 0;
    }
    if (n < cap && old_tls_finding(a, &out[n])) {
        n++;
    }
    for (int w = 0; w < PROBE_WEAK_COUNT && a->want_ciphers; w++) {
        if (n < cap && weak_finding(a, (enum probe_weak)w, &out[n])) {
            n++;
        }
    }
    return n;
}

/* ---- the fix ---- */

#define SCHANNEL "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"

/* Appends formatted text to out (cap > 0), never past the end. */
static void put(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char *out, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(out);
    va_list ap;

    if (used + 1 >= cap) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(out + used, cap - used, fmt, ap);
    va_end(ap);
}

static void reg_version(char *out, size_t cap, const char *ver, int enabled)
{
    put(out, cap, "  reg add \"" SCHANNEL "\\%s\\Server\" /v Enabled /t REG_DWORD /d %d /f\n",
        ver, enabled);
    put(out, cap, "  reg add \"" SCHANNEL "\\%s\\Server\" /v DisabledByDefault /t REG_DWORD "
        "/d %d /f\n", ver, !enabled);
}

/* TLS 1.2 refused as well: nothing to restrict to until it is turned on. */
static void fix_enable_tls12(char *out, size_t cap, bool tls13)
{
    put(out, cap, "%s Enable TLS 1.2 first:",
        tls13 ? "TLS 1.2 is rejected: only TDS 8.0 (strict) clients can connect, over TLS 1.3."
              : "TLS 1.2 is rejected too: the server accepts nothing modern.");
    put(out, cap, " SQL Server 2016 and later support it, 2008 to 2014 need the TLS 1.2 update "
        "(KB3135244); on Windows turn it on in Schannel:\n");
    reg_version(out, cap, "TLS 1.2", 1);
}

void probe_audit_fix(const enum probe_proto_state st[TLS_V13 + 1], char *out, size_t cap)
{
    if (cap == 0) {
        return;
    }
    out[0] = '\0';
    if (probe_audit_tls12(st) != PROBE_TLS12_NOT_ENFORCED) {
        return;
    }
    if (st[TLS_V12] == PROBE_PROTO_REJECTED) {
        fix_enable_tls12(out, cap, st[TLS_V13] == PROBE_PROTO_ACCEPTED);
    }
    put(out, cap, "Linux: allow only TLS 1.2 in mssql.conf, then restart SQL Server:\n"
        "  sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols 1.2\n"
        "  sudo systemctl restart mssql-server\n"
        "Windows: disable the old versions for servers in Schannel:\n");
    reg_version(out, cap, "TLS 1.0", 0);
    reg_version(out, cap, "TLS 1.1", 0);
    put(out, cap, "then restart SQL Server (MSSQLSERVER or MSSQL$<instance>; Schannel reads "
        "these keys at start, so reboot if other services share them). First make sure every "
        "client supports TLS 1.2: one that does not will fail with \"An existing connection "
        "was forcibly closed by the remote host.\"\n");
}

/* ---- JSON ---- */

static void json_protocols(FILE *f, const struct probe_audit *a)
{
    fputc('{', f);
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        if (v == TLS_V13 && a->proto[v].state == PROBE_PROTO_NOT_TESTED) {
            break; /* TDS 8.0 strict only: absent rather than a misleading "rejected" */
        }
        fprintf(f, "%s\"%s\":", v > TLS_V10 ? "," : "", tls_version_name(v));
        probe_json_string(f, probe_proto_state_name(a->proto[v].state));
    }
    fputc('}', f);
}

static void json_detail(FILE *f, const struct probe_audit *a)
{
    fputc('{', f);
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        const struct probe_proto_result *p = &a->proto[v];
        bool v13_untested = v == TLS_V13 && p->state == PROBE_PROTO_NOT_TESTED &&
                            !(a->want_tls13 && a->budget_hit);
        char nb[8];

        fprintf(f, "%s\"%s\":{\"state\":", v > TLS_V10 ? "," : "", tls_version_name(v));
        probe_json_string(f, probe_proto_state_name(p->state));
        fputs(",\"how\":", f);
        if (v13_untested) {
            probe_json_string(f, "needs TDS 8.0 strict");
        } else if (p->how[0] == '\0' && p->state == PROBE_PROTO_NOT_TESTED && a->budget_hit) {
            probe_json_string(f, "connection budget reached");
        } else {
            probe_json_string(f, p->how[0] != '\0' ? p->how : NULL);
        }
        fputs(",\"cipher\":", f);
        bool named = p->state == PROBE_PROTO_ACCEPTED && p->cipher != 0;
        probe_json_string(f, named ? suite_name(p->cipher, nb) : NULL);
        fputc('}', f);
    }
    fputc('}', f);
}

static void json_suite(FILE *f, uint16_t id)
{
    struct tls_suite_info si;
    bool known = tls_suite_info(id, &si);
    unsigned m = probe_suite_weak_mask(id);
    char nb[8];

    fputs("{\"name\":", f);
    probe_json_string(f, suite_name(id, nb));
    fprintf(f, ",\"id\":\"0x%04x\",\"kx\":", (unsigned)id);
    probe_json_string(f, known ? si.kx : NULL);
    fputs(",\"auth\":", f);
    probe_json_string(f, known ? si.auth : NULL);
    fputs(",\"cipher\":", f);
    probe_json_string(f, known ? si.cipher : NULL);
    fputs(",\"mac\":", f);
    probe_json_string(f, known ? si.mac : NULL);
    fputs(",\"weak\":[", f);
    for (int w = 0, k = 0; w < PROBE_WEAK_COUNT; w++) {
        if (m & (1u << w)) {
            fputs(k++ > 0 ? "," : "", f);
            probe_json_string(f, weak_reasons[w]);
        }
    }
    fputs("]}", f);
}

static const char *order_name(const struct probe_cipher_list *cl)
{
    return !cl->order_known ? "unknown" : cl->server_order ? "server" : "client";
}

/* A version accepted but never walked because the budget ran out is incomplete too. */
static bool list_incomplete(const struct probe_audit *a, int v)
{
    return a->ciphers[v].incomplete || (a->budget_hit && a->ciphers[v].n == 0);
}

static void json_ciphers(FILE *f, const struct probe_audit *a)
{
    bool first = true;

    fputc('{', f);
    for (int v = TLS_V10; v <= TLS_V12; v++) {
        const struct probe_cipher_list *cl = &a->ciphers[v];
        if (a->proto[v].state != PROBE_PROTO_ACCEPTED) {
            continue;
        }
        fprintf(f, "%s\"%s\":{\"order\":\"%s\",\"incomplete\":%s,\"suites\":[", first ? "" : ",",
                tls_version_name(v), order_name(cl), list_incomplete(a, v) ? "true" : "false");
        first = false;
        for (size_t i = 0; i < cl->n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            fputs(i > 0 ? "," : "", f);
            json_suite(f, cl->ids[i]);
        }
        fputs("]}", f);
    }
    fputc('}', f);
}

void probe_audit_report_json(FILE *f, const struct probe_audit *a)
{
    bool ran = a != NULL && a->want_protocols;

    fputs(",\"protocols\":", f);
    if (ran) {
        json_protocols(f, a);
    } else {
        fputs("null", f);
    }
    fputs(",\"protocols_detail\":", f);
    if (ran) {
        json_detail(f, a);
    } else {
        fputs("null", f);
    }
    fputs(",\"tls12_enforced\":", f);
    enum probe_proto_state st[TLS_V13 + 1];
    enum probe_tls12 v = PROBE_TLS12_UNKNOWN;
    if (ran) {
        audit_states(a, st);
        v = probe_audit_tls12(st);
    }
    fputs(v == PROBE_TLS12_ENFORCED ? "true" : v == PROBE_TLS12_NOT_ENFORCED ? "false" : "null",
          f);
    fputs(",\"ciphers\":", f);
    if (ran && a->want_ciphers) {
        json_ciphers(f, a);
    } else {
        fputs("null", f);
    }
}

/* ---- text ---- */


/* Accepting TLS 1.0/1.1 and refusing TLS 1.2 are the states a policy audit is looking for. */
static const char *state_color(int v, enum probe_proto_state s)
{
    if (s == PROBE_PROTO_ERROR) {
        return "33";
    }
    if (v <= TLS_V11) {
        return s == PROBE_PROTO_ACCEPTED ? "33" : "32";
    }
    if (v == TLS_V13 && s == PROBE_PROTO_REJECTED) {
        return "0"; /* needs TDS 8.0 strict: refusing it breaks no TDS 7.x client */
    }
    return s == PROBE_PROTO_ACCEPTED ? "32" : "31";
}

static void text_version(const struct probe_text_out *o, const struct probe_audit *a, int v)
{
    const struct probe_proto_result *p = &a->proto[v];

    probe_emit_label(o, v == TLS_V10 ? "Protocols" : "");
    fprintf(o->f, "%s  ", tls_version_name(v));
    if (p->state == PROBE_PROTO_NOT_TESTED) {
        bool cut = a->budget_hit && (v < TLS_V13 || a->want_tls13);
        fputs(cut ? "not tested (connection budget reached)\n"
              : v == TLS_V13 ? "not tested (needs TDS 8.0 strict)\n" : "not tested\n", o->f);
        return;
    }
    probe_emit_color_on(o, state_color(v, p->state));
    fprintf(o->f, "%-8s", probe_proto_state_name(p->state));
    probe_emit_color_off(o);
    fputs("  ", o->f);
    probe_text_safe(o->f, p->how, false);
    fputc('\n', o->f);
}

static void text_suite(const struct probe_text_out *o, uint16_t id, size_t name_w)
{
    unsigned m = probe_suite_weak_mask(id);
    char nb[8];
    const char *name = suite_name(id, nb);

    fprintf(o->f, "%*s  %s", PROBE_LABEL_W, "", name);
    if (m == 0) {
        fputc('\n', o->f);
        return;
    }
    fprintf(o->f, "%*s  ", (int)(name_w - strlen(name)), "");
    probe_emit_color_on(o, "33");
    fputs("! ", o->f);
    for (int w = 0, k = 0; w < PROBE_WEAK_COUNT; w++) {
        if (m & (1u << w)) {
            fprintf(o->f, "%s%s", k++ > 0 ? ", " : "", weak_reasons[w]);
        }
    }
    probe_emit_color_off(o);
    fputc('\n', o->f);
}

static void text_cipher_list(const struct probe_text_out *o, const struct probe_audit *a, int v,
                             bool *first)
{
    const struct probe_cipher_list *cl = &a->ciphers[v];
    size_t name_w = 0;
    char nb[8];

    probe_emit_label(o, *first ? "Ciphers" : "");
    *first = false;
    fprintf(o->f, "%s  %zu accepted, %s", tls_version_name(v), cl->n,
            !cl->order_known ? "order unknown" : cl->server_order ? "server order"
                                                                  : "client order");
    fputs(list_incomplete(a, v) ? "; incomplete: connection budget reached\n" : "\n", o->f);
    for (size_t i = 0; i < cl->n && i < PROBE_AUDIT_MAX_SUITES; i++) {
        size_t w = strlen(suite_name(cl->ids[i], nb));
        name_w = w > name_w ? w : name_w;
    }
    for (size_t i = 0; i < cl->n && i < PROBE_AUDIT_MAX_SUITES; i++) {
        text_suite(o, cl->ids[i], name_w);
    }
}

static void text_verdict_line(const struct probe_text_out *o, const struct probe_audit *a)
{
    enum probe_proto_state st[TLS_V13 + 1];
    enum probe_tls12 v;

    audit_states(a, st);
    v = probe_audit_tls12(st);
    probe_emit_label(o, "Policy");
    fputs("TLS 1.2 enforced: ", o->f);
    probe_emit_color_on(o, v == PROBE_TLS12_ENFORCED ? "1;32" : v == PROBE_TLS12_NOT_ENFORCED ? "1;31" : "1;33");
    fputs(probe_tls12_name(v), o->f);
    probe_emit_color_off(o);
    if (v == PROBE_TLS12_ENFORCED) {
        fputs(" (TLS 1.0 and 1.1 rejected, TLS 1.2 accepted)\n", o->f);
    } else if (v == PROBE_TLS12_UNKNOWN) {
        fputs(" (not every version could be tested)\n", o->f);
    } else if (st[TLS_V12] == PROBE_PROTO_REJECTED && st[TLS_V13] == PROBE_PROTO_ACCEPTED) {
        fputs(" (TLS 1.2 rejected: TLS 1.3 only, for TDS 8.0 strict clients)\n", o->f);
    } else if (st[TLS_V12] == PROBE_PROTO_REJECTED) {
        fputs(" (TLS 1.2 rejected: the server accepts nothing modern)\n", o->f);
    } else {
        fprintf(o->f, " (%s accepted)\n", st[TLS_V10] == PROBE_PROTO_ACCEPTED &&
                st[TLS_V11] == PROBE_PROTO_ACCEPTED ? "TLS 1.0 and 1.1"
                : st[TLS_V10] == PROBE_PROTO_ACCEPTED ? "TLS 1.0" : "TLS 1.1");
    }
}

static void text_fix(const struct probe_text_out *o, const struct probe_audit *a)
{
    enum probe_proto_state st[TLS_V13 + 1];
    char fix[3072];

    audit_states(a, st);
    probe_audit_fix(st, fix, sizeof(fix));
    if (fix[0] != '\0') {
        probe_report_block(o->f, "To enforce", fix, o->color);
    }
}

void probe_audit_report_text(FILE *f, const struct probe_audit *a, bool color)
{
    const struct probe_text_out o = {.f = f, .color = color};
    bool first = true;

    if (a == NULL || !a->want_protocols) {
        return;
    }
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        text_version(&o, a, v);
    }
    for (int v = TLS_V10; v <= TLS_V12 && a->want_ciphers; v++) {
        if (a->proto[v].state == PROBE_PROTO_ACCEPTED) {
            text_cipher_list(&o, a, v, &first);
        }
    }
    if (a->budget_hit && first && a->want_ciphers) {
        probe_emit_label(&o, "Ciphers");
        fputs("incomplete: connection budget reached\n", o.f);
    }
    text_verdict_line(&o, a);
    text_fix(&o, a);
}
