/* probe/diagnose/probe_remedy.c: what to do next, for failures before the certificate: names
 * and addresses, ports, timeouts, what answers on the port, ENCRYPTION negotiation, TLS
 * versions and cipher suites (mssql-conf for SQL Server on Linux, Schannel on Windows), what
 * an OK connection leaves open, and how to enforce TLS 1.2 after a policy audit. The keywords
 * are the client's driver's (c->kw).
 *
 * Names pasted into commands pass probe_remedy_safe_name(): they come from the user or the
 * server, and a fix is something users paste into a root shell. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <string.h>

#include "probe/diagnose/probe_audit_verdict.h"
#include "tds/tds_ssrp.h"
#include "tls/tls_version.h"


bool probe_remedy_safe_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 253 || s[0] == '-') {
        return false;
    }
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:*") == n;
}

void probe_remedy_dns(struct dctx *c)
{
    probe_sb_add(&c->fix,
            "Check the server name in the connection string (spelling, the full DNS name "
            "such as db1.contoso.com), then the client's resolver (/etc/hosts, the DNS servers in "
            "/etc/resolv.conf):\n"
            "  getent hosts %s\n"
            "Or connect by IP address (then the certificate needs that IP in its "
            "subjectAltName, or use %s<name in the certificate>%s).\n",
            probe_remedy_safe_name(c->host) ? c->host : "<host>",
            c->kw->hnic_pre != NULL ? c->kw->hnic_pre : "HostNameInCertificate=",
            c->kw->hnic_post != NULL ? c->kw->hnic_post : "");
}

void probe_remedy_instance(struct dctx *c)
{
    probe_sb_add(&c->fix,
            "Connect to the instance's port directly (Server=%s,<port>; the port is in the "
            "ERRORLOG line \"Server is listening on\", or network.tcpport in "
            "/var/opt/mssql/mssql.conf). SQL Server on Linux has no Browser service; on "
            "Windows start SQL Server Browser and allow UDP %u through the firewall.\n",
            probe_remedy_safe_name(c->host) ? c->host : "<host>",
            c->r->facts.browser_port != 0 ? (unsigned)c->r->facts.browser_port
                                          : (unsigned)TDS_SSRP_PORT);
}

void probe_remedy_refused(struct dctx *c, unsigned port)
{
    probe_sb_add(&c->fix,
            "Check that SQL Server runs and listens on port %u (network.tcpport in "
            "/var/opt/mssql/mssql.conf; the ERRORLOG line \"Server is listening on\"), that the "
            "port in the connection string is right, and that no firewall rejects it:\n"
            "  sudo systemctl status mssql-server\n"
            "  sudo ufw allow %u/tcp  # or: sudo firewall-cmd --add-port=%u/tcp --permanent && "
            "sudo firewall-cmd --reload\n",
            port, port, port);
}

/* The server offers only versions older than the client accepts. */
static void fix_server_tls12(struct dctx *c)
{
    probe_sb_add(&c->fix, "Enable TLS 1.2 on the server (SQL Server on Linux):\n"
                          "  sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols 1.2\n"
                          "  sudo systemctl restart mssql-server\n"
                          "On Windows, install SQL Server's TLS 1.2 update and enable TLS 1.2 in "
                          "Schannel.\n");
}

/* The server requires a newer version than the client offers (the seed's case). */
static void fix_client_tls12(struct dctx *c)
{
    probe_sb_add(&c->fix, "Make the client support TLS 1.2, which the server requires: a current "
                          "driver and OS (on Windows, TLS 1.2 enabled in Schannel and .NET "
                          "SchUseStrongCrypto; on Linux, no MaxProtocol below TLSv1.2 in "
                          "openssl.cnf); in this probe, --tls-max 1.2.\n");
}

void probe_remedy_timeout(struct dctx *c)
{
    if (c->r->facts.phase == PROBE_PHASE_HANDSHAKE && c->r->facts.tds8) {
        probe_sb_add(&c->fix, "If the server is older than SQL Server 2022 it cannot do strict "
                              "encryption: use %s (TDS 7.x with full TLS and the same certificate "
                              "checks).\n", c->kw->mandatory);
    } else if (c->r->facts.phase == PROBE_PHASE_HANDSHAKE && probe_dctx_mid_handshake(c)) {
        probe_sb_add(&c->fix, "Check the server's ERRORLOG at this time, and the path between "
                              "client and server: a device that drops large packets (the "
                              "certificate chain is the biggest message) stalls the handshake "
                              "like this. Retry with a longer --timeout if the network is slow.\n");
    } else if (c->r->facts.phase == PROBE_PHASE_HANDSHAKE) {
        fix_server_tls12(c);
        probe_sb_add(&c->fix, "Or retry with a longer --timeout if the network is slow.\n");
    } else {
        probe_sb_add(&c->fix, "Check the address and port, and firewalls between this host and "
                              "the server (a firewall that drops rather than rejects looks like "
                              "this); retry with a longer --timeout if the network is slow.\n");
    }
}

void probe_remedy_not_tds(struct dctx *c)
{
    probe_sb_add(&c->fix, "Check the port: SQL Server's default is 1433, named instances use "
                          "another port (see the ERRORLOG line \"Server is listening on\", or "
                          "network.tcpport in /var/opt/mssql/mssql.conf). A TLS-terminating proxy "
                          "or load balancer in front of SQL Server also breaks TDS. If the reply "
                          "is a TLS record, the port expects TLS first: try %s (TDS 8.0).\n",
                          c->kw->strict);
}

void probe_remedy_protocol_error(struct dctx *c, bool local)
{
    if (local) {
        probe_sb_add(&c->fix, "Run the probe again; if it repeats, keep this report (--json) for "
                              "a bug report.\n");
        return;
    }
    probe_sb_add(&c->fix, "No client accepts this reply. Check what listens on the port (a proxy "
                          "or a non-Microsoft TDS server); if it is a real SQL Server, keep this "
                          "report (--json) for a support case.\n");
}

void probe_remedy_tls_error(struct dctx *c)
{
    probe_sb_add(&c->fix, "The server's TLS messages could not be processed. Check for a proxy or "
                          "load balancer between client and server; if it is a real SQL Server, "
                          "keep this report (--json) for a support case.\n");
}

void probe_remedy_closed_before_reply(struct dctx *c)
{
    probe_sb_add(&c->fix, "If the server forces strict encryption, connect with %s (SqlClient "
                          "5.1+, ODBC 18.1.2.1+, JDBC 11.2+; this probe: --encrypt strict). "
                          "Otherwise check the server's ERRORLOG at this time and any firewall "
                          "between client and server.\n", c->kw->strict);
}

void probe_remedy_closed_after_reply(struct dctx *c)
{
    probe_sb_add(&c->fix, "Check the server's ERRORLOG at this time (TLS and certificate errors "
                          "are logged there).\n");
    fix_client_tls12(c);
    fix_server_tls12(c);
}

void probe_remedy_seclevel(struct dctx *c)
{
    probe_sb_add(&c->fix,
            "Install a certificate with a signature algorithm using at least 112 bits of security "
            "(SHA-224, SHA-256, SHA-384, SHA-512) and an RSA key of at least 2048 bits. Check the "
            "one the server uses (network.tlscert):\n"
            "  openssl x509 -in /etc/ssl/certs/mssql.pem -noout -text | grep -E "
            "'Signature Algorithm|Public-Key'\n"
            "A new one:\n");
    probe_remedy_reissue(c, "");
}

void probe_remedy_closed_unranked(struct dctx *c)
{
    fix_client_tls12(c);
    fix_server_tls12(c);
    probe_sb_add(&c->fix, "If TLS 1.2 is already on both sides: ");
    probe_remedy_seclevel(c);
}

void probe_remedy_tls13_groups(struct dctx *c)
{
    probe_sb_add(&c->fix, "Let the server's TLS 1.3 use the key exchange groups and suites the "
                          "clients offer (OpenSSL's and Schannel's defaults: X25519, P-256, "
                          "P-384; the three TLS 1.3 suites). SQL Server on Linux takes them from "
                          "OpenSSL's configuration: check Groups and Ciphersuites in the "
                          "openssl.cnf the mssql process reads (OPENSSL_CONF), then:\n"
                          "  sudo systemctl restart mssql-server\n"
                          "Or enable TLS 1.2 next to 1.3:\n"
                          "  sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols 1.2,1.3\n");
}

void probe_remedy_version_gap(struct dctx *c, int v)
{
    if (v > probe_dctx_tls_hi(c)) {
        fix_client_tls12(c);
        return;
    }
    fix_server_tls12(c);
    probe_sb_add(&c->fix, "Only if the server cannot be changed: let the client accept %s "
                          "(deprecated by RFC 8996; --tls-min in this probe).\n",
                          tls_version_name(v));
}

void probe_remedy_ciphers(struct dctx *c, const char *cipher)
{
    probe_sb_add(&c->fix, "Give server and client a cipher suite in common. On SQL Server on "
                          "Linux:\n"
                          "  sudo /opt/mssql/bin/mssql-conf set network.tlsciphers "
                          "'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256'\n"
                          "  sudo systemctl restart mssql-server\n"
                          "On Windows, enable those suites in Schannel's cipher suite order. Or "
                          "enable %s on the client.\n", cipher);
}

void probe_remedy_encryption(struct dctx *c, bool required)
{
    if (required) {
        probe_sb_add(&c->fix, "Let the client encrypt: %s (full TLS, certificate validated), or "
                              "%s (the client sends OFF and the server then encrypts "
                              "everything).\n", c->kw->mandatory, c->kw->optional);
        return;
    }
    probe_sb_add(&c->fix, "Give the server a certificate and turn encryption on:\n");
    probe_remedy_reissue(c, "");
    probe_sb_add(&c->fix, "Only if the data may travel in cleartext: %s (nothing is encrypted, "
                          "the password included).\n", c->kw->optional);
}

void probe_remedy_cleartext_login(struct dctx *c)
{
    probe_sb_add(&c->fix, "Treat the password as exposed and change it. Give the server a "
                          "certificate so that it answers ENCRYPTION=ON:\n");
    probe_remedy_reissue(c, "");
    probe_sb_add(&c->fix, "And use %s: TLS comes first and the client refuses to go on without "
                          "it, so a server (or a machine in the middle) that refuses encryption "
                          "can no longer get the login in cleartext.\n", c->kw->strict);
}

void probe_remedy_tds8(struct dctx *c)
{
    probe_sb_add(&c->fix, "Use %s instead: TDS 7.x with full TLS and the same certificate checks. "
                          "Or upgrade the server to SQL Server 2022+ and give it a certificate.\n",
                          c->kw->mandatory);
}

void probe_remedy_leftover(struct dctx *c)
{
    probe_sb_add(&c->fix, "Run the probe again; if it repeats, keep this report (--json).\n");
}

void probe_remedy_ok(struct dctx *c, enum probe_ok_gap gap)
{
    switch (gap) {
    case PROBE_OK_CLEARTEXT:
        probe_sb_add(&c->fix, "To encrypt, give the server a certificate and use %s.\n",
                              c->kw->mandatory);
        break;
    case PROBE_OK_LOGIN_ONLY:
        probe_sb_add(&c->fix, "To encrypt everything and check the server's identity: %s, with a "
                              "certificate the client trusts.\n", c->kw->mandatory);
        break;
    case PROBE_OK_UNVALIDATED:
        probe_sb_add(&c->fix, "To check the server's identity, drop %s once the client trusts the "
                              "certificate.\n", c->kw->trust);
        break;
    }
}

/* ---- the TLS policy audit: enforcing TLS 1.2 ---- */

#define SCHANNEL "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"

static void reg_version(struct probe_sb *b, const char *ver, int enabled)
{
    probe_sb_add(b, "  reg add \"" SCHANNEL "\\%s\\Server\" /v Enabled /t REG_DWORD /d %d /f\n",
                 ver, enabled);
    probe_sb_add(b, "  reg add \"" SCHANNEL "\\%s\\Server\" /v DisabledByDefault /t REG_DWORD "
                    "/d %d /f\n", ver, !enabled);
}

/* TLS 1.2 refused as well: nothing to restrict to until it is turned on. */
static void fix_enable_tls12(struct probe_sb *b, bool tls13)
{
    probe_sb_add(b, "%s Enable TLS 1.2 first:",
                 tls13 ? "TLS 1.2 is rejected: only TDS 8.0 (strict) clients can connect, over "
                         "TLS 1.3."
                       : "TLS 1.2 is rejected too: the server accepts nothing modern.");
    probe_sb_add(b, " SQL Server 2016 and later support it, 2008 to 2014 need the TLS 1.2 update "
                    "(KB3135244); on Windows turn it on in Schannel:\n");
    reg_version(b, "TLS 1.2", 1);
}

void probe_audit_fix(const enum probe_proto_state st[TLS_V13 + 1], char *out, size_t cap)
{
    struct probe_sb b;

    if (cap == 0) {
        return;
    }
    probe_sb_init(&b, out, cap);
    if (probe_audit_tls12(st) != PROBE_TLS12_NOT_ENFORCED) {
        return;
    }
    if (st[TLS_V12] == PROBE_PROTO_REJECTED) {
        fix_enable_tls12(&b, st[TLS_V13] == PROBE_PROTO_ACCEPTED);
    }
    probe_sb_add(&b, "Linux: allow only TLS 1.2 in mssql.conf, then restart SQL Server:\n"
                     "  sudo /opt/mssql/bin/mssql-conf set network.tlsprotocols 1.2\n"
                     "  sudo systemctl restart mssql-server\n"
                     "Windows: disable the old versions for servers in Schannel:\n");
    reg_version(&b, "TLS 1.0", 0);
    reg_version(&b, "TLS 1.1", 0);
    probe_sb_add(&b, "then restart SQL Server (MSSQLSERVER or MSSQL$<instance>; Schannel reads "
                     "these keys at start, so reboot if other services share them). First make "
                     "sure every client supports TLS 1.2: one that does not will fail with \"An "
                     "existing connection was forcibly closed by the remote host.\"\n");
}
