/* probe/engine/probe_conn_strict.c: TDS 8.0 strict. The TLS handshake runs first, its records
 * raw on the socket (ALPN tds/8.0, set in the TLS config); then the PRELOGIN request and its
 * reply travel inside TLS, as TDS packets, and the connection stops there. (MS-TDS 3.3, the
 * server's Initial State: a first byte of 0x16 is a TLS ClientHello, the start of TDS 8.0.) */
#include "probe/engine/probe_conn_int.h"
#include "tls/tls_info.h"
#include "tls/tls_session.h"

/* The ClientHello's record header says TLS 1.0 (16 03 01), as OpenSSL (tedious, ODBC on Linux),
 * Schannel, Go's crypto/tls (conn.go writeRecordLocked: "Some TLS servers fail if the record
 * version is greater than TLS 1.0 for the initial ClientHello") and GnuTLS write it; RFC 5246
 * E.1 and RFC 8446 5.1 allow it. mbedTLS 2.28 writes its minimum version there instead (03 03
 * with TLS 1.2 as the minimum). It matters here: a server without TDS 8.0 reads bytes 2-3 as a
 * TDS packet length (MS-TDS 2.2.3.1): 0x01LL (about 257) is shorter than the ClientHello, so it
 * resets at once as it does for the real clients; 0x03LL (about 769) makes it wait until the
 * timeout. The record header is outside the handshake transcript, so the handshake is
 * unchanged. */
static void record_version_tls10(uint8_t *rec, size_t n)
{
    if (n >= 3 && rec[0] == 0x16 && rec[1] == 0x03) {
        rec[2] = 0x01;
    }
}

/* Moves what the session wrote to the socket's output, as it is (but for the first record's
 * version, see record_version_tls10). */
static void raw_out(struct probe_conn *c)
{
    size_t n;
    const uint8_t *p = tls_session_out(c->tls, &n);
    size_t at = c->out_len;

    if (n > 0 && probe_conn_out_append(c, p, n) == 0) {
        tls_session_out_ack(c->tls, n);
        if (!c->hello_out) {
            record_version_tls10(c->out + at, n);
            c->hello_out = true;
        }
    }
}

/* The server never got as far as a ServerHello: it closed, reset, or answered with something
 * that is not TLS. That is how a server without TDS 8.0 treats a ClientHello (and how SQL
 * Server 2022 without a usable certificate refuses it, error 17821). A TLS alert is not that:
 * the server speaks TLS first and refused this ClientHello (a TLS 1.3-only server, no common
 * suite), which the diagnosis names with the alert. */
static bool refused(const struct probe_conn *c)
{
    const struct tls_info *ti = tls_session_info(c->tls);

    return ti->stage <= TLS_STAGE_CLIENT_HELLO_SENT && !ti->alert_received;
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
            if (msg && probe_conn_take_reply(c, msg, mlen)) {
                probe_conn_finish(c);
            }
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
        if (st == TLS_STEP_WANT_INPUT) {
            return;
        }
        if (st == TLS_STEP_FAILED) {
            c->res->strict_refused = refused(c);
            probe_conn_finish(c);
            return;
        }
        c->handshake_ok = true;
        if (tls_session_info(c->tls)->stage < TLS_STAGE_DONE) {
            probe_conn_finish(c); /* a config that stops early (the audit's, at the ServerHello):
                                     no keys for a PRELOGIN */
            return;
        }
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
        if (got == 0) {
            return;
        }
        take_plain(c, buf, got);
    }
}

static void strict_start(struct probe_conn *c)
{
    /* the byte the PRELOGIN inside TLS will carry, even when the handshake never gets there */
    c->res->sent_encryption = TDS_ENC_NOT_SUP;
    if (probe_conn_tls_begin(c)) {
        pump(c);
    }
}

/* The first bytes the server sends. TLS (a handshake record or an alert) and TDS (a pre-2022
 * server answering in packets of type 0x04) are SQL Server's; anything else (an SSH or SMTP
 * banner, an HTTP reply) is another service: not_tds, as without strict. */
static bool first_bytes_not_tds(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (c->saw_packet || n == 0) {
        return false;
    }
    c->saw_packet = true;
    if (p[0] == 0x16 || p[0] == 0x15 || p[0] == TDS_PKT_REPLY) {
        return false;
    }
    probe_conn_not_tds(c, p, n);
    tls_session_peer_closed(c->tls, false);
    probe_conn_finish(c);
    return true;
}

static void strict_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (c->phase == PROBE_CONN_DONE || first_bytes_not_tds(c, p, n)) {
        return;
    }
    if (tls_session_feed(c->tls, p, n) != 0) {
        tls_session_peer_closed(c->tls, false);
    }
    pump(c);
}

static void strict_closed(struct probe_conn *c, bool reset)
{
    if (c->phase == PROBE_CONN_DONE) {
        return;
    }
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
