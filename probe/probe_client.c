/* probe/probe_client.c: the SqlClient (>= 2.0) column of the decision table in
 * notes/clients.md §2.3. */
#include "probe/probe_client.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void probe_client_default(struct probe_client *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->driver, sizeof(c->driver), "sqlclient");
    c->encrypt = PROBE_ENCRYPT_MANDATORY;
    c->tls_min = TLS_V10;
    c->tls_max = TLS_V12; /* TDS 7.x carries at most TLS 1.2 (MS-TDS 2.1) */
    c->handshake = TLS_HANDSHAKE_FULL;
}

uint8_t probe_client_encryption_byte(const struct probe_client *c)
{
    /* Strict sends PRELOGIN inside TLS, where SqlClient puts NOT_SUP (notes/clients.md §0). */
    switch (c->encrypt) {
    case PROBE_ENCRYPT_OPTIONAL:
        return TDS_ENC_OFF;
    case PROBE_ENCRYPT_MANDATORY:
        return TDS_ENC_ON;
    case PROBE_ENCRYPT_STRICT:
        return TDS_ENC_NOT_SUP;
    }
    return TDS_ENC_ON;
}

enum tds_tls_scope probe_client_scope(const struct probe_client *c, uint8_t reply, bool *validates)
{
    uint8_t sent = probe_client_encryption_byte(c);
    uint8_t r = reply & TDS_ENC_MASK;
    enum tds_tls_scope scope;

    if (c->encrypt == PROBE_ENCRYPT_STRICT) {
        *validates = true; /* strict ignores TrustServerCertificate */
        return TDS_TLS_FULL;
    }
    if (r == TDS_ENC_NOT_SUP)
        scope = sent == TDS_ENC_OFF ? TDS_TLS_NONE : TDS_TLS_TERMINATE;
    else if (r == TDS_ENC_OFF && sent == TDS_ENC_OFF)
        scope = TDS_TLS_LOGIN_ONLY;
    else
        scope = TDS_TLS_FULL; /* SqlClient keeps ON even if a server answers OFF to ON */
    /* SqlClient >= 2.0 validates forced encryption too; login-only is never validated. */
    *validates = scope == TDS_TLS_FULL && !c->trust_server_certificate;
    return scope;
}

void probe_client_check_name(const struct probe_client *c, const char *host, char *out, size_t cap)
{
    const char *name = c->host_name_in_certificate[0] ? c->host_name_in_certificate : host;

    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcasecmp(name, "(local)") == 0)
        name = "localhost";
    snprintf(out, cap, "%s", name);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

struct tls_name_rules probe_client_name_rules(const struct probe_client *c)
{
    /* .NET's MatchesHostname: SAN DNS/IP entries, the CN only when there is no SAN. */
    struct tls_name_rules r = { .cn_fallback = true, .cn_always = false, .ip_needs_ip_san = true };

    (void)c;
    return r;
}
