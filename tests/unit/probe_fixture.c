/* tests/unit/probe_fixture.c: see probe_fixture.h. */
#include "probe_fixture.h"

#include <stdio.h>
#include <string.h>

#include "tls/tls_version.h"

void probe_fixture_ok(struct probe_target *t, struct probe_result *r, struct tls_info *ti)
{
    snprintf(t->host, sizeof(t->host), "db1.contoso.com");
    t->port = 1433;
    snprintf(t->client.driver, sizeof(t->client.driver), "sqlclient");
    t->client.encrypt = PROBE_ENCRYPT_MANDATORY;
    t->client.tls_named = PROBE_TLS_NAMED_MIN | PROBE_TLS_NAMED_MAX;
    r->target = t;
    snprintf(r->facts.address, sizeof(r->facts.address), "10.0.0.5");
    r->facts.sent_encryption = TDS_ENC_ON;
    r->facts.validates = true;
    r->facts.scope = TDS_TLS_FULL;
    r->facts.phase = PROBE_PHASE_DONE;
    r->facts.got_prelogin = true;
    r->facts.prelogin.has_encryption = true;
    r->facts.prelogin.encryption = TDS_ENC_ON;
    r->facts.tds_err.option = -1;
    ti->stage = TLS_STAGE_DONE;
    ti->version = TLS_V12;
    snprintf(ti->cipher, sizeof(ti->cipher), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    r->facts.tls = ti;
    r->verdict.pass = true;
}

void probe_fixture_cert(struct tls_cert *c, struct tls_san *sans, bool leaf, const char *cn,
                        const char *issuer_cn)
{
    memset(c, 0, sizeof(*c));
    c->parsed = true;
    snprintf(c->subject, sizeof(c->subject), "CN=%s", cn);
    snprintf(c->issuer, sizeof(c->issuer), "CN=%s", issuer_cn);
    snprintf(c->subject_cn, sizeof(c->subject_cn), "%s", cn);
    c->san = sans;
    snprintf(c->signature_algorithm, sizeof(c->signature_algorithm), "sha256WithRSAEncryption");
    c->signature_bits = 128;
    snprintf(c->key_type, sizeof(c->key_type), "RSA");
    c->key_bits = 2048;
    c->has_eku = leaf;
    c->eku = TLS_EKU_SERVER_AUTH;
    c->has_key_usage = true;
    c->key_usage = leaf ? (TLS_KU_DIGITAL_SIGNATURE | TLS_KU_KEY_ENCIPHERMENT)
                        : TLS_KU_KEY_CERT_SIGN;
    c->is_ca = !leaf;
}

void probe_fixture_finding(struct tls_verdict *v, enum tls_finding_code code,
                           enum tls_severity sev, int cert, const char *msg)
{
    struct tls_finding *f = &v->f[v->n++];

    f->code = code;
    f->severity = sev;
    f->cert = cert;
    snprintf(f->message, sizeof(f->message), "%s", msg);
    if (sev == TLS_SEV_ERROR) {
        v->pass = false;
    }
}
