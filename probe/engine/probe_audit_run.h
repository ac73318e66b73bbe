/* probe/engine/probe_audit_run.h: the TLS policy audit (--protocols, --ciphers) as the engine
 * runs it for one target, after the verdict: the planner's steps (probe_audit_plan.h), one
 * connection each, in sequence, with an optional pause before each (--audit-pause, for fragile
 * servers), a deadline for each (--timeout) and one for the whole audit (--audit-timeout: a
 * fleet audit ends in a known time even when every step of a slow target runs to its own
 * deadline). This module times the steps, makes each step's TLS config
 * and records what each step's connection showed; the job opens and closes the connections,
 * through the hooks. */
#ifndef PROBE_PROBE_AUDIT_RUN_H
#define PROBE_PROBE_AUDIT_RUN_H

#include <stdbool.h>
#include <uv.h>

#include "probe/engine/probe_conn.h"
#include "probe/model/probe_audit.h"

struct probe_audit_run;

struct probe_audit_hooks {
    /* Open the step's connection: a client that asks for encryption (TDS 8.0 strict when the
     * run's transport is PROBE_AUDIT_TDS8: the config then carries ALPN tds/8.0) and offers only
     * `version`, with config tls (NULL for TLS_V13: the hand-built ClientHello of
     * tls/tls13_probe.h). When it ends (or fails to connect) the job calls
     * probe_audit_run_record, then probe_audit_run_next. */
    void (*connect)(void *arg, int version, const struct tls_config *tls);
    /* The step's deadline passed: the job abandons the connection (its facts say timed_out),
     * then records it and goes on as when it ends. */
    void (*expired)(void *arg);
    /* Every step ran, or a budget (connections, time) is spent. */
    void (*over)(void *arg);
    /* After probe_audit_run_close: the run's timer closed and the run is freed. */
    void (*closed)(void *arg);
    void *arg;
};

struct probe_audit_run_opts {
    bool protocols;           /* one handshake per TLS version */
    bool ciphers;             /* the accepted suites per version, in the server's order */
    enum probe_audit_transport transport; /* probe_audit_transport_for the client's facts */
    unsigned max_connections; /* 0 = 100 */
    unsigned pause_ms;        /* before each connection; 0 = none */
    double timeout_s;         /* each step's deadline */
    /* The whole audit's deadline, counted from probe_audit_run_new; the pauses do not count
     * (each one moves the deadline back by its length). When it passes, the step under way is
     * abandoned (expired) and it and every step left are marked not tested with
     * PROBE_AUDIT_LIMIT_TIME. 0 = none. */
    double budget_s;
};

/* Returns 0, or -1 (allocation). */
int probe_audit_run_new(struct probe_audit_run **out, uv_loop_t *loop,
                        const struct probe_audit_run_opts *o, const struct probe_audit_hooks *h);
/* What the audit found so far; valid until the run is freed. */
const struct probe_audit *probe_audit_run_results(const struct probe_audit_run *r);
/* Plans the next step and starts it (after the pause), or calls over. */
void probe_audit_run_next(struct probe_audit_run *r);
/* The step's connection ended: f its facts, c the connection (the TLS 1.3 answer). */
void probe_audit_run_record(struct probe_audit_run *r, const struct probe_facts *f,
                            const struct probe_conn *c);
/* The TLS 1.3 suites the current step offers (0-terminated), or NULL: all three (the TLS 1.3
 * detection step, or a step of another version). Valid while the step's connection runs. */
const uint16_t *probe_audit_run_tls13_suites(const struct probe_audit_run *r);
/* Stops the run: no hook is called any more but closed. */
void probe_audit_run_close(struct probe_audit_run *r);

#endif
