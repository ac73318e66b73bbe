/* probe/drivers/probe_connstr_jdbc.c: the JDBC URL, read as mssql-jdbc reads it (Util.parseUrl,
 * SQLServerDriver.java) into the "jdbc" driver. */
#include "probe/drivers/probe_connstr_int.h"
#include "tls/tls_version.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ---- JDBC (microsoft/mssql-jdbc) ---- */

/* Secret properties: those mssql-jdbc keeps out of a DataSource's JNDI Reference
 * (SQLServerDataSource.SENSITIVE_REFERENCE_PROPERTIES: password, accessToken, keyStoreSecret,
 * keyVaultProviderClientKey, clientKeyPassword, AADSecurePrincipalSecret) and
 * trustStorePassword, which it strips on its own (names from SQLServerDriverStringProperty in
 * SQLServerDriver.java). Identifiers are not secrets: user, msiClientId,
 * keyVaultProviderClientId, keyStorePrincipalId, AADSecurePrincipalId; nor are file paths and
 * class names: clientKey, clientCertificate, keyStoreLocation, trustStore,
 * accessTokenCallbackClass. */
static const struct cs_secret jdbc_secrets[] = {
    { "password|trustStorePassword|clientKeyPassword", CS_SECRET_WHOLE },
    { "accessToken", CS_SECRET_WHOLE },
    { "keyStoreSecret|keyVaultProviderClientKey|AADSecurePrincipalSecret", CS_SECRET_WHOLE },
};

static int jdbc_bad(struct cs *c)
{
    return probe_cs_fail(c, "The connection string contains a badly formed name or value.");
}

/* {…} with "}}" as '}' (Util.parseUrl); only spaces may follow before ';'. */
static int jdbc_braced(struct cs *c, size_t *pos, struct cs_pair *p)
{
    const char *s = c->text;
    size_t i = probe_cs_braced_value(c, *pos, &p->val);

    if (i == 0) {
        return jdbc_bad(c);
    }
    p->raw_to = i;
    while (s[i] == ' ') {
        i++;
    }
    if (s[i] != ';' && s[i] != '\0') {
        return jdbc_bad(c);
    }
    *pos = s[i] == ';' ? i + 1 : i;
    return 0;
}

/* One property: the name (never escaped) up to '=', the value up to ';' or in braces
 * (Util.parseUrl states inName, inValue, inEscapedValueStart/End). Returns 1 at the end. */
static int jdbc_property(struct cs *c, size_t *pos)
{
    const char *s = c->text;
    size_t i = *pos, from = i, v;
    struct cs_pair p = { 0 };

    while (s[i] != '\0' && s[i] != '=' && s[i] != ';') {
        i++;
    }
    p.key = probe_cs_sb_trimmed(c, from, i);
    if (s[i] != '=') {
        if (p.key[0] != '\0') {
            return jdbc_bad(c); /* a name without '=' */
        }
        *pos = s[i] == ';' ? i + 1 : i;
        return s[i] == '\0' ? 1 : 0;
    }
    if (p.key[0] == '\0') {
        return jdbc_bad(c);
    }
    for (v = ++i; s[i] != '\0' && s[i] != ';' && s[i] != '{'; i++) {
        continue;
    }
    while (probe_cs_is_ws((unsigned char)s[v]) && v < i) {
        v++;
    }
    p.raw_from = v;
    if (s[i] == '{') {
        if (v != i) {
            return jdbc_bad(c); /* text before '{' */
        }
        if (jdbc_braced(c, &i, &p)) {
            return -1;
        }
    } else {
        p.val = probe_cs_sb_trimmed(c, v, i);
        p.raw_to = v + strlen(p.val);
        i = s[i] == ';' ? i + 1 : i;
    }
    *pos = i;
    return probe_cs_add_pair(c, p.key, p.val, p.raw_from, p.raw_to);
}

/* host[\instance][:port] before the first ';'; they become serverName, instanceName and
 * portNumber properties, so a later property of the same name overrides them, as in
 * Util.parseUrl. "[v6]" is accepted as the host (an extension). */
static int jdbc_authority(struct cs *c, size_t *pos)
{
    const char *s = c->text;
    size_t i = *pos, from = i;

    if (s[i] == '[' && strchr(s + i, ']')) {
        i = (size_t)(strchr(s + i, ']') - s) + 1;
    }
    while (s[i] != '\0' && s[i] != ';' && s[i] != ':' && s[i] != '\\') {
        i++;
    }
    if (i > from && probe_cs_add_pair(c, "serverName", probe_cs_sb_trimmed(c, from, i), from, i)) {
        return -1;
    }
    if (s[i] == '\\') {
        from = ++i;
        while (s[i] != '\0' && s[i] != ';' && s[i] != ':') {
            i++;
        }
        if (probe_cs_add_pair(c, "instanceName", probe_cs_sb_trimmed(c, from, i), from, i)) {
            return -1;
        }
    }
    if (s[i] == ':') {
        from = ++i;
        while (s[i] != '\0' && s[i] != ';') {
            i++;
        }
        if (probe_cs_add_pair(c, "portNumber", probe_cs_sb_trimmed(c, from, i), from, i)) {
            return -1;
        }
    }
    *pos = s[i] == ';' ? i + 1 : i;
    return 0;
}

enum jdbc_field { JF_SERVER, JF_PORT, JF_INSTANCE, JF_ENCRYPT, JF_TRUST, JF_HNIC, JF_SCERT,
                  JF_TRUSTSTORE, JF_SSLPROTOCOL, JF_COUNT };

/* Property names (SQLServerDriver.java, with the synonyms server, port). Unknown properties
 * are ignored by the driver. */
static const char *const jdbc_fields[JF_COUNT] = {
    [JF_SERVER] = "servername|server", [JF_PORT] = "portnumber|port",
    [JF_INSTANCE] = "instancename", [JF_ENCRYPT] = "encrypt",
    [JF_TRUST] = "trustservercertificate", [JF_HNIC] = "hostnameincertificate",
    [JF_SCERT] = "servercertificate", [JF_TRUSTSTORE] = "truststore",
    [JF_SSLPROTOCOL] = "sslprotocol",
};

/* Boolean properties also checked, with the spelling R_invalidBooleanValue quotes. */
static const char *const jdbc_bools[] = {
    "integratedSecurity", "multiSubnetFailover", "fips", "sendStringParametersAsUnicode",
    "serverNameAsACE", "transparentNetworkIPResolution", "lastUpdateCount", "xopenStates",
    "replication", "sendTimeAsDatetime", "disableStatementPooling", "useBulkCopyForBatchInsert",
};

static int jdbc_bool(struct cs *c, const char *name, const char *v, bool *out)
{
    if (probe_cs_eq_ci(v, "true")) {
        *out = true;
    } else if (probe_cs_eq_ci(v, "false")) {
        *out = false;
    } else {
        return probe_cs_fail(c, "The property %s does not contain a valid boolean value. Only "
                                "true or false can be used.", name);
    }
    return 0;
}

/* EncryptOption.valueOfString: false|no|optional, true|mandatory, strict; not "yes". */
static int jdbc_encrypt(struct cs *c, const char *v)
{
    enum probe_encrypt *e = &c->t->client.encrypt;

    if (probe_cs_eq_ci(v, "false") || probe_cs_eq_ci(v, "no") || probe_cs_eq_ci(v, "optional")) {
        *e = PROBE_ENCRYPT_OPTIONAL;
    } else if (probe_cs_eq_ci(v, "true") || probe_cs_eq_ci(v, "mandatory")) {
        *e = PROBE_ENCRYPT_MANDATORY;
    } else if (probe_cs_eq_ci(v, "strict")) {
        *e = PROBE_ENCRYPT_STRICT;
    } else {
        return probe_cs_fail(c, "The EncryptOption value \"%s\" is not valid.", v);
    }
    return 0;
}

/* sslProtocol names an SSLContext: TLSv1.x offers that version and older ones; TLS keeps the
 * JDK defaults (the profile's range). */
static int jdbc_sslprotocol(struct cs *c, const char *v)
{
    static const struct { const char *name; int min, max; } map[] = {
        { "TLSv1", TLS_V10, TLS_V10 }, { "TLSv1.1", TLS_V10, TLS_V11 },
        { "TLSv1.2", TLS_V10, TLS_V12 }, { "TLSv1.3", TLS_V12, TLS_V13 },
    };

    if (probe_cs_eq_ci(v, "TLS")) {
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(map); i++) {
        if (probe_cs_eq_ci(v, map[i].name)) {
            c->t->client.tls_min = map[i].min;
            c->t->client.tls_max = map[i].max;
            c->t->client.tls_named = PROBE_TLS_NAMED_MIN | PROBE_TLS_NAMED_MAX;
            return 0;
        }
    }
    return probe_cs_fail(c, "SSL Protocol %s label is not valid. Only TLS, TLSv1, TLSv1.1, and "
                            "TLSv1.2 are supported.", v);
}

static int jdbc_port(struct cs *c, const char *v)
{
    if (v[0] == '\0') {
        return 0;
    }
    if (strcmp(v, "0") == 0) {
        return 0; /* 0 = the default port */
    }
    if (!probe_cs_parse_port(v, strlen(v), &c->t->port)) {
        return probe_cs_fail(c, "The port number %s is not valid.", v);
    }
    return 0;
}

/* serverName may carry "\\instance" itself; an instanceName property wins over it. */
static int jdbc_server(struct cs *c, const char *server, bool have_instance)
{
    const char *bs = strchr(server, '\\');
    char *inst = c->t->instance;

    if (bs && !have_instance) {
        if (probe_cs_set_field(c, "serverName", inst, sizeof(c->t->instance), bs + 1)) {
            return -1;
        }
        for (char *p = inst; *p; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
    }
    return probe_cs_set_host(c, "serverName", server, bs ? (size_t)(bs - server) : strlen(server));
}

static int jdbc_apply(struct cs *c, const char *const *val)
{
    struct probe_client *cl = &c->t->client;
    char *inst = c->t->instance;

    if (val[JF_ENCRYPT] && jdbc_encrypt(c, val[JF_ENCRYPT])) {
        return -1;
    }
    if (val[JF_TRUST] &&
        jdbc_bool(c, "trustServerCertificate", val[JF_TRUST], &cl->trust_server_certificate)) {
        return -1;
    }
    if (val[JF_SSLPROTOCOL] && jdbc_sslprotocol(c, val[JF_SSLPROTOCOL])) {
        return -1;
    }
    if (val[JF_PORT] && jdbc_port(c, val[JF_PORT])) {
        return -1;
    }
    if (val[JF_HNIC] && probe_cs_set_field(c, "hostNameInCertificate", cl->host_name_in_certificate,
                                           sizeof(cl->host_name_in_certificate), val[JF_HNIC])) {
        return -1;
    }
    /* serverCertificate is read only under encrypt=strict; kept so the report can say so. */
    if (val[JF_SCERT] && probe_cs_set_field(c, "serverCertificate", cl->server_certificate,
                                            sizeof(cl->server_certificate), val[JF_SCERT])) {
        return -1;
    }
    if (val[JF_TRUSTSTORE] &&
        probe_cs_set_field(c, "trustStore", cl->ca_file, sizeof(cl->ca_file), val[JF_TRUSTSTORE])) {
        return -1;
    }
    if (val[JF_INSTANCE] &&
        probe_cs_set_field(c, "instanceName", inst, sizeof(c->t->instance), val[JF_INSTANCE])) {
        return -1;
    }
    for (char *p = inst; *p; p++) { /* the driver lower-cases the instance name */
        *p = (char)tolower((unsigned char)*p);
    }
    return jdbc_server(c, val[JF_SERVER] ? val[JF_SERVER] : "", val[JF_INSTANCE] != NULL);
}

/* Later properties win (Properties.put); only the winners are converted. */
static int jdbc_collect(struct cs *c)
{
    const char *val[JF_COUNT] = { 0 };
    bool b;

    for (size_t i = 0; i < c->n_pairs; i++) {
        const struct cs_pair *p = &c->pairs[i];

        for (int f = 0; f < JF_COUNT; f++) {
            if (p->val && probe_cs_in_list_ci(p->key, jdbc_fields[f])) {
                val[f] = p->val;
            }
        }
    }
    for (size_t k = 0; k < ARRAY_LEN(jdbc_bools); k++) {
        const char *v = NULL;

        for (size_t i = 0; i < c->n_pairs; i++) {
            if (c->pairs[i].val && probe_cs_eq_ci(c->pairs[i].key, jdbc_bools[k])) {
                v = c->pairs[i].val;
            }
        }
        if (v && jdbc_bool(c, jdbc_bools[k], v, &b)) {
            return -1;
        }
    }
    return jdbc_apply(c, val);
}

int probe_cs_parse_jdbc(struct cs *c)
{
    static const char prefix[] = "jdbc:sqlserver://";
    size_t pos = 0;
    int rc;

    c->secrets = jdbc_secrets;
    c->n_secrets = ARRAY_LEN(jdbc_secrets);
    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "jdbc");
    while (probe_cs_is_ws((unsigned char)c->text[pos])) {
        pos++;
    }
    if (strncmp(c->text + pos, prefix, sizeof(prefix) - 1) != 0) {
        return probe_cs_fail(c, "No suitable driver: the URL must start with \"%s\" in lower case",
                                prefix);
    }
    pos += sizeof(prefix) - 1;
    if (jdbc_authority(c, &pos)) {
        return -1;
    }
    while ((rc = jdbc_property(c, &pos)) == 0) {
        continue;
    }
    return rc < 0 ? -1 : jdbc_collect(c);
}
