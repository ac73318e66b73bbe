/* probe/engine/probe_conn_strict.c: TDS 8.0 strict. The TLS handshake runs first, its records
 * raw on the socket (ALPN tds/8.0, set in the TLS config); then the PRELOGIN request and its
 * reply travel inside TLS, as TDS packets, and the connection stops there. (MS-TDS 3.3, the
 * server's Initial State: a first byte of 0x16 is a TLS ClientHello, the start of TDS 8.0.) */
#include "probe/engine/probe_conn_int.h"
#include "tls/tls_info.h"
#include "tls/tls_session.h"

/* Moves what the session wrote to the socket's output, as it is. */
static void raw_out(struct probe_conn *c)
{
    size_t n;
    const uint8_t *p = tls_session_out(c->tls, &n);

    if (n > 0 && probe_conn_out_append(c, p, n) == 0)
        tls_session_out_ack(c->tls, n);
}

/* The server never got as far as a ServerHello: it closed, reset, or answered with something
 * that is not TLS. That is how a server without TDS 8.0 treats a ClientHello (and how SQL
 * Server 2022 without a usable certificate refuses it, error 17821). */
static bool refused(const struct probe_conn *c)
{
    const struct tls_info *ti = tls_session_info(c->tls);

    return ti->stage <= TLS_STAGE_CLIENT_HELLO_SENT;
}

/* The PRELOGIN request, encrypted. Its ENCRYPTION byte means nothing inside TLS; SqlClient
 * sends NOT_SUP. */
static void send_prelogin(struct probe_conn *c)
{
    uint8_t pkt[PROBE_CONN_PRELOGIN_MAX];
    size_t w = probe_conn_prelogin_request(c, TDS_ENC_NOT_SUP, pkt, sizeof(pkt));

    if (w == 0 || tls_session_write(c->tls, pkt, w) != 0) {
        probe_conn_finish(c);
        return;
    }
    raw_out(c);
    c->phase = PROBE_CONN_PRELOGIN;
}

/* Decrypted bytes of the PRELOGIN reply, through the same reassembly as TDS 7.x. The reply's
 * ENCRYPTION byte is meaningless inside TLS: once it is parsed the connection is over. */
static void take_plain(struct probe_conn *c, const uint8_t *p, size_t n)
{
    while (n > 0 && c->phase == PROBE_CONN_PRELOGIN) {
        size_t used = 0;
        if (tds_reasm_feed(&c->rx, p, n, &used) != TDS_ERR_OK) {
            c->res->tds_err = c->rx.err;
            probe_conn_finish(c);
            return;
        }
        p += used;
        n -= used;
        if (tds_reasm_packet_ready(&c->rx)) {
            uint8_t type;
            size_t mlen;
            const uint8_t *msg = tds_reasm_message(&c->rx, &type, &mlen);
            if (msg && probe_conn_take_reply(c, msg, mlen))
                probe_conn_finish(c);
            tds_reasm_next(&c->rx);
        }
    }
}

/* The handshake as far as the input goes; once it is done, the PRELOGIN exchange inside it. */
static void pump(struct probe_conn *c)
{
    if (c->phase == PROBE_CONN_HANDSHAKE) {
        enum tls_step st = tls_session_step(c->tls);
        raw_out(c);
        if (st == TLS_STEP_WANT_INPUT)
            return;
        if (st == TLS_STEP_FAILED) {
            c->res->strict_refused = refused(c);
            probe_conn_finish(c);
            return;
        }
        c->handshake_ok = true;
        send_prelogin(c);
    }
    while (c->phase == PROBE_CONN_PRELOGIN) {
        uint8_t buf[4096];
        size_t got = 0;
        if (tls_session_read(c->tls, buf, sizeof(buf), &got) != 0) {
            c->res->server_closed_after_prelogin = true;
            probe_conn_finish(c);
            return;
        }
        raw_out(c);
        if (got == 0)
            return;
        take_plain(c, buf, got);
    }
}

static void strict_start(struct probe_conn *c)
{
    if (probe_conn_tls_begin(c))
        pump(c);
}

static void strict_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (c->phase == PROBE_CONN_DONE)
        return;
    if (tls_session_feed(c->tls, p, n) != 0)
        tls_session_peer_closed(c->tls, false);
    pump(c);
}

static void strict_closed(struct probe_conn *c, bool reset)
{
    if (c->phase == PROBE_CONN_DONE)
        return;
    c->res->server_reset = reset;
    tls_session_peer_closed(c->tls, reset);
    pump(c);
    probe_conn_finish(c);
}

const struct probe_conn_ops probe_conn_strict_ops = {
    .start = strict_start,
    .feed = strict_feed,
    .closed = strict_closed,
};
