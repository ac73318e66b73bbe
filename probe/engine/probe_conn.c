/* probe/engine/probe_conn.c: PRELOGIN and the TLS-in-TDS handshake for one connection.
 * Wire rules (notes/tds-protocol.md §9): our packets are at most 4096 bytes, EOM only on the
 * last packet of a flight; server packets of type 0x12 or 0x04 are accepted and their payloads
 * read as one byte stream, because EOM is not trusted to align with TLS records. */
#include "probe/engine/probe_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"
#include "tds/tds_packet.h"

/* Bound on buffered server bytes: the PRELOGIN reply, or during the handshake one packet's
 * payload (at most 32,760) at a time. */
#define RX_MESSAGE_MAX (64u * 1024u)

struct probe_conn {
    struct probe_conn_opts o;
    struct probe_facts *res;
    enum probe_conn_phase phase;
    struct tds_reasm rx;
    struct tls_session *tls;
    bool handshake_ok;
    bool saw_packet;     /* at least one well-formed TDS header arrived */
    uint8_t *reply;      /* owned copy of the PRELOGIN reply payload (res->prelogin views) */
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    bool strict;         /* TDS 8.0: TLS first on the raw socket, PRELOGIN inside TLS */
    uint8_t *t13;        /* tls13_probe mode: every byte the server sent so far */
    size_t t13_len;
    bool t13_done;
    struct tls13_probe_result t13r;
};

static int out_reserve(struct probe_conn *c, size_t more)
{
    if (more <= c->out_cap - c->out_len)
        return 0;
    size_t cap = c->out_cap ? c->out_cap : 1024;
    while (cap - c->out_len < more)
        cap *= 2;
    uint8_t *p = realloc(c->out, cap);
    if (!p)
        return -1;
    c->out = p;
    c->out_cap = cap;
    return 0;
}

/* Appends payload as TDS packets of `type`. Our packet id starts at 1 (as SqlClient's PRELOGIN). */
static int send_packets(struct probe_conn *c, uint8_t type, const uint8_t *p, size_t n)
{
    size_t need = tds_packetized_size(n, c->o.max_packet);
    uint8_t id = 1;

    if (out_reserve(c, need))
        return -1;
    size_t w = tds_packetize(type, p, n, c->o.max_packet, &id, c->out + c->out_len, need);
    if (w == 0)
        return -1;
    c->out_len += w;
    return 0;
}

static void finish(struct probe_conn *c)
{
    if (c->phase == PROBE_CONN_DONE)
        return;
    c->phase = PROBE_CONN_DONE;
    if (c->tls)
        c->res->tls = tls_session_info(c->tls);
}

/* Runs the TLS session as far as it goes and wraps whatever it wrote into 0x12 packets. */
static void tls_pump(struct probe_conn *c)
{
    enum tls_step st = tls_session_step(c->tls);
    size_t n;
    const uint8_t *p = tls_session_out(c->tls, &n);

    if (n > 0) {
        if (send_packets(c, TDS_PKT_PRELOGIN, p, n) == 0)
            tls_session_out_ack(c->tls, n);
    }
    if (st == TLS_STEP_DONE)
        c->handshake_ok = true;
    if (st != TLS_STEP_WANT_INPUT)
        finish(c);
}

static int start_tls(struct probe_conn *c)
{
    char err[160];
    const char *sni = probe_host_is_ip(c->o.host) ? NULL : c->o.host;

    if (tls_session_new(&c->tls, c->o.tls, sni, err, sizeof(err)) != 0) {
        tds_error_set(&c->res->tds_err, TDS_ERR_NO_SPACE, 0, -1, "TLS session: %s", err);
        return -1;
    }
    c->phase = PROBE_CONN_HANDSHAKE;
    tls_pump(c);
    return 0;
}

/* ---- TDS 8.0 strict: TLS records travel raw; PRELOGIN and its reply travel inside TLS ---- */

static void raw_out(struct probe_conn *c)
{
    size_t n;
    const uint8_t *p = tls_session_out(c->tls, &n);

    if (n > 0 && out_reserve(c, n) == 0) {
        memcpy(c->out + c->out_len, p, n);
        c->out_len += n;
        tls_session_out_ack(c->tls, n);
    }
}

/* The server never got as far as a ServerHello: it closed, reset, or answered with something
 * that is not TLS. That is how a server without TDS 8.0 treats a ClientHello (and how SQL
 * Server 2022 without a usable certificate refuses it, error 17821). */
static bool strict_refused(const struct probe_conn *c)
{
    const struct tls_info *ti = tls_session_info(c->tls);

    return ti->stage <= TLS_STAGE_CLIENT_HELLO_SENT;
}

static void on_prelogin_reply(struct probe_conn *c, const uint8_t *msg, size_t len);

static void strict_send_prelogin(struct probe_conn *c)
{
    struct tds_prelogin_client pc = {
        .version = { .major = 16 },
        .encryption = TDS_ENC_NOT_SUP, /* meaningless inside TLS; SqlClient sends NOT_SUP */
        .instance = c->o.instance,
        .threadid = (uint32_t)getpid(),
        .send_mars = true,
    };
    uint8_t payload[256], pkt[512];
    uint8_t id = 1;
    size_t n = tds_prelogin_build_client(&pc, payload, sizeof(payload));
    size_t w = n ? tds_packetize(TDS_PKT_PRELOGIN, payload, n, c->o.max_packet, &id, pkt,
                                 sizeof(pkt)) : 0;

    c->res->sent_encryption = pc.encryption;
    if (w == 0 || tls_session_write(c->tls, pkt, w) != 0) {
        finish(c);
        return;
    }
    raw_out(c);
    c->phase = PROBE_CONN_PRELOGIN;
}

/* Decrypted bytes of the PRELOGIN reply, through the same reassembly as TDS 7.x. */
static void strict_take_plain(struct probe_conn *c, const uint8_t *p, size_t n)
{
    while (n > 0 && c->phase == PROBE_CONN_PRELOGIN) {
        size_t used = 0;
        if (tds_reasm_feed(&c->rx, p, n, &used) != TDS_ERR_OK) {
            c->res->tds_err = c->rx.err;
            finish(c);
            return;
        }
        p += used;
        n -= used;
        if (tds_reasm_packet_ready(&c->rx)) {
            uint8_t type;
            size_t mlen;
            const uint8_t *msg = tds_reasm_message(&c->rx, &type, &mlen);
            if (msg)
                on_prelogin_reply(c, msg, mlen);
            tds_reasm_next(&c->rx);
        }
    }
}

static void strict_pump(struct probe_conn *c)
{
    if (c->phase == PROBE_CONN_HANDSHAKE) {
        enum tls_step st = tls_session_step(c->tls);
        raw_out(c);
        if (st == TLS_STEP_WANT_INPUT)
            return;
        if (st == TLS_STEP_FAILED) {
            c->res->strict_refused = strict_refused(c);
            finish(c);
            return;
        }
        c->handshake_ok = true;
        strict_send_prelogin(c);
    }
    while (c->phase == PROBE_CONN_PRELOGIN) {
        uint8_t buf[4096];
        size_t got = 0;
        if (tls_session_read(c->tls, buf, sizeof(buf), &got) != 0) {
            c->res->server_closed_after_prelogin = true;
            finish(c);
            return;
        }
        raw_out(c);
        if (got == 0)
            return;
        strict_take_plain(c, buf, got);
    }
}

static void strict_start(struct probe_conn *c)
{
    char err[160];
    const char *sni = probe_host_is_ip(c->o.host) ? NULL : c->o.host;

    if (tls_session_new(&c->tls, c->o.tls, sni, err, sizeof(err)) != 0) {
        tds_error_set(&c->res->tds_err, TDS_ERR_NO_SPACE, 0, -1, "TLS session: %s", err);
        finish(c);
        return;
    }
    c->phase = PROBE_CONN_HANDSHAKE;
    strict_pump(c);
}

static void describe_not_tds(struct probe_conn *c, const uint8_t *p, size_t n)
{
    char hex[3 * 8 + 1] = "";
    size_t k = n < 8 ? n : 8;

    for (size_t i = 0; i < k; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", p[i]);
    c->res->not_tds = true;
    tds_error_set(&c->res->tds_err, TDS_ERR_TRUNCATED, 0, -1,
                  "the reply starts with %s- %s", hex,
                  p[0] == 0x16 ? "a TLS record: the server wants TLS first (TDS 8.0 strict)"
                               : "not a TDS packet header (type 0x04)");
}

static void on_prelogin_reply(struct probe_conn *c, const uint8_t *msg, size_t len)
{
    struct probe_facts *r = c->res;

    c->reply = malloc(len ? len : 1);
    if (!c->reply) {
        finish(c);
        return;
    }
    memcpy(c->reply, msg, len);
    if (tds_prelogin_parse(c->reply, len, &r->prelogin, &r->tds_err) != TDS_ERR_OK) {
        finish(c);
        return;
    }
    r->got_prelogin = true;
    tds_version_format(&r->prelogin.version, r->server_version, sizeof(r->server_version));
    tds_product_name(&r->prelogin.version, r->server_product, sizeof(r->server_product));
    uint8_t reply = r->prelogin.has_encryption ? r->prelogin.encryption : TDS_ENC_NOT_SUP;
    r->scope = probe_client_scope(c->o.client, reply, &r->validates);
    if (c->strict) { /* TLS already ran; the reply's ENCRYPTION is meaningless inside it */
        finish(c);
        return;
    }
    if (r->scope == TDS_TLS_NONE || r->scope == TDS_TLS_TERMINATE) {
        finish(c);
        return;
    }
    if (start_tls(c) != 0)
        finish(c);
}

/* Reads packets; returns false when the connection is finished. */
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
        if (msg)
            on_prelogin_reply(c, msg, mlen);
    } else if (c->phase == PROBE_CONN_HANDSHAKE) {
        if (tls_session_feed(c->tls, payload, len) != 0) {
            tls_session_peer_closed(c->tls, false);
        }
        tds_reasm_discard(&c->rx);
        tls_pump(c);
    }
    tds_reasm_next(&c->rx);
    return c->phase != PROBE_CONN_DONE;
}

/* ---- TLS 1.3 probe: one hand-built ClientHello, then read up to the ServerHello ---- */

/* A full answer never needs more than a ServerHello record plus headers (tls13_probe.h). */
#define T13_MAX (5u + 16384u + 64u)

static void t13_start(struct probe_conn *c)
{
    uint8_t random[32], pub[32];
    const char *sni = probe_host_is_ip(c->o.host) ? NULL : c->o.host;

    c->t13 = malloc(T13_MAX);
    if (!c->t13 || out_reserve(c, TLS13_CLIENT_HELLO_MAX) != 0 ||
        tls13_probe_keys(random, pub) != 0) {
        finish(c);
        return;
    }
    size_t n = tls13_probe_client_hello(c->out + c->out_len, TLS13_CLIENT_HELLO_MAX, sni,
                                        "tds/8.0", random, pub);
    c->out_len += n;
    c->phase = n ? PROBE_CONN_HANDSHAKE : PROBE_CONN_DONE;
}

static void t13_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    size_t take = n < T13_MAX - c->t13_len ? n : T13_MAX - c->t13_len;

    memcpy(c->t13 + c->t13_len, p, take);
    c->t13_len += take;
    int st = tls13_probe_parse(c->t13, c->t13_len, &c->t13r);
    if (st != TLS13_NEED_MORE || c->t13_len == T13_MAX) {
        c->t13_done = st == TLS13_DONE;
        finish(c);
    }
}

const struct tls13_probe_result *probe_conn_tls13(const struct probe_conn *c)
{
    return c->t13_done ? &c->t13r : NULL;
}

void probe_conn_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (c->o.tls13_probe) {
        if (c->phase == PROBE_CONN_HANDSHAKE)
            t13_feed(c, p, n);
        return;
    }
    if (c->strict) {
        if (c->phase == PROBE_CONN_DONE)
            return;
        if (tls_session_feed(c->tls, p, n) != 0)
            tls_session_peer_closed(c->tls, false);
        strict_pump(c);
        return;
    }
    if (c->phase == PROBE_CONN_PRELOGIN && !c->saw_packet && c->rx.hdr_have == 0 && n > 0 &&
        p[0] != TDS_PKT_REPLY && p[0] != TDS_PKT_PRELOGIN) {
        describe_not_tds(c, p, n);
        finish(c);
        return;
    }
    while (n > 0 && c->phase != PROBE_CONN_DONE) {
        size_t used = 0;
        if (tds_reasm_feed(&c->rx, p, n, &used) != TDS_ERR_OK) {
            if (!c->saw_packet)
                describe_not_tds(c, p, n);
            else
                c->res->tds_err = c->rx.err;
            if (c->tls)
                tls_session_peer_closed(c->tls, false);
            finish(c);
            return;
        }
        p += used;
        n -= used;
        if (tds_reasm_packet_ready(&c->rx) && !take_packet(c))
            return;
    }
}

void probe_conn_closed(struct probe_conn *c, bool reset)
{
    if (c->o.tls13_probe) {
        c->res->server_reset = reset;
        finish(c);
        return;
    }
    if (c->strict && c->phase != PROBE_CONN_DONE) {
        c->res->server_reset = reset;
        tls_session_peer_closed(c->tls, reset);
        strict_pump(c);
        finish(c);
        return;
    }
    if (c->phase == PROBE_CONN_PRELOGIN) {
        c->res->server_closed_after_prelogin = true;
        c->res->server_reset = reset;
        finish(c);
    } else if (c->phase == PROBE_CONN_HANDSHAKE) {
        c->res->server_reset = reset;
        tls_session_peer_closed(c->tls, reset);
        tls_pump(c);
        finish(c);
    }
}

void probe_conn_abort(struct probe_conn *c)
{
    finish(c);
}

void probe_conn_start(struct probe_conn *c)
{
    struct tds_prelogin_client pc = {
        .version = { .major = 16, .minor = 0, .build = 0, .subbuild = 0 },
        .encryption = probe_client_encryption_byte(c->o.client),
        .instance = c->o.instance,
        .threadid = (uint32_t)getpid(),
        .send_mars = true,
        .mars = 0,
    };
    uint8_t buf[256];

    if (c->o.tls13_probe) {
        t13_start(c);
        return;
    }
    if (c->strict) {
        strict_start(c);
        return;
    }
    size_t n = tds_prelogin_build_client(&pc, buf, sizeof(buf));

    c->res->sent_encryption = pc.encryption;
    if (n == 0 || send_packets(c, TDS_PKT_PRELOGIN, buf, n) != 0)
        finish(c);
}

int probe_conn_new(struct probe_conn **out, const struct probe_conn_opts *o,
                   struct probe_facts *res)
{
    struct probe_conn *c = calloc(1, sizeof(*c));

    if (!c)
        return -1;
    c->o = *o;
    if (c->o.max_packet == 0)
        c->o.max_packet = TDS_DEFAULT_PACKET;
    c->res = res;
    c->phase = PROBE_CONN_PRELOGIN;
    tds_reasm_init(&c->rx, RX_MESSAGE_MAX);
    c->strict = o->client->encrypt == PROBE_ENCRYPT_STRICT;
    *out = c;
    return 0;
}

void probe_conn_free(struct probe_conn *c)
{
    if (!c)
        return;
    tds_reasm_free(&c->rx);
    tls_session_free(c->tls);
    free(c->t13);
    free(c->reply);
    free(c->out);
    free(c);
}

const uint8_t *probe_conn_out(const struct probe_conn *c, size_t *len)
{
    *len = c->out_len;
    return c->out;
}

void probe_conn_out_ack(struct probe_conn *c, size_t n)
{
    if (n >= c->out_len) {
        c->out_len = 0;
        return;
    }
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
}

enum probe_conn_phase probe_conn_phase(const struct probe_conn *c)
{
    return c->phase;
}

bool probe_conn_handshake_ok(const struct probe_conn *c)
{
    return c->handshake_ok;
}
