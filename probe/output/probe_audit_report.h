/* probe/output/probe_audit_report.h: what the TLS policy audit (--protocols, --ciphers) means, and how
 * it is written: the "TLS 1.2 enforced" verdict and its fix, weak-suite classes, the findings
 * the audit adds, and the JSON members and text sections for one target.
 *
 * The audit informs; it never changes the client's verdict (status, diagnosis). The findings
 * are computed here from the audit, not stored in probe_result: the writers append them to the
 * result's own findings, skipping a code the result already carries (so nothing is reported
 * twice if the engine starts adding them itself). */
#ifndef PROBE_PROBE_AUDIT_REPORT_H
#define PROBE_PROBE_AUDIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/model/probe.h"
#include "probe/model/probe_audit.h"

/* "TLS 1.2 enforced" = TLS 1.0 and 1.1 rejected and TLS 1.2 accepted. UNKNOWN when nothing
 * says "no" but a version could not be tested (error, connection budget). */
enum probe_tls12 { PROBE_TLS12_UNKNOWN, PROBE_TLS12_ENFORCED, PROBE_TLS12_NOT_ENFORCED };

/* st is indexed by TLS_V10..TLS_V13 (TLS 1.3 is ignored: it needs TDS 8.0 strict). */
enum probe_tls12 probe_audit_tls12(const enum probe_proto_state st[TLS_V13 + 1]);
const char *probe_tls12_name(enum probe_tls12 v); /* "yes", "no", "unknown" */

/* Weak-suite classes, in report order. */
enum probe_weak {
    PROBE_WEAK_3DES,  /* 64-bit block cipher: SWEET32 */
    PROBE_WEAK_RC4,
    PROBE_WEAK_CBC_SHA1,
    PROBE_WEAK_NO_FS, /* static key exchange */
    PROBE_WEAK_NULL,  /* no encryption (never offered: listed for completeness) */
    PROBE_WEAK_COUNT,
};
/* Bit (1u << PROBE_WEAK_x) per class the suite falls in; 0 for a strong or unknown suite. */
unsigned probe_suite_weak_mask(uint16_t id);
/* The reason as JSON's "weak" lists it: "SWEET32 (3DES)", "RC4", "CBC with SHA-1 MAC",
 * "no forward secrecy", "NULL cipher". */
const char *probe_weak_reason(enum probe_weak w);

/* The findings the audit adds (old_tls_accepted, one weak_cipher_accepted per class), all
 * warnings with cert -1. Returns how many were written (at most cap; 1 + PROBE_WEAK_COUNT
 * always fit). a may be NULL (none). */
#define PROBE_AUDIT_MAX_FINDINGS (1 + PROBE_WEAK_COUNT)
size_t probe_audit_findings(const struct probe_audit *a, struct probe_finding *out, size_t cap);

/* The text that makes a server enforce TLS 1.2 (mssql-conf for Linux, Schannel registry keys
 * for Windows), or "" when it already does / cannot be told. Lines end with '\n'; command lines
 * start with two spaces. */
void probe_audit_fix(const enum probe_proto_state st[TLS_V13 + 1], char *out, size_t cap);

/* The JSON members after the contract's "protocols" position, each preceded by a comma:
 *   "protocols": {"TLSv1.0": "accepted"|"rejected"|"error"|"not_tested", ...} - the three
 *       versions always, TLSv1.3 only when it was tested; null when no audit ran
 *   "protocols_detail": {"TLSv1.0": {"state", "how", "cipher"}, ..., "TLSv1.3": ...} or null
 *   "tls12_enforced": true | false | null (no audit, or a version could not be tested)
 *   "ciphers": {"TLSv1.2": {"order": "server"|"client"|"unknown", "incomplete": bool,
 *       "suites": [{"name", "id": "0xc02f", "kx", "auth", "cipher", "mac", "weak": [...]}]}}
 *       for each accepted version, in the server's pick order; null when --ciphers did not run.
 * "not_tested" in "protocols" means the connection budget ran out before that version. */
void probe_audit_report_json(FILE *f, const struct probe_audit *a);

/* The text sections: "Protocols" (one row per version: state and how), "Ciphers" (per
 * accepted version, the suites in pick order with weak reasons, the order, "incomplete:
 * connection budget reached"), the "TLS 1.2 enforced: yes/no" line and, when no, the fix.
 * Nothing when a is NULL. */
void probe_audit_report_text(FILE *f, const struct probe_audit *a, bool color);

#endif
