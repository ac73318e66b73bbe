/* probe/engine/probe_audit_run.c: the audit's steps in time (see probe_audit_run.h). */
#include "probe/engine/probe_audit_run.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "probe/engine/probe_audit_plan.h"
#include "tls/tls_config.h"
#include "tls/tls_version.h"

/* What the run's one timer is for at the moment. */
enum run_state {
    RUN_IDLE,    /* no step running: before the first, or between recording one and the next */
    RUN_PAUSED,  /* the timer is the pause before the step's connection */
    RUN_STEP,    /* the step's connection runs; the timer is its deadline */
    RUN_OVER,    /* over or closed: no more steps */
};

struct probe_audit_run {
    struct probe_audit_plan plan;
    struct probe_audit_step step;
    struct probe_audit_run_opts o;
    struct probe_audit_hooks h;
    enum run_state state;
    uv_timer_t timer;
    uint64_t end;           /* loop time (ms) when the time budget runs out; UINT64_MAX: none */
    struct tls_config *cfg; /* the current step's config (TLS 1.0-1.2) */
};

static void on_timer(uv_timer_t *t);

/* What is left of the time budget (ms). */
static uint64_t budget_left_ms(const struct probe_audit_run *r)
{
    uint64_t now = uv_now(r->timer.loop);

    return now >= r->end ? 0 : r->end - now;
}

/* The step's deadline: its own, or the budget's end when that comes first. */
static uint64_t step_ms(const struct probe_audit_run *r)
{
    uint64_t own = (uint64_t)(r->o.timeout_s * 1000.0), left = budget_left_ms(r);

    return own < left ? own : left;
}

/* The step's config offers only its version and its suites, and stops at the ServerHello. TLS
 * first (TDS 8.0) it names tds/8.0 in ALPN, as the strict clients do. */
static int step_config(struct probe_audit_run *r)
{
    char err[160];
    bool tds8 = r->plan.audit.transport == PROBE_AUDIT_TDS8;
    struct tls_config_opts o = {
        .min_version = r->step.version, .max_version = r->step.version, .ca_file = NULL,
        .alpn = tds8 ? PROBE_TDS8_ALPN : NULL, .ciphersuites = r->step.suites,
        .mode = TLS_HANDSHAKE_HELLO,
    };

    return tls_config_new(&r->cfg, &o, err, sizeof(err));
}

/* Opens the step's connection. The previous step's config goes first: its connection was
 * freed when its outcome was recorded. */
static void connect_step(struct probe_audit_run *r)
{
    tls_config_free(r->cfg);
    r->cfg = NULL;
    if (r->step.version != TLS_V13 && step_config(r) != 0) {
        probe_audit_plan_record(&r->plan, &r->step, NULL, false, false, false);
        r->state = RUN_IDLE;
        probe_audit_run_next(r);
        return;
    }
    r->state = RUN_STEP;
    uv_timer_start(&r->timer, on_timer, step_ms(r), 0);
    r->h.connect(r->h.arg, r->step.version, r->cfg);
}

static void on_timer(uv_timer_t *t)
{
    struct probe_audit_run *r = t->data;

    switch (r->state) {
    case RUN_PAUSED:
        connect_step(r);
        break;
    case RUN_STEP:
        if (budget_left_ms(r) == 0) { /* the budget, not the step's own deadline */
            probe_audit_plan_stop(&r->plan, PROBE_AUDIT_LIMIT_TIME);
        }
        r->h.expired(r->h.arg);
        break;
    default:
        fprintf(stderr, "tdsprobe: engine bug: audit timer in state %d\n", (int)r->state);
        abort();
    }
}

void probe_audit_run_next(struct probe_audit_run *r)
{
    if (r->state != RUN_IDLE) {
        return;
    }
    if (budget_left_ms(r) == 0) {
        probe_audit_plan_stop(&r->plan, PROBE_AUDIT_LIMIT_TIME);
    }
    if (!probe_audit_plan_next(&r->plan, &r->step)) {
        r->state = RUN_OVER;
        r->h.over(r->h.arg);
        return;
    }
    if (r->o.pause_ms) {
        r->state = RUN_PAUSED;
        r->end = r->end > UINT64_MAX - r->o.pause_ms ? UINT64_MAX : r->end + r->o.pause_ms;
        uv_timer_start(&r->timer, on_timer, r->o.pause_ms, 0);
    } else {
        connect_step(r);
    }
}

void probe_audit_run_record(struct probe_audit_run *r, const struct probe_facts *f,
                            const struct probe_conn *c)
{
    if (r->state != RUN_STEP) {
        return;
    }
    uv_timer_stop(&r->timer);
    r->state = RUN_IDLE;
    if (r->step.version == TLS_V13) {
        const struct tls13_probe_result *t13 = c ? probe_conn_tls13(c) : NULL;
        probe_audit_plan_record_tls13(&r->plan, t13, f && !f->timed_out, f && f->server_reset,
                                      f && f->timed_out);
    } else if (f && c) {
        probe_audit_plan_record(&r->plan, &r->step, f->tls, probe_conn_handshake_ok(c),
                                f->timed_out, f->server_reset || f->net.kind == PROBE_NET_RESET);
    } else {
        probe_audit_plan_record(&r->plan, &r->step, NULL, false, false, false);
    }
}

int probe_audit_run_new(struct probe_audit_run **out, uv_loop_t *loop,
                        const struct probe_audit_run_opts *o, const struct probe_audit_hooks *h)
{
    struct probe_audit_run *r = malloc(sizeof(*r));

    if (!r) {
        return -1;
    }
    probe_audit_plan_init(&r->plan, o->protocols, o->ciphers, o->max_connections);
    probe_audit_plan_enable_tls13(&r->plan);
    probe_audit_plan_set_transport(&r->plan, o->transport);
    r->o = *o;
    r->h = *h;
    r->state = RUN_IDLE;
    r->cfg = NULL;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    r->end = o->budget_s > 0 ? uv_now(loop) + (uint64_t)(o->budget_s * 1000.0) : UINT64_MAX;
    *out = r;
    return 0;
}

const uint16_t *probe_audit_run_tls13_suites(const struct probe_audit_run *r)
{
    return r->step.version == TLS_V13 && r->step.n > 0 ? r->step.suites : NULL;
}

const struct probe_audit *probe_audit_run_results(const struct probe_audit_run *r)
{
    return &r->plan.audit;
}

static void on_closed(uv_handle_t *h)
{
    struct probe_audit_run *r = h->data;
    struct probe_audit_hooks hooks = r->h;

    tls_config_free(r->cfg);
    free(r);
    hooks.closed(hooks.arg);
}

void probe_audit_run_close(struct probe_audit_run *r)
{
    r->state = RUN_OVER;
    uv_close((uv_handle_t *)&r->timer, on_closed);
}
