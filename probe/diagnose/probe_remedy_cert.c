/* probe/diagnose/probe_remedy_cert.c: what to do about a certificate a client refuses: the
 * certificate recipe (openssl, then mssql-conf), the steps that make each OS trust it, the
 * driver's name override and pin keywords, and the last resort that turns validation off.
 *
 * Names pasted into these commands pass probe_remedy_safe_name(): certificate names come from
 * the server, and a fix is something users paste into a root shell. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <string.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"


/* The name the client checks, if it is safe to paste into a command. */
static const char *cmd_name(const struct dctx *c)
{
    return probe_remedy_safe_name(c->name) ? c->name : "<server-fqdn>";
}

void probe_remedy_reissue(struct dctx *c, const char *extra)
{
    const char *h = cmd_name(c);
    const char *san = probe_host_is_ip(h) ? "IP" : "DNS";

    probe_sb_add(&c->fix,
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
    probe_sb_add(&c->fix,
            "  Ubuntu/Debian: sudo cp %s /usr/share/ca-certificates/mssql.crt && "
            "sudo dpkg-reconfigure ca-certificates  # select mssql.crt\n"
            "  RHEL:          sudo cp %s /etc/pki/ca-trust/source/anchors/ && "
            "sudo update-ca-trust\n"
            "  SUSE:          sudo cp %s /usr/share/pki/trust/anchors/ && "
            "sudo update-ca-certificates\n"
            "  macOS:         cp %s /usr/local/etc/openssl/certs/ && "
            "cd /usr/local/etc/openssl/certs && mv %s \"$(openssl x509 -hash -in %s -noout).0\"\n"
            "  Windows:       certutil -user -addstore Root %s  # = import it under Current "
            "User > Trusted Root Certification Authorities > Certificates\n",
            file, file, file, file, file, file, file);
    if (c->cl->ca_file[0] != '\0') {
        char ca[256];
        probe_text_clean(ca, sizeof(ca), c->cl->ca_file);
        probe_sb_add(&c->fix, "  This probe used --ca-file %s as the trust store: add it there "
                              "too.\n", ca);
    }
}

static void last_resort(struct dctx *c)
{
    if (c->cl->encrypt == PROBE_ENCRYPT_STRICT) {
        probe_sb_add(&c->fix, "Strict encryption always validates the certificate: there is no "
                              "keyword that skips the check.\n");
        return;
    }
    probe_sb_add(&c->fix,
            "Last resort: %s disables every certificate check (chain, name, dates); the "
           "connection stays encrypted but anyone on the path can impersonate the server.\n",
           c->kw->trust);
}

/* A CA certificate at fault: the server admin cannot fix it with openssl on the server. */
static bool fix_ca_cert(struct dctx *c, int idx, const char *what)
{
    char s[256];

    if (idx <= 0 || c->tls == NULL || (size_t)idx >= c->tls->chain_len) {
        return false;
    }
    probe_text_clean(s, sizeof(s), c->tls->chain[idx].subject);
    probe_sb_add(&c->fix, "The problem is in CA certificate #%d ('%s'), not the server's own: get "
                          "%s from that CA (or a current chain), put it after the server "
                          "certificate in the network.tlscert file, and restart mssql-server.\n",
                          idx, s, what);
    return true;
}

/* Pinning as a fix: offered only when no certificate file is pinned yet; one that is set but
 * not read in this setting (mssql-jdbc and ODBC read it only under strict) is named instead. */
static void fix_pin_offer(struct dctx *c, const struct tls_cert *leaf)
{
    const struct probe_driver *d = c->drv;

    if (c->cl->server_certificate[0] != '\0') {
        if (!probe_client_pins(c->cl)) {
            probe_sb_add(&c->fix, "The pinned certificate file is not read with these settings: "
                                  "%s reads it only with %s.\n", d->name,
                         d->pin_from == PROBE_ENCRYPT_STRICT ? c->kw->strict : c->kw->mandatory);
        }
        return;
    }
    if (c->kw->pin != NULL && !tls_cert_is_sql_fallback(leaf)) {
        probe_sb_add(&c->fix, "Or pin exactly this certificate: %s.\n", c->kw->pin);
    }
}

static void fix_untrusted(struct dctx *c)
{
    const struct tls_cert *leaf = c->leaf;
    const struct tls_cert *top = &c->tls->chain[c->tls->chain_len - 1];
    char s[256];

    if (tls_cert_is_sql_fallback(leaf)) {
        probe_sb_add(&c->fix, "The server has no certificate configured: it presents the one SQL "
                              "Server makes at start-up (CN=SSL_Self_Signed_Fallback, new at "
                              "every restart, no host names), which no client can trust. Give it "
                              "a certificate for %s:\n", cmd_name(c));
        probe_remedy_reissue(c, "");
        probe_sb_add(&c->fix, "Then trust mssql.pem on each client:\n");
        fix_trust_steps(c, "mssql.pem");
    } else if (leaf->self_signed) {
        probe_sb_add(&c->fix, "Trust the server's self-signed certificate on the client: copy the "
                              "server's certificate file (network.tlscert in "
                              "/var/opt/mssql/mssql.conf, for example /etc/ssl/certs/mssql.pem) "
                              "to the client, then:\n");
        fix_trust_steps(c, "mssql.pem");
    } else {
        probe_text_clean(s, sizeof(s), top->self_signed ? top->subject : top->issuer);
        probe_sb_add(&c->fix, "Trust the CA on the client: copy the CA certificate ('%s'), not "
                              "the server's certificate, as ca.pem, then:\n", s);
        fix_trust_steps(c, "ca.pem");
        if (!top->self_signed && c->tls->chain_len == 1) {
            probe_text_clean(s, sizeof(s), leaf->issuer);
            probe_sb_add(&c->fix, "The server sent only its own certificate: if '%s' is an "
                                  "intermediate CA, append it to the server's network.tlscert "
                                  "file (server certificate first) so clients can build the "
                                  "chain.\n", s);
        }
    }
    fix_pin_offer(c, leaf);
    last_resort(c);
}

static void fix_name(struct dctx *c)
{
    const struct tls_cert *leaf = c->leaf;
    const char *alt = NULL;

    for (size_t i = 0; i < leaf->n_san && alt == NULL; i++) {
        if (probe_remedy_safe_name(leaf->san[i].value) && strchr(leaf->san[i].value, '*') == NULL) {
            alt = leaf->san[i].value;
        }
    }
    if (alt == NULL && probe_remedy_safe_name(leaf->subject_cn) &&
        strchr(leaf->subject_cn, '*') == NULL &&
        !tls_cert_is_sql_fallback(leaf)) {
        alt = leaf->subject_cn;
    }
    if (alt != NULL) {
        probe_sb_add(&c->fix, "Connect with a name the certificate carries: Server=%s. ", alt);
        if (c->kw->hnic_pre != NULL) {
            probe_sb_add(&c->fix, "Or keep the server name and tell the client which name to "
                                  "expect: %s%s%s (the chain is still checked).",
                                  c->kw->hnic_pre, alt, c->kw->hnic_post);
        }
        probe_sb_add(&c->fix, "\n");
    }
    probe_sb_add(&c->fix, "Or give the server a certificate whose CN and subjectAltName carry "
                          "'%s':\n", cmd_name(c));
    probe_remedy_reissue(c, "");
    last_resort(c);
}

static void fix_dates(struct dctx *c, int idx)
{
    if (c->diag == PROBE_DIAG_NOT_YET_VALID) {
        probe_sb_add(&c->fix, "Check the clocks first (timedatectl on client and server): a "
                              "client clock behind the certificate's start date gives this "
                              "error. ");
    }
    if (fix_ca_cert(c, idx, "a certificate that is valid now")) {
        return;
    }
    probe_sb_add(&c->fix, "Renew the server's certificate (SQL Server keeps using an expired one, "
                          "so every validating client fails until it is replaced): from your CA, "
                          "or self-signed:\n");
    probe_remedy_reissue(c, "");
}

static void fix_cert_property(struct dctx *c, int idx)
{
    switch (c->diag) {
    case PROBE_DIAG_WEAK_SIGNATURE:
        if (!fix_ca_cert(c, idx, "a certificate signed with SHA-256")) {
            probe_sb_add(&c->fix, "Reissue the certificate signed with SHA-256 (openssl's "
                                  "default):\n");
            probe_remedy_reissue(c, "");
        }
        break;
    case PROBE_DIAG_WEAK_KEY:
        if (!fix_ca_cert(c, idx, "a certificate with a 2048-bit or larger key")) {
            probe_sb_add(&c->fix, "Reissue the certificate with an RSA key of at least 2048 "
                                  "bits:\n");
            probe_remedy_reissue(c, "");
        }
        break;
    case PROBE_DIAG_NO_SERVER_AUTH_EKU:
        probe_sb_add(&c->fix, "Reissue the certificate for Server Authentication (Enhanced Key "
                              "Usage serverAuth, 1.3.6.1.5.5.7.3.1):\n");
        probe_remedy_reissue(c, " -addext 'extendedKeyUsage=serverAuth'");
        break;
    case PROBE_DIAG_BAD_KEY_USAGE:
        probe_sb_add(&c->fix, "Reissue the certificate with key usage digitalSignature and "
                              "keyEncipherment (KeySpec AT_KEYEXCHANGE on Windows):\n");
        probe_remedy_reissue(c, " -addext 'keyUsage=critical,digitalSignature,keyEncipherment'");
        break;
    default:
        break;
    }
}

static void fix_pin(struct dctx *c)
{
    probe_sb_add(&c->fix, "If the server's certificate was renewed on purpose, replace the pinned "
                          "file with the new one (the server's network.tlscert file). If not, "
                          "find out why this server presents a different certificate (another "
                          "server behind the name, or a TLS proxy on the path) before "
                          "connecting.\n");
}

void probe_remedy_cert(struct dctx *c, int idx)
{
    if (c->diag == PROBE_DIAG_UNTRUSTED_CHAIN) {
        fix_untrusted(c);
    } else if (c->diag == PROBE_DIAG_NAME_MISMATCH) {
        fix_name(c);
    } else if (c->diag == PROBE_DIAG_EXPIRED || c->diag == PROBE_DIAG_NOT_YET_VALID) {
        fix_dates(c, idx);
    } else if (c->diag == PROBE_DIAG_PIN_MISMATCH) {
        fix_pin(c);
    } else {
        fix_cert_property(c, idx);
    }
    if (c->diag != PROBE_DIAG_UNTRUSTED_CHAIN && c->diag != PROBE_DIAG_NAME_MISMATCH &&
        c->diag != PROBE_DIAG_PIN_MISMATCH) {
        last_resort(c);
    }
}
