/* tls/tls_session.h: an mbedTLS 2.28 client fed from memory (ciphertext in, ciphertext out).
 *
 * tls/ knows nothing about TDS or sockets: probe/ decides how records travel (inside TDS 0x12
 * packets for TDS 7.x, raw for TDS 8.0). One handshake yields everything the server showed:
 * version, suite, ALPN, the whole chain (captured from the Certificate message itself, so even
 * a chain mbedTLS refuses is reported), per-depth verify flags, and how it ended (alert
 * received, close, or local error).
 */
#ifndef TLS_TLS_SESSION_H
#define TLS_TLS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls_cert.h"

/* TLS versions as minor numbers of 3.x: 1 = TLS 1.0, 2 = TLS 1.1, 3 = TLS 1.2, 4 = TLS 1.3. */
#define TLS_V10 1
#define TLS_V11 2
#define TLS_V12 3
#define TLS_V13 4
const char *tls_version_name(int minor); /* "TLSv1.2"; "SSLv3" for 0; "unknown" */

enum tls_handshake_mode {
    TLS_HANDSHAKE_FULL,        /* to Finished */
    TLS_HANDSHAKE_CERTIFICATE, /* stop after ServerHelloDone was read and checked */
    TLS_HANDSHAKE_HELLO,       /* added: stop once mbedTLS accepted the ServerHello (version and
                                  suite known, nothing verified, no chain captured): the cheapest
                                  handshake, one connection per probed suite */
};

/* Shared, read-only after creation: one per client profile, used by every session (thousands
 * of probes share one parsed CA set and one mbedTLS config). */
struct tls_config;

struct tls_config_opts {
    int min_version;           /* TLS_V10..TLS_V12 */
    int max_version;
    const char *ca_file;       /* PEM/DER file or directory; NULL = no trust anchors */
    const char *alpn;          /* e.g. "tds/8.0", or NULL */
    const uint16_t *ciphersuites; /* IANA ids, 0-terminated; NULL = what real clients offer */
    enum tls_handshake_mode mode;
    bool app_data;             /* application data follows a FULL handshake (TDS 8.0 strict):
                                  keep the TLS context. Otherwise every session gives back its
                                  ~40 KB of mbedTLS buffers the moment the handshake ends, which
                                  is what keeps thousands of probes in flight cheap. */
};

/* On failure returns -1 and writes a sentence into err (e.g. "cannot read CA file X: ...").
 * Cheap when ca_file is NULL (a few microseconds): every config draws from one process-wide
 * DRBG, seeded once on first use, instead of seeding its own (~130 us each). That DRBG is not
 * locked: create configs and run sessions from one thread (the probe's event loop). */
int tls_config_new(struct tls_config **out, const struct tls_config_opts *o, char *err,
                   size_t errlen);
void tls_config_free(struct tls_config *cfg);
/* Number of certificates in the trust store (0 when none). */
size_t tls_config_ca_count(const struct tls_config *cfg);
/* Added: certificates in the CA file/directory that could not be parsed (loaded anyway: the
 * rest of a bundle still counts), so a front end can warn. */
size_t tls_config_ca_failed(const struct tls_config *cfg);

struct tls_session;

enum tls_step {
    TLS_STEP_WANT_INPUT, /* send tls_session_out() bytes (if any), then feed more input */
    TLS_STEP_DONE,       /* handshake finished (or, in certificate mode, the server flight read;
                            in hello mode, the ServerHello accepted) */
    TLS_STEP_FAILED,     /* see tls_session_info()->error*, alert*, closed */
};

/* sni may be NULL (no SNI; FreeTDS style) - IP literals are never sent as SNI. */
int tls_session_new(struct tls_session **out, const struct tls_config *cfg, const char *sni,
                    char *err, size_t errlen);
void tls_session_free(struct tls_session *s);

/* Ciphertext from the server. Copies what it keeps. Returns 0, or -1 if the session's input
 * bound (64 KiB) would be exceeded. */
int tls_session_feed(struct tls_session *s, const uint8_t *p, size_t n);
/* The peer closed the transport (EOF or reset): lets the session say "closed after
 * ClientHello" rather than "want input". */
void tls_session_peer_closed(struct tls_session *s, bool reset);
/* Runs the handshake as far as input allows. Safe to call repeatedly. */
enum tls_step tls_session_step(struct tls_session *s);
/* Application data (TDS 8.0 strict: PRELOGIN and LOGIN7 travel inside TLS). Only after a
 * FULL handshake returned TLS_STEP_DONE; anything else returns -1. Ciphertext from the server
 * keeps arriving through tls_session_feed (bytes that came with the server's Finished are kept).
 *
 * write: encrypts all n bytes into the output (collect with tls_session_out/out_ack). Returns 0,
 * or -1: not a completed full handshake, the output would pass its 64 KiB bound (drain it
 * first; nothing was written), or an mbedTLS error (info error/error_text set, session over).
 * read: decrypts what has been fed. Returns 0 with *got bytes (*got == 0: feed more), or -1
 * when the session ended: close_notify (alert_received, description 0), a fatal alert, the
 * transport closed (tls_session_peer_closed), or a record error - info fields are set as for a
 * failed handshake and tls_session_step() answers FAILED from then on. A read may queue output
 * (an alert answering a renegotiation request): flush tls_session_out() after it. */
int tls_session_write(struct tls_session *s, const uint8_t *p, size_t n);
int tls_session_read(struct tls_session *s, uint8_t *buf, size_t cap, size_t *got);
/* Ciphertext to send: valid until the next call into the session. */
const uint8_t *tls_session_out(const struct tls_session *s, size_t *len);
void tls_session_out_ack(struct tls_session *s, size_t n);

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
    int version;              /* negotiated (or offered by the ServerHello), 0 if none yet */
    uint16_t cipher_id;       /* IANA id, 0 if none yet */
    char cipher[64];          /* IANA name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" */
    char alpn[32];            /* "" if none */
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
    /* Added after the first version of this header: */
    size_t verified_len;       /* depths the verify callback reported: verify_flags[0..n) is
                                  the path mbedTLS built, leaf first, up to the trust anchor */
};
const struct tls_info *tls_session_info(const struct tls_session *s);
/* RFC 5246 alert names: "handshake_failure", "protocol_version", ... */
const char *tls_alert_name(uint8_t description);
/* IANA name for a suite id, or NULL when unknown. */
const char *tls_cipher_name(uint16_t id);
/* Added: whether this mbedTLS build can offer the suite (for --ciphers audits; tls_config_new
 * refuses a list with an unsupported id). */
bool tls_cipher_supported(uint16_t id);

/* Added: the suites a config with ciphersuites = NULL offers, in offer order (IANA ids). Writes
 * at most cap ids (out may be NULL when cap is 0) and returns how many the list holds. */
size_t tls_default_suites(uint16_t *out, size_t cap);

/* Added: what a suite is made of, for cipher audits. Strings are static. */
struct tls_suite_info {
    const char *name;        /* IANA, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
    const char *kx;          /* "ECDHE", "DHE", "RSA", "ECDH", "PSK", "ECJPAKE"; "any" for a
                                TLS 1.3 suite (key exchange is negotiated apart, RFC 8446 B.4) */
    const char *auth;        /* "RSA", "ECDSA", "PSK", "ECJPAKE"; "any" for TLS 1.3. For static
                                ECDH it is the certificate's signer (ECDH_RSA -> "RSA") */
    const char *cipher;      /* "AES-128-GCM", "AES-256-CBC", "3DES-EDE-CBC", "RC4-128",
                                "CHACHA20-POLY1305", "CAMELLIA-128-CBC", "ARIA-256-GCM", ... */
    const char *mac;         /* "SHA1", "SHA256", "SHA384", "MD5", or "AEAD" (GCM, CCM, ChaCha) */
    int min_version;         /* TLS_V10..TLS_V13: the oldest version the suite can be used in */
    int max_version;
    bool weak_3des;          /* 64-bit block cipher (3DES, DES): SWEET32, CVE-2016-2183 */
    bool weak_rc4;           /* RC4: RFC 7465 forbids it */
    bool cbc_sha1;           /* CBC with HMAC-SHA1: the Lucky13/POODLE-TLS family */
    bool no_forward_secrecy; /* static key exchange (RSA, ECDH, PSK, RSA-PSK) */
    bool null_cipher;        /* no encryption at all */
    bool mbedtls_known;      /* this mbedTLS build knows the suite (it may still not offer it
                                by default, e.g. RC4 and most 3DES suites) */
};
/* false when the id is neither known to mbedTLS nor one of the five TLS 1.3 suites. */
bool tls_suite_info(uint16_t id, struct tls_suite_info *out);

#endif
