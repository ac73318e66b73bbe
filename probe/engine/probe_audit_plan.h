/* probe/engine/probe_audit_plan.h: the TLS policy audit (--protocols, --ciphers) as a sans-I/O
 * planner: no sockets, no clock.
 *
 * The engine asks for the next step (a TLS version and the suites to offer), runs one
 * connection (PRELOGIN, then a ClientHello inside TDS, stopping at the ServerHello), and
 * records what the server did (a TDS 8.0 strict target: TLS first, see
 * probe_audit_transport_for). Versions: one handshake per version offering only that
 * version. Suites: offer every suite mbedTLS has for the version, note the one the server
 * picks, remove it, repeat until the server refuses - which yields both the accepted set and
 * the server's preference order (the method of nmap's ssl-enum-ciphers). One extra handshake
 * with the first two picks swapped tells whether the server or the client order wins. */
#ifndef PROBE_PROBE_AUDIT_PLAN_H
#define PROBE_PROBE_AUDIT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"
#include "probe/model/probe_audit.h"
#include "tls/tls13_probe.h"
#include "tls/tls_session.h"
#include "tls/tls_info.h"

enum probe_audit_stage {
    PROBE_AUDIT_VERSIONS, /* one handshake per version, TLS 1.0 to 1.2 */
    PROBE_AUDIT_SUITES,   /* the suite walk of one accepted version */
    PROBE_AUDIT_ORDER,    /* the first two picks swapped: whose order wins */
    PROBE_AUDIT_DONE,
    PROBE_AUDIT_TLS13,    /* the hand-built TLS 1.3 ClientHello, after the versions */
};

struct probe_audit_plan {
    struct probe_audit audit; /* what the audit found: the writers' view */
    enum probe_audit_stage stage;
    int version;              /* the version being worked on */
    size_t n_left;
    uint16_t left[PROBE_AUDIT_MAX_SUITES]; /* suites not yet picked for `version` */
};

struct probe_audit_step {
    int version;                 /* TLS_V10..TLS_V13 */
    size_t n;
    uint16_t suites[PROBE_AUDIT_MAX_SUITES + 1]; /* 0-terminated, for tls_config_opts */
};

void probe_audit_plan_init(struct probe_audit_plan *p, bool protocols, bool ciphers,
                           unsigned max_connections);
/* Adds the TLS 1.3 step (after TLS 1.0-1.2): mbedTLS cannot speak TLS 1.3, so the engine sends
 * a hand-built ClientHello on the raw socket, as a TDS 8.0 client does (inside TDS 7.x SQL
 * Server caps TLS at 1.2), and reads the ServerHello. No chain is captured that way. */
void probe_audit_plan_enable_tls13(struct probe_audit_plan *p);

/* How the audit connects, decided from the client's own connection: TDS 8.0 (TLS first, ALPN
 * tds/8.0) when that connection ran TDS 8.0 strict (--encrypt strict), else TDS 7.x. On a server
 * that speaks both (SQL Server 2022 with strict allowed but not forced) a strict client's audit
 * still goes TLS first: it reports the versions and suites a TDS 8.0 client can get, which is
 * what the user of --encrypt strict asks about; the JSON says which transport it used. A server
 * set to Force Strict Encryption refuses a TDS 7.x PRELOGIN, so only TLS first can audit it. */
enum probe_audit_transport probe_audit_transport_for(const struct probe_facts *f);
/* The transport the TLS 1.0-1.2 steps use (PROBE_AUDIT_TDS7 unless set). */
void probe_audit_plan_set_transport(struct probe_audit_plan *p, enum probe_audit_transport t);

/* False when the audit is complete (or the budget is spent). A step with version TLS_V13 is
 * the TLS 1.3 probe (no suites): record it with probe_audit_plan_record_tls13. */
bool probe_audit_plan_next(struct probe_audit_plan *p, struct probe_audit_step *step);
/* Ends the audit before it is complete: the budget named by limit ran out. The version whose
 * suite walk was under way is incomplete; the steps not run stay not tested, and the step under
 * way, if any, is recorded as nothing (the probe_audit_plan_record* calls that follow do
 * nothing). A no-op once the audit is complete. */
void probe_audit_plan_stop(struct probe_audit_plan *p, enum probe_audit_limit limit);
/* What the step's connection showed: ti NULL when no TLS happened (refused, timeout, no
 * PRELOGIN reply); hello_ok when the ServerHello arrived with step->version. */
void probe_audit_plan_record(struct probe_audit_plan *p, const struct probe_audit_step *step,
                             const struct tls_info *ti, bool hello_ok, bool timed_out,
                             bool reset);

/* The TLS 1.3 step's outcome: r is NULL when the server sent nothing parsable (closed: the
 * connection ended first; timed_out: the deadline did). */
void probe_audit_plan_record_tls13(struct probe_audit_plan *p,
                                   const struct tls13_probe_result *r, bool closed, bool reset,
                                   bool timed_out);

#endif
