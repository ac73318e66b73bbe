/* probe/serve/probe_serve_int.h: what the exporter's two files share: the server and its
 * connections (probe_serve.c) and its command line and start-up (probe_serve_main.c). */
#ifndef PROBE_PROBE_SERVE_INT_H
#define PROBE_PROBE_SERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "probe/engine/probe_engine.h"
#include "probe/serve/probe_http.h"
#include "probe/serve/probe_modules.h"
#include "probe/serve/probe_peers.h"

#define SERVE_MAX_CONNS 1024  /* open HTTP connections at most (fewer when descriptors are short) */
#define SERVE_PEER_SPARE 64   /* a peer may hold every probe slot and this many connections more */
#define SERVE_N_STATUS 10     /* the HTTP status codes the exporter answers with */

struct server {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sig_term, sig_int;
    struct probe_engine *engine;
    struct probe_modules modules;  /* "default" (the command line) and --config's */
    unsigned max_concurrency;
    double timeout_s;
    size_t max_conns;              /* open connections at most (fit_limits) */
    size_t soft_conns;             /* above this, idle ones are closed for new ones */
    size_t peer_max;               /* connections from one peer, above which the same */
    uv_prepare_t ticker;           /* counts the loop's iterations, before each poll */
    uint64_t tick;
    struct probe_peers peers;      /* connections per client */
    struct conn *conns;            /* the registry, newest first */
    size_t n_conns;
    uint64_t next_id;
    uint64_t t_start;
    uint64_t abandoned;            /* results whose request had gone */
    uint64_t evicted;              /* idle connections closed to make room for a new one */
    uint64_t refused;              /* new connections closed at once: no room */
    uint64_t responses[SERVE_N_STATUS];
    bool stopping;
    char drain[4096];              /* bytes read after a request head, thrown away */
};

/* Accepts a connection on the listener (uv_listen's callback). */
void serve_on_connection(uv_stream_t *listener, int status);

/* The ticker's callback: one more iteration of the loop. */
void serve_on_tick(uv_prepare_t *h);

/* Stops listening and drops every connection (SIGTERM, SIGINT). */
void serve_stop(struct server *srv);

/* The engine's callback: answers the request that waits for r, if it is still there. */
void serve_on_result(const struct probe_result *r, void *arg);

#endif
