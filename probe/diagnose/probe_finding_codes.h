/* probe/diagnose/probe_finding_codes.h: every finding code (JSON findings[].code, --ignore,
 * tdsprobe_finding_info{code}), its severities and its meaning, in one table. A result's
 * findings[] holds these and, first, the diagnosis itself when it is not ok and not already a
 * policy finding (its code is then a diagnosis code, probe/model/probe_diag.h). */
#ifndef PROBE_DIAGNOSE_PROBE_FINDING_CODES_H
#define PROBE_DIAGNOSE_PROBE_FINDING_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probe/model/probe.h"
#include "probe/model/probe_diag.h"
#include "tls/tls_policy.h"

/* The TLS policy's findings first, in tls/tls_policy.h's order (so a tls_finding_code converts
 * by value), then those the diagnosis and the audit add. */
enum probe_finding_code {
#define TLS_X_(name, str) PROBE_FINDING_##name,
    TLS_FINDINGS(TLS_X_)
#undef TLS_X_
    PROBE_FINDING_TLS_LIBRARY_LIMIT,
    PROBE_FINDING_OLD_TLS_VERSION,
    PROBE_FINDING_FOLLOWUP_HANDSHAKE,
    PROBE_FINDING_TLS13_REFUSED,
    PROBE_FINDING_NO_ENCRYPTION,
    PROBE_FINDING_LOGIN_ONLY_TLS,
    PROBE_FINDING_NO_VALIDATION,
    PROBE_FINDING_UNKNOWN_ENCRYPTION_REPLY,
    PROBE_FINDING_OLD_TLS_ACCEPTED,
    PROBE_FINDING_WEAK_CIPHER_ACCEPTED,
    PROBE_FINDING_COUNT
};

/* Bits of the severities a code is emitted with: 1u << TLS_SEV_INFO ... */
#define PROBE_SEV_BIT(s) (1u << (s))

struct probe_finding_def {
    /* The name: a TLS policy code's is tls_finding_name's; another's is name, or when name is
     * NULL that of diagnosis diag (the same problem, reported as both). */
    const char *name;
    enum probe_diag diag;
    unsigned severities;   /* PROBE_SEV_BIT of each severity it can have */
    const char *meaning;   /* one line, for --list-findings */
};

const struct probe_finding_def *probe_finding_def(enum probe_finding_code c);
const char *probe_finding_name(enum probe_finding_code c);
/* "error, warning, info" (those of c's severities, worst first) into buf. */
const char *probe_finding_severities(enum probe_finding_code c, char *buf, size_t cap);
/* Looks a code up; returns PROBE_FINDING_COUNT when name is no finding code. */
enum probe_finding_code probe_finding_from_name(const char *name);
/* The finding code nearest to name (fewest single-letter edits), for "did you mean". */
const char *probe_finding_closest(const char *name);

/* Fills f: code c, sev, cert, message msg (the only writer of a finding's code besides
 * probe_finding_set_diag). */
void probe_finding_set(struct probe_finding *f, enum probe_finding_code c, enum tls_severity sev,
                       int cert, const char *msg);
/* Fills f as the diagnosis d itself (severity error, no certificate). */
void probe_finding_set_diag(struct probe_finding *f, enum probe_diag d, const char *msg);

/* --list-findings: one line per code, "CODE  SEVERITIES  MEANING". */
void probe_finding_list(FILE *out);

#endif
