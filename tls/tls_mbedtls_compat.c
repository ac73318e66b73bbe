/* tls/tls_mbedtls_compat.c: the reads of mbedTLS 2.28 fields that mbedTLS 3.x makes private
 * (see the header for the rule and for what replaces each in 3.x). */
#include "tls/tls_mbedtls_compat.h"

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

int tls__ssl_state(const mbedtls_ssl_context *ssl)
{
    return ssl->state;
}

int tls__ssl_minor_version(const mbedtls_ssl_context *ssl)
{
    return ssl->minor_ver;
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
