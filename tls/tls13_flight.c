/* tls/tls13_flight.c: the TLS 1.3 client's handshake messages (RFC 8446 4): the ClientHello
 * records out, the ServerHello or HelloRetryRequest in, then EncryptedExtensions, an optional
 * CertificateRequest, Certificate, CertificateVerify and Finished in, and the client's closing
 * flight out. Messages arrive whole from tls13_client.c's record layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>

#include "tls/tls13_client_int.h"
#include "tls/tls_policy.h"
#include "tls/tls_version.h"

/* ---- output ---- */

int tls13__send_client_hello(struct tls13_client *c, const uint8_t *cookie, size_t cookie_len)
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
    if (cookie == NULL && !c->facts.hello_retry) { /* the first: as long as a real client's */
        h.pad_to = TLS13_CLIENT_HELLO_MIN;
    }
    tds_wr_u8(&w, TLS_REC_HANDSHAKE);
    /* RFC 8446 5.1: 0x0301 for the first ClientHello, 0x0303 for the one after an HRR */
    tds_wr_u16be(&w, cookie != NULL || c->facts.hello_retry ? 0x0303 : 0x0301);
    tds_wr_u16be(&w, 0);
    at = w.len;
    tls13__client_hello_msg(&w, &h);
    if (w.overflow || w.len - at > 16384) {
        return tls13__fail(c, "the ClientHello does not fit in one record");
    }
    w.buf[3] = (uint8_t)((w.len - at) >> 8);
    w.buf[4] = (uint8_t)(w.len - at);
    if (tls13__buf_add(&c->tr, w.buf + at, w.len - at, TLS13_TRANSCRIPT_MAX) != 0) {
        return tls13__fail(c, "out of memory");
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

    if (c->facts.cert_request && (tls13__buf_add(&c->tr, empty_cert, sizeof(empty_cert),
                                          TLS13_TRANSCRIPT_MAX) != 0 ||
                                  tls13__aead_seal(&c->wr, TLS_REC_HANDSHAKE, empty_cert,
                                                   sizeof(empty_cert), &w) != 0)) {
        return tls13__fail(c, "cannot write the client Certificate");
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
        return tls13__fail(c, "cannot write the client Finished");
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
    return tls13__buf_add(&c->tr, mh, 4 + c->suite->hash_len, TLS13_TRANSCRIPT_MAX);
}

static int on_hello_retry(struct tls13_client *c, const struct tls13__server_hello *sh,
                          const uint8_t *msg, size_t len)
{
    if (c->facts.hello_retry) {
        return tls13__refuse(c, "the server sent a second HelloRetryRequest (RFC 8446 4.1.4)");
    }
    if (!group_offered(sh->group) || kex_for(c, sh->group) != NULL) {
        return tls13__refuse(c, "the HelloRetryRequest asks for a group that was not offered, or one "
                         "that already had a key share (RFC 8446 4.1.4)");
    }
    if (sh->cookie_len > TLS13_COOKIE_MAX) {
        return tls13__refuse(c, "the HelloRetryRequest's cookie is longer than 4 KiB");
    }
    c->facts.hello_retry = true;
    c->facts.hello_retry_group = sh->group;
    snprintf(c->info.hello_retry, sizeof(c->info.hello_retry), "%s", tls13__group_name(sh->group));
    c->hrr_suite = sh->suite;
    if (restart_transcript(c) != 0 || tls13__buf_add(&c->tr, msg, len, TLS13_TRANSCRIPT_MAX) != 0) {
        return tls13__fail(c, "out of memory");
    }
    c->n_kex = 1;
    if (tls13__kex_generate(&c->kex[0], sh->group) != 0) {
        return tls13__fail(c, "cannot make a key share");
    }
    return tls13__send_client_hello(c, sh->cookie, sh->cookie_len);
}

static int start_handshake_keys(struct tls13_client *c, const struct tls13__server_hello *sh)
{
    uint8_t shared[48], th[TLS13_MAX_HASH];
    size_t shared_len;
    const struct tls13__kex *k = kex_for(c, sh->group);

    if (k == NULL) {
        return tls13__refuse(c, "the ServerHello's key share is for a group the client sent no "
                         "share for");
    }
    if (tls13__kex_shared(k, sh->share, sh->share_len, shared, &shared_len) != 0) {
        return tls13__refuse(c, "the ServerHello's key share is not a valid point");
    }
    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0 ||
        tls13__handshake_secrets(c->suite, shared, shared_len, th, &c->sec) != 0 ||
        tls13__aead_init(&c->rd, c->suite, c->sec.server_hs) != 0 ||
        tls13__aead_init(&c->wr, c->suite, c->sec.client_hs) != 0) {
        return tls13__fail(c, "cannot derive the handshake keys");
    }
    mbedtls_platform_zeroize(shared, sizeof(shared));
    c->protected_rd = true;
    c->facts.group = sh->group;
    snprintf(c->info.group, sizeof(c->info.group), "%s", tls13__group_name(sh->group));
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
        return tls13__refuse(c, why);
    }
    if (sh.version != 0x0304) {
        c->info.server_hello_version = sh.version != 0 ? sh.version & 0xFF : 0;
        return tls13__refuse(c, "the server did not select TLS 1.3, the only version offered");
    }
    c->info.version = TLS_V13;
    c->info.server_hello_version = TLS_V13;
    c->info.cipher_id = sh.suite;
    tls__cipher_label(sh.suite, c->info.cipher, sizeof(c->info.cipher));
    c->suite = tls13__suite(sh.suite);
    if (c->suite == NULL || (c->hrr_suite != 0 && c->hrr_suite != sh.suite)) {
        return tls13__refuse(c, "the server selected a suite that was not offered (or another than "
                         "its HelloRetryRequest's)");
    }
    if (sh.session_id_len != c->sid_len || memcmp(sh.session_id_echo, c->sid, c->sid_len) != 0) {
        return tls13__refuse(c, "the ServerHello does not echo the legacy session id (RFC 8446 4.1.3)");
    }
    if (sh.hrr) {
        return on_hello_retry(c, &sh, msg, len);
    }
    if (tls13__buf_add(&c->tr, msg, len, TLS13_TRANSCRIPT_MAX) != 0) {
        return tls13__fail(c, "out of memory");
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
        return tls13__refuse(c, why);
    }
    if (n == 0) {
        return tls13__refuse(c, "the server sent an empty Certificate message");
    }
    c->st = ST_WAIT_CV;
    return 0;
}

static int on_certificate_verify(struct tls13_client *c, struct tds_rd body)
{
    uint8_t th[TLS13_MAX_HASH];
    const char *why = NULL;
    uint16_t scheme = 0;

    if (tls13__hash(c->suite, c->tr.p, c->tr.len, th) != 0) {
        return tls13__fail(c, "cannot hash the transcript");
    }
    if (tls13__verify_certificate_verify(body, c->info.chain[0].der, c->info.chain[0].der_len,
                                         th, c->suite->hash_len, &scheme, &why) != 0) {
        c->facts.sig_scheme = scheme;
        return tls13__refuse(c, why);
    }
    c->facts.sig_scheme = scheme;
    snprintf(c->info.sig_scheme, sizeof(c->info.sig_scheme), "%s",
             tls13__sigscheme_name(scheme));
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
        return tls13__fail(c, "cannot compute the server Finished");
    }
    if (tds_rd_left(&body) != hl || mbedtls_ct_memcmp(body.buf + body.pos, want, hl) != 0) {
        return tls13__refuse(c, "the server Finished does not verify (RFC 8446 4.4.4)");
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
        return tls13__fail(c, "cannot derive the application secrets");
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
        return tls13__refuse(c, why);
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
        return tls13__refuse(c, c->st == ST_WAIT_SH ? "the server's first handshake message is not a "
                                               "ServerHello"
                                             : "the server sent a handshake message out of "
                                               "order (RFC 8446 4)");
    }
    if (rc == 0 && tls13__buf_add(&c->tr, msg, len, TLS13_TRANSCRIPT_MAX) != 0) {
        return tls13__fail(c, "the handshake is too long to keep");
    }
    if (rc == 0 && c->facts.finished_ok) {
        rc = finish(c);
    }
    return rc;
}

/* Takes every whole message off c->hs. A message must not straddle the switch to the handshake
 * keys (RFC 8446 5.1). */
int tls13__drain_messages(struct tls13_client *c)
{
    while (c->st != ST_FAILED && c->st != ST_DONE) {
        struct tds_rd h = tds_rd_make(c->hs.p, c->hs.len);
        uint8_t type = 0;
        uint32_t len = 0;
        bool was_plain = !c->protected_rd;

        if (!tds_rd_u8(&h, &type) || !tds_rd_u24be(&h, &len)) {
            break;
        }
        if (len > TLS_SNIFF_MAX_HS) {
            return tls13__refuse(c, "a handshake message longer than 64 KiB");
        }
        if (!tds_rd_skip(&h, len)) {
            break;
        }
        if (on_message(c, type, c->hs.p, 4u + len) != 0) {
            return -1;
        }
        tls13__buf_drop(&c->hs, 4u + len);
        if (was_plain && c->protected_rd && c->hs.len > 0) {
            return tls13__refuse(c, "handshake data follows the ServerHello in its plaintext "
                                    "record");
        }
    }
    return 0;
}
