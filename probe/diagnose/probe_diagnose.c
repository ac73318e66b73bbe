/* probe/diagnose/probe_diagnose.c: raw facts -> the verdict a client would reach, in its own
 * words.
 *
 * The decision runs in the order a connection does (resolve, browser, connect, PRELOGIN,
 * encryption negotiation, TLS, certificate), so the first thing that stops the client is the
 * diagnosis. Every branch writes the cause with the concrete values seen and calls the fix for
 * it (probe_remedy.c, probe_remedy_cert.c); the client's words and findings[] follow
 * (probe_template.c, probe_findings.c). probe_diagnose_int.h lists the files. */
#include "probe/diagnose/probe_diagnose.h"

#include <stdio.h>
#include <string.h>

#include "probe/diagnose/probe_diagnose_int.h"
#include "probe/drivers/probe_client.h"
#include "tds/tds_ssrp.h"
#include "tls/tls13_probe.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

/* A result without a target (hand-built) is judged as the default driver on TLS 1.2. */
static const struct probe_client default_client = {
    .driver = PROBE_DRIVER_DEFAULT, .encrypt = PROBE_ENCRYPT_MANDATORY, .tls_min = TLS_V12,
    .tls_max = TLS_V12, .tls_named = PROBE_TLS_NAMED_MIN | PROBE_TLS_NAMED_MAX};

/* ---- facts every file reads ---- */

int probe_dctx_tls_lo(const struct dctx *c)
{
    int min, max;

    probe_client_tls_range(c->cl, c->r->facts.tds8, &min, &max);
    return min;
}

int probe_dctx_tls_hi(const struct dctx *c)
{
    int min, max;

    probe_client_tls_range(c->cl, c->r->facts.tds8, &min, &max);
    return max;
}

const char *probe_dctx_range_text(const struct dctx *c, char *buf, size_t cap)
{
    if (probe_dctx_tls_lo(c) == probe_dctx_tls_hi(c)) {
        snprintf(buf, cap, "only %s", tls_version_name(probe_dctx_tls_lo(c)));
    } else {
        snprintf(buf, cap, "%s to %s", tls_version_name(probe_dctx_tls_lo(c)),
                 tls_version_name(probe_dctx_tls_hi(c)));
    }
    return buf;
}

bool probe_dctx_reply_known(uint8_t reply)
{
    return (reply & (uint8_t)~TDS_ENC_CLIENT_CERT) <= TDS_ENC_REQ;
}

const char *probe_dctx_reply_text(uint8_t reply, char *buf, size_t cap)
{
    if (probe_dctx_reply_known(reply)) {
        snprintf(buf, cap, "%s", tds_enc_name(reply));
    } else {
        snprintf(buf, cap, "0x%02X (a value MS-TDS 2.2.6.5 does not define)", (unsigned)reply);
    }
    return buf;
}

bool probe_dctx_handshake_completed(const struct dctx *c)
{
    const struct tls_info *t = c->tls;

    if (t->alert_received || t->peer_closed || t->peer_reset || t->local_reject ||
        t->error != 0) {
        return false;
    }
    if (t->stage == TLS_STAGE_DONE) {
        return true;
    }
    return c->cl->handshake == TLS_HANDSHAKE_CERTIFICATE &&
           t->stage >= TLS_STAGE_SERVER_HELLO_DONE;
}

bool probe_dctx_mid_handshake(const struct dctx *c)
{
    return c->tls != NULL && c->tls->stage >= TLS_STAGE_SERVER_HELLO;
}

static bool is_closed_err(const struct probe_net_error *n)
{
    return n->kind == PROBE_NET_RESET || n->kind == PROBE_NET_CLOSED;
}

static bool is_timeout(const struct probe_result *r)
{
    return r->facts.timed_out || r->facts.net.kind == PROBE_NET_TIMEDOUT;
}

static bool closed_facts(const struct probe_result *r)
{
    return r->facts.server_closed_after_prelogin || r->facts.server_reset ||
           is_closed_err(&r->facts.net);
}

static const char *net_text(const struct probe_net_error *n)
{
    return n->text != NULL ? n->text : "no error";
}

static const char *net_name(const struct probe_net_error *n)
{
    return n->name != NULL ? n->name : "no error";
}

/* ---- causes per diagnosis ---- */

/* The UDP port the Browser was asked on (--browser-port, else 1434). */
static unsigned browser_port(const struct probe_result *r)
{
    return r->facts.browser_port != 0 ? r->facts.browser_port : TDS_SSRP_PORT;
}

static void diag_dns(struct dctx *c)
{
    char h[256];

    probe_text_clean(h, sizeof(h), c->host);
    c->diag = PROBE_DIAG_DNS_FAILURE;
    probe_sb_add(&c->cause, "Resolving '%s' failed: %s (%s).",
                            h, net_text(&c->r->facts.net),
                            c->r->facts.net.name != NULL ? c->r->facts.net.name : "no address");
    probe_remedy_dns(c);
}

static void diag_instance(struct dctx *c)
{
    const struct probe_result *r = c->r;
    const char *inst = c->r->target != NULL ? c->r->target->instance : "";
    char h[256], in[40];

    probe_text_clean(h, sizeof(h), c->host);
    probe_text_clean(in, sizeof(in), inst);
    c->diag = PROBE_DIAG_INSTANCE_NOT_FOUND;
    if (is_timeout(r)) {
        probe_sb_add(&c->cause, "SQL Server Browser (UDP %u on %s) did not answer the query for "
                                "instance '%s' within the timeout.", browser_port(r), h, in);
    } else if (r->facts.tds_err.code != TDS_ERR_OK) {
        char d[200];
        probe_text_clean(d, sizeof(d), r->facts.tds_err.detail);
        probe_sb_add(&c->cause, "The SQL Server Browser reply for instance '%s' was malformed: "
                                "%s.", in, d);
    } else if (r->facts.net.kind != PROBE_NET_NONE) {
        probe_sb_add(&c->cause, "Querying SQL Server Browser (UDP %u on %s) failed: %s.",
                                browser_port(r), h, net_text(&r->facts.net));
    } else {
        probe_sb_add(&c->cause, "SQL Server Browser on %s does not list an instance named '%s' "
                                "(or lists it without a TCP port).", h, in);
    }
    probe_remedy_instance(c);
}

static void diag_refused(struct dctx *c)
{
    const struct probe_result *r = c->r;
    char addr[64];
    uint16_t port = probe_result_port(r);

    probe_text_clean(addr, sizeof(addr), r->facts.address[0] != '\0' ? r->facts.address : c->host);
    c->diag = PROBE_DIAG_CONNECTION_REFUSED;
    if (r->facts.net.kind == PROBE_NET_REFUSED) {
        probe_sb_add(&c->cause, "Nothing accepted a TCP connection on %s port %u: the host "
                                "answered with a reset (connection refused).",
                                addr, (unsigned)port);
    } else {
        probe_sb_add(&c->cause, "The TCP connection to %s port %u failed: %s (%s).",
                                addr, (unsigned)port, net_text(&r->facts.net),
                                net_name(&r->facts.net));
    }
    probe_remedy_refused(c, port);
}

/* "only 10 bytes of it (its TDS header announces 26)" */
static void partial_reply_text(struct dctx *c)
{
    const struct probe_result *r = c->r;

    probe_sb_add(&c->cause, "only %zu bytes of it", r->facts.prelogin_have);
    if (r->facts.prelogin_want > 0) {
        probe_sb_add(&c->cause, " (its TDS header announces %zu)", r->facts.prelogin_want);
    } else {
        probe_sb_add(&c->cause, " (not even the 8-byte TDS header)");
    }
}

/* What a server sent instead of its handshake messages (probe_conn_tds7.c counts them). */
static void noise_text(struct dctx *c)
{
    const struct probe_result *r = c->r;
    unsigned alerts = r->facts.noise_alerts, empty = r->facts.noise_packets - alerts;

    probe_sb_add(&c->cause, "The server answered the ClientHello with %u TDS packets that carry "
                            "nothing for the handshake (%u empty 0x12 packets, %u TLS warning "
                            "alerts", r->facts.noise_packets, empty, alerts);
    if (alerts > 0) {
        probe_sb_add(&c->cause, ", the last one %s (%u)", tls_alert_name(r->facts.noise_alert),
                                (unsigned)r->facts.noise_alert);
    }
    probe_sb_add(&c->cause, ") and no ServerHello.");
    if (r->facts.noise_stopped) {
        probe_sb_add(&c->cause, " The probe stopped reading after %u of them; a client keeps "
                                "reading until its own timeout.", PROBE_NOISE_MAX);
    }
}

static void diag_noise(struct dctx *c)
{
    c->diag = PROBE_DIAG_PROTOCOL_ERROR;
    noise_text(c);
    probe_sb_add(&c->cause, " This is not SQL Server's TLS: something on the path, or a "
                            "broken TDS endpoint, answers in its place.");
    probe_remedy_protocol_error(c, false);
}

static void cause_timeout_phase(struct dctx *c)
{
    const struct probe_result *r = c->r;

    switch (r->facts.phase) {
    case PROBE_PHASE_RESOLVE:
        probe_sb_add(&c->cause, "No DNS answer arrived in time.");
        break;
    case PROBE_PHASE_BROWSER:
        probe_sb_add(&c->cause, "SQL Server Browser (UDP %u) did not answer in time.",
                                browser_port(r));
        break;
    case PROBE_PHASE_CONNECT:
        probe_sb_add(&c->cause, "The TCP connection was never answered: a firewall drops the "
                                "packets, the address is wrong, or the host is down.");
        break;
    case PROBE_PHASE_PRELOGIN:
        if (r->facts.prelogin_have > 0) {
            probe_sb_add(&c->cause, "The server began a PRELOGIN reply and stopped: ");
            partial_reply_text(c);
            probe_sb_add(&c->cause, " came, then nothing more.");
            break;
        }
        probe_sb_add(&c->cause, "The TCP connection opened but no PRELOGIN reply came back: the "
                                "port is not SQL Server's, or the server is too busy to answer.");
        break;
    case PROBE_PHASE_HANDSHAKE:
        if (r->facts.noise_packets > 0) {
            noise_text(c);
        } else if (probe_dctx_mid_handshake(c)) {
            probe_sb_add(&c->cause, "The server stopped answering in the middle of the TLS "
                                    "handshake (last step: %s).", tls_stage_name(c->tls->stage));
        } else if (r->facts.tds8) {
            probe_sb_add(&c->cause, "The TLS ClientHello was sent first (TDS 8.0) and never "
                                    "answered: a server without TDS 8.0 support reads it as the "
                                    "start of a TDS packet and keeps waiting for the rest.");
        } else {
            probe_sb_add(&c->cause, "The TLS ClientHello was never answered: old servers (SQL "
                                    "Server 2008 R2 without the TLS 1.2 update) leave a TLS 1.2 "
                                    "ClientHello unanswered.");
        }
        break;
    default:
        break;
    }
}

static void diag_timeout(struct dctx *c)
{
    char addr[64];

    probe_text_clean(addr, sizeof(addr),
                     c->r->facts.address[0] != '\0' ? c->r->facts.address : c->host);
    c->diag = PROBE_DIAG_TIMEOUT;
    probe_sb_add(&c->cause, "The %s phase ran out of time (%s). ",
                            probe_phase_name(c->r->facts.phase), addr);
    cause_timeout_phase(c);
    probe_remedy_timeout(c);
}

static void diag_not_tds(struct dctx *c)
{
    char d[200];

    c->diag = PROBE_DIAG_NOT_TDS;
    probe_text_clean(d, sizeof(d), c->r->facts.tds_err.detail);
    probe_sb_add(&c->cause, "The reply to %s: the service on this port is not SQL Server%s%s.",
                            c->r->facts.tds8 ? "the TLS ClientHello (TDS 8.0 strict) is neither "
                                               "TLS nor TDS"
                                             : "PRELOGIN is not TDS",
                            d[0] != '\0' ? ": " : "", d);
    probe_remedy_not_tds(c);
}

static void diag_protocol_error(struct dctx *c)
{
    const struct tds_error *e = &c->r->facts.tds_err;
    char d[200], opt[40] = "";

    c->diag = PROBE_DIAG_PROTOCOL_ERROR;
    probe_text_clean(d, sizeof(d), e->detail[0] != '\0' ? e->detail : tds_err_text(e->code));
    if (e->option >= 0) {
        snprintf(opt, sizeof(opt), " (option %s)", tds_pl_token_name((uint8_t)e->option));
    }
    if (e->code == TDS_ERR_NO_SPACE) {
        /* not the server's fault: the probe could not go on (a local limit or resource) */
        probe_sb_add(&c->cause, "The probe could not continue after the PRELOGIN reply: %s.", d);
        probe_remedy_protocol_error(c, true);
        return;
    }
    if (c->r->facts.got_prelogin) {
        probe_sb_add(&c->cause, "A TDS packet carrying the TLS handshake is malformed at byte "
                                "offset %zu: %s.", e->offset, d);
    } else {
        probe_sb_add(&c->cause, "The PRELOGIN reply is malformed at byte offset %zu%s: %s.",
                                e->offset, opt, d);
    }
    probe_remedy_protocol_error(c, false);
}

static void diag_tls_error(struct dctx *c)
{
    const struct tls_info *t = c->tls;
    char d[170];

    c->diag = PROBE_DIAG_PROTOCOL_ERROR;
    probe_text_clean(d, sizeof(d), t->error_text[0] != '\0' ? t->error_text : "no detail");
    probe_sb_add(&c->cause, "The TLS handshake failed at stage %s: %s (mbedTLS -0x%04X).",
                            tls_stage_name(t->stage), d,
                            (unsigned)(t->error < 0 ? -t->error : t->error));
    if (c->r->facts.noise_alerts > 0) {
        probe_sb_add(&c->cause, " What the server sent: a TLS warning alert, %s (%u), where a "
                                "handshake message belongs.",
                                tls_alert_name(c->r->facts.noise_alert),
                                (unsigned)c->r->facts.noise_alert);
    }
    probe_remedy_tls_error(c);
}

/* ---- forcibly closed: the server hung up; rank the causes by the follow-up handshake ---- */

enum close_when { CLOSED_BEFORE_REPLY, CLOSED_AFTER_REPLY, CLOSED_IN_HANDSHAKE };

static const char *close_kind(const struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (c->tls != NULL && c->tls->alert_received) {
        return "sent a fatal TLS alert and closed the connection";
    }
    if (r->facts.server_reset || r->facts.net.kind == PROBE_NET_RESET ||
        (c->tls != NULL && c->tls->peer_reset)) {
        return "reset the connection (TCP RST)";
    }
    return "closed the connection (TCP FIN)";
}

static void rank_followup_ok(struct dctx *c)
{
    const struct probe_result *r = c->r;
    char cipher[64], range[48];

    probe_text_clean(cipher, sizeof(cipher), r->facts.followup_cipher);
    probe_sb_add(&c->cause, " A follow-up handshake offering TLS 1.0 to 1.2 and every cipher "
                            "suite succeeded with %s / %s, so the server works and the client's "
                            "offer is the problem:",
                            tls_version_name(r->facts.followup_version), cipher);
    if (r->facts.followup_version < probe_dctx_tls_lo(c) ||
        r->facts.followup_version > probe_dctx_tls_hi(c)) {
        probe_sb_add(&c->cause, " the server accepts %s; the client offers %s.",
                                tls_version_name(r->facts.followup_version),
                                probe_dctx_range_text(c, range, sizeof(range)));
        probe_remedy_version_gap(c, r->facts.followup_version);
        return;
    }
    probe_sb_add(&c->cause, " the version is in the client's range, so the server accepts none of "
                            "the cipher suites the client offers (it chose %s when offered all).",
                            cipher);
    probe_remedy_ciphers(c, cipher);
}

static void rank_closed_in_handshake(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (r->facts.followup_ran && r->facts.followup_ok) {
        rank_followup_ok(c);
    } else if (r->facts.followup_ran) {
        probe_sb_add(&c->cause, " A follow-up handshake offering TLS 1.0 to 1.2 and every cipher "
                                "suite failed too: the server cannot complete any handshake. Most "
                                "likely its own OpenSSL refuses its certificate: at security "
                                "level 2 (Ubuntu 20.04 and later) a certificate signed with SHA-1 "
                                "or MD5 (under 112 bits of security) or with an RSA key under "
                                "2048 bits cannot be used.");
        probe_remedy_seclevel(c);
    } else {
        probe_sb_add(&c->cause, " Usual causes, most likely first: the server requires a TLS "
                                "version the client does not offer (for example TLS 1.2 only), no "
                                "cipher suite in common, or the server's OpenSSL refuses its own "
                                "SHA-1/MD5 certificate (security level 2, Ubuntu 20.04 and "
                                "later).");
        probe_remedy_closed_unranked(c);
    }
}

/* Strict: the TLS 1.3 ClientHello got an alert other than protocol_version (RFC 8446 6.2: the
 * answer of a server without TLS 1.3) and the TLS 1.2 retry got protocol_version: a TLS 1.3-only
 * server that found no key exchange group, suite or signature scheme in common (an OpenSSL
 * server answers a ClientHello without any of its groups with handshake_failure). */
static bool tls13_only_no_common(const struct dctx *c)
{
    const struct probe_facts *f = &c->r->facts;

    return f->tds8 && f->tls13_refused &&
           f->tls13_refused_alert != TLS_ALERT_PROTOCOL_VERSION &&
           c->tls != NULL && c->tls->alert_received &&
           c->tls->alert_description == TLS_ALERT_PROTOCOL_VERSION;
}

static void rank_tls13_refused(struct dctx *c)
{
    char offer[192];

    probe_sb_add(&c->cause, " The server speaks TLS 1.3 only: it refused the TLS 1.2 ClientHello "
                            "with protocol_version, and the TLS 1.3 ClientHello (%s) with alert "
                            "%s (%u): it has no key exchange group, TLS 1.3 suite or signature "
                            "scheme in common with the client. A server restricted to groups "
                            "such as X448 or the ffdhe ones does this. Schannel offers the same "
                            "three groups (Go adds secp521r1), but a client on OpenSSL 3 "
                            "(tedious) also offers X448, secp521r1 and the ffdhe groups and may "
                            "connect.",
                            tls13_probe_offer_text(offer, sizeof(offer), true),
                            tls_alert_name(c->r->facts.tls13_refused_alert),
                            (unsigned)c->r->facts.tls13_refused_alert);
    probe_remedy_tls13_groups(c);
}

static void diag_closed(struct dctx *c, enum close_when when)
{
    const struct probe_result *r = c->r;
    char range[48];

    c->diag = PROBE_DIAG_FORCIBLY_CLOSED;
    if (when == CLOSED_BEFORE_REPLY && r->facts.prelogin_have > 0) {
        probe_sb_add(&c->cause, "The server began its PRELOGIN reply, sent ");
        partial_reply_text(c);
        probe_sb_add(&c->cause, ", and %s: the reply is cut short.", close_kind(c));
        probe_remedy_closed_before_reply(c);
        return;
    }
    if (when == CLOSED_BEFORE_REPLY) {
        probe_sb_add(&c->cause, "The server %s after receiving PRELOGIN, without answering it. A "
                                "SQL Server that accepts only strict (TDS 8.0) connections does "
                                "this (its ERRORLOG shows error 17819); so does a firewall or "
                                "intrusion filter that cuts TDS.", close_kind(c));
        probe_remedy_closed_before_reply(c);
        return;
    }
    if (when == CLOSED_AFTER_REPLY) {
        probe_sb_add(&c->cause, "The server answered PRELOGIN (ENCRYPTION=%s) and then %s before "
                                "the TLS handshake.",
                                tds_enc_name(r->facts.prelogin.encryption), close_kind(c));
        probe_remedy_closed_after_reply(c);
        return;
    }
    probe_sb_add(&c->cause, "After the client's ClientHello (offering %s), the server %s",
                            probe_dctx_range_text(c, range, sizeof(range)), close_kind(c));
    if (c->tls != NULL && c->tls->alert_received) {
        probe_sb_add(&c->cause, " (alert %s, %u)",
                                tls_alert_name(c->tls->alert_description),
                                (unsigned)c->tls->alert_description);
    }
    probe_sb_add(&c->cause, " at TLS stage: %s.",
                            c->tls != NULL ? tls_stage_name(c->tls->stage) : "ClientHello sent");
    if (r->facts.tds8 && c->tls != NULL && c->tls->alert_received) {
        probe_sb_add(&c->cause, " The alert is TLS, so the server speaks TLS first (TDS 8.0): it "
                                "is not a server without TDS 8.0, it refused this ClientHello.");
    }
    if (tls13_only_no_common(c)) {
        rank_tls13_refused(c);
        return;
    }
    if (!probe_explain_no_tls13(c)) {
        rank_closed_in_handshake(c);
    }
}

/* ---- TLS version refused by the client ---- */

static void diag_version(struct dctx *c)
{
    int v = c->tls->server_hello_version;
    char range[48];

    c->diag = PROBE_DIAG_PROTOCOL_MISMATCH;
    probe_sb_add(&c->cause, "The server chose %s in its ServerHello, but the client accepts %s, "
                            "so the client refused it. The client's TLS stack on %s is %s.",
                            tls_version_name(v), probe_dctx_range_text(c, range, sizeof(range)),
                            probe_os_title(c->cl->os), probe_client_stack(c->cl)->name);
    probe_remedy_version_gap(c, v);
}

/* ---- encryption negotiation ---- */

static void diag_encryption(struct dctx *c)
{
    const struct probe_result *r = c->r;
    uint8_t sent = r->facts.sent_encryption, reply = r->facts.prelogin.encryption;

    if ((sent & TDS_ENC_MASK) == TDS_ENC_NOT_SUP) {
        c->diag = PROBE_DIAG_ENCRYPTION_REQUIRED;
        probe_sb_add(&c->cause, "The client sent ENCRYPTION=%s (it cannot or will not encrypt) "
                                "and the server answered %s: it forces encryption "
                                "(network.forceencryption = 1, or Force Encryption on Windows).",
                                tds_enc_name(sent), tds_enc_name(reply));
        probe_remedy_encryption(c, true);
        return;
    }
    c->diag = PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED;
    if (!probe_dctx_reply_known(reply)) {
        char shown[64];
        probe_dctx_reply_text(reply, shown, sizeof(shown));
        probe_sb_add(&c->cause, "The client sent ENCRYPTION=%s and the server answered %s: "
                                "this driver rejects the reply and gives up (mssql-jdbc: \"The "
                                "TDS protocol stream is not valid.\"). The server, or something "
                                "on the path, does not speak TDS as MS-TDS defines it.",
                                tds_enc_name(sent), shown);
        probe_remedy_encryption(c, false);
        return;
    }
    probe_sb_add(&c->cause, "The client sent ENCRYPTION=%s (Encrypt=%s needs encryption) and the "
                            "server answered %s: it will not encrypt. A current Microsoft SQL "
                            "Server always has at least its self-generated certificate, so this "
                            "is usually a non-Microsoft TDS server (Babelfish, a proxy) or an "
                            "unusual build.",
                            tds_enc_name(sent), probe_encrypt_name(c->cl->encrypt),
                            tds_enc_name(reply));
    probe_remedy_encryption(c, false);
}

/* ON or REQ: the client wants TLS (MS-TDS 2.2.6.5); OFF and NOT_SUP do not insist on it. */
static bool asked_for_encryption(const struct probe_result *r)
{
    uint8_t sent = r->facts.sent_encryption & TDS_ENC_MASK;

    return !r->facts.tds8 && (sent == TDS_ENC_ON || sent == TDS_ENC_REQ);
}

static void diag_cleartext_login(struct dctx *c)
{
    const struct probe_result *r = c->r;
    char shown[64];

    c->diag = PROBE_DIAG_CLEARTEXT_LOGIN;
    probe_dctx_reply_text(r->facts.prelogin.encryption, shown, sizeof(shown));
    probe_sb_add(&c->cause, "The login is sent in cleartext although encryption was asked for: "
                            "the client sent ENCRYPTION=%s (Encrypt=%s) and the server answered "
                            "%s; this driver does not stop there: it sends LOGIN7, the password "
                            "included, unencrypted. A server that "
                            "follows MS-TDS closes the connection after such an answer, but the "
                            "password has already left; a non-Microsoft TDS endpoint, or anyone on "
                            "the path who rewrote the PRELOGIN reply, reads it.",
                            tds_enc_name(r->facts.sent_encryption),
                            probe_encrypt_name(c->cl->encrypt), shown);
    probe_remedy_cleartext_login(c);
}

static void diag_tds8(struct dctx *c)
{
    const struct probe_result *r = c->r;
    bool closed = closed_facts(r) ||
                  (c->tls != NULL && (c->tls->peer_closed || c->tls->peer_reset));
    bool reset = r->facts.server_reset || (c->tls != NULL && c->tls->peer_reset);
    const char *answer = r->facts.got_prelogin ? "a TDS PRELOGIN reply"
                         : closed && reset ? "a reset (TCP RST)"
                         : closed        ? "a close"
                                         : "bytes that are not TLS";

    c->diag = PROBE_DIAG_TDS8_NOT_SUPPORTED;
    probe_sb_add(&c->cause, "With Encrypt=Strict the client starts with a TLS ClientHello (TDS "
                            "8.0, ALPN tds/8.0); the server answered with %s, so it does not "
                            "speak TDS 8.0. That needs SQL Server 2022 or later (or Azure SQL) "
                            "with a valid certificate configured (otherwise the server logs error "
                            "17821).", answer);
    probe_remedy_tds8(c);
}

/* ---- the decision, in connection order ---- */

static bool decide_network(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (probe_decide_local(c)) {
        /* this machine's limit, whatever the phase: the server never saw the attempt */
    } else if (r->facts.net.kind == PROBE_NET_DNS) {
        diag_dns(c);
    } else if (r->facts.phase == PROBE_PHASE_RESOLVE &&
               (r->facts.net.kind != PROBE_NET_NONE || r->facts.timed_out)) {
        if (is_timeout(r)) {
            diag_timeout(c);
        } else {
            diag_dns(c);
        }
    } else if (r->facts.phase == PROBE_PHASE_BROWSER) {
        diag_instance(c);
    } else if (r->facts.net.kind == PROBE_NET_REFUSED) {
        diag_refused(c);
    } else if (r->facts.phase == PROBE_PHASE_CONNECT && is_timeout(r)) {
        diag_timeout(c);
    } else if (r->facts.phase == PROBE_PHASE_CONNECT && r->facts.net.kind != PROBE_NET_NONE) {
        diag_refused(c);
    } else {
        return false;
    }
    return true;
}

static bool decide_prelogin(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (r->facts.not_tds) {
        diag_not_tds(c);
    } else if (r->facts.tds_err.code != TDS_ERR_OK) {
        diag_protocol_error(c);
    } else if (r->facts.tds8) {
        return false; /* strict: TLS comes first, PRELOGIN only inside it */
    } else if (!r->facts.got_prelogin) {
        if (is_timeout(r) && r->facts.phase <= PROBE_PHASE_PRELOGIN) {
            diag_timeout(c);
        } else if (closed_facts(r) || r->facts.net.kind != PROBE_NET_NONE) {
            diag_closed(c, CLOSED_BEFORE_REPLY);
        } else {
            return false;
        }
    } else if (r->facts.scope == TDS_TLS_TERMINATE) {
        diag_encryption(c);
    } else if (r->facts.scope == TDS_TLS_NONE && asked_for_encryption(r)) {
        diag_cleartext_login(c);
    } else if (r->facts.scope == TDS_TLS_NONE) {
        c->diag = PROBE_DIAG_OK; /* plaintext: it connects (findings say what it costs) */
    } else if (r->facts.tls == NULL && closed_facts(r)) {
        diag_closed(c, CLOSED_AFTER_REPLY);
    } else {
        return false;
    }
    return true;
}

static bool version_refused(const struct dctx *c)
{
    int v = c->tls->server_hello_version;

    return c->tls->local_reject && v != 0 && (v < probe_dctx_tls_lo(c) || v > probe_dctx_tls_hi(c));
}

static bool decide_tls(struct dctx *c)
{
    const struct probe_result *r = c->r;
    const struct tls_info *t = c->tls;

    if (r->facts.tds8 && r->facts.strict_refused) {
        diag_tds8(c);
    } else if (r->facts.noise_stopped) {
        diag_noise(c);
    } else if (t == NULL) {
        if (r->facts.phase != PROBE_PHASE_HANDSHAKE) {
            return false;
        }
        if (is_timeout(r)) {
            diag_timeout(c);
        } else {
            diag_closed(c, CLOSED_IN_HANDSHAKE);
        }
    } else if (probe_decide_chain(c)) {
        /* a validating client stops at the certificate, before anything later fails */
    } else if (t->split_len > 0 && !t->split_whole) {
        /* the server stopped inside a message split across records: the client waits too */
        if (is_timeout(r)) {
            diag_timeout(c);
        } else {
            diag_closed(c, CLOSED_IN_HANDSHAKE);
        }
    } else if (probe_decide_split_message(c)) {
        /* the probe's TLS library stopped where the client's goes on */
    } else if (version_refused(c)) {
        diag_version(c);
    } else if (probe_dctx_handshake_completed(c)) {
        c->diag = PROBE_DIAG_OK;
    } else if (t->local_reject) {
        diag_tls_error(c);
    } else if (t->alert_received || t->peer_closed || t->peer_reset || closed_facts(r)) {
        diag_closed(c, CLOSED_IN_HANDSHAKE);
    } else if (is_timeout(r)) {
        diag_timeout(c);
    } else {
        diag_tls_error(c);
    }
    return true;
}

static void decide_leftover(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (is_timeout(r)) {
        diag_timeout(c);
    } else if (closed_facts(r)) {
        diag_closed(c, r->facts.got_prelogin ? CLOSED_AFTER_REPLY : CLOSED_BEFORE_REPLY);
    } else if (r->facts.phase == PROBE_PHASE_DONE && r->facts.net.kind == PROBE_NET_NONE) {
        c->diag = PROBE_DIAG_OK;
    } else {
        c->diag = PROBE_DIAG_PROTOCOL_ERROR;
        probe_sb_add(&c->cause, "The probe stopped in the %s phase without a verdict (%s).",
                                probe_phase_name(r->facts.phase), net_text(&r->facts.net));
        probe_remedy_leftover(c);
    }
}

static void decide(struct dctx *c)
{
    if (decide_network(c) || decide_prelogin(c) || decide_tls(c)) {
        return;
    }
    decide_leftover(c);
}

/* ---- the OK verdict: say what the client does, and what it costs ---- */

static void explain_ok(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (r->facts.scope == TDS_TLS_NONE && !r->facts.tds8) {
        probe_sb_add(&c->cause, "The client sent ENCRYPTION=%s and the server answered %s: the "
                                "connection runs without TLS.",
                                tds_enc_name(r->facts.sent_encryption),
                                tds_enc_name(r->facts.prelogin.encryption));
        probe_remedy_ok(c, PROBE_OK_CLEARTEXT);
        return;
    }
    if (c->tls != NULL && c->tls->version != 0) {
        char cipher[64];
        probe_text_clean(cipher, sizeof(cipher), c->tls->cipher);
        probe_sb_add(&c->cause, "The handshake completed with %s / %s. ",
                                tls_version_name(c->tls->version), cipher);
    }
    if (r->facts.validates) {
        probe_sb_add(&c->cause, "The client validates the certificate for '%s' and it passes.",
                                c->name);
        return;
    }
    if (r->facts.scope == TDS_TLS_LOGIN_ONLY) {
        probe_sb_add(&c->cause, "The client does not validate the certificate, and only the login "
                                "is encrypted.");
        probe_remedy_ok(c, PROBE_OK_LOGIN_ONLY);
    } else {
        probe_sb_add(&c->cause, "The client does not validate the certificate.");
        probe_remedy_ok(c, PROBE_OK_UNVALIDATED);
    }
}

/* ---- entry point ---- */

static void init_ctx(struct dctx *c, struct probe_result *r)
{
    memset(c, 0, sizeof(*c));
    c->r = r;
    c->cl = r->target != NULL ? &r->target->client : &default_client;
    c->drv = probe_driver_of(c->cl);
    c->kw = c->drv->kw;
    c->host = r->target != NULL ? r->target->host : "";
    probe_client_check_name(c->cl, c->host, c->name, sizeof(c->name));
    c->tls = r->facts.tls;
    if (c->tls != NULL && c->tls->chain_len > 0 && c->tls->chain != NULL) {
        c->leaf = &c->tls->chain[0];
    }
    c->diag = PROBE_DIAG_OK;
    r->n_findings = 0;
    r->message[0] = '\0';
    probe_sb_init(&c->cause, r->cause, sizeof(r->cause));
    probe_sb_init(&c->fix, r->fix, sizeof(r->fix));
}

static enum probe_status status_of(enum probe_diag d)
{
    switch (probe_diag_class(d)) {
    case PROBE_CLASS_OK:
        return PROBE_STATUS_OK;
    case PROBE_CLASS_FAIL:
        return PROBE_STATUS_FAIL;
    default:
        return PROBE_STATUS_ERROR;
    }
}

void probe_diagnose(struct probe_result *r)
{
    struct dctx c;

    init_ctx(&c, r);
    decide(&c);
    if (c.diag == PROBE_DIAG_OK) {
        explain_ok(&c);
    }
    r->diag = c.diag;
    r->status = status_of(c.diag);
    probe_other_platforms(&c);
    probe_template_message(&c, r->message, sizeof(r->message));
    probe_findings_collect(&c);
}
