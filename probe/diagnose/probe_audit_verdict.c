/* probe/diagnose/probe_audit_verdict.c: what the TLS policy audit means (see
 * probe_audit_verdict.h): the "TLS 1.2 enforced" verdict, weak-suite classes and the audit's
 * findings. The fix that enforces TLS 1.2 is with the other fixes, in probe_remedy.c. */
#include "probe/diagnose/probe_audit_verdict.h"
#include "probe/diagnose/probe_finding_codes.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

#include <stdio.h>
#include <string.h>

/* ---- verdict ---- */

enum probe_tls12 probe_audit_tls12(const enum probe_proto_state st[TLS_V13 + 1])
{
    if (st[TLS_V10] == PROBE_PROTO_ACCEPTED || st[TLS_V11] == PROBE_PROTO_ACCEPTED ||
        st[TLS_V12] == PROBE_PROTO_REJECTED) {
        return PROBE_TLS12_NOT_ENFORCED;
    }
    if (st[TLS_V10] == PROBE_PROTO_REJECTED && st[TLS_V11] == PROBE_PROTO_REJECTED &&
        st[TLS_V12] == PROBE_PROTO_ACCEPTED) {
        return PROBE_TLS12_ENFORCED;
    }
    return PROBE_TLS12_UNKNOWN; /* an error or an untested version leaves the question open */
}

const char *probe_tls12_name(enum probe_tls12 v)
{
    switch (v) {
    case PROBE_TLS12_ENFORCED:
        return "yes";
    case PROBE_TLS12_NOT_ENFORCED:
        return "no";
    default:
        return "unknown";
    }
}

/* ---- weak suites ---- */

static const char *const weak_reasons[PROBE_WEAK_COUNT] = {
    [PROBE_WEAK_3DES] = "SWEET32 (3DES)",
    [PROBE_WEAK_RC4] = "RC4",
    [PROBE_WEAK_CBC_SHA1] = "CBC with SHA-1 MAC",
    [PROBE_WEAK_NO_FS] = "no forward secrecy",
    [PROBE_WEAK_NULL] = "NULL cipher",
};

/* Why each class matters, for the finding (one sentence, then the suites). */
static const char *const weak_why[PROBE_WEAK_COUNT] = {
    [PROBE_WEAK_3DES] = "3DES suites accepted (64-bit blocks: SWEET32, CVE-2016-2183)",
    [PROBE_WEAK_RC4] = "RC4 suites accepted (RFC 7465 forbids RC4)",
    [PROBE_WEAK_CBC_SHA1] = "CBC suites with SHA-1 MACs accepted (Lucky13 family; prefer AEAD)",
    [PROBE_WEAK_NO_FS] = ("Suites without forward secrecy accepted (static RSA/ECDH key "
                          "exchange: a stolen key decrypts recorded traffic)"),
    [PROBE_WEAK_NULL] = "NULL suites accepted (no encryption at all)",
};

const char *probe_weak_reason(enum probe_weak w)
{
    return w < PROBE_WEAK_COUNT ? weak_reasons[w] : "weak";
}

unsigned probe_suite_weak_mask(uint16_t id)
{
    struct tls_suite_info si;
    unsigned m = 0;

    if (!tls_suite_info(id, &si)) {
        return 0;
    }
    m |= si.weak_3des ? 1u << PROBE_WEAK_3DES : 0;
    m |= si.weak_rc4 ? 1u << PROBE_WEAK_RC4 : 0;
    m |= si.cbc_sha1 ? 1u << PROBE_WEAK_CBC_SHA1 : 0;
    m |= si.no_forward_secrecy ? 1u << PROBE_WEAK_NO_FS : 0;
    m |= si.null_cipher ? 1u << PROBE_WEAK_NULL : 0;
    return m;
}

const char *probe_suite_name(uint16_t id, char buf[8])
{
    const char *n = tls_cipher_name(id);
    struct tls_suite_info si;

    if (n != NULL) {
        return n;
    }
    if (tls_suite_info(id, &si) && si.name != NULL) {
        return si.name; /* the TLS 1.3 suites */
    }
    snprintf(buf, 8, "0x%04x", (unsigned)id);
    return buf;
}

/* ---- findings ---- */

static void set_finding(struct probe_finding *f, enum probe_finding_code code, const char *msg)
{
    probe_finding_set(f, code, TLS_SEV_WARNING, -1, msg);
}

static bool old_tls_finding(const struct probe_audit *a, struct probe_finding *f)
{
    bool v10 = a->proto[TLS_V10].state == PROBE_PROTO_ACCEPTED;
    bool v11 = a->proto[TLS_V11].state == PROBE_PROTO_ACCEPTED;
    char msg[400];

    if (!v10 && !v11) {
        return false;
    }
    snprintf(msg, sizeof(msg),
             "The server accepts %s (deprecated, RFC 8996). Allow only TLS 1.2: on Linux "
             "'mssql-conf set network.tlsprotocols 1.2', on Windows disable %s in Schannel "
             "(Enabled=0, DisabledByDefault=1); then restart SQL Server.",
             v10 && v11 ? "TLS 1.0 and TLS 1.1" : v10 ? "TLS 1.0" : "TLS 1.1",
             v10 && v11 ? "TLS 1.0 and 1.1" : v10 ? "TLS 1.0" : "TLS 1.1");
    set_finding(f, PROBE_FINDING_OLD_TLS_ACCEPTED, msg);
    return true;
}

static bool has_class(uint16_t id, enum probe_weak w)
{
    return (probe_suite_weak_mask(id) & (1u << w)) != 0;
}

static bool seen_before(const struct probe_audit *a, int v, size_t i)
{
    for (int u = TLS_V10; u <= v; u++) {
        size_t end = u < v ? a->ciphers[u].n : i;
        for (size_t k = 0; k < end && k < PROBE_AUDIT_MAX_SUITES; k++) {
            if (a->ciphers[u].ids[k] == a->ciphers[v].ids[i]) {
                return true;
            }
        }
    }
    return false;
}

/* Appends ": NAME, NAME" for the suites of class w (each once, over all versions) while they
 * fit in out, then " and N more" for the rest. */
static void weak_list(const struct probe_audit *a, enum probe_weak w, char *out, size_t cap)
{
    size_t used = strlen(out), listed = 0, more = 0;

    for (int v = TLS_V10; v <= TLS_V13; v++) {
        for (size_t i = 0; i < a->ciphers[v].n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            uint16_t id = a->ciphers[v].ids[i];
            char nb[8], item[80];
            if (!has_class(id, w) || seen_before(a, v, i)) {
                continue;
            }
            int k = snprintf(item, sizeof(item), "%s%s", listed > 0 ? ", " : ": ",
                             probe_suite_name(id, nb));
            if (k < 0 || used + (size_t)k + 24 >= cap) { /* keep room for " and N more" */
                more++;
                continue;
            }
            memcpy(out + used, item, (size_t)k + 1);
            used += (size_t)k;
            listed++;
        }
    }
    if (more > 0) {
        snprintf(out + used, cap - used, " and %zu more", more);
    }
}

static bool weak_finding(const struct probe_audit *a, enum probe_weak w, struct probe_finding *f)
{
    char msg[400];
    bool any = false;

    for (int v = TLS_V10; v <= TLS_V13 && !any; v++) {
        for (size_t i = 0; i < a->ciphers[v].n && i < PROBE_AUDIT_MAX_SUITES; i++) {
            any = any || has_class(a->ciphers[v].ids[i], w);
        }
    }
    if (!any) {
        return false;
    }
    static const char remove[] = ". Remove them: mssql-conf network.tlsciphers (Linux), "
                                 "Disable-TlsCipherSuite (Windows).";

    snprintf(msg, sizeof(msg), "%s", weak_why[w]);
    weak_list(a, w, msg, sizeof(msg) - sizeof(remove)); /* the advice always fits */
    size_t used = strlen(msg);
    snprintf(msg + used, sizeof(msg) - used, "%s", remove);
    set_finding(f, PROBE_FINDING_WEAK_CIPHER_ACCEPTED, msg);
    return true;
}

size_t probe_audit_findings(const struct probe_audit *a, struct probe_finding *out, size_t cap)
{
    size_t n = 0;

    if (a == NULL || !a->want_protocols) {
        return 0;
    }
    if (n < cap && old_tls_finding(a, &out[n])) {
        n++;
    }
    for (int w = 0; w < PROBE_WEAK_COUNT && a->want_ciphers; w++) {
        if (n < cap && weak_finding(a, (enum probe_weak)w, &out[n])) {
            n++;
        }
    }
    return n;
}

/* ---- into the result ---- */

static bool carries(const struct probe_result *r, size_t n, const char *code)
{
    for (size_t i = 0; i < n && i < PROBE_MAX_FINDINGS; i++) {
        if (strcmp(r->findings[i].code, code) == 0) {
            return true;
        }
    }
    return false;
}

void probe_audit_add_findings(struct probe_result *r)
{
    struct probe_finding extra[PROBE_AUDIT_MAX_FINDINGS];
    size_t n = probe_audit_findings(r->facts.audit, extra, PROBE_AUDIT_MAX_FINDINGS);
    size_t own = r->n_findings; /* one weak_cipher_accepted per class: compare with these only */

    for (size_t i = 0; i < n && r->n_findings < PROBE_MAX_FINDINGS; i++) {
        if (!carries(r, own, extra[i].code)) {
            r->findings[r->n_findings++] = extra[i];
        }
    }
}
