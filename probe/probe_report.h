/* probe/probe_report.h: output writers for one probe_result (after probe_diagnose()).
 *
 * Every string that came from the server (certificate subjects, SANs, error texts) is hostile:
 * the JSON writer escapes control characters as \u00XX and replaces invalid UTF-8 with U+FFFD;
 * the text writer shows control characters as \xNN so nothing reaches the terminal raw.
 * Both must be called while r->tls is still valid (inside the engine's callback).
 */
#ifndef PROBE_PROBE_REPORT_H
#define PROBE_PROBE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "probe/probe.h"

/* One JSON Lines record (design.md's object plus extra fields: "phase", "tls_scope",
 * "handshake", "followup", the audit's "protocols_detail", "tls12_enforced" and
 * "ciphers" (probe_audit_report.h; all null when no audit ran),
 * client.name_checked/tls_min/tls_max, diagnosis.cause, tls.stage, tls.alert,
 * chain[].key_curve/is_ca/serial_negative/parse_error, timing_ms.browser), ending with "\n".
 * Certificate "eku"/"key_usage" are null when the extension is absent (any usage allowed) and
 * arrays otherwise; unknown values are null. */
void probe_report_json(FILE *f, const struct probe_result *r);

/* A human report that reads top to bottom: target, server, client, TLS, chain, one line per
 * check, verdict with the client's message, cause, fix. ANSI colour only when color. */
void probe_report_text(FILE *f, const struct probe_result *r, bool color);

/* A labelled multi-line block of the probe's own text, as the report prints "Cause" and "Fix":
 * prose wrapped at 100 columns under the label, lines starting with two spaces (commands) kept
 * whole, control characters escaped. */
void probe_report_block(FILE *f, const char *label, const char *text, bool color);

/* A JSON string literal (with the quotes) for s; NULL writes null. */
void probe_json_string(FILE *f, const char *s);
/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0 when the bytes there are not one. s is NUL-terminated. Every writer of
 * server-supplied text uses this one check. */
size_t probe_utf8_len(const unsigned char *s);

/* s with control characters and invalid UTF-8 shown as \xNN (C1 controls as \u00NN);
 * keep_newlines lets '\n' through for the probe's own multi-line texts. */
void probe_text_safe(FILE *f, const char *s, bool keep_newlines);

#endif
