/* probe/diagnose/probe_audit_verdict.h: what the TLS policy audit (--protocols, --ciphers)
 * means: the "TLS 1.2 enforced" verdict and the text that makes a server enforce it, the
 * weak-suite classes, and the findings the audit adds to a result.
 *
 * The audit informs; it never changes the client's verdict (status, diagnosis). probe_diagnose()
 * appends the audit's findings to r->findings after its own, so every consumer of a result
 * sees them; the writers (probe/output/probe_audit_report.h) only format. */
#ifndef PROBE_PROBE_AUDIT_VERDICT_H
#define PROBE_PROBE_AUDIT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"
#include "probe/model/probe_audit.h"
#include "tls/tls_version.h"

/* "TLS 1.2 enforced" = TLS 1.0 and 1.1 rejected and TLS 1.2 accepted. UNKNOWN when nothing
 * says "no" but a version could not be tested (error, connection budget). */
enum probe_tls12 { PROBE_TLS12_UNKNOWN, PROBE_TLS12_ENFORCED, PROBE_TLS12_NOT_ENFORCED };

/* st is indexed by TLS_V10..TLS_V13 (TLS 1.3 is ignored: it needs TDS 8.0 strict). */
enum probe_tls12 probe_audit_tls12(const enum probe_proto_state st[TLS_V13 + 1]);
const char *probe_tls12_name(enum probe_tls12 v); /* "yes", "no", "unknown" */

/* The text that makes a server enforce TLS 1.2 (mssql-conf for Linux, Schannel registry keys
 * for Windows), or "" when it already does / cannot be told. Lines end with '\n'; command lines
 * start with two spaces. Defined with the other fixes, in probe_remedy.c. */
void probe_audit_fix(const enum probe_proto_state st[TLS_V13 + 1], char *out, size_t cap);

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

/* A suite's IANA name (or the TLS 1.3 name), else "0xNNNN" written into buf. */
const char *probe_suite_name(uint16_t id, char buf[8]);

/* The findings the audit adds (old_tls_accepted, one weak_cipher_accepted per class), all
 * warnings with cert -1. Returns how many were written (at most cap; 1 + PROBE_WEAK_COUNT
 * always fit). a may be NULL (none). */
#define PROBE_AUDIT_MAX_FINDINGS (1 + PROBE_WEAK_COUNT)
size_t probe_audit_findings(const struct probe_audit *a, struct probe_finding *out, size_t cap);

/* Appends the findings of r->facts.audit (if any) to r->findings, skipping a code the result
 * already carries. probe_diagnose() calls it last; a result built by hand may call it. */
void probe_audit_add_findings(struct probe_result *r);

#endif
