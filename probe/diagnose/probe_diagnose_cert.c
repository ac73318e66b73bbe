/* probe/diagnose/probe_diagnose_cert.c: the certificate verdict. A validating client that
 * received a chain stops at the first error-severity policy finding the contract has a code
 * for (tls/tls_policy.c judged the chain as this client would); the cause quotes the finding
 * with the values behind it, the fix comes from probe_remedy_cert.c. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <string.h>


static const struct tls_cert *chain_cert(const struct dctx *c, int i)
{
    if (c->tls == NULL || i < 0 || (size_t)i >= c->tls->chain_len) {
        return c->leaf;
    }
    return &c->tls->chain[i];
}

/* The first error-severity policy finding that is a contract code decides. */
static const struct tls_finding *first_error(const struct tls_verdict *v, bool *unmapped)
{
    const struct tls_finding *any = NULL;

    *unmapped = false;
    for (size_t i = 0; i < v->n && i < TLS_MAX_FINDINGS; i++) {
        const struct tls_finding *f = &v->f[i];
        if (f->severity != TLS_SEV_ERROR) {
            continue;
        }
        if (probe_diag_from_name(tls_finding_name(f->code)) != PROBE_DIAG_COUNT) {
            return f;
        }
        if (any == NULL) {
            any = f;
        }
    }
    *unmapped = any != NULL;
    return any;
}

/* A policy finding as a sentence: capital first letter, final full stop. */
static void add_sentence(struct probe_sb *b, const char *msg)
{
    char m[330];
    size_t n;

    probe_text_clean(m, sizeof(m), msg);
    if (m[0] >= 'a' && m[0] <= 'z') {
        m[0] = (char)(m[0] - 'a' + 'A');
    }
    n = strlen(m);
    probe_sb_add(b, "%s%s", m, n > 0 && strchr(".!?", m[n - 1]) == NULL ? "." : "");
}

static void cause_cert(struct dctx *c, const struct tls_finding *f)
{
    const struct tls_cert *cert = chain_cert(c, f->cert);
    char nb[21], na[21];

    add_sentence(&c->cause, f->message);
    if (c->diag == PROBE_DIAG_NAME_MISMATCH) {
        probe_sb_add(&c->cause, " The name checked is %s.",
                     c->cl->host_name_in_certificate[0] != '\0'
                         ? "HostNameInCertificate from the connection string"
                         : "the server name from the connection string");
    } else if (c->diag == PROBE_DIAG_EXPIRED || c->diag == PROBE_DIAG_NOT_YET_VALID) {
        tls_time_format(cert->not_before, nb);
        tls_time_format(cert->not_after, na);
        probe_sb_add(&c->cause, " It is valid from %s to %s.", nb, na);
    }
    if (c->diag == PROBE_DIAG_UNTRUSTED_CHAIN && tls_cert_is_sql_fallback(c->leaf)) {
        probe_sb_add(&c->cause, " The certificate is SQL Server's self-generated fallback "
                                "(CN=SSL_Self_Signed_Fallback): no certificate is configured.");
    }
}

/* The first error finding with code a or b, or NULL. */
static const struct tls_finding *error_of(const struct tls_verdict *v, enum tls_finding_code a,
                                          enum tls_finding_code b)
{
    for (size_t i = 0; i < v->n && i < TLS_MAX_FINDINGS; i++) {
        const struct tls_finding *f = &v->f[i];
        if (f->severity == TLS_SEV_ERROR && (f->code == a || f->code == b)) {
            return f;
        }
    }
    return NULL;
}

/* A driver that reports OpenSSL's last verification error instead of an untrusted chain
 * (tedious: Node keeps verifying and reports the last error): X509_verify_cert
 * (x509_vfy.c verify_chain) builds the chain (untrusted), then checks the security level
 * (check_auth_level: a SHA-1 signature, a short key), then the dates (internal_verify), so a
 * date error wins, then a weak signature or key. NULL when the untrusted chain stays. */
static const struct tls_finding *later_error(const struct dctx *c)
{
    const struct tls_finding *f;

    if (!c->drv->dates_before_chain) {
        return NULL;
    }
    f = error_of(&c->r->verdict, TLS_F_EXPIRED, TLS_F_NOT_YET_VALID);
    return f != NULL ? f : error_of(&c->r->verdict, TLS_F_WEAK_SIGNATURE, TLS_F_WEAK_KEY);
}

bool probe_decide_chain(struct dctx *c)
{
    bool unmapped;
    const struct tls_finding *f;

    if (!c->r->facts.validates || c->leaf == NULL) {
        return false;
    }
    /* a handshake cut off before the chain was verified cannot be judged on it */
    if (!c->tls->verified_path && !probe_dctx_handshake_completed(c)) {
        return false;
    }
    f = first_error(&c->r->verdict, &unmapped);
    if (f == NULL) {
        return false;
    }
    if (f->code == TLS_F_UNTRUSTED_CHAIN && later_error(c) != NULL) {
        f = later_error(c);
    }
    /* an error the contract has no code for (an unparsable certificate): the client cannot
     * build a trusted chain from it */
    c->diag = (unmapped ? PROBE_DIAG_UNTRUSTED_CHAIN
                         : probe_diag_from_name(tls_finding_name(f->code)));
    c->from_verdict = !unmapped;
    cause_cert(c, f);
    probe_remedy_cert(c, f->cert);
    return true;
}
