/* tls/tls13_client.h: an observation-only TLS 1.3 client handshake, because mbedTLS 2.28 has no
 * TLS 1.3 client (RFC 8446, built on mbedTLS 2.28's HKDF, SHA-2, AES-GCM, ChaCha20-Poly1305,
 * ECP, RSA and ECDSA).
 *
 * What it does: a ClientHello offering TLS 1.3 alone (tls/tls13_probe.h builds it) with x25519
 * and secp256r1 key shares (secp384r1 listed, keyed after a HelloRetryRequest), SNI and ALPN;
 * at most one HelloRetryRequest (the requested group, the cookie echoed); the handshake keys;
 * EncryptedExtensions, Certificate, CertificateVerify and Finished decrypted (TLS_AES_128_GCM_
 * SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256); the CertificateVerify
 * signature checked with the leaf's key and the server Finished MAC checked. Then it sends its
 * own Finished (an empty Certificate first when the server asked for one) and a close_notify
 * under the application keys, so the server sees a complete, cleanly closed handshake, and
 * stops: it never sends application data.
 *
 * What it reports: a struct tls_info like tls_session's (version, suite, ALPN, the chain leaf
 * first, stage, alerts, errors), so the same policy (tls/tls_policy.h) judges the chain; with a
 * config the chain is verified against its trust store as tls_policy_verify_chain does. The
 * group and signature scheme are named in tls_info too; the TLS 1.3-only facts (HelloRetryRequest,
 * CertificateRequest, what verified) are in struct tls13_facts.
 *
 * Sans-I/O like tls_session: feed the server's bytes, step, send what tls13_client_out holds.
 * Handshake messages may span records and records may carry several messages. */
#ifndef TLS_TLS13_CLIENT_H
#define TLS_TLS13_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls_session.h"

struct tls_config;
struct tls_info;
struct tls13_client;

struct tls13_client_opts {
    const char *sni;           /* sent as server_name unless NULL, empty or an IP literal */
    const char *alpn;          /* "tds/8.0" for TDS 8.0 strict (MS-TDS 2.2.1.1); NULL: none */
    bool x25519_only;          /* key share for x25519 alone (secp256r1 then costs a
                                  HelloRetryRequest), as OpenSSL-based clients send */
    const struct tls_config *cfg; /* trust store for verifying the chain, or NULL */
};

struct tls13_facts {
    uint16_t group;            /* the ECDHE group of the handshake, 0 before the ServerHello
                                  (its name: tls_info.group) */
    uint16_t sig_scheme;       /* CertificateVerify's scheme, 0 before it (its name:
                                  tls_info.sig_scheme) */
    bool hello_retry;          /* the server sent a HelloRetryRequest */
    uint16_t hello_retry_group; /* the group it asked for */
    bool cert_request;         /* the server asked for a client certificate */
    bool cert_verify_ok;       /* the CertificateVerify signature verified with the leaf key */
    bool finished_ok;          /* the server Finished MAC verified */
};

/* Returns 0, or -1 with err set (out of memory, no randomness). */
int tls13_client_new(struct tls13_client **out, const struct tls13_client_opts *opts, char *err,
                     size_t errlen);
void tls13_client_free(struct tls13_client *c);

/* Bytes from the server. Copies them. Returns 0, or -1 past the 64 KiB input bound. */
int tls13_client_feed(struct tls13_client *c, const uint8_t *p, size_t n);
/* The transport ended (EOF, or reset): an unfinished handshake fails saying so. */
void tls13_client_peer_closed(struct tls13_client *c, bool reset);
/* Runs the handshake as far as the input allows. TLS_STEP_DONE: the server flight verified and
 * the client Finished and close_notify queued; TLS_STEP_FAILED: see tls13_client_info. */
enum tls_step tls13_client_step(struct tls13_client *c);
/* Bytes to send (valid until the next call into the client). */
const uint8_t *tls13_client_out(const struct tls13_client *c, size_t *len);
void tls13_client_out_ack(struct tls13_client *c, size_t n);

const struct tls_info *tls13_client_info(const struct tls13_client *c);
const struct tls13_facts *tls13_client_facts(const struct tls13_client *c);

#endif
