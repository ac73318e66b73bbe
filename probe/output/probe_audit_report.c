/* probe/output/probe_audit_report.c: the TLS policy audit's writers (see probe_audit_report.h):
 * the tables and JSON members. What the audit means (the TLS 1.2 verdict, weak classes, the
 * findings, the fix) is decided in probe/diagnose/probe_audit_verdict.h. */
#include "probe/output/probe_audit_report.h"

#include <string.h>

#include "probe/output/probe_emit.h"
#include "tls/tls_policy.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

static void audit_states(const struct probe_audit *a, enum probe_proto_state st[TLS_V13 + 1])
{
    for (int v = 0; v <= TLS_V13; v++) {
        st[v] = a->proto[v].state;
    }
}

/* ---- JSON ---- */

static void json_protocols(struct probe_jsonbuf *b, const struct probe_audit *a)
{
    probe_jsonbuf_ch(b, '{');
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        if (v == TLS_V13 && a->proto[v].state == PROBE_PROTO_NOT_TESTED) {
            break; /* TDS 8.0 strict only: absent rather than a misleading "rejected" */
        }
        probe_jsonbuf_lit(b, v > TLS_V10 ? "," : "");
        probe_jsonbuf_key(b, tls_version_name(v));
        probe_jsonbuf_str(b, probe_proto_state_name(a->proto[v].state));
    }
    probe_jsonbuf_ch(b, '}');
}

static void json_detail(struct probe_jsonbuf *b, const struct probe_audit *a)
{
    probe_jsonbuf_ch(b, '{');
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        const struct probe_proto_result *p = &a->proto[v];
        bool v13_untested = v == TLS_V13 && p->state == PROBE_PROTO_NOT_TESTED &&
                            !(a->want_tls13 && a->budget_hit);
        char nb[8];

        probe_jsonbuf_lit(b, v > TLS_V10 ? "," : "");
        probe_jsonbuf_key(b, tls_version_name(v));
        probe_jsonbuf_member_str(b, "{\"state\":", probe_proto_state_name(p->state));
        probe_jsonbuf_lit(b, ",\"how\":");
        if (v13_untested) {
            probe_jsonbuf_str(b, "needs TDS 8.0 strict");
        } else if (p->how[0] == '\0' && p->state == PROBE_PROTO_NOT_TESTED && a->budget_hit) {
            probe_jsonbuf_str(b, probe_audit_limit_text(a->limit));
        } else {
            probe_jsonbuf_str(b, p->how[0] != '\0' ? p->how : NULL);
        }
        probe_jsonbuf_lit(b, ",\"cipher\":");
        bool named = p->state == PROBE_PROTO_ACCEPTED && p->cipher != 0;
        probe_jsonbuf_str(b, named ? probe_suite_name(p->cipher, nb) : NULL);
        probe_jsonbuf_ch(b, '}');
    }
    probe_jsonbuf_ch(b, '}');
}

static void json_suite(struct probe_jsonbuf *b, uint16_t id)
{
    struct tls_suite_info si;
    bool known = tls_suite_info(id, &si);
    unsigned m = probe_suite_weak_mask(id);
    char nb[8];

    probe_jsonbuf_member_str(b, "{\"name\":", probe_suite_name(id, nb));
    probe_jsonbuf_lit(b, ",\"id\":\"0x");
    probe_jsonbuf_hex(b, id, 4);
    probe_jsonbuf_member_str(b, "\",\"kx\":", known ? si.kx : NULL);
    probe_jsonbuf_member_str(b, ",\"auth\":", known ? si.auth : NULL);
    probe_jsonbuf_member_str(b, ",\"cipher\":", known ? si.cipher : NULL);
    probe_jsonbuf_member_str(b, ",\"mac\":", known ? si.mac : NULL);
    probe_jsonbuf_lit(b, ",\"weak\":[");
    for (int w = 0, k = 0; w < PROBE_WEAK_COUNT; w++) {
        if (m & (1u << w)) {
            probe_jsonbuf_lit(b, k++ > 0 ? "," : "");
            probe_jsonbuf_str(b, probe_weak_reason((enum probe_weak)w));
        }
    }
    probe_jsonbuf_lit(b, "]}");
}

static const char *order_name(const struct probe_cipher_list *cl)
{
    return !cl->order_known ? "unknown" : cl->server_order ? "server" : "client";
}

/* A version accepted but never walked because a budget ran out is incomplete too. */
static bool list_incomplete(const struct probe_audit *a, int v)
{
    return a->ciphers[v].incomplete || (a->budget_hit && a->ciphers[v].n == 0);
}

static void json_ciphers(struct probe_jsonbuf *b, const struct probe_audit *a)
{
    bool first = true;

    probe_jsonbuf_ch(b, '{');
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        const struct probe_cipher_list *cl = &a->ciphers[v];
        if (a->proto[v].state != PROBE_PROTO_ACCEPTED) {
            continue;
        }
        probe_jsonbuf_lit(b, first ? "" : ",");
        probe_jsonbuf_key(b, tls_version_name(v));
        probe_jsonbuf_lit(b, "{\"order\":\"");
        probe_jsonbuf_lit(b, order_name(cl));
        probe_jsonbuf_member_bool(b, "\",\"incomplete\":", list_incomplete(a, v));
        probe_jsonbuf_lit(b, ",\"suites\":[");
        first = false;
        for (size_t i = 0; i < cl->n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            probe_jsonbuf_lit(b, i > 0 ? "," : "");
            json_suite(b, cl->ids[i]);
        }
        probe_jsonbuf_lit(b, "]}");
    }
    probe_jsonbuf_ch(b, '}');
}

void probe_audit_report_json(struct probe_jsonbuf *b, const struct probe_audit *a)
{
    bool ran = a != NULL && a->want_protocols;

    probe_jsonbuf_member_str(
        b, ",\"audit_transport\":", ran ? probe_audit_transport_name(a->transport) : NULL);
    probe_jsonbuf_lit(b, ",\"protocols\":");
    if (ran) {
        json_protocols(b, a);
    } else {
        probe_jsonbuf_lit(b, "null");
    }
    probe_jsonbuf_lit(b, ",\"protocols_detail\":");
    if (ran) {
        json_detail(b, a);
    } else {
        probe_jsonbuf_lit(b, "null");
    }
    probe_jsonbuf_lit(b, ",\"tls12_enforced\":");
    enum probe_proto_state st[TLS_V13 + 1];
    enum probe_tls12 v = PROBE_TLS12_UNKNOWN;
    if (ran) {
        audit_states(a, st);
        v = probe_audit_tls12(st);
    }
    probe_jsonbuf_lit(b, v == PROBE_TLS12_ENFORCED       ? "true"
                         : v == PROBE_TLS12_NOT_ENFORCED ? "false"
                                                         : "null");
    probe_jsonbuf_lit(b, ",\"ciphers\":");
    if (ran && a->want_ciphers) {
        json_ciphers(b, a);
    } else {
        probe_jsonbuf_lit(b, "null");
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
        if (cut) {
            fprintf(o->f, "not tested (%s)\n", probe_audit_limit_text(a->limit));
        } else {
            fputs(v == TLS_V13 ? "not tested (needs TDS 8.0 strict)\n" : "not tested\n", o->f);
        }
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
    const char *name = probe_suite_name(id, nb);

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
            fprintf(o->f, "%s%s", k++ > 0 ? ", " : "", probe_weak_reason((enum probe_weak)w));
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
    if (list_incomplete(a, v) && a->budget_hit) {
        fprintf(o->f, "; incomplete: %s\n", probe_audit_limit_text(a->limit));
    } else {
        fputs(list_incomplete(a, v) ? "; incomplete\n" : "\n", o->f);
    }
    for (size_t i = 0; i < cl->n && i < PROBE_AUDIT_MAX_SUITES; i++) {
        size_t w = strlen(probe_suite_name(cl->ids[i], nb));
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
    probe_emit_color_on(o, v == PROBE_TLS12_ENFORCED       ? "1;32"
                           : v == PROBE_TLS12_NOT_ENFORCED ? "1;31"
                                                           : "1;33");
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
    if (a->transport == PROBE_AUDIT_TDS8) { /* the TDS 7.x way goes unsaid, as before */
        probe_emit_label(&o, "Audit");
        fputs("over TDS 8.0 (TLS first, ALPN tds/8.0), as a strict client connects\n", o.f);
    }
    for (int v = TLS_V10; v <= TLS_V13; v++) {
        text_version(&o, a, v);
    }
    for (int v = TLS_V10; v <= TLS_V13 && a->want_ciphers; v++) {
        if (a->proto[v].state == PROBE_PROTO_ACCEPTED) {
            text_cipher_list(&o, a, v, &first);
        }
    }
    if (a->budget_hit && first && a->want_ciphers) {
        probe_emit_label(&o, "Ciphers");
        fprintf(o.f, "incomplete: %s\n", probe_audit_limit_text(a->limit));
    }
    text_verdict_line(&o, a);
    text_fix(&o, a);
}
