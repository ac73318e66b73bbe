/* probe/diagnose/probe_diagnose.h: from the raw facts of one probe to the verdict a client would
 * reach.
 *
 * probe_diagnose() reads the engine's facts in a probe_result (phase, network error, PRELOGIN
 * answer, TLS outcome, the policy's findings, the follow-up handshake) and fills the verdict
 * fields: status, diag, message (the client's own words), cause (why, with the concrete values),
 * fix (the smallest change that makes it work, with commands) and findings[] (every problem seen,
 * the TLS policy audit's included: facts.audit, probe_audit_verdict.h).
 * It never prints and never fails; it may be called again on the same result (it starts over).
 */
#ifndef PROBE_PROBE_DIAGNOSE_H
#define PROBE_PROBE_DIAGNOSE_H

#include "probe/model/probe.h"

/* r->target must be set (the client profile is read from it); r->tls may be NULL. */
void probe_diagnose(struct probe_result *r);

#endif
