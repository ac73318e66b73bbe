/* probe/diagnose/probe_diagnose_int.h: private to probe/diagnose/: the diagnosis context one
 * probe_diagnose() call works on, and the pieces its files share:
 *   probe_diagnose.c       the decision in connection order, and the causes
 *   probe_diagnose_cert.c  the certificate verdict (which policy finding stops the client)
 *   probe_diagnose_local.c what stopped the probe itself: this machine's limits, its TLS library
 *   probe_remedy.c         the fixes for connection, negotiation and TLS failures (and the
 *                          audit's enforce-TLS-1.2 text, probe_audit_verdict.h)
 *   probe_remedy_cert.c    the certificate fixes (openssl recipe, mssql-conf, trust stores)
 *   probe_template.c       the client's words: picking the text and filling its {placeholders}
 *   probe_findings.c       findings[]: everything noticed, the diagnosis first
 *   probe_audit_verdict.c  what the TLS policy audit means, and the findings it adds
 *   probe_platforms.c      where another client OS's TLS stack would decide otherwise
 * Causes and fixes go to separate buffers; the branch that decides a cause calls the fix. */
#ifndef PROBE_PROBE_DIAGNOSE_INT_H
#define PROBE_PROBE_DIAGNOSE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/diagnose/probe_strbuf.h"
#include "probe/drivers/probe_driver.h"
#include "probe/model/probe.h"
#include "tls/tls_info.h"

struct dctx {
    struct probe_result *r;
    const struct probe_client *cl;
    const struct probe_driver *drv;         /* the client's driver row */
    const struct probe_driver_keywords *kw; /* = drv->kw: what a fix tells its users to write */
    const char *host;                       /* as the user wrote it */
    char name[256];                         /* the name the client checks in the certificate */
    const struct tls_info *tls;
    const struct tls_cert *leaf; /* NULL when no certificate was received */
    enum probe_diag diag;
    bool from_verdict; /* the diagnosis is a policy finding (already in findings) */
    struct probe_sb cause;
    struct probe_sb fix;
};

/* ---- probe_diagnose.c: facts every file reads ---- */

/* The client's TLS range (TLS 1.2 where the profile gives none). */
int probe_dctx_tls_lo(const struct dctx *c);
int probe_dctx_tls_hi(const struct dctx *c);
/* "only TLSv1.2" or "TLSv1.0 to TLSv1.2" */
const char *probe_dctx_range_text(const struct dctx *c, char *buf, size_t cap);
/* The handshake got as far as the client needs (DONE, or the certificate in certificate mode),
 * with no alert, close or error. c->tls must be set. */
bool probe_dctx_handshake_completed(const struct dctx *c);
/* The PRELOGIN ENCRYPTION reply is one MS-TDS 2.2.6.5 defines (0..3, the 0x80 flag aside). */
bool probe_dctx_reply_known(uint8_t reply);
/* "not_supported", or "0x05 (a value MS-TDS 2.2.6.5 does not define)" */
const char *probe_dctx_reply_text(uint8_t reply, char *buf, size_t cap);
/* The server answered the ClientHello, then went silent. */
bool probe_dctx_mid_handshake(const struct dctx *c);

/* ---- probe_platforms.c ---- */

/* r->other_platforms: one line on what another client OS's TLS stack decides differently on
 * the facts seen (the server's TLS version, a SHA-1 signature, a short RSA key, TLS 1.3 in
 * strict mode); "" when every OS gets this verdict. */
void probe_other_platforms(struct dctx *c);

/* Strict, refused with a protocol_version alert, and the client offers no TLS 1.3 (its stack
 * has none, or its range ends below): says so in the cause, gives the fix, returns true. */
bool probe_explain_no_tls13(struct dctx *c);

/* ---- probe_diagnose_cert.c ---- */

/* A validating client that received a certificate stops at the first error the policy found:
 * sets the diagnosis, cause and fix and returns true; false when nothing there stops it. */
bool probe_decide_chain(struct dctx *c);

/* ---- probe_diagnose_local.c ---- */

/* A network error of this machine, not the server's (descriptors, memory, local address, no
 * route): local_limit or no_route with its cause and fix; false for any other error. */
bool probe_decide_local(struct dctx *c);
/* The server's handshake message came whole but split across records, and mbedTLS could not
 * take it (tls_info.split_len, split_whole): tls_library_limit, saying what the client makes of
 * the chain; false when no message was split. Called after probe_decide_chain (a certificate
 * error the client stops at comes first). */
bool probe_decide_split_message(struct dctx *c);
/* "This probe's TLS library ... could not finish the handshake ..." (a finding repeats it when
 * a certificate verdict came first). */
void probe_split_message_text(const struct dctx *c, struct probe_sb *b);

/* ---- probe_remedy.c ---- */

/* Only names made of these characters are pasted into commands and connection strings. */
bool probe_remedy_safe_name(const char *s);

void probe_remedy_dns(struct dctx *c);
void probe_remedy_instance(struct dctx *c);
void probe_remedy_refused(struct dctx *c, unsigned port);
void probe_remedy_timeout(struct dctx *c);
void probe_remedy_not_tds(struct dctx *c);
/* local: the probe itself could not go on (a local limit), not the server's reply */
void probe_remedy_protocol_error(struct dctx *c, bool local);
void probe_remedy_tls_error(struct dctx *c);
void probe_remedy_closed_before_reply(struct dctx *c);
void probe_remedy_closed_after_reply(struct dctx *c);
/* The handshake failed with no follow-up to say why: the usual causes in turn. */
void probe_remedy_closed_unranked(struct dctx *c);
/* The server accepts version v, outside the client's range: who has to move. */
/* A TLS 1.3-only server with no key exchange group or suite in common with the client. */
void probe_remedy_tls13_groups(struct dctx *c);
void probe_remedy_version_gap(struct dctx *c, int v);
/* The server accepts none of the client's suites; it chose `cipher` when offered all. */
void probe_remedy_ciphers(struct dctx *c, const char *cipher);
/* The server's own OpenSSL refuses its certificate (security level 2). */
void probe_remedy_seclevel(struct dctx *c);
/* ENCRYPTION: the client will not encrypt and the server insists (required), or the other way
 * round. */
void probe_remedy_encryption(struct dctx *c, bool required);
/* The client sent ON, heard a refusal and sent its login in cleartext anyway. */
void probe_remedy_cleartext_login(struct dctx *c);
void probe_remedy_tds8(struct dctx *c);
void probe_remedy_leftover(struct dctx *c);
/* What an OK connection leaves open. */
enum probe_ok_gap { PROBE_OK_CLEARTEXT, PROBE_OK_LOGIN_ONLY, PROBE_OK_UNVALIDATED };
void probe_remedy_ok(struct dctx *c, enum probe_ok_gap gap);

/* ---- probe_remedy_cert.c ---- */

/* The certificate recipe for the name the client checks (extra: more openssl -addext
 * options), then mssql-conf. */
void probe_remedy_reissue(struct dctx *c, const char *extra);
/* The fix for the certificate verdict c->diag; idx is the certificate at fault (-1: none). */
void probe_remedy_cert(struct dctx *c, int idx);

/* ---- probe_template.c ---- */

/* The client's own words for c->diag, placeholders filled, into out[cap]. */
void probe_template_message(const struct dctx *c, char *out, size_t cap);

/* ---- probe_findings.c ---- */

/* Fills r->findings: the diagnosis (unless it is a policy finding), the policy's findings, the
 * probe's own, and the TLS policy audit's. */
void probe_findings_collect(struct dctx *c);

#endif
