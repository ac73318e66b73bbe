/* probe/engine/probe_conn_tls13.c: TLS 1.3 detection. One hand-built ClientHello offering TLS 1.3
 * and nothing else, raw on the socket as a TDS 8.0 client sends it (SQL Server speaks TLS 1.3
 * only with TDS 8.0 strict), then every server byte up to the ServerHello or an alert
 * (tls/tls13_probe.h). No PRELOGIN, no chain. */
#include "probe/engine/probe_conn_int.h"

#include <stdlib.h>
#include <string.h>

#include "probe/drivers/probe_target.h"

/* A full answer never needs more than a ServerHello record plus headers (tls13_probe.h). */
#define T13_MAX (5u + 16384u + 64u)

struct probe_conn_t13 {
    size_t len;
    bool done;                     /* the reply parsed into r */
    struct tls13_probe_result r;
    uint8_t buf[T13_MAX];          /* every byte the server sent so far */
};

static void t13_start(struct probe_conn *c)
{
    uint8_t random[32], pub[32];
    const char *sni = probe_host_is_ip(c->o.host) ? NULL : c->o.host;

    c->t13 = malloc(sizeof(*c->t13));
    if (c->t13) {
        c->t13->len = 0;
        c->t13->done = false;
    }
    if (!c->t13 || probe_conn_out_reserve(c, TLS13_CLIENT_HELLO_MAX) != 0 ||
        tls13_probe_keys(random, pub) != 0) {
        probe_conn_finish(c);
        return;
    }
    size_t n = tls13_probe_client_hello_suites(c->out + c->out_len, TLS13_CLIENT_HELLO_MAX, sni,
                                               PROBE_TDS8_ALPN, random, pub, c->o.tls13_suites);
    c->out_len += n;
    c->phase = n ? PROBE_CONN_HANDSHAKE : PROBE_CONN_DONE;
}

static void t13_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    struct probe_conn_t13 *t = c->t13;

    if (c->phase != PROBE_CONN_HANDSHAKE) {
        return;
    }
    size_t take = n < T13_MAX - t->len ? n : T13_MAX - t->len;
    memcpy(t->buf + t->len, p, take);
    t->len += take;
    int st = tls13_probe_parse(t->buf, t->len, &t->r);
    if (st != TLS13_NEED_MORE || t->len == T13_MAX) {
        t->done = st == TLS13_DONE;
        probe_conn_finish(c);
    }
}

static void t13_closed(struct probe_conn *c, bool reset)
{
    c->res->server_reset = reset;
    probe_conn_finish(c);
}

const struct tls13_probe_result *probe_conn_tls13(const struct probe_conn *c)
{
    return c->t13 && c->t13->done ? &c->t13->r : NULL;
}

const struct probe_conn_ops probe_conn_tls13_ops = {
    .start = t13_start,
    .feed = t13_feed,
    .closed = t13_closed,
};
