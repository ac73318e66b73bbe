/* probe/engine/probe_engine.h: many targets probed concurrently on a caller's libuv loop.
 * Targets and client profiles in; one result per target out through a callback, as each
 * finishes. Nothing here prints or exits (the CLI and the exporter are front ends). */
#ifndef PROBE_PROBE_ENGINE_H
#define PROBE_PROBE_ENGINE_H

#include <stddef.h>
#include <uv.h>

#include "probe/model/probe.h"

/* r and everything it points to are valid only during the call. */
typedef void (*probe_result_fn)(const struct probe_result *r, void *arg);

/* The TLS policy audit's whole time when the target's client sets none (--audit-timeout):
 * this many times timeout_s. */
#define PROBE_AUDIT_BUDGET_TIMEOUTS 3

struct probe_engine_opts {
    unsigned concurrency; /* probes in flight at once (0 = 256) */
    double timeout_s;     /* whole-target deadline (0 = 10 s); with an audit, each audit
                             connection's deadline; the audit as a whole has the target's
                             client.audit_timeout_s (0 = PROBE_AUDIT_BUDGET_TIMEOUTS x this).
                             A target's client.timeout_s, when set, replaces it for that
                             target, and its client.audit_protocols/audit_ciphers add to the
                             two flags below */
    uint16_t browser_port; /* SQL Server Browser UDP port (0 = 1434), for labs */
    bool audit_protocols;  /* --protocols: one handshake per TLS version */
    bool audit_ciphers;    /* --ciphers: the accepted suites per version, in server order */
    unsigned audit_max_connections; /* per target (0 = 100) */
    unsigned audit_pause_ms;        /* between audit connections, for fragile servers */
    probe_result_fn on_result;
    void *arg;
};

struct probe_engine;

int probe_engine_new(struct probe_engine **out, uv_loop_t *loop,
                     const struct probe_engine_opts *o);
/* Queues a copy of t and starts it when a slot is free. Fails (-1, sentence in err) when the
 * target's client profile cannot be set up (an unreadable CA file) or memory runs out.
 * Profiles are shared: one parsed CA set and one TLS config per distinct profile. */
int probe_engine_add(struct probe_engine *e, const struct probe_target *t, char *err,
                     size_t errlen);
/* Cancels every target queued or in flight whose probe_target.user is `user` (the tag the
 * front end gave probe_engine_add; tdsprobe serve cancels the probe of a client that went
 * away). Its result callback is never called. A queued target is dropped before it sends a
 * packet; a target in flight is stopped in whatever it is doing - resolving (a getaddrinfo in
 * libuv's thread pool is cancelled, or its answer dropped when it comes), asking SQL Server
 * Browser, connecting, exchanging PRELOGIN and TLS, its follow-up handshake, its TLS policy
 * audit (in a step or in a pause) - its sockets and timers are closed, and its slot goes at
 * once to the next queued target. Its memory is freed once libuv has closed its handles, so
 * the loop still has to run dry before probe_engine_free, as always. Returns how many targets
 * were cancelled: 0 when none has that tag (already delivered: cancelling then is a no-op).
 * May be called from on_result. */
size_t probe_engine_cancel(struct probe_engine *e, const void *user);
/* Targets queued or in flight. */
size_t probe_engine_pending(const struct probe_engine *e);
/* Frees everything; call after the loop has run dry (uv_run returned). */
void probe_engine_free(struct probe_engine *e);

#endif
