/* tls/tls_mbedtls_compat.h: every read of an mbedTLS 2.28 structure field that mbedTLS 3.x makes
 * private, one accessor each (internal to tls/; never included outside tls/ and its tests).
 *
 * The rule: mbedTLS 3.x wraps the fields it no longer promises in MBEDTLS_PRIVATE() (or drops
 * them); tls/ reads such a field only through this file, so a port to 3.x rewrites
 * tls_mbedtls_compat.c and nothing else. A field 3.x still declares plainly is public API in both
 * versions and is read where it is used; tls/ reads these:
 *   - mbedtls_x509_crt: raw, tbs, version, serial, issuer_raw, subject_raw, issuer, subject,
 *     valid_from, valid_to, pk, ext_key_usage, next (x509_crt.h: "Some fields of this structure
 *     are publicly readable");
 *   - mbedtls_x509_buf (mbedtls_asn1_buf): tag, len, p; mbedtls_x509_name
 *     (mbedtls_asn1_named_data): oid, val, next; mbedtls_x509_sequence: buf, next;
 *   - mbedtls_x509_time: year, mon, day, hour, min, sec;
 *   - mbedtls_ecp_curve_info: name; mbedtls_x509_crt_profile: all four fields (x509_crt.h: "part
 *     of the public API").
 * Each accessor below says what replaces it in mbedTLS 3.x, or that nothing does. */
#ifndef TLS_TLS_MBEDTLS_COMPAT_H
#define TLS_TLS_MBEDTLS_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/cipher.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/x509_crt.h>

/* ---- mbedtls_ssl_ciphersuite_t (ssl_ciphersuites.h) ---- */

struct tls__suite_fields {
    const char *name;        /* mbedTLS's spelling, "TLS-RSA-WITH-AES-128-GCM-SHA256" */
    mbedtls_key_exchange_type_t key_exchange;
    mbedtls_cipher_type_t cipher;
    mbedtls_md_type_t mac;
    bool short_tag;          /* MBEDTLS_CIPHERSUITE_SHORT_TAG: a CCM_8 suite */
    int min_minor;           /* oldest and newest version, minor of 3.x (0 = SSLv3) */
    int max_minor;
};
/* cs->name, key_exchange, cipher, mac, flags, min_minor_ver, max_minor_ver.
 * 3.x: the name through mbedtls_ssl_ciphersuite_get_name(); nothing replaces the others (all
 * MBEDTLS_PRIVATE; only the cipher's key length has a getter,
 * mbedtls_ssl_ciphersuite_get_cipher_key_bitlen()), and the versions became
 * min_tls_version/max_tls_version (mbedtls_ssl_protocol_version). */
void tls__suite_fields(const mbedtls_ssl_ciphersuite_t *cs, struct tls__suite_fields *out);

/* ---- mbedtls_cipher_info_t (cipher.h) ---- */

/* ci->mode; MBEDTLS_MODE_NONE when ci is NULL. 3.x: mbedtls_cipher_info_get_mode(). */
mbedtls_cipher_mode_t tls__cipher_mode(const mbedtls_cipher_info_t *ci);

/* ---- mbedtls_x509_crt (x509_crt.h) ---- */

/* crt->ext_types & ext_type (MBEDTLS_X509_EXT_*). 3.x: mbedtls_x509_crt_has_ext_type(). */
bool tls__crt_has_ext(const mbedtls_x509_crt *crt, int ext_type);
/* crt->key_usage (MBEDTLS_X509_KU_* bits). 3.x: none; mbedtls_x509_crt_check_key_usage() only
 * says whether a given set of usages is allowed, it cannot list them. */
unsigned tls__crt_key_usage(const mbedtls_x509_crt *crt);
/* crt->ca_istrue (basicConstraints cA). 3.x: mbedtls_x509_crt_get_ca_istrue() in recent
 * releases (it answers an error when the extension is absent); none in early 3.x. */
bool tls__crt_ca_istrue(const mbedtls_x509_crt *crt);

/* The certificate's signature as mbedTLS parsed it. */
struct tls__crt_sig {
    mbedtls_pk_type_t pk;    /* MBEDTLS_PK_RSA, MBEDTLS_PK_ECDSA, MBEDTLS_PK_RSASSA_PSS ... */
    mbedtls_md_type_t md;    /* the hash signed */
    const void *opts;        /* RSASSA-PSS parameters for mbedtls_pk_verify_ext, else NULL */
    const unsigned char *p;  /* the signature value */
    size_t len;
};
/* crt->sig_pk, sig_md, sig_opts, sig. 3.x: none (all four MBEDTLS_PRIVATE; only the
 * signature OID, crt->sig_oid, stays public). */
void tls__crt_signature(const mbedtls_x509_crt *crt, struct tls__crt_sig *out);

/* ---- mbedtls_pk_context (pk.h) ---- */

/* The curve of an EC public key: mbedtls_pk_ec(*pk)->grp.id; MBEDTLS_ECP_DP_NONE when the key
 * is not EC. 3.x: mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk)) (the keypair's grp is
 * MBEDTLS_PRIVATE). */
mbedtls_ecp_group_id tls__pk_ec_group(const mbedtls_pk_context *pk);

/* ---- mbedtls_pk_info_t (pk_internal.h) ---- */

/* A signature check with mbedTLS's verify method's arguments and results. */
typedef int (*tls__pk_verify_fn)(void *key, mbedtls_md_type_t md, const unsigned char *hash,
                                 size_t hash_len, const unsigned char *sig, size_t sig_len);
struct tls_sigmemo;
/* Routes the signature checks made with pk (an RSA or EC public key) through
 * tls__sigmemo_verify(memo, the key type's own verify method, ...): the key moves into a block
 * that starts with the same key context (mbedtls_pk_rsa() and mbedtls_pk_ec() read it as
 * before) and also names memo; every other method stays mbedTLS's. mbedtls_pk_free() frees it
 * as usual; only mbedtls_pk_check_pair() refuses it (it compares method tables, and a trust
 * anchor is never paired with a private key). Returns 0, 1 when pk is of another type (left
 * alone) or -1 on allocation failure (pk unchanged). 3.x: none (mbedtls_pk_info_t is internal;
 * a port would wrap the trust anchors through mbedtls_ssl_conf_ca_cb or PSA drivers instead). */
int tls__pk_route_verify(mbedtls_pk_context *pk, struct tls_sigmemo *memo);

/* ---- mbedtls_ssl_context (ssl.h) ---- */

/* ssl->state, an mbedtls_ssl_states value. 3.x: none; mbedtls_ssl_is_handshake_over() tells
 * only whether the handshake is over. */
int tls__ssl_state(const mbedtls_ssl_context *ssl);
/* ssl->minor_ver: the version the ServerHello chose (3 = TLS 1.2). 3.x:
 * mbedtls_ssl_get_version_number() (an mbedtls_ssl_protocol_version, 0x0303 for TLS 1.2). */
int tls__ssl_minor_version(const mbedtls_ssl_context *ssl);
/* ssl->in_msgtype, in_msg, in_msglen, in_hslen: the handshake message mbedTLS was reading is
 * longer than the record that carries its start (the case ssl_msg.c rejects with "TLS handshake
 * fragmentation not supported"): true with its type and body length. 3.x: none (3.x
 * reassembles handshake messages itself from 3.6 on). */
bool tls__ssl_split_message(const mbedtls_ssl_context *ssl, uint8_t *type, size_t *len);
/* ssl->session_negotiate->ciphersuite: the suite the ServerHello chose, 0 if none yet. mbedTLS
 * sets ssl->session, which mbedtls_ssl_get_ciphersuite() reads, only when the handshake wraps
 * up. 3.x: none during the handshake; mbedtls_ssl_get_ciphersuite_id_from_ssl() reads the
 * finished session too. */
int tls__ssl_negotiating_suite(const mbedtls_ssl_context *ssl);
/* ssl->in_msg[0] and [1]: the level and description of the alert record mbedTLS just read
 * (valid right after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, when it was encrypted and only mbedTLS
 * could read it). 3.x: none (in_msg is MBEDTLS_PRIVATE and no getter reports a received
 * alert). */
void tls__ssl_last_alert(const mbedtls_ssl_context *ssl, uint8_t *level, uint8_t *description);

/* ---- mbedtls_pem_context (pem.h) ---- */

/* The decoded bytes, pem->buf and pem->buflen. 3.x: mbedtls_pem_get_buffer(). */
const unsigned char *tls__pem_buffer(const mbedtls_pem_context *pem, size_t *len);

#endif
