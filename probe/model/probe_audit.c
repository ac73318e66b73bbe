/* probe/model/probe_audit.c: the audit planner (see probe_audit.h). Pure: no I/O, no time. */
#include "probe/model/probe_audit.h"

#include <stdio.h>
#include <string.h>

#include "tls/tls_suites.h"

enum { STAGE_VERSIONS, STAGE_SUITES, STAGE_ORDER, STAGE_DONE, STAGE_TLS13 };

const char *probe_proto_state_name(enum probe_proto_state s)
{
    switch (s) {
    case PROBE_PROTO_NOT_TESTED:
        return "not_tested";
    case PROBE_PROTO_ACCEPTED:
        return "accepted";
    case PROBE_PROTO_REJECTED:
        return "rejected";
    case PROBE_PROTO_ERROR:
        return "error";
    }
    return "error";
}

/* Every suite mbedTLS would offer that can run at version v. */
static size_t suites_for(int v, uint16_t *out, size_t cap)
{
    uint16_t all[PROBE_AUDIT_MAX_SUITES * 2];
    size_t n = tls_default_suites(all, sizeof(all) / sizeof(all[0])), k = 0;

    for (size_t i = 0; i < n && k < cap; i++) {
        struct tls_suite_info si;
        if (tls_suite_info(all[i], &si) && si.min_version <= v)
            out[k++] = all[i];
    }
    return k;
}

void probe_audit_init(struct probe_audit *a, bool protocols, bool ciphers,
                      unsigned max_connections)
{
    memset(a, 0, sizeof(*a));
    a->want_protocols = protocols || ciphers; /* suites need the accepted versions first */
    a->want_ciphers = ciphers;
    a->max_connections = max_connections ? max_connections : 100;
    a->stage = a->want_protocols ? STAGE_VERSIONS : STAGE_DONE;
    a->version = TLS_V10;
}

/* Moves to the suite walk of the next accepted version after `from`, or to DONE. */
static void next_version_walk(struct probe_audit *a, int from)
{
    for (int v = from; a->want_ciphers && v <= TLS_V12; v++) {
        if (a->proto[v].state == PROBE_PROTO_ACCEPTED) {
            a->stage = STAGE_SUITES;
            a->version = v;
            a->n_left = suites_for(v, a->left, PROBE_AUDIT_MAX_SUITES);
            return;
        }
    }
    a->stage = STAGE_DONE;
}

static void offer(struct probe_audit_step *st, int v, const uint16_t *ids, size_t n)
{
    st->version = v;
    st->n = n;
    memcpy(st->suites, ids, n * sizeof(ids[0]));
    st->suites[n] = 0;
}

bool probe_audit_next(struct probe_audit *a, struct probe_audit_step *step)
{
    uint16_t ids[PROBE_AUDIT_MAX_SUITES];

    if (a->stage == STAGE_DONE)
        return false;
    if (a->connections >= a->max_connections) {
        a->budget_hit = true;
        if (a->stage == STAGE_SUITES || a->stage == STAGE_ORDER)
            a->ciphers[a->version].incomplete = true;
        a->stage = STAGE_DONE;
        return false;
    }
    switch (a->stage) {
    case STAGE_VERSIONS:
        offer(step, a->version, ids, suites_for(a->version, ids, PROBE_AUDIT_MAX_SUITES));
        break;
    case STAGE_TLS13: /* no suites: a hand-built ClientHello */
        step->version = TLS_V13;
        step->n = 0;
        step->suites[0] = 0;
        break;
    case STAGE_SUITES:
        offer(step, a->version, a->left, a->n_left);
        break;
    default: { /* STAGE_ORDER: the first two picks, swapped */
        const struct probe_cipher_list *cl = &a->ciphers[a->version];
        uint16_t two[2] = { cl->ids[1], cl->ids[0] };
        offer(step, a->version, two, 2);
        break;
    }
    }
    a->connections++;
    return true;
}

/* How the server turned the ClientHello down, in a few words. */
static void describe_refusal(char *out, size_t cap, const struct tls_info *ti, bool timed_out,
                             bool reset)
{
    if (!ti)
        snprintf(out, cap, "%s", timed_out ? "timeout" : reset ? "connection reset before TLS"
                                                               : "no TLS handshake");
    else if (ti->local_reject && ti->server_hello_version > 0)
        snprintf(out, cap, "server chose %s", tls_version_name(ti->server_hello_version));
    else if (ti->alert_received)
        snprintf(out, cap, "alert %s", tls_alert_name(ti->alert_description));
    else if (ti->peer_reset || reset)
        snprintf(out, cap, "connection reset");
    else if (ti->peer_closed)
        snprintf(out, cap, "connection closed");
    else
        snprintf(out, cap, "%s", timed_out ? "timeout" : "handshake failed");
}

static void record_version(struct probe_audit *a, const struct tls_info *ti, bool ok,
                           bool timed_out, bool reset)
{
    struct probe_proto_result *p = &a->proto[a->version];

    /* Silence until the deadline is not a refusal we can name (some old servers leave a
     * ClientHello they dislike unanswered): report it as "could not tell". */
    p->state = ok          ? PROBE_PROTO_ACCEPTED
               : timed_out ? PROBE_PROTO_ERROR
               : (ti || reset) ? PROBE_PROTO_REJECTED : PROBE_PROTO_ERROR;
    if (ok) {
        p->cipher = ti->cipher_id;
        snprintf(p->how, sizeof(p->how), "ServerHello %s", ti->cipher);
    } else {
        describe_refusal(p->how, sizeof(p->how), ti, timed_out, reset);
    }
    if (++a->version > TLS_V12) {
        if (a->want_tls13)
            a->stage = STAGE_TLS13;
        else
            next_version_walk(a, TLS_V10);
    }
}

void probe_audit_enable_tls13(struct probe_audit *a)
{
    a->want_tls13 = a->want_protocols;
}

void probe_audit_record_tls13(struct probe_audit *a, const struct tls13_probe_result *r,
                              bool closed, bool reset, bool timed_out)
{
    struct probe_proto_result *p = &a->proto[TLS_V13];

    if (a->stage != STAGE_TLS13)
        return;
    if (r && r->accepted) {
        p->state = PROBE_PROTO_ACCEPTED;
        p->cipher = r->cipher_id;
        snprintf(p->how, sizeof(p->how), "%s %.40s (TDS 8.0 TLS first; chain encrypted)",
                 r->hello_retry ? "HelloRetryRequest" : "ServerHello", r->cipher);
    } else if (r && (r->alert_received || r->version)) {
        p->state = PROBE_PROTO_REJECTED;
        if (r->alert_received)
            snprintf(p->how, sizeof(p->how), "alert %s", r->alert_name);
        else
            snprintf(p->how, sizeof(p->how), "server chose %s", tls_version_name(r->version));
    } else if (closed || reset) {
        p->state = PROBE_PROTO_REJECTED;
        snprintf(p->how, sizeof(p->how), "connection %s after a TLS-first ClientHello: no TDS "
                 "8.0 (strict) on this port", reset ? "reset" : "closed");
    } else {
        p->state = timed_out ? PROBE_PROTO_ERROR : PROBE_PROTO_REJECTED;
        snprintf(p->how, sizeof(p->how), "%.90s", timed_out ? "timeout"
                                                 : r ? r->detail : "no answer");
    }
    next_version_walk(a, TLS_V10);
}

static bool take_left(struct probe_audit *a, uint16_t id)
{
    for (size_t i = 0; i < a->n_left; i++) {
        if (a->left[i] == id) {
            memmove(&a->left[i], &a->left[i + 1], (a->n_left - i - 1) * sizeof(a->left[0]));
            a->n_left--;
            return true;
        }
    }
    return false; /* the server picked something we did not offer: stop, don't loop */
}

static void record_suite(struct probe_audit *a, const struct tls_info *ti, bool ok)
{
    struct probe_cipher_list *cl = &a->ciphers[a->version];

    if (ok && take_left(a, ti->cipher_id) && cl->n < PROBE_AUDIT_MAX_SUITES) {
        cl->ids[cl->n++] = ti->cipher_id;
        if (a->n_left > 0)
            return;
    }
    if (cl->n >= 2)
        a->stage = STAGE_ORDER;
    else
        next_version_walk(a, a->version + 1);
}

void probe_audit_record(struct probe_audit *a, const struct probe_audit_step *step,
                        const struct tls_info *ti, bool hello_ok, bool timed_out, bool reset)
{
    bool ok = hello_ok && ti && ti->version == step->version && ti->cipher_id != 0;

    switch (a->stage) {
    case STAGE_VERSIONS:
        record_version(a, ti, ok, timed_out, reset);
        break;
    case STAGE_SUITES:
        if (!ok && (timed_out || !ti)) /* no answer is not a refusal: the list may be short */
            a->ciphers[a->version].incomplete = true;
        record_suite(a, ti, ok);
        break;
    case STAGE_ORDER: {
        struct probe_cipher_list *cl = &a->ciphers[a->version];
        cl->order_known = ok;
        cl->server_order = ok && ti->cipher_id == cl->ids[0];
        next_version_walk(a, a->version + 1);
        break;
    }
    default:
        break;
    }
}
