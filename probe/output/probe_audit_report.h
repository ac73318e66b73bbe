/* probe/output/probe_audit_report.h: how the TLS policy audit (--protocols, --ciphers) is
 * written: the JSON members and text sections for one target. What it means - the "TLS 1.2
 * enforced" verdict and its fix, weak-suite classes, the findings it adds to the result - is
 * decided in probe/diagnose/probe_audit_verdict.h (included here for the writers' callers). */
#ifndef PROBE_PROBE_AUDIT_REPORT_H
#define PROBE_PROBE_AUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/diagnose/probe_audit_verdict.h"
#include "probe/model/probe.h"
#include "probe/model/probe_audit.h"
#include "probe/output/probe_jsonbuf.h"

/* The JSON members after the contract's "protocols" position, each preceded by a comma:
 *   "audit_transport": "tds7" | "tds8" - how the TLS 1.0-1.2 steps connected (PRELOGIN first,
 *       or TLS first with ALPN tds/8.0); null when no audit ran
 *   "protocols": {"TLSv1.0": "accepted"|"rejected"|"error"|"not_tested", ...} - the three
 *       versions always, TLSv1.3 only when it was tested; null when no audit ran
 *   "protocols_detail": {"TLSv1.0": {"state", "how", "cipher"}, ..., "TLSv1.3": ...} or null
 *   "tls12_enforced": true | false | null (no audit, or a version could not be tested)
 *   "ciphers": {"TLSv1.2": {"order": "server"|"client"|"unknown", "incomplete": bool,
 *       "suites": [{"name", "id": "0xc02f", "kx", "auth", "cipher", "mac", "weak": [...]}]}}
 *       for each accepted version, in the server's pick order; null when --ciphers did not run.
 * "not_tested" in "protocols" means a budget ran out before that version: its "how" in
 * "protocols_detail" says which ("connection budget reached", "audit time budget reached"). */
void probe_audit_report_json(struct probe_jsonbuf *b, const struct probe_audit *a);

/* The text sections: "Audit" (only over TDS 8.0: the transport), "Protocols" (one row per
 * version: state and how), "Ciphers" (per accepted version, the suites in pick order with weak
 * reasons, the order, "incomplete: connection budget reached" or "incomplete: audit time budget
 * reached"), the "TLS 1.2 enforced: yes/no" line and, when no, the fix.
 * Nothing when a is NULL. */
void probe_audit_report_text(FILE *f, const struct probe_audit *a, bool color);

#endif
