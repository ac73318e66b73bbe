/* tests/unit/test_tls_server.c: the in-process server and file helpers (see the header). */
#include "test_tls_server.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "test_tds_util.h"
#include "tls/tls_version.h"

struct buf {
    uint8_t *p;
    size_t len;
};

static void buf_add(struct buf *b, const uint8_t *p, size_t n)
{
    b->p = realloc(b->p, b->len + n + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_take(struct buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

struct srv {
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    struct buf in;
    struct buf out;
    const char *alpn[2];
    char sni[256];
};

/* One per thread, like the client's (tls/tls_rng.c), so test_tls_threads can run servers on
 * two threads at once. */
static mbedtls_ctr_drbg_context *server_rng(void)
{
    static _Thread_local mbedtls_entropy_context entropy;
    static _Thread_local mbedtls_ctr_drbg_context drbg;
    static _Thread_local bool ready;

    if (!ready) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        assert_int_equal(0, mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                                  (const unsigned char *)"srv", 3));
        ready = true;
    }
    return &drbg;
}

static int srv_send(void *ctx, const unsigned char *p, size_t n)
{
    struct srv *s = ctx;

    buf_add(&s->out, p, n);
    return (int)n;
}

static int srv_recv(void *ctx, unsigned char *p, size_t n)
{
    struct srv *s = ctx;

    if (s->in.len == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    n = n < s->in.len ? n : s->in.len;
    memcpy(p, s->in.p, n);
    buf_take(&s->in, n);
    return (int)n;
}

static int srv_sni(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
    struct srv *s = ctx;

    (void)ssl;
    if (len >= sizeof(s->sni)) {
        len = sizeof(s->sni) - 1;
    }
    memcpy(s->sni, name, len);
    s->sni[len] = '\0';
    return 0;
}

static void srv_init(struct srv *s, const struct srv_opts *so)
{
    memset(s, 0, sizeof(*s));
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_init(&s->ssl);
    mbedtls_x509_crt_init(&s->crt);
    mbedtls_pk_init(&s->key);
    assert_int_equal(0, mbedtls_x509_crt_parse_file(&s->crt, so->cert));
    assert_int_equal(0, mbedtls_pk_parse_keyfile(&s->key, so->key, NULL));
    /* mbedTLS as a server refuses to serve a leaf whose (extended) key usage does not fit the
     * suite; SQL Server on Linux (OpenSSL) serves whatever it is configured with. Hide the
     * parsed extensions from the server's own check; the DER on the wire is unchanged. */
    s->crt.ext_types &= ~(MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE | MBEDTLS_X509_EXT_KEY_USAGE);
    assert_int_equal(0, mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                                    MBEDTLS_SSL_TRANSPORT_STREAM,
                                                    MBEDTLS_SSL_PRESET_DEFAULT));
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, server_rng());
    assert_int_equal(0, mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key));
    mbedtls_ssl_conf_min_version(&s->conf, 3, so->min_version ? so->min_version : TLS_V10);
    mbedtls_ssl_conf_max_version(&s->conf, 3, so->max_version ? so->max_version : TLS_V12);
    mbedtls_ssl_conf_sni(&s->conf, srv_sni, s);
    mbedtls_ssl_conf_authmode(&s->conf, so->ask_client_cert ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                            : MBEDTLS_SSL_VERIFY_NONE);
    if (so->suites != NULL) {
        mbedtls_ssl_conf_ciphersuites(&s->conf, so->suites);
    }
    if (so->arc4) {
        mbedtls_ssl_conf_arc4_support(&s->conf, MBEDTLS_SSL_ARC4_ENABLED);
    }
    if (so->alpn != NULL) {
        s->alpn[0] = so->alpn;
        assert_int_equal(0, mbedtls_ssl_conf_alpn_protocols(&s->conf, s->alpn));
    }
    assert_int_equal(0, mbedtls_ssl_setup(&s->ssl, &s->conf));
    mbedtls_ssl_set_bio(&s->ssl, s, srv_send, srv_recv, NULL);
}

static void srv_free(struct srv *s)
{
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_x509_crt_free(&s->crt);
    mbedtls_pk_free(&s->key);
    free(s->in.p);
    free(s->out.p);
}

/* Moves what the client wrote to the server. */
static void client_to_server(struct tls_session *cli, struct srv *s, struct pair_result *res,
                             bool after_flight)
{
    size_t n;
    const uint8_t *p = tls_session_out(cli, &n);

    if (n == 0) {
        return;
    }
    buf_add(&s->in, p, n);
    tls_session_out_ack(cli, n);
    res->client_bytes += n;
    if (after_flight) {
        res->client_bytes_after_flight += n;
    }
}

/* Delivers the server's output to the client, in chunks, stepping after each. */
static enum tls_step server_to_client(struct tls_session *cli, struct srv *s, size_t chunk,
                                      struct pair_result *res)
{
    enum tls_step st = TLS_STEP_WANT_INPUT;
    size_t off = 0;

    res->server_bytes += s->out.len;
    while (off < s->out.len && st == TLS_STEP_WANT_INPUT) {
        size_t k = chunk ? chunk : s->out.len;

        k = k < s->out.len - off ? k : s->out.len - off;
        assert_int_equal(0, tls_session_feed(cli, s->out.p + off, k));
        off += k;
        st = tls_session_step(cli);
        client_to_server(cli, s, res, true);
    }
    s->out.len = 0;
    return st;
}

struct pair {
    struct srv s; /* the BIO and SNI callbacks point here: a pair never moves */
    struct tls_session *cli;
    size_t chunk;
};

/* The server's handshake; with so->greeting, application data right after its Finished, so it
 * reaches the client in the same read as the end of the handshake. */
static bool server_handshake(struct pair *p, const struct srv_opts *so, struct pair_result *res)
{
    res->server_ret = mbedtls_ssl_handshake(&p->s.ssl);
    if (res->server_ret == 0 && so->greeting != NULL) {
        assert_int_equal((int)strlen(so->greeting),
                         mbedtls_ssl_write(&p->s.ssl, (const unsigned char *)so->greeting,
                                           strlen(so->greeting)));
    }
    return res->server_ret != MBEDTLS_ERR_SSL_WANT_READ;
}

struct pair *pair_open(const struct tls_config *cfg, const char *sni, const struct srv_opts *so,
                       size_t chunk, struct pair_result *res)
{
    struct pair *p = calloc(1, sizeof(*p));
    char err[200];
    bool flight = false, server_over = false;

    assert_non_null(p);
    memset(res, 0, sizeof(*res));
    p->chunk = chunk;
    srv_init(&p->s, so);
    assert_int_equal(0, tls_session_new(&p->cli, cfg, sni, err, sizeof(err)));
    res->step = tls_session_step(p->cli);
    client_to_server(p->cli, &p->s, res, false);
    for (int round = 0; round < 64 && res->step == TLS_STEP_WANT_INPUT; round++) {
        if (server_over && p->s.out.len == 0) {
            tls_session_peer_closed(p->cli, false); /* a failed server hangs up */
            res->step = tls_session_step(p->cli);
            break;
        }
        if (!server_over) {
            server_over = server_handshake(p, so, res);
        }
        if (p->s.out.len > 0) {
            res->step = server_to_client(p->cli, &p->s, chunk, res);
            flight = true;
        } else {
            res->step = tls_session_step(p->cli);
            client_to_server(p->cli, &p->s, res, flight);
        }
    }
    snprintf(res->server_sni, sizeof(res->server_sni), "%s", p->s.sni);
    return p;
}

struct tls_session *pair_client(struct pair *p)
{
    return p->cli;
}

void pair_close(struct pair *p)
{
    srv_free(&p->s);
    tls_session_free(p->cli);
    free(p);
}

void pair_run(const struct tls_config *cfg, const char *sni, const struct srv_opts *so,
              size_t chunk, struct tls_session **out, struct pair_result *res)
{
    struct pair *p = pair_open(cfg, sni, so, chunk, res);

    *out = p->cli;
    p->cli = NULL;
    pair_close(p);
}

size_t pair_server_read(struct pair *p, uint8_t *buf, size_t cap)
{
    struct pair_result ignored = { 0 };
    int ret;

    client_to_server(p->cli, &p->s, &ignored, false);
    ret = mbedtls_ssl_read(&p->s.ssl, buf, cap);
    if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
        return 0;
    }
    if (ret < 0) {
        fail_msg("server read: -0x%04X", (unsigned)-ret);
    }
    return (size_t)ret;
}

void pair_server_write(struct pair *p, const uint8_t *data, size_t n)
{
    for (size_t off = 0; off < n;) {
        int ret = mbedtls_ssl_write(&p->s.ssl, data + off, n - off);

        if (ret <= 0) {
            fail_msg("server write: -0x%04X", (unsigned)-ret);
        }
        off += (size_t)ret;
    }
}

void pair_server_close_notify(struct pair *p)
{
    assert_int_equal(0, mbedtls_ssl_close_notify(&p->s.ssl));
}

size_t pair_to_client(struct pair *p, size_t chunk)
{
    size_t n = p->s.out.len;

    for (size_t off = 0; off < n;) {
        size_t k = chunk ? chunk : n;

        k = k < n - off ? k : n - off;
        assert_int_equal(0, tls_session_feed(p->cli, p->s.out.p + off, k));
        off += k;
    }
    p->s.out.len = 0;
    return n;
}

size_t srv_reply(const struct srv_opts *so, const uint8_t *in, size_t n, uint8_t *out,
                 size_t cap, char sni[256])
{
    struct srv s;
    size_t len;
    int ret;

    srv_init(&s, so);
    buf_add(&s.in, in, n);
    for (int i = 0; i < 64; i++) { /* until it waits (WANT_READ) or fails */
        ret = mbedtls_ssl_handshake_step(&s.ssl);
        if (ret != 0) {
            break;
        }
    }
    len = s.out.len < cap ? s.out.len : cap;
    if (len > 0) {
        memcpy(out, s.out.p, len);
    }
    snprintf(sni, 256, "%s", s.sni);
    srv_free(&s);
    return len;
}

struct tls_config *client_config(const char *ca, int min, int max, enum tls_handshake_mode mode,
                                 const char *alpn)
{
    struct tls_config_opts o = {
        .min_version = min ? min : TLS_V10,
        .max_version = max ? max : TLS_V12,
        .ca_file = ca,
        .alpn = alpn,
        .mode = mode,
        .app_data = true, /* the app-data tests read and write after the handshake */
    };
    struct tls_config *cfg = NULL;
    char err[256];

    if (tls_config_new(&cfg, &o, err, sizeof(err)) != 0) {
        fail_msg("tls_config_new: %s", err);
    }
    return cfg;
}

uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *p = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc((size_t)n + 1);
        if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        } else if (p != NULL) {
            p[n] = 0;
            *len = (size_t)n;
        }
    }
    fclose(f);
    return p;
}

uint8_t *pem_first_der(const char *path, size_t *len)
{
    mbedtls_x509_crt crt;
    uint8_t *der = NULL;

    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse_file(&crt, path) >= 0 && crt.raw.len > 0) {
        der = malloc(crt.raw.len);
        assert_non_null(der);
        memcpy(der, crt.raw.p, crt.raw.len);
        *len = crt.raw.len;
    }
    mbedtls_x509_crt_free(&crt);
    return der;
}

uint8_t *read_hex(const char *path, size_t *len)
{
    size_t n;
    uint8_t *text = read_file(path, &n), *out;
    size_t o = 0;
    int hi = -1;
    bool comment = false;

    if (text == NULL) {
        return NULL;
    }
    out = malloc(n / 2 + 1);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(text[i]);

        if (text[i] == '#') {
            comment = true;
        }
        if (text[i] == '\n') {
            comment = false;
        }
        if (comment || d < 0) {
            continue;
        }
        if (hi < 0) {
            hi = d;
        } else {
            out[o++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    free(text);
    *len = o;
    return out;
}

struct tls_policy_opts policy_defaults(const char *name)
{
    struct tls_policy_opts o = {
        .name = name,
        .rules = { .cn_fallback = true, .ip_needs_ip_san = true },
        .check_trust = true,
        .now = time(NULL),
        .min_rsa_bits = 2048,
        .min_signature_bits = 112,
    };

    return o;
}

int finding_index(const struct tls_verdict *v, enum tls_finding_code code)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->f[i].code == code) {
            return (int)i;
        }
    }
    return -1;
}
