/* probe/drivers/probe_client.c: driver profiles (notes/clients.md §2.1-§3): the PRELOGIN ENCRYPTION
 * byte each driver sends, what it does with the server's answer (decision table §2.3), whether
 * it validates the certificate, which name it checks and how, and its TLS version range. */
#include "probe/drivers/probe_client.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum family { FAM_SQLCLIENT, FAM_SQLCLIENT_LEGACY, FAM_ODBC18, FAM_ODBC17, FAM_JDBC, FAM_GO,
              FAM_TEDIOUS, FAM_FREETDS };

struct driver {
    const char *name;
    enum family fam;
    enum probe_encrypt encrypt; /* default Encrypt */
    bool trust;                 /* default TrustServerCertificate */
    int tls_min, tls_max;       /* what the driver's TLS stack offers by default */
    struct tls_name_rules names;
    const char *what;           /* for --help and reports */
};

/* TLS minimums: OpenSSL 3 (ODBC on Linux, FreeTDS), JDK 17, Go and Node disable TLS 1.0/1.1 by
 * default; SqlClient on Windows follows Schannel, which still offers 1.0-1.2. */
static const struct driver drivers[] = {
    { "sqlclient", FAM_SQLCLIENT, PROBE_ENCRYPT_MANDATORY, false, TLS_V10, TLS_V12,
      { .cn_fallback = true, .ip_needs_ip_san = true },
      "Microsoft.Data.SqlClient 4.0+ (.NET): Encrypt=Mandatory by default" },
    { "sqlclient-legacy", FAM_SQLCLIENT_LEGACY, PROBE_ENCRYPT_OPTIONAL, false, TLS_V10, TLS_V12,
      { .cn_fallback = true, .ip_needs_ip_san = true },
      "Microsoft.Data.SqlClient 2.x-3.x: Encrypt=False by default; forced encryption is "
      "validated" },
    { "odbc18", FAM_ODBC18, PROBE_ENCRYPT_MANDATORY, false, TLS_V12, TLS_V12,
      { .cn_fallback = true, .ip_needs_ip_san = true },
      "ODBC Driver 18 for SQL Server (Linux, OpenSSL 3): Encrypt=yes by default" },
    { "odbc17", FAM_ODBC17, PROBE_ENCRYPT_OPTIONAL, false, TLS_V10, TLS_V12,
      { .cn_fallback = true, .ip_needs_ip_san = true },
      "ODBC Driver 17 for SQL Server: Encrypt=no by default" },
    { "jdbc", FAM_JDBC, PROBE_ENCRYPT_MANDATORY, false, TLS_V12, TLS_V12,
      { .cn_fallback = true, .cn_always = true, .ip_needs_ip_san = false },
      "Microsoft JDBC Driver 10.2+ (JDK 17): encrypt=true by default" },
    { "go-mssqldb", FAM_GO, PROBE_ENCRYPT_OPTIONAL, true, TLS_V12, TLS_V12,
      { .cn_fallback = false, .ip_needs_ip_san = true },
      "go-mssqldb: no encrypt key = login-only TLS and TrustServerCertificate=true" },
    { "tedious", FAM_TEDIOUS, PROBE_ENCRYPT_MANDATORY, false, TLS_V12, TLS_V12,
      { .cn_fallback = true, .ip_needs_ip_san = true },
      "tedious (Node.js): encrypt=true by default; encrypt=false sends no TLS at all" },
    /* Debian's FreeTDS uses GnuTLS and its "enable tls v1" defaults to yes: tsql 1.3.17 logs in
     * over TLS 1.0 and 1.1 (agreement test), unlike OpenSSL 3 builds. */
    { "freetds", FAM_FREETDS, PROBE_ENCRYPT_OPTIONAL, false, TLS_V10, TLS_V12,
      { .cn_fallback = true, .ip_needs_ip_san = true },
      "FreeTDS (GnuTLS build): encryption = request by default; validates only with a CA "
      "file" },
};

static const struct driver *find(const char *name)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (strcasecmp(drivers[i].name, name) == 0)
            return &drivers[i];
    }
    return &drivers[0];
}

void probe_client_default(struct probe_client *c)
{
    memset(c, 0, sizeof(*c));
    probe_client_set_driver(c, "sqlclient");
    c->handshake = TLS_HANDSHAKE_FULL;
}

int probe_client_set_driver(struct probe_client *c, const char *name)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        const struct driver *d = &drivers[i];
        if (strcasecmp(d->name, name) != 0)
            continue;
        snprintf(c->driver, sizeof(c->driver), "%s", d->name);
        c->encrypt = d->encrypt;
        c->trust_server_certificate = d->trust;
        c->tls_min = d->tls_min;
        c->tls_max = d->tls_max; /* TDS 7.x carries at most TLS 1.2 (MS-TDS 2.1) */
        c->encrypt_disable = false;
        return 0;
    }
    return -1;
}

void probe_client_driver_tls(const struct probe_client *c, int *min, int *max)
{
    const struct driver *d = find(c->driver);

    *min = d->tls_min;
    *max = d->tls_max;
}

const char *probe_client_driver_list(void)
{
    return "sqlclient, sqlclient-legacy, odbc18, odbc17, jdbc, go-mssqldb, tedious, freetds";
}

const char *probe_client_driver_what(const char *name)
{
    return find(name)->what;
}

/* NOT_SUP means "no TLS at all": go-mssqldb encrypt=disable, tedious encrypt=false,
 * FreeTDS encryption = off. */
static bool sends_not_sup(const struct probe_client *c, enum family f)
{
    return c->encrypt_disable || (f == FAM_TEDIOUS && c->encrypt == PROBE_ENCRYPT_OPTIONAL);
}

uint8_t probe_client_encryption_byte(const struct probe_client *c)
{
    enum family f = find(c->driver)->fam;

    /* Strict sends PRELOGIN inside TLS, where SqlClient puts NOT_SUP (notes/clients.md §0). */
    if (c->encrypt == PROBE_ENCRYPT_STRICT || sends_not_sup(c, f))
        return TDS_ENC_NOT_SUP;
    return c->encrypt == PROBE_ENCRYPT_OPTIONAL ? TDS_ENC_OFF : TDS_ENC_ON;
}

/* The TLS scope for a client that sent OFF or ON (not NOT_SUP). */
static enum tds_tls_scope scope_sent_off_on(enum family f, uint8_t sent, uint8_t r)
{
    /* tedious starts TLS only on ON or REQ. Against OFF it goes on in cleartext. Against
     * NOT_SUP it sends LOGIN7 in cleartext too, but a server that cannot encrypt ends a
     * connection whose client asked for ON (MS-TDS table), so it fails: "Connection lost -
     * socket hang up" (tedious 19.2 against fakesql; notes/clients.md §2.3 note 3 said no
     * error). */
    if (f == FAM_TEDIOUS && r == TDS_ENC_OFF)
        return TDS_TLS_NONE;
    if (r == TDS_ENC_NOT_SUP)
        return sent == TDS_ENC_OFF ? TDS_TLS_NONE : TDS_TLS_TERMINATE;
    if (r == TDS_ENC_OFF && sent == TDS_ENC_OFF)
        return TDS_TLS_LOGIN_ONLY;
    if (r == TDS_ENC_OFF && sent == TDS_ENC_ON) {
        /* SqlClient keeps ON and encrypts everything; JDBC and go-mssqldb fail; tedious only
         * starts TLS on ON/REQ, so it goes on in cleartext (notes/clients.md §2.3 note 0). */
        if (f == FAM_JDBC || f == FAM_GO)
            return TDS_TLS_TERMINATE;
        if (f == FAM_TEDIOUS)
            return TDS_TLS_NONE;
    }
    return TDS_TLS_FULL;
}

/* Does this driver validate in this scope? notes/clients.md §2.3. */
static bool validates(const struct probe_client *c, enum family f, enum tds_tls_scope s,
                      uint8_t r)
{
    if (c->trust_server_certificate || s == TDS_TLS_NONE || s == TDS_TLS_TERMINATE)
        return false;
    if (f == FAM_FREETDS)
        return c->ca_file[0] != '\0'; /* FreeTDS validates only with a "ca file" */
    if (s == TDS_TLS_LOGIN_ONLY)
        return f == FAM_GO; /* go-mssqldb validates login-only TLS unless trust is set */
    bool forced = r == TDS_ENC_REQ && c->encrypt == PROBE_ENCRYPT_OPTIONAL;
    /* ODBC 17 never validates forced encryption when Encrypt=no; MDS 2.0+ (PR #391) and
     * ODBC 18 do. (System.Data.SqlClient and MDS 1.x did not: not modelled.) */
    if (forced && f == FAM_ODBC17)
        return false;
    return true;
}

enum tds_tls_scope probe_client_scope(const struct probe_client *c, uint8_t reply, bool *valid)
{
    enum family f = find(c->driver)->fam;
    uint8_t sent = probe_client_encryption_byte(c);
    uint8_t r = reply & TDS_ENC_MASK;
    enum tds_tls_scope scope;

    if (c->encrypt == PROBE_ENCRYPT_STRICT) {
        *valid = true; /* strict ignores TrustServerCertificate */
        return TDS_TLS_FULL;
    }
    if (sent == TDS_ENC_NOT_SUP) {
        /* A forcing server answers REQ and closes (MS-TDS 2.2.6.5: "REQ (terminated)"):
         * tedious reports EENCRYPT; go-mssqldb and FreeTDS start TLS on a closed connection
         * and fail (tsql: "Unexpected EOF from the server", agreement test) - either way the
         * client cannot connect. */
        scope = r == TDS_ENC_REQ ? TDS_TLS_TERMINATE : TDS_TLS_NONE;
    } else {
        scope = scope_sent_off_on(f, sent, r);
    }
    *valid = validates(c, f, scope, r);
    return scope;
}

void probe_client_check_name(const struct probe_client *c, const char *host, char *out, size_t cap)
{
    const char *name = c->host_name_in_certificate[0] ? c->host_name_in_certificate : host;
    enum family f = find(c->driver)->fam;

    /* ODBC 17 has no HostNameInCertificate keyword. */
    if (f == FAM_ODBC17)
        name = host;
    /* Managed SqlClient and go-mssqldb check ".", "(local)" and "" as "localhost"; JDBC keeps
     * the literal server name. */
    if (f != FAM_JDBC &&
        (name[0] == '\0' || strcmp(name, ".") == 0 || strcasecmp(name, "(local)") == 0))
        name = "localhost";
    snprintf(out, cap, "%s", name);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

const char *probe_client_alt_name(const struct probe_client *c, const char *host)
{
    /* ODBC 18: the certificate may match either the server name or HostnameInCertificate. */
    if (find(c->driver)->fam == FAM_ODBC18 && c->host_name_in_certificate[0])
        return host;
    return NULL;
}

struct tls_name_rules probe_client_name_rules(const struct probe_client *c)
{
    return find(c->driver)->names;
}
