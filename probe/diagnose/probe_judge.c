/* probe/diagnose/probe_judge.c: the client's view of the chain (see probe_judge.h). */
#include "probe/diagnose/probe_judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_platform.h"

/* Does the stack accept what finding f refuses (a policy at OpenSSL security level 2)? */
static bool tolerated(const struct probe_tls_stack *s, const struct tls_info *ti,
                      const struct tls_finding *f)
{
    const struct tls_cert *c;

    if (f->severity != TLS_SEV_ERROR || f->cert < 0 || (size_t)f->cert >= ti->chain_len) {
        return false;
    }
    c = &ti->chain[f->cert];
    if (f->code == TLS_F_WEAK_SIGNATURE) {
        return c->signature_bits >= s->min_signature_bits;
    }
    return f->code == TLS_F_WEAK_KEY && strcmp(c->key_type, "RSA") == 0 &&
           c->key_bits >= s->min_rsa_bits;
}

/* A SHA-1 signature or an RSA-1024 key that the client's own TLS stack accepts (Schannel,
 * JSSE for a private CA; Node, Go and JSSE for RSA-1024) does not stop it: the finding stays,
 * as a warning naming the stack. */
static void apply_stack(const struct probe_tls_stack *s, const struct tls_info *ti,
                        struct tls_verdict *v)
{
    v->pass = true;
    for (size_t i = 0; i < v->n && i < TLS_MAX_FINDINGS; i++) {
        struct tls_finding *f = &v->f[i];
        if (tolerated(s, ti, f)) {
            size_t n = strlen(f->message);
            f->severity = TLS_SEV_WARNING;
            snprintf(f->message + n, sizeof(f->message) - n, "; this client's %s accepts it",
                     s->name);
        }
        v->pass = v->pass && f->severity != TLS_SEV_ERROR;
    }
}

/* SqlClient with a chain and name it accepts never opens the pinned file; when the file differs
 * anyway, that is worth knowing (the pin protects nothing here), so the mismatch is kept as
 * info beside a passing verdict. */
static void note_uncompared_pin(const struct probe_judge_input *in, struct tls_policy_opts po,
                                struct tls_verdict *out)
{
    struct tls_verdict *v = malloc(sizeof(*v));

    po.pin_der = in->pin_der;
    po.pin_len = in->pin_len;
    if (v != NULL) {
        tls_policy_judge(in->tls, &po, v);
        for (size_t i = 0; i < v->n && out->n < TLS_MAX_FINDINGS; i++) {
            if (v->f[i].code == TLS_F_PIN_MISMATCH) {
                out->f[out->n] = v->f[i];
                out->f[out->n++].severity = TLS_SEV_INFO;
            }
        }
    }
    free(v);
}

/* The policy's verdict, then what the client's own TLS stack tolerates beyond it. */
static void judge_for_stack(const struct probe_judge_input *in, const struct tls_policy_opts *po,
                            struct tls_verdict *out)
{
    tls_policy_judge(in->tls, po, out);
    if (in->validates) {
        apply_stack(probe_client_stack(in->client), in->tls, out);
    }
}

void probe_judge(const struct probe_judge_input *in, struct tls_verdict *out)
{
    char name[256];

    out->n = 0; /* findings are written whole as they are added */
    out->pass = true;
    if (!in->tls) {
        return;
    }
    probe_client_check_name(in->client, in->host, name, sizeof(name));
    /* The limits of OpenSSL security level 2, the default since Ubuntu 20.04: RSA keys of at
     * least 2048 bits, signatures of at least 112 bits of security (SHA-1 falls short); what
     * the client's own TLS stack accepts beyond them is a warning (apply_stack). */
    struct tls_policy_opts po = {
        .name = name,
        .alt_name = probe_client_alt_name(in->client, in->host),
        .rules = probe_client_name_rules(in->client),
        .check_trust = in->validates,
        .now = in->now,
        .min_rsa_bits = 2048,
        .min_signature_bits = 112,
    };
    enum probe_pin_rule rule = probe_driver_of(in->client)->pin_rule;

    if (in->pin_der == NULL || !probe_client_pins(in->client)) {
        judge_for_stack(in, &po, out);
        return;
    }
    if (rule == PROBE_PIN_WHEN_INVALID) {
        judge_for_stack(in, &po, out);
        if (out->pass) { /* a chain and name the client accepts: the file is not compared */
            note_uncompared_pin(in, po, out);
            return;
        }
    }
    /* from here the file decides alone: a match accepts, a mismatch fails with the driver's
     * pin error, whatever the chain and name checks said */
    po.pin_der = in->pin_der;
    po.pin_len = in->pin_len;
    po.pin_only = true;
    po.pin_keeps_dates = probe_driver_of(in->client)->pin_keeps_dates;
    judge_for_stack(in, &po, out);
}
