/* probe/engine/probe_engine_conn.c: a job's TCP connections. The client's own connection
 * (address by address; in strict mode over the TLS 1.3 client first, then one TLS 1.2 retry when
 * the server answered no TLS 1.3 ServerHello), the follow-up handshake that ranks the causes of a
 * rejection, and the audit's step connections: connect, read into probe_conn, write what it
 * queues, close. */
#include "probe/engine/probe_engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "probe/drivers/probe_client.h"
#include "probe/engine/probe_audit_run.h"
#include "probe/engine/probe_conn.h"
#include "probe/engine/probe_neterr.h"
#include "tds/tds_packet.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

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

/* Writes what the connection queued. uv_try_write first: a probe's flights are small and the
 * socket almost always takes them whole, and a direct write needs no request, no copy and no
 * epoll_ctl (libuv's uv_write re-arms the watcher after every write, one more system call per
 * flight). Only what the socket did not take is copied into a queued uv_write. */
static void attempt_flush(struct attempt *a)
{
    size_t n;
    const uint8_t *p = probe_conn_out(a->conn, &n);

    if (n == 0 || a->closing) {
        return;
    }
    uv_buf_t direct = uv_buf_init((char *)p, (unsigned)n);
    int done = uv_try_write((uv_stream_t *)&a->tcp, &direct, 1);
    size_t sent = done > 0 ? (size_t)done : 0;
    if (sent < n) { /* EAGAIN, a partial write or a write already queued: libuv keeps order */
        struct wreq *w = malloc(sizeof(*w) + (n - sent));
        if (w) {
            memcpy(w->data, p + sent, n - sent);
            uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)(n - sent));
            if (uv_write(&w->req, (uv_stream_t *)&a->tcp, &b, 1, on_written) != 0) {
                free(w);
            }
        }
    }
    probe_conn_out_ack(a->conn, n);
}

/* ---- attempts (one TCP connection each) ---- */

static void on_attempt_closed(uv_handle_t *h)
{
    struct attempt *a = h->data;
    struct job *j = a->job;

    free(a);
    j->open--;
    probe__job_maybe_free(j);
}

void probe__attempt_close(struct attempt *a)
{
    if (a->closing) {
        return;
    }
    a->closing = true;
    if (a->job->cur == a) {
        a->job->cur = NULL;
    }
    uv_close((uv_handle_t *)&a->tcp, on_attempt_closed);
}

/* The server rejected what we offered (alert, close or reset right after the ClientHello):
 * one more handshake offering everything tells version/suite trouble from a server that
 * cannot complete any handshake. */
static bool needs_followup(const struct job *j)
{
    const struct tls_info *ti = j->res.tls;

    if (!ti || probe_conn_handshake_ok(j->conn) || ti->local_reject || j->res.timed_out ||
        j->res.tds8) {
        return false; /* (strict: a rejected ClientHello means no TDS 8.0, not a TLS range) */
    }
    if (!(ti->alert_received || ti->peer_closed || ti->peer_reset)) {
        return false;
    }
    return ti->stage <= TLS_STAGE_SERVER_HELLO && j->t.wide != NULL;
}

static void attempt_connect(struct job *j, struct attempt *a, struct probe_conn *conn);

/* Strict: the drivers that speak TDS 8.0 strict negotiate TLS 1.3 when the server offers it
 * and their TLS stack has it (probe_client_offers_tls13: not Schannel before Windows 11, not
 * with --tls-max 1.2), so the client's own connection then starts with the TLS 1.3 client
 * (probe_conn_strict13.c); otherwise it is the TLS 1.2 way from the start. When
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
    const struct tls_info *ti = j->res.tls;

    /* kept: a TLS 1.3 server that shares no group or suite with the client refuses both */
    j->res.tls13_refused = ti != NULL && ti->alert_received;
    j->res.tls13_refused_alert = j->res.tls13_refused ? ti->alert_description : 0;
    /* what the first connection wrote goes: res.tls points into it */
    j->res.tls = NULL;
    j->res.strict_refused = false;
    j->res.server_reset = false;
    j->res.net = (struct probe_net_error){ .kind = PROBE_NET_NONE };
    tds_error_clear(&j->res.tds_err);
    j->res.scope = TDS_TLS_NONE;                         /* set again by the PRELOGIN reply */
    j->res.validates = probe_client_expected_validates(j->t.client);
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
    probe__job_audit_begin(j);
}

void probe__job_audit_conn_done(struct job *j)
{
    probe_audit_run_record(j->audit, j->fres, j->fconn);
    side_free(j);
    probe_audit_run_next(j->audit);
}

/* Side connections (the follow-up, an audit step) run on a copy of the client offering
 * min..max and write into their own facts, so the verdict's facts stay as the client's own
 * handshake left them. An audit step's client asks for encryption, so the server runs TLS;
 * over the TDS 8.0 transport it is a strict client (TLS first, probe_conn_strict.c). */
void probe__job_side_start(struct job *j, const struct tls_config *cfg, int min, int max)
{
    struct attempt *a = calloc(1, sizeof(*a));
    bool audit = j->state == PROBE_JOB_AUDITING;

    side_free(j);
    if (!j->fres) {
        j->fres = malloc(sizeof(*j->fres));
    }
    if (!j->wide_client) {
        j->wide_client = malloc(sizeof(*j->wide_client));
    }
    if (!a || !j->fres || !j->wide_client) {
        free(a);
        probe__job_finish(j);
        return;
    }
    memset(j->fres, 0, sizeof(*j->fres));
    *j->wide_client = *j->t.client;
    j->wide_client->tls_min = min;
    j->wide_client->tls_max = max;
    j->wide_client->tls_named = PROBE_TLS_NAMED_MIN | PROBE_TLS_NAMED_MAX;
    if (audit) {
        bool tds8 = probe_audit_run_results(j->audit)->transport == PROBE_AUDIT_TDS8;
        j->wide_client->encrypt = tds8 ? PROBE_ENCRYPT_STRICT : PROBE_ENCRYPT_MANDATORY;
        j->wide_client->encrypt_disable = false;
    }
    struct probe_conn_opts co = {
        .client = j->wide_client, .tls = cfg, .host = j->t.host, .instance = j->t.instance,
        .max_packet = TDS_DEFAULT_PACKET, .tls13_probe = audit && min == TLS_V13,
        .tls13_suites = audit && min == TLS_V13 ? probe_audit_run_tls13_suites(j->audit) : NULL,
    };
    if (probe_conn_new(&j->fconn, &co, j->fres) != 0) {
        free(a);
        probe__job_finish(j);
        return;
    }
    attempt_connect(j, a, j->fconn);
}

/* The current connection's probe_conn is done: what comes next depends on which one it was. */
static void attempt_done(struct attempt *a)
{
    struct job *j = a->job;

    probe__attempt_close(a);
    switch (j->state) {
    case PROBE_JOB_EXCHANGING:
        if (needs_tls12_retry(j)) {
            tls12_retry(j);
        } else if (needs_followup(j)) {
            probe__job_enter(j, PROBE_JOB_FOLLOWUP);
            probe__job_side_start(j, j->t.wide, TLS_V10, TLS_V12);
        } else {
            probe__job_audit_begin(j);
        }
        break;
    case PROBE_JOB_FOLLOWUP:
        followup_done(j);
        break;
    case PROBE_JOB_AUDITING:
        probe__job_audit_conn_done(j);
        break;
    default:
        probe__job_bug(j, "connection done");
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
        if (j->res.phase == PROBE_PHASE_HANDSHAKE && ph != PROBE_CONN_HANDSHAKE) {
            probe__job_mark(j, &j->res.t_handshake, !tls_ok ? PROBE_PHASE_HANDSHAKE
                                         : ends  ? PROBE_PHASE_DONE
                                                 : PROBE_PHASE_PRELOGIN);
        }
        if (tls_ok && !ends && ph == PROBE_CONN_DONE && j->res.t_prelogin < 0) {
            probe__job_mark(j, &j->res.t_prelogin,
                 j->res.got_prelogin ? PROBE_PHASE_DONE : PROBE_PHASE_PRELOGIN);
        }
        return;
    }
    if (j->res.phase == PROBE_PHASE_PRELOGIN && ph != PROBE_CONN_PRELOGIN) {
        bool plain = ph == PROBE_CONN_DONE && j->res.got_prelogin && j->res.scope == TDS_TLS_NONE;
        probe__job_mark(j, &j->res.t_prelogin, ph == PROBE_CONN_HANDSHAKE ? PROBE_PHASE_HANDSHAKE
                                    : plain                    ? PROBE_PHASE_DONE
                                                               : PROBE_PHASE_PRELOGIN);
    }
    if (j->res.phase == PROBE_PHASE_HANDSHAKE && ph == PROBE_CONN_DONE) {
        probe__job_mark(j, &j->res.t_handshake, tls_ok ? PROBE_PHASE_DONE : PROBE_PHASE_HANDSHAKE);
    }
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
    bool own = j->state == PROBE_JOB_EXCHANGING; /* the client's own connection, not a side one */

    if (nread == 0 || a->closing) {
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF && own) {
            j->res.net = probe_net_error_from_uv((int)nread);
        }
        probe_conn_closed(a->conn, nread != UV_EOF);
    } else {
        probe_conn_feed(a->conn, (const uint8_t *)buf->base, (size_t)nread);
        attempt_flush(a);
    }
    if (own) {
        track_phase(j, a->conn);
    }
    if (probe_conn_phase(a->conn) == PROBE_CONN_DONE) {
        attempt_done(a);
    }
}


static void connect_failed(struct job *j, struct attempt *a, int status)
{
    j->last_err = status;
    probe__attempt_close(a);
    switch (j->state) {
    case PROBE_JOB_CONNECTING:
        j->ai_cur = j->ai_cur->ai_next;
        probe__job_connect_next(j);
        break;
    case PROBE_JOB_EXCHANGING: /* the strict TLS 1.2 retry's connection */
        j->res.net = probe_net_error_from_uv(status);
        probe__job_finish(j);
        break;
    case PROBE_JOB_FOLLOWUP:
        probe__job_finish(j);
        break;
    case PROBE_JOB_AUDITING:
        probe__job_audit_conn_done(j);
        break;
    default:
        probe__job_bug(j, "connect failed");
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct attempt *a = req->data;
    struct job *j = a->job;

    if (a->closing) {
        return;
    }
    if (status < 0) {
        connect_failed(j, a, status);
        return;
    }
    if (j->state == PROBE_JOB_CONNECTING) {
        uv_ip_name(j->ai_cur->ai_addr, j->res.address, sizeof(j->res.address));
        if (j->res.port == 0) {
            j->res.port = probe_port_or_default(j->t.port);
        }
        probe__job_mark(j, &j->res.t_connect, j->res.tds8 ? PROBE_PHASE_HANDSHAKE : PROBE_PHASE_PRELOGIN);
        probe__job_enter(j, PROBE_JOB_EXCHANGING);
    }
    probe_conn_start(a->conn);
    attempt_flush(a);
}

/* Connects a (fresh from calloc) to the current address, carrying conn. */
static void attempt_connect(struct job *j, struct attempt *a, struct probe_conn *conn)
{
    struct sockaddr_storage dest;
    uint16_t port = htons(j->res.port ? j->res.port : probe_port_or_default(j->t.port));

    a->job = j;
    a->conn = conn;
    a->tcp.data = a;
    a->creq.data = a;
    uv_tcp_init(j->e->loop, &a->tcp);
    j->open++;
    j->cur = a;
    uv_tcp_nodelay(&a->tcp, 1);
    memcpy(&dest, j->ai_cur->ai_addr, j->ai_cur->ai_addrlen);
    if (dest.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&dest)->sin6_port = port;
    } else {
        ((struct sockaddr_in *)&dest)->sin_port = port;
    }
    int rc = uv_tcp_connect(&a->creq, &a->tcp, (const struct sockaddr *)&dest, on_connect);
    if (rc != 0) {
        on_connect(&a->creq, rc);
        return;
    }
    /* Reading starts with the connect: libuv then registers the socket once for both events and
     * only modifies it when the connect completes (starting to read in on_connect costs a
     * failing EPOLL_CTL_ADD and a MOD). Nothing is read before on_connect: libuv hands a
     * pending connect its events first. */
    uv_read_start((uv_stream_t *)&a->tcp, on_alloc, on_read);
}

/* The client's own connection to the next address, or the end when none is left. */
void probe__job_connect_next(struct job *j)
{
    if (!j->ai_cur) {
        j->res.net = probe_net_error_from_uv(j->last_err);
        probe__job_finish(j);
        return;
    }
    probe__job_enter(j, PROBE_JOB_CONNECTING);
    /* The address being tried: a refused or timed-out target still says which one. */
    uv_ip_name(j->ai_cur->ai_addr, j->res.address, sizeof(j->res.address));
    own_connect(j, j->res.tds8 && probe_client_offers_tls13(j->t.client));
}

/* The client's own connection (a fresh probe_conn in place of the last one) to the current
 * address; strict_tls13: strict over the TLS 1.3 client (see needs_tls12_retry). */
static void own_connect(struct job *j, bool strict_tls13)
{
    struct attempt *a = calloc(1, sizeof(*a));
    struct probe_conn_opts co = {
        .client = j->t.client, .tls = j->t.cfg, .host = j->t.host, .instance = j->t.instance,
        .max_packet = TDS_DEFAULT_PACKET, .strict_tls13 = strict_tls13,
    };

    if (!a) {
        probe__job_finish(j);
        return;
    }
    probe_conn_free(j->conn);
    j->conn = NULL;
    if (probe_conn_new(&j->conn, &co, &j->res) != 0) {
        free(a);
        probe__job_finish(j);
        return;
    }
    attempt_connect(j, a, j->conn);
}
