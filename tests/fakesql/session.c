/* tests/fakesql/session.c: what a connection says, state by state.
 *
 *   FIRST ──0x12──> PRELOGIN ──reply──> AFTER_PL ──0x12──> TLS_IN_TDS ──done──> SECURE
 *     │                                    └──0x10 (no TLS)──> CLEAR <──login-only, 1st packet──┘
 *     └──0x16 (TDS 8.0)──> TLS_RAW ──done──> SECURE (PRELOGIN, then LOGIN7, inside TLS)
 *
 * Every state handler consumes what it can from the client's bytes and returns how many it
 * took; a handler that changes state stops there, so the next state sees the rest (after a
 * TDS 7.x handshake the client's next bytes are raw TLS records; after a login-only LOGIN7
 * packet they are cleartext TDS).
 */
#include "fakesql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define MAX_MESSAGE (64u * 1024u)    /* PRELOGIN and LOGIN7; SSPI blobs stay far below */
#define MAX_TLS_BACKLOG (256u * 1024u)
#define MAX_TLS_RECORD (16384u + 2048u) /* TLSCiphertext.length limit, RFC 5246 6.2.3 */

static const char msg_17821[] = "A valid TLS certificate is not configured to accept strict "
                                "(TDS 8.0 and above) connections.";

static void stall(struct fsql_conn *c, const char *where)
{
    c->state = FSQL_ST_STALLED;
    c->stalled_at = where;
}

static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unexpected end of handshake";
}

/* ---- output ---- */

/* The server's TLS bytes as TDS packets: EOM only on the last packet of the flight (or on
 * every packet, as old Babelfish did, when configured). */
static void send_wrapped(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    const struct fsql_config *cfg = c->srv->cfg;
    size_t per = cfg->eom_every_packet ? cfg->packetsize - TDS_HEADER_LEN : n;
    size_t cap = tds_packetized_size(n, cfg->packetsize);
    uint8_t *out = malloc(cap);
    size_t len = 0;

    if (out == NULL) {
        fsql_conn_end(c, FSQL_END_RESET, "internal_error", "out of memory");
        return;
    }
    for (size_t done = 0; done < n; done += per) {
        size_t chunk = n - done < per ? n - done : per;
        len += tds_packetize(cfg->handshake_type, p + done, chunk, cfg->packetsize,
                             &c->packet_id, out + len, cap - len);
    }
    fsql_conn_write(c, out, len);
    free(out);
}

/* Sends what OpenSSL produced; returns the byte count. Wrapped in TDS packets during a TDS 7.x
 * handshake, raw otherwise. */
static size_t flush_tls(struct fsql_conn *c)
{
    size_t n = BIO_ctrl_pending(c->wbio);
    uint8_t *buf;

    if (n == 0) {
        return 0;
    }
    buf = malloc(n);
    if (buf == NULL) {
        fsql_conn_end(c, FSQL_END_RESET, "internal_error", "out of memory");
        return 0;
    }
    int got = BIO_read(c->wbio, buf, (int)n);
    if (got > 0 && c->state == FSQL_ST_TLS_IN_TDS) {
        send_wrapped(c, buf, (size_t)got);
    } else if (got > 0) {
        fsql_conn_write(c, buf, (size_t)got);
    }
    free(buf);
    return got > 0 ? (size_t)got : 0;
}

/* A TDS message to the client: packets of 4096 bytes, each its own TLS record when TLS is on
 * (go-mssqldb and tedious note that SQL Server expects one record per packet). */
static void send_tds(struct fsql_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
    size_t cap = tds_packetized_size(n, TDS_DEFAULT_PACKET);
    uint8_t *out = malloc(cap);
    size_t len;

    if (out == NULL) {
        fsql_conn_end(c, FSQL_END_RESET, "internal_error", "out of memory");
        return;
    }
    len = tds_packetize(type, p, n, TDS_DEFAULT_PACKET, &c->packet_id, out, cap);
    if (c->ssl == NULL || !c->handshake_done) {
        fsql_conn_write(c, out, len);
        free(out);
        return;
    }
    for (size_t at = 0; at + TDS_HEADER_LEN <= len;) {
        size_t plen = (size_t)out[at + 2] << 8 | out[at + 3];
        SSL_write(c->ssl, out + at, (int)plen);
        at += plen;
    }
    free(out);
    flush_tls(c);
}

/* ---- TLS ---- */

static int new_ssl(struct fsql_conn *c, SSL_CTX *ctx)
{
    if (ctx == NULL) {
        fsql_conn_end(c, FSQL_END_FIN, "handshake_failed", "encryption = not_supported: no TLS");
        return -1;
    }
    c->ssl = SSL_new(ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        c->rbio = c->wbio = NULL;
        fsql_conn_end(c, FSQL_END_RESET, "internal_error", "cannot create a TLS session");
        return -1;
    }
    SSL_set_bio(c->ssl, c->rbio, c->wbio); /* the SSL owns both BIOs from here */
    SSL_set_app_data(c->ssl, c); /* for tlsctx.c's ClientHello callback */
    SSL_set_accept_state(c->ssl);
    return 0;
}

static void drop_tls(struct fsql_conn *c)
{
    SSL_free(c->ssl); /* no close_notify: login-only mode drops TLS silently */
    c->ssl = NULL;
    c->rbio = c->wbio = NULL;
}

static void note_tls(struct fsql_conn *c)
{
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;

    snprintf(c->tls_version, sizeof(c->tls_version), "%s", SSL_get_version(c->ssl));
    snprintf(c->cipher, sizeof(c->cipher), "%s", SSL_get_cipher_name(c->ssl));
    SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
    if (alpn_len > 0 && alpn_len < sizeof(c->alpn)) {
        memcpy(c->alpn, alpn, alpn_len);
        c->alpn[alpn_len] = '\0';
    }
}

/* Ends a failed handshake the configured way; the log names OpenSSL's reason and, when the
 * certificate was refused at start-up, why. */
static void handshake_failed(struct fsql_conn *c)
{
    const struct fsql_tls *t = &c->srv->tls;
    enum fsql_fail_mode mode = c->srv->cfg->fail_mode;
    static const char *const ending[] = {
        [FSQL_FAIL_ALERT] = "a TLS alert",
        [FSQL_FAIL_RESET] = "a TCP reset",
        [FSQL_FAIL_CLOSE] = "a TCP FIN",
    };

    if (mode == FSQL_FAIL_ALERT) {
        flush_tls(c); /* OpenSSL's alert, wrapped like any other handshake bytes */
    }
    fsql_conn_end(c, mode == FSQL_FAIL_RESET ? FSQL_END_RESET : FSQL_END_FIN, "handshake_failed",
                  "%s%s%s; ended with %s", ossl_reason(), t->usable ? "" : "; ",
                  t->usable ? "" : t->why, ending[mode]);
    ERR_clear_error();
}

static void pump_plain(struct fsql_conn *c);

static void drive_handshake(struct fsql_conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        flush_tls(c);
        note_tls(c);
        c->handshake_done = true;
        c->state = FSQL_ST_SECURE;
        pump_plain(c); /* TLS 1.3 clients may send data right behind their Finished */
        return;
    }
    if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ) {
        if (flush_tls(c) > 0) {
            c->flight_sent = true;
        }
        if (c->flight_sent && c->srv->cfg->stall == FSQL_STALL_HANDSHAKE) {
            stall(c, "after the first server flight");
        }
        return;
    }
    handshake_failed(c);
}

/* ---- TDS messages ---- */

static void handle_login(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    struct fsql_login7 l;
    uint8_t tokens[1024];

    if (fsql_login7_parse(p, n, &l) != 0) {
        fsql_conn_end(c, FSQL_END_FIN, "protocol_error", "malformed LOGIN7 (%zu bytes)", n);
        return;
    }
    snprintf(c->user, sizeof(c->user), "%s", l.user_utf8);
    size_t len = fsql_login_failed_tokens(&l, c->srv->cfg->servername, tokens, sizeof(tokens));
    send_tds(c, TDS_PKT_REPLY, tokens, len);
    fsql_conn_end(c, FSQL_END_FIN, "login_failed", NULL);
}

static enum tds_srv_enc server_setting(const struct fsql_config *cfg)
{
    if (cfg->not_supported) {
        return TDS_SRV_ENC_NOT_SUP;
    }
    return cfg->forceencryption ? TDS_SRV_ENC_FORCED : TDS_SRV_ENC_OFF;
}

/* The PRELOGIN reply a real server builds: MARS and FEDAUTHREQUIRED only if asked (captured
 * replies: MARS only when the client sent it; SQL Server 2000 never returns it). */
static void send_prelogin_reply(struct fsql_conn *c, const struct tds_prelogin *pl, uint8_t enc)
{
    struct tds_prelogin_server s = {
        .version = c->srv->cfg->version,
        .encryption = enc,
        .send_mars = pl->has_mars,
        .send_fedauth = pl->has_fedauth,
    };
    uint8_t payload[128];
    size_t n = tds_prelogin_build_server(&s, payload, sizeof(payload));

    c->reply_enc = enc;
    send_tds(c, TDS_PKT_REPLY, payload, n);
}

static int parse_prelogin(struct fsql_conn *c, const uint8_t *p, size_t n,
                          struct tds_prelogin *pl)
{
    struct tds_error e;

    tds_error_clear(&e);
    if (tds_prelogin_parse(p, n, pl, &e) != TDS_ERR_OK) {
        /* MS-TDS 3.3.5.1: a malformed PRELOGIN closes the connection. */
        fsql_conn_end(c, FSQL_END_FIN, "bad_prelogin", "%s: %s", tds_err_name(e.code), e.detail);
        return -1;
    }
    c->client_enc = pl->has_encryption ? pl->encryption : TDS_ENC_OFF;
    return 0;
}

/* TDS 8.0: PRELOGIN inside TLS. Clients ignore its ENCRYPTION (SqlClient skips it), so the
 * table's answer is sent but never ends the connection; what SQL Server 2022 sends there is
 * not documented. */
static void strict_prelogin(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    struct tds_prelogin pl;

    if (parse_prelogin(c, p, n, &pl) != 0) {
        return;
    }
    if (c->srv->cfg->reset_after_prelogin) {
        fsql_conn_end(c, FSQL_END_RESET, "reset_after_prelogin", NULL);
        return;
    }
    if (c->srv->cfg->stall == FSQL_STALL_PRELOGIN) {
        stall(c, "after PRELOGIN");
        return;
    }
    c->got_prelogin = true;
    send_prelogin_reply(c, &pl, tds_enc_server_answer((uint8_t)c->client_enc,
                                                      server_setting(c->srv->cfg)).reply);
}

static void handle_message(struct fsql_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
    if (type == TDS_PKT_PRELOGIN && c->strict && !c->got_prelogin) {
        strict_prelogin(c, p, n);
    } else if (type == TDS_PKT_LOGIN7 && (!c->strict || c->got_prelogin)) {
        handle_login(c, p, n);
    } else {
        fsql_conn_end(c, FSQL_END_FIN, "protocol_error", "unexpected TDS message type 0x%02x",
                      type);
    }
}

/* Cleartext TDS (from the socket, or from TLS): whole messages to handle_message. */
static void tds_stream(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    while (c->state == FSQL_ST_SECURE || c->state == FSQL_ST_CLEAR) {
        size_t used;
        if (tds_reasm_feed(&c->reasm, p, n, &used) != TDS_ERR_OK) {
            fsql_conn_end(c, FSQL_END_FIN, "protocol_error", "%s", c->reasm.err.detail);
            return;
        }
        p += used;
        n -= used;
        if (!tds_reasm_packet_ready(&c->reasm)) {
            return;
        }
        if (c->login_only && c->ssl != NULL) {
            /* Only the first LOGIN7 packet travels in TLS (SqlClient: "a hard-coded agreement
             * between client and server"); the rest, and our reply, are cleartext. */
            drop_tls(c);
            c->state = FSQL_ST_CLEAR;
        }
        if (tds_reasm_message_ready(&c->reasm)) {
            uint8_t type;
            size_t len;
            const uint8_t *msg = tds_reasm_message(&c->reasm, &type, &len);
            handle_message(c, type, msg, len);
        }
        tds_reasm_next(&c->reasm);
    }
}

static void pump_plain(struct fsql_conn *c)
{
    uint8_t plain[16384];

    while (c->state == FSQL_ST_SECURE && c->ssl != NULL) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, plain, sizeof(plain));
        if (r > 0) {
            tds_stream(c, plain, (size_t)r);
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ) {
            flush_tls(c);
        } else if (e == SSL_ERROR_ZERO_RETURN) {
            fsql_conn_end(c, FSQL_END_FIN, c->user[0] ? "client_closed" : "handshake_only",
                          "client sent close_notify");
        } else {
            fsql_conn_end(c, FSQL_END_FIN, "protocol_error", "TLS: %s", ossl_reason());
        }
        return;
    }
}

/* ---- state handlers: each returns the bytes it consumed ---- */

static size_t on_first(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    const struct fsql_config *cfg = c->srv->cfg;
    const struct fsql_tls *t = &c->srv->tls;

    if (cfg->nontds_reply != NULL) {
        fsql_conn_write(c, cfg->nontds_reply, cfg->nontds_reply_len);
        fsql_conn_end(c, FSQL_END_FIN, "nontds_reply", NULL);
        return n;
    }
    if (p[0] == 0x16) { /* a TLS handshake record: TDS 8.0 (MS-TDS 3.3.5.1) */
        c->strict = true;
        if (cfg->strict == FSQL_STRICT_OFF) {
            c->state = FSQL_ST_PRE2022;
            return 0;
        } else if (t->tds8 == NULL || t->fallback) {
            fprintf(stderr, "fakesql: Error: 17821, Severity: 20, State: 1. %s\n", msg_17821);
            fsql_conn_end(c, FSQL_END_FIN, "strict_refused", "error 17821: %s", msg_17821);
        } else if (new_ssl(c, t->tds8) == 0) {
            c->state = FSQL_ST_TLS_RAW;
            return 0;
        }
        return n;
    }
    if (p[0] == TDS_PKT_PRELOGIN && cfg->strict != FSQL_STRICT_FORCE) {
        c->state = FSQL_ST_PRELOGIN;
        return 0;
    }
    if (p[0] == TDS_PKT_PRELOGIN) {
        fsql_conn_end(c, cfg->fail_mode == FSQL_FAIL_RESET ? FSQL_END_RESET : FSQL_END_FIN,
                      "tds7_refused", "plain PRELOGIN; strict = force");
    } else {
        fsql_conn_end(c, FSQL_END_FIN, "not_tds", "first byte 0x%02x", p[0]);
    }
    return n;
}

/* A server without TDS 8.0 reads the ClientHello as a TDS packet header (MS-TDS 2.2.3.1: the
 * length is bytes 2-3, big-endian), so what it does depends on the record header's version:
 * 16 03 01 LL LL ("TDS length" 0x01LL, about 257, as OpenSSL, Schannel, Go and GnuTLS write
 * it) is shorter than the 316-381-byte ClientHello, so a whole bogus packet of type 0x16 has
 * arrived and the server resets the connection at once; 16 03 03 LL LL (0x03LL, about 769: an
 * mbedTLS client with TLS 1.2 as its minimum) makes it wait for bytes that never come. Observed
 * against SQL Server 2019: tedious (OpenSSL) gets ECONNRESET at once, an 0x0303 ClientHello
 * waits for the client's timeout. */
static size_t on_pre2022(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++, c->pre_have++) {
        if (c->pre_have == 2 || c->pre_have == 3) {
            c->pre_len[c->pre_have - 2] = p[i];
        }
    }
    size_t want = (size_t)c->pre_len[0] << 8 | c->pre_len[1];
    if (c->pre_have >= 4 && c->pre_have >= want) {
        fsql_conn_end(c, FSQL_END_RESET, "tds8_refused",
                      "TLS ClientHello as first bytes, read as a TDS packet of %zu bytes; "
                      "strict = 0 (pre-2022 server)", want);
    }
    return n;
}

static void send_canned(struct fsql_conn *c)
{
    const struct fsql_config *cfg = c->srv->cfg;
    struct tds_prelogin pl;
    struct tds_error e;

    fsql_conn_write(c, cfg->prelogin_hex, cfg->prelogin_hex_len);
    tds_error_clear(&e);
    if (cfg->prelogin_hex_len > TDS_HEADER_LEN &&
        tds_prelogin_parse(cfg->prelogin_hex + TDS_HEADER_LEN,
                           cfg->prelogin_hex_len - TDS_HEADER_LEN, &pl, &e) == TDS_ERR_OK &&
        pl.has_encryption) {
        c->reply_enc = pl.encryption;
    }
    /* Whatever the canned bytes said, follow the client: TLS or a cleartext LOGIN7. A canned
     * OFF is a server that believes encryption is off: MS-TDS 2.2.6.5 gives it login-only TLS
     * (its OFF answer goes with the client's OFF; to an ON client it is a rewritten reply, and
     * the server side still thinks OFF). */
    c->allow_tls = c->allow_clear = true;
    c->login_only = c->reply_enc == TDS_ENC_OFF;
    c->state = FSQL_ST_AFTER_PL;
}

static void handle_prelogin(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    const struct fsql_config *cfg = c->srv->cfg;
    struct tds_prelogin pl;

    if (parse_prelogin(c, p, n, &pl) != 0) {
        return;
    }
    if (cfg->reset_after_prelogin) {
        fsql_conn_end(c, FSQL_END_RESET, "reset_after_prelogin", NULL);
        return;
    }
    if (cfg->stall == FSQL_STALL_PRELOGIN) {
        stall(c, "after PRELOGIN");
        return;
    }
    if (cfg->prelogin_hex != NULL) {
        send_canned(c);
        return;
    }
    struct tds_enc_answer a = tds_enc_server_answer((uint8_t)c->client_enc, server_setting(cfg));
    send_prelogin_reply(c, &pl, a.reply);
    /* MS-TDS 2.2.6.5: a client that asked for encryption (ON/REQ) and hears NOT_SUP is to be
     * disconnected, and SQL Server closes. A non-Microsoft TDS endpoint, or a machine in the
     * middle that rewrote the reply to NOT_SUP, reads on instead: the client's next message is
     * its LOGIN7, in cleartext. encryption_mismatch = read_login plays that other end. */
    if (a.terminate && a.reply == TDS_ENC_NOT_SUP && cfg->not_sup_reads_login) {
        a.terminate = false;
    }
    if (a.terminate) {
        fsql_conn_end(c, FSQL_END_FIN, "terminated", "client %s, server %s: no agreement",
                      tds_enc_name((uint8_t)c->client_enc), tds_enc_name(a.reply));
        return;
    }
    c->allow_clear = a.reply == TDS_ENC_NOT_SUP;
    c->allow_tls = !c->allow_clear;
    /* MS-TDS 2.2.6.5: OFF answered with OFF encrypts the LOGIN7 packet only */
    c->login_only = a.reply == TDS_ENC_OFF;
    c->state = FSQL_ST_AFTER_PL;
}

static size_t on_prelogin(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    struct tds_header h;
    size_t used;

    if (tds_reasm_feed(&c->reasm, p, n, &used) != TDS_ERR_OK) {
        fsql_conn_end(c, FSQL_END_FIN, "bad_prelogin", "%s", c->reasm.err.detail);
        return n;
    }
    if (!tds_reasm_packet_ready(&c->reasm)) {
        return used;
    }
    tds_reasm_packet(&c->reasm, &h, NULL);
    if (h.type != TDS_PKT_PRELOGIN) {
        fsql_conn_end(c, FSQL_END_FIN, "bad_prelogin",
                      "packet type 0x%02x inside the PRELOGIN message", h.type);
        return n;
    }
    if (tds_reasm_message_ready(&c->reasm)) {
        size_t len;
        const uint8_t *msg = tds_reasm_message(&c->reasm, NULL, &len);
        handle_prelogin(c, msg, len);
    }
    tds_reasm_next(&c->reasm);
    return used;
}

static size_t on_after_prelogin(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    const struct fsql_tls *t = &c->srv->tls;

    if (p[0] == TDS_PKT_PRELOGIN && c->allow_tls) {
        if (new_ssl(c, t->tds7) == 0) {
            c->state = FSQL_ST_TLS_IN_TDS;
        }
        return 0;
    }
    if (p[0] == TDS_PKT_LOGIN7 && c->allow_clear) {
        c->state = FSQL_ST_CLEAR;
        return 0;
    }
    fsql_conn_end(c, FSQL_END_FIN, "protocol_error",
                  "packet type 0x%02x after a PRELOGIN reply of %s", p[0],
                  c->reply_enc >= 0 ? tds_enc_name((uint8_t)c->reply_enc) : "unknown");
    return n;
}

static size_t on_tls_in_tds(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    struct tds_header h;
    size_t used, len;

    if (tds_reasm_feed(&c->reasm, p, n, &used) != TDS_ERR_OK) {
        fsql_conn_end(c, FSQL_END_FIN, "protocol_error", "%s", c->reasm.err.detail);
        return n;
    }
    if (!tds_reasm_packet_ready(&c->reasm)) {
        return used;
    }
    const uint8_t *payload = tds_reasm_packet(&c->reasm, &h, &len);
    if (h.type != TDS_PKT_PRELOGIN) {
        fsql_conn_end(c, FSQL_END_FIN, "protocol_error",
                      "packet type 0x%02x during the TLS handshake", h.type);
        return n;
    }
    if (c->srv->cfg->stall == FSQL_STALL_CLIENTHELLO) {
        stall(c, "with the ClientHello unanswered");
        return n;
    }
    BIO_write(c->rbio, payload, (int)len);
    tds_reasm_discard(&c->reasm); /* handshake bytes are a stream: keep no message */
    tds_reasm_next(&c->reasm);
    drive_handshake(c);
    return used;
}

static size_t on_tls_raw(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    if (c->state == FSQL_ST_TLS_RAW && c->srv->cfg->stall == FSQL_STALL_CLIENTHELLO) {
        stall(c, "with the ClientHello unanswered");
        return n;
    }
    BIO_write(c->rbio, p, (int)n);
    if (BIO_ctrl_pending(c->rbio) > MAX_TLS_BACKLOG) {
        fsql_conn_end(c, FSQL_END_FIN, "protocol_error", "client sent too much unprocessed TLS");
    } else if (c->state == FSQL_ST_TLS_RAW) {
        drive_handshake(c);
    } else {
        pump_plain(c);
    }
    return n;
}

/* Login-only mode: feed TLS one record at a time, so the cleartext that follows the first
 * LOGIN7 packet never lands in OpenSSL's input. */
static size_t on_secure_records(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    size_t used = 0;

    while (used < n && c->state == FSQL_ST_SECURE) {
        if (c->rec_hdr_have < sizeof(c->rec_hdr)) {
            c->rec_hdr[c->rec_hdr_have++] = p[used++];
            if (c->rec_hdr_have < sizeof(c->rec_hdr)) {
                continue;
            }
            c->rec_left = (size_t)c->rec_hdr[3] << 8 | c->rec_hdr[4];
            if (c->rec_left > MAX_TLS_RECORD) {
                fsql_conn_end(c, FSQL_END_FIN, "protocol_error",
                              "TLS record of %zu bytes after the handshake", c->rec_left);
                return n;
            }
            BIO_write(c->rbio, c->rec_hdr, (int)sizeof(c->rec_hdr));
        } else {
            size_t k = n - used < c->rec_left ? n - used : c->rec_left;
            BIO_write(c->rbio, p + used, (int)k);
            used += k;
            c->rec_left -= k;
        }
        if (c->rec_left == 0) {
            c->rec_hdr_have = 0;
            pump_plain(c);
        }
    }
    return used;
}

static size_t on_secure(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    if (c->login_only) {
        return on_secure_records(c, p, n);
    }
    return on_tls_raw(c, p, n);
}

static size_t on_clear(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    tds_stream(c, p, n);
    return n;
}

static size_t step(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    switch (c->state) {
    case FSQL_ST_FIRST:
        return on_first(c, p, n);
    case FSQL_ST_PRELOGIN:
        return on_prelogin(c, p, n);
    case FSQL_ST_AFTER_PL:
        return on_after_prelogin(c, p, n);
    case FSQL_ST_TLS_IN_TDS:
        return on_tls_in_tds(c, p, n);
    case FSQL_ST_TLS_RAW:
    case FSQL_ST_SECURE:
        return c->state == FSQL_ST_SECURE ? on_secure(c, p, n) : on_tls_raw(c, p, n);
    case FSQL_ST_PRE2022:
        return on_pre2022(c, p, n);
    case FSQL_ST_CLEAR:
        return on_clear(c, p, n);
    default: /* stalled, draining, closed: read and discard */
        return n;
    }
}

void fsql_session_input(struct fsql_conn *c, const uint8_t *p, size_t n)
{
    while (n > 0 && c->state != FSQL_ST_CLOSED && c->state != FSQL_ST_DRAINING) {
        enum fsql_state before = c->state;
        size_t used = step(c, p, n);
        p += used;
        n -= used;
        if (used == 0 && c->state == before) {
            break; /* a handler that neither consumes nor moves on: wait for more bytes */
        }
    }
}

void fsql_session_start(struct fsql_conn *c)
{
    const struct fsql_config *cfg = c->srv->cfg;

    tds_reasm_init(&c->reasm, MAX_MESSAGE);
    c->packet_id = 1;
    c->state = FSQL_ST_FIRST;
    if (cfg->banner != NULL) {
        fsql_conn_write(c, cfg->banner, cfg->banner_len);
    }
    if (cfg->stall == FSQL_STALL_ACCEPT) {
        stall(c, "after accept");
    }
}

void fsql_session_free(struct fsql_conn *c)
{
    SSL_free(c->ssl);
    c->ssl = NULL;
    tds_reasm_free(&c->reasm);
}
