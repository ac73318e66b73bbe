/* probe/output/probe_summary.h: a compact, self-contained copy of one probe_result, for the writers
 * that look at a whole run at once (Nagios, Prometheus, the end-of-run table).
 *
 * A probe_result is only valid inside the engine's callback (r->tls and the PRELOGIN views go
 * away afterwards), and it is large (fix text, findings). A front end that reports at the end
 * of a run keeps an array of these instead:
 *
 *     static void on_result(const struct probe_result *r, void *arg)
 *     {
 *         struct run *run = arg;
 *         probe_summary_from_result(&run->sums[run->n++], r);    (inside the callback)
 *     }
 *     ...after the loop has run:
 *     rc = probe_report_nagios(stdout, run->sums, run->n, &policy);
 *
 * Each summary is about 12 KiB of fixed arrays (no pointers, nothing to free); strings longer than
 * their field are cut on a UTF-8 character boundary. Strings are copied raw: the writers escape
 * them for their own format.
 */
#ifndef PROBE_PROBE_SUMMARY_H
#define PROBE_PROBE_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "probe/model/probe.h"
#include "probe/model/probe_audit.h"

/* Accepted suites kept per TLS version for Prometheus (a longer list is cut: suites_cut). */
#define PROBE_SUMMARY_MAX_SUITES 64

/* The TLS policy audit (--protocols / --ciphers), reduced: per-version states and suite ids. */
struct probe_summary_audit {
    bool ran;                  /* --protocols or --ciphers ran for this target */
    bool ciphers_ran;
    bool budget_hit;
    enum probe_proto_state proto[TLS_V13 + 1]; /* indexed TLS_V10..TLS_V13 */
    struct {
        uint8_t n;             /* ids kept (<= PROBE_SUMMARY_MAX_SUITES) */
        bool cut;              /* the server accepted more than were kept */
        bool incomplete;       /* the connection budget ran out during this version */
        bool has_weak;         /* an accepted suite is weak (probe_suite_weak_mask) */
        uint16_t ids[PROBE_SUMMARY_MAX_SUITES]; /* in the server's pick order */
    } suites[TLS_V12 + 1];
};

/* Chain elements kept; the same bound as the TLS layer's (a longer chain is cut there). */
#define PROBE_SUMMARY_MAX_CHAIN 10

/* One chain element: its identity (what blackbox_exporter's probe_ssl_last_chain_info and
 * ssl_exporter's certificate series label with) and its dates. */
struct probe_summary_cert {
    bool parsed;            /* false: the certificate could not be parsed: no dates, no names */
    time_t not_before;      /* UTC */
    time_t not_after;       /* UTC */
    long days_left;         /* floor((not_after - now) / 1 day); negative once expired */
    char cn[128];           /* subject CN, "" if none */
    char subject[256];      /* subject DN as the JSON's "subject" ("CN=db1, O=Contoso") */
    char issuer[256];       /* issuer DN */
    char serial[130];       /* lowercase hex, as the JSON's "serial" */
    char sha256[65];        /* lowercase hex of SHA-256 over the DER (also when not parsed) */
};

/* One finding code of the result, with the worst severity it was reported at (a code can
 * occur more than once: "expired" per certificate, "weak_cipher_accepted" per class). */
struct probe_summary_finding {
    char code[32];
    enum tls_severity severity;
};

struct probe_summary {
    char target[512];       /* the target as given (cut when longer) */
    char host[256];
    uint16_t port;          /* the port probed; 0 = unknown (named instance not resolved) */
    char instance[33];
    char mode[12];          /* "full" or "certificate" (the client's --handshake) */
    bool tds8;

    enum probe_status status;
    enum probe_diag diag;
    char message[512];      /* the client's own words */

    char server_version[32];  /* "" when unknown */
    char server_product[64];
    char server_encryption[16]; /* PRELOGIN ENCRYPTION reply ("off", "required"...), "" = none */

    bool handshake_ran;     /* a TLS handshake was attempted */
    int tls_version;        /* TLS_V1x negotiated, 0 if none */
    char cipher[64];        /* IANA name, "" if none */

    size_t chain_len;       /* certificates the server sent (may exceed n_chain) */
    size_t n_chain;         /* elements kept in chain[] (leaf first) */
    struct probe_summary_cert chain[PROBE_SUMMARY_MAX_CHAIN];
    bool has_expiry;        /* at least one parsed certificate: the two fields below are set */
    time_t earliest_not_after;
    long earliest_days;

    /* milliseconds; negative = the phase did not run */
    double t_resolve, t_browser, t_connect, t_prelogin, t_handshake, t_total;

    struct probe_summary_audit audit; /* all zero (ran false) when no audit ran */

    size_t n_findings;      /* distinct codes of r->findings, in first-seen order */
    struct probe_summary_finding findings[PROBE_MAX_FINDINGS];
};

/* Copies what the writers need out of r. Call it inside the engine's callback, after
 * probe_diagnose(). Days are counted from the current time. */
void probe_summary_from_result(struct probe_summary *s, const struct probe_result *r);

/* The same with an explicit "now" (tests, or a run that wants one reference time). */
void probe_summary_from_result_at(struct probe_summary *s, const struct probe_result *r,
                                  time_t now);

/* Whole days from now to t, rounded down (so a certificate expiring in 5 hours has 0 days). */
long probe_summary_days_left(time_t t, time_t now);

/* "TLSv1.2", or "" when no version was negotiated. */
const char *probe_summary_tls_name(const struct probe_summary *s);

/* A short name for the target in perfdata labels and long output: the target as given, unless
 * it is a connection string ('=' in it) or long, then host[\instance][:port]. Raw bytes: the
 * caller escapes them. Returns out. */
const char *probe_summary_label(const struct probe_summary *s, char *out, size_t cap);

#endif
