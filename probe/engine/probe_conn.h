/* probe/engine/probe_conn.h: one connection's protocol, sans I/O. It never sends LOGIN7. Three
 * modes, chosen when the connection is made:
 *   TDS 7.x (the default): PRELOGIN out, the reply in, then the TLS handshake with every record
 *     carried in TDS 0x12 packets, then stop;
 *   TDS 8.0 strict (client encrypt = strict): the TLS handshake first, raw, with ALPN tds/8.0
 *     (from the TLS config), then PRELOGIN and its reply inside TLS;
 *   TLS 1.3 detection (opts.tls13_probe): one hand-built ClientHello offering only TLS 1.3,
 *     read up to the ServerHello (tls/tls13_probe.h);
 *   TDS 8.0 strict over TLS 1.3 (opts.strict_tls13): the TLS 1.3 client's handshake
 *     (tls/tls13_client.h) with ALPN tds/8.0, the chain captured and verified, no PRELOGIN.
 * The engine moves bytes between this and a socket; the unit tests and the fuzz target move
 * scripted or arbitrary server bytes into it. */
#ifndef PROBE_PROBE_CONN_H
#define PROBE_PROBE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"
#include "tls/tls13_probe.h"
#include "tls/tls_policy.h"

/* The ALPN protocol a TDS 8.0 strict client names in its ClientHello (MS-TDS 2.2.1.1). */
#define PROBE_TDS8_ALPN "tds/8.0"

struct probe_conn_opts {
    const struct probe_client *client;
    const struct tls_config *tls;  /* shared config for this attempt */
    const char *host;              /* the target's host: SNI, unless it is an IP address */
    const char *instance;          /* INSTOPT, "" for the default instance */
    size_t max_packet;             /* TDS packet size for our handshake packets (4096) */
    bool tls13_probe;              /* only send a TLS-first ClientHello offering TLS 1.3 and
                                      read the ServerHello (tls/tls13_probe.h) */
    const uint16_t *tls13_suites;  /* tls13_probe: the suites to offer, 0-terminated; NULL: the
                                      three TLS 1.3 suites */
    bool strict_tls13;             /* strict over TLS 1.3 (tls/tls13_client.h): the handshake
                                      verified to the server Finished, then close; no PRELOGIN */
};

/* What the connection waits for. TDS 7.x: PRELOGIN (the reply), HANDSHAKE, DONE; strict:
 * HANDSHAKE, PRELOGIN (the reply inside TLS), DONE; TLS 1.3 detection: HANDSHAKE, DONE. */
enum probe_conn_phase { PROBE_CONN_PRELOGIN, PROBE_CONN_HANDSHAKE, PROBE_CONN_DONE };

struct probe_conn;

/* Facts are written into res: got_prelogin, prelogin, tds_err, not_tds, sent_encryption,
 * scope, validates, server_closed_after_prelogin, server_reset, strict_refused, tls,
 * server_version/product.
 * Views and res->tls stay valid until probe_conn_free(). Returns 0 or -1 (allocation). */
int probe_conn_new(struct probe_conn **out, const struct probe_conn_opts *o,
                   struct probe_facts *res);
void probe_conn_free(struct probe_conn *c);

/* Queues the first flight: the PRELOGIN request (TDS 7.x) or the ClientHello. */
void probe_conn_start(struct probe_conn *c);
/* Bytes from the server. */
void probe_conn_feed(struct probe_conn *c, const uint8_t *p, size_t n);
/* The server closed (FIN) or reset the connection. */
void probe_conn_closed(struct probe_conn *c, bool reset);

/* The engine gives up (deadline): records what the handshake got as far as (the chain may
 * already be there). */
void probe_conn_abort(struct probe_conn *c);

/* Bytes to send; valid until the next call into c. */
const uint8_t *probe_conn_out(const struct probe_conn *c, size_t *len);
void probe_conn_out_ack(struct probe_conn *c, size_t n);

enum probe_conn_phase probe_conn_phase(const struct probe_conn *c);
/* The TLS 1.3 probe's answer (tls13_probe mode), or NULL when none was parsed. */
const struct tls13_probe_result *probe_conn_tls13(const struct probe_conn *c);
/* True when the handshake completed (or, in certificate mode, the server flight was read). */
bool probe_conn_handshake_ok(const struct probe_conn *c);
/* True for the modes that stop with the handshake, without a PRELOGIN after it (TLS 1.3
 * detection, strict over TLS 1.3). */
bool probe_conn_ends_at_handshake(const struct probe_conn *c);

#endif
