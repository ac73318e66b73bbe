/* probe/model/probe_audit.h: the TLS policy audit (--protocols, --ciphers), as a sans-I/O planner.
 *
 * The engine asks for the next step (a TLS version and the suites to offer), runs one
 * connection (PRELOGIN, then a ClientHello inside TDS, stopping at the ServerHello), and
 * records what the server did. Versions: one handshake per version offering only that
 * version. Suites: offer every suite mbedTLS has for the version, note the one the server
 * picks, remove it, repeat until the server refuses - which yields both the accepted set and
 * the server's preference order (the method of nmap's ssl-enum-ciphers). One extra handshake
 * with the first two picks swapped tells whether the server or the client order wins. */
#ifndef PROBE_PROBE_AUDIT_H
#define PROBE_PROBE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls13_probe.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

#define PROBE_AUDIT_MAX_SUITES 128

enum probe_proto_state {
    PROBE_PROTO_NOT_TESTED,
    PROBE_PROTO_ACCEPTED,
    PROBE_PROTO_REJECTED,
    PROBE_PROTO_ERROR, /* could not tell (timeout, connection failed) */
};
const char *probe_proto_state_name(enum probe_proto_state s); /* "accepted", "rejected", ... */

struct probe_proto_result {
    enum probe_proto_state state;
    char how[96];   /* "alert protocol_version", "connection reset", "server chose TLSv1.2" */
    uint16_t cipher; /* the suite the server chose when accepted */
};

struct probe_cipher_list {
    size_t n;
    uint16_t ids[PROBE_AUDIT_MAX_SUITES]; /* accepted suites, in the server's pick order */
    bool order_known;
    bool server_order;   /* the server's preference wins over the client's */
    bool incomplete;     /* the connection budget ran out before the server refused */
};

struct probe_audit {
    bool want_protocols, want_ciphers;
    bool want_tls13;  /* one TLS-first ClientHello offering only TLS 1.3 (TDS 8.0 strict) */
    unsigned max_connections;
    unsigned connections;
    bool budget_hit;
    struct probe_proto_result proto[TLS_V13 + 1]; /* indexed by TLS_V10..TLS_V13 */
    struct probe_cipher_list ciphers[TLS_V12 + 1];
    /* planner state */
    int stage;        /* 0 versions, 1 suites, 2 order check, 3 done */
    int version;      /* the version being worked on */
    size_t n_left;
    uint16_t left[PROBE_AUDIT_MAX_SUITES]; /* suites not yet picked for `version` */
};

struct probe_audit_step {
    int version;                 /* TLS_V10..TLS_V12 */
    size_t n;
    uint16_t suites[PROBE_AUDIT_MAX_SUITES + 1]; /* 0-terminated, for tls_config_opts */
};

void probe_audit_init(struct probe_audit *a, bool protocols, bool ciphers,
                      unsigned max_connections);
/* Adds the TLS 1.3 step (after TLS 1.0-1.2): mbedTLS cannot speak TLS 1.3, so the engine sends
 * a hand-built ClientHello on the raw socket, as a TDS 8.0 client does (inside TDS 7.x SQL
 * Server caps TLS at 1.2), and reads the ServerHello. No chain is captured that way. */
void probe_audit_enable_tls13(struct probe_audit *a);

/* False when the audit is complete (or the budget is spent). A step with version TLS_V13 is
 * the TLS 1.3 probe (no suites): record it with probe_audit_record_tls13. */
bool probe_audit_next(struct probe_audit *a, struct probe_audit_step *step);
/* What the step's connection showed: ti NULL when no TLS happened (refused, timeout, no
 * PRELOGIN reply); hello_ok when the ServerHello arrived with step->version. */
void probe_audit_record(struct probe_audit *a, const struct probe_audit_step *step,
                        const struct tls_info *ti, bool hello_ok, bool timed_out, bool reset);

/* The TLS 1.3 step's outcome: r is NULL when the server sent nothing parsable (closed: the
 * connection ended first; timed_out: the deadline did). */
void probe_audit_record_tls13(struct probe_audit *a, const struct tls13_probe_result *r,
                              bool closed, bool reset, bool timed_out);

#endif
