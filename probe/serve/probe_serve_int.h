/* probe/serve/probe_serve_int.h: what the exporter's two files share: the server and its
 * connections (probe_serve.c) and its command line and start-up (probe_serve_main.c). */
#ifndef PROBE_PROBE_SERVE_INT_H
#define PROBE_PROBE_SERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "probe/engine/probe_engine.h"
#include "probe/serve/probe_http.h"
#include "probe/serve/probe_modules.h"
#include "probe/serve/probe_peers.h"

#define SERVE_MAX_CONNS 1024  /* open HTTP connections at most (fewer when descriptors are short) */
#define SERVE_PEER_SPARE 64   /* a peer may hold every probe slot and this many connections more */
#define SERVE_N_STATUS 10     /* the HTTP status codes the exporter answers with */

/* Those codes, in the order struct server counts them (probe_serve.c). */
extern const int serve_status_codes[SERVE_N_STATUS];

/* The scraper's own timeout, which a probe keeps within (probe_module_apply). */
#define SERVE_SCRAPE_HEADER "X-Prometheus-Scrape-Timeout-Seconds"

struct server {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sig_term, sig_int, sig_hup;
    struct probe_engine *engine;
    struct probe_modules *modules; /* "default" (the command line) and --config's, owned */
    const char *config;            /* --config, read again on SIGHUP and POST /-/reload */
    bool reload_ok;                /* the last reading of it succeeded */
    double reload_time;            /* when (Unix time), the start-up's reading included */
    unsigned max_concurrency;
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

/* What a /probe request keeps while its probe runs: its parameters, and copies of its
 * module's settings (a reload may replace the modules meanwhile; the probe keeps its own). */
struct serve_request {
    char module[80];            /* the module parameter */
    bool named;                 /* given (else module "default") */
    bool debug;                 /* debug=true: the text report and the module too */
    double scrape_s;            /* X-Prometheus-Scrape-Timeout-Seconds, 0 when not given */
    struct probe_allow allow;   /* the module's allow list */
    struct probe_module_run run; /* the module's timeout, audit and policy */
};

/* Accepts a connection on the listener (uv_listen's callback). */
void serve_on_connection(uv_stream_t *listener, int status);

/* The ticker's callback: one more iteration of the loop. */
void serve_on_tick(uv_prepare_t *h);

/* Stops listening and drops every connection (SIGTERM, SIGINT). */
void serve_stop(struct server *srv);

/* The engine's callback: answers the request that waits for r, if it is still there. */
void serve_on_result(const struct probe_result *r, void *arg);

/* Reads --config again into new modules and puts them in place only when the whole file is
 * good; else the running ones stay and the reason goes to stderr. Returns 0, or -1 with the
 * reason in err. (probe_serve_main.c) */
int serve_reload(struct server *srv, char *err, size_t errlen);

/* probe_serve_metrics.c: the bodies. */

/* /metrics: the exporter's own metrics, tdsprobe_build_info among them. */
void serve_write_self_metrics(FILE *f, const struct server *srv);

/* /probe: r's exposition as --format prometheus writes it, then tdsprobe_policy_state under
 * the module's policy and tdsprobe_probe_duration_seconds (took_s, blackbox_exporter's
 * probe_duration_seconds). Returns 0, or -1 when memory runs out. */
int serve_write_probe(FILE *f, const struct probe_result *r, const struct serve_request *rq,
                      double took_s);

/* /probe with debug=true (as blackbox_exporter's debug output): the text report tdsprobe
 * prints for r, the metrics serve_write_probe would have returned, and the module's settings
 * as this probe used them. Returns 0, or -1 when memory runs out. */
int serve_write_debug(FILE *f, const struct probe_result *r, const struct serve_request *rq,
                      double took_s);

#endif
