/* probe/engine/probe_conn_strict13.c: TDS 8.0 strict over TLS 1.3, with the observation-only
 * TLS 1.3 client (tls/tls13_client.h: mbedTLS 2.28 has none). The ClientHello goes raw on the
 * socket with ALPN tds/8.0 (MS-TDS 3.3: a first byte of 0x16 starts TDS 8.0); the server's
 * flight is decrypted and verified, the chain verified against the profile's trust store, and
 * the connection ends with the client's Finished and a close_notify. No PRELOGIN follows: the
 * client never sends application data, so the server's version stays unknown. */
#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_platform.h"
#include "probe/drivers/probe_target.h"
#include "probe/engine/probe_conn_int.h"
#include "tls/tls13_client.h"
#include "tls/tls_info.h"

static void out(struct probe_conn *c)
{
    size_t n;
    const uint8_t *p = tls13_client_out(c->t13c, &n);

    if (n > 0 && probe_conn_out_append(c, p, n) == 0) {
        tls13_client_out_ack(c->t13c, n);
    }
}

static void pump(struct probe_conn *c)
{
    enum tls_step st = tls13_client_step(c->t13c);
    const struct tls_info *ti = tls13_client_info(c->t13c);

    out(c);
    if (st == TLS_STEP_WANT_INPUT) {
        return;
    }
    c->handshake_ok = st == TLS_STEP_DONE;
    /* as in probe_conn_strict.c: no ServerHello at all is how a server without TDS 8.0 answers */
    c->res->strict_refused = st == TLS_STEP_FAILED && ti->stage <= TLS_STAGE_CLIENT_HELLO_SENT;
    probe_conn_finish(c);
}

static void strict13_start(struct probe_conn *c)
{
    char err[160];
    struct tls13_client_opts o = {
        .sni = probe_host_is_ip(c->o.host) ? NULL : c->o.host,
        .alpn = PROBE_TDS8_ALPN,
        /* the key shares the emulated client's TLS stack computes before any reply */
        .x25519_only = probe_client_stack(c->o.client)->tls13_key_shares == 1,
        .cfg = c->o.tls,
    };

    if (tls13_client_new(&c->t13c, &o, err, sizeof(err)) != 0) {
        tds_error_set(&c->res->tds_err, TDS_ERR_NO_SPACE, 0, -1, "TLS 1.3 client: %s", err);
        probe_conn_finish(c);
        return;
    }
    /* strict validates whatever the server says (there is no PRELOGIN reply to read here) */
    c->res->scope = probe_client_scope(c->o.client, TDS_ENC_NOT_SUP, &c->res->validates);
    c->phase = PROBE_CONN_HANDSHAKE;
    pump(c);
}

static void strict13_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (c->phase == PROBE_CONN_DONE) {
        return;
    }
    if (tls13_client_feed(c->t13c, p, n) != 0) {
        tls13_client_peer_closed(c->t13c, false);
    }
    pump(c);
}

static void strict13_closed(struct probe_conn *c, bool reset)
{
    if (c->phase == PROBE_CONN_DONE) {
        return;
    }
    c->res->server_reset = reset;
    tls13_client_peer_closed(c->t13c, reset);
    pump(c);
    probe_conn_finish(c);
}

const struct probe_conn_ops probe_conn_strict13_ops = {
    .start = strict13_start,
    .feed = strict13_feed,
    .closed = strict13_closed,
};
