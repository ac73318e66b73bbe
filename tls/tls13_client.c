/* tls/tls13_client.c: the TLS 1.3 client's state machine (RFC 8446 2, "Protocol Overview", the
 * full handshake with (EC)DHE and certificates) over records fed from memory. The parts: the
 * ClientHello in tls13_probe.c, the key schedule and ECDHE in tls13_keysched.c, record
 * protection in tls13_record.c, the server's messages in tls13_hs.c. */
#include "tls/tls13_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "tls/tls13_int.h"
#include "tls/tls13_probe.h"
#include "tls/tls_int.h"
#include "tls/tls_policy.h"
#include "tls/tls_version.h"

/* Unconsumed server bytes, and the transcript (a chain of up to TLS_SNIFF_MAX_HS plus the
 * other messages). */
#define IN_MAX (64u * 1024u)
#define TRANSCRIPT_MAX (TLS_SNIFF_MAX_HS + 16u * 1024u)
/* A cookie is echoed up to this size (real ones are a few hundred bytes). */
#define COOKIE_MAX 4096u
#define OUT_CAP (TLS13_CLIENT_HELLO_MAX + COOKIE_MAX + 512u)

enum state {
    ST_START,
    ST_WAIT_SH,
    ST_WAIT_EE,
    ST_WAIT_CERT_CR, /* Certificate, or CertificateRequest first (RFC 8446 4.3.2) */
    ST_WAIT_CERT,
    ST_WAIT_CV,
    ST_WAIT_FIN,
    ST_DONE,
    ST_FAILED,
};

struct buf {
    uint8_t *p;
    size_t len;
    size_t cap;
};

struct tls13_client {
    enum state st;
    char sni[256];
    char alpn[256];
    bool x25519_only;
    const struct tls_config *cfg;
    uint8_t random[32];
    uint8_t sid[32];
    size_t sid_len;
    struct tls13__kex kex[2];
    size_t n_kex;
    const struct tls13__suite *suite;
    uint16_t hrr_suite;
    struct tls13__secrets sec;
    struct tls13__aead rd;
    struct tls13__aead wr;
    bool protected_rd;          /* server records are under the handshake keys */
    struct buf in;              /* server bytes not yet a whole record */
    struct buf hs;              /* handshake bytes not yet a whole message */
    struct buf tr;              /* the transcript: every handshake message so far */
    uint8_t out[OUT_CAP];
    size_t out_len;
    bool closed;
    bool reset;
    struct tls_info info;
    struct tls13_facts facts;
    uint8_t rec[TLS13_MAX_CIPHERTEXT];
};

static int buf_add(struct buf *b, const uint8_t *p, size_t n, size_t max)
{
    return tls__buf_append(&b->p, &b->len, &b->cap, p, n, max);
}

static void buf_drop(struct buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static int fail(struct tls13_client *c, const char *what)
{
    snprintf(c->info.error_text, sizeof(c->info.error_text), "%s", what);
    c->st = ST_FAILED;
    return -1;
}

static int refuse(struct tls13_client *c, const char *why)
{
    c->info.local_reject = true;
    return fail(c, why);
}

/* ---- output ---- */

static int send_client_hello(struct tls13_client *c, const uint8_t *cookie, size_t cookie_len)
{
    struct tls13__share shares[2];
    struct tls13__hello h = { .sni = c->sni, .alpn = c->alpn, .random = c->random,
                              .shares = shares, .n_shares = c->n_kex, .cookie = cookie,
                              .cookie_len = cookie_len };
    struct tds_wr w = tds_wr_make(c->out + c->out_len, sizeof(c->out) - c->out_len);
    size_t at;

    for (size_t i = 0; i < c->n_kex; i++) {
        shares[i] = (struct tls13__share){ c->kex[i].group, c->kex[i].pub, c->kex[i].pub_len };
    }
    tds_wr_u8(&w, TLS_REC_HANDSHAKE);
    /* RFC 8446 5.1: 0x0301 for the first ClientHello, 0x0303 for the one after an HRR */
    tds_wr_u16be(&w, cookie != NULL || c->facts.hello_retry ? 0x0303 : 0x0301);
    tds_wr_u16be(&w, 0);
    at = w.len;
    tls13__client_hello_msg(&w, &h);
    if (w.overflow || w.len - at > 16384) {
        return fail(c, "the ClientHello does not fit in one record");
    }
    w.buf[3] = (uint8_t)((w.len - at) >> 8);
    w.buf[4] = (uint8_t)(w.len - at);
    if (buf_add(&c->tr, w.buf + at, w.len - at, TRANSCRIPT_MAX) != 0) {
        return fail(c, "out of memory");
    }
    c->out_len += w.len;
    return 0;
}

/* RFC 8446 4.4.4 and 6.1: the client Finished under the handshake key (an empty Certificate
 * first when the server sent a CertificateRequest, RFC 8446 4.4.2), then close_notify under
 * the application key. */
static int send_finish(struct tls13_client *c)
{
    static const uint8_t empty_cert[] = { TLS_HS_CERTIFICATE, 0, 0, 4, 0, 0, 0, 0 };
    static const uint8_t close_notify[] = { 1, 0 };
    uint8_t th[TLS13_MAX_HASH], fin[4 + TLS13_MAX_HASH];
    size_t hl = c->suite->hash_len;
    struct tds_wr w = tds_wr_make(c->out + c->out_len, sizeof(c->out) - c->out_len);

    if (c->facts.cert_request && (buf_add(&c->tr, empty_cert, sizeof(empty_cert),
                                          TRANSCRIPT_MAX) != 0 ||
                                  tls13__aead_seal(&c->wr, TLS_REC_HANDSHAKE, empty_cert,
                                                   sizeof(empty_cert), &w) != 0)) {
        return fail(c, "cannot write the client Certificate");
    }
    fin[0] = TLS13_HS_FINISHED;
    fin[1] = 0;
    fin[2] = 0;
    fin[3] = (uint8_t)hl;
    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0 ||
        tls13__finished(c->suite, c->sec.client_hs, th, fin + 4) != 0 ||
        tls13__aead_seal(&c->wr, TLS_REC_HANDSHAKE, fin, 4 + hl, &w) != 0 ||
        tls13__aead_init(&c->wr, c->suite, c->sec.client_ap) != 0 ||
        tls13__aead_seal(&c->wr, TLS_REC_ALERT, close_notify, 2, &w) != 0) {
        return fail(c, "cannot write the client Finished");
    }
    c->out_len += w.len;
    return 0;
}

/* ---- the ServerHello and HelloRetryRequest ---- */

static const struct tls13__kex *kex_for(const struct tls13_client *c, uint16_t group)
{
    for (size_t i = 0; i < c->n_kex; i++) {
        if (c->kex[i].group == group) {
            return &c->kex[i];
        }
    }
    return NULL;
}

static bool group_offered(uint16_t g)
{
    return g == TLS13_GROUP_X25519 || g == TLS13_GROUP_SECP256R1 || g == TLS13_GROUP_SECP384R1;
}

/* RFC 8446 4.4.1: after an HRR the transcript starts with message_hash(Hash(ClientHello1)). */
static int restart_transcript(struct tls13_client *c)
{
    uint8_t mh[4 + TLS13_MAX_HASH] = { TLS13_HS_MESSAGE_HASH, 0, 0,
                                       (uint8_t)c->suite->hash_len };

    if (tls13__hash(c->suite, c->tr.p, c->tr.len, mh + 4) != 0) {
        return -1;
    }
    c->tr.len = 0;
    return buf_add(&c->tr, mh, 4 + c->suite->hash_len, TRANSCRIPT_MAX);
}

static int on_hello_retry(struct tls13_client *c, const struct tls13__server_hello *sh,
                          const uint8_t *msg, size_t len)
{
    if (c->facts.hello_retry) {
        return refuse(c, "the server sent a second HelloRetryRequest (RFC 8446 4.1.4)");
    }
    if (!group_offered(sh->group) || kex_for(c, sh->group) != NULL) {
        return refuse(c, "the HelloRetryRequest asks for a group that was not offered, or one "
                         "that already had a key share (RFC 8446 4.1.4)");
    }
    if (sh->cookie_len > COOKIE_MAX) {
        return refuse(c, "the HelloRetryRequest's cookie is longer than 4 KiB");
    }
    c->facts.hello_retry = true;
    c->facts.hello_retry_group = sh->group;
    c->hrr_suite = sh->suite;
    if (restart_transcript(c) != 0 || buf_add(&c->tr, msg, len, TRANSCRIPT_MAX) != 0) {
        return fail(c, "out of memory");
    }
    c->n_kex = 1;
    if (tls13__kex_generate(&c->kex[0], sh->group) != 0) {
        return fail(c, "cannot make a key share");
    }
    return send_client_hello(c, sh->cookie, sh->cookie_len);
}

static int start_handshake_keys(struct tls13_client *c, const struct tls13__server_hello *sh)
{
    uint8_t shared[48], th[TLS13_MAX_HASH];
    size_t shared_len;
    const struct tls13__kex *k = kex_for(c, sh->group);

    if (k == NULL) {
        return refuse(c, "the ServerHello's key share is for a group the client sent no "
                         "share for");
    }
    if (tls13__kex_shared(k, sh->share, sh->share_len, shared, &shared_len) != 0) {
        return refuse(c, "the ServerHello's key share is not a valid point");
    }
    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0 ||
        tls13__handshake_secrets(c->suite, shared, shared_len, th, &c->sec) != 0 ||
        tls13__aead_init(&c->rd, c->suite, c->sec.server_hs) != 0 ||
        tls13__aead_init(&c->wr, c->suite, c->sec.client_hs) != 0) {
        return fail(c, "cannot derive the handshake keys");
    }
    mbedtls_platform_zeroize(shared, sizeof(shared));
    c->protected_rd = true;
    c->facts.group = sh->group;
    snprintf(c->facts.group_name, sizeof(c->facts.group_name), "%s",
             tls13__group_name(sh->group));
    c->st = ST_WAIT_EE;
    return 0;
}

static int on_server_hello(struct tls13_client *c, struct tds_rd body, const uint8_t *msg,
                           size_t len)
{
    struct tls13__server_hello sh;
    const char *why = NULL;

    tls__stage_at_least(&c->info, TLS_STAGE_SERVER_HELLO);
    if (tls13__parse_server_hello(body, &sh, &why) != 0) {
        return refuse(c, why);
    }
    if (sh.version != 0x0304) {
        c->info.server_hello_version = sh.version != 0 ? sh.version & 0xFF : 0;
        return refuse(c, "the server did not select TLS 1.3, the only version offered");
    }
    c->info.version = TLS_V13;
    c->info.server_hello_version = TLS_V13;
    c->info.cipher_id = sh.suite;
    tls__cipher_label(sh.suite, c->info.cipher, sizeof(c->info.cipher));
    c->suite = tls13__suite(sh.suite);
    if (c->suite == NULL || (c->hrr_suite != 0 && c->hrr_suite != sh.suite)) {
        return refuse(c, "the server selected a suite that was not offered (or another than "
                         "its HelloRetryRequest's)");
    }
    if (sh.session_id_len != c->sid_len || memcmp(sh.session_id_echo, c->sid, c->sid_len) != 0) {
        return refuse(c, "the ServerHello does not echo the legacy session id (RFC 8446 4.1.3)");
    }
    if (sh.hrr) {
        return on_hello_retry(c, &sh, msg, len);
    }
    if (buf_add(&c->tr, msg, len, TRANSCRIPT_MAX) != 0) {
        return fail(c, "out of memory");
    }
    return start_handshake_keys(c, &sh);
}

/* ---- the encrypted flight ---- */

static int keep_cert(void *ctx, const uint8_t *der, size_t len)
{
    struct tls_info *info = ctx;
    struct tls_cert *grown;

    if (info->chain_len >= TLS_MAX_CHAIN) {
        return 0; /* the report keeps the first TLS_MAX_CHAIN, as the sniffer does */
    }
    grown = realloc(info->chain, (info->chain_len + 1) * sizeof(*info->chain));
    if (grown == NULL) {
        return -1;
    }
    info->chain = grown;
    memset(&info->chain[info->chain_len], 0, sizeof(*info->chain));
    if (tls_cert_from_der(&info->chain[info->chain_len], der, len) != 0) {
        return -1;
    }
    info->chain_len++;
    return 0;
}

static int on_certificate(struct tls13_client *c, struct tds_rd body)
{
    const char *why = NULL;
    int n;

    tls__stage_at_least(&c->info, TLS_STAGE_CERTIFICATE);
    tls__info_clear_chain(&c->info);
    n = tls13__parse_certificate(body, keep_cert, &c->info, &why);
    if (n < 0) {
        return refuse(c, why);
    }
    if (n == 0) {
        return refuse(c, "the server sent an empty Certificate message");
    }
    c->st = ST_WAIT_CV;
    return 0;
}

static int on_certificate_verify(struct tls13_client *c, struct tds_rd body)
{
    uint8_t th[TLS13_MAX_HASH];
    const char *why = NULL;
    uint16_t scheme = 0;
    const char *name;

    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0) {
        return fail(c, "cannot hash the transcript");
    }
    if (tls13__verify_certificate_verify(body, c->info.chain[0].der, c->info.chain[0].der_len,
                                         th, c->suite->hash_len, &scheme, &why) != 0) {
        c->facts.sig_scheme = scheme;
        return refuse(c, why);
    }
    c->facts.sig_scheme = scheme;
    name = tls13__sigscheme_name(scheme);
    snprintf(c->facts.sig_scheme_name, sizeof(c->facts.sig_scheme_name), "%s", name);
    c->facts.cert_verify_ok = true;
    c->st = ST_WAIT_FIN;
    return 0;
}

static int on_finished(struct tls13_client *c, struct tds_rd body)
{
    uint8_t th[TLS13_MAX_HASH], want[TLS13_MAX_HASH];
    size_t hl = c->suite->hash_len;

    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0 ||
        tls13__finished(c->suite, c->sec.server_hs, th, want) != 0) {
        return fail(c, "cannot compute the server Finished");
    }
    if (tds_rd_left(&body) != hl || mbedtls_ct_memcmp(body.buf + body.pos, want, hl) != 0) {
        return refuse(c, "the server Finished does not verify (RFC 8446 4.4.4)");
    }
    c->facts.finished_ok = true;
    return 0;
}

/* After the server Finished joined the transcript. */
static int finish(struct tls13_client *c)
{
    uint8_t th[TLS13_MAX_HASH];

    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0 ||
        tls13__app_secrets(c->suite, th, &c->sec) != 0) {
        return fail(c, "cannot derive the application secrets");
    }
    if (send_finish(c) != 0) {
        return -1;
    }
    c->st = ST_DONE;
    tls__stage_at_least(&c->info, TLS_STAGE_DONE);
    if (c->cfg != NULL) {
        (void)tls_policy_verify_chain(&c->info, c->cfg);
    }
    return 0;
}

static int on_encrypted_extensions(struct tls13_client *c, struct tds_rd body)
{
    const char *why = NULL;

    if (tls13__parse_encrypted_extensions(body, c->info.alpn, sizeof(c->info.alpn), &why) != 0) {
        return refuse(c, why);
    }
    c->st = ST_WAIT_CERT_CR;
    return 0;
}

/* One whole handshake message; msg/len is all of it (header included) for the transcript. */
static int on_message(struct tls13_client *c, uint8_t type, const uint8_t *msg, size_t len)
{
    struct tds_rd body = tds_rd_make(msg + 4, len - 4);
    int rc;

    if (c->st == ST_WAIT_SH && type == TLS_HS_SERVER_HELLO) {
        return on_server_hello(c, body, msg, len);
    }
    if (c->st == ST_WAIT_EE && type == TLS13_HS_ENCRYPTED_EXTENSIONS) {
        rc = on_encrypted_extensions(c, body);
    } else if (c->st == ST_WAIT_CERT_CR && type == TLS13_HS_CERTIFICATE_REQUEST) {
        c->facts.cert_request = true;
        c->st = ST_WAIT_CERT;
        rc = 0;
    } else if ((c->st == ST_WAIT_CERT_CR || c->st == ST_WAIT_CERT) &&
               type == TLS_HS_CERTIFICATE) {
        rc = on_certificate(c, body);
    } else if (c->st == ST_WAIT_CV && type == TLS13_HS_CERTIFICATE_VERIFY) {
        rc = on_certificate_verify(c, body);
    } else if (c->st == ST_WAIT_FIN && type == TLS13_HS_FINISHED) {
        rc = on_finished(c, body);
    } else {
        return refuse(c, c->st == ST_WAIT_SH ? "the server's first handshake message is not a "
                                               "ServerHello"
                                             : "the server sent a handshake message out of "
                                               "order (RFC 8446 4)");
    }
    if (rc == 0 && buf_add(&c->tr, msg, len, TRANSCRIPT_MAX) != 0) {
        return fail(c, "the handshake is too long to keep");
    }
    if (rc == 0 && c->facts.finished_ok) {
        rc = finish(c);
    }
    return rc;
}

/* Takes every whole message off c->hs. A message must not straddle the switch to the handshake
 * keys (RFC 8446 5.1). */
static int drain_messages(struct tls13_client *c)
{
    while (c->st != ST_FAILED && c->st != ST_DONE && c->hs.len >= 4) {
        size_t len = (size_t)c->hs.p[1] << 16 | (size_t)c->hs.p[2] << 8 | c->hs.p[3];
        bool was_plain = !c->protected_rd;

        if (len > TLS_SNIFF_MAX_HS) {
            return refuse(c, "a handshake message longer than 64 KiB");
        }
        if (c->hs.len - 4 < len) {
            break;
        }
        if (on_message(c, c->hs.p[0], c->hs.p, 4 + len) != 0) {
            return -1;
        }
        buf_drop(&c->hs, 4 + len);
        if (was_plain && c->protected_rd && c->hs.len > 0) {
            return refuse(c, "handshake data follows the ServerHello in its plaintext record");
        }
    }
    return 0;
}

/* ---- records ---- */

static int on_alert(struct tls13_client *c, const uint8_t *a, size_t n)
{
    if (n != 2) {
        return refuse(c, "an alert record that is not one alert");
    }
    c->info.alert_received = true;
    c->info.alert_level = a[0];
    c->info.alert_description = a[1];
    /* RFC 8446 6: every alert but close_notify and user_canceled ends the handshake, and a
     * close_notify before the handshake ends it too */
    fail(c, "the server sent an alert");
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
        return n == 1 && p[0] == 1 ? 0 : refuse(c, "a change_cipher_spec record that is not "
                                                   "the single byte 0x01");
    case TLS_REC_HANDSHAKE:
        if (c->protected_rd) {
            return refuse(c, "a plaintext handshake record after the ServerHello");
        }
        if (n == 0 || buf_add(&c->hs, p, n, TLS_SNIFF_MAX_HS + 4) != 0) {
            return refuse(c, "an empty or over-long handshake record");
        }
        return drain_messages(c);
    default:
        return refuse(c, "application data before the handshake keys");
    }
}

static int on_protected(struct tls13_client *c, const uint8_t *hdr, const uint8_t *body,
                        size_t n)
{
    uint8_t type;
    size_t len;

    if (tls13__aead_open(&c->rd, hdr, body, n, c->rec, &type, &len) != 0) {
        return refuse(c, "a record does not decrypt under the server handshake key "
                         "(bad_record_mac)");
    }
    if (type == TLS_REC_ALERT) {
        return on_alert(c, c->rec, len);
    }
    if (type != TLS_REC_HANDSHAKE || len == 0) {
        return refuse(c, "a protected record that is not a handshake message");
    }
    if (buf_add(&c->hs, c->rec, len, TLS_SNIFF_MAX_HS + 4) != 0) {
        return refuse(c, "a handshake message longer than 64 KiB");
    }
    return drain_messages(c);
}

/* One whole record off c->in: returns 1 when one was handled, 0 when more bytes are needed,
 * -1 on failure. */
static int next_record(struct tls13_client *c)
{
    const uint8_t *h = c->in.p;
    size_t len;
    int rc;

    if (c->in.len >= 1 && (h[0] < TLS_REC_CCS || h[0] > TLS_REC_APPDATA)) {
        return refuse(c, "the reply is not TLS (a record of unknown type)");
    }
    if (c->in.len < 5) {
        return 0;
    }
    len = (size_t)h[3] << 8 | h[4];
    if (h[1] != 3 || len > TLS13_MAX_CIPHERTEXT) {
        return refuse(c, "the reply is not TLS 1.3 records (version or length)");
    }
    if (c->in.len - 5 < len) {
        return 0;
    }
    if (h[0] == TLS_REC_APPDATA && c->protected_rd) {
        rc = on_protected(c, h, h + 5, len);
    } else {
        rc = on_plain(c, h[0], h + 5, len);
    }
    buf_drop(&c->in, 5 + len);
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
    return buf_add(&c->in, p, n, IN_MAX);
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
        if (send_client_hello(c, NULL, 0) != 0) {
            return TLS_STEP_FAILED;
        }
    }
    while (rc == 1 && c->st != ST_DONE && c->st != ST_FAILED) {
        rc = next_record(c);
    }
    if (rc == 0 && c->closed) {
        c->info.peer_closed = !c->reset;
        c->info.peer_reset = c->reset;
        fail(c, c->reset ? "the server reset the connection during the handshake"
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
        buf_add(&c->tr, ch, ch_len, TRANSCRIPT_MAX) != 0) {
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
