/* tls/tls_mbedtls_compat.c: the reads of mbedTLS 2.28 fields that mbedTLS 3.x makes private
 * (see the header for the rule and for what replaces each in 3.x). */
#include "tls/tls_mbedtls_compat.h"

#include <pthread.h>
#include <stdlib.h>

#include <mbedtls/pk_internal.h>
#include <mbedtls/rsa.h>

#include "tls/tls_int.h"

void tls__suite_fields(const mbedtls_ssl_ciphersuite_t *cs, struct tls__suite_fields *out)
{
    out->name = cs->name;
    out->key_exchange = cs->key_exchange;
    out->cipher = cs->cipher;
    out->mac = cs->mac;
    out->short_tag = (cs->flags & MBEDTLS_CIPHERSUITE_SHORT_TAG) != 0;
    out->min_minor = cs->min_minor_ver;
    out->max_minor = cs->max_minor_ver;
}

mbedtls_cipher_mode_t tls__cipher_mode(const mbedtls_cipher_info_t *ci)
{
    return ci != NULL ? ci->mode : MBEDTLS_MODE_NONE;
}

bool tls__crt_has_ext(const mbedtls_x509_crt *crt, int ext_type)
{
    return (crt->ext_types & ext_type) != 0;
}

unsigned tls__crt_key_usage(const mbedtls_x509_crt *crt)
{
    return crt->key_usage;
}

bool tls__crt_ca_istrue(const mbedtls_x509_crt *crt)
{
    return crt->ca_istrue != 0;
}

void tls__crt_signature(const mbedtls_x509_crt *crt, struct tls__crt_sig *out)
{
    out->pk = crt->sig_pk;
    out->md = crt->sig_md;
    out->opts = crt->sig_opts;
    out->p = crt->sig.p;
    out->len = crt->sig.len;
}

mbedtls_ecp_group_id tls__pk_ec_group(const mbedtls_pk_context *pk)
{
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk); /* NULL unless ECKEY, ECKEY_DH, ECDSA */

    return ec != NULL ? ec->grp.id : MBEDTLS_ECP_DP_NONE;
}

/* A routed key: the key context first, so a pointer to the block is a pointer to the key. */
struct routed_key {
    union {
        mbedtls_rsa_context rsa;
        mbedtls_ecp_keypair ec;
    } key;
    const mbedtls_pk_info_t *own; /* mbedTLS's methods for the key type */
    struct tls_sigmemo *memo;
};

/* The method tables of routed keys: mbedTLS's own with verify and free replaced. They are the
 * same for every config, so one pair per process, filled once. */
static mbedtls_pk_info_t routed_rsa;
static mbedtls_pk_info_t routed_ec;
static pthread_once_t routed_once = PTHREAD_ONCE_INIT;

static int routed_verify(void *ctx, mbedtls_md_type_t md, const unsigned char *hash,
                         size_t hash_len, const unsigned char *sig, size_t sig_len)
{
    struct routed_key *k = ctx;

    return tls__sigmemo_verify(k->memo, k->own->verify_func, ctx, md, hash, hash_len, sig,
                               sig_len);
}

static void routed_free(void *ctx)
{
    struct routed_key *k = ctx;

    if (k->own->type == MBEDTLS_PK_RSA) {
        mbedtls_rsa_free(&k->key.rsa);
    } else {
        mbedtls_ecp_keypair_free(&k->key.ec);
    }
    free(k);
}

static void routed_fill(void)
{
    routed_rsa = *mbedtls_pk_info_from_type(MBEDTLS_PK_RSA);
    routed_ec = *mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY);
    routed_rsa.verify_func = routed_ec.verify_func = routed_verify;
    routed_rsa.ctx_free_func = routed_ec.ctx_free_func = routed_free;
}

/* A deep copy of the key into k (mbedTLS's contexts hold a mutex and heap numbers: copied
 * through their own functions, never byte for byte). */
static int routed_copy(struct routed_key *k, mbedtls_pk_type_t type, const void *from)
{
    if (type == MBEDTLS_PK_RSA) {
        mbedtls_rsa_init(&k->key.rsa, MBEDTLS_RSA_PKCS_V15, 0);
        return mbedtls_rsa_copy(&k->key.rsa, from);
    }
    const mbedtls_ecp_keypair *ec = from;

    mbedtls_ecp_keypair_init(&k->key.ec);
    int rc = mbedtls_ecp_group_copy(&k->key.ec.grp, &ec->grp);

    if (rc == 0) {
        rc = mbedtls_ecp_copy(&k->key.ec.Q, &ec->Q);
    }
    return rc == 0 ? mbedtls_mpi_copy(&k->key.ec.d, &ec->d) : rc;
}

int tls__pk_route_verify(mbedtls_pk_context *pk, struct tls_sigmemo *memo)
{
    mbedtls_pk_type_t type = mbedtls_pk_get_type(pk);
    struct routed_key *k;

    if (type != MBEDTLS_PK_RSA && type != MBEDTLS_PK_ECKEY) {
        return 1;
    }
    pthread_once(&routed_once, routed_fill);
    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return -1;
    }
    k->own = pk->pk_info;
    k->memo = memo;
    if (routed_copy(k, type, pk->pk_ctx) != 0) {
        routed_free(k);
        return -1;
    }
    pk->pk_info->ctx_free_func(pk->pk_ctx);
    pk->pk_ctx = k;
    pk->pk_info = type == MBEDTLS_PK_RSA ? &routed_rsa : &routed_ec;
    return 0;
}

int tls__ssl_state(const mbedtls_ssl_context *ssl)
{
    return ssl->state;
}

int tls__ssl_minor_version(const mbedtls_ssl_context *ssl)
{
    return ssl->minor_ver;
}

bool tls__ssl_split_message(const mbedtls_ssl_context *ssl, uint8_t *type, size_t *len)
{
    /* in_hslen counts the 4-byte header (mbedtls_ssl_hs_hdr_len for TLS) */
    if (ssl->in_msgtype != MBEDTLS_SSL_MSG_HANDSHAKE || ssl->in_msg == NULL ||
        ssl->in_msglen < 4 || ssl->in_hslen <= ssl->in_msglen) {
        return false;
    }
    *type = ssl->in_msg[0];
    *len = ssl->in_hslen - 4;
    return true;
}

int tls__ssl_negotiating_suite(const mbedtls_ssl_context *ssl)
{
    return ssl->session_negotiate != NULL ? ssl->session_negotiate->ciphersuite : 0;
}

void tls__ssl_last_alert(const mbedtls_ssl_context *ssl, uint8_t *level, uint8_t *description)
{
    *level = ssl->in_msg[0];
    *description = ssl->in_msg[1];
}

const unsigned char *tls__pem_buffer(const mbedtls_pem_context *pem, size_t *len)
{
    *len = pem->buflen;
    return pem->buf;
}
