/* probe/engine/probe_engine.c: the libuv side. Per target: resolve (every address, IPv4 and IPv6)
 * -> [SQL Server Browser, for a named instance without a port] -> connect (next address on
 * failure) -> probe_conn (PRELOGIN, TLS in TDS) -> [a follow-up handshake when the server
 * rejected ours, to rank the causes] -> [the TLS policy audit] -> verdict -> callback.
 * One deadline per target (and one for its audit). A front end may cancel a target at any
 * point (probe_engine_cancel: the job ends in PROBE_JOB_CANCELLED, without a result). Owns every
 * socket, timer and buffer lifetime. */
#include "probe/engine/probe_engine.h"
#include "probe/engine/probe_engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/diagnose/probe_diagnose.h"
#include "probe/diagnose/probe_judge.h"
#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"
#include "probe/engine/probe_audit_plan.h"
#include "probe/engine/probe_audit_run.h"
#include "probe/engine/probe_browser.h"
#include "probe/engine/probe_conn.h"
#include "probe/engine/probe_job_state.h"
#include "probe/engine/probe_neterr.h"
#include "probe/engine/probe_queue.h"
#include "tds/tds_packet.h"
#include "tds/tds_ssrp.h"
#include "tls/tls_info.h"
#include "tls/tls_pin.h"
#include "tls/tls_version.h"

static void engine_pump(struct probe_engine *e);

/* An event the job's state does not allow: a bug in the engine, never the network's doing. */
void probe__job_bug(const struct job *j, const char *event)
{
    fprintf(stderr, "tdsprobe: engine bug: %s while %s (%s)\n", event,
            probe_job_state_name(j->state), j->t.text);
    abort();
}

void probe__job_enter(struct job *j, enum probe_job_state next)
{
    if (!probe_job_may_enter(j->state, next)) {
        probe__job_bug(j, probe_job_state_name(next));
    }
    j->state = next;
}

static double ms_since(uint64_t then)
{
    return (double)(uv_hrtime() - then) / 1e6;
}

void probe__job_mark(struct job *j, double *slot, enum probe_phase next)
{
    *slot = ms_since(j->t_mark);
    j->t_mark = uv_hrtime();
    j->res.phase = next;
}

/* Delivered or cancelled: every callback still to come only closes. */
static bool job_ended(const struct job *j)
{
    return j->state == PROBE_JOB_DONE || j->state == PROBE_JOB_CANCELLED;
}

void probe__job_maybe_free(struct job *j)
{
    if (!job_ended(j) || j->open > 0) {
        return;
    }
    if (j->ai) {
        uv_freeaddrinfo(j->ai);
    }
    probe_conn_free(j->conn);
    probe_conn_free(j->fconn);
    free(j->fres);
    free(j->wide_client);
    probe_queued_clear(&j->t);
    free(j);
}

/* ---- SQL Server Browser: host\instance without a port ---- */

static void on_browser(void *arg, int status, uint16_t port, const struct tds_error *err)
{
    struct job *j = arg;

    j->browser = NULL;
    if (j->state != PROBE_JOB_ASKING_BROWSER) {
        probe__job_bug(j, "browser answer");
    }
    if (status == 0) {
        j->res.port = port;
        probe__job_mark(j, &j->res.t_browser, PROBE_PHASE_CONNECT);
        probe__job_connect_next(j);
        return;
    }
    if (status == UV_EPROTO && err) {
        j->res.tds_err = *err;
    } else if (status != UV_ENOENT) {
        j->res.net = probe_net_error_from_uv(status);
    }
    probe__job_finish(j);
}

/* The target's deadline: its client's own when a front end set one, else the engine's. */
static double job_timeout_s(const struct job *j)
{
    return j->t.client->timeout_s > 0 ? j->t.client->timeout_s : j->e->o.timeout_s;
}

static void browser_start(struct job *j)
{
    struct probe_engine *e = j->e;
    unsigned try_ms = (unsigned)(job_timeout_s(j) * 1000.0 / 3.0);

    if (try_ms > 1000) {
        try_ms = 1000; /* SqlClient waits about a second per SSRP try */
    }
    probe__job_enter(j, PROBE_JOB_ASKING_BROWSER);
    j->res.browser_port = e->o.browser_port ? e->o.browser_port : TDS_SSRP_PORT;
    int rc = probe_browser_start(&j->browser, e->loop, j->ai_cur->ai_addr, j->res.browser_port,
                                 j->t.instance, try_ms, 2, on_browser, j);
    if (rc < 0) {
        j->browser = NULL;
        j->res.net = probe_net_error_from_uv(rc);
        probe__job_finish(j);
    } else if (j->state != PROBE_JOB_ASKING_BROWSER) {
        j->browser = NULL; /* it already called back */
    }
}

/* ---- resolve, deadline ---- */

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
    struct job *j = req->data;

    j->open--;
    if (job_ended(j)) { /* finished (deadline) or cancelled while resolving */
        if (ai) {
            uv_freeaddrinfo(ai);
        }
        probe__job_maybe_free(j);
        return;
    }
    if (status < 0) {
        j->res.net = probe_net_error_from_uv(status);
        probe__job_finish(j);
        return;
    }
    j->ai = ai;
    j->ai_cur = ai;
    if (j->t.instance[0] && j->t.port == 0) {
        probe__job_mark(j, &j->res.t_resolve, PROBE_PHASE_BROWSER);
        browser_start(j);
        return;
    }
    probe__job_mark(j, &j->res.t_resolve, PROBE_PHASE_CONNECT);
    probe__job_connect_next(j);
}

static void on_deadline(uv_timer_t *t)
{
    struct job *j = t->data;

    switch (j->state) {
    case PROBE_JOB_CONNECTING:
    case PROBE_JOB_EXCHANGING:
        if (j->conn) {
            probe_conn_abort(j->conn); /* records how far the handshake got */
        }
        /* fall through */
    case PROBE_JOB_RESOLVING:
    case PROBE_JOB_ASKING_BROWSER:
    case PROBE_JOB_FOLLOWUP:
        j->res.timed_out = true;
        probe__job_finish(j);
        break;
    default: /* the audit stops this timer: each of its steps has a deadline of its own */
        probe__job_bug(j, "deadline");
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    struct job *j = h->data;

    j->open--;
    probe__job_maybe_free(j);
}

/* ---- the TLS policy audit (probe_audit_run.h), after the verdict ---- */

static void audit_connect(void *arg, int version, const struct tls_config *tls)
{
    probe__job_side_start(arg, tls, version, version);
}

static void audit_expired(void *arg)
{
    struct job *j = arg;

    if (j->cur) {
        j->fres->timed_out = true;
        probe_conn_abort(j->fconn);
        probe__attempt_close(j->cur);
    }
    probe__job_audit_conn_done(j);
}

static void audit_over(void *arg)
{
    probe__job_finish(arg);
}

static void audit_closed(void *arg)
{
    struct job *j = arg;

    j->audit = NULL;
    j->open--;
    probe__job_maybe_free(j);
}

/* The audit's whole time (--audit-timeout), pauses not counted: by default three connections
 * that run to their own deadline, so a slow target's audit ends in a known time rather than
 * after up to --audit-max-connections deadlines. */
static double audit_budget_s(const struct job *j)
{
    double set = j->t.client->audit_timeout_s;

    return set > 0 ? set : PROBE_AUDIT_BUDGET_TIMEOUTS * job_timeout_s(j);
}

/* TLS can be reached: the server answered PRELOGIN, or (strict over TLS 1.3, which sends no
 * PRELOGIN) a TLS 1.3 ServerHello. */
static bool tls_reachable(const struct job *j)
{
    return j->res.got_prelogin ||
           (j->res.tds8 && j->res.tls != NULL && j->res.tls->version == TLS_V13);
}

/* Audits only a server whose TLS can be reached. */
void probe__job_audit_begin(struct job *j)
{
    const struct probe_engine_opts *o = &j->e->o;
    const struct probe_client *c = j->t.client;
    struct probe_audit_run_opts ro = {
        .protocols = o->audit_protocols || c->audit_protocols,
        .ciphers = o->audit_ciphers || c->audit_ciphers,
        .transport = probe_audit_transport_for(&j->res),
        .max_connections = o->audit_max_connections, .pause_ms = o->audit_pause_ms,
        .timeout_s = job_timeout_s(j), .budget_s = audit_budget_s(j),
    };
    struct probe_audit_hooks h = { audit_connect, audit_expired, audit_over, audit_closed, j };

    if (!(ro.protocols || ro.ciphers) || !tls_reachable(j) || j->res.timed_out ||
        probe_audit_run_new(&j->audit, j->e->loop, &ro, &h) != 0) {
        probe__job_finish(j);
        return;
    }
    j->open++;
    probe__job_enter(j, PROBE_JOB_AUDITING);
    uv_timer_stop(&j->timer);
    j->res.audit = probe_audit_run_results(j->audit);
    probe_audit_run_next(j->audit);
}

/* ---- finish, start ---- */

/* The job's target as front ends read it (struct probe_target), in the engine's scratch. */
static const struct probe_target *target_of(const struct job *j, struct probe_target *t)
{
    snprintf(t->text, sizeof(t->text), "%s", j->t.text);
    snprintf(t->host, sizeof(t->host), "%s", j->t.host);
    t->port = j->t.port;
    memcpy(t->instance, j->t.instance, sizeof(t->instance));
    t->client = *j->t.client;
    t->user = j->t.user;
    return t;
}

/* Builds the full result from the facts in the engine's one scratch result, judges the chain,
 * diagnoses, and hands it to the front end. */
static void deliver(struct job *j)
{
    struct probe_result *r = j->e->scratch;

    probe_result_reset(r);
    r->target = target_of(j, j->e->scratch_target);
    r->facts = j->res;
    if (j->conn) {
        struct probe_judge_input in = {
            .client = j->t.client, .host = j->t.host, .tls = r->facts.tls,
            .validates = r->facts.validates, .now = time(NULL),
            .pin_der = j->t.pin ? j->t.pin->der : NULL, .pin_len = j->t.pin ? j->t.pin->len : 0,
        };
        probe_judge(&in, &r->verdict);
    }
    probe_diagnose(r);
    j->e->o.on_result(r, j->e->o.arg);
}

static void running_link(struct job *j)
{
    struct probe_engine *e = j->e;

    j->prev = NULL;
    j->next = e->running;
    if (e->running) {
        e->running->prev = j;
    }
    e->running = j;
}

static void running_unlink(struct job *j)
{
    if (j->prev) {
        j->prev->next = j->next;
    } else {
        j->e->running = j->next;
    }
    if (j->next) {
        j->next->prev = j->prev;
    }
    j->prev = j->next = NULL;
}

/* Ends a started job in `end`: PROBE_JOB_DONE delivers its result first, PROBE_JOB_CANCELLED delivers
 * nothing. Either way its connection, timer, Browser lookup, getaddrinfo and audit are closed
 * or cancelled (their callbacks only close from now on) and its slot goes to the next target. */
static void job_end(struct job *j, enum probe_job_state end)
{
    struct probe_engine *e = j->e;
    enum probe_job_state was = j->state;

    if (job_ended(j)) {
        return;
    }
    probe__job_enter(j, end);
    running_unlink(j);
    if (end == PROBE_JOB_DONE) {
        j->res.t_total = ms_since(j->t_start);
        e->busy++;
        deliver(j);
        e->busy--;
    }
    if (j->cur) {
        probe__attempt_close(j->cur);
    }
    if (was == PROBE_JOB_RESOLVING) {
        uv_cancel((uv_req_t *)&j->gai);
    }
    if (j->browser) {
        probe_browser_cancel(j->browser);
        j->browser = NULL;
    }
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
    if (j->audit) {
        probe_audit_run_close(j->audit);
    }
    e->in_flight--;
    engine_pump(e);
}

void probe__job_finish(struct job *j)
{
    job_end(j, PROBE_JOB_DONE);
}

static void job_start(struct job *j)
{
    struct probe_engine *e = j->e;
    char port[8];
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };

    e->in_flight++;
    running_link(j);
    j->t_start = j->t_mark = uv_hrtime();
    uv_timer_init(e->loop, &j->timer);
    j->timer.data = j;
    j->open++;
    uv_timer_start(&j->timer, on_deadline, (uint64_t)(job_timeout_s(j) * 1000.0), 0);
    snprintf(port, sizeof(port), "%u", (unsigned)probe_port_or_default(j->t.port));
    j->gai.data = j;
    probe__job_enter(j, PROBE_JOB_RESOLVING);
    j->open++; /* on_resolved runs once, also when cancelled */
    if (probe_host_is_ip(j->t.host)) {
        /* An address needs no DNS: resolve it here rather than queue 1,000 of them behind
         * the thread pool at the start of a fleet run (a NULL callback makes it synchronous). */
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        int rc = uv_getaddrinfo(e->loop, &j->gai, NULL, j->t.host, port, &hints);
        on_resolved(&j->gai, rc, rc == 0 ? j->gai.addrinfo : NULL);
        return;
    }
    int rc = uv_getaddrinfo(e->loop, &j->gai, on_resolved, j->t.host, port, &hints);
    if (rc != 0) {
        j->open--;
        j->res.net = probe_net_error_from_uv(rc);
        probe__job_finish(j);
    }
}

/* ---- the queue ---- */

/* The job for a queued target, when its probe starts. NULL only when memory runs out: the
 * target then gets no result, which the caller's count of results shows. */
static struct job *job_make(struct probe_engine *e, struct probe_queued *q)
{
    struct job *j = calloc(1, sizeof(*j));

    if (j) {
        j->e = e;
        j->state = PROBE_JOB_QUEUED;
        j->t = *q; /* the strings change hands: the queue's slot is reused */
        *q = (struct probe_queued){ 0 };
        j->res.tds8 = j->t.client->encrypt == PROBE_ENCRYPT_STRICT;
        j->res.validates = probe_client_expected_validates(j->t.client);
        j->res.t_resolve = j->res.t_browser = j->res.t_connect = -1;
        j->res.t_prelogin = j->res.t_handshake = -1;
        j->res.phase = PROBE_PHASE_RESOLVE;
    }
    probe_queued_clear(q); /* out of memory: the target's strings; else nothing is left */
    return j;
}

static void engine_pump(struct probe_engine *e)
{
    struct probe_queued *q;

    if (e->busy > 0) {
        return; /* the one that is busy pumps when it is done */
    }
    while (e->in_flight < e->o.concurrency && (q = probe_queue_pop(&e->queue)) != NULL) {
        struct job *j = job_make(e, q);
        if (j) {
            job_start(j);
        }
    }
}

int probe_engine_add(struct probe_engine *e, const struct probe_target *t, char *err,
                     size_t errlen)
{
    if (probe_queue_add(&e->queue, t, err, errlen) != 0) {
        return -1;
    }
    engine_pump(e);
    return 0;
}

int probe_engine_new(struct probe_engine **out, uv_loop_t *loop,
                     const struct probe_engine_opts *o)
{
    struct probe_engine *e = calloc(1, sizeof(*e));

    if (!e) {
        return -1;
    }
    e->loop = loop;
    e->o = *o;
    e->scratch = calloc(1, sizeof(*e->scratch));
    e->scratch_target = calloc(1, sizeof(*e->scratch_target));
    if (!e->scratch || !e->scratch_target) {
        free(e->scratch);
        free(e->scratch_target);
        free(e);
        return -1;
    }
    if (e->o.concurrency == 0) {
        e->o.concurrency = 256;
    }
    if (e->o.timeout_s <= 0) {
        e->o.timeout_s = 10;
    }
    *out = e;
    return 0;
}

size_t probe_engine_cancel(struct probe_engine *e, const void *user)
{
    size_t n = probe_queue_remove(&e->queue, user);
    struct job *j = e->running;

    e->busy++;
    while (j) {
        struct job *next = j->next;
        if (j->t.user == user) {
            job_end(j, PROBE_JOB_CANCELLED);
            n++;
        }
        j = next;
    }
    e->busy--;
    engine_pump(e);
    return n;
}

size_t probe_engine_pending(const struct probe_engine *e)
{
    return probe_queue_waiting(&e->queue) + e->in_flight;
}

void probe_engine_free(struct probe_engine *e)
{
    if (!e) {
        return;
    }
    probe_queue_free(&e->queue);
    free(e->scratch);
    free(e->scratch_target);
    free(e);
}
