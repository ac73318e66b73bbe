/* tls/tls_info.h: what one handshake showed.
 *
 * Version, suite, ALPN, the whole chain (captured from the Certificate message itself, so even
 * a chain mbedTLS refuses is reported), per-depth verify flags, and how it ended (alert
 * received, close, or local error). Filled by a session (tls/tls_session.h) or, for a chain
 * from elsewhere, by tls_policy_verify_chain; judged by tls/tls_policy.h. */
#ifndef TLS_TLS_INFO_H
#define TLS_TLS_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls_cert.h"

/* What the handshake got as far as (for the report and for failure mapping). */
enum tls_stage {
    TLS_STAGE_START,
    TLS_STAGE_CLIENT_HELLO_SENT,
    TLS_STAGE_SERVER_HELLO,
    TLS_STAGE_CERTIFICATE,
    TLS_STAGE_SERVER_KEY_EXCHANGE,
    TLS_STAGE_SERVER_HELLO_DONE,
    TLS_STAGE_CLIENT_FINISHED_SENT,
    TLS_STAGE_DONE,
};
const char *tls_stage_name(enum tls_stage st);

struct tls_info {
    enum tls_stage stage;
    int version;              /* TLS_V1x (tls/tls_version.h) negotiated (or offered by the
                                 ServerHello), 0 if none yet */
    uint16_t cipher_id;       /* IANA id, 0 if none yet */
    char cipher[64];          /* IANA name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" */
    char alpn[32];            /* "" if none */
    char group[24];           /* TLS 1.3 (tls/tls13_client.h): the key exchange group,
                                 "x25519"; "" when not known (TLS <= 1.2 through mbedTLS) */
    char sig_scheme[32];      /* TLS 1.3: CertificateVerify's scheme, "rsa_pss_rsae_sha256";
                                 "" when not known */
    char hello_retry[24];     /* TLS 1.3: the group a HelloRetryRequest asked for (the client's
                                 first key shares had none the server takes); "" when none */
    size_t chain_len;
    struct tls_cert *chain;   /* owned array of chain_len (<= TLS_MAX_CHAIN), as sent by the
                                 server, leaf first; memory is per certificate, not fixed */
    uint32_t verify_flags[TLS_MAX_CHAIN]; /* mbedTLS MBEDTLS_X509_BADCERT_* per depth of the
                                             verified path, 0 when fine */
    uint32_t verify_result;   /* mbedtls_ssl_get_verify_result(), CN_MISMATCH masked off */
    bool verified_path;       /* verify ran (a chain was received and checked) */
    /* how it ended */
    bool alert_received;
    uint8_t alert_level;
    uint8_t alert_description; /* RFC 5246 7.2 */
    bool peer_closed;
    bool peer_reset;
    int error;                 /* mbedTLS error code (negative), 0 if none */
    char error_text[160];      /* mbedtls_strerror text, or our own sentence */
    bool local_reject;         /* the client refused something the server sent (e.g. version) */
    int server_hello_version;  /* version in the ServerHello even if we refused it */
    size_t verified_len;       /* depths the verify callback reported: verify_flags[0..n) is
                                  the path mbedTLS built, leaf first, up to the trust anchor */
    /* A server handshake message split across records, which mbedTLS 2.28 does not reassemble
     * (MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE; RFC 5246 6.2.1 allows the split, and a Certificate
     * message over 16 KB needs it). The session read on until the sniffer had the whole
     * message: a Certificate's chain is captured and verified (verified_path) as mbedTLS would
     * have, then the session failed with error set. 0 when no such message came. */
    size_t split_len;          /* the message's length (its 4-byte header not counted) */
    uint8_t split_type;        /* its handshake type (RFC 5246 7.4): 11 for Certificate */
    bool split_whole;          /* all of it came (false: the server stopped part-way) */
};

/* RFC 5246 7.4 / RFC 8446 4 handshake message names: "Certificate", "ServerKeyExchange", ... */
const char *tls_handshake_name(uint8_t type);

/* RFC 5246 7.2: how a server refuses every version the ClientHello offers. */
#define TLS_ALERT_PROTOCOL_VERSION 70u

/* RFC 5246 7.2 alert names: "handshake_failure", "protocol_version", ... */
const char *tls_alert_name(uint8_t description);

#endif
