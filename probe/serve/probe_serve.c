/* probe/serve/probe_serve.c: `tdsprobe serve`, the Prometheus exporter (probe/serve/probe_serve.h).
 *
 * One uv loop, one engine shared by every request, one minimal HTTP/1.1 server: a request head
 * of at most PROBE_HTTP_HEAD_MAX bytes (parsed by probe_http.h), GET only, one request per
 * connection (Connection: close); the modules (--config) are probe_modules.h.
 * A /probe request queues its target on the engine and stays open until the result comes back
 * through the engine's callback; the callback finds the request again by an id (in t->user),
 * in the registry of open connections, so a scraper that went away in the meantime costs
 * nothing but a counter. */
#include "probe/serve/probe_serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "probe/drivers/probe_options.h"
#include "probe/drivers/probe_overrides.h"
#include "probe/engine/probe_engine.h"
#include "probe/output/probe_monitor.h"
#include "probe/output/probe_summary.h"
#include "probe/serve/probe_http.h"
#include "probe/serve/probe_modules.h"

#define PROG "tdsprobe serve"
#define SERVE_MAX_CONNS 1024      /* open HTTP connections; more are closed at accept */
#define SERVE_READ_TIMEOUT_MS 10000  /* a whole request head, against idle or slow clients */
#define SERVE_WRITE_TIMEOUT_MS 10000 /* a client that never reads its answer */
#define SERVE_PROBE_MARGIN_MS 5000   /* past --timeout: the engine should have answered */
#define PROM_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- the server --------------------------------------------------------------------------- */

enum conn_state { CONN_READING, CONN_PROBING, CONN_WRITING, CONN_CLOSING };

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;        /* the deadline of the current state */
    uv_write_t wreq;
    uv_shutdown_t shut;
    struct server *srv;
    struct conn *prev, *next; /* the registry: every connection not yet closing */
    enum conn_state state;
    int open_handles;
    uint64_t probe_id;       /* the probe this request waits for (CONN_PROBING) */
    uint64_t t_probe;        /* uv_hrtime() when it was queued */
    size_t len;
    char *body;              /* the response body, owned */
    size_t body_len;
    char head[256];          /* the response head */
    char buf[PROBE_HTTP_HEAD_MAX]; /* the request head */
};

static const int status_codes[] = { 200, 400, 404, 405, 408, 413, 500, 503, 504 };
static const char *const status_texts[] = { "OK", "Bad Request", "Not Found",
                                            "Method Not Allowed", "Request Timeout",
                                            "Content Too Large", "Internal Server Error",
                                            "Service Unavailable", "Gateway Timeout" };
#define N_STATUS (sizeof(status_codes) / sizeof(status_codes[0]))
_Static_assert(sizeof(status_texts) / sizeof(status_texts[0]) == N_STATUS,
               "every status needs a reason phrase");

struct server {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sig_term, sig_int;
    struct probe_engine *engine;
    struct probe_modules modules;  /* "default" and --config's */
    unsigned max_concurrency;
    double timeout_s;
    struct conn *conns;
    size_t n_conns;
    uint64_t next_id;
    uint64_t t_start;
    uint64_t abandoned;            /* results whose request had gone */
    uint64_t responses[N_STATUS];
    bool stopping;
    char drain[4096];              /* bytes read after a request head, thrown away */
};

static size_t status_index(int code)
{
    for (size_t i = 0; i < N_STATUS; i++) {
        if (status_codes[i] == code) {
            return i;
        }
    }
    return 6; /* 500: only the codes above are ever sent */
}

static void on_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;

    if (--c->open_handles == 0) {
        free(c->body);
        free(c);
    }
}

static void conn_close(struct conn *c)
{
    struct server *srv = c->srv;

    if (c->state == CONN_CLOSING) {
        return;
    }
    c->state = CONN_CLOSING;
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        srv->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    srv->n_conns--;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close(req->data);
}

static void on_written(uv_write_t *req, int status)
{
    struct conn *c = req->data;

    /* Closing cancels a pending write: the callback then runs with UV_ECANCELED. */
    if (c->state != CONN_WRITING) {
        return;
    }
    c->shut.data = c;
    if (status < 0 || uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_close(c);
    }
}

static void on_deadline(uv_timer_t *t);

/* Sends the answer and closes. body is malloc'd (or NULL when len is 0) and now owned by c. */
static void conn_respond(struct conn *c, int code, const char *ctype, char *body, size_t len)
{
    size_t si = status_index(code);
    c->srv->responses[si]++;
    c->body = body;
    c->body_len = len;
    int hn = snprintf(c->head, sizeof(c->head),
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                      "Connection: close\r\n\r\n", code, status_texts[si], ctype, len,
                      code == 405 ? "Allow: GET\r\n" : "");
    uv_buf_t bufs[2] = { uv_buf_init(c->head, (unsigned)hn),
                         uv_buf_init(body, (unsigned)len) };
    c->state = CONN_WRITING;
    c->wreq.data = c;
    uv_timer_start(&c->timer, on_deadline, SERVE_WRITE_TIMEOUT_MS, 0);
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, bufs, len ? 2 : 1, on_written) != 0) {
        conn_close(c);
    }
}

__attribute__((format(printf, 3, 4))) static void respond_text(struct conn *c, int code,
                                                               const char *fmt, ...)
{
    size_t cap = 2048;
    char *body = malloc(cap);
    va_list ap;

    if (!body) {
        conn_close(c);
        return;
    }
    va_start(ap, fmt);
    int n = vsnprintf(body, cap - 1, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < cap - 1 ? (size_t)n : cap - 2;
    body[len++] = '\n';
    conn_respond(c, code, "text/plain; charset=utf-8", body, len);
}

static void on_deadline(uv_timer_t *t)
{
    struct conn *c = t->data;

    if (c->state == CONN_READING) {
        respond_text(c, 408, "the request head did not arrive within %d s",
                     SERVE_READ_TIMEOUT_MS / 1000);
    } else if (c->state == CONN_PROBING) {
        respond_text(c, 504, "the probe did not finish in time");
    } else {
        conn_close(c);
    }
}

/* ---- responses ---------------------------------------------------------------------------- */

static const char index_page[] =
    "<!DOCTYPE html>\n<html><head><title>tdsprobe exporter</title></head><body>\n"
    "<h1>tdsprobe exporter</h1>\n"
    "<p>Probes SQL Server's TLS (TLS inside TDS) as a client driver would, one target per "
    "scrape (the multi-target exporter pattern).</p>\n<ul>\n"
    "<li><code>/probe?target=db1.example.com,1433</code>: one target's metrics; the target "
    "may be host, host:port, host,port, host\\instance or a URL-encoded connection string; "
    "<code>&amp;module=NAME</code> picks a client profile from <code>--config</code></li>\n"
    "<li><a href=\"/metrics\">/metrics</a>: the exporter's own metrics</li>\n</ul>\n"
    "<p>Prometheus: <code>metrics_path: /probe</code>, relabel <code>__address__</code> to "
    "<code>__param_target</code> and <code>instance</code>, and <code>__address__</code> to "
    "this exporter (samples/monitoring/prometheus.yml).</p>\n</body></html>\n";

static void serve_index(struct conn *c)
{
    char *body = malloc(sizeof(index_page));

    if (!body) {
        conn_close(c);
        return;
    }
    memcpy(body, index_page, sizeof(index_page) - 1);
    conn_respond(c, 200, "text/html; charset=utf-8", body, sizeof(index_page) - 1);
}

static void write_self_metrics(FILE *f, const struct server *srv)
{
    fputs("# HELP tdsprobe_exporter_requests_total HTTP requests answered, by status code.\n"
          "# TYPE tdsprobe_exporter_requests_total counter\n", f);
    for (size_t i = 0; i < N_STATUS; i++) {
        fprintf(f, "tdsprobe_exporter_requests_total{code=\"%d\"} %llu\n", status_codes[i],
                (unsigned long long)srv->responses[i]);
    }
    fprintf(f, "# HELP tdsprobe_exporter_probes_in_flight Probes queued or running, including "
               "those whose scrape has gone.\n# TYPE tdsprobe_exporter_probes_in_flight gauge\n"
               "tdsprobe_exporter_probes_in_flight %zu\n", probe_engine_pending(srv->engine));
    fprintf(f, "# HELP tdsprobe_exporter_probes_abandoned_total Probe results that arrived "
               "after their scrape had gone.\n# TYPE tdsprobe_exporter_probes_abandoned_total "
               "counter\ntdsprobe_exporter_probes_abandoned_total %llu\n",
            (unsigned long long)srv->abandoned);
    fprintf(f, "# HELP tdsprobe_exporter_connections_open Open HTTP connections.\n"
               "# TYPE tdsprobe_exporter_connections_open gauge\n"
               "tdsprobe_exporter_connections_open %zu\n", srv->n_conns);
    fprintf(f, "# HELP tdsprobe_exporter_uptime_seconds Seconds since the exporter started.\n"
               "# TYPE tdsprobe_exporter_uptime_seconds gauge\n"
               "tdsprobe_exporter_uptime_seconds %.3f\n",
            (double)(uv_hrtime() - srv->t_start) / 1e9);
}

/* Finishes a memstream and sends it as a 200 exposition (500 when it could not be written).
 * body and len are the stream's own variables: fclose() is what sets them. */
static void respond_stream(struct conn *c, FILE *f, char **body, size_t *len)
{
    bool bad = ferror(f) != 0;

    if (fclose(f) != 0 || bad) {
        free(*body);
        respond_text(c, 500, "out of memory");
        return;
    }
    conn_respond(c, 200, PROM_CTYPE, *body, *len);
}

static void serve_metrics(struct conn *c)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);

    if (!f) {
        respond_text(c, 500, "out of memory");
        return;
    }
    write_self_metrics(f, c->srv);
    respond_stream(c, f, &body, &len);
}

/* ---- /probe ------------------------------------------------------------------------------- */

/* Queues the probe; the answer comes from on_result (or on_deadline). Returns 0, or an HTTP
 * status with a sentence in err. */
static int probe_start(struct conn *c, const char *text, const char *module, char *err,
                       size_t errlen)
{
    struct server *srv = c->srv;
    const struct probe_overrides *o = probe_modules_find(&srv->modules, module);
    struct probe_target *t;

    if (!o) {
        snprintf(err, errlen, "unknown module '%.64s'", module);
        return 400;
    }
    t = malloc(sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    int code = 0;
    char why[700];
    if (probe_make_target(o, text, PROBE_TARGET_NO_FILES, t, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad target: %s", why);
        code = 400;
    } else if (probe_engine_pending(srv->engine) >= srv->max_concurrency) {
        snprintf(err, errlen, "%u probes are in flight (--max-concurrency): try again later",
                 srv->max_concurrency);
        code = 503;
    }
    t->user = (void *)(uintptr_t)++srv->next_id;
    if (code == 0) {
        /* Set before the call: a target that fails at once is answered inside it. */
        c->state = CONN_PROBING;
        c->probe_id = srv->next_id;
        c->t_probe = uv_hrtime();
        uv_timer_start(&c->timer, on_deadline,
                       (uint64_t)(srv->timeout_s * 1000.0) + SERVE_PROBE_MARGIN_MS, 0);
        if (probe_engine_add(srv->engine, t, why, sizeof(why)) != 0) {
            c->probe_id = 0;
            snprintf(err, errlen, "cannot probe: %s", why);
            code = 500;
        }
    }
    free(t);
    return code;
}

static void serve_probe(struct conn *c, const struct probe_http_request *rq)
{
    char text[sizeof(((struct probe_target *)0)->text)];
    char module[80], err[1024];
    enum probe_http_param_rc rc = probe_http_param(rq, "target", text, sizeof(text));
    enum probe_http_param_rc mrc = rc < 0 ? PROBE_HTTP_PARAM_ABSENT
                                          : probe_http_param(rq, "module", module, sizeof(module));

    if (rc < 0) {
        respond_text(c, 400, "the target parameter %s", probe_http_param_problem(rc));
    } else if (rc == PROBE_HTTP_PARAM_ABSENT || text[0] == '\0') {
        respond_text(c, 400, "missing target parameter: /probe?target=HOST[,PORT]");
    } else if (mrc < 0) {
        respond_text(c, 400, "the module parameter %s", probe_http_param_problem(mrc));
    } else {
        int code = probe_start(c, text, mrc ? module : NULL, err, sizeof(err));
        if (code != 0) {
            respond_text(c, code, "%s", err);
        }
    }
}

static struct conn *find_probe(struct server *srv, uint64_t id)
{
    for (struct conn *c = srv->conns; c && id != 0; c = c->next) {
        if (c->state == CONN_PROBING && c->probe_id == id) {
            return c;
        }
    }
    return NULL;
}

/* The engine's callback: the exposition of one result, as --format prometheus writes it, plus
 * the probe's wall time (blackbox_exporter's probe_duration_seconds). */
static void on_result(const struct probe_result *r, void *arg)
{
    struct server *srv = arg;
    struct conn *c = find_probe(srv, (uint64_t)(uintptr_t)r->target->user);

    if (!c) {
        srv->abandoned++; /* the scraper disconnected, or we gave up on it (504) */
        return;
    }
    struct probe_summary *s = malloc(sizeof(*s));
    char *body = NULL;
    size_t len = 0;
    FILE *f = s ? open_memstream(&body, &len) : NULL;
    if (!f) {
        free(s);
        respond_text(c, 500, "out of memory");
        return;
    }
    probe_summary_from_result(s, r);
    probe_report_prometheus(f, s, 1);
    free(s);
    fprintf(f, "# HELP tdsprobe_probe_duration_seconds How long the probe took, from the "
               "scrape's request to its result.\n# TYPE tdsprobe_probe_duration_seconds gauge\n"
               "tdsprobe_probe_duration_seconds %.6f\n",
            (double)(uv_hrtime() - c->t_probe) / 1e9);
    respond_stream(c, f, &body, &len);
}

/* A complete head (len > 0) or a malformed one (len < 0, rq says why). A well-formed request
 * line with another method is 405 whatever its headers are. */
static void conn_handle(struct conn *c, int len, const struct probe_http_request *rq)
{
    uv_timer_stop(&c->timer);
    if (rq->method_len > 0 && !probe_http_method_is(rq, "GET")) {
        respond_text(c, 405, "only GET is supported");
    } else if (len < 0 && rq->status == 413) {
        respond_text(c, 413, "the request head is larger than %d bytes", PROBE_HTTP_HEAD_MAX);
    } else if (len < 0) {
        respond_text(c, rq->status, "malformed HTTP request");
    } else if (probe_http_path_is(rq, "/probe")) {
        serve_probe(c, rq);
    } else if (probe_http_path_is(rq, "/metrics")) {
        serve_metrics(c);
    } else if (probe_http_path_is(rq, "/")) {
        serve_index(c);
    } else {
        respond_text(c, 404, "not found: try /probe?target=HOST, /metrics or /");
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;

    (void)suggested;
    if (c->state == CONN_READING && c->len < sizeof(c->buf)) {
        *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
    } else { /* keep reading after the head: that is how a scraper's disconnect shows */
        *buf = uv_buf_init(c->srv->drain, sizeof(c->srv->drain));
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;

    (void)buf;
    if (nread < 0) {
        conn_close(c); /* EOF or reset: a probe still running is abandoned */
        return;
    }
    if (nread == 0 || c->state != CONN_READING) {
        return;
    }
    struct probe_http_request rq;
    size_t old = c->len;
    c->len += (size_t)nread;
    int len = probe_http_parse(c->buf, c->len, old, &rq);
    if (len != PROBE_HTTP_INCOMPLETE) {
        conn_handle(c, len, &rq);
    }
}

static void on_connection(uv_stream_t *ls, int status)
{
    struct server *srv = ls->data;
    struct conn *c = status < 0 ? NULL : calloc(1, sizeof(*c));

    if (!c) {
        return;
    }
    c->srv = srv;
    uv_tcp_init(&srv->loop, &c->tcp);
    uv_timer_init(&srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    srv->n_conns++;
    /* Over the cap the connection is accepted and dropped: left pending in the backlog, it
     * would stop libuv from accepting anything else. */
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0 || srv->n_conns > SERVE_MAX_CONNS ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_deadline, SERVE_READ_TIMEOUT_MS, 0);
}

/* SIGTERM/SIGINT: stop listening and drop every connection. Probes in flight run to their end
 * (at most --timeout): the engine has no cancel, and frees only after the loop ran dry. */
static void server_stop(struct server *srv)
{
    if (srv->stopping) {
        return;
    }
    srv->stopping = true;
    uv_close((uv_handle_t *)&srv->listener, NULL);
    uv_close((uv_handle_t *)&srv->sig_term, NULL);
    uv_close((uv_handle_t *)&srv->sig_int, NULL);
    while (srv->conns) {
        conn_close(srv->conns);
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    server_stop(h->data);
}

/* ---- options and main --------------------------------------------------------------------- */

/* tdsprobe serve --help: the client options are listed from probe_options[]. */
static const char usage_head[] =
    "Usage: tdsprobe serve [OPTIONS]\n"
    "\n"
    "A Prometheus exporter: each scrape of /probe?target=TARGET[&module=NAME] probes one SQL\n"
    "Server and answers with the metrics of tdsprobe --format prometheus. Let Prometheus do the\n"
    "scheduling (multi-target exporter pattern; samples/monitoring/prometheus.yml).\n"
    "\n"
    "  --listen ADDR:PORT             where to listen (default 127.0.0.1:9717; [v6addr]:PORT;\n"
    "                                 port 0 picks one); the address is printed on stdout\n"
    "  --config FILE                  modules: [module NAME] sections of 'key = value' lines; a\n"
    "                                 module starts from the command-line client options; keys:\n";

static const char usage_limits[] =
    "  --max-concurrency N            probes in flight at once; more scrapes get 503 (default 64)\n"
    "  --timeout SECONDS              deadline per probe (default 10); keep it below the\n"
    "                                 scrape_timeout\n";

static const char usage_tail[] =
    "                                 the client settings of module 'default', as in tdsprobe\n"
    "  -h, --help                     this help\n"
    "\n"
    "Targets come from scrapers: they may not name files on this host (a connection string's\n"
    "ServerCertificate=, trustStore=, certificate=). Stops on SIGTERM or SIGINT.\n";

static void print_usage(void)
{
    fputs(usage_head, stdout);
    probe_options_list(stdout, PROBE_SPELL_KEY, 33, 93);
    fputs(usage_limits, stdout);
    probe_options_list(stdout, PROBE_SPELL_OPTION, 2, 80);
    fputs(usage_tail, stdout);
}

enum { OPT_LISTEN = 256, OPT_CONFIG, OPT_MAXC, OPT_TIMEOUT };

/* The options of this front end; the client options come from probe_options[]. */
static const struct option serve_opts[] = {
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "max-concurrency", required_argument, NULL, OPT_MAXC },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

struct serve_args {
    struct server *srv;
    const char *listen;
    const char *config;
};

/* Every option but the client options (probe_overrides_getopt takes those). */
static int serve_option(void *arg, int id, const char *val)
{
    struct serve_args *a = arg;
    double n;
    int rc;

    switch (id) {
    case 'h':
        print_usage();
        exit(0);
    case OPT_LISTEN:
        a->listen = val;
        return 0;
    case OPT_CONFIG:
        a->config = val;
        return 0;
    case OPT_MAXC:
        rc = probe_option_number(PROG, "max-concurrency", val, &n);
        a->srv->max_concurrency = rc == 0 ? (unsigned)n : a->srv->max_concurrency;
        return rc;
    case OPT_TIMEOUT:
        return probe_option_timeout(PROG, val, &a->srv->timeout_s);
    default:
        return probe_usage_error(PROG, "%s", "unknown option");
    }
}

static int serve_parse_args(struct serve_args *a, int argc, char **argv)
{
    struct probe_modules *m = &a->srv->modules;
    char err[800];
    int rc = probe_overrides_getopt(&m->defaults, PROG, argc, argv, "h", serve_opts,
                                    serve_option, a);

    if (rc != 0) {
        return rc;
    }
    if (optind < argc) {
        return probe_usage_error(PROG, "unexpected argument '%s' (targets come from scrapers)",
                                 argv[optind]);
    }
    if (a->config && probe_modules_load(m, a->config, err, sizeof(err)) != 0) {
        return probe_usage_error(PROG, "%s", err);
    }
    return 0;
}

/* "127.0.0.1:9717", "[::1]:9717", ":9717" (every IPv4 address). */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
    const char *colon = strrchr(s, ':');
    char host[64];

    if (!colon || (size_t)(colon - s) >= sizeof(host)) {
        return -1;
    }
    double port;
    if (probe_number_parse(probe_number_by_name("listen"), colon + 1, &port) != 0) {
        return -1;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host[n - 1] = '\0';
        return uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss) ? -1 : 0;
    }
    return uv_ip4_addr(n ? host : "0.0.0.0", (int)port, (struct sockaddr_in *)ss) ? -1 : 0;
}

static void print_listening(uv_tcp_t *tcp)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char name[64] = "?";
    unsigned port = 0;

    uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len);
    if (ss.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&ss, name, sizeof(name));
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        printf("tdsprobe serve: listening on http://[%s]:%u/\n", name, port);
    } else {
        uv_ip4_name((struct sockaddr_in *)&ss, name, sizeof(name));
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        printf("tdsprobe serve: listening on http://%s:%u/\n", name, port);
    }
    fflush(stdout);
}

static int server_listen(struct server *srv, const char *addr)
{
    struct sockaddr_storage ss;
    int rc;

    memset(&ss, 0, sizeof(ss));
    if (parse_listen(addr, &ss) != 0) {
        char takes[128];
        return probe_usage_error(PROG, "--listen takes %s, not '%s'",
                                 probe_number_takes(probe_number_by_name("listen"), takes,
                                                    sizeof(takes)), addr);
    }
    uv_tcp_init(&srv->loop, &srv->listener);
    srv->listener.data = srv;
    rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection);
    }
    if (rc != 0) {
        fprintf(stderr, "tdsprobe serve: cannot listen on %s: %s\n", addr, uv_strerror(rc));
        uv_close((uv_handle_t *)&srv->listener, NULL);
        return PROBE_EXIT_SERVE_FAILED;
    }
    print_listening(&srv->listener);
    return 0;
}

static int server_run(struct server *srv, const char *addr)
{
    struct probe_engine_opts eo = { .concurrency = srv->max_concurrency,
                                    .timeout_s = srv->timeout_s,
                                    .on_result = on_result, .arg = srv };
    int rc;

    if (probe_engine_new(&srv->engine, &srv->loop, &eo) != 0) {
        fputs("tdsprobe serve: out of memory\n", stderr);
        return PROBE_EXIT_SERVE_FAILED;
    }
    rc = server_listen(srv, addr);
    if (rc == 0) {
        uv_signal_init(&srv->loop, &srv->sig_term);
        uv_signal_init(&srv->loop, &srv->sig_int);
        srv->sig_term.data = srv->sig_int.data = srv;
        uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
        uv_signal_start(&srv->sig_int, on_signal, SIGINT);
        srv->t_start = uv_hrtime();
    }
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    probe_engine_free(srv->engine);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    return rc;
}

int probe_serve_main(int argc, char **argv)
{
    struct server *srv = calloc(1, sizeof(*srv));
    struct serve_args a = { .srv = srv, .listen = "127.0.0.1:9717", .config = NULL };
    struct sigaction ign = { .sa_handler = SIG_IGN };
    int rc;

    if (!srv) {
        fputs("tdsprobe serve: out of memory\n", stderr);
        return PROBE_EXIT_SERVE_FAILED;
    }
    probe_overrides_init(&srv->modules.defaults);
    srv->max_concurrency = 64;
    srv->timeout_s = 10;
    rc = serve_parse_args(&a, argc, argv);
    if (rc == 0) {
        sigaction(SIGPIPE, &ign, NULL); /* a scraper gone mid-write is an error code, not death */
        /* getaddrinfo runs on libuv's thread pool: size it so resolution never starves. */
        setenv("UV_THREADPOOL_SIZE", "64", 0);
        uv_loop_init(&srv->loop);
        rc = server_run(srv, a.listen);
        if (uv_loop_close(&srv->loop) != 0) {
            fputs("tdsprobe serve: handles left open at exit\n", stderr);
            rc = PROBE_EXIT_SERVE_FAILED;
        }
    }
    free(srv);
    return rc;
}
