/* probe/engine/probe_conn_int.h: inside probe_conn. Three modes share one connection object and
 * one set of helpers (probe_conn.c); each mode is a file of its own behind struct
 * probe_conn_ops, chosen once, in probe_conn_new:
 *   probe_conn_tds7.c   TDS 7.x: PRELOGIN, then the TLS handshake inside TDS 0x12 packets;
 *   probe_conn_strict.c TDS 8.0 strict: TLS first (ALPN tds/8.0), PRELOGIN inside TLS;
 *   probe_conn_strict13.c TDS 8.0 strict over TLS 1.3 (tls/tls13_client.h): the handshake
 *                       alone, no PRELOGIN;
 *   probe_conn_tls13.c  TLS 1.3 detection: a hand-built ClientHello, read up to the
 *                       ServerHello. */
#ifndef PROBE_PROBE_CONN_INT_H
#define PROBE_PROBE_CONN_INT_H

#include "probe/engine/probe_conn.h"
#include "tds/tds_packet.h"
#include "tls/tls_session.h"

/* What a mode does with the three events a connection has. */
struct probe_conn_ops {
    void (*start)(struct probe_conn *c);
    void (*feed)(struct probe_conn *c, const uint8_t *p, size_t n);
    void (*closed)(struct probe_conn *c, bool reset);
};

extern const struct probe_conn_ops probe_conn_tds7_ops;
extern const struct probe_conn_ops probe_conn_strict_ops;
extern const struct probe_conn_ops probe_conn_tls13_ops;
extern const struct probe_conn_ops probe_conn_strict13_ops;

struct probe_conn_t13; /* the TLS 1.3 detection's buffer and answer (probe_conn_tls13.c) */
struct tls13_client;

struct probe_conn {
    const struct probe_conn_ops *ops;
    struct probe_conn_opts o;
    struct probe_facts *res;
    enum probe_conn_phase phase;
    struct tds_reasm rx;      /* TDS 7.x: the server's stream; strict: the decrypted stream */
    struct tls_session *tls;  /* NULL until the handshake starts */
    bool handshake_ok;
    bool saw_packet;          /* TDS 7.x: a well-formed TDS header arrived; strict: the
                                 server's first bytes were looked at */
    bool hello_out;           /* strict: the ClientHello's record is in the output */
    uint8_t *reply;           /* owned copy of the PRELOGIN reply payload (res->prelogin views) */
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    struct probe_conn_t13 *t13; /* TLS 1.3 detection only */
    struct tls13_client *t13c;  /* strict over TLS 1.3 only */
};

/* Room for `more` output bytes; 0 or -1 (allocation). */
int probe_conn_out_reserve(struct probe_conn *c, size_t more);
/* Appends bytes to send; 0 or -1 (allocation). */
int probe_conn_out_append(struct probe_conn *c, const uint8_t *p, size_t n);
/* The connection is over: phase DONE, and res->tls shows what the handshake got as far as. */
void probe_conn_finish(struct probe_conn *c);

/* The PRELOGIN request (VERSION 16.0, the given ENCRYPTION byte, INSTOPT, THREADID, MARS off)
 * as TDS packets of type 0x12 starting at packet id 1, as SqlClient sends it. Records the byte
 * in res->sent_encryption. Returns the bytes written into out, or 0 when they do not fit. */
#define PROBE_CONN_PRELOGIN_MAX 512
size_t probe_conn_prelogin_request(struct probe_conn *c, uint8_t encryption, uint8_t *out,
                                   size_t cap);
/* The server's first bytes are not what the mode expects and not TDS: not_tds, with the first
 * bytes in hex (and as text when they are printable: a banner, an HTTP status line). */
void probe_conn_not_tds(struct probe_conn *c, const uint8_t *p, size_t n);
/* Starts the TLS session (SNI: the host, unless it is an IP address) and enters the handshake
 * phase. False when the session cannot be made: tds_err says why and the connection is over. */
bool probe_conn_tls_begin(struct probe_conn *c);
/* A whole PRELOGIN reply: kept, parsed into res (got_prelogin, prelogin, the server version,
 * scope, validates). False when it is no valid reply: tds_err says why and the connection is
 * over. */
bool probe_conn_take_reply(struct probe_conn *c, const uint8_t *msg, size_t len);

#endif
