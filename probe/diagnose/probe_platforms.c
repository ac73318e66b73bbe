/* probe/diagnose/probe_platforms.c: the one line that says where another client OS would get
 * another verdict ("works from Windows, fails in a Linux container"). The same driver runs on
 * another TLS stack there (probe_platform.h); the facts this probe saw are judged by that
 * stack's limits: the TLS version the server chose, the weakest signature and the smallest RSA
 * key of the chain the client validated, and TLS 1.3 in strict mode. Only what those facts
 * decide is said; everything else is the same verdict on every OS. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <stdio.h>
#include <string.h>

#include "probe/drivers/probe_client.h"
#include "tls/tls_version.h"

/* The OSes in the order the line names them. */
static const enum probe_os oses[] = { PROBE_OS_WINDOWS, PROBE_OS_WINDOWS11, PROBE_OS_LINUX,
                                      PROBE_OS_MACOS };

/* RFC 8446 6.2 (and RFC 5246 7.2): the alert a server sends when it supports no version the
 * ClientHello offers. */
#define ALERT_PROTOCOL_VERSION 70

/* Strict, and the server refused this client's ClientHello with protocol_version: a server
 * that accepts only TLS 1.3 answers so a client that offers none (SQL Server 2022 on Windows
 * Server 2022 with TLS 1.2 disabled; fakesql tlsprotocols = 1.3). */
static bool refused_for_no_tls13(const struct dctx *c)
{
    return c->r->facts.tds8 && c->tls != NULL && c->tls->alert_received &&
           c->tls->alert_description == ALERT_PROTOCOL_VERSION;
}

/* The version the server chose for this client's ClientHello, 0 when none was seen. */
static int chosen_version(const struct dctx *c)
{
    if (c->tls == NULL) {
        return 0;
    }
    return c->tls->server_hello_version != 0 ? c->tls->server_hello_version : c->tls->version;
}

static bool in_range(const struct probe_client *cl, bool strict, int v)
{
    int min, max;

    probe_client_tls_range(cl, strict, &min, &max);
    return v >= min && v <= max;
}

/* The weakest signature (bits) and smallest RSA key (bits) in the judged chain; 0 = none. */
static void chain_limits(const struct dctx *c, int *sig, int *rsa)
{
    *sig = 0;
    *rsa = 0;
    if (c->leaf == NULL || !c->r->facts.validates) {
        return;
    }
    for (size_t i = 0; i < c->tls->chain_len; i++) {
        const struct tls_cert *k = &c->tls->chain[i];
        if (!k->parsed) {
            continue;
        }
        if (!k->self_signed && (*sig == 0 || k->signature_bits < *sig)) {
            *sig = k->signature_bits;
        }
        if (strcmp(k->key_type, "RSA") == 0 && (*rsa == 0 || k->key_bits < *rsa)) {
            *rsa = k->key_bits;
        }
    }
}

/* "accepts" or "refuses", and the code a refusal gives, when the two stacks differ on x. */
static bool differs(bool here, bool there, const char *what, const char *code,
                    struct probe_sb *b)
{
    if (here == there) {
        return false;
    }
    if (there) {
        probe_sb_add(b, "accepts %s, so there is no %s there", what, code);
    } else {
        probe_sb_add(b, "refuses %s: %s there", what, code);
    }
    return true;
}

/* Strict over TLS 1.3 here, and no TLS 1.3 there (Schannel before Windows 11). */
static bool no_tls13_there(const struct dctx *c, const struct probe_client *other, int v,
                           struct probe_sb *b)
{
    if (!c->r->facts.tds8 || v != TLS_V13 || probe_client_offers_tls13(other)) {
        return false;
    }
    probe_sb_add(b, "offers no TLS 1.3, so strict mode needs the server's TLS 1.2 there");
    return true;
}

/* The other way round: refused here for want of TLS 1.3, and TLS 1.3 there (Windows 10's
 * Schannel here, Windows 11's there). */
static bool tls13_there(const struct dctx *c, const struct probe_client *other,
                        struct probe_sb *b)
{
    if (!refused_for_no_tls13(c) || probe_client_offers_tls13(c->cl) ||
        !probe_client_offers_tls13(other)) {
        return false;
    }
    probe_sb_add(b, "offers TLS 1.3, which this strict server needs, so there is no %s there",
                 probe_diag_name(c->diag));
    return true;
}

/* One OS: what its stack decides differently, as one sentence; false when nothing. */
static bool one_os(const struct dctx *c, enum probe_os os, struct probe_sb *b)
{
    const struct probe_tls_stack *here = probe_client_stack(c->cl), *there;
    struct probe_client other = *c->cl;
    bool strict = c->r->facts.tds8;
    int v = chosen_version(c), sig, rsa;
    char what[64];
    size_t mark = b->len;

    other.os = os;
    there = probe_client_stack(&other);
    if (there == here) {
        return false;
    }
    chain_limits(c, &sig, &rsa);
    probe_sb_add(b, "%sOn %s (TLS stack: %s) %s ", mark > 0 ? " " : "", probe_os_title(os),
                 there->name, c->drv->name);
    snprintf(what, sizeof(what), "the server's %s", tls_version_name(v));
    bool said =
        (v != 0 && v < TLS_V13 &&
         differs(in_range(c->cl, strict, v), in_range(&other, strict, v), what,
                 "protocol_mismatch", b)) ||
        (sig > 0 && sig < 112 &&
         differs(sig >= here->min_signature_bits, sig >= there->min_signature_bits,
                 "the chain's SHA-1 signature", "weak_signature", b)) ||
        (rsa > 0 && rsa < 2048 &&
         differs(rsa >= here->min_rsa_bits, rsa >= there->min_rsa_bits,
                 "the chain's short RSA key", "weak_key", b)) ||
        no_tls13_there(c, &other, v, b) || tls13_there(c, &other, b);
    if (!said) {
        b->len = mark;
        b->buf[mark] = '\0';
        return false;
    }
    probe_sb_add(b, " (--client-os %s judges it).", probe_os_name(os));
    return true;
}

bool probe_explain_no_tls13(struct dctx *c)
{
    const struct probe_tls_stack *s = probe_client_stack(c->cl);
    int min, max;

    if (!refused_for_no_tls13(c) || probe_client_offers_tls13(c->cl)) {
        return false;
    }
    probe_client_tls_range(c->cl, true, &min, &max);
    probe_sb_add(&c->cause, " The client offers no TLS 1.3: ");
    if (s->tls_max < TLS_V13) {
        probe_sb_add(&c->cause, "its TLS stack on %s, %s, has none.",
                     probe_os_title(c->cl->os), s->name);
    } else {
        probe_sb_add(&c->cause, "its TLS range is set to end at %s.", tls_version_name(max));
    }
    probe_sb_add(&c->cause, " A strict server that accepts only TLS 1.3 answers such a "
                            "ClientHello with this alert.");
    probe_sb_add(&c->fix, "Keep TLS 1.2 enabled on the server for strict connections next to "
                          "TLS 1.3 (SQL Server 2022 needs it for its own satellite services "
                          "too), or run the client where its TLS stack has TLS 1.3: Schannel "
                          "from Windows 11 / Server 2022, OpenSSL 3, Go, Node.js or JDK 11+ "
                          "(in this probe: --client-os windows11 or linux, --tls-max).\n");
    return true;
}

void probe_other_platforms(struct dctx *c)
{
    struct probe_sb b;
    enum probe_os self = probe_client_os(c->cl);

    probe_sb_init(&b, c->r->other_platforms, sizeof(c->r->other_platforms));
    for (size_t i = 0; i < sizeof(oses) / sizeof(oses[0]); i++) {
        if (oses[i] != self) {
            (void)one_os(c, oses[i], &b);
        }
    }
}
