/* probe/output/probe_report.h: output writers for one probe_result (after probe_diagnose()).
 * Both must be called while r->facts.tls is still valid (inside the engine's callback); both
 * escape what came from the server (probe_emit.h).
 */
#ifndef PROBE_PROBE_REPORT_H
#define PROBE_PROBE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "probe/model/probe.h"
#include "probe/output/probe_emit.h"
#include "probe/output/probe_jsonbuf.h"

/* The version of the JSON record's schema (docs/tdsprobe.schema.json): raised when a field
 * changes meaning or goes away; new fields keep it. */
#define PROBE_JSON_SCHEMA_VERSION 1

/* One JSON Lines record (docs/design.md's object plus extra fields: "schema_version",
 * "tdsprobe_version", "probed_at" first, then "phase", "tls_scope",
 * "handshake", "followup", the audit's "protocols_detail", "tls12_enforced" and
 * "ciphers" (probe_audit_report.h; all null when no audit ran),
 * client.name_checked/tls_min/tls_max, diagnosis.cause, tls.stage, tls.alert,
 * chain[].key_curve/is_ca/serial_negative/parse_error, timing_ms.browser), ending with "\n".
 * Certificate "eku"/"key_usage" are null when the extension is absent (any usage allowed) and
 * arrays otherwise; unknown values are null.
 * The record is assembled in b (emptied first, its storage reused: a run passes the same
 * buffer for every record) and written with one fwrite. Returns 0, or -1 when the record did
 * not fit in b (out of memory, or past b->max): then nothing at all is written. */
int probe_report_json_line(FILE *f, struct probe_jsonbuf *b, const struct probe_result *r);

/* probe_report_json_line with a buffer of its own, freed before it returns. */
int probe_report_json(FILE *f, const struct probe_result *r);

/* A human report that reads top to bottom: target, server, client, TLS, chain, one line per
 * check, verdict with the client's message, cause, fix. ANSI colour only when color. */
void probe_report_text(FILE *f, const struct probe_result *r, bool color);

#endif
