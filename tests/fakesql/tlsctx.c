/* tests/fakesql/tlsctx.c: the server's OpenSSL contexts and its certificate.
 *
 * Two contexts share one certificate: TDS 7.x in-band TLS is capped at TLS 1.2 (MS-TDS 2.1
 * lists TLS 1.3 only for TDS 8.0), and the TDS 8.0 context adds ALPN "tds/8.0" and TLS 1.3 when
 * tlsprotocols lists it.
 *
 * Without tlscert, SQL Server makes a self-signed certificate at start-up, kept only in memory:
 * CN=SSL_Self_Signed_Fallback, no extensions (X.509 v1 on Linux: tests/data/ssl_self_signed_fallback_mssql2017_linux.der),
 * 30 years, RSA-2048, SHA-256 since SQL Server 2017. We do the same.
 *
 * A certificate that OpenSSL refuses at the configured security level (SHA-1 or RSA-1024 at
 * level 2) does not stop SQL Server on Linux from starting: PRELOGIN is still answered and the
 * handshake dies (the seed's Ubuntu 20.04 section). So a refused certificate leaves the
 * contexts without one, and every handshake fails with "no shared cipher".
 */
#include "fakesql.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

struct cert_set {
    X509 *leaf;
    EVP_PKEY *key;
    STACK_OF(X509) *chain; /* intermediates after the leaf in tlscert */
};

static void cert_set_free(struct cert_set *cs)
{
    X509_free(cs->leaf);
    EVP_PKEY_free(cs->key);
    sk_X509_pop_free(cs->chain, X509_free);
    memset(cs, 0, sizeof(*cs));
}

/* The last OpenSSL error as text ("" if none), and the queue cleared. */
static const char *ossl_err(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();

    buf[0] = '\0';
    if (e != 0) {
        ERR_error_string_n(e, buf, cap);
    }
    ERR_clear_error();
    return buf;
}

static int load_pem(struct cert_set *cs, const char *certfile, const char *keyfile, char *err,
                    size_t cap)
{
    char e[256];
    BIO *b = BIO_new_file(certfile, "r");
    if (b == NULL) {
        snprintf(err, cap, "tlscert %s: cannot open (%s)", certfile, ossl_err(e, sizeof(e)));
        return -1;
    }
    cs->leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
    cs->chain = sk_X509_new_null();
    X509 *x;
    while (cs->chain != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(cs->chain, x);
    }
    ERR_clear_error(); /* the end of the file reads as an error */
    BIO_free(b);
    if (cs->leaf == NULL) {
        snprintf(err, cap, "tlscert %s: no PEM certificate in it", certfile);
        return -1;
    }
    b = BIO_new_file(keyfile, "r");
    if (b != NULL) {
        cs->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    }
    BIO_free(b);
    if (cs->key == NULL) {
        snprintf(err, cap, "tlskey %s: no PEM private key (%s)", keyfile, ossl_err(e, sizeof(e)));
        return -1;
    }
    if (X509_check_private_key(cs->leaf, cs->key) != 1) {
        snprintf(err, cap, "tlskey %s does not match the certificate in %s", keyfile, certfile);
        return -1;
    }
    return 0;
}

static int set_fallback_name(X509 *x)
{
    X509_NAME *name = X509_get_subject_name(x);
    const unsigned char *cn = (const unsigned char *)"SSL_Self_Signed_Fallback";

    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1) {
        return -1;
    }
    return X509_set_issuer_name(x, name) == 1 ? 0 : -1;
}

/* RSA with three primes where OpenSSL allows it (1024 bits and up): clients only ever see n and
 * e, so the key looks like any other RSA key, and generation takes about a third of the time
 * (~50 ms for 2048 bits instead of ~160 ms; tests start many fallback servers). */
static EVP_PKEY *rsa_key(unsigned bits)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *key = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_primes(ctx, bits >= 1024 ? 3 : 2) != 1 ||
        EVP_PKEY_generate(ctx, &key) != 1) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static int make_fallback(struct cert_set *cs, const struct fsql_config *c, char *err, size_t cap)
{
    char e[256];
    const EVP_MD *md = EVP_get_digestbyname(c->fallback_hash);
    unsigned char serial[16];

    if (md == NULL) {
        snprintf(err, cap, "fallback_hash = %s: unknown digest", c->fallback_hash);
        return -1;
    }
    cs->key = rsa_key(c->fallback_bits);
    cs->leaf = X509_new();
    BIGNUM *bn = NULL;
    if (cs->key == NULL || cs->leaf == NULL || RAND_bytes(serial, sizeof(serial)) != 1) {
        goto out_fail;
    }
    serial[0] &= 0x7F; /* a positive INTEGER */
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    /* X.509 v1 without extensions, as SQL Server 2017 on Linux (fixture F7). */
    if (bn == NULL || X509_set_version(cs->leaf, X509_VERSION_1) != 1 ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cs->leaf)) == NULL ||
        X509_gmtime_adj(X509_getm_notBefore(cs->leaf), -86400) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(cs->leaf), 30 * 365 + 7, 0, NULL) == NULL ||
        set_fallback_name(cs->leaf) != 0 || X509_set_pubkey(cs->leaf, cs->key) != 1 ||
        X509_sign(cs->leaf, cs->key, md) <= 0) {
        goto out_fail;
    }
    BN_free(bn);
    return 0;
out_fail:
    BN_free(bn);
    snprintf(err, cap, "cannot make the fallback certificate: %s", ossl_err(e, sizeof(e)));
    return -1;
}

static int set_versions(SSL_CTX *ctx, unsigned bits, bool allow13)
{
    static const struct {
        unsigned bit;
        int version;
        uint64_t no_op;
    } v[] = {
        { FSQL_TLS10, TLS1_VERSION, SSL_OP_NO_TLSv1 },
        { FSQL_TLS11, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1 },
        { FSQL_TLS12, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2 },
        { FSQL_TLS13, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3 },
    };
    int lo = 0, hi = 0;

    if (!allow13) {
        bits &= ~(unsigned)FSQL_TLS13;
    }
    for (size_t i = 0; i < 4; i++) {
        if (bits & v[i].bit) {
            lo = lo ? lo : v[i].version;
            hi = v[i].version;
        }
    }
    if (lo == 0) { /* nothing allowed: every handshake fails, as configured */
        lo = hi = TLS1_2_VERSION;
    }
    if (SSL_CTX_set_min_proto_version(ctx, lo) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, hi) != 1) {
        return -1;
    }
    /* Holes in the list ("1.0,1.2") need the old per-version switches. */
    for (size_t i = 0; i < 4; i++) {
        if (!(bits & v[i].bit)) {
            SSL_CTX_set_options(ctx, v[i].no_op);
        }
    }
    return 0;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char tds8[] = "\x07tds/8.0";
    unsigned char *sel;

    if (SSL_select_next_proto(&sel, outlen, tds8, sizeof(tds8) - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* The RFC 8446 4.2.7 name of a key exchange group, for the connection log. */
static const char *group_name(unsigned id)
{
    switch (id) {
    case 0x0017: return "secp256r1";
    case 0x0018: return "secp384r1";
    case 0x0019: return "secp521r1";
    case 0x001d: return "x25519";
    case 0x001e: return "x448";
    case 0x0100: return "ffdhe2048";
    case 0x0101: return "ffdhe3072";
    default: return NULL;
    }
}

/* What a client's ClientHello offers as TLS 1.3 key shares (RFC 8446 4.2.8), logged as the
 * server sees it: which groups a client computes a key pair for, ahead of any reply, is its TLS
 * stack's choice, and a share for a group the server lacks costs a HelloRetryRequest. OpenSSL
 * calls this once per ClientHello, so after a retry the second hello's shares follow a "/";
 * "none" is a hello without the extension (TLS 1.2 and older). */
static int note_key_shares(SSL *ssl, int *alert, void *arg)
{
    struct fsql_conn *c = SSL_get_app_data(ssl);
    const unsigned char *p;
    size_t n, len;
    char *out;

    (void)alert;
    (void)arg;
    if (c == NULL) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    len = strlen(c->key_shares);
    out = c->key_shares + len;
    n = sizeof(c->key_shares) - len;
    if (len > 0 && n > 1) {
        *out++ = '/';
        *out = '\0';
        n--;
    }
    if (!SSL_client_hello_get0_ext(ssl, 51, &p, &len) || len < 2) {
        snprintf(out, n, "none");
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    /* client_shares<0..2^16-1>: group (2), key_exchange<1..2^16-1> */
    size_t end = 2 + ((size_t)p[0] << 8 | p[1]), at = 2;
    const char *sep = "";
    if (end > len) {
        end = len;
    }
    if (end == 2) {
        snprintf(out, n, "empty");
    }
    while (at + 4 <= end && n > 1) {
        unsigned id = (unsigned)p[at] << 8 | p[at + 1];
        size_t kl = (size_t)p[at + 2] << 8 | p[at + 3];
        const char *name = group_name(id);
        int w = name ? snprintf(out, n, "%s%s", sep, name) : snprintf(out, n, "%s0x%04x", sep, id);
        if (w < 0 || (size_t)w >= n) {
            break;
        }
        out += w;
        n -= (size_t)w;
        sep = ",";
        at += 4 + kl;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

static SSL_CTX *new_ctx(const struct fsql_config *c, bool tds8, char *err, size_t cap)
{
    char e[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL) {
        snprintf(err, cap, "SSL_CTX_new: %s", ossl_err(e, sizeof(e)));
        return NULL;
    }
    /* Before the certificate: the level decides whether OpenSSL accepts it. */
    SSL_CTX_set_security_level(ctx, c->seclevel);
    /* Full handshakes every time (as probes need), and small per-connection state. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (set_versions(ctx, c->protocols, tds8) != 0) {
        snprintf(err, cap, "tlsprotocols: %s", ossl_err(e, sizeof(e)));
        goto out_fail;
    }
    if (c->tlsciphers[0] != '\0' && SSL_CTX_set_cipher_list(ctx, c->tlsciphers) != 1) {
        snprintf(err, cap, "tlsciphers = %s: %s", c->tlsciphers, ossl_err(e, sizeof(e)));
        goto out_fail;
    }
    /* The key exchange groups (TLS 1.3 key shares, TLS 1.2 ECDHE): a list without the client's
     * first key share's group makes an OpenSSL server answer with a HelloRetryRequest (RFC 8446
     * 4.1.4), one without any group the client offers with a handshake_failure alert. */
    if (c->groups[0] != '\0' && SSL_CTX_set1_groups_list(ctx, c->groups) != 1) {
        snprintf(err, cap, "groups = %s: %s", c->groups, ossl_err(e, sizeof(e)));
        goto out_fail;
    }
    /* TLS 1.3 suites are a separate OpenSSL list: tlsciphers names TLS 1.2 and older only. */
    if (c->ciphersuites13[0] != '\0' && SSL_CTX_set_ciphersuites(ctx, c->ciphersuites13) != 1) {
        snprintf(err, cap, "ciphersuites13 = %s: %s", c->ciphersuites13, ossl_err(e, sizeof(e)));
        goto out_fail;
    }
    if (tds8) {
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    }
    SSL_CTX_set_client_hello_cb(ctx, note_key_shares, NULL);
    return ctx;
out_fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Installs the certificate; false (with the reason) when OpenSSL refuses it at this level. */
static bool install(SSL_CTX *ctx, const struct cert_set *cs, char *why, size_t cap)
{
    char e[256];

    if (SSL_CTX_use_certificate(ctx, cs->leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, cs->key) != 1) {
        goto out_refused;
    }
    for (int i = 0; cs->chain != NULL && i < sk_X509_num(cs->chain); i++) {
        if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(cs->chain, i)) != 1) {
            goto out_refused;
        }
    }
    return true;
out_refused:
    snprintf(why, cap, "OpenSSL refuses the certificate at security level %d: %s",
             SSL_CTX_get_security_level(ctx), ossl_err(e, sizeof(e)));
    return false;
}

static int load_certs(struct cert_set *cs, struct fsql_tls *t, const struct fsql_config *c,
                      char *err, size_t cap)
{
    if (c->tlscert[0] != '\0') {
        return load_pem(cs, c->tlscert, c->tlskey[0] ? c->tlskey : c->tlscert, err, cap);
    }
    t->fallback = true;
    return make_fallback(cs, c, err, cap);
}

int fsql_tls_init(struct fsql_tls *t, const struct fsql_config *c, char *err, size_t cap)
{
    struct cert_set cs = { 0 };
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (c->not_supported) { /* no certificate at all: nothing to load, no TLS ever */
        return 0;
    }
    t->tds7 = new_ctx(c, false, err, cap);
    t->tds8 = t->tds7 ? new_ctx(c, true, err, cap) : NULL;
    if (t->tds8 == NULL || load_certs(&cs, t, c, err, cap) != 0) {
        goto out;
    }
    X509_NAME_oneline(X509_get_subject_name(cs.leaf), t->subject, sizeof(t->subject));
    t->usable = install(t->tds7, &cs, t->why, sizeof(t->why)) &&
                install(t->tds8, &cs, t->why, sizeof(t->why));
    if (!t->usable) {
        /* Start anyway, without a certificate: handshakes die as SQL Server's do. */
        SSL_CTX_free(t->tds7);
        SSL_CTX_free(t->tds8);
        t->tds7 = new_ctx(c, false, err, cap);
        t->tds8 = t->tds7 ? new_ctx(c, true, err, cap) : NULL;
        if (t->tds8 == NULL) {
            goto out;
        }
    }
    rc = 0;
out:
    cert_set_free(&cs);
    if (rc != 0) {
        fsql_tls_free(t);
    }
    return rc;
}

void fsql_tls_free(struct fsql_tls *t)
{
    SSL_CTX_free(t->tds7);
    SSL_CTX_free(t->tds8);
    t->tds7 = t->tds8 = NULL;
}

const char *fsql_tls_version_list(unsigned bits, char *buf, size_t cap)
{
    static const char *const names[] = { "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3" };
    size_t used = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (bits & (1u << i) && used < cap) {
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? "," : "", names[i]);
        }
    }
    return buf;
}
