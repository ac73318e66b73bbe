/* tls/tls13_int.h: internals of the TLS 1.3 client (tls13_client.c and its parts: tls13_hello.c,
 * tls13_keysched.c, tls13_record.c, tls13_hs.c) shared between those files and their tests,
 * never included outside tls/ and tests/. Everything here follows RFC 8446; the section is named
 * at each declaration. */
#ifndef TLS_TLS13_INT_H
#define TLS_TLS13_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md.h>

#include "tds/tds_cursor.h"

/* NamedGroup values (RFC 8446 4.2.7) the client can key with. */
#define TLS13_GROUP_SECP256R1 0x0017
#define TLS13_GROUP_SECP384R1 0x0018
#define TLS13_GROUP_X25519 0x001D

/* Extension types only TLS 1.3 uses (RFC 8446 4.2), and RFC 7685's padding. */
#define TLS13_EXT_COOKIE 44
#define TLS13_EXT_PADDING 21

/* The shortest first ClientHello of a real strict client, in bytes of the handshake message
 * (the record's body): openssl s_client 3.0.19 offering TLS 1.2 and 1.3 to an IP address wrote
 * 306 (record header 16 03 01 01 32), with a host name 335; tedious's are 316-381 (fakesql's
 * session.c). Those hellos list their TLS 1.2 suites too, which the probe's TLS 1.3-only one
 * leaves out, so it is padded to this length: a pre-2022 server reads the record header's
 * bytes 2-3 as a TDS length, 01 01 = 257 for every real client, and resets at once when that
 * many bytes are in; a shorter hello (01 00 = 256 but under 251 bytes) would leave it waiting
 * (tests/integration/test_probe.py, pre-2022 server). */
#define TLS13_CLIENT_HELLO_MIN 306

/* Handshake message types only TLS 1.3 uses (RFC 8446 4). */
enum {
    TLS13_HS_ENCRYPTED_EXTENSIONS = 8,
    TLS13_HS_CERTIFICATE_REQUEST = 13,
    TLS13_HS_CERTIFICATE_VERIFY = 15,
    TLS13_HS_FINISHED = 20,
    TLS13_HS_MESSAGE_HASH = 254,
};

/* The largest hash (SHA-384) and AEAD key (AES-256, ChaCha20) of the three suites. */
#define TLS13_MAX_HASH 48
#define TLS13_MAX_KEY 32
#define TLS13_IV_LEN 12
#define TLS13_TAG_LEN 16
/* RFC 8446 5.2: a TLSCiphertext is at most 2^14 + 256 bytes. */
#define TLS13_MAX_CIPHERTEXT (16384u + 256u)

/* RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest") (tls13_hs.c). */
extern const uint8_t tls13__hrr_random[32];

/* "x25519", "secp256r1", ...; NULL for a group without a name here (RFC 8446 4.2.7). */
const char *tls13__group_name(uint16_t group);
/* "rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256", ...; NULL when unnamed (RFC 8446 4.2.3). */
const char *tls13__sigscheme_name(uint16_t scheme);

/* ---- the ClientHello (tls13_probe.c) ---- */

struct tls13__share {
    uint16_t group;
    const uint8_t *pub; /* key_exchange: 32 bytes for x25519, 65 / 97 for P-256 / P-384 */
    size_t len;
};

struct tls13__hello {
    const char *sni;           /* NULL, "" or an IP literal: no server_name */
    const char *alpn;          /* NULL or "": no ALPN */
    const uint8_t *random;     /* 32 bytes; the legacy session id is SHA-256 of it */
    const struct tls13__share *shares;
    size_t n_shares;
    const uint8_t *cookie;     /* RFC 8446 4.2.2: echoed from a HelloRetryRequest, or NULL */
    size_t cookie_len;
    const uint16_t *suites;    /* 0-terminated; NULL or empty: the three TLS 1.3 suites */
    size_t pad_to;             /* RFC 7685 padding up to this message length; 0: none */
};

/* Writes the ClientHello handshake message (type, 3-byte length, body; no record header) into
 * w, offering TLS 1.3 alone. A sni or alpn over 255 bytes sets w->overflow. */
void tls13__client_hello_msg(struct tds_wr *w, const struct tls13__hello *h);

/* ---- the key schedule (tls13_keysched.c, RFC 8446 7.1) ---- */

struct tls13__suite {
    uint16_t id;               /* 0x1301, 0x1302, 0x1303 */
    mbedtls_md_type_t md;
    size_t hash_len;
    size_t key_len;
    bool chacha;               /* ChaCha20-Poly1305 instead of AES-GCM */
};

/* The suite's parameters, or NULL for a suite this client does not offer. */
const struct tls13__suite *tls13__suite(uint16_t id);

/* HKDF-Expand-Label(secret, label, context, out_len) with "tls13 " prepended to label. */
int tls13__expand_label(const struct tls13__suite *s, const uint8_t *secret, const char *label,
                        const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);
/* Transcript-Hash of the concatenated messages. */
int tls13__hash(const struct tls13__suite *s, const uint8_t *p, size_t n, uint8_t *out);

/* The secrets of one handshake: each is hash_len bytes. */
struct tls13__secrets {
    uint8_t early[TLS13_MAX_HASH];
    uint8_t handshake[TLS13_MAX_HASH];
    uint8_t client_hs[TLS13_MAX_HASH];
    uint8_t server_hs[TLS13_MAX_HASH];
    uint8_t master[TLS13_MAX_HASH];
    uint8_t client_ap[TLS13_MAX_HASH];
    uint8_t server_ap[TLS13_MAX_HASH];
};

/* Early secret (no PSK), handshake secret from the (EC)DHE shared secret, then the two
 * handshake traffic secrets with th = Transcript-Hash(ClientHello..ServerHello). */
int tls13__handshake_secrets(const struct tls13__suite *s, const uint8_t *shared,
                             size_t shared_len, const uint8_t *th, struct tls13__secrets *out);
/* Master secret and the application traffic secrets, th = Transcript-Hash(ClientHello..server
 * Finished). */
int tls13__app_secrets(const struct tls13__suite *s, const uint8_t *th,
                       struct tls13__secrets *io);
/* RFC 8446 4.4.4: HMAC(HKDF-Expand-Label(base, "finished", "", Hash.length), th). */
int tls13__finished(const struct tls13__suite *s, const uint8_t *base, const uint8_t *th,
                    uint8_t *out);

/* ---- record protection (tls13_record.c, RFC 8446 5.2-5.3) ---- */

struct tls13__aead {
    const struct tls13__suite *suite;
    uint8_t key[TLS13_MAX_KEY];
    uint8_t iv[TLS13_IV_LEN];
    uint64_t seq;
};

/* Traffic keys from a traffic secret: key = "key", iv = "iv" (RFC 8446 7.3); seq restarts. */
int tls13__aead_init(struct tls13__aead *a, const struct tls13__suite *s, const uint8_t *secret);
/* Opens one TLSCiphertext record (hdr: its 5-byte header, the AAD; body: ciphertext and tag)
 * into out (cap >= body_len - 16). Strips the zero padding and returns the inner content type
 * in *type and the content length in *len. Returns 0, or -1 when the tag does not verify or the
 * plaintext is all zeros (RFC 8446 5.4). */
int tls13__aead_open(struct tls13__aead *a, const uint8_t hdr[5], const uint8_t *body,
                     size_t body_len, uint8_t *out, uint8_t *type, size_t *len);
/* Seals content (inner type `type`, no padding) as one application_data record into w. */
int tls13__aead_seal(struct tls13__aead *a, uint8_t type, const uint8_t *p, size_t n,
                     struct tds_wr *w);

/* ---- ECDHE (tls13_keysched.c) ---- */

struct tls13__kex {
    uint16_t group;
    uint8_t priv[48];          /* the private scalar: little-endian for x25519, else big */
    size_t priv_len;
    uint8_t pub[97];
    size_t pub_len;
};

/* A fresh key pair on group (from the calling thread's DRBG). Returns 0 or -1. */
int tls13__kex_generate(struct tls13__kex *k, uint16_t group);
/* The key pair of a known x25519 private key (RFC 7748 5 clamping applied), for test traces. */
int tls13__kex_x25519_from(struct tls13__kex *k, const uint8_t priv[32]);
/* The shared secret with the peer's key_exchange (RFC 8446 7.4.1 and 7.4.2: the x-coordinate
 * for the NIST curves, the X25519 output otherwise). Returns 0, or -1 for an invalid point. */
int tls13__kex_shared(const struct tls13__kex *k, const uint8_t *peer, size_t peer_len,
                      uint8_t *out, size_t *out_len);

/* ---- handshake messages (tls13_hs.c) ---- */

struct tls13__server_hello {
    bool hrr;                  /* a HelloRetryRequest (RFC 8446 4.1.4) */
    uint16_t suite;
    uint16_t version;          /* supported_versions, 0 if absent */
    uint16_t group;            /* key_share: the server's group (HRR: the requested one) */
    const uint8_t *share;      /* ServerHello: the server's key_exchange */
    size_t share_len;
    const uint8_t *cookie;     /* HRR: the cookie to echo, NULL if none */
    size_t cookie_len;
    uint8_t session_id_echo[32];
    size_t session_id_len;
};
/* RFC 8446 4.1.3. Returns 0, or -1 with *why set for a malformed message. */
int tls13__parse_server_hello(struct tds_rd m, struct tls13__server_hello *sh, const char **why);

/* RFC 8446 4.3.1: EncryptedExtensions; copies a selected ALPN protocol into alpn. */
int tls13__parse_encrypted_extensions(struct tds_rd m, char *alpn, size_t alpn_cap,
                                      const char **why);

/* RFC 8446 4.4.2: calls fn for each CertificateEntry's cert_data, leaf first. Returns the
 * number of entries, or -1 with *why set. */
typedef int (*tls13__cert_fn)(void *ctx, const uint8_t *der, size_t len);
int tls13__parse_certificate(struct tds_rd m, tls13__cert_fn fn, void *ctx, const char **why);

/* RFC 8446 4.4.3: checks the CertificateVerify signature of the leaf (DER) over the
 * transcript hash th (th_len bytes). Returns 0, or -1 with *why set. */
int tls13__verify_certificate_verify(struct tds_rd m, const uint8_t *leaf, size_t leaf_len,
                                     const uint8_t *th, size_t th_len, uint16_t *scheme,
                                     const char **why);

/* ---- test hooks (tls13_client.c) ---- */

struct tls13_client;
/* A client that already "sent" the ClientHello message ch (a recorded trace, RFC 8448) with the
 * x25519 private key priv: it waits for the ServerHello. Returns 0 or -1. */
int tls13__client_new_traced(struct tls13_client **out, const uint8_t *ch, size_t ch_len,
                             const uint8_t x25519_priv[32]);
const struct tls13__secrets *tls13__client_secrets(const struct tls13_client *c);
/* The i-th key share the client holds, NULL past the last. */
const struct tls13__kex *tls13__client_kex(const struct tls13_client *c, size_t i);

#endif
