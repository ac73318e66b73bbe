/* probe/diagnose/probe_findings.c: findings[], every problem seen: the diagnosis first
 * (unless it is itself a policy finding), the TLS policy's findings on the chain, what the
 * probe noticed on the way (the fallback certificate, an old TLS version, the follow-up
 * handshake, what an OK connection leaves open), then the TLS policy audit's. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <stdarg.h>
#include <stdio.h>

#include "probe/diagnose/probe_audit_verdict.h"
#include "probe/diagnose/probe_finding_codes.h"
#include "tls/tls13_probe.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

/* Room for all of them: the policy's findings, the diagnosis's own (the diagnosis or what an
 * OK connection leaves open, the fallback certificate, an old TLS version, the follow-up
 * handshake, a refused TLS 1.3 ClientHello, a reply byte outside MS-TDS) and the audit's. */
_Static_assert(TLS_MAX_FINDINGS + 6 + PROBE_AUDIT_MAX_FINDINGS <= PROBE_MAX_FINDINGS,
               "probe_result.findings holds every finding");


__attribute__((format(printf, 5, 6))) static void add_finding(struct probe_result *r,
                                                              enum probe_finding_code code,
                                                              enum tls_severity sev, int cert,
                                                              const char *fmt, ...)
{
    char msg[sizeof(r->findings[0].message)];
    va_list ap;

    if (r->n_findings >= PROBE_MAX_FINDINGS) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    probe_finding_set(&r->findings[r->n_findings++], code, sev, cert, msg);
}

static bool verdict_has(const struct tls_verdict *v, enum tls_finding_code code)
{
    for (size_t i = 0; i < v->n && i < TLS_MAX_FINDINGS; i++) {
        if (v->f[i].code == code) {
            return true;
        }
    }
    return false;
}

static void copy_verdict(const struct dctx *c)
{
    struct probe_result *r = c->r;

    /* a handshake that died before the Certificate message has no chain to judge: the
     * policy's "no certificate" would only be noise next to the real cause */
    if (c->leaf == NULL && (c->tls == NULL || !probe_dctx_handshake_completed(c))) {
        return;
    }
    for (size_t i = 0; i < r->verdict.n && i < TLS_MAX_FINDINGS; i++) {
        const struct tls_finding *f = &r->verdict.f[i];
        char m[330];
        probe_text_clean(m, sizeof(m), f->message);
        add_finding(r, (enum probe_finding_code)f->code, f->severity, f->cert, "%s", m);
    }
}

static void tls_findings(const struct dctx *c)
{
    struct probe_result *r = c->r;
    const struct tls_info *t = c->tls;

    if (c->leaf != NULL && tls_cert_is_sql_fallback(c->leaf) &&
        !verdict_has(&r->verdict, TLS_F_FALLBACK_CERTIFICATE)) {
        add_finding(r, PROBE_FINDING_FALLBACK_CERTIFICATE, TLS_SEV_INFO, 0,
                    "The server presents SQL Server's self-generated certificate "
                    "(CN=SSL_Self_Signed_Fallback): no certificate is configured "
                    "(network.tlscert).");
    }
    if (t != NULL && t->version >= TLS_V10 && t->version < TLS_V12 && !t->local_reject) {
        add_finding(r, PROBE_FINDING_OLD_TLS_VERSION, TLS_SEV_WARNING, -1,
                    "The server negotiated %s, deprecated by RFC 8996 and refused by current "
                    "clients: enable TLS 1.2 (mssql-conf set network.tlsprotocols 1.2).",
                    tls_version_name(t->version));
    }
    if (t != NULL && t->split_len > 0 && c->diag != PROBE_DIAG_TLS_LIBRARY_LIMIT) {
        char text[400];
        struct probe_sb b;
        probe_sb_init(&b, text, sizeof(text));
        probe_split_message_text(c, &b);
        add_finding(r, PROBE_FINDING_TLS_LIBRARY_LIMIT, TLS_SEV_INFO, -1, "%s", text);
    }
    if (r->facts.followup_ran) {
        char cipher[64];
        probe_text_clean(cipher, sizeof(cipher), r->facts.followup_cipher);
        if (r->facts.followup_ok) {
            add_finding(r, PROBE_FINDING_FOLLOWUP_HANDSHAKE, TLS_SEV_INFO, -1,
                        "A follow-up handshake offering TLS 1.0 to 1.2 and every cipher suite "
                        "succeeded with %s / %s.", tls_version_name(r->facts.followup_version),
                        cipher);
        } else {
            add_finding(r, PROBE_FINDING_FOLLOWUP_HANDSHAKE, TLS_SEV_INFO, -1,
                        "A follow-up handshake offering TLS 1.0 to 1.2 and every cipher suite "
                        "failed too.");
        }
    }
}

/* Strict: the server speaks TLS 1.3 (its answer to the TLS 1.3 ClientHello was an alert other
 * than protocol_version, RFC 8446 6.2) but refused the probe's offer, and the TLS 1.2 connection
 * after it got a ServerHello: the verdict is TLS 1.2's, while a client offering TLS 1.3 gets the
 * server's TLS 1.3 answer (a server picks the highest version offered, RFC 8446 4.2.1). */
static void tls13_findings(const struct dctx *c)
{
    const struct probe_facts *f = &c->r->facts;
    char offer[192];

    if (!f->tds8 || !f->tls13_refused || f->tls13_refused_alert == TLS_ALERT_PROTOCOL_VERSION ||
        c->tls == NULL || c->tls->version != TLS_V12) {
        return;
    }
    add_finding(c->r, PROBE_FINDING_TLS13_REFUSED, TLS_SEV_WARNING, -1,
                "The server speaks TLS 1.3 but refused this probe's TLS 1.3 offer (%s) with "
                "alert %s; the verdict is the TLS 1.2 connection's. Clients offering TLS 1.3 "
                "with only these groups (Schannel) get that alert; OpenSSL 3 clients (tedious) "
                "also offer X448 and the ffdhe groups and may connect.",
                tls13_probe_offer_text(offer, sizeof(offer), false),
                tls_alert_name(f->tls13_refused_alert));
}

static void scope_findings(const struct dctx *c)
{
    struct probe_result *r = c->r;

    if (!r->facts.got_prelogin || r->facts.tds8 || c->diag != PROBE_DIAG_OK) {
        return;
    }
    if (r->facts.scope == TDS_TLS_NONE) {
        add_finding(r, PROBE_FINDING_NO_ENCRYPTION, TLS_SEV_WARNING, -1,
                    "Nothing is encrypted, not even the login: the client sent ENCRYPTION=%s "
                    "and the server answered %s; anyone on the path can read the password and "
                    "the data.", tds_enc_name(r->facts.sent_encryption),
                    tds_enc_name(r->facts.prelogin.encryption));
    } else if (r->facts.scope == TDS_TLS_LOGIN_ONLY) {
        add_finding(r, PROBE_FINDING_LOGIN_ONLY_TLS, TLS_SEV_WARNING, -1,
                    "%s%s gives login-only TLS; anyone on the path can read everything after "
                    "login.",
                    r->facts.validates ? "" : "the client does not validate the certificate: ",
                    c->kw->optional);
    } else if (r->facts.scope == TDS_TLS_FULL && !r->facts.validates) {
        add_finding(r, PROBE_FINDING_NO_VALIDATION, TLS_SEV_WARNING, -1,
                    "the client does not validate the certificate (%s or the driver's "
                    "default): the connection is encrypted, but anyone on the path can "
                    "impersonate the server.", c->kw->trust);
    }
}

/* A reply byte outside MS-TDS that the driver let through (the diagnoses that stop on it say
 * so in their cause). */
static void reply_findings(const struct dctx *c)
{
    struct probe_result *r = c->r;
    char shown[64];

    if (!r->facts.got_prelogin || r->facts.tds8 || probe_dctx_reply_known(
            r->facts.prelogin.encryption) || c->diag == PROBE_DIAG_CLEARTEXT_LOGIN ||
        c->diag == PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED) {
        return;
    }
    probe_dctx_reply_text(r->facts.prelogin.encryption, shown, sizeof(shown));
    add_finding(r, PROBE_FINDING_UNKNOWN_ENCRYPTION_REPLY, TLS_SEV_WARNING, -1,
                "The server answered ENCRYPTION=%s. This driver goes on with %s (SqlClient, "
                "go-mssqldb and FreeTDS read anything but NOT_SUP as \"encryption supported\"; "
                "mssql-jdbc rejects the reply; tedious sends the login in cleartext). The server, "
                "or something on the path, does not speak TDS as MS-TDS defines it.",
                shown, r->facts.scope == TDS_TLS_NONE ? "no TLS at all" :
                       r->facts.scope == TDS_TLS_LOGIN_ONLY ? "login-only TLS" : "full TLS");
}

void probe_findings_collect(struct dctx *c)
{
    struct probe_result *r = c->r;

    if (c->diag != PROBE_DIAG_OK && !c->from_verdict && r->n_findings < PROBE_MAX_FINDINGS) {
        probe_finding_set_diag(&r->findings[r->n_findings++], c->diag, r->cause);
    }
    copy_verdict(c);
    tls_findings(c);
    tls13_findings(c);
    scope_findings(c);
    reply_findings(c);
    probe_audit_add_findings(r);
}
