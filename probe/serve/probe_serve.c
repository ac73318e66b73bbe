/* probe/serve/probe_serve.c: `tdsprobe serve`, the Prometheus exporter (probe/serve/probe_serve.h):
 * the server. Its command line and start-up are probe_serve_main.c.
 *
 * One uv loop, one engine shared by every request, one minimal HTTP/1.1 server: a request head
 * of at most PROBE_HTTP_HEAD_MAX bytes (parsed by probe_http.h), GET only (POST for /-/reload,
 * which reads the modules again as SIGHUP does), one request per connection (Connection:
 * close); the modules (--config) are probe_modules.h, the bodies probe_serve_metrics.c.
 * A /probe request copies its module's settings (a reload may replace the modules while it
 * waits), fits its probe within the scraper's X-Prometheus-Scrape-Timeout-Seconds
 * (probe_module_apply), queues its target on the engine and stays open until the result comes
 * back through the engine's callback; the callback finds the request again by an id (in t->user),
 * in the registry of open connections, so a scraper that went away in the meantime costs
 * nothing but a counter. A target outside the module's allow list (probe_allow.h) is refused
 * with 403 before anything is sent to it; a name the list does not allow by itself is resolved
 * here first (not by the engine), and every address it resolves to must be inside.
 *
 * Hostile clients: a request head must arrive within SERVE_HEAD_TIMEOUT_MS of the connect; one
 * peer (probe_peers.h) may hold peer_max connections and all together soft_conns; past either,
 * connections still waiting for their heads are closed to make room, the largest peer's oldest
 * first (one with a request in hand never is), so idle sockets cannot lock a scraper out
 * (make_room). */
#include "probe/serve/probe_serve.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "probe/drivers/probe_overrides.h"
#include "probe/output/probe_monitor.h"
#include "probe/output/probe_summary.h"
#include "probe/serve/probe_allow.h"
#include "probe/serve/probe_peers.h"
#include "probe/serve/probe_serve_int.h"

#define SERVE_HEAD_TIMEOUT_MS 3000   /* a request head: a scraper sends its own at once */
#define SERVE_WRITE_TIMEOUT_MS 10000 /* a client that never reads its answer */
#define SERVE_PROBE_MARGIN_MS 5000   /* past the probe's whole time: the engine should have
                                        answered (504 else) */
#define PROM_CTYPE "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_CTYPE "text/plain; charset=utf-8"

/* ---- the server --------------------------------------------------------------------------- */

enum conn_state {
    CONN_READING,  /* the request head (the only state in which a connection may be evicted) */
    CONN_CHECKING, /* the target's name being resolved against the allow list */
    CONN_PROBING,  /* the engine probing the target */
    CONN_WRITING,
    CONN_CLOSING,
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;        /* the deadline of the current state */
    uv_write_t wreq;
    uv_shutdown_t shut;
    uv_getaddrinfo_t gai;    /* CONN_CHECKING */
    struct server *srv;
    struct conn *prev, *next; /* the registry: every connection not yet closing */
    enum conn_state state;
    int open_handles;        /* handles and requests whose callbacks are still to come */
    struct probe_peer_key peer; /* the client (counted in srv->peers while peer_counted) */
    bool peer_counted;
    uint64_t tick;           /* the loop iteration it was accepted in */
    struct probe_target *target;   /* CONN_CHECKING: the target waiting for its check, owned */
    const struct probe_allow *allow; /* and the list it must pass (in req) */
    struct serve_request *req; /* a /probe request's module and parameters, owned */
    uint64_t probe_id;       /* the probe this request waits for (CONN_PROBING) */
    uint64_t t_probe;        /* uv_hrtime() when it was asked for */
    const char *allow_method; /* the one method its path takes (a 405's Allow) */
    size_t len;
    char *body;              /* the response body, owned */
    size_t body_len;
    char head[256];          /* the response head */
    char buf[PROBE_HTTP_HEAD_MAX]; /* the request head */
};

const int serve_status_codes[SERVE_N_STATUS] = { 200, 400, 403, 404, 405, 408, 413, 500,
                                                 503, 504 };
static const char *const status_texts[] = { "OK", "Bad Request", "Forbidden", "Not Found",
                                            "Method Not Allowed", "Request Timeout",
                                            "Content Too Large", "Internal Server Error",
                                            "Service Unavailable", "Gateway Timeout" };
#define N_STATUS SERVE_N_STATUS
_Static_assert(sizeof(status_texts) / sizeof(status_texts[0]) == N_STATUS,
               "every status needs a reason phrase");

static size_t status_index(int code)
{
    for (size_t i = 0; i < N_STATUS; i++) {
        if (serve_status_codes[i] == code) {
            return i;
        }
    }
    return status_index(500); /* only the codes above are ever sent */
}

/* One of the connection's handles or requests has called back for the last time. */
static void conn_release(struct conn *c)
{
    if (--c->open_handles == 0) {
        free(c->target);
        free(c->req);
        free(c->body);
        free(c);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    conn_release(h->data);
}

/* A probe nobody will read any more (its scrape went away, got its 504, or the exporter is
 * stopping) is cancelled, so its --max-concurrency slot is free at once; its result callback
 * never comes. Counted as abandoned. */
static void abandon_probe(struct conn *c)
{
    if (c->state != CONN_PROBING || c->probe_id == 0) {
        return;
    }
    if (probe_engine_cancel(c->srv->engine, (const void *)(uintptr_t)c->probe_id) > 0) {
        c->srv->abandoned++;
    }
    c->probe_id = 0;
}

static void conn_close(struct conn *c)
{
    struct server *srv = c->srv;

    if (c->state == CONN_CLOSING) {
        return;
    }
    abandon_probe(c);
    if (c->state == CONN_CHECKING) { /* a lookup not yet started is dropped (UV_EAI_CANCELED) */
        uv_cancel((uv_req_t *)&c->gai);
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
    if (c->peer_counted) {
        probe_peers_remove(&srv->peers, &c->peer);
    }
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
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s%s"
                      "Connection: close\r\n\r\n", code, status_texts[si], ctype, len,
                      code == 405 ? "Allow: " : "", code == 405 ? c->allow_method : "",
                      code == 405 ? "\r\n" : "");
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
    conn_respond(c, code, TEXT_CTYPE, body, len);
}

static void on_deadline(uv_timer_t *t)
{
    struct conn *c = t->data;

    if (c->state == CONN_READING) {
        respond_text(c, 408, "the request head did not arrive within %d s",
                     SERVE_HEAD_TIMEOUT_MS / 1000);
    } else if (c->state == CONN_PROBING || c->state == CONN_CHECKING) {
        abandon_probe(c);
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
    "<li><code>&amp;debug=true</code>: the probe's text report, its metrics and its module, "
    "as text</li>\n"
    "<li><a href=\"/metrics\">/metrics</a>: the exporter's own metrics</li>\n"
    "<li><code>POST /-/reload</code>: read <code>--config</code> again (as SIGHUP)</li>\n"
    "</ul>\n"
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

/* Finishes a memstream and sends it as a 200 of type ctype (500 when it could not be
 * written). body and len are the stream's own variables: fclose() is what sets them. */
static void respond_stream(struct conn *c, FILE *f, const char *ctype, char **body,
                           size_t *len)
{
    bool bad = ferror(f) != 0;

    if (fclose(f) != 0 || bad) {
        free(*body);
        respond_text(c, 500, "out of memory");
        return;
    }
    conn_respond(c, 200, ctype, *body, *len);
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
    serve_write_self_metrics(f, c->srv);
    respond_stream(c, f, PROM_CTYPE, &body, &len);
}

/* POST /-/reload: as SIGHUP (blackbox_exporter's endpoint of that name); 500 with the reason
 * when the file is bad and the running modules stay. */
static void serve_reload_request(struct conn *c)
{
    char err[800];

    if (serve_reload(c->srv, err, sizeof(err)) != 0) {
        respond_text(c, 500, "reload failed, the running modules stay: %s", err);
        return;
    }
    respond_text(c, 200, "reloaded");
}

/* ---- /probe ------------------------------------------------------------------------------- */

/* Hands c->target to the engine; the answer comes from serve_on_result (or on_deadline).
 * Returns 0, or an HTTP status with a sentence in err. */
static int probe_queue(struct conn *c, char *err, size_t errlen)
{
    struct server *srv = c->srv;
    char why[700];

    if (probe_engine_pending(srv->engine) >= srv->max_concurrency) {
        snprintf(err, errlen, "%u probes are in flight (--max-concurrency): try again later",
                 srv->max_concurrency);
        return 503;
    }
    c->target->user = (void *)(uintptr_t)++srv->next_id;
    /* Set before the call: a target that fails at once is answered inside it. */
    c->state = CONN_PROBING;
    c->probe_id = srv->next_id;
    int rc = probe_engine_add(srv->engine, c->target, why, sizeof(why));
    free(c->target);
    c->target = NULL;
    if (rc != 0) {
        c->probe_id = 0;
        snprintf(err, errlen, "cannot probe: %s", why);
        return 500;
    }
    return 0;
}

/* "--allow-targets" or "allow_targets of module 'odbc'": whose list refused a target. */
static const char *allow_owner(const struct conn *c, char *buf, size_t cap)
{
    const char *module = c->req->module;

    if (!c->req->named || strcmp(module, "default") == 0) {
        return "--allow-targets";
    }
    snprintf(buf, cap, "allow_targets of module '%s'", module);
    return buf;
}

/* The first address in ai outside c->allow, as text into bad; false when there is none. */
static bool address_outside(const struct conn *c, const struct addrinfo *ai, char *bad,
                            size_t cap)
{
    for (; ai; ai = ai->ai_next) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ai->ai_addr;
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ai->ai_addr;
        bool in = ai->ai_family == AF_INET
                      ? probe_allow_address(c->allow, 4, (const uint8_t *)&v4->sin_addr)
                  : ai->ai_family == AF_INET6
                      ? probe_allow_address(c->allow, 6, v6->sin6_addr.s6_addr)
                      : false;
        if (!in) {
            if (ai->ai_family == AF_INET) {
                uv_ip4_name(v4, bad, cap);
            } else if (ai->ai_family == AF_INET6) {
                uv_ip6_name(v6, bad, cap);
            } else {
                snprintf(bad, cap, "an address of family %d", ai->ai_family);
            }
            return true;
        }
    }
    return false;
}

/* The lookup of a name the allow list does not allow by itself: every address must be inside
 * its networks, else 403. */
static void on_checked(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
    struct conn *c = req->data;
    char err[1024], owner[120], bad[64];
    int code = 0;

    if (c->state == CONN_CHECKING) { /* else the client or the deadline came first */
        const char *host = c->target->host;
        if (status != 0 || ai == NULL) {
            snprintf(err, sizeof(err), "target host %s could not be resolved to check it "
                     "against %s: %s", host, allow_owner(c, owner, sizeof(owner)),
                     status ? uv_strerror(status) : "no address");
            code = 403;
        } else if (address_outside(c, ai, bad, sizeof(bad))) {
            snprintf(err, sizeof(err), "target host %s resolves to %s, outside %s", host, bad,
                     allow_owner(c, owner, sizeof(owner)));
            code = 403;
        } else {
            code = probe_queue(c, err, sizeof(err));
        }
        if (code != 0) {
            respond_text(c, code, "%s", err);
        }
    }
    uv_freeaddrinfo(ai);
    conn_release(c);
}

/* Resolves c->target's host for the allow list (with the engine's hints: the same addresses).
 * Returns 0, or an HTTP status with a sentence in err. */
static int check_start(struct conn *c, char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    char owner[120];

    c->gai.data = c;
    int rc = uv_getaddrinfo(&c->srv->loop, &c->gai, on_checked, c->target->host, NULL, &hints);
    if (rc != 0) {
        snprintf(err, errlen, "target host %s could not be resolved to check it against %s: %s",
                 c->target->host, allow_owner(c, owner, sizeof(owner)), uv_strerror(rc));
        return 403;
    }
    c->open_handles++;
    c->state = CONN_CHECKING;
    return 0;
}

/* Makes the target, checks it against the module's allow list and queues it (or starts the
 * lookup the check needs); the answer comes from serve_on_result, on_checked or on_deadline.
 * Returns 0, or an HTTP status with a sentence in err. */
static int probe_start(struct conn *c, const char *text, char *err, size_t errlen)
{
    const struct probe_modules *m = c->srv->modules;
    struct serve_request *rq = c->req;
    const char *module = rq->named ? rq->module : NULL;
    const struct probe_overrides *o = probe_modules_find(m, module);
    char why[700], owner[120];

    if (!o) {
        snprintf(err, errlen, "unknown module '%.64s'", module);
        return 400;
    }
    /* Copies: a reload (SIGHUP) may replace the modules while this request waits. */
    rq->allow = *probe_modules_allow(m, module);
    rq->run = *probe_modules_run(m, module);
    c->allow = &rq->allow;
    c->target = malloc(sizeof(*c->target));
    if (!c->target) {
        snprintf(err, errlen, "out of memory");
        return 500;
    }
    if (probe_make_target(o, text, PROBE_TARGET_NO_FILES, c->target, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad target: %s", why);
        return 400;
    }
    double whole_s = probe_module_apply(&rq->run, rq->scrape_s, c->target);
    c->t_probe = uv_hrtime();
    uv_timer_start(&c->timer, on_deadline,
                   (uint64_t)(whole_s * 1000.0) + SERVE_PROBE_MARGIN_MS, 0);
    switch (probe_allow_host(c->allow, c->target->host)) {
    case PROBE_ALLOW_YES:
        return probe_queue(c, err, errlen);
    case PROBE_ALLOW_RESOLVE:
        return check_start(c, err, errlen);
    default:
        snprintf(err, errlen, "target host %s is outside %s", c->target->host,
                 allow_owner(c, owner, sizeof(owner)));
        return 403;
    }
}

/* X-Prometheus-Scrape-Timeout-Seconds, as Prometheus writes it (decimal seconds, e.g. "9.5"),
 * into *out; absent is 0. Returns 0, or -1 with the reason in err. */
static int scrape_timeout(const struct probe_http_request *rq, double *out, char *err,
                          size_t errlen)
{
    char v[64];
    enum probe_http_param_rc rc = probe_http_header(rq, SERVE_SCRAPE_HEADER, v, sizeof(v));
    size_t digits = rc == PROBE_HTTP_PARAM_FOUND ? strspn(v, "0123456789") : 0;
    size_t frac = v[digits] == '.' ? strspn(v + digits + 1, "0123456789") : 0;

    *out = 0;
    if (rc == PROBE_HTTP_PARAM_ABSENT) {
        return 0;
    }
    if (rc != PROBE_HTTP_PARAM_FOUND) {
        snprintf(err, errlen, "the %s header %s", SERVE_SCRAPE_HEADER,
                 probe_http_param_problem(rc));
        return -1;
    }
    if (digits == 0 || digits > 9 || v[digits + (v[digits] == '.' ? 1 + frac : 0)] != '\0' ||
        (v[digits] == '.' && frac == 0)) {
        snprintf(err, errlen, "cannot parse the %s header: '%s' is not decimal seconds",
                 SERVE_SCRAPE_HEADER, v);
        return -1;
    }
    *out = strtod(v, NULL);
    return 0;
}

/* The request's parameters (target, module, debug) and header into c->req; returns 0, or an
 * HTTP status with a sentence in err. */
static int probe_request(struct conn *c, const struct probe_http_request *rq, char *text,
                         size_t cap, char *err, size_t errlen)
{
    struct serve_request *r = c->req;
    char debug[8];
    enum probe_http_param_rc rc = probe_http_param(rq, "target", text, cap);
    enum probe_http_param_rc mrc = probe_http_param(rq, "module", r->module, sizeof(r->module));
    enum probe_http_param_rc drc = probe_http_param(rq, "debug", debug, sizeof(debug));

    if (rc < 0 || mrc < 0 || drc < 0) {
        snprintf(err, errlen, "the %s parameter %s", rc < 0 ? "target" : mrc < 0 ? "module"
                 : "debug", probe_http_param_problem(rc < 0 ? rc : mrc < 0 ? mrc : drc));
        return 400;
    }
    if (rc == PROBE_HTTP_PARAM_ABSENT || text[0] == '\0') {
        snprintf(err, errlen, "missing target parameter: /probe?target=HOST[,PORT]");
        return 400;
    }
    r->named = mrc == PROBE_HTTP_PARAM_FOUND;
    r->debug = drc == PROBE_HTTP_PARAM_FOUND && strcmp(debug, "true") == 0;
    /* blackbox_exporter answers an unparsable header with 500 (prober/handler.go). */
    return scrape_timeout(rq, &r->scrape_s, err, errlen) == 0 ? 0 : 500;
}

static void serve_probe(struct conn *c, const struct probe_http_request *rq)
{
    char text[sizeof(((struct probe_target *)0)->text)];
    char err[1024];

    c->req = calloc(1, sizeof(*c->req));
    if (!c->req) {
        conn_close(c);
        return;
    }
    int code = probe_request(c, rq, text, sizeof(text), err, sizeof(err));
    if (code == 0) {
        code = probe_start(c, text, err, sizeof(err));
    }
    if (code != 0) {
        respond_text(c, code, "%s", err);
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

/* The engine's callback: the probe's exposition (serve_write_probe), or with debug=true its
 * text report as well (serve_write_debug). */
void serve_on_result(const struct probe_result *r, void *arg)
{
    struct server *srv = arg;
    struct conn *c = find_probe(srv, (uint64_t)(uintptr_t)r->target->user);

    if (!c) { /* cannot happen: a probe whose request was given up is cancelled */
        srv->abandoned++;
        return;
    }
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f) {
        respond_text(c, 500, "out of memory");
        return;
    }
    double took_s = (double)(uv_hrtime() - c->t_probe) / 1e9;
    int rc = c->req->debug ? serve_write_debug(f, r, c->req, took_s)
                           : serve_write_probe(f, r, c->req, took_s);
    if (rc != 0) {
        fclose(f);
        free(body);
        respond_text(c, 500, "out of memory");
        return;
    }
    respond_stream(c, f, c->req->debug ? TEXT_CTYPE : PROM_CTYPE, &body, &len);
}

/* A complete head (len > 0) or a malformed one (len < 0, rq says why). A well-formed request
 * line with another method is 405 whatever its headers are. */
static void conn_handle(struct conn *c, int len, const struct probe_http_request *rq)
{
    uv_timer_stop(&c->timer);
    c->allow_method = probe_http_path_is(rq, "/-/reload") ? "POST" : "GET";
    if (rq->method_len > 0 && !probe_http_method_is(rq, c->allow_method)) {
        respond_text(c, 405, "only %s is supported", c->allow_method);
    } else if (len < 0 && rq->status == 413) {
        respond_text(c, 413, "the request head is larger than %d bytes", PROBE_HTTP_HEAD_MAX);
    } else if (len < 0) {
        respond_text(c, rq->status, "malformed HTTP request");
    } else if (probe_http_path_is(rq, "/probe")) {
        serve_probe(c, rq);
    } else if (probe_http_path_is(rq, "/metrics")) {
        serve_metrics(c);
    } else if (probe_http_path_is(rq, "/-/reload")) {
        serve_reload_request(c);
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

/* The client closed its end or reset the connection: a request still waiting is given up (a
 * lookup for the allow list is cancelled, a probe is cancelled: conn_close). */
static void on_client_gone(struct conn *c)
{
    conn_close(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;

    (void)buf;
    if (nread < 0) {
        on_client_gone(c);
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

/* Counts c for its peer. Returns the peer's connections now, 0 when the table is full. */
static uint32_t count_peer(struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    bool known = uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0;

    probe_peer_key_of(known ? (struct sockaddr *)&ss : NULL, &c->peer);
    uint32_t n = probe_peers_add(&c->srv->peers, &c->peer);
    c->peer_counted = n > 0;
    return n;
}

/* A connection that may be closed to make room: one still waiting for its request head after
 * a whole poll of the loop in which it could have been read. The loop accepts a whole backlog
 * before it reads, and epoll hands back a listener that stays ready ahead of a socket whose
 * request came later, so a connection accepted in this iteration or the last may have its
 * request sitting unread: closing it would push a scraper out in the very batch it came in. */
static bool idle(const struct server *srv, const struct conn *c)
{
    return c->state == CONN_READING && srv->tick >= c->tick + 2;
}

/* The connection to close for room: an idle one of the peer holding the most connections (of
 * newc's peer when mine), the oldest of them; NULL when none is idle. Taking from the largest
 * peer first means a flood from a few addresses loses its own sockets, not a scraper's. */
static struct conn *victim(struct server *srv, const struct conn *newc, bool mine)
{
    struct conn *found = NULL;
    uint32_t most = 0;

    for (struct conn *o = srv->conns; o; o = o->next) { /* newest first: ties go to the older */
        if (!idle(srv, o) ||
            (mine && memcmp(&o->peer, &newc->peer, sizeof(o->peer)) != 0)) {
            continue;
        }
        uint32_t n = probe_peers_count(&srv->peers, &o->peer);
        if (n >= most) {
            most = n;
            found = o;
        }
    }
    return found;
}

static bool evict(struct server *srv, struct conn *victim)
{
    if (victim) {
        srv->evicted++;
        conn_close(victim);
    }
    return victim != NULL;
}

/* Room for the new connection c. Its peer may hold srv->peer_max connections: past that its
 * own oldest idle ones are closed. Everyone together is kept under soft_conns the same way,
 * taking from the largest peers, which leaves room for new connections (a scraper's among them)
 * to arrive and be read. A connection with a request in hand, or one not yet given a chance to
 * send it, is never closed for room: when that leaves more than max_conns open, c is refused
 * (returns false). */
static bool make_room(struct server *srv, struct conn *c)
{
    while (probe_peers_count(&srv->peers, &c->peer) > srv->peer_max &&
           evict(srv, victim(srv, c, true))) {
    }
    while (srv->n_conns > srv->soft_conns && evict(srv, victim(srv, c, false))) {
    }
    return srv->n_conns <= srv->max_conns;
}

void serve_on_tick(uv_prepare_t *h)
{
    struct server *srv = h->data;

    srv->tick++;
}

void serve_on_connection(uv_stream_t *ls, int status)
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
    /* Without room the connection is accepted and dropped: left pending in the backlog, it
     * would stop libuv from accepting anything else. */
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    c->tick = srv->tick;
    if (count_peer(c) == 0 || !make_room(srv, c)) {
        srv->refused++;
        conn_close(c);
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, on_deadline, SERVE_HEAD_TIMEOUT_MS, 0);
}

/* SIGTERM/SIGINT: stop listening and drop every connection; their probes are cancelled, and the
 * engine frees everything once the loop has run dry. */
void serve_stop(struct server *srv)
{
    if (srv->stopping) {
        return;
    }
    srv->stopping = true;
    uv_close((uv_handle_t *)&srv->listener, NULL);
    uv_close((uv_handle_t *)&srv->sig_term, NULL);
    uv_close((uv_handle_t *)&srv->sig_int, NULL);
    uv_close((uv_handle_t *)&srv->sig_hup, NULL);
    uv_close((uv_handle_t *)&srv->ticker, NULL);
    while (srv->conns) {
        conn_close(srv->conns);
    }
}
