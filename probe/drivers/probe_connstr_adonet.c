/* probe/drivers/probe_connstr_adonet.c: ADO.NET connection strings, read as
 * Microsoft.Data.SqlClient reads them (DbConnectionOptions GetKeyValuePair) into the
 * "sqlclient" driver. */
#include "probe/drivers/probe_connstr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- ADO.NET (Microsoft.Data.SqlClient) ---- */

enum kw_type {
    KW_STRING, KW_BOOL, KW_INT, KW_SECURITY, KW_SERVER, KW_ENCRYPT, KW_TRUST, KW_HNIC,
    KW_SERVER_CERT,
};

/* SqlClient's keywords with their synonyms (DbConnectionStringKeywords.cs and
 * DbConnectionStringSynonyms.cs). Spellings are exact: inner spaces are significant, so
 * "Trust ServerCertificate" is not a keyword. */
struct ado_kw {
    const char *name;     /* canonical: SqlClient's errors quote it */
    const char *synonyms; /* '|'-separated, compared case-insensitively */
    enum kw_type type;
};

static const struct ado_kw ado_keywords[] = {
    { "Data Source", "server|address|addr|network address", KW_SERVER },
    { "Encrypt", "", KW_ENCRYPT },
    { "Trust Server Certificate", "trustservercertificate", KW_TRUST },
    { "Host Name In Certificate", "hostnameincertificate", KW_HNIC },
    { "Server Certificate", "servercertificate", KW_SERVER_CERT },
    { "Password", "pwd", KW_STRING },
    { "User ID", "uid|user", KW_STRING },
    { "Initial Catalog", "database", KW_STRING },
    { "Integrated Security", "trusted_connection", KW_SECURITY },
    { "Connect Timeout", "connection timeout|connecttimeout|timeout", KW_INT },
    { "Command Timeout", "", KW_INT },
    { "Application Name", "app", KW_STRING },
    { "Application Intent", "applicationintent", KW_STRING },
    { "Multiple Active Result Sets", "multipleactiveresultsets", KW_BOOL },
    { "Multi Subnet Failover", "multisubnetfailover", KW_BOOL },
    { "Pooling", "", KW_BOOL },
    { "Max Pool Size", "", KW_INT },
    { "Min Pool Size", "", KW_INT },
    { "Load Balance Timeout", "connection lifetime", KW_INT },
    { "Pool Blocking Period", "poolblockingperiod", KW_STRING },
    { "Failover Partner", "failoverpartner", KW_STRING },
    { "Failover Partner SPN", "failoverpartnerspn", KW_STRING },
    { "Server SPN", "serverspn", KW_STRING },
    { "Authentication", "", KW_STRING },
    { "Column Encryption Setting", "", KW_STRING },
    { "Attestation Protocol", "", KW_STRING },
    { "Enclave Attestation Url", "", KW_STRING },
    { "IP Address Preference", "ipaddresspreference", KW_STRING },
    { "Packet Size", "packetsize", KW_INT },
    { "Workstation ID", "wsid|workstationid", KW_STRING },
    { "Persist Security Info", "persistsecurityinfo", KW_BOOL },
    { "Connect Retry Count", "connectretrycount", KW_INT },
    { "Connect Retry Interval", "connectretryinterval", KW_INT },
    { "Current Language", "language", KW_STRING },
    { "AttachDbFilename", "extended properties|initial file name", KW_STRING },
    { "Enlist", "", KW_BOOL },
    { "Replication", "", KW_BOOL },
    { "Transparent Network IP Resolution", "transparentnetworkipresolution", KW_BOOL },
    { "Type System Version", "", KW_STRING },
    { "User Instance", "", KW_BOOL },
    { "Transaction Binding", "", KW_STRING },
    { "Context Connection", "", KW_BOOL },
    { "Connection Reset", "", KW_BOOL },
    { "Network Library", "net|network", KW_STRING },
};

/* Secret keywords: Password and its synonym PWD (DbConnectionStringKeywords.Password,
 * DbConnectionStringSynonyms.Pwd), the only keywords SqlClient hides when it gives the string
 * back without Persist Security Info (DbConnectionOptions.UsersConnectionString). Service
 * principal and Entra password authentication carry their secret in Password too; any other
 * keyword is rejected above, so nothing else can hold one. */
static const struct cs_secret ado_secrets[] = {
    { "password|pwd", CS_SECRET_WHOLE },
};

static const struct ado_kw *ado_lookup(const char *key)
{
    for (size_t i = 0; i < ARRAY_LEN(ado_keywords); i++) {
        if (probe_cs_eq_ci(key, ado_keywords[i].name) ||
            probe_cs_in_list_ci(key, ado_keywords[i].synonyms)) {
            return &ado_keywords[i];
        }
    }
    return NULL;
}

static bool ado_ctl(unsigned char ch)
{
    return (ch < 0x20 || ch == 0x7f) && !probe_cs_is_ws(ch);
}

static int ado_syntax(struct cs *c, size_t at)
{
    /* Byte offsets; SqlClient counts UTF-16 units, the same for ASCII strings. */
    return probe_cs_fail(c, "Format of the initialization string does not conform to "
                            "specification starting at index %zu.", at);
}

/* The key up to a single '=' ("==" is a literal '='), lower-cased, trailing blanks trimmed
 * (SqlConnectionOptions GetKeyValuePair, states Key and KeyEqual). */
static int ado_key(struct cs *c, size_t *pos, size_t start, const char **key)
{
    const char *s = c->text;
    char *k = probe_cs_sb_begin(c);
    size_t i = *pos;

    for (;;) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '\0' || ado_ctl(ch)) {
            return ado_syntax(c, start);
        }
        if (ch == '=' && s[i + 1] == '=') {
            probe_cs_sb_putc(c, '=');
            i += 2;
            continue;
        }
        if (ch == '=') {
            break;
        }
        probe_cs_sb_putc(c, (char)tolower(ch));
        i++;
    }
    while (c->buf + c->used > k && probe_cs_is_ws((unsigned char)c->buf[c->used - 1])) {
        c->used--;
    }
    if (c->buf + c->used == k) {
        return ado_syntax(c, start);
    }
    *key = probe_cs_sb_end(c, k);
    *pos = i + 1;
    return 0;
}

/* '…' or "…": a doubled quote is a literal quote; after the closing quote only blanks may
 * come before ';'. */
static int ado_quoted(struct cs *c, size_t *pos, size_t start, struct cs_pair *p)
{
    const char *s = c->text;
    char q = s[*pos], *v = probe_cs_sb_begin(c);
    size_t i = *pos + 1;

    for (;;) {
        if (s[i] == '\0') {
            return ado_syntax(c, start);
        }
        if (s[i] == q && s[i + 1] == q) {
            probe_cs_sb_putc(c, q);
            i += 2;
        } else if (s[i] == q) {
            break;
        } else {
            probe_cs_sb_putc(c, s[i++]);
        }
    }
    p->val = probe_cs_sb_end(c, v);
    p->raw_to = ++i;
    while (probe_cs_is_ws((unsigned char)s[i])) {
        i++;
    }
    if (s[i] != ';' && s[i] != '\0') {
        return ado_syntax(c, start);
    }
    *pos = s[i] == ';' ? i + 1 : i;
    return 0;
}

/* Unquoted values end at ';' or a control character, are trimmed, and must not end in a
 * quote; an empty value is "no value". */
static int ado_value(struct cs *c, size_t *pos, size_t start, struct cs_pair *p)
{
    const char *s = c->text;
    size_t i = *pos, j;

    while (probe_cs_is_ws((unsigned char)s[i])) {
        i++;
    }
    p->raw_from = p->raw_to = i;
    p->val = NULL;
    if (s[i] == '\'' || s[i] == '"') {
        *pos = i;
        return ado_quoted(c, pos, start, p);
    }
    if (s[i] == ';' || s[i] == '\0') {
        *pos = s[i] == ';' ? i + 1 : i;
        return 0;
    }
    if (ado_ctl((unsigned char)s[i])) {
        return ado_syntax(c, start);
    }
    for (j = i; s[j] != '\0' && s[j] != ';' && !ado_ctl((unsigned char)s[j]); j++) {
        continue;
    }
    *pos = s[j] == ';' ? j + 1 : j;
    while (j > i && probe_cs_is_ws((unsigned char)s[j - 1])) {
        j--;
    }
    if (s[j - 1] == '\'' || s[j - 1] == '"') {
        return ado_syntax(c, start);
    }
    p->raw_to = j;
    p->val = probe_cs_sb_trimmed(c, i, j);
    return 0;
}

/* Splits the string; an unknown keyword fails at once, as SqlClient does while parsing. */
static int ado_split(struct cs *c)
{
    size_t pos = 0;

    for (;;) {
        size_t call = pos, start;
        struct cs_pair p = { 0 };

        while (c->text[pos] == ';' || probe_cs_is_ws((unsigned char)c->text[pos])) {
            pos++;
        }
        if (c->text[pos] == '\0') {
            return 0;
        }
        if (ado_ctl((unsigned char)c->text[pos])) {
            return ado_syntax(c, call);
        }
        start = pos;
        if (ado_key(c, &pos, start, &p.key) || ado_value(c, &pos, start, &p)) {
            return -1;
        }
        if (!ado_lookup(p.key)) {
            return probe_cs_fail(c, "Keyword not supported: '%s'.", p.key);
        }
        if (probe_cs_add_pair(c, p.key, p.val, p.raw_from, p.raw_to)) {
            return -1;
        }
    }
}

/* SqlClient trims and compares case-insensitively (ConvertValueToBooleanInternal). */
static bool trimmed_eq(const char *v, const char *word)
{
    size_t n = strlen(word);

    while (probe_cs_is_ws((unsigned char)*v)) {
        v++;
    }
    if (strncasecmp(v, word, n) != 0) {
        return false;
    }
    for (v += n; *v; v++) {
        if (!probe_cs_is_ws((unsigned char)*v)) {
            return false;
        }
    }
    return true;
}

static int ado_bool(const char *v, bool *out)
{
    if (trimmed_eq(v, "true") || trimmed_eq(v, "yes")) {
        *out = true;
    } else if (trimmed_eq(v, "false") || trimmed_eq(v, "no")) {
        *out = false;
    } else {
        return -1;
    }
    return 0;
}

/* int.Parse with NumberStyles.Integer: blanks, an optional sign, digits, within int32. */
static bool ado_int(const char *v)
{
    long long n = 0;
    size_t digits = 0;

    while (probe_cs_is_ws((unsigned char)*v)) {
        v++;
    }
    bool neg = *v == '-';
    if (*v == '-' || *v == '+') {
        v++;
    }
    for (; isdigit((unsigned char)*v) && n <= 2147483648LL; v++, digits++) {
        n = n * 10 + (*v - '0');
    }
    while (probe_cs_is_ws((unsigned char)*v)) {
        v++;
    }
    return digits > 0 && *v == '\0' && n <= (neg ? 2147483648LL : 2147483647LL);
}

/* SqlConnectionEncryptOption: true|yes|mandatory, false|no|optional, strict. */
static int ado_encrypt(const char *v, enum probe_encrypt *e)
{
    static const struct { const char *word; enum probe_encrypt e; } map[] = {
        { "true", PROBE_ENCRYPT_MANDATORY }, { "yes", PROBE_ENCRYPT_MANDATORY },
        { "mandatory", PROBE_ENCRYPT_MANDATORY }, { "false", PROBE_ENCRYPT_OPTIONAL },
        { "no", PROBE_ENCRYPT_OPTIONAL }, { "optional", PROBE_ENCRYPT_OPTIONAL },
        { "strict", PROBE_ENCRYPT_STRICT },
    };

    for (size_t i = 0; i < ARRAY_LEN(map); i++) {
        if (trimmed_eq(v, map[i].word)) {
            *e = map[i].e;
            return 0;
        }
    }
    return -1;
}

static int ado_apply_one(struct cs *c, const struct ado_kw *kw, const char *v)
{
    struct probe_client *cl = &c->t->client;
    bool b;

    switch (kw->type) {
    case KW_SERVER:
        return probe_cs_parse_data_source(c, kw->name, v);
    case KW_ENCRYPT:
        return ado_encrypt(v, &cl->encrypt) ? -2 : 0;
    case KW_TRUST:
        return ado_bool(v, &cl->trust_server_certificate) ? -2 : 0;
    case KW_BOOL:
        return ado_bool(v, &b) ? -2 : 0;
    case KW_SECURITY:
        return trimmed_eq(v, "sspi") || ado_bool(v, &b) == 0 ? 0 : -2;
    case KW_INT:
        return ado_int(v) ? 0 : -2;
    case KW_HNIC:
        return probe_cs_set_field(c, kw->name, cl->host_name_in_certificate,
                         sizeof(cl->host_name_in_certificate), v);
    case KW_SERVER_CERT:
        return probe_cs_set_field(c, kw->name, cl->server_certificate,
                                  sizeof(cl->server_certificate), v);
    case KW_STRING:
        return 0;
    }
    return 0;
}

/* The last duplicate wins (it overwrites the parse table); only the winning value is
 * converted, so an earlier bad value is never reported. */
int probe_cs_parse_adonet(struct cs *c)
{
    size_t last[ARRAY_LEN(ado_keywords)];

    c->secrets = ado_secrets;
    c->n_secrets = ARRAY_LEN(ado_secrets);
    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "sqlclient");
    if (ado_split(c)) {
        return -1;
    }
    for (size_t i = 0; i < ARRAY_LEN(last); i++) {
        last[i] = NOT_SET;
    }
    for (size_t i = 0; i < c->n_pairs; i++) {
        last[ado_lookup(c->pairs[i].key) - ado_keywords] = i;
    }
    for (size_t k = 0; k < ARRAY_LEN(last); k++) {
        const char *v = last[k] == NOT_SET ? NULL : c->pairs[last[k]].val;
        int rc;

        if (v == NULL) { /* absent, or "Key=;" with no value: the default stands */
            continue;
        }
        rc = ado_apply_one(c, &ado_keywords[k], v);
        if (rc == -2) { /* the value does not convert */
            return probe_cs_fail(c, "Invalid value for key '%s'.", ado_keywords[k].name);
        }
        if (rc) {
            return -1;
        }
    }
    return c->t->host[0] ? 0 : probe_cs_set_host(c, "Data Source", "", 0);
}
