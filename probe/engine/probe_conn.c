/* probe/engine/probe_conn.c: the connection object the three modes share (probe_conn_int.h):
 * construction, the output buffer, the one PRELOGIN request builder, the one TLS session
 * constructor and the PRELOGIN reply's parse. */
#include "probe/engine/probe_conn_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"
#include "tls/tls13_client.h"
#include "tls/tls_session.h"

/* Bound on buffered server bytes: the PRELOGIN reply, or during the handshake one packet's
 * payload (at most 32,760) at a time. */
#define RX_MESSAGE_MAX (64u * 1024u)

int probe_conn_out_reserve(struct probe_conn *c, size_t more)
{
    if (more <= c->out_cap - c->out_len) {
        return 0;
    }
    size_t cap = c->out_cap ? c->out_cap : 1024;
    while (cap - c->out_len < more) {
        cap *= 2;
    }
    uint8_t *p = realloc(c->out, cap);
    if (!p) {
        return -1;
    }
    c->out = p;
    c->out_cap = cap;
    return 0;
}

int probe_conn_out_append(struct probe_conn *c, const uint8_t *p, size_t n)
{
    if (probe_conn_out_reserve(c, n) != 0) {
        return -1;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

void probe_conn_finish(struct probe_conn *c)
{
    if (c->phase == PROBE_CONN_DONE) {
        return;
    }
    c->phase = PROBE_CONN_DONE;
    if (c->tls) {
        c->res->tls = tls_session_info(c->tls);
    } else if (c->t13c) {
        c->res->tls = tls13_client_info(c->t13c);
    }
}

/* PRELOGIN's THREADID is the client's process id (MS-TDS 2.2.6.5), the same for every probe:
 * asked once, not one getpid() system call per probe. */
static uint32_t client_pid(void)
{
    static atomic_uint_least32_t pid;
    uint32_t p = atomic_load_explicit(&pid, memory_order_relaxed);

    if (p == 0) {
        p = (uint32_t)getpid();
        atomic_store_explicit(&pid, p, memory_order_relaxed);
    }
    return p;
}

size_t probe_conn_prelogin_request(struct probe_conn *c, uint8_t encryption, uint8_t *out,
                                   size_t cap)
{
    struct tds_prelogin_client pc = {
        .version = { .major = 16 },
        .encryption = encryption,
        .instance = c->o.instance,
        .threadid = client_pid(),
        .send_mars = true,
        .mars = 0,
    };
    uint8_t payload[256];
    uint8_t id = 1;
    size_t n = tds_prelogin_build_client(&pc, payload, sizeof(payload));

    c->res->sent_encryption = encryption;
    return n ? tds_packetize(TDS_PKT_PRELOGIN, payload, n, c->o.max_packet, &id, out, cap) : 0;
}

void probe_conn_not_tds(struct probe_conn *c, const uint8_t *p, size_t n)
{
    char hex[3 * 8 + 1] = "";
    char text[8 * 4 + 1] = "";
    size_t k = n < 8 ? n : 8, t = 0;

    for (size_t i = 0; i < k; i++) {
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", p[i]);
    }
    for (size_t i = 0; i < n && i < 24 && p[i] >= 0x20 && p[i] < 0x7f; i++) {
        text[t++] = (char)p[i];
    }
    text[t] = '\0';
    c->res->not_tds = true;
    tds_error_set(&c->res->tds_err, TDS_ERR_TRUNCATED, 0, -1,
                  "the reply starts with %s- %s%s%s%s", hex,
                  p[0] == 0x16 ? "a TLS record: the server wants TLS first (TDS 8.0 strict)"
                               : "not a TDS packet header (type 0x04)",
                  t >= 3 ? " (text: \"" : "", t >= 3 ? text : "", t >= 3 ? "\")" : "");
}

bool probe_conn_tls_begin(struct probe_conn *c)
{
    char err[160];
    const char *sni = probe_host_is_ip(c->o.host) ? NULL : c->o.host;

    if (tls_session_new(&c->tls, c->o.tls, sni, err, sizeof(err)) != 0) {
        tds_error_set(&c->res->tds_err, TDS_ERR_NO_SPACE, 0, -1, "TLS session: %s", err);
        probe_conn_finish(c);
        return false;
    }
    c->phase = PROBE_CONN_HANDSHAKE;
    return true;
}

bool probe_conn_take_reply(struct probe_conn *c, const uint8_t *msg, size_t len)
{
    struct probe_facts *r = c->res;

    c->reply = malloc(len ? len : 1);
    if (!c->reply) {
        probe_conn_finish(c);
        return false;
    }
    memcpy(c->reply, msg, len);
    if (tds_prelogin_parse(c->reply, len, &r->prelogin, &r->tds_err) != TDS_ERR_OK) {
        probe_conn_finish(c);
        return false;
    }
    r->got_prelogin = true;
    tds_version_format(&r->prelogin.version, r->server_version, sizeof(r->server_version));
    tds_product_name(&r->prelogin.version, r->server_product, sizeof(r->server_product));
    uint8_t reply = r->prelogin.has_encryption ? r->prelogin.encryption : TDS_ENC_NOT_SUP;
    r->scope = probe_client_scope(c->o.client, reply, &r->validates);
    return true;
}

int probe_conn_new(struct probe_conn **out, const struct probe_conn_opts *o,
                   struct probe_facts *res)
{
    struct probe_conn *c = calloc(1, sizeof(*c));

    if (!c) {
        return -1;
    }
    c->o = *o;
    if (c->o.max_packet == 0) {
        c->o.max_packet = TDS_DEFAULT_PACKET;
    }
    c->res = res;
    c->phase = PROBE_CONN_PRELOGIN;
    tds_reasm_init(&c->rx, RX_MESSAGE_MAX);
    if (o->tls13_probe) {
        c->ops = &probe_conn_tls13_ops;
    } else if (o->strict_tls13) {
        c->ops = &probe_conn_strict13_ops;
    } else if (o->client->encrypt == PROBE_ENCRYPT_STRICT) {
        c->ops = &probe_conn_strict_ops;
    } else {
        c->ops = &probe_conn_tds7_ops;
    }
    *out = c;
    return 0;
}

void probe_conn_free(struct probe_conn *c)
{
    if (!c) {
        return;
    }
    tds_reasm_free(&c->rx);
    tls_session_free(c->tls);
    tls13_client_free(c->t13c);
    free(c->t13);
    free(c->reply);
    free(c->out);
    free(c);
}

void probe_conn_start(struct probe_conn *c)
{
    c->ops->start(c);
}

void probe_conn_feed(struct probe_conn *c, const uint8_t *p, size_t n)
{
    c->ops->feed(c, p, n);
}

void probe_conn_closed(struct probe_conn *c, bool reset)
{
    c->ops->closed(c, reset);
}

void probe_conn_abort(struct probe_conn *c)
{
    probe_conn_finish(c);
}

const uint8_t *probe_conn_out(const struct probe_conn *c, size_t *len)
{
    *len = c->out_len;
    return c->out;
}

void probe_conn_out_ack(struct probe_conn *c, size_t n)
{
    if (n >= c->out_len) { /* all sent: a probe waiting for the server holds no output buffer */
        free(c->out);
        c->out = NULL;
        c->out_len = c->out_cap = 0;
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

bool probe_conn_ends_at_handshake(const struct probe_conn *c)
{
    return c->ops == &probe_conn_strict13_ops || c->ops == &probe_conn_tls13_ops;
}
