/* tests/fakesql/conn.c: one accepted TCP connection: reads, writes, timers, and the three ways
 * it ends (FIN after flushing, RST now, or the client going away), plus its one log line.
 *
 * Ownership: a connection owns two handles (tcp, timer) and is freed after both close
 * callbacks ran. Every uv_write owns a copy of its bytes, freed in the write callback.
 */
#include "fakesql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_MS 2000               /* after our FIN, how long the client may take to close */
#define MAX_WRITE_QUEUE (1u << 20)  /* a client that does not read is dropped */

static const char *const state_names[] = {
    [FSQL_ST_FIRST] = "first_bytes",       [FSQL_ST_PRELOGIN] = "prelogin",
    [FSQL_ST_AFTER_PL] = "after_prelogin", [FSQL_ST_TLS_IN_TDS] = "tls_in_tds",
    [FSQL_ST_TLS_RAW] = "tls_strict",      [FSQL_ST_PRE2022] = "clienthello_as_tds",
    [FSQL_ST_SECURE] = "secure",
    [FSQL_ST_CLEAR] = "clear",             [FSQL_ST_STALLED] = "stalled",
    [FSQL_ST_DRAINING] = "draining",       [FSQL_ST_CLOSED] = "closed",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == FSQL_ST_COUNT,
               "every state needs a name");

const char *fsql_state_name(enum fsql_state s)
{
    return (unsigned)s < FSQL_ST_COUNT ? state_names[s] : "?";
}

struct wreq {
    uv_write_t req;
    size_t len;
    uint8_t data[];
};

static void log_line(struct fsql_conn *c)
{
    char line[1024];
    int n;

    if (c->logged || c->srv->cfg->quiet) {
        return;
    }
    c->logged = true;
    n = snprintf(line, sizeof(line), "fakesql: conn=%llu peer=%s local=%s mode=%s",
                 (unsigned long long)c->id, c->peer, c->local, c->strict ? "tds8" : "tds7");
    if (c->client_enc >= 0 && n > 0 && (size_t)n < sizeof(line)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, " client_enc=%s reply_enc=%s",
                      tds_enc_name((uint8_t)c->client_enc),
                      c->reply_enc >= 0 ? tds_enc_name((uint8_t)c->reply_enc) : "none");
    }
    if (c->tls_version[0] && n > 0 && (size_t)n < sizeof(line)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, " tls=%s cipher=%s scope=%s%s%s",
                      c->tls_version, c->cipher,
                      c->strict ? "strict" : c->login_only ? "login_only" : "full",
                      c->alpn[0] ? " alpn=" : "", c->alpn);
    }
    if (c->key_shares[0] && n > 0 && (size_t)n < sizeof(line)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, " key_shares=%s", c->key_shares);
    }
    if (c->user[0] && n > 0 && (size_t)n < sizeof(line)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, " user='%s'", c->user);
    }
    if (n > 0 && (size_t)n < sizeof(line)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, " outcome=%s",
                      c->outcome ? c->outcome : "unknown");
    }
    if (c->detail[0] && n > 0 && (size_t)n < sizeof(line)) {
        snprintf(line + n, sizeof(line) - (size_t)n, " detail=\"%s\"", c->detail);
    }
    fprintf(stderr, "%s\n", line);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct fsql_conn *c = h->data;

    if (--c->handles_open > 0) {
        return;
    }
    fsql_session_free(c);
    free(c);
}

/* Closes both handles now; the connection is freed when both are gone. */
static void close_now(struct fsql_conn *c, bool reset)
{
    if (c->state == FSQL_ST_CLOSED) {
        return;
    }
    c->state = FSQL_ST_CLOSED;
    log_line(c);
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        c->srv->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    if (reset && uv_tcp_close_reset(&c->tcp, on_handle_closed) == 0) {
        return;
    }
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

__attribute__((format(printf, 3, 0))) static void set_outcome(struct fsql_conn *c,
                                                               const char *outcome,
                                                               const char *fmt, va_list ap)
{
    if (c->outcome != NULL) {
        return; /* the first cause wins */
    }
    c->outcome = outcome;
    if (fmt != NULL) {
        vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    }
}

static void on_timer(uv_timer_t *t)
{
    struct fsql_conn *c = t->data;

    if (c->state == FSQL_ST_DRAINING) {
        close_now(c, false);
        return;
    }
    if (c->outcome == NULL) {
        c->outcome = "timeout";
        snprintf(c->detail, sizeof(c->detail), "idle in state %s", fsql_state_name(c->state));
    }
    close_now(c, false);
}

static void arm_timer(struct fsql_conn *c, uint64_t ms)
{
    if (ms > 0) {
        uv_timer_start(&c->timer, on_timer, ms, 0);
    } else {
        uv_timer_stop(&c->timer);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct fsql_conn *c = req->data;

    if (status != 0) {
        close_now(c, false);
    }
    /* else: keep reading until the client closes (on_read) or DRAIN_MS passes */
}

void fsql_conn_end(struct fsql_conn *c, enum fsql_end how, const char *outcome,
                   const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    set_outcome(c, outcome, fmt, ap);
    va_end(ap);
    if (c->state == FSQL_ST_CLOSED || c->state == FSQL_ST_DRAINING) {
        return;
    }
    if (how == FSQL_END_RESET) {
        close_now(c, true);
        return;
    }
    /* FIN after what is queued; reading on lets the client's close arrive without our close
     * turning unread bytes into an RST. */
    c->state = FSQL_ST_DRAINING;
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        close_now(c, false);
        return;
    }
    arm_timer(c, DRAIN_MS);
}

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    free(w);
}

int fsql_conn_write(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    if (c->state == FSQL_ST_CLOSED || c->state == FSQL_ST_DRAINING || n == 0) {
        return c->state == FSQL_ST_CLOSED ? -1 : 0;
    }
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > MAX_WRITE_QUEUE) {
        fsql_conn_end(c, FSQL_END_RESET, "protocol_error", "client does not read its replies");
        return -1;
    }
    struct wreq *w = malloc(sizeof(*w) + n);
    if (w == NULL) {
        fsql_conn_end(c, FSQL_END_RESET, "internal_error", "out of memory");
        return -1;
    }
    w->len = n;
    memcpy(w->data, p, n);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        free(w);
        fsql_conn_end(c, FSQL_END_RESET, "client_closed", "write failed in state %s",
                      fsql_state_name(c->state));
        return -1;
    }
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct fsql_conn *c = h->data;
    *buf = uv_buf_init((char *)c->srv->rbuf, sizeof(c->srv->rbuf));
}

/* The client closed or reset: name what it left behind. */
static void client_gone(struct fsql_conn *c, ssize_t nread)
{
    const char *how = nread == UV_EOF ? "closed" : uv_err_name((int)nread);

    if (c->state == FSQL_ST_DRAINING || c->outcome != NULL) {
        close_now(c, false);
        return;
    }
    if (c->state == FSQL_ST_STALLED) {
        c->outcome = "stalled";
        snprintf(c->detail, sizeof(c->detail), "stalled %s; client %s", c->stalled_at, how);
    } else if (c->handshake_done) {
        c->outcome = "handshake_only";
        snprintf(c->detail, sizeof(c->detail), "client %s after the TLS handshake", how);
    } else {
        c->outcome = "client_closed";
        snprintf(c->detail, sizeof(c->detail), "client %s in state %s", how,
                 fsql_state_name(c->state));
    }
    close_now(c, false);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct fsql_conn *c = s->data;

    if (nread < 0) {
        client_gone(c, nread);
        return;
    }
    if (nread == 0 || c->state == FSQL_ST_DRAINING) {
        return;
    }
    if (c->state != FSQL_ST_STALLED) {
        arm_timer(c, c->srv->cfg->idle_timeout_ms);
    }
    fsql_session_input(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void name_ends(struct fsql_conn *c)
{
    struct sockaddr_storage a;
    int len = sizeof(a);

    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&a, &len) == 0) {
        fsql_addr_format(&a, c->peer, sizeof(c->peer));
    }
    len = sizeof(a);
    if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&a, &len) == 0) {
        fsql_addr_format(&a, c->local, sizeof(c->local));
    }
}

void fsql_conn_accept(struct fsql_listener *lst)
{
    struct fsql_server *srv = lst->srv;
    struct fsql_conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return;
    }
    c->srv = srv;
    c->lst = lst;
    c->id = ++srv->next_id;
    c->client_enc = c->reply_enc = -1;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles_open = 2;
    c->next = srv->conns;
    if (srv->conns) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    if (uv_accept((uv_stream_t *)&lst->tcp, (uv_stream_t *)&c->tcp) != 0) {
        c->logged = true; /* nothing happened worth a line */
        close_now(c, false);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    name_ends(c);
    arm_timer(c, srv->cfg->idle_timeout_ms);
    fsql_session_start(c);
    if (c->state != FSQL_ST_CLOSED) {
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

void fsql_conn_close_all(struct fsql_server *srv)
{
    while (srv->conns != NULL) {
        struct fsql_conn *c = srv->conns;
        if (c->outcome == NULL) {
            c->outcome = "server_shutdown";
        }
        close_now(c, false);
    }
}
