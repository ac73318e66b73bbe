/* probe/output/probe_monitor.h: run-level writers for monitoring (Nagios/Icinga plugin output,
 * Prometheus text exposition) and the end-of-run table of the text format.
 *
 * They take an array of probe_summary (probe/output/probe_summary.h), filled by the front end with
 * probe_summary_from_result() in the engine's callback, and write once the run is over:
 *
 *     --format nagios      exit(probe_report_nagios(stdout, sums, n, &policy));
 *     --format prometheus  probe_report_prometheus(stdout, sums, n);
 *     --format text        probe_report_text() per result as it comes, then
 *                          probe_report_summary_table(stdout, sums, n, color);
 *
 * Every string that came from a server or a user is escaped for the format it lands in.
 */
#ifndef PROBE_PROBE_MONITOR_H
#define PROBE_PROBE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probe/output/probe_summary.h"

/* Nagios plugin states; the values are the plugin exit codes. */
enum probe_nagios_state {
    PROBE_NAGIOS_OK = 0,
    PROBE_NAGIOS_WARNING = 1,
    PROBE_NAGIOS_CRITICAL = 2,
    PROBE_NAGIOS_UNKNOWN = 3,
};

/* check_ssl_cert's defaults (days). */
#define PROBE_NAGIOS_WARN_DAYS 20
#define PROBE_NAGIOS_CRIT_DAYS 15

const char *probe_nagios_state_name(enum probe_nagios_state st); /* "OK", "WARNING", ... */

/* What decides a target's state besides the client's verdict: certificate expiry thresholds
 * (--warn-days, --crit-days) and the TLS policy (check_ssl_cert's habits: --require-no-tls1,
 * --ignore-*), here --require-tls12-only and --ignore FINDING. A zero-initialised policy with
 * negative days is the default one. */
#define PROBE_NAGIOS_MAX_IGNORE 32
struct probe_nagios_policy {
    int warn_days, crit_days; /* negative: PROBE_NAGIOS_WARN_DAYS / PROBE_NAGIOS_CRIT_DAYS */
    bool require_tls12_only;  /* TLS 1.2 not enforced (--protocols) is CRITICAL */
    size_t n_ignore;
    char ignore[PROBE_NAGIOS_MAX_IGNORE][32]; /* finding codes that never change the state */
};

/* Adds a finding code to p->ignore. Returns 0, or -1 with a sentence in err when code does not
 * look like one (lowercase letters, digits, '_'; at most 31 bytes), is no finding code of
 * probe/diagnose/probe_finding_codes.h (the sentence names the nearest one, or says it is a
 * diagnosis code), or there are too many. */
int probe_nagios_ignore(struct probe_nagios_policy *p, const char *code, char *err, size_t cap);

/* One target's state (p NULL: the defaults). Status fail -> CRITICAL; status error (could not
 * probe: DNS, refused, timeout, not TDS) -> CRITICAL as well (plugin guidelines: such errors
 * are not UNKNOWN). A target the client would connect to takes the worst of: the earliest
 * certificate expiry (<= crit_days CRITICAL, <= warn_days WARNING); each finding whose code is
 * not ignored (severity error CRITICAL, warning WARNING, info nothing); with
 * require_tls12_only, TLS 1.0/1.1 accepted or TLS 1.2 refused CRITICAL, no yes/no answer from
 * the audit UNKNOWN. Else OK (also when no certificate was seen). */
enum probe_nagios_state probe_nagios_state(const struct probe_summary *s,
                                           const struct probe_nagios_policy *p);

/* The worse of two states, in the order CRITICAL > WARNING > UNKNOWN > OK. This is the
 * Monitoring Plugins' max_state_alt() order ("prioritize any valid non-OK state"): across many
 * targets, UNKNOWN only says "could not check" (here: no targets at all), which is less
 * actionable than a WARNING seen for certain. */
enum probe_nagios_state probe_nagios_worst(enum probe_nagios_state a, enum probe_nagios_state b);

/* Writes plugin output for n targets under policy p (NULL: the defaults) and returns the exit
 * code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; n == 0 is UNKNOWN).
 *
 * Line 1: "TDSPROBE <STATE> - <summary> | <perfdata>"; one target: its label, the verdict in
 * the client's words, TLS version, "expires in N days (YYYY-MM-DD)" and, when the policy holds
 * something against it, "; policy: old_tls_accepted (warning), TLS 1.2 not enforced"; many:
 * state counts and the non-OK targets (worst first, at most 10 named, each with its reason).
 * Perfdata, per target and chain element (numbered from 1, as check_ssl_cert does):
 * '<label>_days_chain_elem<N>'=<days>;<warn>;<crit>;; and '<label>_handshake'=<ms>ms;;;; when a
 * handshake ran. Labels double single quotes and replace '=', '|' and control characters with
 * '_' (plugin guidelines). Then one long-output line per target. The text never contains a raw
 * '|' or control character (shown as \xNN). */
int probe_report_nagios(FILE *f, const struct probe_summary *s, size_t n,
                        const struct probe_nagios_policy *p);

/* "TDSPROBE UNKNOWN - <reason>" on one line: the plugin could not run its check (a usage
 * error, no target); the caller exits PROBE_NAGIOS_UNKNOWN. */
void probe_report_nagios_unknown(FILE *f, const char *reason);

/* Prometheus text exposition format 0.0.4: every family once with # HELP and # TYPE, its
 * samples together; label values escaped (\\, \", \n) and invalid UTF-8 replaced by U+FFFD.
 * Names after blackbox_exporter's probe_* metrics, one "target" label (the target as given):
 *   tdsprobe_success, tdsprobe_status_info{status}, tdsprobe_diagnosis_info{code},
 *   tdsprobe_server_info{version,product,encryption} (when PRELOGIN was read),
 *   tdsprobe_tls_version_info{version}, tdsprobe_tls_cipher_info{cipher},
 *   tdsprobe_handshake_info{mode,tds8} (when a handshake ran),
 *   tdsprobe_ssl_earliest_cert_expiry (unix seconds), tdsprobe_ssl_chain_length,
 *   tdsprobe_ssl_chain_expiry_seconds{element,cn} (each element's NotAfter as unix seconds,
 *   elements numbered from 1), tdsprobe_ssl_chain_not_before_seconds{element,cn} (NotBefore),
 *   tdsprobe_ssl_chain_info{element,fingerprint_sha256,subject,issuer,serialnumber} 1 (every
 *   kept element, also one that did not parse), tdsprobe_finding_info{code,severity} 1 (one per
 *   finding code, at its worst severity), tdsprobe_duration_seconds{phase} (phases that ran);
 *   with --protocols: tdsprobe_tls_protocol_accepted{version} 1/0 for each version with a
 *   yes/no answer (an error or an untested version has no sample), tdsprobe_tls12_enforced
 *   1/0 (no sample when the audit could not tell); with --ciphers:
 *   tdsprobe_tls_cipher_accepted{version,cipher} 1 per accepted suite (at most
 *   PROBE_SUMMARY_MAX_SUITES per version).
 * All are gauges. Series per target are bounded: one per chain element (at most
 * PROBE_SUMMARY_MAX_CHAIN), finding code, TLS version and accepted suite. Families without
 * samples are left out. Targets should be unique: the same
 * target twice gives duplicate series. */
void probe_report_prometheus(FILE *f, const struct probe_summary *s, size_t n);

/* One target's tdsprobe_policy_state gauge (with # HELP and # TYPE): its state under policy
 * as probe_nagios_state() gives it, as the plugin exit code (0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN). tdsprobe serve appends it to each probe's exposition. */
void probe_report_prometheus_policy(FILE *f, const struct probe_summary *s,
                                    const struct probe_nagios_policy *policy);

/* The end-of-run table: TARGET, VERDICT (status and diagnosis code), SERVER (version), TLS,
 * EXPIRES (days to the earliest expiry), widths from the data, targets longer than 48 columns
 * cut with "…"; then totals per diagnosis code ("ok 12, untrusted_chain 3, timeout 1") and a
 * count line. Control characters and invalid UTF-8 are shown as \xNN; colour only when color. */
void probe_report_summary_table(FILE *f, const struct probe_summary *s, size_t n, bool color);

/* The TLS policy matrix, one row per target: TARGET, TLSv1.0, TLSv1.1, TLSv1.2 (accepted /
 * rejected / error / "-" when not audited), TLSv1.3 (only when some target had it tested),
 * TLS 1.2 ENFORCED (yes/no/unknown), WEAK SUITES (yes/no/incomplete, "-" without --ciphers).
 * Writes nothing when no target has audit data; probe_report_summary_table() calls it after
 * its totals. Colour (only when color): old versions accepted and TLS 1.2 refused in red. */
void probe_report_audit_matrix(FILE *f, const struct probe_summary *s, size_t n, bool color);

#endif
