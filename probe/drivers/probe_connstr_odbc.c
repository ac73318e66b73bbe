/* probe/drivers/probe_connstr_odbc.c: ODBC connection strings (the SQLDriverConnect grammar),
 * read as ODBC Driver 17/18 for SQL Server reads them into the "odbc17" or "odbc18" driver. */
#include "probe/drivers/probe_connstr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "probe/drivers/probe_driver.h"

/* ---- ODBC (Driver 17/18 for SQL Server) ---- */

/* Secret keywords (the ODBC driver's "DSN and connection string keywords and attributes"):
 *   PWD             the password; also the client secret of
 *                   Authentication=ActiveDirectoryServicePrincipal
 *   KeystoreSecret  Always Encrypted's Azure Key Vault secret or client secret
 *   ClientCertificate, ClientKey
 *                   "file:<path>[,password:<password>]": only the password part is secret
 * KeystorePrincipalId and UID are identifiers, not secrets. */
static const struct cs_secret odbc_secrets[] = {
    { "pwd", CS_SECRET_WHOLE },
    { "keystoresecret", CS_SECRET_WHOLE },
    { "clientcertificate|clientkey", CS_SECRET_FILE_PASSWORD },
};

/* The key up to '=' or ';', trimmed. */
static const char *odbc_key(struct cs *c, size_t *pos)
{
    size_t from = *pos, to = from;

    while (c->text[to] != '\0' && c->text[to] != '=' && c->text[to] != ';') {
        to++;
    }
    *pos = to;
    return probe_cs_sb_trimmed(c, from, to);
}

/* {…} with "}}" as a literal '}' (ODBC SQLDriverConnect grammar); only blanks may follow. */
static int odbc_braced(struct cs *c, size_t *pos, const char *key, struct cs_pair *p)
{
    const char *s = c->text;
    size_t i = probe_cs_braced_value(c, *pos, &p->val);

    if (i == 0) {
        return probe_cs_fail(c, "%s: the value opens '{' but never closes it", key);
    }
    p->raw_to = i;
    while (probe_cs_is_ws((unsigned char)s[i])) {
        i++;
    }
    if (s[i] != ';' && s[i] != '\0') {
        return probe_cs_fail(c, "%s: unexpected '%c' after the closing '}'", key, s[i]);
    }
    *pos = i;
    return 0;
}

static int odbc_split(struct cs *c)
{
    const char *s = c->text;
    size_t pos = 0;

    for (;;) {
        struct cs_pair p = { 0 };

        while (s[pos] == ';' || probe_cs_is_ws((unsigned char)s[pos])) {
            pos++;
        }
        if (s[pos] == '\0') {
            return 0;
        }
        if (s[pos] == '=') {
            return probe_cs_fail(c, "a keyword is missing before '=' at index %zu", pos);
        }
        p.key = odbc_key(c, &pos);
        if (s[pos] == '=') {
            pos++;
            while (probe_cs_is_ws((unsigned char)s[pos])) {
                pos++;
            }
            p.raw_from = p.raw_to = pos;
            if (s[pos] == '{') {
                if (odbc_braced(c, &pos, p.key, &p)) {
                    return -1;
                }
            } else {
                size_t end = pos;

                while (s[end] != '\0' && s[end] != ';') {
                    end++;
                }
                p.val = probe_cs_sb_trimmed(c, pos, end);
                p.raw_to = pos + strlen(p.val);
                pos = end;
            }
        }
        if (probe_cs_add_pair(c, p.key, p.val, p.raw_from, p.raw_to)) {
            return -1;
        }
    }
}

enum odbc_field { OF_DRIVER, OF_SERVER, OF_ADDRESS, OF_ENCRYPT, OF_TRUST, OF_HNIC, OF_SCERT,
                  OF_DSN, OF_COUNT };

/* The keywords that matter; the driver manager passes others through and the driver ignores
 * what it does not know (SQLDriverConnect), so unknown keys are accepted. */
static const char *const odbc_fields[OF_COUNT] = {
    [OF_DRIVER] = "driver", [OF_SERVER] = "server", [OF_ADDRESS] = "address|addr",
    [OF_ENCRYPT] = "encrypt", [OF_TRUST] = "trustservercertificate",
    [OF_HNIC] = "hostnameincertificate", [OF_SCERT] = "servercertificate", [OF_DSN] = "dsn",
};

/* "ODBC Driver N for SQL Server": 18+ is ODBC 18, older ones ODBC 17 (same Encrypt=no default
 * and yes|no values as 17); any other driver name is taken as ODBC 18, the current driver.
 * Returns true for ODBC 18; label is the name the driver's errors carry. */
static bool odbc_driver(const char *name, char *label, size_t lcap)
{
    unsigned long v = 0;
    const char *p = name;

    snprintf(label, lcap, "ODBC Driver 18 for SQL Server");
    if (!probe_cs_starts_ci(p, "ODBC Driver ")) {
        return true;
    }
    for (p += 12; isdigit((unsigned char)*p) && v < 1000; p++) {
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v == 0 || !probe_cs_eq_ci(p, " for SQL Server")) {
        return true;
    }
    snprintf(label, lcap, "%s", name);
    return v >= 18;
}

/* Encrypt: 17 knows yes|no; 18 adds mandatory|optional|strict (the ODBC driver's DSN and
 * connection string keyword documentation). true|false are taken as yes|no: not verified
 * against the closed-source driver, which may reject them. */
static int odbc_encrypt(const char *v, bool v18, enum probe_encrypt *e)
{
    if (probe_cs_eq_ci(v, "yes") || probe_cs_eq_ci(v, "true") ||
        (v18 && probe_cs_eq_ci(v, "mandatory"))) {
        *e = PROBE_ENCRYPT_MANDATORY;
    } else if (probe_cs_eq_ci(v, "no") || probe_cs_eq_ci(v, "false") ||
               (v18 && probe_cs_eq_ci(v, "optional"))) {
        *e = PROBE_ENCRYPT_OPTIONAL;
    } else if (v18 && probe_cs_eq_ci(v, "strict")) {
        *e = PROBE_ENCRYPT_STRICT;
    } else {
        return -1;
    }
    return 0;
}

static int odbc_yesno(const char *v, bool *out)
{
    if (probe_cs_eq_ci(v, "yes") || probe_cs_eq_ci(v, "true")) {
        *out = true;
    } else if (probe_cs_eq_ci(v, "no") || probe_cs_eq_ci(v, "false")) {
        *out = false;
    } else {
        return -1;
    }
    return 0;
}

static int odbc_bad_value(struct cs *c, const char *label, const char *attr)
{
    return probe_cs_fail(c, "[Microsoft][%s]Invalid value specified for connection string "
                            "attribute '%s'", label, attr);
}

static int odbc_apply(struct cs *c, const char *const *val, const char *label, bool v18)
{
    struct probe_client *cl = &c->t->client;

    if (val[OF_ENCRYPT] && odbc_encrypt(val[OF_ENCRYPT], v18, &cl->encrypt)) {
        return odbc_bad_value(c, label, "Encrypt");
    }
    if (val[OF_TRUST] && odbc_yesno(val[OF_TRUST], &cl->trust_server_certificate)) {
        return odbc_bad_value(c, label, "TrustServerCertificate");
    }
    /* HostnameInCertificate (18.0) and ServerCertificate (18.1) are unknown to 17. */
    if (v18 && val[OF_HNIC] &&
        probe_cs_set_field(c, "HostnameInCertificate", cl->host_name_in_certificate,
                           sizeof(cl->host_name_in_certificate), val[OF_HNIC])) {
        return -1;
    }
    if (v18 && val[OF_SCERT] &&
        probe_cs_set_field(c, "ServerCertificate", cl->server_certificate,
                           sizeof(cl->server_certificate), val[OF_SCERT])) {
        return -1;
    }
    if (val[OF_ADDRESS]) { /* Address overrides Server */
        return probe_cs_parse_data_source(c, "Address", val[OF_ADDRESS]);
    }
    if (val[OF_SERVER]) {
        return probe_cs_parse_data_source(c, "Server", val[OF_SERVER]);
    }
    if (val[OF_DSN]) {
        return probe_cs_fail(c, "DSN: tdsprobe cannot read the data source's odbc.ini entry; add "
                                "Server=host[,port] to the string");
    }
    return probe_cs_set_host(c, "Server", "", 0);
}

/* Repeated keywords: the first occurrence counts (ODBC SQLDriverConnect). */
int probe_cs_parse_odbc(struct cs *c)
{
    const char *val[OF_COUNT] = { 0 };
    char label[64];

    c->secrets = odbc_secrets;
    c->n_secrets = ARRAY_LEN(odbc_secrets);
    if (odbc_split(c)) {
        return -1;
    }
    for (size_t i = 0; i < c->n_pairs; i++) {
        for (int f = 0; f < OF_COUNT; f++) {
            const char *v = c->pairs[i].val;

            if (!val[f] && v && v[0] && probe_cs_in_list_ci(c->pairs[i].key, odbc_fields[f])) {
                val[f] = v;
            }
        }
    }
    bool v18 = odbc_driver(val[OF_DRIVER] ? val[OF_DRIVER] : "", label, sizeof(label));
    const struct probe_driver *d = probe_driver_find(v18 ? "odbc18" : "odbc17");

    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "%s", d->name);
    c->t->client.encrypt = d->encrypt; /* 17 and older default to Encrypt=no */
    return odbc_apply(c, val, label, v18);
}
