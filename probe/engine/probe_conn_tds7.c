/* probe/engine/probe_conn_tds7.c: TDS 7.x. PRELOGIN out, the PRELOGIN reply in, then (when the
 * client and the server agreed on TLS) the handshake with every TLS record carried in TDS
 * packets, then stop.
 *
 * The handshake travels as the payload of PRELOGIN (0x12) packets (MS-TDS 2.2.6.5). Ours are
 * at most max_packet (4096) bytes, EOM only on the last packet of a flight, as SqlClient's
 * SslOverTdsStream writes them. Servers may answer in packets of type 0x04 instead (the rule
 * before TDS 7.2; go-mssqldb accepts both since its issue #174), and their EOM need not fall on
 * a TLS record boundary, so every payload is read as one byte stream. */
#include "probe/engine/probe_conn_int.h"

#include <stdio.h>

#include "probe/drivers/probe_client.h"
#include "tls/tls_session.h"

/* Appends payload as TDS packets of `type`. Our packet id starts at 1 (as SqlClient's). */
static int send_packets(struct probe_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
    size_t need = tds_packetized_size(n, c->o.max_packet);
    uint8_t id = 1;

    if (probe_conn_out_reserve(c, need)) {
        return -1;
    }
    size_t w = tds_packetize(type, p, n, c->o.max_packet, &id, c->out + c->out_len, need);
    if (w == 0) {
        return -1;
    }
    c->out_len += w;
    return 0;
}

/* Runs the TLS session as far as it goes and wraps whatever it wrote into 0x12 packets. */
static void tls_pump(struct probe_conn *c)
{
    enum tls_step st = tls_session_step(c->tls);
    size_t n;
    const uint8_t *p = tls_session_out(c->tls, &n);

    if (n > 0) {
        if (send_packets(c, TDS_PKT_PRELOGIN, p, n) == 0) {
            tls_session_out_ack(c->tls, n);
        }
    }
    if (st == TLS_STEP_DONE) {
        c->handshake_ok = true;
    }
    if (st != TLS_STEP_WANT_INPUT) {
        probe_conn_finish(c);
    }
}

/* The reply decides: no TLS at all, a refusal, or the handshake (login-only or full). */
static void on_reply(struct probe_conn *c, const uint8_t *msg, size_t len)
{
    if (!probe_conn_take_reply(c, msg, len)) {
        return;
    }
    if (c->res->scope == TDS_TLS_NONE || c->res->scope == TDS_TLS_TERMINATE) {
        probe_conn_finish(c);
        return;
    }
    if (probe_conn_tls_begin(c)) {
        tls_pump(c);
    }
}

/* A handshake packet that carries nothing the handshake needs: an empty one, or a TLS warning
 * alert (content type 21, level 1: RFC 5246 7.2) that mbedTLS skips. A server that sends them
 * without end would keep the probe busy until its timeout; after PROBE_NOISE_MAX in a row the
 * probe stops and says what came. */
static bool noise(struct probe_conn *c, const uint8_t *p, size_t len)
{
    struct probe_facts *r = c->res;
    bool alert = len == 7 && p[0] == 0x15 && p[5] == 1;

    if (len != 0 && !alert) {
        r->noise_packets = 0;
        r->noise_alerts = 0;
        return false;
    }
    r->noise_packets++;
    if (alert) {
        r->noise_alerts++;
        r->noise_alert = p[6];
    }
    if (r->noise_packets < PROBE_NOISE_MAX) {
        return false;
    }
    r->noise_stopped = true;
    tls_session_peer_closed(c->tls, false);
    probe_conn_finish(c);
    return true;
}

/* One whole packet: part of the PRELOGIN reply, or TLS bytes. False when the connection is
 * over. */
static bool take_packet(struct probe_conn *c)
{
    struct tds_header h;
    size_t len;
    const uint8_t *payload = tds_reasm_packet(&c->rx, &h, &len);
    uint8_t type;
    size_t mlen;

    c->saw_packet = true;
    if (c->phase == PROBE_CONN_PRELOGIN) {
        const uint8_t *msg = tds_reasm_message(&c->rx, &type, &mlen);
        if (msg) {
            on_reply(c, msg, mlen);
        }
    } else if (c->phase == PROBE_CONN_HANDSHAKE && noise(c, payload, len)) {
        tds_reasm_discard(&c->rx);
    } else if (c->phase == PROBE_CONN_HANDSHAKE) {
        if (tls_session_feed(c->tls, payload, len) != 0) {
            tls_session_peer_closed(c->tls, false);
        }
        tds_reasm_discard(&c->rx);
        tls_pump(c);
    }
    tds_reasm_next(&c->rx);
    if (c->phase == PROBE_CONN_HANDSHAKE && c->rx.msg_len == 0 && c->rx.hdr_have == 0) {
        /* Nothing is buffered: while the probe waits for the next flight (a round trip) it
         * holds no receive buffer; the next packet allocates one again. */
        tds_reasm_free(&c->rx);
    }
    return c->phase != PROBE_CONN_DONE;
}

static void tds7_start(struct probe_conn *c)
{
    uint8_t pkt[PROBE_CONN_PRELOGIN_MAX];
    size_t n = probe_conn_prelogin_request(c, probe_client_encryption_byte(c->o.client), pkt,
                                           sizeof(pkt));

    if (n == 0 || probe_conn_out_append(c, pkt, n) != 0) {
        probe_conn_finish(c);
    }
}

/* A first byte that cannot start a TDS reply packet (0x04, or 0x12 as some servers use). */
static bool not_tds_start(const struct probe_conn *c, const uint8_t *p, size_t n)
{
    return c->phase == PROBE_CONN_PRELOGIN && !c->saw_packet && c->rx.hdr_have == 0 && n > 0 &&
           p[0] != TDS_PKT_REPLY && p[0] != TDS_PKT_PRELOGIN;
}

/* While the PRELOGIN reply is incomplete: how much of it came, and what its header announced
 * (a reply cut short is then named as one, not as silence). */
static void note_partial_reply(struct probe_conn *c)
{
    if (c->phase != PROBE_CONN_PRELOGIN) {
        return;
    }
    c->res->prelogin_have = c->rx.consumed;
    c->res->prelogin_want = c->rx.hdr_have == TDS_HEADER_LEN ? c->rx.pkt.length : 0;
}

static void tds7_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (not_tds_start(c, p, n)) {
        probe_conn_not_tds(c, p, n);
        probe_conn_finish(c);
        return;
    }
    while (n > 0 && c->phase != PROBE_CONN_DONE) {
        size_t used = 0;
        if (tds_reasm_feed(&c->rx, p, n, &used) != TDS_ERR_OK) {
            if (!c->saw_packet) {
                probe_conn_not_tds(c, p, n);
            } else {
                c->res->tds_err = c->rx.err;
            }
            if (c->tls) {
                tls_session_peer_closed(c->tls, false);
            }
            probe_conn_finish(c);
            return;
        }
        p += used;
        n -= used;
        if (tds_reasm_packet_ready(&c->rx) && !take_packet(c)) {
            return;
        }
    }
    note_partial_reply(c);
}

static void tds7_closed(struct probe_conn *c, bool reset)
{
    if (c->phase == PROBE_CONN_PRELOGIN) {
        c->res->server_closed_after_prelogin = true;
        c->res->server_reset = reset;
        probe_conn_finish(c);
    } else if (c->phase == PROBE_CONN_HANDSHAKE) {
        c->res->server_reset = reset;
        tls_session_peer_closed(c->tls, reset);
        tls_pump(c);
        probe_conn_finish(c);
    }
}

const struct probe_conn_ops probe_conn_tds7_ops = {
    .start = tds7_start,
    .feed = tds7_feed,
    .closed = tds7_closed,
};
