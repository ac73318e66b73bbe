/* tls/tls_session.c: an mbedTLS client over memory queues.
 *
 * The mbedTLS context (record buffers, handshake state: ~40 KiB) exists only while the handshake
 * runs: it is set up (or taken from the config's pool, tls_ctxpool.c) at the first
 * tls_session_step and given back to the pool when the result is final, unless application
 * data follows a full handshake (then at tls_session_free).
 *
 * Bytes from the server go to the record sniffer first (which captures what mbedTLS would
 * discard), then into a bounded input queue that mbedTLS reads through its BIO callback.
 * mbedTLS writes into an output buffer the transport drains with out()/out_ack(). Nothing here
 * blocks, prints or knows how the bytes travel. */
#include "tls/tls_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"
#include "tls/tls_policy.h"
#include "tls/tls_version.h"

#define TLS_IN_MAX (64u * 1024u)
#define TLS_OUT_MAX (64u * 1024u)

/* Bytes [off, len) of buf are queued. */
struct queue {
    uint8_t *buf;
    size_t off;
    size_t len;
    size_t cap;
};

struct tls_session {
    mbedtls_ssl_context *ssl; /* NULL before the first step and after a final result */
    const struct tls_config *cfg;
    char *sni;                /* for the context, until it is set up; NULL: none */
    struct tls_info info;
    struct tls_sniff sniff;
    struct queue in;
    struct queue out;
    bool closed;      /* the transport reported EOF or reset */
    int split_err;    /* mbedTLS refused a handshake message split across records: only the
                         sniffer reads on, until it has that message (read_split_message) */
    bool finished;    /* result is final */
    enum tls_step result;
};

static size_t queue_used(const struct queue *q)
{
    return q->len - q->off;
}

static void queue_free(struct queue *q)
{
    free(q->buf);
    memset(q, 0, sizeof(*q));
}

int tls__buf_append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *p, size_t n,
                    size_t max)
{
    if (n > max - *len) {
        return -1;
    }
    if (n > *cap - *len) {
        size_t grown = *cap ? *cap : 4096;
        uint8_t *nb;

        while (grown - *len < n) {
            grown *= 2;
        }
        grown = grown < max ? grown : max;
        nb = realloc(*buf, grown);
        if (nb == NULL) {
            return -1;
        }
        *buf = nb;
        *cap = grown;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

static int queue_push(struct queue *q, const uint8_t *p, size_t n, size_t max)
{
    size_t used = queue_used(q);

    if (n > max - used) {
        return -1;
    }
    if (q->off > 0) {
        memmove(q->buf, q->buf + q->off, used);
        q->off = 0;
        q->len = used;
    }
    return tls__buf_append(&q->buf, &q->len, &q->cap, p, n, max);
}

/* ---- mbedTLS callbacks ---- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct tls_session *s = ctx;

    if (len > INT32_MAX || queue_push(&s->out, buf, len, TLS_OUT_MAX) != 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct tls_session *s = ctx;
    size_t n = queue_used(&s->in);

    if (n == 0) {
        return s->closed ? 0 : MBEDTLS_ERR_SSL_WANT_READ; /* 0 is EOF to mbedTLS */
    }
    n = n < len ? n : len;
    memcpy(buf, s->in.buf + s->in.off, n);
    s->in.off += n;
    if (queue_used(&s->in) == 0) {
        queue_free(&s->in); /* mbedTLS has it all: a session waiting for input holds no queue */
    }
    return (int)n;
}

/* Records every depth of the path mbedTLS built. The name is the policy's business (clients
 * differ: CN fallback, wildcards, IP SANs), so mbedTLS's own CN check is masked off. */
static int on_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct tls_session *s = ctx;

    if (depth == 0) {
        *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
        /* the leaf heads mbedTLS's parse of the whole Certificate message: the sniffer's copy
         * takes its fields from it instead of parsing the same DER again */
        (void)tls__sniff_settle(&s->sniff, &s->info, crt);
    }
    tls__info_note_depth(&s->info, depth, *flags);
    s->info.verified_path = true;
    return 0;
}

/* ---- lifetime ---- */

static bool sni_allowed(const char *sni)
{
    uint8_t ip[16];
    size_t len;

    /* RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName". */
    return sni != NULL && sni[0] != '\0' && !tls__ip_parse(sni, ip, &len);
}

/* A context of the config's pool, or a new one set up on the config. */
static int context_get(const struct tls_config *cfg, mbedtls_ssl_context **out)
{
    mbedtls_ssl_context *ssl = tls__ctxpool_take(cfg);
    int rc;

    *out = ssl;
    if (ssl != NULL) {
        return 0;
    }
    ssl = malloc(sizeof(*ssl));
    if (ssl == NULL) {
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    }
    mbedtls_ssl_init(ssl);
    rc = mbedtls_ssl_setup(ssl, &cfg->conf);
    if (rc != 0) {
        mbedtls_ssl_free(ssl);
        free(ssl);
        return rc;
    }
    *out = ssl;
    return 0;
}

/* The handshake starts: the context comes now, not at tls_session_new. */
static int session_start(struct tls_session *s)
{
    int rc = context_get(s->cfg, &s->ssl);

    if (rc == 0 && s->sni != NULL) {
        rc = mbedtls_ssl_set_hostname(s->ssl, s->sni);
    }
    free(s->sni);
    s->sni = NULL;
    if (rc != 0) {
        return rc;
    }
    mbedtls_ssl_set_bio(s->ssl, s, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_verify(s->ssl, on_verify, s);
    return 0;
}

static void context_put(struct tls_session *s)
{
    tls__ctxpool_give(s->cfg, s->ssl);
    s->ssl = NULL;
}

int tls_session_new(struct tls_session **out, const struct tls_config *cfg, const char *sni,
                    char *err, size_t errlen)
{
    struct tls_session *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = cfg;
    tls__sniff_init(&s->sniff);
    /* Hello mode never parses a chain: the sniffer stops where the session will. */
    s->sniff.hello_only = cfg->mode == TLS_HANDSHAKE_HELLO;
    /* The chain is parsed once: by mbedTLS when it reads the Certificate (on_verify hands the
     * sniffer its parse), by the sniffer only for what mbedTLS did not parse (settle_chain). */
    s->sniff.defer_parse = true;
    if (sni_allowed(sni) && (s->sni = strdup(sni)) == NULL) {
        snprintf(err, errlen, "out of memory");
        tls_session_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void tls_session_free(struct tls_session *s)
{
    if (s == NULL) {
        return;
    }
    context_put(s);
    free(s->sni);
    tls__sniff_free(&s->sniff);
    tls__info_clear_chain(&s->info);
    queue_free(&s->in);
    queue_free(&s->out);
    free(s);
}

/* ---- input and output ---- */

/* A completed full handshake keeps its mbedTLS context for application data. */
static bool app_data_ready(const struct tls_session *s)
{
    return s->finished && s->result == TLS_STEP_DONE && s->cfg->mode == TLS_HANDSHAKE_FULL &&
           s->cfg->app_data;
}

int tls_session_feed(struct tls_session *s, const uint8_t *p, size_t n)
{
    if (n > 0 && app_data_ready(s)) { /* records for tls_session_read; the sniffer is done */
        return queue_push(&s->in, p, n, TLS_IN_MAX);
    }
    if (n == 0 || s->finished) {
        return 0; /* the result is final: later bytes change nothing and are not kept */
    }
    if (s->split_err != 0) { /* mbedTLS is done: the sniffer alone reads the rest */
        if (tls__sniff_feed(&s->sniff, &s->info, p, n) != 0) {
            tls__sniff_free(&s->sniff);
        }
        return 0;
    }
    if (queue_push(&s->in, p, n, TLS_IN_MAX) != 0) {
        return -1;
    }
    /* Only an allocation failure stops the sniffer; mbedTLS still gets the bytes. */
    if (tls__sniff_feed(&s->sniff, &s->info, p, n) != 0) {
        tls__sniff_free(&s->sniff);
    }
    return 0;
}

void tls_session_peer_closed(struct tls_session *s, bool reset)
{
    s->closed = true;
    s->info.peer_closed = true;
    s->info.peer_reset = s->info.peer_reset || reset;
}

const uint8_t *tls_session_out(const struct tls_session *s, size_t *len)
{
    *len = queue_used(&s->out);
    return *len > 0 ? s->out.buf + s->out.off : NULL;
}

void tls_session_out_ack(struct tls_session *s, size_t n)
{
    size_t used = queue_used(&s->out);

    s->out.off += n < used ? n : used;
    if (queue_used(&s->out) == 0) {
        queue_free(&s->out); /* between flights a session holds no output memory */
    }
}

const struct tls_info *tls_session_info(const struct tls_session *s)
{
    return &s->info;
}

/* ---- the handshake ---- */

static void note_progress(struct tls_session *s)
{
    int st = tls__ssl_state(s->ssl);

    if (st > MBEDTLS_SSL_CLIENT_HELLO) {
        tls__stage_at_least(&s->info, TLS_STAGE_CLIENT_HELLO_SENT);
    }
    if (st >= MBEDTLS_SSL_SERVER_CHANGE_CIPHER_SPEC && st <= MBEDTLS_SSL_HANDSHAKE_OVER) {
        tls__stage_at_least(&s->info, TLS_STAGE_CLIENT_FINISHED_SENT);
    }
    if (s->info.verified_path) {
        s->info.verify_result =
            mbedtls_ssl_get_verify_result(s->ssl) & ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
}

/* Certificate mode stops once ServerHelloDone is parsed: chain verified, ServerKeyExchange
 * signature checked, version and suite accepted, and nothing of ours sent yet (not even the
 * empty client Certificate a CertificateRequest would call for). */
static bool reached_goal(const struct tls_session *s)
{
    switch (s->cfg->mode) {
    case TLS_HANDSHAKE_CERTIFICATE:
        return tls__ssl_state(s->ssl) >= MBEDTLS_SSL_CLIENT_CERTIFICATE;
    case TLS_HANDSHAKE_HELLO:
        /* mbedTLS leaves SERVER_HELLO only once it accepted the version and the suite */
        return tls__ssl_state(s->ssl) > MBEDTLS_SSL_SERVER_HELLO;
    default:
        return tls__ssl_state(s->ssl) == MBEDTLS_SSL_HANDSHAKE_OVER;
    }
}

/* Hello mode: version and suite from mbedTLS itself, in case the sniffer missed them (it stops
 * on allocation failure). Whatever else came in the same read is not looked at. */
static void hello_done(struct tls_session *s)
{
    struct tls_info *in = &s->info;
    int id = tls__ssl_negotiating_suite(s->ssl);

    in->stage = TLS_STAGE_SERVER_HELLO;
    in->version = in->server_hello_version = tls__ssl_minor_version(s->ssl);
    if (id > 0 && id <= 0xFFFF && in->cipher_id != (uint16_t)id) {
        in->cipher_id = (uint16_t)id;
        tls__cipher_label(in->cipher_id, in->cipher, sizeof(in->cipher));
    }
}

/* Whatever the sniffer captured that mbedTLS has not parsed (it failed first, refused the
 * message or stopped before it) is parsed now: a caller reads the chain after any step. */
static void settle_chain(struct tls_session *s)
{
    (void)tls__sniff_settle(&s->sniff, &s->info, NULL);
}

static enum tls_step finish(struct tls_session *s, enum tls_step r)
{
    settle_chain(s);
    s->finished = true;
    s->result = r;
    if (r == TLS_STEP_DONE && s->cfg->mode == TLS_HANDSHAKE_FULL) {
        s->info.stage = TLS_STAGE_DONE;
    }
    if (r == TLS_STEP_DONE && s->cfg->mode == TLS_HANDSHAKE_HELLO) {
        hello_done(s);
    }
    tls__sniff_free(&s->sniff);
    /* A session that will carry no application data can never continue: give mbedTLS's record
     * buffers and handshake state (~40 KB) back to the config's pool now and keep only the
     * report. A completed full handshake of an app_data config keeps its context and its input
     * (application data may have come with the server's Finished) until tls_session_free. */
    if (!app_data_ready(s)) {
        queue_free(&s->in);
        context_put(s);
    }
    return r;
}

static void explain_alert(struct tls_session *s)
{
    struct tls_info *in = &s->info;

    if (!in->alert_received || in->alert_level != MBEDTLS_SSL_ALERT_LEVEL_FATAL) {
        /* After the server's ChangeCipherSpec the alert was encrypted: mbedTLS decrypted it. */
        in->alert_received = true;
        tls__ssl_last_alert(s->ssl, &in->alert_level, &in->alert_description);
    }
    snprintf(in->error_text, sizeof(in->error_text),
             "the server sent a fatal alert: %s (%u) after: %s",
             tls_alert_name(in->alert_description), in->alert_description,
             tls_stage_name(in->stage));
}

static void explain_version(struct tls_info *in, const struct tls_config *cfg)
{
    in->local_reject = true;
    snprintf(in->error_text, sizeof(in->error_text),
             "the server chose %s, outside the client's range %s to %s",
             tls_version_name(in->server_hello_version), tls_version_name(cfg->min_version),
             tls_version_name(cfg->max_version));
}

static enum tls_step handshake_failed(struct tls_session *s, int ret)
{
    struct tls_info *in = &s->info;
    char why[128]; /* the error text (at most 99) and its code */

    in->error = ret;
    switch (ret) {
    case MBEDTLS_ERR_SSL_CONN_EOF:
        snprintf(in->error_text, sizeof(in->error_text), "the server %s the connection after: %s",
                 in->peer_reset ? "reset" : "closed", tls_stage_name(in->stage));
        break;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
        explain_alert(s);
        break;
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        /* After the handshake the sniffer is gone: record the close_notify it would have seen */
        if (!in->alert_received) {
            in->alert_received = true;
            in->alert_level = MBEDTLS_SSL_ALERT_LEVEL_WARNING;
            in->alert_description = MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY;
        }
        snprintf(in->error_text, sizeof(in->error_text),
                 "the server ended the TLS session (close_notify) after: %s",
                 tls_stage_name(in->stage));
        break;
    case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION:
        explain_version(in, s->cfg);
        break;
    default:
        in->local_reject = ret != MBEDTLS_ERR_SSL_ALLOC_FAILED;
        tls__error_coded(why, sizeof(why), ret);
        snprintf(in->error_text, sizeof(in->error_text), "%s after: %s", why,
                 tls_stage_name(in->stage));
        break;
    }
    return finish(s, TLS_STEP_FAILED);
}

/* mbedTLS 2.28 takes a handshake message only whole in one record (ssl_msg.c,
 * mbedtls_ssl_prepare_handshake_record: "TLS handshake fragmentation not supported") and fails
 * with FEATURE_UNAVAILABLE; RFC 5246 6.2.1 lets a server split any message, and a Certificate
 * over 2^14 bytes must be split. The sniffer reassembles it: read on until it has. */
static bool split_message(struct tls_session *s, int ret)
{
    uint8_t type;
    size_t len;

    /* mbedTLS names the message; the sniffer, fed first, may already have all of it */
    if (ret != MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE ||
        !tls__ssl_split_message(s->ssl, &type, &len)) {
        return false;
    }
    s->split_err = ret;
    s->info.split_type = type;
    s->info.split_len = len;
    queue_free(&s->in); /* mbedTLS will read nothing more */
    return true;
}

/* The split message is whole (or the server stopped): verify a captured chain as the handshake
 * would have, and end with mbedTLS's error. */
static enum tls_step read_split_message(struct tls_session *s)
{
    struct tls_info *in = &s->info;
    uint8_t type;
    size_t len;
    bool open = tls__sniff_open_message(&s->sniff, &type, &len);

    if (open && !s->closed) {
        return TLS_STEP_WANT_INPUT;
    }
    in->split_whole = !open;
    if (!open && in->split_type == TLS_HS_CERTIFICATE && in->chain_len > 0) {
        (void)tls_policy_verify_chain(in, s->cfg);
    }
    in->error = s->split_err;
    in->local_reject = true;
    snprintf(in->error_text, sizeof(in->error_text),
             "the server's %s message (%zu bytes) is split across TLS records, which mbedTLS "
             "2.28 cannot reassemble (-0x%04X)%s", tls_handshake_name(in->split_type),
             in->split_len, (unsigned)-s->split_err,
             open ? "; the server stopped before its end" : "");
    return finish(s, TLS_STEP_FAILED);
}

static enum tls_step step_run(struct tls_session *s)
{
    if (s->finished) {
        return s->result;
    }
    if (s->split_err != 0) {
        return read_split_message(s);
    }
    if (s->ssl == NULL) {
        int rc = session_start(s);

        if (rc != 0) { /* out of memory: nothing was sent */
            s->info.error = rc;
            tls__error_because(s->info.error_text, sizeof(s->info.error_text),
                               "cannot start a TLS session", rc);
            return finish(s, TLS_STEP_FAILED);
        }
    }
    for (;;) {
        int ret;

        if (reached_goal(s)) {
            return finish(s, TLS_STEP_DONE);
        }
        ret = mbedtls_ssl_handshake_step(s->ssl);
        note_progress(s);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return TLS_STEP_WANT_INPUT;
        }
        if (ret != 0 && split_message(s, ret)) {
            return read_split_message(s);
        }
        if (ret != 0) {
            return handshake_failed(s, ret);
        }
    }
}

enum tls_step tls_session_step(struct tls_session *s)
{
    enum tls_step r = step_run(s);

    settle_chain(s); /* mbedTLS read all it had: what it did not parse, it will not */
    return r;
}

/* ---- application data ---- */

static int app_not_ready(struct tls_session *s)
{
    /* A failed session already says why in error_text: keep that diagnosis. */
    if (!(s->finished && s->result == TLS_STEP_FAILED)) {
        snprintf(s->info.error_text, sizeof(s->info.error_text),
                 "application data needs a completed full handshake (stage: %s)",
                 tls_stage_name(s->info.stage));
    }
    return -1;
}

/* Whether n bytes of plaintext surely fit in the output queue once encrypted. */
static bool output_fits(const struct tls_session *s, size_t n)
{
    int payload = mbedtls_ssl_get_max_out_record_payload(s->ssl);
    int expansion = mbedtls_ssl_get_record_expansion(s->ssl);
    size_t room = TLS_OUT_MAX - queue_used(&s->out);

    if (payload <= 0 || expansion < 0 || n > room) {
        return false;
    }
    return (n / (size_t)payload + 1) * (size_t)expansion <= room - n;
}

int tls_session_write(struct tls_session *s, const uint8_t *p, size_t n)
{
    size_t off = 0;

    if (!app_data_ready(s)) {
        return app_not_ready(s);
    }
    /* Refuse up front rather than let bio_send fail halfway: mbedTLS would then hold a
     * half-written record that only a retry with the same arguments could finish. */
    if (!output_fits(s, n)) {
        snprintf(s->info.error_text, sizeof(s->info.error_text),
                 "cannot queue %zu bytes of application data: %zu bytes of output not yet sent",
                 n, queue_used(&s->out));
        return -1;
    }
    while (off < n) {
        int ret = mbedtls_ssl_write(s->ssl, p + off, n - off);

        if (ret <= 0) {
            handshake_failed(s, ret < 0 ? ret : MBEDTLS_ERR_SSL_INTERNAL_ERROR);
            return -1;
        }
        off += (size_t)ret;
    }
    return 0;
}

int tls_session_read(struct tls_session *s, uint8_t *buf, size_t cap, size_t *got)
{
    int ret;

    *got = 0;
    if (!app_data_ready(s)) {
        return app_not_ready(s);
    }
    if (cap == 0) {
        return 0;
    }
    ret = mbedtls_ssl_read(s->ssl, buf, cap);
    if (ret > 0) {
        *got = (size_t)ret;
        return 0;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return 0;
    }
    /* 0 is mbedTLS's "transport closed without close_notify" */
    handshake_failed(s, ret == 0 ? MBEDTLS_ERR_SSL_CONN_EOF : ret);
    return -1;
}
