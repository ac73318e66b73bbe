/* probe/engine/probe_engine.c: the libuv side. Per target: resolve (every address, IPv4 and IPv6)
 * -> [SQL Server Browser, for a named instance without a port] -> connect (next address on
 * failure) -> probe_conn (PRELOGIN, TLS in TDS) -> [a follow-up handshake when the server
 * rejected ours, to rank the causes] -> [the TLS policy audit] -> verdict -> callback.
 * One deadline per target. Owns every socket, timer and buffer lifetime. */
#include "probe/engine/probe_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/diagnose/probe_diagnose.h"
#include "probe/diagnose/probe_judge.h"
#include "probe/drivers/probe_target.h"
#include "probe/engine/probe_audit_run.h"
#include "probe/engine/probe_browser.h"
#include "probe/engine/probe_conn.h"
#include "probe/engine/probe_neterr.h"
#include "probe/engine/probe_queue.h"
#include "tds/tds_packet.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

/* One read buffer for the whole engine: libuv hands it to one on_read at a time and every
 * byte is consumed (copied where kept) before on_read returns. */
#define READ_BUF 65536

/* What a job waits for. Every change goes through job_enter, which refuses a transition the
 * table below does not allow. */
enum job_state {
    JOB_QUEUED,         /* made from its queue entry, not started yet */
    JOB_RESOLVING,      /* getaddrinfo */
    JOB_ASKING_BROWSER, /* SQL Server Browser (SSRP): the named instance's port */
    JOB_CONNECTING,     /* the client's own connection: TCP connect, address by address */
    JOB_EXCHANGING,     /* the client's own connection: PRELOGIN and TLS (probe_conn) */
    JOB_FOLLOWUP,       /* the follow-up handshake, after the server rejected the client's */
    JOB_AUDITING,       /* the TLS policy audit (probe_audit_run): its steps' connections */
    JOB_DONE,           /* the result was delivered; handles are closing */
    JOB_STATE_COUNT
};

static const char *const job_state_names[] = {
    [JOB_QUEUED] = "queued",
    [JOB_RESOLVING] = "resolving",
    [JOB_ASKING_BROWSER] = "asking_browser",
    [JOB_CONNECTING] = "connecting",
    [JOB_EXCHANGING] = "exchanging",
    [JOB_FOLLOWUP] = "followup",
    [JOB_AUDITING] = "auditing",
    [JOB_DONE] = "done",
};
_Static_assert(sizeof(job_state_names) / sizeof(job_state_names[0]) == JOB_STATE_COUNT,
               "one name per job state");

#define FROM(s) (1u << (s))
/* The states each state may be entered from. */
static const unsigned job_entered_from[JOB_STATE_COUNT] = {
    [JOB_QUEUED] = 0,
    [JOB_RESOLVING] = FROM(JOB_QUEUED),
    [JOB_ASKING_BROWSER] = FROM(JOB_RESOLVING),
    [JOB_CONNECTING] = FROM(JOB_RESOLVING) | FROM(JOB_ASKING_BROWSER) | FROM(JOB_CONNECTING),
    [JOB_EXCHANGING] = FROM(JOB_CONNECTING),
    [JOB_FOLLOWUP] = FROM(JOB_EXCHANGING),
    [JOB_AUDITING] = FROM(JOB_EXCHANGING) | FROM(JOB_FOLLOWUP),
    [JOB_DONE] = (FROM(JOB_STATE_COUNT) - 1) & ~FROM(JOB_DONE),
};
#undef FROM

struct job;

/* One TCP connection carrying one probe_conn. At most one is open per job (job->cur); the
 * job's state says which connection it is. */
struct attempt {
    struct job *job;
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct probe_conn *conn; /* owned by the job */
    bool closing;
};

struct job {
    struct probe_engine *e;
    enum job_state state;
    struct probe_target t;
    struct probe_client *wide_client; /* the side connections' client, made on first use */
    const struct tls_config *cfg;
    const struct tls_config *wide;
    uv_getaddrinfo_t gai;
    struct addrinfo *ai;
    struct addrinfo *ai_cur;
    uv_timer_t timer;             /* the target's deadline */
    struct probe_browser *browser;
    struct attempt *cur;
    struct probe_conn *conn;      /* the client's own connection (res.tls points into it) */
    struct probe_conn *fconn;     /* the current side connection: follow-up or audit step */
    struct probe_facts res;
    struct probe_facts *fres;     /* facts of the current side connection */
    struct probe_audit_run *audit; /* while the audit runs (and until its timer closed) */
    uint64_t t_start, t_mark;
    int last_err;
    int open;                     /* handles and requests whose callbacks are still to come */
};

struct probe_engine {
    uv_loop_t *loop;
    struct probe_engine_opts o;
    struct probe_queue queue; /* targets not started yet */
    size_t in_flight;
    struct probe_result *scratch; /* the one full result, built when a probe ends */
    char rbuf[READ_BUF];
};

static void job_finish(struct job *j);
static void audit_begin(struct job *j);
static void engine_pump(struct probe_engine *e);

/* An event the job's state does not allow: a bug in this file, never the network's doing. */
static void job_bug(const struct job *j, const char *event)
{
    fprintf(stderr, "tdsprobe: engine bug: %s while %s (%s)\n", event,
            job_state_names[j->state], j->t.text);
    abort();
}

static void job_enter(struct job *j, enum job_state next)
{
    if (!(job_entered_from[next] & (1u << j->state)))
        job_bug(j, job_state_names[next]);
    j->state = next;
}

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
    if (j->state != JOB_DONE || j->open > 0)
        return;
    if (j->ai)
        uv_freeaddrinfo(j->ai);
    probe_conn_free(j->conn);
    probe_conn_free(j->fconn);
    free(j->fres);
    free(j->wide_client);
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
    j->open--;
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

static void attempt_connect(struct job *j, struct attempt *a, struct probe_conn *conn);

/* Strict: the drivers that speak TDS 8.0 strict negotiate TLS 1.3 when the server offers it,
 * so the client's own connection starts with the TLS 1.3 client (probe_conn_strict13.c). When
 * that handshake did not get a TLS 1.3 ServerHello (a TLS 1.2-only server refuses a TLS 1.3-only
 * ClientHello; a server without TDS 8.0 answers no ClientHello at all), the connection is made
 * once more the TLS 1.2 way (probe_conn_strict.c, PRELOGIN inside TLS), whose facts decide as
 * before: at most one extra connection, only in strict mode. */
static bool needs_tls12_retry(const struct job *j)
{
    const struct tls_info *ti = j->res.tls;

    return j->res.tds8 && probe_conn_ends_at_handshake(j->conn) &&
           !probe_conn_handshake_ok(j->conn) && !j->res.timed_out &&
           (ti == NULL || ti->version != TLS_V13);
}

static void own_connect(struct job *j, bool strict_tls13);

static void tls12_retry(struct job *j)
{
    /* what the first connection wrote goes: res.tls points into it */
    j->res.tls = NULL;
    j->res.strict_refused = false;
    j->res.server_reset = false;
    j->res.net = (struct probe_net_error){ .kind = PROBE_NET_NONE };
    tds_error_clear(&j->res.tds_err);
    j->res.scope = TDS_TLS_NONE;                         /* set again by the PRELOGIN reply */
    j->res.validates = false;
    own_connect(j, false);
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

/* A side connection's outcome is recorded: its connection (and TLS session) goes now, before
 * the audit frees the TLS config it used. */
static void side_free(struct job *j)
{
    probe_conn_free(j->fconn);
    j->fconn = NULL;
}

static void followup_done(struct job *j)
{
    record_followup(j);
    side_free(j);
    audit_begin(j);
}

static void audit_conn_done(struct job *j)
{
    probe_audit_run_record(j->audit, j->fres, j->fconn);
    side_free(j);
    probe_audit_run_next(j->audit);
}

/* Side connections (the follow-up, an audit step) run on a copy of the client offering
 * min..max and write into their own facts, so the verdict's facts stay as the client's own
 * handshake left them. An audit step's client asks for encryption, so the server runs TLS. */
static void side_start(struct job *j, const struct tls_config *cfg, int min, int max)
{
    struct attempt *a = calloc(1, sizeof(*a));
    bool audit = j->state == JOB_AUDITING;

    side_free(j);
    if (!j->fres)
        j->fres = malloc(sizeof(*j->fres));
    if (!j->wide_client)
        j->wide_client = malloc(sizeof(*j->wide_client));
    if (!a || !j->fres || !j->wide_client) {
        free(a);
        job_finish(j);
        return;
    }
    memset(j->fres, 0, sizeof(*j->fres));
    *j->wide_client = j->t.client;
    j->wide_client->tls_min = min;
    j->wide_client->tls_max = max;
    if (audit) {
        j->wide_client->encrypt = PROBE_ENCRYPT_MANDATORY;
        j->wide_client->encrypt_disable = false;
    }
    struct probe_conn_opts co = {
        .client = j->wide_client, .tls = cfg, .host = j->t.host, .instance = j->t.instance,
        .max_packet = TDS_DEFAULT_PACKET, .tls13_probe = audit && min == TLS_V13,
    };
    if (probe_conn_new(&j->fconn, &co, j->fres) != 0) {
        free(a);
        job_finish(j);
        return;
    }
    attempt_connect(j, a, j->fconn);
}

/* The current connection's probe_conn is done: what comes next depends on which one it was. */
static void attempt_done(struct attempt *a)
{
    struct job *j = a->job;

    attempt_close(a);
    switch (j->state) {
    case JOB_EXCHANGING:
        if (needs_tls12_retry(j)) {
            tls12_retry(j);
        } else if (needs_followup(j)) {
            job_enter(j, JOB_FOLLOWUP);
            side_start(j, j->wide, TLS_V10, TLS_V12);
        } else {
            audit_begin(j);
        }
        break;
    case JOB_FOLLOWUP:
        followup_done(j);
        break;
    case JOB_AUDITING:
        audit_conn_done(j);
        break;
    default:
        job_bug(j, "connection done");
    }
}

/* The client's own connection: where the probe stands (a timeout names the phase) and how long
 * each phase took. The phase is where the probe stopped: it reaches DONE only when nothing
 * failed. */
static void track_phase(struct job *j, const struct probe_conn *c)
{
    enum probe_conn_phase ph = probe_conn_phase(c);
    bool tls_ok = probe_conn_handshake_ok(c);

    if (j->res.tds8) { /* strict: TLS first, then PRELOGIN inside it (not over TLS 1.3) */
        bool ends = probe_conn_ends_at_handshake(c);
        if (j->res.phase == PROBE_PHASE_HANDSHAKE && ph != PROBE_CONN_HANDSHAKE)
            mark(j, &j->res.t_handshake, !tls_ok ? PROBE_PHASE_HANDSHAKE
                                         : ends  ? PROBE_PHASE_DONE
                                                 : PROBE_PHASE_PRELOGIN);
        if (tls_ok && !ends && ph == PROBE_CONN_DONE && j->res.t_prelogin < 0)
            mark(j, &j->res.t_prelogin,
                 j->res.got_prelogin ? PROBE_PHASE_DONE : PROBE_PHASE_PRELOGIN);
        return;
    }
    if (j->res.phase == PROBE_PHASE_PRELOGIN && ph != PROBE_CONN_PRELOGIN) {
        bool plain = ph == PROBE_CONN_DONE && j->res.got_prelogin && j->res.scope == TDS_TLS_NONE;
        mark(j, &j->res.t_prelogin, ph == PROBE_CONN_HANDSHAKE ? PROBE_PHASE_HANDSHAKE
                                    : plain                    ? PROBE_PHASE_DONE
                                                               : PROBE_PHASE_PRELOGIN);
    }
    if (j->res.phase == PROBE_PHASE_HANDSHAKE && ph == PROBE_CONN_DONE)
        mark(j, &j->res.t_handshake, tls_ok ? PROBE_PHASE_DONE : PROBE_PHASE_HANDSHAKE);
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
    bool own = j->state == JOB_EXCHANGING; /* the client's own connection, not a side one */

    if (nread == 0 || a->closing)
        return;
    if (nread < 0) {
        if (nread != UV_EOF && own)
            j->res.net = probe_net_error_from_uv((int)nread);
        probe_conn_closed(a->conn, nread != UV_EOF);
    } else {
        probe_conn_feed(a->conn, (const uint8_t *)buf->base, (size_t)nread);
        attempt_flush(a);
    }
    if (own)
        track_phase(j, a->conn);
    if (probe_conn_phase(a->conn) == PROBE_CONN_DONE)
        attempt_done(a);
}

static void connect_next(struct job *j);

static void connect_failed(struct job *j, struct attempt *a, int status)
{
    j->last_err = status;
    attempt_close(a);
    switch (j->state) {
    case JOB_CONNECTING:
        j->ai_cur = j->ai_cur->ai_next;
        connect_next(j);
        break;
    case JOB_EXCHANGING: /* the strict TLS 1.2 retry's connection */
        j->res.net = probe_net_error_from_uv(status);
        job_finish(j);
        break;
    case JOB_FOLLOWUP:
        job_finish(j);
        break;
    case JOB_AUDITING:
        audit_conn_done(j);
        break;
    default:
        job_bug(j, "connect failed");
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct attempt *a = req->data;
    struct job *j = a->job;

    if (a->closing)
        return;
    if (status < 0) {
        connect_failed(j, a, status);
        return;
    }
    if (j->state == JOB_CONNECTING) {
        uv_ip_name(j->ai_cur->ai_addr, j->res.address, sizeof(j->res.address));
        if (j->res.port == 0)
            j->res.port = probe_target_port(&j->t);
        mark(j, &j->res.t_connect, j->res.tds8 ? PROBE_PHASE_HANDSHAKE : PROBE_PHASE_PRELOGIN);
        job_enter(j, JOB_EXCHANGING);
    }
    probe_conn_start(a->conn);
    attempt_flush(a);
    uv_read_start((uv_stream_t *)&a->tcp, on_alloc, on_read);
}

/* Connects a (fresh from calloc) to the current address, carrying conn. */
static void attempt_connect(struct job *j, struct attempt *a, struct probe_conn *conn)
{
    struct sockaddr_storage dest;
    uint16_t port = htons(j->res.port ? j->res.port : probe_target_port(&j->t));

    a->job = j;
    a->conn = conn;
    a->tcp.data = a;
    a->creq.data = a;
    uv_tcp_init(j->e->loop, &a->tcp);
    j->open++;
    j->cur = a;
    uv_tcp_nodelay(&a->tcp, 1);
    memcpy(&dest, j->ai_cur->ai_addr, j->ai_cur->ai_addrlen);
    if (dest.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&dest)->sin6_port = port;
    else
        ((struct sockaddr_in *)&dest)->sin_port = port;
    int rc = uv_tcp_connect(&a->creq, &a->tcp, (const struct sockaddr *)&dest, on_connect);
    if (rc != 0)
        on_connect(&a->creq, rc);
}

/* The client's own connection to the next address, or the end when none is left. */
static void connect_next(struct job *j)
{
    if (!j->ai_cur) {
        j->res.net = probe_net_error_from_uv(j->last_err);
        job_finish(j);
        return;
    }
    job_enter(j, JOB_CONNECTING);
    /* The address being tried: a refused or timed-out target still says which one. */
    uv_ip_name(j->ai_cur->ai_addr, j->res.address, sizeof(j->res.address));
    own_connect(j, j->res.tds8);
}

/* The client's own connection (a fresh probe_conn in place of the last one) to the current
 * address; strict_tls13: strict over the TLS 1.3 client (see needs_tls12_retry). */
static void own_connect(struct job *j, bool strict_tls13)
{
    struct attempt *a = calloc(1, sizeof(*a));
    struct probe_conn_opts co = {
        .client = &j->t.client, .tls = j->cfg, .host = j->t.host, .instance = j->t.instance,
        .max_packet = TDS_DEFAULT_PACKET, .strict_tls13 = strict_tls13,
    };

    if (!a) {
        job_finish(j);
        return;
    }
    probe_conn_free(j->conn);
    j->conn = NULL;
    if (probe_conn_new(&j->conn, &co, &j->res) != 0) {
        free(a);
        job_finish(j);
        return;
    }
    attempt_connect(j, a, j->conn);
}

/* ---- SQL Server Browser: host\instance without a port ---- */

static void on_browser(void *arg, int status, uint16_t port, const struct tds_error *err)
{
    struct job *j = arg;

    j->browser = NULL;
    if (j->state != JOB_ASKING_BROWSER)
        job_bug(j, "browser answer");
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
    job_enter(j, JOB_ASKING_BROWSER);
    int rc = probe_browser_start(&j->browser, e->loop, j->ai_cur->ai_addr,
                                 e->o.browser_port ? e->o.browser_port : 1434, j->t.instance,
                                 try_ms, 2, on_browser, j);
    if (rc < 0) {
        j->browser = NULL;
        j->res.net = probe_net_error_from_uv(rc);
        job_finish(j);
    } else if (j->state != JOB_ASKING_BROWSER) {
        j->browser = NULL; /* it already called back */
    }
}

/* ---- resolve, deadline ---- */

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
    struct job *j = req->data;

    j->open--;
    if (j->state == JOB_DONE) { /* finished (deadline) while resolving */
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

    switch (j->state) {
    case JOB_CONNECTING:
    case JOB_EXCHANGING:
        if (j->conn)
            probe_conn_abort(j->conn); /* records how far the handshake got */
        /* fall through */
    case JOB_RESOLVING:
    case JOB_ASKING_BROWSER:
    case JOB_FOLLOWUP:
        j->res.timed_out = true;
        job_finish(j);
        break;
    default: /* the audit stops this timer: each of its steps has a deadline of its own */
        job_bug(j, "deadline");
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    struct job *j = h->data;

    j->open--;
    job_maybe_free(j);
}

/* ---- the TLS policy audit (probe_audit_run.h), after the verdict ---- */

static void audit_connect(void *arg, int version, const struct tls_config *tls)
{
    side_start(arg, tls, version, version);
}

static void audit_expired(void *arg)
{
    struct job *j = arg;

    if (j->cur) {
        j->fres->timed_out = true;
        probe_conn_abort(j->fconn);
        attempt_close(j->cur);
    }
    audit_conn_done(j);
}

static void audit_over(void *arg)
{
    job_finish(arg);
}

static void audit_closed(void *arg)
{
    struct job *j = arg;

    j->audit = NULL;
    j->open--;
    job_maybe_free(j);
}

/* Audits only a server that answered PRELOGIN (so TLS can be reached). */
static void audit_begin(struct job *j)
{
    const struct probe_engine_opts *o = &j->e->o;
    struct probe_audit_run_opts ro = {
        .protocols = o->audit_protocols, .ciphers = o->audit_ciphers,
        .max_connections = o->audit_max_connections, .pause_ms = o->audit_pause_ms,
        .timeout_s = o->timeout_s,
    };
    struct probe_audit_hooks h = { audit_connect, audit_expired, audit_over, audit_closed, j };

    if (!(o->audit_protocols || o->audit_ciphers) || !j->res.got_prelogin || j->res.timed_out ||
        probe_audit_run_new(&j->audit, j->e->loop, &ro, &h) != 0) {
        job_finish(j);
        return;
    }
    j->open++;
    job_enter(j, JOB_AUDITING);
    uv_timer_stop(&j->timer);
    j->res.audit = probe_audit_run_results(j->audit);
    probe_audit_run_next(j->audit);
}

/* ---- finish, start ---- */

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
    enum job_state was = j->state;

    if (was == JOB_DONE)
        return;
    job_enter(j, JOB_DONE);
    j->res.t_total = ms_since(j->t_start);
    deliver(j);
    if (j->cur)
        attempt_close(j->cur);
    if (was == JOB_RESOLVING)
        uv_cancel((uv_req_t *)&j->gai);
    if (j->browser) {
        probe_browser_cancel(j->browser);
        j->browser = NULL;
    }
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
    if (j->audit)
        probe_audit_run_close(j->audit);
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
    j->open++;
    uv_timer_start(&j->timer, on_deadline, (uint64_t)(e->o.timeout_s * 1000.0), 0);
    snprintf(port, sizeof(port), "%u", (unsigned)probe_target_port(&j->t));
    j->gai.data = j;
    job_enter(j, JOB_RESOLVING);
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
        job_finish(j);
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
        j->state = JOB_QUEUED;
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
    probe_queued_clear(q);
    return j;
}

static void engine_pump(struct probe_engine *e)
{
    struct probe_queued *q;

    while (e->in_flight < e->o.concurrency && (q = probe_queue_pop(&e->queue)) != NULL) {
        struct job *j = job_make(e, q);
        if (j)
            job_start(j);
    }
}

int probe_engine_add(struct probe_engine *e, const struct probe_target *t, char *err,
                     size_t errlen)
{
    if (probe_queue_add(&e->queue, t, err, errlen) != 0)
        return -1;
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
    return probe_queue_waiting(&e->queue) + e->in_flight;
}

void probe_engine_free(struct probe_engine *e)
{
    if (!e)
        return;
    probe_queue_free(&e->queue);
    free(e->scratch);
    free(e);
}
