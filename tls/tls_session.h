/* tls/tls_session.h: an mbedTLS 2.28 client fed from memory (ciphertext in, ciphertext out).
 *
 * tls/ knows nothing about TDS or sockets: probe/ decides how records travel (inside TDS 0x12
 * packets for TDS 7.x, raw for TDS 8.0). A session is made from a shared config
 * (tls/tls_config.h) and reports what the handshake showed as a struct tls_info
 * (tls/tls_info.h). A session is used by one thread at a time. */
#ifndef TLS_TLS_SESSION_H
#define TLS_TLS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_config;
struct tls_info;
struct tls_session;

enum tls_step {
    TLS_STEP_WANT_INPUT, /* send tls_session_out() bytes (if any), then feed more input */
    TLS_STEP_DONE,       /* handshake finished (or, in certificate mode, the server flight read;
                            in hello mode, the ServerHello accepted) */
    TLS_STEP_FAILED,     /* see tls_session_info()->error*, alert*, closed */
};

/* sni may be NULL (no SNI; FreeTDS style) - IP literals are never sent as SNI. Fails only when
 * out of memory: the mbedTLS context comes at the first tls_session_step (from the config's
 * pool when it has one, tls/tls_config.h), and a context that cannot be had makes that step
 * FAILED with info error/error_text ("cannot start a TLS session: ..."). cfg must outlive the
 * session. */
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

/* Everything the server showed so far; valid until tls_session_free. */
const struct tls_info *tls_session_info(const struct tls_session *s);

#endif
