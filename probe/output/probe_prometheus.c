/* probe/output/probe_prometheus.c: the Prometheus text exposition of a run
 * (probe_report_prometheus, declared in probe_monitor.h), one family table. */
#include "probe/output/probe_monitor.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "probe/diagnose/probe_audit_verdict.h"
#include "probe/output/probe_emit.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

struct prom {
    FILE *f;
    const struct prom_family *fam;
    bool started; /* # HELP / # TYPE written for fam */
};

struct prom_family {
    const char *name;
    const char *help;
    void (*emit)(struct prom *p, const struct probe_summary *s);
};

/* Opens a sample "name{target=\"...\"", writing the family's header before its first one. */
static void prom_begin(struct prom *p, const struct probe_summary *s)
{
    if (!p->started) {
        fprintf(p->f, "# HELP %s %s\n# TYPE %s gauge\n", p->fam->name, p->fam->help,
                p->fam->name);
        p->started = true;
    }
    fprintf(p->f, "%s{target=\"", p->fam->name);
    probe_quoted_body(p->f, s->target, PROBE_QUOTE_PROMETHEUS);
    fputc('"', p->f);
}

static void prom_label(struct prom *p, const char *key, const char *value)
{
    fprintf(p->f, ",%s=\"", key);
    probe_quoted_body(p->f, value, PROBE_QUOTE_PROMETHEUS);
    fputc('"', p->f);
}

/* Timestamps and counts print as integers (%g would turn 1798761600 into 1.7987616e+09, which
 * parses but reads badly); fractions keep nine significant digits (nanoseconds of a second). */
static void prom_end(struct prom *p, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        fprintf(p->f, "} %.0f\n", v);
    } else {
        fprintf(p->f, "} %.9g\n", v);
    }
}

/* A one-label info sample, value 1. */
static void prom_info(struct prom *p, const struct probe_summary *s, const char *k,
                      const char *v)
{
    prom_begin(p, s);
    prom_label(p, k, v);
    prom_end(p, 1);
}

static void emit_success(struct prom *p, const struct probe_summary *s)
{
    prom_begin(p, s);
    prom_end(p, s->status == PROBE_STATUS_OK ? 1 : 0);
}

static void emit_status(struct prom *p, const struct probe_summary *s)
{
    prom_info(p, s, "status", probe_status_name(s->status));
}

static void emit_diagnosis(struct prom *p, const struct probe_summary *s)
{
    prom_info(p, s, "code", probe_diag_name(s->diag));
}

static void emit_probe_info(struct prom *p, const struct probe_summary *s)
{
    prom_begin(p, s);
    prom_label(p, "mode", s->tds8 ? "tds8" : "tds7");
    prom_label(p, "handshake", s->mode);
    prom_end(p, 1);
}

static void emit_server(struct prom *p, const struct probe_summary *s)
{
    if (s->server_version[0] == '\0' && s->server_encryption[0] == '\0') {
        return; /* no PRELOGIN reply was read */
    }
    prom_begin(p, s);
    prom_label(p, "version", s->server_version);
    prom_label(p, "product", s->server_product);
    prom_label(p, "encryption", s->server_encryption);
    prom_end(p, 1);
}

static void emit_tls_version(struct prom *p, const struct probe_summary *s)
{
    if (s->tls_version > 0) {
        prom_info(p, s, "version", probe_summary_tls_name(s));
    }
}

static void emit_cipher(struct prom *p, const struct probe_summary *s)
{
    if (s->cipher[0] != '\0') {
        prom_info(p, s, "cipher", s->cipher);
    }
}

/* Only versions with a yes/no answer: an error or an untested version has no sample, so 0
 * always means "refused". */
static void emit_protocols(struct prom *p, const struct probe_summary *s)
{
    for (int v = TLS_V10; v <= TLS_V13 && s->audit.ran; v++) {
        enum probe_proto_state st = s->audit.proto[v];
        if (st == PROBE_PROTO_ACCEPTED || st == PROBE_PROTO_REJECTED) {
            prom_begin(p, s);
            prom_label(p, "version", tls_version_name(v));
            prom_end(p, st == PROBE_PROTO_ACCEPTED ? 1 : 0);
        }
    }
}

static void emit_cipher_accepted(struct prom *p, const struct probe_summary *s)
{
    for (int v = TLS_V10; v <= TLS_V12 && s->audit.ciphers_ran; v++) {
        for (size_t i = 0; i < s->audit.suites[v].n && i < PROBE_SUMMARY_MAX_SUITES; i++) {
            uint16_t id = s->audit.suites[v].ids[i];
            const char *name = tls_cipher_name(id);
            char hex[8];
            if (name == NULL) {
                snprintf(hex, sizeof(hex), "0x%04x", (unsigned)id);
                name = hex;
            }
            prom_begin(p, s);
            prom_label(p, "version", tls_version_name(v));
            prom_label(p, "cipher", name);
            prom_end(p, 1);
        }
    }
}

static void emit_earliest(struct prom *p, const struct probe_summary *s)
{
    if (s->has_expiry) {
        prom_begin(p, s);
        prom_end(p, (double)s->earliest_not_after);
    }
}

static void emit_chain_length(struct prom *p, const struct probe_summary *s)
{
    if (s->handshake_ran) {
        prom_begin(p, s);
        prom_end(p, (double)s->chain_len);
    }
}

/* Opens a sample of chain element i, numbered from 1 (1 = leaf, as check_ssl_cert numbers). */
static void prom_begin_element(struct prom *p, const struct probe_summary *s, size_t i)
{
    char element[24];

    snprintf(element, sizeof(element), "%zu", i + 1);
    prom_begin(p, s);
    prom_label(p, "element", element);
}

/* NotAfter (or NotBefore) of each element that parsed, labelled with its subject CN. */
static void emit_chain_dates(struct prom *p, const struct probe_summary *s, bool not_before)
{
    for (size_t i = 0; i < s->n_chain; i++) {
        if (!s->chain[i].parsed) {
            continue;
        }
        prom_begin_element(p, s, i);
        prom_label(p, "cn", s->chain[i].cn);
        prom_end(p, (double)(not_before ? s->chain[i].not_before : s->chain[i].not_after));
    }
}

static void emit_chain_expiry(struct prom *p, const struct probe_summary *s)
{
    emit_chain_dates(p, s, false);
}

static void emit_chain_not_before(struct prom *p, const struct probe_summary *s)
{
    emit_chain_dates(p, s, true);
}

/* Every kept element (a certificate that did not parse still has its fingerprint): one series
 * per element, labelled as blackbox_exporter's probe_ssl_last_chain_info is. */
static void emit_chain_info(struct prom *p, const struct probe_summary *s)
{
    for (size_t i = 0; i < s->n_chain; i++) {
        const struct probe_summary_cert *c = &s->chain[i];

        prom_begin_element(p, s, i);
        prom_label(p, "fingerprint_sha256", c->sha256);
        prom_label(p, "subject", c->subject);
        prom_label(p, "issuer", c->issuer);
        prom_label(p, "serialnumber", c->serial);
        prom_end(p, 1);
    }
}

/* Only a yes/no answer has a sample (an audit that could not test a version says neither). */
static void emit_tls12_enforced(struct prom *p, const struct probe_summary *s)
{
    enum probe_tls12 v = s->audit.ran ? probe_audit_tls12(s->audit.proto) : PROBE_TLS12_UNKNOWN;

    if (v != PROBE_TLS12_UNKNOWN) {
        prom_begin(p, s);
        prom_end(p, v == PROBE_TLS12_ENFORCED ? 1 : 0);
    }
}

static void emit_findings(struct prom *p, const struct probe_summary *s)
{
    for (size_t i = 0; i < s->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        prom_begin(p, s);
        prom_label(p, "code", s->findings[i].code);
        prom_label(p, "severity", tls_severity_name(s->findings[i].severity));
        prom_end(p, 1);
    }
}

static void emit_durations(struct prom *p, const struct probe_summary *s)
{
    const struct {
        const char *phase;
        double ms;
    } t[] = {{"resolve", s->t_resolve},     {"browser", s->t_browser},
             {"connect", s->t_connect},     {"prelogin", s->t_prelogin},
             {"handshake", s->t_handshake}, {"total", s->t_total}};

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (t[i].ms >= 0 && isfinite(t[i].ms)) {
            prom_begin(p, s);
            prom_label(p, "phase", t[i].phase);
            prom_end(p, t[i].ms / 1000.0);
        }
    }
}

static const struct prom_family prom_families[] = {
    {"tdsprobe_success", "1 when a client with these settings would connect.", emit_success},
    {"tdsprobe_status_info", "The verdict: ok, fail (the client would fail) or error (could "
                             "not probe).", emit_status},
    {"tdsprobe_diagnosis_info", "The diagnosis code the client would report first.",
     emit_diagnosis},
    {"tdsprobe_finding_info", "Each finding code of the result, at its worst severity (error, "
                              "warning or info).", emit_findings},
    {"tdsprobe_probe_info", "How the target was probed: TDS 7.x PRELOGIN or TDS 8.0 strict, "
                            "full handshake or certificate only.", emit_probe_info},
    {"tdsprobe_server_info", "What the server's PRELOGIN reply said.", emit_server},
    {"tdsprobe_tls_version_info", "The negotiated TLS version.", emit_tls_version},
    {"tdsprobe_tls_cipher_info", "The negotiated cipher suite (IANA name).", emit_cipher},
    {"tdsprobe_tls_protocol_accepted", "1 when the server accepted a handshake offering only "
                                       "this TLS version, 0 when it refused it (--protocols).",
     emit_protocols},
    {"tdsprobe_tls_cipher_accepted", "1 for each cipher suite (IANA name) the server accepted "
                                     "at this TLS version (--ciphers).", emit_cipher_accepted},
    {"tdsprobe_tls12_enforced", "1 when TLS 1.0 and 1.1 were refused and TLS 1.2 accepted, 0 "
                                "when not (--protocols).", emit_tls12_enforced},
    {"tdsprobe_ssl_earliest_cert_expiry", "Earliest NotAfter of the certificates the server "
                                          "sent, as Unix time in seconds.", emit_earliest},
    {"tdsprobe_ssl_chain_length", "Number of certificates the server sent.", emit_chain_length},
    {"tdsprobe_ssl_chain_expiry_seconds", "NotAfter of each chain element (1 = leaf), as Unix "
                                          "time in seconds.", emit_chain_expiry},
    {"tdsprobe_ssl_chain_not_before_seconds", "NotBefore of each chain element (1 = leaf), as "
                                              "Unix time in seconds.", emit_chain_not_before},
    {"tdsprobe_ssl_chain_info", "Identity of each chain element (1 = leaf): SHA-256 "
                                "fingerprint, subject, issuer and serial number.",
     emit_chain_info},
    {"tdsprobe_duration_seconds", "Duration of each probe phase that ran.", emit_durations},
};

void probe_report_prometheus(FILE *f, const struct probe_summary *s, size_t n)
{
    for (size_t k = 0; k < sizeof(prom_families) / sizeof(prom_families[0]); k++) {
        struct prom p = {.f = f, .fam = &prom_families[k], .started = false};

        for (size_t i = 0; i < n; i++) {
            p.fam->emit(&p, &s[i]);
        }
    }
}


void probe_report_prometheus_policy(FILE *f, const struct probe_summary *s,
                                    const struct probe_nagios_policy *policy)
{
    static const struct prom_family fam = {
        "tdsprobe_policy_state", "The target's state under the module's policy, as a Nagios "
        "plugin's exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (tdsprobe --format nagios).",
        NULL};
    struct prom p = {.f = f, .fam = &fam, .started = false};

    prom_begin(&p, s);
    prom_end(&p, (double)probe_nagios_state(s, policy));
}
