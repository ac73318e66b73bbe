/* probe/output/probe_summary.c: one probe_result reduced to what the run-level writers need. */
#include "probe/output/probe_summary.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "probe/output/probe_audit_report.h"
#include "tds/tds_prelogin.h"
#include "tls/tls_cert.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

/* Copies src into dst (cap > 0), cutting on a UTF-8 character boundary so a cut string is
 * never made invalid by the cut itself. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0u) == 0x80u) {
            n--; /* src[n] is a continuation byte: the character starts earlier */
        }
    }
    if (n > 0) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

long probe_summary_days_left(time_t t, time_t now)
{
    return (long)floor(difftime(t, now) / 86400.0);
}

static void copy_target(struct probe_summary *s, const struct probe_target *t)
{
    if (t == NULL) {
        copy_str(s->mode, sizeof(s->mode), "full");
        return;
    }
    copy_str(s->target, sizeof(s->target), t->text);
    copy_str(s->host, sizeof(s->host), t->host);
    copy_str(s->instance, sizeof(s->instance), t->instance);
    copy_str(s->mode, sizeof(s->mode),
             t->client.handshake == TLS_HANDSHAKE_CERTIFICATE ? "certificate" : "full");
}

static void copy_chain(struct probe_summary *s, const struct tls_info *ti, time_t now)
{
    s->chain_len = ti->chain != NULL ? ti->chain_len : 0;
    s->n_chain = s->chain_len < PROBE_SUMMARY_MAX_CHAIN ? s->chain_len : PROBE_SUMMARY_MAX_CHAIN;
    for (size_t i = 0; i < s->n_chain; i++) {
        const struct tls_cert *c = &ti->chain[i];
        struct probe_summary_cert *o = &s->chain[i];

        o->parsed = c->parsed;
        copy_str(o->sha256, sizeof(o->sha256), c->sha256);
        if (!c->parsed) {
            continue; /* no names and no dates: it cannot be the earliest expiry */
        }
        copy_str(o->cn, sizeof(o->cn), c->subject_cn);
        copy_str(o->subject, sizeof(o->subject), c->subject);
        copy_str(o->issuer, sizeof(o->issuer), c->issuer);
        copy_str(o->serial, sizeof(o->serial), c->serial);
        o->not_before = c->not_before;
        o->not_after = c->not_after;
        o->days_left = probe_summary_days_left(c->not_after, now);
        if (!s->has_expiry || difftime(c->not_after, s->earliest_not_after) < 0) {
            s->has_expiry = true;
            s->earliest_not_after = c->not_after;
            s->earliest_days = o->days_left;
        }
    }
}

static void copy_tls(struct probe_summary *s, const struct tls_info *ti, time_t now)
{
    if (ti == NULL) {
        return;
    }
    s->handshake_ran = true;
    s->tls_version = ti->version;
    copy_str(s->cipher, sizeof(s->cipher), ti->cipher);
    copy_chain(s, ti, now);
}

static void copy_audit(struct probe_summary_audit *o, const struct probe_audit *a)
{
    if (a == NULL || !a->want_protocols) {
        return;
    }
    o->ran = true;
    o->ciphers_ran = a->want_ciphers;
    o->budget_hit = a->budget_hit;
    for (int v = 0; v <= TLS_V13; v++) {
        o->proto[v] = a->proto[v].state;
    }
    for (int v = TLS_V10; v <= TLS_V12 && a->want_ciphers; v++) {
        const struct probe_cipher_list *cl = &a->ciphers[v];
        size_t n = cl->n < PROBE_SUMMARY_MAX_SUITES ? cl->n : PROBE_SUMMARY_MAX_SUITES;

        o->suites[v].n = (uint8_t)n;
        o->suites[v].cut = cl->n > n;
        o->suites[v].incomplete = cl->incomplete ||
                                  (a->budget_hit && cl->n == 0 && o->proto[v] ==
                                   PROBE_PROTO_ACCEPTED);
        memcpy(o->suites[v].ids, cl->ids, n * sizeof(cl->ids[0]));
        for (size_t i = 0; i < cl->n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            o->suites[v].has_weak = o->suites[v].has_weak || probe_suite_weak_mask(cl->ids[i]);
        }
    }
}

/* One entry per code, at the worst severity seen (the enum rises with severity). */
static void copy_findings(struct probe_summary *s, const struct probe_result *r)
{
    for (size_t i = 0; i < r->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        const struct probe_finding *f = &r->findings[i];
        size_t k = 0;

        while (k < s->n_findings && strcmp(s->findings[k].code, f->code) != 0) {
            k++;
        }
        if (k == s->n_findings) {
            copy_str(s->findings[k].code, sizeof(s->findings[k].code), f->code);
            s->findings[k].severity = f->severity;
            s->n_findings++;
        } else if (f->severity > s->findings[k].severity) {
            s->findings[k].severity = f->severity;
        }
    }
}

void probe_summary_from_result_at(struct probe_summary *s, const struct probe_result *r,
                                  time_t now)
{
    memset(s, 0, sizeof(*s));
    copy_target(s, r->target);
    s->port = probe_result_port(r);
    s->tds8 = r->facts.tds8;
    s->status = r->status;
    s->diag = r->diag;
    copy_str(s->message, sizeof(s->message), r->message);
    copy_str(s->server_version, sizeof(s->server_version), r->facts.server_version);
    copy_str(s->server_product, sizeof(s->server_product), r->facts.server_product);
    if (r->facts.got_prelogin && r->facts.prelogin.has_encryption) {
        copy_str(s->server_encryption, sizeof(s->server_encryption),
                 tds_enc_name(r->facts.prelogin.encryption));
    }
    copy_tls(s, r->facts.tls, now);
    s->t_resolve = r->facts.t_resolve;
    s->t_browser = r->facts.t_browser;
    s->t_connect = r->facts.t_connect;
    s->t_prelogin = r->facts.t_prelogin;
    s->t_handshake = r->facts.t_handshake;
    s->t_total = r->facts.t_total;
    copy_audit(&s->audit, r->facts.audit);
    copy_findings(s, r);
}

void probe_summary_from_result(struct probe_summary *s, const struct probe_result *r)
{
    probe_summary_from_result_at(s, r, time(NULL));
}

const char *probe_summary_tls_name(const struct probe_summary *s)
{
    return s->tls_version > 0 ? tls_version_name(s->tls_version) : "";
}

/* Long targets and connection strings make poor perfdata labels (graphers turn labels into
 * file names, and "Server=...;Encrypt=..." is neither short nor stable). */
#define LABEL_MAX_AS_GIVEN 64

const char *probe_summary_label(const struct probe_summary *s, char *out, size_t cap)
{
    if (cap == 0) {
        return out;
    }
    size_t n = strlen(s->target);

    if (n > 0 && n <= LABEL_MAX_AS_GIVEN && strchr(s->target, '=') == NULL) {
        copy_str(out, cap, s->target);
    } else if (s->port != 0) {
        snprintf(out, cap, "%s%s%s:%u", s->host, s->instance[0] != '\0' ? "\\" : "",
                 s->instance, (unsigned)s->port);
    } else {
        snprintf(out, cap, "%s%s%s", s->host, s->instance[0] != '\0' ? "\\" : "", s->instance);
    }
    return out;
}
