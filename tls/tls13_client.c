/* tls/tls13_client.c: the TLS 1.3 client's public face and its record layer in (RFC 8446 5:
 * plaintext records until the ServerHello, protected ones after it). The parts: the handshake
 * messages in tls13_flight.c, the ClientHello builder in tls13_probe.c, the key schedule and
 * ECDHE in tls13_keysched.c, record protection in tls13_record.c, the server's message parsers
 * in tls13_hs.c. */
#include "tls/tls13_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "tls/tls13_client_int.h"

int tls13__fail(struct tls13_client *c, const char *what)
{
    snprintf(c->info.error_text, sizeof(c->info.error_text), "%s", what);
    c->st = ST_FAILED;
    return -1;
}

int tls13__refuse(struct tls13_client *c, const char *why)
{
    c->info.local_reject = true;
    return tls13__fail(c, why);
}

/* ---- records ---- */

static int on_alert(struct tls13_client *c, const uint8_t *a, size_t n)
{
    if (n != 2) {
        return tls13__refuse(c, "an alert record that is not one alert");
    }
    c->info.alert_received = true;
    c->info.alert_level = a[0];
    c->info.alert_description = a[1];
    /* RFC 8446 6: every alert but close_notify and user_canceled ends the handshake, and a
     * close_notify before the handshake ends it too */
    tls13__fail(c, "the server sent an alert");
    snprintf(c->info.error_text, sizeof(c->info.error_text), "the server sent a %s alert",
             tls_alert_name(a[1]));
    return -1;
}

static int on_plain(struct tls13_client *c, uint8_t type, const uint8_t *p, size_t n)
{
    switch (type) {
    case TLS_REC_ALERT:
        return on_alert(c, p, n);
    case TLS_REC_CCS: /* RFC 8446 5: a single 0x01 is dropped until the server Finished */
        return n == 1 && p[0] == 1 ? 0 : tls13__refuse(c, "a change_cipher_spec record that is not "
                                                   "the single byte 0x01");
    case TLS_REC_HANDSHAKE:
        if (c->protected_rd) {
            return tls13__refuse(c, "a plaintext handshake record after the ServerHello");
        }
        if (n == 0 || tls13__buf_add(&c->hs, p, n, TLS_SNIFF_MAX_HS + 4) != 0) {
            return tls13__refuse(c, "an empty or over-long handshake record");
        }
        return tls13__drain_messages(c);
    default:
        return tls13__refuse(c, "application data before the handshake keys");
    }
}

static int on_protected(struct tls13_client *c, const uint8_t *hdr, const uint8_t *body,
                        size_t n)
{
    uint8_t type;
    size_t len;

    if (tls13__aead_open(&c->rd, hdr, body, n, c->rec, &type, &len) != 0) {
        return tls13__refuse(c, "a record does not decrypt under the server handshake key "
                         "(bad_record_mac)");
    }
    if (type == TLS_REC_ALERT) {
        return on_alert(c, c->rec, len);
    }
    if (type != TLS_REC_HANDSHAKE || len == 0) {
        return tls13__refuse(c, "a protected record that is not a handshake message");
    }
    if (tls13__buf_add(&c->hs, c->rec, len, TLS_SNIFF_MAX_HS + 4) != 0) {
        return tls13__refuse(c, "a handshake message longer than 64 KiB");
    }
    return tls13__drain_messages(c);
}

/* One whole record off c->in: returns 1 when one was handled, 0 when more bytes are needed,
 * -1 on failure. */
static int next_record(struct tls13_client *c)
{
    struct tds_rd in = tds_rd_make(c->in.p, c->in.len);
    uint8_t type = 0, major = 0, minor = 0;
    uint16_t len = 0;
    const uint8_t *body;
    int rc;

    if (tds_rd_u8(&in, &type) && (type < TLS_REC_CCS || type > TLS_REC_APPDATA)) {
        return tls13__refuse(c, "the reply is not TLS (a record of unknown type)");
    }
    if (!tds_rd_u8(&in, &major) || !tds_rd_u8(&in, &minor) || !tds_rd_u16be(&in, &len)) {
        return 0;
    }
    if (major != 3 || len > TLS13_MAX_CIPHERTEXT) {
        return tls13__refuse(c, "the reply is not TLS 1.3 records (version or length)");
    }
    if (!tds_rd_bytes(&in, len, &body)) {
        return 0;
    }
    if (type == TLS_REC_APPDATA && c->protected_rd) {
        rc = on_protected(c, c->in.p, body, len);
    } else {
        rc = on_plain(c, type, body, len);
    }
    tls13__buf_drop(&c->in, 5u + len);
    return rc < 0 ? -1 : 1;
}

/* ---- the public face ---- */

static int init_keys(struct tls13_client *c)
{
    static const uint16_t groups[] = { TLS13_GROUP_X25519, TLS13_GROUP_SECP256R1 };

    c->n_kex = c->x25519_only ? 1 : 2;
    for (size_t i = 0; i < c->n_kex; i++) {
        if (tls13__kex_generate(&c->kex[i], groups[i]) != 0) {
            return -1;
        }
    }
    c->sid_len = 32; /* RFC 8446 D.4: a non-empty session id (middlebox compatibility) */
    if (tls__random(NULL, c->random, sizeof(c->random)) != 0 ||
        mbedtls_sha256_ret(c->random, 32, c->sid, 0) != 0) {
        return -1;
    }
    return 0;
}

int tls13_client_new(struct tls13_client **out, const struct tls13_client_opts *opts, char *err,
                     size_t errlen)
{
    struct tls13_client *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((opts->sni != NULL && strlen(opts->sni) >= sizeof(c->sni)) ||
        (opts->alpn != NULL && strlen(opts->alpn) >= sizeof(c->alpn))) {
        snprintf(err, errlen, "the server name or ALPN is longer than 255 bytes");
        free(c);
        return -1;
    }
    snprintf(c->sni, sizeof(c->sni), "%s", opts->sni != NULL ? opts->sni : "");
    snprintf(c->alpn, sizeof(c->alpn), "%s", opts->alpn != NULL ? opts->alpn : "");
    c->x25519_only = opts->x25519_only;
    c->cfg = opts->cfg;
    if (init_keys(c) != 0) {
        snprintf(err, errlen, "cannot make the key shares (no randomness)");
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void tls13_client_free(struct tls13_client *c)
{
    if (c == NULL) {
        return;
    }
    tls__info_clear_chain(&c->info);
    free(c->in.p);
    free(c->hs.p);
    free(c->tr.p);
    mbedtls_platform_zeroize(c, sizeof(*c));
    free(c);
}

int tls13_client_feed(struct tls13_client *c, const uint8_t *p, size_t n)
{
    return tls13__buf_add(&c->in, p, n, TLS13_IN_MAX);
}

void tls13_client_peer_closed(struct tls13_client *c, bool reset)
{
    c->closed = true;
    c->reset = reset;
}

enum tls_step tls13_client_step(struct tls13_client *c)
{
    int rc = 1;

    if (c->st == ST_START) {
        c->st = ST_WAIT_SH;
        tls__stage_at_least(&c->info, TLS_STAGE_CLIENT_HELLO_SENT);
        if (tls13__send_client_hello(c, NULL, 0) != 0) {
            return TLS_STEP_FAILED;
        }
    }
    while (rc == 1 && c->st != ST_DONE && c->st != ST_FAILED) {
        rc = next_record(c);
    }
    if (rc == 0 && c->closed) {
        c->info.peer_closed = !c->reset;
        c->info.peer_reset = c->reset;
        tls13__fail(c, c->reset ? "the server reset the connection during the handshake"
                               : "the server closed the connection during the handshake");
    }
    return c->st == ST_DONE ? TLS_STEP_DONE
                            : c->st == ST_FAILED ? TLS_STEP_FAILED : TLS_STEP_WANT_INPUT;
}

const uint8_t *tls13_client_out(const struct tls13_client *c, size_t *len)
{
    *len = c->out_len;
    return c->out;
}

void tls13_client_out_ack(struct tls13_client *c, size_t n)
{
    n = n < c->out_len ? n : c->out_len;
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
}

const struct tls_info *tls13_client_info(const struct tls13_client *c)
{
    return &c->info;
}

const struct tls13_facts *tls13_client_facts(const struct tls13_client *c)
{
    return &c->facts;
}

/* ---- test hooks (tls13_int.h) ---- */

int tls13__client_new_traced(struct tls13_client **out, const uint8_t *ch, size_t ch_len,
                             const uint8_t x25519_priv[32])
{
    struct tls13_client *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL || ch_len < 39 || (size_t)ch[38] > 32 || ch_len < 39u + ch[38]) {
        free(c);
        return -1;
    }
    memcpy(c->random, ch + 6, 32);
    c->sid_len = ch[38];
    memcpy(c->sid, ch + 39, c->sid_len);
    c->n_kex = 1;
    if (tls13__kex_x25519_from(&c->kex[0], x25519_priv) != 0 ||
        tls13__buf_add(&c->tr, ch, ch_len, TLS13_TRANSCRIPT_MAX) != 0) {
        tls13_client_free(c);
        return -1;
    }
    c->st = ST_WAIT_SH;
    *out = c;
    return 0;
}

const struct tls13__secrets *tls13__client_secrets(const struct tls13_client *c)
{
    return &c->sec;
}

const struct tls13__kex *tls13__client_kex(const struct tls13_client *c, size_t i)
{
    return i < c->n_kex ? &c->kex[i] : NULL;
}
