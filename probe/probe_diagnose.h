/* probe/probe_diagnose.h: from the raw facts of one probe to the verdict a client would reach.
 *
 * probe_diagnose() reads the engine's facts in a probe_result (phase, network error, PRELOGIN
 * answer, TLS outcome, the policy's findings, the follow-up handshake) and fills the verdict
 * fields: status, diag, message (the client's own words), cause (why, with the concrete values),
 * fix (the smallest change that makes it work, with commands) and findings[] (every problem seen).
 * It never prints and never fails; it may be called again on the same result (it starts over).
 */
#ifndef PROBE_PROBE_DIAGNOSE_H
#define PROBE_PROBE_DIAGNOSE_H

#include "probe/probe.h"

/* r->target must be set (the client profile is read from it); r->tls may be NULL. */
void probe_diagnose(struct probe_result *r);

/* The client's own text for a diagnosis, as a template: driver is a profile name ("sqlclient",
 * "odbc18", "odbc17", "jdbc", "go-mssqldb", "tedious", "freetds"); variant narrows the text
 * where a driver words one failure several ways ("self_signed", "chain_root", "no_san",
 * "cn_only", "ip"), or NULL. Falls back to the driver's plain text, then to SqlClient's.
 * Placeholders in braces ({host}, {port}, {name}, ...) are filled by probe_diagnose().
 * Never returns NULL. Defined in probe_diag.c. */
const char *probe_client_text(const char *driver, enum probe_diag d, const char *variant);

/* True when the driver has its own text for d (not a SqlClient fallback). */
bool probe_client_text_known(const char *driver, enum probe_diag d);

#endif
