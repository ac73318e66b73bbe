/* probe/engine/probe_audit_plan.c: the audit planner (see probe_audit_plan.h). Pure: no I/O, no
 * time. */
#include "probe/engine/probe_audit_plan.h"
#include "tls/tls_info.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

#include <stdio.h>
#include <string.h>

/* Every suite mbedTLS would offer that can run at version v; for TLS 1.3 the three suites of
 * the hand-built ClientHello. */
static size_t suites_for(int v, uint16_t *out, size_t cap)
{
    uint16_t all[PROBE_AUDIT_MAX_SUITES * 2];
    size_t n, k = 0;

    if (v == TLS_V13) {
        return tls13_probe_suites(out, cap);
    }
    n = tls_default_suites(all, sizeof(all) / sizeof(all[0]));

    for (size_t i = 0; i < n && k < cap; i++) {
        struct tls_suite_info si;
        if (tls_suite_info(all[i], &si) && si.min_version <= v) {
            out[k++] = all[i];
        }
    }
    return k;
}

void probe_audit_plan_init(struct probe_audit_plan *p, bool protocols, bool ciphers,
                           unsigned max_connections)
{
    memset(p, 0, sizeof(*p));
    p->audit.want_protocols = protocols || ciphers; /* suites need the accepted versions first */
    p->audit.want_ciphers = ciphers;
    p->audit.max_connections = max_connections ? max_connections : 100;
    p->stage = p->audit.want_protocols ? PROBE_AUDIT_VERSIONS : PROBE_AUDIT_DONE;
    p->version = TLS_V10;
}

enum probe_audit_transport probe_audit_transport_for(const struct probe_facts *f)
{
    return f->tds8 ? PROBE_AUDIT_TDS8 : PROBE_AUDIT_TDS7;
}

void probe_audit_plan_set_transport(struct probe_audit_plan *p, enum probe_audit_transport t)
{
    p->audit.transport = t;
}

static bool take_left(struct probe_audit_plan *p, uint16_t id)
{
    for (size_t i = 0; i < p->n_left; i++) {
        if (p->left[i] == id) {
            memmove(&p->left[i], &p->left[i + 1], (p->n_left - i - 1) * sizeof(p->left[0]));
            p->n_left--;
            return true;
        }
    }
    return false; /* the server picked something we did not offer: stop, don't loop */
}

/* Moves to the suite walk of the next accepted version after `from`, or to DONE. The TLS 1.3
 * detection offered all three suites already: its pick is the walk's first. */
static void next_version_walk(struct probe_audit_plan *p, int from)
{
    for (int v = from; p->audit.want_ciphers && v <= TLS_V13; v++) {
        if (p->audit.proto[v].state == PROBE_PROTO_ACCEPTED) {
            struct probe_cipher_list *cl = &p->audit.ciphers[v];
            p->stage = PROBE_AUDIT_SUITES;
            p->version = v;
            p->n_left = suites_for(v, p->left, PROBE_AUDIT_MAX_SUITES);
            if (v == TLS_V13 && cl->n == 0 && take_left(p, p->audit.proto[v].cipher)) {
                cl->ids[cl->n++] = p->audit.proto[v].cipher;
            }
            return;
        }
    }
    p->stage = PROBE_AUDIT_DONE;
}

static void offer(struct probe_audit_step *st, int v, const uint16_t *ids, size_t n)
{
    st->version = v;
    st->n = n;
    memcpy(st->suites, ids, n * sizeof(ids[0]));
    st->suites[n] = 0;
}

void probe_audit_plan_stop(struct probe_audit_plan *p, enum probe_audit_limit limit)
{
    if (p->stage == PROBE_AUDIT_DONE) {
        return;
    }
    p->audit.budget_hit = true;
    p->audit.limit = limit;
    if (p->stage == PROBE_AUDIT_SUITES || p->stage == PROBE_AUDIT_ORDER) {
        p->audit.ciphers[p->version].incomplete = true;
    }
    p->stage = PROBE_AUDIT_DONE;
}

bool probe_audit_plan_next(struct probe_audit_plan *p, struct probe_audit_step *step)
{
    uint16_t ids[PROBE_AUDIT_MAX_SUITES];

    if (p->stage == PROBE_AUDIT_DONE) {
        return false;
    }
    if (p->audit.connections >= p->audit.max_connections) {
        probe_audit_plan_stop(p, PROBE_AUDIT_LIMIT_CONNECTIONS);
        return false;
    }
    switch (p->stage) {
    case PROBE_AUDIT_VERSIONS:
        offer(step, p->version, ids, suites_for(p->version, ids, PROBE_AUDIT_MAX_SUITES));
        break;
    case PROBE_AUDIT_TLS13: /* no suites: a hand-built ClientHello */
        step->version = TLS_V13;
        step->n = 0;
        step->suites[0] = 0;
        break;
    case PROBE_AUDIT_SUITES:
        offer(step, p->version, p->left, p->n_left);
        break;
    default: { /* PROBE_AUDIT_ORDER: the first two picks, swapped */
        const struct probe_cipher_list *cl = &p->audit.ciphers[p->version];
        uint16_t two[2] = { cl->ids[1], cl->ids[0] };
        offer(step, p->version, two, 2);
        break;
    }
    }
    p->audit.connections++;
    return true;
}

/* How the server turned the ClientHello down, in a few words. */
static void describe_refusal(char *out, size_t cap, const struct tls_info *ti, bool timed_out,
                             bool reset)
{
    if (!ti) {
        snprintf(out, cap, "%s", timed_out ? "timeout" : reset ? "connection reset before TLS"
                                                               : "no TLS handshake");
    } else if (ti->local_reject && ti->server_hello_version > 0) {
        snprintf(out, cap, "server chose %s", tls_version_name(ti->server_hello_version));
    } else if (ti->alert_received) {
        snprintf(out, cap, "alert %s", tls_alert_name(ti->alert_description));
    } else if (ti->peer_reset || reset) {
        snprintf(out, cap, "connection reset");
    } else if (ti->peer_closed) {
        snprintf(out, cap, "connection closed");
    } else {
        snprintf(out, cap, "%s", timed_out ? "timeout" : "handshake failed");
    }
}

static void record_version(struct probe_audit_plan *p, const struct tls_info *ti, bool ok,
                           bool timed_out, bool reset)
{
    struct probe_proto_result *pr = &p->audit.proto[p->version];

    /* Silence until the deadline is not a refusal we can name (some old servers leave a
     * ClientHello they dislike unanswered): report it as "could not tell". */
    pr->state = ok          ? PROBE_PROTO_ACCEPTED
                : timed_out ? PROBE_PROTO_ERROR
                : (ti || reset) ? PROBE_PROTO_REJECTED : PROBE_PROTO_ERROR;
    if (ok) {
        pr->cipher = ti->cipher_id;
        snprintf(pr->how, sizeof(pr->how), "ServerHello %s", ti->cipher);
    } else {
        describe_refusal(pr->how, sizeof(pr->how), ti, timed_out, reset);
    }
    if (++p->version > TLS_V12) {
        if (p->audit.want_tls13) {
            p->stage = PROBE_AUDIT_TLS13;
        } else {
            next_version_walk(p, TLS_V10);
        }
    }
}

void probe_audit_plan_enable_tls13(struct probe_audit_plan *p)
{
    p->audit.want_tls13 = p->audit.want_protocols;
}

static void record_suite(struct probe_audit_plan *p, bool ok, uint16_t id)
{
    struct probe_cipher_list *cl = &p->audit.ciphers[p->version];

    if (ok && take_left(p, id) && cl->n < PROBE_AUDIT_MAX_SUITES) {
        cl->ids[cl->n++] = id;
        if (p->n_left > 0) {
            return;
        }
    }
    if (cl->n >= 2) {
        p->stage = PROBE_AUDIT_ORDER;
    } else {
        next_version_walk(p, p->version + 1);
    }
}

/* A suite walk or order step's outcome: ok when the server picked `id` at the step's version;
 * unanswered when nothing came back (no answer is not a refusal: the list may be short). */
static void record_walk(struct probe_audit_plan *p, bool ok, uint16_t id, bool unanswered)
{
    struct probe_cipher_list *cl = &p->audit.ciphers[p->version];

    if (p->stage == PROBE_AUDIT_SUITES) {
        if (!ok && unanswered) {
            cl->incomplete = true;
        }
        record_suite(p, ok, id);
        return;
    }
    cl->order_known = ok;
    cl->server_order = ok && id == cl->ids[0];
    next_version_walk(p, p->version + 1);
}

void probe_audit_plan_record(struct probe_audit_plan *p, const struct probe_audit_step *step,
                             const struct tls_info *ti, bool hello_ok, bool timed_out,
                             bool reset)
{
    bool ok = hello_ok && ti && ti->version == step->version && ti->cipher_id != 0;

    if (p->stage == PROBE_AUDIT_VERSIONS) {
        record_version(p, ti, ok, timed_out, reset);
    } else if (p->stage == PROBE_AUDIT_SUITES || p->stage == PROBE_AUDIT_ORDER) {
        record_walk(p, ok, ok ? ti->cipher_id : 0, timed_out || !ti);
    }
}

void probe_audit_plan_record_tls13(struct probe_audit_plan *p,
                                   const struct tls13_probe_result *r, bool closed, bool reset,
                                   bool timed_out)
{
    struct probe_proto_result *pr = &p->audit.proto[TLS_V13];

    if (p->stage == PROBE_AUDIT_SUITES || p->stage == PROBE_AUDIT_ORDER) {
        record_walk(p, r != NULL && r->accepted, r != NULL ? r->cipher_id : 0, !r || timed_out);
        return;
    }
    if (p->stage != PROBE_AUDIT_TLS13) {
        return;
    }
    if (r && r->accepted) {
        pr->state = PROBE_PROTO_ACCEPTED;
        pr->cipher = r->cipher_id;
        snprintf(pr->how, sizeof(pr->how), "%s %.40s (TDS 8.0 TLS first; chain encrypted)",
                 r->hello_retry ? "HelloRetryRequest" : "ServerHello", r->cipher);
    } else if (r && (r->alert_received || r->version)) {
        pr->state = PROBE_PROTO_REJECTED;
        if (r->alert_received) {
            snprintf(pr->how, sizeof(pr->how), "alert %s", r->alert_name);
        } else {
            snprintf(pr->how, sizeof(pr->how), "server chose %s", tls_version_name(r->version));
        }
    } else if (closed || reset) {
        pr->state = PROBE_PROTO_REJECTED;
        snprintf(pr->how, sizeof(pr->how), "connection %s after a TLS-first ClientHello: no "
                 "TDS 8.0 (strict) on this port", reset ? "reset" : "closed");
    } else {
        pr->state = timed_out ? PROBE_PROTO_ERROR : PROBE_PROTO_REJECTED;
        snprintf(pr->how, sizeof(pr->how), "%.90s", timed_out ? "timeout"
                                                   : r ? r->detail : "no answer");
    }
    next_version_walk(p, TLS_V10);
}
