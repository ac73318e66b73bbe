/* probe/engine/probe_engine.c: the libuv side. Per target: resolve (every address, IPv4 and IPv6) ->
 * connect (next address on failure) -> probe_conn (PRELOGIN, TLS in TDS) -> [a follow-up
 * handshake when the server rejected ours, to rank the causes] -> verdict -> callback.
 * One deadline per target. Owns every socket, timer and buffer lifetime. */
#include "probe/engine/probe_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/engine/probe_audit_plan.h"
#include "probe/engine/probe_browser.h"
#include "probe/engine/probe_conn.h"
#include "probe/engine/probe_neterr.h"
#include "probe/diagnose/probe_diagnose.h"
#include "probe/diagnose/probe_judge.h"
#include "probe/drivers/probe_target.h"
#include "probe/engine/probe_truststore.h"

/* One read buffer for the whole engine: libuv hands it to one on_read at a time and every
 * byte is consumed (copied where kept) before on_read returns. */
#define READ_BUF 65536

struct profile {
    struct profile *next;
    char ca[1024];
    bool alpn;      /* ALPN tds/8.0 (strict) */
    int min, max;
    enum tls_handshake_mode mode;
    struct tls_config *cfg;
};

struct job;

/* MAIN: the client's own handshake (the verdict). FOLLOWUP: after a rejected handshake, one
 * offering everything, to rank the causes. AUDIT: one --protocols/--ciphers step. */
enum attempt_kind { ATT_MAIN, ATT_FOLLOWUP, ATT_AUDIT };

struct attempt {
    struct job *job;
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct probe_conn *conn; /* owned by the job (res->tls points into it) */
    enum attempt_kind kind;  /* anything but ATT_MAIN is a side connection, not the verdict */
    bool closing;
};

struct job {
    struct probe_engine *e;
    struct probe_target t;
    struct probe_client *wide_client; /* only while a follow-up runs */
    const struct tls_config *cfg;
    const struct tls_config *wide;
    uv_getaddrinfo_t gai;
    struct addrinfo *ai;
    struct addrinfo *ai_cur;
    uv_timer_t timer;
    struct probe_browser *browser;
    bool browsing;
    struct attempt *cur;
    struct probe_conn *conn;
    struct probe_conn *fconn;
    struct probe_facts res;
    struct probe_facts *fres;     /* facts of the current side connection */
    struct probe_audit_plan *audit; /* --protocols / --ciphers, NULL when not asked */
    struct probe_audit_step step;
    struct tls_config *acfg;      /* the config of the current audit step */
    uv_timer_t pause;             /* --audit-pause between audit connections */
    bool in_audit;
    bool strict_tls_done;         /* strict: the TLS handshake finished, PRELOGIN is next */
    uint64_t t_start, t_mark;
    int last_err;
    bool resolving, finished;
    int open_handles;
};

/* A queued target. A fleet file may hold 10,000 targets, so a waiting one costs a few dozen
 * bytes plus its strings; the job (5 KB: the whole probe_target and the facts) is made only
 * when its probe starts. Most targets share one client profile, which is interned. */
struct qitem {
    char *text;   /* owned */
    char *host;   /* owned */
    uint16_t port;
    char instance[33];
    const struct probe_client *client; /* interned, owned by the engine */
    const struct tls_config *cfg, *wide;
    void *user;
};

struct client_node {
    struct client_node *next;
    uint64_t hash;
    struct probe_client c;
};

struct probe_engine {
    uv_loop_t *loop;
    struct probe_engine_opts o;
    struct profile *profiles;
    struct qitem *queue;  /* targets not started yet: small, see struct qitem */
    size_t q_len, q_cap, q_next;
    struct client_node *clients[64]; /* interned client profiles, by hash */
    size_t in_flight;
    struct probe_result *scratch; /* the one full result, built when a probe ends */
    char rbuf[READ_BUF];
};

static void job_finish(struct job *j);
static void attempt_start(struct job *j, enum attempt_kind kind);
static void audit_begin(struct job *j);
static void audit_step_done(struct job *j);
static void engine_pump(struct probe_engine *e);

static double ms_since(uint64_t then)
{
    return (double)(uv_hrtime() - then) / 1e6;
}

static void mark(struct job *j, double *slot, enum probe_phase next)
{
    *slot = ms_since(j->t_mark);
    j->t_mark = uv_hrtime();
    j->res.phase = next;
}

static void job_maybe_free(struct job *j)
{
    if (!j->finished || j->resolving || j->open_handles > 0)
        return;
    if (j->ai)
        uv_freeaddrinfo(j->ai);
    probe_conn_free(j->conn);
    probe_conn_free(j->fconn);
    free(j->fres);
    free(j->wide_client);
    free(j->audit);
    tls_config_free(j->acfg);
    free(j);
}

/* ---- writes ---- */

struct wreq {
    uv_write_t req;
    uint8_t data[];
};

static void on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write shows up on the read side as a reset */
    free(req);
}

static void attempt_flush(struct attempt *a)
{
    size_t n;
    const uint8_t *p = probe_conn_out(a->conn, &n);

    if (n == 0 || a->closing)
        return;
    struct wreq *w = malloc(sizeof(*w) + n);
    if (!w)
        return;
    memcpy(w->data, p, n);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&a->tcp, &b, 1, on_written) != 0)
        free(w);
    probe_conn_out_ack(a->conn, n);
}

/* ---- attempts (one TCP connection each) ---- */

static void on_attempt_closed(uv_handle_t *h)
{
    struct attempt *a = h->data;
    struct job *j = a->job;

    free(a);
    j->open_handles--;
    job_maybe_free(j);
}

static void attempt_close(struct attempt *a)
{
    if (a->closing)
        return;
    a->closing = true;
    if (a->job->cur == a)
        a->job->cur = NULL;
    uv_close((uv_handle_t *)&a->tcp, on_attempt_closed);
}

/* The server rejected what we offered (alert, close or reset right after the ClientHello):
 * one more handshake offering everything tells version/suite trouble from a server that
 * cannot complete any handshake. */
static bool needs_followup(const struct job *j)
{
    const struct tls_info *ti = j->res.tls;

    if (!ti || probe_conn_handshake_ok(j->conn) || ti->local_reject || j->res.timed_out ||
        j->res.tds8)
        return false; /* (strict: a rejected ClientHello means no TDS 8.0, not a TLS range) */
    if (!(ti->alert_received || ti->peer_closed || ti->peer_reset))
        return false;
    return ti->stage <= TLS_STAGE_SERVER_HELLO && j->wide != NULL;
}

static void record_followup(struct job *j)
{
    const struct tls_info *ti = j->fres->tls;

    j->res.followup_ran = true;
    j->res.followup_ok = probe_conn_handshake_ok(j->fconn);
    if (ti && j->res.followup_ok) {
        j->res.followup_version = ti->version;
        snprintf(j->res.followup_cipher, sizeof(j->res.followup_cipher), "%s", ti->cipher);
    }
}

static void attempt_done(struct attempt *a)
{
    struct job *j = a->job;

    attempt_close(a);
    if (j->finished)
        return;
    if (a->kind == ATT_AUDIT) {
        audit_step_done(j);
    } else if (a->kind == ATT_FOLLOWUP) {
        record_followup(j);
        audit_begin(j);
    } else if (needs_followup(j)) {
        attempt_start(j, ATT_FOLLOWUP);
    } else {
        audit_begin(j);
    }
}

static void track_phase(struct job *j, struct attempt *a)
{
    enum probe_conn_phase ph = probe_conn_phase(a->conn);

    if (a->kind != ATT_MAIN)
        return;
    if (j->res.tds8) { /* strict: TLS first, then PRELOGIN inside it */
        if (j->res.phase == PROBE_PHASE_HANDSHAKE && ph != PROBE_CONN_HANDSHAKE) {
            j->strict_tls_done = probe_conn_handshake_ok(a->conn);
            mark(j, &j->res.t_handshake,
                 j->strict_tls_done ? PROBE_PHASE_PRELOGIN : PROBE_PHASE_HANDSHAKE);
        }
        if (j->strict_tls_done && ph == PROBE_CONN_DONE && j->res.t_prelogin < 0)
            mark(j, &j->res.t_prelogin,
                 j->res.got_prelogin ? PROBE_PHASE_DONE : PROBE_PHASE_PRELOGIN);
        return;
    }
    /* The phase is where the probe stopped: it reaches DONE only when nothing failed. */
    if (j->res.phase == PROBE_PHASE_PRELOGIN && ph != PROBE_CONN_PRELOGIN) {
        bool plain = ph == PROBE_CONN_DONE && j->res.got_prelogin && j->res.scope == TDS_TLS_NONE;
        mark(j, &j->res.t_prelogin, ph == PROBE_CONN_HANDSHAKE ? PROBE_PHASE_HANDSHAKE
                                    : plain                    ? PROBE_PHASE_DONE
                                                               : PROBE_PHASE_PRELOGIN);
    }
    if (j->res.phase == PROBE_PHASE_HANDSHAKE && ph == PROBE_CONN_DONE)
        mark(j, &j->res.t_handshake,
             probe_conn_handshake_ok(a->conn) ? PROBE_PHASE_DONE : PROBE_PHASE_HANDSHAKE);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct attempt *a = h->data;

    (void)suggested;
    *buf = uv_buf_init(a->job->e->rbuf, sizeof(a->job->e->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct attempt *a = s->data;
    struct job *j = a->job;

    if (nread == 0 || a->closing)
        return;
    if (nread < 0) {
        if (nread != UV_EOF && a->kind == ATT_MAIN)
            j->res.net = probe_net_error_from_uv((int)nread);
        probe_conn_closed(a->conn, nread != UV_EOF);
    } else {
        probe_conn_feed(a->conn, (const uint8_t *)buf->base, (size_t)nread);
        attempt_flush(a);
    }
    track_phase(j, a);
    if (probe_conn_phase(a->conn) == PROBE_CONN_DONE)
        attempt_done(a);
}

static void connect_next(struct job *j);

static void on_connect(uv_connect_t *req, int status)
{
    struct attempt *a = req->data;
    struct job *j = a->job;

    if (a->closing || j->finished)
        return;
    if (status < 0) {
        j->last_err = status;
        attempt_close(a);
        if (a->kind == ATT_AUDIT) {
            audit_step_done(j);
            return;
        }
        if (a->kind != ATT_MAIN) {
            job_finish(j);
            return;
        }
        j->ai_cur = j->ai_cur->ai_next;
        connect_next(j);
        return;
    }
    if (a->kind == ATT_MAIN) {
        uv_ip_name(j->ai_cur->ai_addr, j->res.address, sizeof(j->res.address));
        if (j->res.port == 0)
            j->res.port = probe_target_port(&j->t);
        mark(j, &j->res.t_connect, j->res.tds8 ? PROBE_PHASE_HANDSHAKE : PROBE_PHASE_PRELOGIN);
    }
    probe_conn_start(a->conn);
    attempt_flush(a);
    uv_read_start((uv_stream_t *)&a->tcp, on_alloc, on_read);
}

/* Side connections use a copy of the client that asks for encryption (so the server runs TLS)
 * and offers the attempt's TLS range. */
static int side_client(struct job *j, enum attempt_kind kind)
{
    if (!j->fres)
        j->fres = malloc(sizeof(*j->fres));
    if (!j->wide_client)
        j->wide_client = malloc(sizeof(*j->wide_client));
    if (!j->fres || !j->wide_client)
        return -1;
    memset(j->fres, 0, sizeof(*j->fres));
    *j->wide_client = j->t.client;
    j->wide_client->tls_min = kind == ATT_AUDIT ? j->step.version : TLS_V10;
    j->wide_client->tls_max = kind == ATT_AUDIT ? j->step.version : TLS_V12;
    if (kind == ATT_AUDIT) {
        j->wide_client->encrypt = PROBE_ENCRYPT_MANDATORY;
        j->wide_client->encrypt_disable = false;
    }
    return 0;
}

static int make_conn(struct job *j, enum attempt_kind kind, struct probe_conn **out)
{
    struct probe_conn_opts co = {
        .client = &j->t.client,
        .tls = kind == ATT_MAIN ? j->cfg : kind == ATT_FOLLOWUP ? j->wide : j->acfg,
        .host = j->t.host,
        .instance = j->t.instance,
        .max_packet = 4096,
    };

    if (kind == ATT_MAIN)
        return probe_conn_new(out, &co, &j->res);
    co.tls13_probe = kind == ATT_AUDIT && j->step.version == TLS_V13;
    if (side_client(j, kind) != 0)
        return -1;
    co.client = j->wide_client;
    return probe_conn_new(out, &co, j->fres);
}

static void attempt_start(struct job *j, enum attempt_kind kind)
{
    struct attempt *a = calloc(1, sizeof(*a));
    struct probe_conn **slot = kind == ATT_MAIN ? &j->conn : &j->fconn; /* side: one at a time */

    if (!a) {
        job_finish(j);
        return;
    }
    probe_conn_free(*slot);
    *slot = NULL;
    if (make_conn(j, kind, slot) != 0) {
        free(a);
        job_finish(j);
        return;
    }
    a->job = j;
    a->conn = *slot;
    a->kind = kind;
    a->tcp.data = a;
    a->creq.data = a;
    uv_tcp_init(j->e->loop, &a->tcp);
    j->open_handles++;
    j->cur = a;
    uv_tcp_nodelay(&a->tcp, 1);
    struct sockaddr_storage dest;
    memcpy(&dest, j->ai_cur->ai_addr, j->ai_cur->ai_addrlen);
    uint16_t port = htons(j->res.port ? j->res.port : probe_target_port(&j->t));
    if (dest.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&dest)->sin6_port = port;
    else
        ((struct sockaddr_in *)&dest)->sin_port = port;
    int rc = uv_tcp_connect(&a->creq, &a->tcp, (const struct sockaddr *)&dest, on_connect);
    if (rc != 0)
        on_connect(&a->creq, rc);
}

static void connect_next(struct job *j)
{
    if (!j->ai_cur) {
        j->res.net = probe_net_error_from_uv(j->last_err);
        job_finish(j);
        return;
    }
    /* The address being tried: a refused or timed-out target still says which one. */
    uv_ip_name(j->ai_cur->ai_addr, j->res.address, sizeof(j->res.address));
    attempt_start(j, ATT_MAIN);
}

/* ---- resolve, deadline, finish ---- */

/* ---- SQL Server Browser: host\instance without a port ---- */

static void on_browser(void *arg, int status, uint16_t port, const struct tds_error *err)
{
    struct job *j = arg;

    j->browser = NULL;
    j->browsing = false;
    if (j->finished)
        return;
    if (status == 0) {
        j->res.port = port;
        mark(j, &j->res.t_browser, PROBE_PHASE_CONNECT);
        connect_next(j);
        return;
    }
    if (status == UV_EPROTO && err)
        j->res.tds_err = *err;
    else if (status != UV_ENOENT)
        j->res.net = probe_net_error_from_uv(status);
    job_finish(j);
}

static void browser_start(struct job *j)
{
    struct probe_engine *e = j->e;
    unsigned try_ms = (unsigned)(e->o.timeout_s * 1000.0 / 3.0);

    if (try_ms > 1000)
        try_ms = 1000; /* SqlClient waits about a second per SSRP try */
    j->browsing = true;
    int rc = probe_browser_start(&j->browser, e->loop, j->ai_cur->ai_addr,
                                 e->o.browser_port ? e->o.browser_port : 1434, j->t.instance,
                                 try_ms, 2, on_browser, j);
    if (rc < 0) {
        j->browsing = false;
        j->browser = NULL;
        j->res.net = probe_net_error_from_uv(rc);
        job_finish(j);
    } else if (!j->browsing) {
        j->browser = NULL; /* it already called back */
    }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
    struct job *j = req->data;

    j->resolving = false;
    if (j->finished) {
        if (ai)
            uv_freeaddrinfo(ai);
        job_maybe_free(j);
        return;
    }
    if (status < 0) {
        j->res.net = probe_net_error_from_uv(status);
        job_finish(j);
        return;
    }
    j->ai = ai;
    j->ai_cur = ai;
    if (j->t.instance[0] && j->t.port == 0) {
        mark(j, &j->res.t_resolve, PROBE_PHASE_BROWSER);
        browser_start(j);
        return;
    }
    mark(j, &j->res.t_resolve, PROBE_PHASE_CONNECT);
    connect_next(j);
}

static void on_deadline(uv_timer_t *t)
{
    struct job *j = t->data;

    if (j->in_audit) { /* one audit step ran out of time: note it, go on with the next */
        if (j->cur) {
            j->fres->timed_out = true;
            probe_conn_abort(j->fconn);
            attempt_close(j->cur);
        }
        audit_step_done(j);
        return;
    }
    j->res.timed_out = true;
    if (j->cur && j->cur->kind == ATT_MAIN && j->conn)
        probe_conn_abort(j->conn);
    if (j->cur && j->cur->kind != ATT_MAIN && j->fres)
        j->res.followup_ran = false;
    job_finish(j);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct job *j = h->data;

    j->open_handles--;
    job_maybe_free(j);
}

/* ---- the TLS policy audit: one connection per step, in sequence ---- */

static void audit_connect(uv_timer_t *t)
{
    struct job *j = t->data;
    char err[160];

    if (j->step.version == TLS_V13) { /* hand-built ClientHello: no mbedTLS config */
        uv_timer_start(&j->timer, on_deadline, (uint64_t)(j->e->o.timeout_s * 1000.0), 0);
        attempt_start(j, ATT_AUDIT);
        return;
    }
    struct tls_config_opts o = {
        .min_version = j->step.version, .max_version = j->step.version, .ca_file = NULL,
        .ciphersuites = j->step.suites, .mode = TLS_HANDSHAKE_HELLO,
    };

    tls_config_free(j->acfg);
    j->acfg = NULL;
    if (tls_config_new(&j->acfg, &o, err, sizeof(err)) != 0) {
        probe_audit_plan_record(j->audit, &j->step, NULL, false, false, false);
        audit_step_done(j);
        return;
    }
    uv_timer_start(&j->timer, on_deadline, (uint64_t)(j->e->o.timeout_s * 1000.0), 0);
    attempt_start(j, ATT_AUDIT);
}

/* Plans the next step and starts it (after the pause, if any), or ends the probe. */
static void audit_next(struct job *j)
{
    if (j->finished)
        return;
    if (!probe_audit_plan_next(j->audit, &j->step)) {
        j->in_audit = false;
        job_finish(j);
        return;
    }
    if (j->e->o.audit_pause_ms)
        uv_timer_start(&j->pause, audit_connect, j->e->o.audit_pause_ms, 0);
    else
        audit_connect(&j->pause);
}

/* After the verdict: audit only a server that answered PRELOGIN (so TLS can be reached). */
static void audit_begin(struct job *j)
{
    if (!j->audit || !j->res.got_prelogin || j->res.timed_out) {
        job_finish(j);
        return;
    }
    j->in_audit = true;
    j->res.audit = &j->audit->audit;
    audit_next(j);
}

static void audit_step_done(struct job *j)
{
    const struct probe_facts *f = j->fres;

    if (j->finished)
        return;
    uv_timer_stop(&j->timer);
    if (j->step.version == TLS_V13) {
        const struct tls13_probe_result *r = j->fconn ? probe_conn_tls13(j->fconn) : NULL;
        probe_audit_plan_record_tls13(j->audit, r, f && !f->timed_out, f && f->server_reset,
                                 f && f->timed_out);
    } else if (f && j->fconn) {
        probe_audit_plan_record(j->audit, &j->step, f->tls, probe_conn_handshake_ok(j->fconn),
                           f->timed_out, f->server_reset || f->net.kind == PROBE_NET_RESET);
    } else {
        probe_audit_plan_record(j->audit, &j->step, NULL, false, false, false);
    }
    audit_next(j);
}

/* Builds the full result from the facts in the engine's one scratch result, judges the chain,
 * diagnoses, and hands it to the front end. */
static void deliver(struct job *j)
{
    struct probe_result *r = j->e->scratch;

    memset(r, 0, sizeof(*r));
    r->target = &j->t;
    r->facts = j->res;
    if (j->conn) {
        struct probe_judge_input in = {
            .client = &j->t.client, .host = j->t.host, .tls = r->facts.tls,
            .validates = r->facts.validates, .now = time(NULL),
        };
        probe_judge(&in, &r->verdict);
    }
    probe_diagnose(r);
    j->e->o.on_result(r, j->e->o.arg);
}

static void job_finish(struct job *j)
{
    struct probe_engine *e = j->e;

    if (j->finished)
        return;
    j->finished = true;
    j->res.t_total = ms_since(j->t_start);
    deliver(j);
    if (j->cur)
        attempt_close(j->cur);
    if (j->resolving)
        uv_cancel((uv_req_t *)&j->gai);
    if (j->browser) {
        probe_browser_cancel(j->browser);
        j->browser = NULL;
    }
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
    if (j->audit)
        uv_close((uv_handle_t *)&j->pause, on_timer_closed);
    e->in_flight--;
    engine_pump(e);
}

static void job_start(struct job *j)
{
    struct probe_engine *e = j->e;
    char port[8];
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };

    e->in_flight++;
    j->t_start = j->t_mark = uv_hrtime();
    uv_timer_init(e->loop, &j->timer);
    j->timer.data = j;
    j->open_handles++;
    uv_timer_start(&j->timer, on_deadline, (uint64_t)(e->o.timeout_s * 1000.0), 0);
    if (e->o.audit_protocols || e->o.audit_ciphers) {
        j->audit = malloc(sizeof(*j->audit));
        if (j->audit) {
            probe_audit_plan_init(j->audit, e->o.audit_protocols, e->o.audit_ciphers,
                             e->o.audit_max_connections);
            probe_audit_plan_enable_tls13(j->audit);
            uv_timer_init(e->loop, &j->pause);
            j->pause.data = j;
            j->open_handles++;
        }
    }
    snprintf(port, sizeof(port), "%u", (unsigned)probe_target_port(&j->t));
    j->gai.data = j;
    j->resolving = true;
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
        j->resolving = false;
        j->res.net = probe_net_error_from_uv(rc);
        job_finish(j);
    }
}

static void qitem_clear(struct qitem *q)
{
    free(q->text);
    free(q->host);
    q->text = q->host = NULL;
}

/* The job for a queued target, when its probe starts. NULL only when memory runs out: the
 * target then gets no result, which the caller's count of results shows. */
static struct job *job_make(struct probe_engine *e, struct qitem *q)
{
    struct job *j = calloc(1, sizeof(*j));

    if (j) {
        j->e = e;
        snprintf(j->t.text, sizeof(j->t.text), "%s", q->text);
        snprintf(j->t.host, sizeof(j->t.host), "%s", q->host);
        j->t.port = q->port;
        memcpy(j->t.instance, q->instance, sizeof(j->t.instance));
        j->t.client = *q->client;
        j->t.user = q->user;
        j->cfg = q->cfg;
        j->wide = q->wide;
        j->res.tds8 = q->client->encrypt == PROBE_ENCRYPT_STRICT;
        j->res.t_resolve = j->res.t_browser = j->res.t_connect = -1;
        j->res.t_prelogin = j->res.t_handshake = -1;
        j->res.phase = PROBE_PHASE_RESOLVE;
    }
    qitem_clear(q);
    return j;
}

static void engine_pump(struct probe_engine *e)
{
    while (e->in_flight < e->o.concurrency && e->q_next < e->q_len) {
        struct job *j = job_make(e, &e->queue[e->q_next++]);
        if (j)
            job_start(j);
    }
    if (e->q_next == e->q_len) /* a long-running exporter must not grow the queue forever */
        e->q_next = e->q_len = 0;
}

/* ---- profiles: one TLS config per distinct (trust store, versions, mode) ---- */

static const struct tls_config *profile_get(struct probe_engine *e, const char *ca, bool alpn,
                                            int min, int max, enum tls_handshake_mode mode,
                                            char *err, size_t errlen)
{
    struct profile *p;

    for (p = e->profiles; p; p = p->next) {
        if (strcmp(p->ca, ca ? ca : "") == 0 && p->alpn == alpn && p->min == min &&
            p->max == max && p->mode == mode)
            return p->cfg;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct tls_config_opts o = { .min_version = min, .max_version = max, .ca_file = ca,
                                 .alpn = alpn ? "tds/8.0" : NULL, .mode = mode,
                                 .app_data = alpn /* strict: PRELOGIN travels inside TLS */ };
    if (tls_config_new(&p->cfg, &o, err, errlen) != 0) {
        free(p);
        return NULL;
    }
    snprintf(p->ca, sizeof(p->ca), "%s", ca ? ca : "");
    p->alpn = alpn;
    p->min = min;
    p->max = max;
    p->mode = mode;
    p->next = e->profiles;
    e->profiles = p;
    return p->cfg;
}

/* One shared copy per distinct client profile (callers zero their targets, so equal profiles
 * are equal bytes). */
static const struct probe_client *client_intern(struct probe_engine *e,
                                                const struct probe_client *c)
{
    const unsigned char *b = (const unsigned char *)c;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t nb = sizeof(e->clients) / sizeof(e->clients[0]);

    for (size_t i = 0; i < sizeof(*c); i++)
        h = (h ^ b[i]) * 1099511628211ull;
    for (struct client_node *n = e->clients[h % nb]; n; n = n->next) {
        if (n->hash == h && memcmp(&n->c, c, sizeof(*c)) == 0)
            return &n->c;
    }
    struct client_node *n = malloc(sizeof(*n));
    if (!n)
        return NULL;
    n->hash = h;
    n->c = *c;
    n->next = e->clients[h % nb];
    e->clients[h % nb] = n;
    return &n->c;
}

static int queue_push(struct probe_engine *e, const struct qitem *item)
{
    if (e->q_len == e->q_cap) {
        size_t cap = e->q_cap ? e->q_cap * 2 : 64;
        struct qitem *q = realloc(e->queue, cap * sizeof(*q));
        if (!q)
            return -1;
        e->queue = q;
        e->q_cap = cap;
    }
    e->queue[e->q_len++] = *item;
    return 0;
}

int probe_engine_add(struct probe_engine *e, const struct probe_target *t, char *err,
                     size_t errlen)
{
    const struct probe_client *c = &t->client;
    const char *ca = c->ca_file[0] ? c->ca_file : probe_truststore_find();
    bool strict = c->encrypt == PROBE_ENCRYPT_STRICT;
    struct qitem q = { .port = t->port, .user = t->user };

    /* mbedTLS 2.28 speaks TLS 1.2 at most, also in strict mode (TLS 1.3: --protocols). Configs
     * are made here, not at start, so a bad CA file is a usage error before any probe runs. */
    q.cfg = profile_get(e, ca, strict, c->tls_min, c->tls_max > TLS_V12 ? TLS_V12 : c->tls_max,
                        c->handshake, err, errlen);
    q.wide = q.cfg ? profile_get(e, ca, false, TLS_V10, TLS_V12, TLS_HANDSHAKE_CERTIFICATE, err,
                                 errlen) : NULL;
    if (!q.cfg || !q.wide)
        return -1;
    memcpy(q.instance, t->instance, sizeof(q.instance));
    q.client = client_intern(e, c);
    q.text = strdup(t->text);
    q.host = strdup(t->host);
    if (!q.client || !q.text || !q.host || queue_push(e, &q) != 0) {
        qitem_clear(&q);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    engine_pump(e);
    return 0;
}

int probe_engine_new(struct probe_engine **out, uv_loop_t *loop,
                     const struct probe_engine_opts *o)
{
    struct probe_engine *e = calloc(1, sizeof(*e));

    if (!e)
        return -1;
    e->loop = loop;
    e->o = *o;
    e->scratch = calloc(1, sizeof(*e->scratch));
    if (!e->scratch) {
        free(e);
        return -1;
    }
    if (e->o.concurrency == 0)
        e->o.concurrency = 256;
    if (e->o.timeout_s <= 0)
        e->o.timeout_s = 10;
    *out = e;
    return 0;
}

size_t probe_engine_pending(const struct probe_engine *e)
{
    return (e->q_len - e->q_next) + e->in_flight;
}

void probe_engine_free(struct probe_engine *e)
{
    if (!e)
        return;
    while (e->profiles) {
        struct profile *p = e->profiles;
        e->profiles = p->next;
        tls_config_free(p->cfg);
        free(p);
    }
    for (size_t i = e->q_next; i < e->q_len; i++)
        qitem_clear(&e->queue[i]);
    free(e->queue);
    for (size_t i = 0; i < sizeof(e->clients) / sizeof(e->clients[0]); i++) {
        while (e->clients[i]) {
            struct client_node *n = e->clients[i];
            e->clients[i] = n->next;
            free(n);
        }
    }
    free(e->scratch);
    free(e);
}
