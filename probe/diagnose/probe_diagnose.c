/* probe/diagnose/probe_diagnose.c: raw facts -> the verdict a client would reach, in its own words.
 *
 * The decision runs in the order a connection does (resolve, browser, connect, PRELOGIN,
 * encryption negotiation, TLS, certificate), so the first thing that stops the client is the
 * diagnosis. Every branch writes the cause with the concrete values seen and the smallest fix;
 * findings[] then collects everything else noticed on the way.
 *
 * Texts that end up in shell commands only ever take names that pass safe_name(): certificate
 * names come from the server, and a fix is something users paste into a root shell.
 */
#include "probe/diagnose/probe_diagnose.h"

#include "probe/drivers/probe_client.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- a bounded string builder (truncates, never overflows) ---- */

struct sb {
    char *buf;
    size_t cap;
    size_t len;
};

static void sb_init(struct sb *b, char *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    buf[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static void sb_add(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->len + 1 >= b->cap) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    b->len += (size_t)n;
    if (b->len >= b->cap) {
        b->len = b->cap - 1;
    }
}

/* ---- the diagnosis context ---- */

struct dctx {
    struct probe_result *r;
    const struct probe_client *cl;
    const struct probe_driver *drv; /* the client's driver row */
    const struct probe_driver_keywords *kw; /* = drv->kw */
    const char *host;          /* as the user wrote it */
    char name[256];            /* the name the client checks in the certificate */
    const struct tls_info *tls;
    const struct tls_cert *leaf; /* NULL when no certificate was received */
    enum probe_diag diag;
    bool from_verdict;         /* the diagnosis is a policy finding (already in findings) */
    struct sb cause;
    struct sb fix;
};

static const struct probe_client default_client = {
    .driver = PROBE_DRIVER_DEFAULT, .encrypt = PROBE_ENCRYPT_MANDATORY, .tls_min = TLS_V12,
    .tls_max = TLS_V12};

static bool is_ip_literal(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Only names made of these characters are pasted into commands and connection strings. */
static bool safe_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 253 || s[0] == '-') {
        return false;
    }
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:*") == n;
}

/* A copy of server-supplied text fit for prose: control characters become '?'. */
static void clean(char *dst, size_t cap, const char *src)
{
    size_t i = 0;

    for (; src[i] != '\0' && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[i] = '\0';
}

static const char *cmd_name(const struct dctx *c)
{
    return safe_name(c->name) ? c->name : "<server-fqdn>";
}

static int tls_lo(const struct dctx *c)
{
    return c->cl->tls_min > 0 ? c->cl->tls_min : TLS_V12;
}

static int tls_hi(const struct dctx *c)
{
    return c->cl->tls_max > 0 ? c->cl->tls_max : TLS_V12;
}

static void set_diag(struct dctx *c, enum probe_diag d)
{
    c->diag = d;
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

/* ---- fix building blocks ---- */

/* The seed's certificate recipe, for the name the client checks, then mssql-conf. */
static void fix_reissue(struct dctx *c, const char *extra)
{
    const char *h = cmd_name(c);
    const char *san = is_ip_literal(h) ? "IP" : "DNS";

    sb_add(&c->fix,
           "  openssl req -x509 -nodes -newkey rsa:2048 -subj '/CN=%s' "
           "-addext 'subjectAltName=%s:%s'%s -keyout mssql.key -out mssql.pem -days 365\n"
           "  sudo chown mssql:mssql mssql.pem mssql.key && sudo chmod 600 mssql.pem mssql.key\n"
           "  sudo mv mssql.pem /etc/ssl/certs/ && sudo mv mssql.key /etc/ssl/private/\n"
           "  sudo /opt/mssql/bin/mssql-conf set network.tlscert /etc/ssl/certs/mssql.pem\n"
           "  sudo /opt/mssql/bin/mssql-conf set network.tlskey /etc/ssl/private/mssql.key\n"
           "  sudo systemctl restart mssql-server\n"
           "This makes a self-signed certificate, which clients must then trust; in production "
           "have your CA issue one with the same names.\n",
           h, san, h, extra);
}

/* The seed's per-OS steps to trust a certificate on the client. */
static void fix_trust_steps(struct dctx *c, const char *file)
{
    sb_add(&c->fix,
           "  Ubuntu/Debian: sudo cp %s /usr/share/ca-certificates/mssql.crt && "
           "sudo dpkg-reconfigure ca-certificates  # select mssql.crt\n"
           "  RHEL:          sudo cp %s /etc/pki/ca-trust/source/anchors/ && "
           "sudo update-ca-trust\n"
           "  SUSE:          sudo cp %s /usr/share/pki/trust/anchors/ && "
           "sudo update-ca-certificates\n"
           "  macOS:         cp %s /usr/local/etc/openssl/certs/ && cd /usr/local/etc/openssl/certs"
           " && mv %s \"$(openssl x509 -hash -in %s -noout).0\"\n"
           "  Windows:       certutil -user -addstore Root %s  # = import it under Current "
           "User > Trusted Root Certification Authorities > Certificates\n",
           file, file, file, file, file, file, file);
    if (c->cl->ca_file[0] != '\0') {
        char ca[256];
        clean(ca, sizeof(ca), c->cl->ca_file);
        sb_add(&c->fix, "  This probe used --ca-file %s as the trust store: add it there too.\n",
               ca);
    }
}

static void fix_last_resort(struct dctx *c)
{
    if (c->cl->encrypt == PROBE_ENCRYPT_STRICT) {
        sb_add(&c->fix, "Strict encryption always validates the certificate: there is no "
                        "keyword that skips the check.\n");
        return;
    }
    sb_add(&c->fix,
           "Last resort: %s disables every certificate check (chain, name, dates); the "
           "connection stays encrypted but anyone on the path can impersonate the server.\n",
           c->kw->trust);
}

/* ---- causes and fixes per diagnosis ---- */

static void fix_server_tls12(struct dctx *c);

static void diag_dns(struct dctx *c)
{
    char h[256];

    clean(h, sizeof(h), c->host);
    set_diag(c, PROBE_DIAG_DNS_FAILURE);
    sb_add(&c->cause, "Resolving '%s' failed: %s (%s).", h, net_text(&c->r->facts.net),
           c->r->facts.net.name != NULL ? c->r->facts.net.name : "no address");
    sb_add(&c->fix,
           "Check the server name in the connection string (spelling, the full DNS name "
           "such as db1.contoso.com), then the client's resolver (/etc/hosts, the DNS servers in "
           "/etc/resolv.conf):\n"
           "  getent hosts %s\n"
           "Or connect by IP address (then the certificate needs that IP in its "
           "subjectAltName, or use %s<name in the certificate>%s).\n",
           safe_name(c->host) ? c->host : "<host>",
           c->kw->hnic_pre != NULL ? c->kw->hnic_pre : "HostNameInCertificate=",
           c->kw->hnic_post != NULL ? c->kw->hnic_post : "");
}

static void diag_instance(struct dctx *c)
{
    const struct probe_result *r = c->r;
    const char *inst = c->r->target != NULL ? c->r->target->instance : "";
    char h[256], in[40];

    clean(h, sizeof(h), c->host);
    clean(in, sizeof(in), inst);
    set_diag(c, PROBE_DIAG_INSTANCE_NOT_FOUND);
    if (is_timeout(r)) {
        sb_add(&c->cause, "SQL Server Browser (UDP 1434 on %s) did not answer the query for "
                          "instance '%s' within the timeout.", h, in);
    } else if (r->facts.tds_err.code != TDS_ERR_OK) {
        char d[200];
        clean(d, sizeof(d), r->facts.tds_err.detail);
        sb_add(&c->cause, "The SQL Server Browser reply for instance '%s' was malformed: %s.",
               in, d);
    } else if (r->facts.net.kind != PROBE_NET_NONE) {
        sb_add(&c->cause, "Querying SQL Server Browser (UDP 1434 on %s) failed: %s.", h,
               net_text(&r->facts.net));
    } else {
        sb_add(&c->cause, "SQL Server Browser on %s does not list an instance named '%s' "
                          "(or lists it without a TCP port).", h, in);
    }
    sb_add(&c->fix,
           "Connect to the instance's port directly (Server=%s,<port>; the port is in the "
           "ERRORLOG line \"Server is listening on\", or network.tcpport in "
           "/var/opt/mssql/mssql.conf). SQL Server on Linux has no Browser service; on "
           "Windows start SQL Server Browser and allow UDP 1434 through the firewall.\n",
           safe_name(c->host) ? c->host : "<host>");
}

static void diag_refused(struct dctx *c)
{
    const struct probe_result *r = c->r;
    char addr[64];
    uint16_t port = probe_result_port(r);

    clean(addr, sizeof(addr), r->facts.address[0] != '\0' ? r->facts.address : c->host);
    set_diag(c, PROBE_DIAG_CONNECTION_REFUSED);
    if (r->facts.net.kind == PROBE_NET_REFUSED) {
        sb_add(&c->cause, "Nothing accepted a TCP connection on %s port %u: the host answered "
                          "with a reset (connection refused).", addr, (unsigned)port);
    } else {
        sb_add(&c->cause, "The TCP connection to %s port %u failed: %s (%s).", addr,
               (unsigned)port, net_text(&r->facts.net), net_name(&r->facts.net));
    }
    sb_add(&c->fix,
           "Check that SQL Server runs and listens on port %u (network.tcpport in "
           "/var/opt/mssql/mssql.conf; the ERRORLOG line \"Server is listening on\"), that the "
           "port in the connection string is right, and that no firewall rejects it:\n"
           "  sudo systemctl status mssql-server\n"
           "  sudo ufw allow %u/tcp  # or: sudo firewall-cmd --add-port=%u/tcp --permanent && "
           "sudo firewall-cmd --reload\n",
           (unsigned)port, (unsigned)port, (unsigned)port);
}

/* The server answered the ClientHello, then went silent. */
static bool mid_handshake(const struct dctx *c)
{
    return c->tls != NULL && c->tls->stage >= TLS_STAGE_SERVER_HELLO;
}

static void cause_timeout_phase(struct dctx *c)
{
    const struct probe_result *r = c->r;

    switch (r->facts.phase) {
    case PROBE_PHASE_RESOLVE:
        sb_add(&c->cause, "No DNS answer arrived in time.");
        break;
    case PROBE_PHASE_BROWSER:
        sb_add(&c->cause, "SQL Server Browser (UDP 1434) did not answer in time.");
        break;
    case PROBE_PHASE_CONNECT:
        sb_add(&c->cause, "The TCP connection was never answered: a firewall drops the "
                          "packets, the address is wrong, or the host is down.");
        break;
    case PROBE_PHASE_PRELOGIN:
        sb_add(&c->cause, "The TCP connection opened but no PRELOGIN reply came back: the "
                          "port is not SQL Server's, or the server is too busy to answer.");
        break;
    case PROBE_PHASE_HANDSHAKE:
        if (mid_handshake(c)) {
            sb_add(&c->cause, "The server stopped answering in the middle of the TLS handshake "
                              "(last step: %s).", tls_stage_name(c->tls->stage));
        } else if (r->facts.tds8) {
            sb_add(&c->cause, "The TLS ClientHello was sent first (TDS 8.0) and never "
                              "answered: a server without TDS 8.0 support reads it as the "
                              "start of a TDS packet and keeps waiting for the rest.");
        } else {
            sb_add(&c->cause, "The TLS ClientHello was never answered: old servers (SQL Server "
                              "2008 R2 without the TLS 1.2 update) leave a TLS 1.2 ClientHello "
                              "unanswered.");
        }
        break;
    default:
        break;
    }
}

static void diag_timeout(struct dctx *c)
{
    char addr[64];

    clean(addr, sizeof(addr), c->r->facts.address[0] != '\0' ? c->r->facts.address : c->host);
    set_diag(c, PROBE_DIAG_TIMEOUT);
    sb_add(&c->cause, "The %s phase ran out of time (%s). ", probe_phase_name(c->r->facts.phase),
           addr);
    cause_timeout_phase(c);
    if (c->r->facts.phase == PROBE_PHASE_HANDSHAKE && c->r->facts.tds8) {
        sb_add(&c->fix, "If the server is older than SQL Server 2022 it cannot do strict "
                        "encryption: use %s (TDS 7.x with full TLS and the same certificate "
                        "checks).\n", c->kw->mandatory);
    } else if (c->r->facts.phase == PROBE_PHASE_HANDSHAKE && mid_handshake(c)) {
        sb_add(&c->fix, "Check the server's ERRORLOG at this time, and the path between client "
                        "and server: a device that drops large packets (the certificate chain "
                        "is the biggest message) stalls the handshake like this. Retry with a "
                        "longer --timeout if the network is slow.\n");
    } else if (c->r->facts.phase == PROBE_PHASE_HANDSHAKE) {
        fix_server_tls12(c);
        sb_add(&c->fix, "Or retry with a longer --timeout if the network is slow.\n");
    } else {
        sb_add(&c->fix, "Check the address and port, and firewalls between this host and "
                        "the server (a firewall that drops rather than rejects looks like "
                        "this); retry with a longer --timeout if the network is slow.\n");
    }
}

static void diag_not_tds(struct dctx *c)
{
    char d[200];

    set_diag(c, PROBE_DIAG_NOT_TDS);
    clean(d, sizeof(d), c->r->facts.tds_err.detail);
    sb_add(&c->cause, "The reply to PRELOGIN is not TDS: the service on this port is not SQL "
                      "Server%s%s.", d[0] != '\0' ? ": " : "", d);
    sb_add(&c->fix, "Check the port: SQL Server's default is 1433, named instances use "
                    "another port (see the ERRORLOG line \"Server is listening on\", or "
                    "network.tcpport in /var/opt/mssql/mssql.conf). A TLS-terminating proxy "
                    "or load balancer in front of SQL Server also breaks TDS. If the reply is a "
                    "TLS record, the port expects TLS first: try %s (TDS 8.0).\n",
           c->kw->strict);
}

static void diag_protocol_error(struct dctx *c)
{
    const struct tds_error *e = &c->r->facts.tds_err;
    char d[200], opt[40] = "";

    set_diag(c, PROBE_DIAG_PROTOCOL_ERROR);
    clean(d, sizeof(d), e->detail[0] != '\0' ? e->detail : tds_err_text(e->code));
    if (e->option >= 0) {
        snprintf(opt, sizeof(opt), " (option %s)", tds_pl_token_name((uint8_t)e->option));
    }
    if (e->code == TDS_ERR_NO_SPACE) {
        /* not the server's fault: the probe could not go on (a local limit or resource) */
        sb_add(&c->cause, "The probe could not continue after the PRELOGIN reply: %s.", d);
        sb_add(&c->fix, "Run the probe again; if it repeats, keep this report (--json) for a "
                        "bug report.\n");
        return;
    }
    if (c->r->facts.got_prelogin) {
        sb_add(&c->cause, "A TDS packet carrying the TLS handshake is malformed at byte offset "
                          "%zu: %s.", e->offset, d);
    } else {
        sb_add(&c->cause, "The PRELOGIN reply is malformed at byte offset %zu%s: %s.", e->offset,
               opt, d);
    }
    sb_add(&c->fix, "No client accepts this reply. Check what listens on the port (a proxy or "
                    "a non-Microsoft TDS server); if it is a real SQL Server, keep this report "
                    "(--json) for a support case.\n");
}

static void diag_tls_error(struct dctx *c)
{
    const struct tls_info *t = c->tls;
    char d[170];

    set_diag(c, PROBE_DIAG_PROTOCOL_ERROR);
    clean(d, sizeof(d), t->error_text[0] != '\0' ? t->error_text : "no detail");
    sb_add(&c->cause, "The TLS handshake failed at stage %s: %s (mbedTLS -0x%04X).",
           tls_stage_name(t->stage), d, (unsigned)(t->error < 0 ? -t->error : t->error));
    sb_add(&c->fix, "The server's TLS messages could not be processed. Check for a proxy or "
                    "load balancer between client and server; if it is a real SQL Server, keep "
                    "this report (--json) for a support case.\n");
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

static void fix_seclevel(struct dctx *c)
{
    sb_add(&c->fix,
           "Install a certificate with a signature algorithm using at least 112 bits of security "
           "(SHA-224, SHA-256, SHA-384, SHA-512) and an RSA key of at least 2048 bits. Check the "
           "one the server uses (network.tlscert):\n"
           "  openssl x509 -in /etc/ssl/certs/mssql.pem -noout -text | grep -E "
           "'Signature Algorithm|Public-Key'\n"
           "A new one:\n");
    fix_reissue(c, "");
}

/* The server offers only versions older than the client accepts. */
static void fix_server_tls12(struct dctx *c)
{
    sb_add(&c->fix, "Enable TLS 1.2 on the server (SQL Server on Linux):\n"
                    "  sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols 1.2\n"
                    "  sudo systemctl restart mssql-server\n"
                    "On Windows, install SQL Server's TLS 1.2 update and enable TLS 1.2 in "
                    "Schannel.\n");
}

/* The server requires a newer version than the client offers (the seed's case). */
static void fix_client_tls12(struct dctx *c)
{
    sb_add(&c->fix, "Make the client support TLS 1.2, which the server requires: a current "
                    "driver and OS (on Windows, TLS 1.2 enabled in Schannel and .NET "
                    "SchUseStrongCrypto; on Linux, no MaxProtocol below TLSv1.2 in "
                    "openssl.cnf); in this probe, --tls-max 1.2.\n");
}

/* "only TLSv1.2" or "TLSv1.0 to TLSv1.2" */
static const char *range_text(const struct dctx *c, char *buf, size_t cap)
{
    if (tls_lo(c) == tls_hi(c)) {
        snprintf(buf, cap, "only %s", tls_version_name(tls_lo(c)));
    } else {
        snprintf(buf, cap, "%s to %s", tls_version_name(tls_lo(c)), tls_version_name(tls_hi(c)));
    }
    return buf;
}

/* The server accepts version v, outside the client's range: who has to move. */
static void fix_version_gap(struct dctx *c, int v)
{
    if (v > tls_hi(c)) {
        fix_client_tls12(c);
        return;
    }
    fix_server_tls12(c);
    sb_add(&c->fix, "Only if the server cannot be changed: let the client accept %s (deprecated "
                    "by RFC 8996; --tls-min in this probe).\n", tls_version_name(v));
}

static void rank_followup_ok(struct dctx *c)
{
    const struct probe_result *r = c->r;
    char cipher[64], range[48];

    clean(cipher, sizeof(cipher), r->facts.followup_cipher);
    sb_add(&c->cause, " A follow-up handshake offering TLS 1.0 to 1.2 and every cipher suite "
                      "succeeded with %s / %s, so the server works and the client's offer is "
                      "the problem:", tls_version_name(r->facts.followup_version), cipher);
    if (r->facts.followup_version < tls_lo(c) || r->facts.followup_version > tls_hi(c)) {
        sb_add(&c->cause, " the server accepts %s; the client offers %s.",
               tls_version_name(r->facts.followup_version), range_text(c, range, sizeof(range)));
        fix_version_gap(c, r->facts.followup_version);
        return;
    }
    sb_add(&c->cause, " the version is in the client's range, so the server accepts none of "
                      "the cipher suites the client offers (it chose %s when offered all).",
           cipher);
    sb_add(&c->fix, "Give server and client a cipher suite in common. On SQL Server on Linux:\n"
                    "  sudo /opt/mssql/bin/mssql-conf set network.tlsciphers "
                    "'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'\n"
                    "  sudo systemctl restart mssql-server\n"
                    "On Windows, enable those suites in Schannel's cipher suite order. Or enable "
                    "%s on the client.\n", cipher);
}

static void rank_closed_in_handshake(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (r->facts.followup_ran && r->facts.followup_ok) {
        rank_followup_ok(c);
    } else if (r->facts.followup_ran) {
        sb_add(&c->cause, " A follow-up handshake offering TLS 1.0 to 1.2 and every cipher "
                          "suite failed too: the server cannot complete any handshake. Most "
                          "likely its own OpenSSL refuses its certificate: at security level 2 "
                          "(Ubuntu 20.04 and later) a certificate signed with SHA-1 or MD5 "
                          "(under 112 bits of security) or with an RSA key under 2048 bits "
                          "cannot be used.");
        fix_seclevel(c);
    } else {
        sb_add(&c->cause, " Usual causes, most likely first: the server requires a TLS version "
                          "the client does not offer (for example TLS 1.2 only), no cipher "
                          "suite in common, or the server's OpenSSL refuses its own SHA-1/MD5 "
                          "certificate (security level 2, Ubuntu 20.04 and later).");
        fix_client_tls12(c);
        fix_server_tls12(c);
        sb_add(&c->fix, "If TLS 1.2 is already on both sides: ");
        fix_seclevel(c);
    }
}

static void diag_closed(struct dctx *c, enum close_when when)
{
    const struct probe_result *r = c->r;
    char range[48];

    set_diag(c, PROBE_DIAG_FORCIBLY_CLOSED);
    if (when == CLOSED_BEFORE_REPLY) {
        sb_add(&c->cause, "The server %s after receiving PRELOGIN, without answering it. A SQL "
                          "Server that accepts only strict (TDS 8.0) connections does this "
                          "(its ERRORLOG shows error 17819); so does a firewall or intrusion "
                          "filter that cuts TDS.", close_kind(c));
        sb_add(&c->fix, "If the server forces strict encryption, connect with %s (SqlClient "
                        "5.1+, ODBC 18.1.2.1+, JDBC 11.2+; this probe: --encrypt strict). "
                        "Otherwise check the server's ERRORLOG at this time and any "
                        "firewall between client and server.\n", c->kw->strict);
        return;
    }
    if (when == CLOSED_AFTER_REPLY) {
        sb_add(&c->cause, "The server answered PRELOGIN (ENCRYPTION=%s) and then %s before "
                          "the TLS handshake.", tds_enc_name(r->facts.prelogin.encryption),
               close_kind(c));
        sb_add(&c->fix, "Check the server's ERRORLOG at this time (TLS and certificate "
                        "errors are logged there).\n");
        fix_client_tls12(c);
        fix_server_tls12(c);
        return;
    }
    sb_add(&c->cause, "After the client's ClientHello (offering %s), the server %s",
           range_text(c, range, sizeof(range)), close_kind(c));
    if (c->tls != NULL && c->tls->alert_received) {
        sb_add(&c->cause, " (alert %s, %u)", tls_alert_name(c->tls->alert_description),
               (unsigned)c->tls->alert_description);
    }
    sb_add(&c->cause, " at TLS stage: %s.",
           c->tls != NULL ? tls_stage_name(c->tls->stage) : "ClientHello sent");
    rank_closed_in_handshake(c);
}

/* ---- TLS version refused by the client ---- */

static void diag_version(struct dctx *c)
{
    int v = c->tls->server_hello_version;
    char range[48];

    set_diag(c, PROBE_DIAG_PROTOCOL_MISMATCH);
    sb_add(&c->cause, "The server chose %s in its ServerHello, but the client accepts %s, so "
                      "the client refused it.", tls_version_name(v),
           range_text(c, range, sizeof(range)));
    fix_version_gap(c, v);
}

/* ---- encryption negotiation ---- */

static void diag_encryption(struct dctx *c)
{
    const struct probe_result *r = c->r;
    uint8_t sent = r->facts.sent_encryption, reply = r->facts.prelogin.encryption;

    if ((sent & TDS_ENC_MASK) == TDS_ENC_NOT_SUP) {
        set_diag(c, PROBE_DIAG_ENCRYPTION_REQUIRED);
        sb_add(&c->cause, "The client sent ENCRYPTION=%s (it cannot or will not encrypt) and "
                          "the server answered %s: it forces encryption (network.forceencryption"
                          " = 1, or Force Encryption on Windows).", tds_enc_name(sent),
               tds_enc_name(reply));
        sb_add(&c->fix, "Let the client encrypt: %s (full TLS, certificate validated), or %s "
                        "(the client sends OFF and the server then encrypts everything).\n",
               c->kw->mandatory, c->kw->optional);
        return;
    }
    set_diag(c, PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED);
    sb_add(&c->cause, "The client sent ENCRYPTION=%s (Encrypt=%s needs encryption) and the "
                      "server answered %s: it will not encrypt. A current Microsoft SQL Server "
                      "always has at least its self-generated certificate, so this is usually a "
                      "non-Microsoft TDS server (Babelfish, a proxy) or an unusual build.",
           tds_enc_name(sent), probe_encrypt_name(c->cl->encrypt), tds_enc_name(reply));
    sb_add(&c->fix, "Give the server a certificate and turn encryption on:\n");
    fix_reissue(c, "");
    sb_add(&c->fix, "Only if the data may travel in cleartext: %s (nothing is encrypted, the "
                    "password included).\n", c->kw->optional);
}

static void diag_tds8(struct dctx *c)
{
    const struct probe_result *r = c->r;
    bool closed = closed_facts(r) ||
                  (c->tls != NULL && (c->tls->peer_closed || c->tls->peer_reset));
    const char *answer = r->facts.got_prelogin ? "a TDS PRELOGIN reply"
                         : closed        ? "a close"
                                         : "bytes that are not TLS";

    set_diag(c, PROBE_DIAG_TDS8_NOT_SUPPORTED);
    sb_add(&c->cause, "With Encrypt=Strict the client starts with a TLS ClientHello (TDS 8.0, "
                      "ALPN tds/8.0); the server answered with %s, so it does not speak TDS "
                      "8.0. That needs SQL Server 2022 or later (or Azure SQL) with a valid "
                      "certificate configured (otherwise the server logs error 17821).", answer);
    sb_add(&c->fix, "Use %s instead: TDS 7.x with full TLS and the same certificate checks. "
                    "Or upgrade the server to SQL Server 2022+ and give it a certificate.\n",
           c->kw->mandatory);
}

/* ---- certificate verdicts ---- */

static bool handshake_completed(const struct dctx *c);

static const struct tls_cert *chain_cert(const struct dctx *c, int i)
{
    if (c->tls == NULL || i < 0 || (size_t)i >= c->tls->chain_len) {
        return c->leaf;
    }
    return &c->tls->chain[i];
}

/* A CA certificate at fault: the server admin cannot fix it with openssl on the server. */
static bool fix_ca_cert(struct dctx *c, int idx, const char *what)
{
    char s[256];

    if (idx <= 0 || c->tls == NULL || (size_t)idx >= c->tls->chain_len) {
        return false;
    }
    clean(s, sizeof(s), c->tls->chain[idx].subject);
    sb_add(&c->fix, "The problem is in CA certificate #%d ('%s'), not the server's own: get "
                    "%s from that CA (or a current chain), put it after the server certificate "
                    "in the network.tlscert file, and restart mssql-server.\n", idx, s, what);
    return true;
}

static void fix_untrusted(struct dctx *c)
{
    const struct tls_cert *leaf = c->leaf;
    const struct tls_cert *top = &c->tls->chain[c->tls->chain_len - 1];
    char s[256];

    if (tls_cert_is_sql_fallback(leaf)) {
        sb_add(&c->fix, "The server has no certificate configured: it presents the one SQL "
                        "Server makes at start-up (CN=SSL_Self_Signed_Fallback, new at every "
                        "restart, no host names), which no client can trust. Give it a "
                        "certificate for %s:\n", cmd_name(c));
        fix_reissue(c, "");
        sb_add(&c->fix, "Then trust mssql.pem on each client:\n");
        fix_trust_steps(c, "mssql.pem");
    } else if (leaf->self_signed) {
        sb_add(&c->fix, "Trust the server's self-signed certificate on the client: copy the "
                        "server's certificate file (network.tlscert in /var/opt/mssql/mssql.conf,"
                        " for example /etc/ssl/certs/mssql.pem) to the client, then:\n");
        fix_trust_steps(c, "mssql.pem");
    } else {
        clean(s, sizeof(s), top->self_signed ? top->subject : top->issuer);
        sb_add(&c->fix, "Trust the CA on the client: copy the CA certificate ('%s'), not the "
                        "server's certificate, as ca.pem, then:\n", s);
        fix_trust_steps(c, "ca.pem");
        if (!top->self_signed && c->tls->chain_len == 1) {
            clean(s, sizeof(s), leaf->issuer);
            sb_add(&c->fix, "The server sent only its own certificate: if '%s' is an "
                            "intermediate CA, append it to the server's network.tlscert file "
                            "(server certificate first) so clients can build the chain.\n", s);
        }
    }
    if (c->kw->pin != NULL && !tls_cert_is_sql_fallback(leaf)) {
        sb_add(&c->fix, "Or pin exactly this certificate: %s.\n", c->kw->pin);
    }
    fix_last_resort(c);
}

static void fix_name(struct dctx *c)
{
    const struct tls_cert *leaf = c->leaf;
    const char *alt = NULL;

    for (size_t i = 0; i < leaf->n_san && alt == NULL; i++) {
        if (safe_name(leaf->san[i].value) && strchr(leaf->san[i].value, '*') == NULL) {
            alt = leaf->san[i].value;
        }
    }
    if (alt == NULL && safe_name(leaf->subject_cn) && strchr(leaf->subject_cn, '*') == NULL &&
        !tls_cert_is_sql_fallback(leaf)) {
        alt = leaf->subject_cn;
    }
    if (alt != NULL) {
        sb_add(&c->fix, "Connect with a name the certificate carries: Server=%s. ", alt);
        if (c->kw->hnic_pre != NULL) {
            sb_add(&c->fix, "Or keep the server name and tell the client which name to "
                            "expect: %s%s%s (the chain is still checked).", c->kw->hnic_pre,
                   alt, c->kw->hnic_post);
        }
        sb_add(&c->fix, "\n");
    }
    sb_add(&c->fix, "Or give the server a certificate whose CN and subjectAltName carry '%s':\n",
           cmd_name(c));
    fix_reissue(c, "");
    fix_last_resort(c);
}

static void fix_dates(struct dctx *c, int idx)
{
    if (c->diag == PROBE_DIAG_NOT_YET_VALID) {
        sb_add(&c->fix, "Check the clocks first (timedatectl on client and server): a client "
                        "clock behind the certificate's start date gives this error. ");
    }
    if (fix_ca_cert(c, idx, "a certificate that is valid now")) {
        return;
    }
    sb_add(&c->fix, "Renew the server's certificate (SQL Server keeps using an expired one, "
                    "so every validating client fails until it is replaced): from your CA, or "
                    "self-signed:\n");
    fix_reissue(c, "");
}

static void fix_cert_property(struct dctx *c, int idx)
{
    switch (c->diag) {
    case PROBE_DIAG_WEAK_SIGNATURE:
        if (!fix_ca_cert(c, idx, "a certificate signed with SHA-256")) {
            sb_add(&c->fix, "Reissue the certificate signed with SHA-256 (openssl's "
                            "default):\n");
            fix_reissue(c, "");
        }
        break;
    case PROBE_DIAG_WEAK_KEY:
        if (!fix_ca_cert(c, idx, "a certificate with a 2048-bit or larger key")) {
            sb_add(&c->fix, "Reissue the certificate with an RSA key of at least 2048 "
                            "bits:\n");
            fix_reissue(c, "");
        }
        break;
    case PROBE_DIAG_NO_SERVER_AUTH_EKU:
        sb_add(&c->fix, "Reissue the certificate for Server Authentication (Enhanced Key "
                        "Usage serverAuth, 1.3.6.1.5.5.7.3.1):\n");
        fix_reissue(c, " -addext 'extendedKeyUsage=serverAuth'");
        break;
    case PROBE_DIAG_BAD_KEY_USAGE:
        sb_add(&c->fix, "Reissue the certificate with key usage digitalSignature and "
                        "keyEncipherment (KeySpec AT_KEYEXCHANGE on Windows):\n");
        fix_reissue(c, " -addext 'keyUsage=critical,digitalSignature,keyEncipherment'");
        break;
    default:
        break;
    }
}

static void fix_pin(struct dctx *c)
{
    sb_add(&c->fix, "If the server's certificate was renewed on purpose, replace the pinned "
                    "file with the new one (the server's network.tlscert file). If not, find "
                    "out why this server presents a different certificate (another server "
                    "behind the name, or a TLS proxy on the path) before connecting.\n");
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
static void add_sentence(struct sb *b, const char *msg)
{
    char m[330];
    size_t n;

    clean(m, sizeof(m), msg);
    if (m[0] >= 'a' && m[0] <= 'z') {
        m[0] = (char)(m[0] - 'a' + 'A');
    }
    n = strlen(m);
    sb_add(b, "%s%s", m, n > 0 && strchr(".!?", m[n - 1]) == NULL ? "." : "");
}

static void cause_cert(struct dctx *c, const struct tls_finding *f)
{
    const struct tls_cert *cert = chain_cert(c, f->cert);
    char nb[21], na[21];

    add_sentence(&c->cause, f->message);
    if (c->diag == PROBE_DIAG_NAME_MISMATCH) {
        sb_add(&c->cause, " The name checked is %s.",
               c->cl->host_name_in_certificate[0] != '\0'
                   ? "HostNameInCertificate from the connection string"
                   : "the server name from the connection string");
    } else if (c->diag == PROBE_DIAG_EXPIRED || c->diag == PROBE_DIAG_NOT_YET_VALID) {
        tls_time_format(cert->not_before, nb);
        tls_time_format(cert->not_after, na);
        sb_add(&c->cause, " It is valid from %s to %s.", nb, na);
    }
    if (c->diag == PROBE_DIAG_UNTRUSTED_CHAIN && tls_cert_is_sql_fallback(c->leaf)) {
        sb_add(&c->cause, " The certificate is SQL Server's self-generated fallback "
                          "(CN=SSL_Self_Signed_Fallback): no certificate is configured.");
    }
}

/* The first expired / not-yet-valid error finding, or NULL. */
static const struct tls_finding *date_error(const struct tls_verdict *v)
{
    for (size_t i = 0; i < v->n && i < TLS_MAX_FINDINGS; i++) {
        const struct tls_finding *f = &v->f[i];
        if (f->severity == TLS_SEV_ERROR &&
            (f->code == TLS_F_EXPIRED || f->code == TLS_F_NOT_YET_VALID)) {
            return f;
        }
    }
    return NULL;
}

/* A driver that reports an expired certificate before an untrusted chain (tedious: Node's
 * OpenSSL checks the dates after the chain and reports the last error). */
static bool date_error_first(const struct dctx *c)
{
    return c->drv->dates_before_chain &&
           date_error(&c->r->verdict) != NULL;
}

static bool decide_chain(struct dctx *c)
{
    bool unmapped;
    const struct tls_finding *f;

    if (!c->r->facts.validates || c->leaf == NULL) {
        return false;
    }
    /* a handshake cut off before the chain was verified cannot be judged on it */
    if (!c->tls->verified_path && !handshake_completed(c)) {
        return false;
    }
    f = first_error(&c->r->verdict, &unmapped);
    if (f == NULL) {
        return false;
    }
    if (f->code == TLS_F_UNTRUSTED_CHAIN && date_error_first(c)) {
        f = date_error(&c->r->verdict);
    }
    /* an error the contract has no code for (an unparsable certificate): the client cannot
     * build a trusted chain from it */
    set_diag(c, unmapped ? PROBE_DIAG_UNTRUSTED_CHAIN
                         : probe_diag_from_name(tls_finding_name(f->code)));
    c->from_verdict = !unmapped;
    cause_cert(c, f);
    if (c->diag == PROBE_DIAG_UNTRUSTED_CHAIN) {
        fix_untrusted(c);
    } else if (c->diag == PROBE_DIAG_NAME_MISMATCH) {
        fix_name(c);
    } else if (c->diag == PROBE_DIAG_EXPIRED || c->diag == PROBE_DIAG_NOT_YET_VALID) {
        fix_dates(c, f->cert);
    } else if (c->diag == PROBE_DIAG_PIN_MISMATCH) {
        fix_pin(c);
    } else {
        fix_cert_property(c, f->cert);
    }
    if (c->diag != PROBE_DIAG_UNTRUSTED_CHAIN && c->diag != PROBE_DIAG_NAME_MISMATCH &&
        c->diag != PROBE_DIAG_PIN_MISMATCH) {
        fix_last_resort(c);
    }
    return true;
}

/* ---- the decision, in connection order ---- */

static bool decide_network(struct dctx *c)
{
    const struct probe_result *r = c->r;

    if (r->facts.net.kind == PROBE_NET_DNS) {
        diag_dns(c);
    } else if (r->facts.phase == PROBE_PHASE_RESOLVE && (r->facts.net.kind != PROBE_NET_NONE || r->facts.timed_out)) {
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
    } else if (r->facts.scope == TDS_TLS_NONE) {
        set_diag(c, PROBE_DIAG_OK); /* plaintext: it connects (findings say what it costs) */
    } else if (r->facts.tls == NULL && closed_facts(r)) {
        diag_closed(c, CLOSED_AFTER_REPLY);
    } else {
        return false;
    }
    return true;
}

static bool handshake_completed(const struct dctx *c)
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

static bool version_refused(const struct dctx *c)
{
    int v = c->tls->server_hello_version;

    return c->tls->local_reject && v != 0 && (v < tls_lo(c) || v > tls_hi(c));
}

static bool decide_tls(struct dctx *c)
{
    const struct probe_result *r = c->r;
    const struct tls_info *t = c->tls;

    if (r->facts.tds8 && r->facts.strict_refused) {
        diag_tds8(c);
    } else if (t == NULL) {
        if (r->facts.phase != PROBE_PHASE_HANDSHAKE) {
            return false;
        }
        if (is_timeout(r)) {
            diag_timeout(c);
        } else {
            diag_closed(c, CLOSED_IN_HANDSHAKE);
        }
    } else if (decide_chain(c)) {
        /* a validating client stops at the certificate, before anything later fails */
    } else if (version_refused(c)) {
        diag_version(c);
    } else if (handshake_completed(c)) {
        set_diag(c, PROBE_DIAG_OK);
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
        set_diag(c, PROBE_DIAG_OK);
    } else {
        set_diag(c, PROBE_DIAG_PROTOCOL_ERROR);
        sb_add(&c->cause, "The probe stopped in the %s phase without a verdict (%s).",
               probe_phase_name(r->facts.phase), net_text(&r->facts.net));
        sb_add(&c->fix, "Run the probe again; if it repeats, keep this report (--json).\n");
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
        sb_add(&c->cause, "The client sent ENCRYPTION=%s and the server answered %s: the "
                          "connection runs without TLS.", tds_enc_name(r->facts.sent_encryption),
               tds_enc_name(r->facts.prelogin.encryption));
        sb_add(&c->fix, "To encrypt, give the server a certificate and use %s.\n",
               c->kw->mandatory);
        return;
    }
    if (c->tls != NULL && c->tls->version != 0) {
        char cipher[64];
        clean(cipher, sizeof(cipher), c->tls->cipher);
        sb_add(&c->cause, "The handshake completed with %s / %s. ",
               tls_version_name(c->tls->version), cipher);
    }
    if (r->facts.validates) {
        sb_add(&c->cause, "The client validates the certificate for '%s' and it passes.",
               c->name);
        return;
    }
    if (r->facts.scope == TDS_TLS_LOGIN_ONLY) {
        sb_add(&c->cause, "The client does not validate the certificate, and only the login "
                          "is encrypted.");
        sb_add(&c->fix, "To encrypt everything and check the server's identity: %s, with a "
                        "certificate the client trusts.\n", c->kw->mandatory);
    } else {
        sb_add(&c->cause, "The client does not validate the certificate.");
        sb_add(&c->fix, "To check the server's identity, drop %s once the client trusts the "
                        "certificate.\n", c->kw->trust);
    }
}

/* ---- the client's words: template variables ---- */

static void join_sans(const struct tls_cert *leaf, bool node, char *out, size_t cap)
{
    struct sb b;
    char v[256];

    sb_init(&b, out, cap);
    for (size_t i = 0; i < leaf->n_san; i++) {
        const char *pre = "";
        clean(v, sizeof(v), leaf->san[i].value);
        if (node) {
            pre = leaf->san[i].type == TLS_SAN_IP ? "IP Address:" : "DNS:";
        }
        sb_add(&b, "%s%s%s", i > 0 ? ", " : "", pre, v);
    }
}

static bool var_cert(const struct dctx *c, const char *k, char *out, size_t cap)
{
    const struct tls_cert *leaf = c->leaf;

    if (strcmp(k, "cert_names") == 0 || strcmp(k, "cert_altnames") == 0) {
        join_sans(leaf, strcmp(k, "cert_altnames") == 0, out, cap);
    } else if (strcmp(k, "cert_name") == 0) {
        /* JDBC reports the last name it looked at: the last SAN, else the CN */
        clean(out, cap, leaf->n_san > 0 ? leaf->san[leaf->n_san - 1].value : leaf->subject_cn);
    } else if (strcmp(k, "not_before") == 0 && cap >= 21) {
        tls_time_format(leaf->not_before, out);
    } else if (strcmp(k, "not_after") == 0 && cap >= 21) {
        tls_time_format(leaf->not_after, out);
    } else {
        return false;
    }
    return true;
}

static bool var_value(const struct dctx *c, const char *k, char *out, size_t cap)
{
    if (strcmp(k, "host") == 0) {
        clean(out, cap, c->host);
    } else if (strcmp(k, "port") == 0) {
        /* the port connected to (the Browser's answer for a named instance); a named instance
         * that was never resolved keeps the default the text has always shown */
        uint16_t port = probe_result_port(c->r);
        snprintf(out, cap, "%u", port != 0 ? (unsigned)port : PROBE_DEFAULT_PORT);
    } else if (strcmp(k, "name") == 0) {
        clean(out, cap, c->name);
    } else if (strcmp(k, "encrypt") == 0) {
        snprintf(out, cap, "%s", c->cl->encrypt == PROBE_ENCRYPT_STRICT      ? "strict"
                                 : c->cl->encrypt == PROBE_ENCRYPT_MANDATORY ? "true"
                                                                             : "false");
    } else if (strcmp(k, "tsc") == 0) {
        snprintf(out, cap, "%s", c->cl->trust_server_certificate ? "true" : "false");
    } else if (strcmp(k, "now") == 0 && cap >= 21) {
        tls_time_format(time(NULL), out);
    } else if (strcmp(k, "go_version") == 0 && c->tls != NULL) {
        snprintf(out, cap, "%x", 0x300u + (unsigned)c->tls->server_hello_version);
    } else if (c->leaf != NULL) {
        return var_cert(c, k, out, cap);
    } else {
        return false;
    }
    return true;
}

static void expand(const struct dctx *c, const char *t, char *out, size_t cap)
{
    struct sb b;

    sb_init(&b, out, cap);
    while (*t != '\0') {
        const char *open = strchr(t, '{');
        const char *close = open != NULL ? strchr(open, '}') : NULL;
        char key[32], val[512];
        size_t klen;

        if (close == NULL) {
            sb_add(&b, "%s", t);
            break;
        }
        sb_add(&b, "%.*s", (int)(open - t), t);
        klen = (size_t)(close - open - 1);
        if (klen < sizeof(key)) {
            memcpy(key, open + 1, klen);
            key[klen] = '\0';
        }
        if (klen < sizeof(key) && var_value(c, key, val, sizeof(val))) {
            sb_add(&b, "%s", val);
        } else {
            sb_add(&b, "%.*s", (int)(close - open + 1), open);
        }
        t = close + 1;
    }
}

static const char *pick_variant(const struct dctx *c)
{
    const struct tls_cert *leaf = c->leaf;
    bool has_ip_san = false;

    if (leaf == NULL) {
        return NULL;
    }
    if (c->diag == PROBE_DIAG_UNTRUSTED_CHAIN) {
        const struct tls_cert *top = &c->tls->chain[c->tls->chain_len - 1];
        if (leaf->self_signed) {
            return "self_signed";
        }
        return c->tls->chain_len > 1 && top->self_signed ? "chain_root" : NULL;
    }
    if (c->diag != PROBE_DIAG_NAME_MISMATCH) {
        return NULL;
    }
    for (size_t i = 0; i < leaf->n_san; i++) {
        has_ip_san = has_ip_san || leaf->san[i].type == TLS_SAN_IP;
    }
    if (is_ip_literal(c->name) && !has_ip_san) {
        return "ip";
    }
    if (leaf->n_san == 0) {
        return strcasecmp(leaf->subject_cn, c->name) == 0 ? "cn_only" : "no_san";
    }
    return NULL;
}

/* ---- findings: every problem seen, the diagnosis first ---- */

__attribute__((format(printf, 5, 6))) static void add_finding(struct probe_result *r,
                                                              const char *code,
                                                              enum tls_severity sev, int cert,
                                                              const char *fmt, ...)
{
    struct probe_finding *f;
    va_list ap;

    if (r->n_findings >= PROBE_MAX_FINDINGS) {
        return;
    }
    f = &r->findings[r->n_findings++];
    snprintf(f->code, sizeof(f->code), "%s", code);
    f->severity = sev;
    f->cert = cert;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
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
    if (c->leaf == NULL && (c->tls == NULL || !handshake_completed(c))) {
        return;
    }
    for (size_t i = 0; i < r->verdict.n && i < TLS_MAX_FINDINGS; i++) {
        const struct tls_finding *f = &r->verdict.f[i];
        char m[330];
        clean(m, sizeof(m), f->message);
        add_finding(r, tls_finding_name(f->code), f->severity, f->cert, "%s", m);
    }
}

static void tls_findings(const struct dctx *c)
{
    struct probe_result *r = c->r;
    const struct tls_info *t = c->tls;

    if (c->leaf != NULL && tls_cert_is_sql_fallback(c->leaf) &&
        !verdict_has(&r->verdict, TLS_F_FALLBACK_CERTIFICATE)) {
        add_finding(r, "fallback_certificate", TLS_SEV_INFO, 0,
                    "The server presents SQL Server's self-generated certificate "
                    "(CN=SSL_Self_Signed_Fallback): no certificate is configured "
                    "(network.tlscert).");
    }
    if (t != NULL && t->version >= TLS_V10 && t->version < TLS_V12 && !t->local_reject) {
        add_finding(r, "old_tls_version", TLS_SEV_WARNING, -1,
                    "The server negotiated %s, deprecated by RFC 8996 and refused by current "
                    "clients: enable TLS 1.2 (mssql-conf set network.tlsprotocols 1.2).",
                    tls_version_name(t->version));
    }
    if (r->facts.followup_ran) {
        char cipher[64];
        clean(cipher, sizeof(cipher), r->facts.followup_cipher);
        if (r->facts.followup_ok) {
            add_finding(r, "followup_handshake", TLS_SEV_INFO, -1,
                        "A follow-up handshake offering TLS 1.0 to 1.2 and every cipher suite "
                        "succeeded with %s / %s.", tls_version_name(r->facts.followup_version),
                        cipher);
        } else {
            add_finding(r, "followup_handshake", TLS_SEV_INFO, -1,
                        "A follow-up handshake offering TLS 1.0 to 1.2 and every cipher suite "
                        "failed too.");
        }
    }
}

static void scope_findings(const struct dctx *c)
{
    struct probe_result *r = c->r;

    if (!r->facts.got_prelogin || r->facts.tds8 || c->diag != PROBE_DIAG_OK) {
        return;
    }
    if (r->facts.scope == TDS_TLS_NONE) {
        add_finding(r, "no_encryption", TLS_SEV_WARNING, -1,
                    "Nothing is encrypted, not even the login: the client sent ENCRYPTION=%s "
                    "and the server answered %s; anyone on the path can read the password and "
                    "the data.", tds_enc_name(r->facts.sent_encryption),
                    tds_enc_name(r->facts.prelogin.encryption));
    } else if (r->facts.scope == TDS_TLS_LOGIN_ONLY) {
        add_finding(r, "login_only_tls", TLS_SEV_WARNING, -1,
                    "%s%s gives login-only TLS; anyone on the path can read everything after "
                    "login.",
                    r->facts.validates ? "" : "the client does not validate the certificate: ",
                    c->kw->optional);
    } else if (r->facts.scope == TDS_TLS_FULL && !r->facts.validates) {
        add_finding(r, "no_validation", TLS_SEV_WARNING, -1,
                    "the client does not validate the certificate (%s or the driver's "
                    "default): the connection is encrypted, but anyone on the path can "
                    "impersonate the server.", c->kw->trust);
    }
}

static void collect_findings(struct dctx *c)
{
    struct probe_result *r = c->r;

    if (c->diag != PROBE_DIAG_OK && !c->from_verdict) {
        add_finding(r, probe_diag_name(c->diag), TLS_SEV_ERROR, -1, "%s", r->cause);
    }
    copy_verdict(c);
    tls_findings(c);
    scope_findings(c);
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
    sb_init(&c->cause, r->cause, sizeof(r->cause));
    sb_init(&c->fix, r->fix, sizeof(r->fix));
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
    expand(&c, probe_driver_text(c.drv, c.diag, pick_variant(&c)), r->message,
           sizeof(r->message));
    collect_findings(&c);
}
