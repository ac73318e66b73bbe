/* tests/unit/probe_fixture.h: the hand-built facts the diagnosis and report tests start from,
 * so both begin from the same probe and change only what a case is about. */
#ifndef TESTS_UNIT_PROBE_FIXTURE_H
#define TESTS_UNIT_PROBE_FIXTURE_H

#include <stdbool.h>

#include "probe/model/probe.h"
#include "tls/tls_info.h"
#include "tls/tls_policy.h"

#define DAY 86400

/* A SqlClient (Encrypt=Mandatory, TLS versions named in the connection string) probe of
 * db1.contoso.com at 10.0.0.5:1433 that went well: ENCRYPTION=on sent and answered, full TLS
 * scope, validating, phase done, a completed TLS 1.2 handshake with ECDHE-RSA-AES256-GCM in *ti
 * (chain left to the caller), verdict pass. Only t->text and the client's TLS range are unset. */
void probe_fixture_ok(struct probe_target *t, struct probe_result *r, struct tls_info *ti);

/* A parsed RSA 2048 certificate signed with sha256WithRSAEncryption, subject "CN=<cn>", issuer
 * "CN=<issuer_cn>", SANs stored in sans[]: a leaf has the serverAuth EKU and digitalSignature +
 * keyEncipherment, a CA keyCertSign. Serial, validity, fingerprint and self-signedness are the
 * caller's. */
void probe_fixture_cert(struct tls_cert *c, struct tls_san *sans, bool leaf, const char *cn,
                        const char *issuer_cn);

/* Appends a finding to the verdict; an error one makes the verdict fail, as tls_policy_judge
 * would. */
void probe_fixture_finding(struct tls_verdict *v, enum tls_finding_code code,
                           enum tls_severity sev, int cert, const char *msg);

#endif
