/* probe/model/probe_audit.h: what the TLS policy audit (--protocols, --ciphers) found out about a
 * server: per TLS version whether it was accepted and how the server said so, and per version the
 * accepted suites in the server's pick order. The engine fills it in, one connection per step
 * (probe/engine/probe_audit_plan.h plans the steps); the writers read it. */
#ifndef PROBE_PROBE_AUDIT_H
#define PROBE_PROBE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls_version.h"

#define PROBE_AUDIT_MAX_SUITES 128

enum probe_proto_state {
    PROBE_PROTO_NOT_TESTED,
    PROBE_PROTO_ACCEPTED,
    PROBE_PROTO_REJECTED,
    PROBE_PROTO_ERROR, /* could not tell (timeout, connection failed) */
};
const char *probe_proto_state_name(enum probe_proto_state s); /* "accepted", "rejected", ... */

/* The budget that cut an audit short (struct probe_audit.limit, when budget_hit). */
enum probe_audit_limit {
    PROBE_AUDIT_LIMIT_CONNECTIONS, /* --audit-max-connections: that many connections made */
    PROBE_AUDIT_LIMIT_TIME,        /* --audit-timeout: the audit's whole time ran out */
};
/* What the reports say of a step left untested: "connection budget reached", "audit time
 * budget reached". */
const char *probe_audit_limit_text(enum probe_audit_limit l);

/* How the audit's TLS 1.0-1.2 steps reach the handshake (the TLS 1.3 step is TLS first either
 * way: SQL Server caps TLS at 1.2 inside TDS 7.x). */
enum probe_audit_transport {
    PROBE_AUDIT_TDS7, /* PRELOGIN, then the handshake inside TDS packets (MS-TDS 2.2.6.5) */
    PROBE_AUDIT_TDS8, /* TLS first with ALPN tds/8.0, as a TDS 8.0 strict client (MS-TDS 3.3.5.1);
                         the only way into a server set to Force Strict Encryption */
};
const char *probe_audit_transport_name(enum probe_audit_transport t); /* "tds7", "tds8" */

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
    bool incomplete;     /* a budget ran out (or a step went unanswered) before the server
                            refused */
};

struct probe_audit {
    bool want_protocols, want_ciphers;
    bool want_tls13;  /* one TLS-first ClientHello offering only TLS 1.3 (TDS 8.0 strict) */
    enum probe_audit_transport transport; /* how the TLS 1.0-1.2 steps connect */
    unsigned max_connections; /* the budget: at most this many audit connections */
    unsigned connections; /* audit connections made */
    bool budget_hit;      /* a budget ran out before the audit was complete; limit says which */
    enum probe_audit_limit limit;
    struct probe_proto_result proto[TLS_V13 + 1]; /* indexed by TLS_V10..TLS_V13 */
    struct probe_cipher_list ciphers[TLS_V13 + 1]; /* TLS 1.3: TDS 8.0 strict only */
};

#endif
