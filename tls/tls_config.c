/* tls/tls_config.c: one shared mbedTLS client configuration per client profile.
 *
 * Built once, read-only afterwards: every session of the profile points at it, so thousands of
 * concurrent probes share one parsed trust store and one suite list. A config holds no random
 * generator: sessions draw from their thread's DRBG (tls_rng.c). Sessions write two things: the
 * trust anchors' signature memo (tls_sigmemo.c), behind its own lock, and the pool of finished
 * sessions' mbedTLS contexts (tls_ctxpool.c), which only its owning thread uses. */
#include "tls/tls_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/error.h>

#include "tls/tls_int.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

/* Everything allowed, RSA down to 512 bits: a certificate signed with MD5 or SHA-1, or an
 * RSA-1024 key, must reach the policy (which names the problem) rather than fail in mbedTLS
 * with a bare "bad certificate". */
const mbedtls_x509_crt_profile tls__permissive_profile = {
    .allowed_mds = 0xFFFFFFFu,
    .allowed_pks = 0xFFFFFFFu,
    .allowed_curves = 0xFFFFFFFu,
    .rsa_min_bitlen = 512,
};

/* Signature hashes offered and accepted in ServerKeyExchange (TLS 1.2). SHA-1 stays last: old
 * servers sign with it and a diagnosis beats a refusal. */
static const int sig_hashes[] = {
    MBEDTLS_MD_SHA512, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA224, MBEDTLS_MD_SHA1,
    MBEDTLS_MD_NONE,
};

static int default_suites(struct tls_config *cfg)
{
    size_t n = tls_default_suites(NULL, 0);
    uint16_t *ids = calloc(n + 1, sizeof(*ids));

    cfg->suites = calloc(n + 1, sizeof(*cfg->suites));
    if (ids == NULL || cfg->suites == NULL) {
        free(ids);
        return -1;
    }
    n = tls_default_suites(ids, n);
    for (size_t i = 0; i < n; i++) {
        cfg->suites[i] = ids[i];
    }
    free(ids);
    return 0;
}

static int given_suites(struct tls_config *cfg, const uint16_t *ids, char *err, size_t errlen)
{
    size_t n = 0;

    while (ids[n] != 0) {
        n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "the cipher suite list is empty");
        return -1;
    }
    cfg->suites = calloc(n + 1, sizeof(*cfg->suites));
    if (cfg->suites == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!tls_cipher_supported(ids[i])) {
            const char *name = tls_cipher_name(ids[i]);

            snprintf(err, errlen, "cipher suite 0x%04X (%s) is not supported by this mbedTLS "
                     "build", ids[i], name != NULL ? name : "unknown");
            return -1;
        }
        cfg->suites[i] = ids[i];
    }
    return 0;
}

/* X25519, P-256 and P-384 first: what servers pick, and measured ~2.5x cheaper per handshake
 * than mbedTLS's default order (which starts with P-521). The rest stay offered, after them. */
static void fill_curves(struct tls_config *cfg)
{
    static const mbedtls_ecp_group_id first[] = {
        MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
    };
    const size_t cap = sizeof(cfg->curves) / sizeof(cfg->curves[0]) - 1;
    size_t n = 0;

    for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
        if (mbedtls_ecp_curve_info_from_grp_id(first[i]) != NULL) {
            cfg->curves[n++] = first[i];
        }
    }
    for (const mbedtls_ecp_group_id *g = mbedtls_ecp_grp_id_list();
         *g != MBEDTLS_ECP_DP_NONE && n < cap; g++) {
        bool seen = false;

        for (size_t i = 0; i < n; i++) {
            seen = seen || cfg->curves[i] == *g;
        }
        if (!seen) {
            cfg->curves[n++] = *g;
        }
    }
    cfg->curves[n] = MBEDTLS_ECP_DP_NONE;
}

static size_t count_certs(const mbedtls_x509_crt *crt)
{
    size_t n = 0;

    for (; crt != NULL && crt->raw.len > 0; crt = crt->next) {
        n++;
    }
    return n;
}

static int load_ca_file(struct tls_config *cfg, const char *path, const struct stat *st,
                        char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    int rc;

    if (f == NULL) {
        snprintf(err, errlen, "cannot read CA file %s: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    if (st->st_size == 0) {
        snprintf(err, errlen, "CA file %s is empty: it holds no certificate", path);
        return -1;
    }
    rc = mbedtls_x509_crt_parse_file(&cfg->ca, path);
    cfg->ca_count = count_certs(&cfg->ca);
    if (cfg->ca_count == 0) {
        char why[100];

        mbedtls_strerror(rc, why, sizeof(why));
        snprintf(err, errlen, "CA file %s holds no certificate that can be read (%s)", path,
                 rc < 0 ? why : "nothing parsed");
        return -1;
    }
    cfg->ca_failed = rc > 0 ? (size_t)rc : 0; /* a bundle loads what it can */
    return 0;
}

static int load_ca_dir(struct tls_config *cfg, const char *path, char *err, size_t errlen)
{
    int rc = mbedtls_x509_crt_parse_path(&cfg->ca, path);

    cfg->ca_count = count_certs(&cfg->ca);
    if (cfg->ca_count == 0) {
        if (rc == MBEDTLS_ERR_X509_FILE_IO_ERROR) {
            snprintf(err, errlen, "cannot read CA directory %s", path);
        } else {
            snprintf(err, errlen, "CA directory %s holds no certificate that can be read",
                     path);
        }
        return -1;
    }
    cfg->ca_failed = rc > 0 ? (size_t)rc : 0;
    return 0;
}

static int load_ca(struct tls_config *cfg, const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot read CA file %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        return load_ca_dir(cfg, path, err, errlen);
    }
    return load_ca_file(cfg, path, &st, err, errlen);
}

static int check_opts(const struct tls_config_opts *o, char *err, size_t errlen)
{
    if (o->min_version < TLS_V10 || o->max_version > TLS_V12 ||
        o->min_version > o->max_version) {
        snprintf(err, errlen, "TLS version range %s to %s is not possible: this build does "
                 "TLS 1.0 to TLS 1.2", tls_version_name(o->min_version),
                 tls_version_name(o->max_version));
        return -1;
    }
    if (o->alpn != NULL && (o->alpn[0] == '\0' || strlen(o->alpn) > 255)) {
        snprintf(err, errlen, "ALPN protocol name must be 1 to 255 bytes");
        return -1;
    }
    return 0;
}

/* The fixed part of every profile. */
static void conf_common(struct tls_config *cfg)
{
    mbedtls_ssl_config *c = &cfg->conf;

    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, cfg->min_version);
    mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, cfg->max_version);
    /* OPTIONAL: finish (or stop) the handshake whatever the chain, keep the flags, judge later */
    mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_OPTIONAL);
    mbedtls_ssl_conf_cert_profile(c, &tls__permissive_profile);
    mbedtls_ssl_conf_ca_chain(c, cfg->ca_count > 0 ? &cfg->ca : NULL, NULL);
    mbedtls_ssl_conf_rng(c, tls__random, NULL); /* the calling thread's DRBG (tls_rng.c) */
    mbedtls_ssl_conf_ciphersuites(c, cfg->suites);
    mbedtls_ssl_conf_curves(c, cfg->curves);
    mbedtls_ssl_conf_sig_hashes(c, sig_hashes);
    /* No 1/n-1 record splitting (mbedTLS's TLS 1.0 CBC countermeasure): one write is one
     * record, so each TDS packet the probe sends carries one whole record. No renegotiation, no
     * tickets: the probe stops after one handshake. */
    mbedtls_ssl_conf_cbc_record_splitting(c, MBEDTLS_SSL_CBC_RECORD_SPLITTING_DISABLED);
    mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
}

/* RC4 suites are known to mbedTLS but withheld from a ClientHello unless enabled; an explicit
 * list that names one means "probe RC4", so it must really be offered. */
static bool lists_rc4(const int *suites)
{
    for (size_t i = 0; suites[i] != 0; i++) {
        struct tls_suite_info si;

        if (tls_suite_info((uint16_t)suites[i], &si) && si.weak_rc4) {
            return true;
        }
    }
    return false;
}

static int config_build(struct tls_config *cfg, const struct tls_config_opts *o, char *err,
                        size_t errlen)
{
    int rc = 0;

    if (o->ca_file != NULL && load_ca(cfg, o->ca_file, err, errlen) != 0) {
        return -1;
    }
    /* Every session of the config verifies the same intermediates with the same anchors. */
    if (cfg->ca_count > 0 && ((cfg->memo = tls__sigmemo_new()) == NULL ||
                              tls__sigmemo_route_anchors(cfg->memo, &cfg->ca) != 0)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (o->ciphersuites != NULL ? given_suites(cfg, o->ciphersuites, err, errlen) != 0
                                : default_suites(cfg) != 0) {
        if (err[0] == '\0') {
            snprintf(err, errlen, "out of memory");
        }
        return -1;
    }
    fill_curves(cfg);
    if (tls__thread_drbg() == NULL) { /* seeds this thread's DRBG, once */
        rc = MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    }
    if (rc == 0) {
        rc = mbedtls_ssl_config_defaults(&cfg->conf, MBEDTLS_SSL_IS_CLIENT,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (rc == 0 && o->alpn != NULL) {
        snprintf(cfg->alpn, sizeof(cfg->alpn), "%s", o->alpn);
        cfg->alpn_list[0] = cfg->alpn;
        rc = mbedtls_ssl_conf_alpn_protocols(&cfg->conf, cfg->alpn_list);
    }
    if (rc != 0) {
        tls__error_because(err, errlen, "cannot set up mbedTLS", rc);
        return -1;
    }
    conf_common(cfg);
    if (lists_rc4(cfg->suites)) {
        mbedtls_ssl_conf_arc4_support(&cfg->conf, MBEDTLS_SSL_ARC4_ENABLED);
    }
    return 0;
}

int tls_config_new(struct tls_config **out, const struct tls_config_opts *o, char *err,
                   size_t errlen)
{
    struct tls_config *cfg;

    *out = NULL;
    if (errlen > 0) {
        err[0] = '\0';
    }
    if (check_opts(o, err, errlen) != 0) {
        return -1;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    mbedtls_ssl_config_init(&cfg->conf);
    mbedtls_x509_crt_init(&cfg->ca);
    cfg->pool = tls__ctxpool_new();
    if (cfg->pool == NULL) {
        snprintf(err, errlen, "out of memory");
        tls_config_free(cfg);
        return -1;
    }
    cfg->mode = o->mode;
    cfg->app_data = o->app_data;
    cfg->min_version = o->min_version;
    cfg->max_version = o->max_version;
    if (config_build(cfg, o, err, errlen) != 0) {
        tls_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

void tls_config_free(struct tls_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    tls__ctxpool_free(cfg->pool); /* its contexts point at conf */
    mbedtls_ssl_config_free(&cfg->conf);
    mbedtls_x509_crt_free(&cfg->ca); /* before the memo its keys name */
    tls__sigmemo_free(cfg->memo);
    free(cfg->suites);
    free(cfg);
}

size_t tls_config_ca_count(const struct tls_config *cfg)
{
    return cfg->ca_count;
}

size_t tls_config_ca_failed(const struct tls_config *cfg)
{
    return cfg->ca_failed;
}
