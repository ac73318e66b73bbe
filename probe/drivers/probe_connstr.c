/* probe/drivers/probe_connstr.c: connection strings, split and judged the way each driver does it
 * (notes/clients.md §1), into a target plus the client profile that driver would use (§2.1).
 *
 * Every syntax is split into (key, value) pairs first, then the pairs are applied through a
 * per-driver keyword table. Keys and decoded values live in one buffer inside struct cs, so
 * nothing is allocated. Password values are never copied into the target: their spans in the
 * original text are recorded and replaced by "***" when t->text is written. */
#include "probe/drivers/probe_connstr.h"
#include "probe/drivers/probe_target.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe/drivers/probe_client.h"

#define CS_MAX_PAIRS 256
#define CS_MAX_MASKS 32
#define CS_TEXT_MAX sizeof(((struct probe_target *)0)->text)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NOT_SET SIZE_MAX

/* One keyword=value as the driver split it. */
struct cs_pair {
    const char *key;  /* decoded, in c->buf */
    const char *val;  /* decoded, in c->buf; NULL when the key had no value */
    size_t raw_from;  /* the value as written: text[raw_from, raw_to) */
    size_t raw_to;
};

/* A password as written, text[from, to), shown as "***" ("-P***" when flag is 'P': an
 * attached sqlcmd value is masked with its whole word, so no quote is left unbalanced;
 * "***;" when tail is ';': a go query pair that url.ParseQuery drops must stay dropped). */
struct cs_mask {
    size_t from;
    size_t to;
    char flag;
    char tail;
};

/* One parse. */
struct cs {
    const char *text;
    struct probe_target *t;
    char *err;
    size_t errlen;
    struct cs_mask mask[CS_MAX_MASKS];
    size_t n_mask;
    char buf[2 * CS_TEXT_MAX + 2 * CS_MAX_PAIRS + 64]; /* decoded keys and values */
    size_t used;
    struct cs_pair pairs[CS_MAX_PAIRS];
    size_t n_pairs;
};

/* ---- small helpers ---- */

static int fail(struct cs *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct cs *c, const char *fmt, ...)
{
    va_list ap;

    if (c->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool is_ws(unsigned char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

static bool starts_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool eq_ci(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s; s++) {
        if (strncasecmp(s, needle, n) == 0)
            return true;
    }
    return false;
}

/* True when name is one of the '|'-separated words of list (case-insensitive). */
static bool in_list_ci(const char *name, const char *list)
{
    size_t n = strlen(name);

    while (*list) {
        const char *bar = strchr(list, '|');
        size_t len = bar ? (size_t)(bar - list) : strlen(list);

        if (len == n && strncasecmp(name, list, n) == 0)
            return true;
        if (!bar)
            break;
        list = bar + 1;
    }
    return false;
}

/* Keys whose value is a secret, in every syntax: Password/PWD (ADO.NET, ODBC), password,
 * trustStorePassword, keyStoreSecret (JDBC), password= in a go URL query. */
static bool is_secret_key(const char *key)
{
    return eq_ci(key, "pwd") || contains_ci(key, "password") || contains_ci(key, "secret");
}

/* Decoded strings are appended to c->buf. The buffer holds the whole text plus a NUL per
 * string and CS_MAX_PAIRS bounds the strings, so it cannot fill; the checks are a backstop. */
static char *sb_begin(struct cs *c)
{
    return c->buf + c->used;
}

static void sb_putc(struct cs *c, char ch)
{
    if (c->used + 1 < sizeof(c->buf))
        c->buf[c->used++] = ch;
}

static void sb_putn(struct cs *c, const char *s, size_t n)
{
    while (n-- > 0)
        sb_putc(c, *s++);
}

static const char *sb_end(struct cs *c, char *start)
{
    c->buf[c->used] = '\0';
    if (c->used + 1 < sizeof(c->buf))
        c->used++;
    return start;
}

/* text[from, to) trimmed of whitespace, copied into c->buf. */
static const char *sb_trimmed(struct cs *c, size_t from, size_t to)
{
    char *start = sb_begin(c);

    while (from < to && is_ws((unsigned char)c->text[from]))
        from++;
    while (to > from && is_ws((unsigned char)c->text[to - 1]))
        to--;
    sb_putn(c, c->text + from, to - from);
    return sb_end(c, start);
}

/* A span recorded twice (the go URL is masked by a first pass, then split) counts once. */
static int push_mask(struct cs *c, struct cs_mask m)
{
    for (size_t i = 0; i < c->n_mask; i++) {
        if (c->mask[i].from == m.from && c->mask[i].to == m.to)
            return 0;
    }
    if (c->n_mask == CS_MAX_MASKS)
        return fail(c, "more than %d password values", CS_MAX_MASKS);
    c->mask[c->n_mask++] = m;
    return 0;
}

static int add_flag_mask(struct cs *c, size_t from, size_t to, char flag)
{
    return push_mask(c, (struct cs_mask){ from, to, flag, '\0' });
}

static int add_mask(struct cs *c, size_t from, size_t to)
{
    return add_flag_mask(c, from, to, '\0');
}

static int add_pair(struct cs *c, const char *key, const char *val, size_t from, size_t to)
{
    if (c->n_pairs == CS_MAX_PAIRS)
        return fail(c, "more than %d keywords", CS_MAX_PAIRS);
    c->pairs[c->n_pairs++] = (struct cs_pair){ key, val, from, to };
    /* A secret with no value ("PWD;", "Password=;") has nothing to hide. */
    return is_secret_key(key) && val != NULL && from < to ? add_mask(c, from, to) : 0;
}

/* t->text = the input with every recorded password span replaced by "***". */
static void write_masked_text(struct cs *c)
{
    char *out = c->t->text;
    size_t cap = sizeof(c->t->text), o = 0, at = 0;

    for (size_t i = 1; i < c->n_mask; i++) { /* insertion sort by start */
        for (size_t j = i; j > 0 && c->mask[j - 1].from > c->mask[j].from; j--) {
            struct cs_mask m = c->mask[j];

            c->mask[j] = c->mask[j - 1];
            c->mask[j - 1] = m;
        }
    }
    for (size_t i = 0; i < c->n_mask; i++) {
        const struct cs_mask *m = &c->mask[i];
        char repl[8] = "***";

        if (m->from < at) { /* inside a span already masked */
            at = m->to > at ? m->to : at;
            continue;
        }
        if (m->flag)
            snprintf(repl, sizeof(repl), "-%c***", m->flag);
        else if (m->tail)
            snprintf(repl, sizeof(repl), "***%c", m->tail);
        for (size_t k = at; k < m->from && o + 1 < cap; k++)
            out[o++] = c->text[k];
        for (size_t k = 0; repl[k] && o + 1 < cap; k++)
            out[o++] = repl[k];
        at = m->to;
    }
    for (size_t k = at; c->text[k] != '\0' && o + 1 < cap; k++)
        out[o++] = c->text[k];
    out[o] = '\0';
}

static int set_str(struct cs *c, const char *kw, char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return fail(c, "%s: the value is longer than %zu characters", kw, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int set_field(struct cs *c, const char *kw, char *dst, size_t cap, const char *s)
{
    return set_str(c, kw, dst, cap, s, strlen(s));
}

/* A decimal TCP port, 1-65535, surrounding blanks allowed. */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
    unsigned long v = 0;
    size_t i = 0, digits = 0;

    while (n > 0 && is_ws((unsigned char)s[n - 1]))
        n--;
    while (i < n && is_ws((unsigned char)s[i]))
        i++;
    for (; i < n && isdigit((unsigned char)s[i]) && v <= 65535; i++, digits++)
        v = v * 10 + (unsigned long)(s[i] - '0');
    if (digits == 0 || i != n || v < 1 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* The host part as written; "[v6]" loses its brackets; empty means the local server, which
 * every driver here connects to as "localhost" (notes/clients.md §1.1, §1.4). */
static int set_host(struct cs *c, const char *kw, const char *h, size_t n)
{
    while (n > 0 && is_ws((unsigned char)h[n - 1]))
        n--;
    while (n > 0 && is_ws((unsigned char)*h)) {
        h++;
        n--;
    }
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0)
        return set_field(c, kw, c->t->host, sizeof(c->t->host), "localhost");
    return set_str(c, kw, c->t->host, sizeof(c->t->host), h, n);
}

/* [tcp:|admin:]host[\instance][,port] (notes/clients.md §1.1, §1.2): as in managed SNI the
 * ",port" wins over "\instance" (the instance is kept for the report); named pipes and shared
 * memory are not TCP and cannot be probed. */
static int parse_data_source(struct cs *c, const char *kw, const char *v)
{
    struct probe_target *t = c->t;
    bool dac = false;

    while (is_ws((unsigned char)*v))
        v++;
    if (starts_ci(v, "tcp:")) {
        v += 4;
    } else if (starts_ci(v, "admin:")) {
        v += 6;
        dac = true;
    } else if (starts_ci(v, "np:") || starts_ci(v, "lpc:") || starts_ci(v, "via:")) {
        return fail(c, "%s: '%.*s' is not a TCP address; tdsprobe probes TCP only "
                    "(write tcp:host[,port])", kw, (int)(strchr(v, ':') - v + 1), v);
    }
    const char *end = v + strlen(v);
    const char *comma = strrchr(v, ',');
    if (comma) {
        if (!parse_port(comma + 1, (size_t)(end - comma - 1), &t->port))
            return fail(c, "%s: '%s' is not a TCP port (1-65535)", kw, comma + 1);
        end = comma;
    }
    const char *bs = memchr(v, '\\', (size_t)(end - v));
    if (bs) {
        if (set_str(c, kw, t->instance, sizeof(t->instance), bs + 1, (size_t)(end - bs - 1)))
            return -1;
        end = bs;
    }
    if (dac && t->port == 0 && t->instance[0] == '\0')
        t->port = 1434; /* the dedicated admin connection of a default instance */
    return set_host(c, kw, v, (size_t)(end - v));
}

/* ---- ADO.NET (Microsoft.Data.SqlClient) ---- */

enum kw_type {
    KW_STRING, KW_BOOL, KW_INT, KW_SECURITY, KW_SERVER, KW_ENCRYPT, KW_TRUST, KW_HNIC,
    KW_SERVER_CERT,
};

/* SqlClient's keywords with their synonyms (DbConnectionStringKeywords.cs and
 * DbConnectionStringSynonyms.cs, notes/clients.md §1.1). Spellings are exact: inner spaces are
 * significant, so "Trust ServerCertificate" is not a keyword. */
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

static const struct ado_kw *ado_lookup(const char *key)
{
    for (size_t i = 0; i < ARRAY_LEN(ado_keywords); i++) {
        if (eq_ci(key, ado_keywords[i].name) || in_list_ci(key, ado_keywords[i].synonyms))
            return &ado_keywords[i];
    }
    return NULL;
}

static bool ado_ctl(unsigned char ch)
{
    return (ch < 0x20 || ch == 0x7f) && !is_ws(ch);
}

static int ado_syntax(struct cs *c, size_t at)
{
    /* Byte offsets; SqlClient counts UTF-16 units, the same for ASCII strings. */
    return fail(c, "Format of the initialization string does not conform to specification "
                "starting at index %zu.", at);
}

/* The key up to a single '=' ("==" is a literal '='), lower-cased, trailing blanks trimmed
 * (SqlConnectionOptions GetKeyValuePair, states Key and KeyEqual). */
static int ado_key(struct cs *c, size_t *pos, size_t start, const char **key)
{
    const char *s = c->text;
    char *k = sb_begin(c);
    size_t i = *pos;

    for (;;) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '\0' || ado_ctl(ch))
            return ado_syntax(c, start);
        if (ch == '=' && s[i + 1] == '=') {
            sb_putc(c, '=');
            i += 2;
            continue;
        }
        if (ch == '=')
            break;
        sb_putc(c, (char)tolower(ch));
        i++;
    }
    while (c->buf + c->used > k && is_ws((unsigned char)c->buf[c->used - 1]))
        c->used--;
    if (c->buf + c->used == k)
        return ado_syntax(c, start);
    *key = sb_end(c, k);
    *pos = i + 1;
    return 0;
}

/* '…' or "…": a doubled quote is a literal quote; after the closing quote only blanks may
 * come before ';'. */
static int ado_quoted(struct cs *c, size_t *pos, size_t start, struct cs_pair *p)
{
    const char *s = c->text;
    char q = s[*pos], *v = sb_begin(c);
    size_t i = *pos + 1;

    for (;;) {
        if (s[i] == '\0')
            return ado_syntax(c, start);
        if (s[i] == q && s[i + 1] == q) {
            sb_putc(c, q);
            i += 2;
        } else if (s[i] == q) {
            break;
        } else {
            sb_putc(c, s[i++]);
        }
    }
    p->val = sb_end(c, v);
    p->raw_to = ++i;
    while (is_ws((unsigned char)s[i]))
        i++;
    if (s[i] != ';' && s[i] != '\0')
        return ado_syntax(c, start);
    *pos = s[i] == ';' ? i + 1 : i;
    return 0;
}

/* Unquoted values end at ';' or a control character, are trimmed, and must not end in a
 * quote; an empty value is "no value". */
static int ado_value(struct cs *c, size_t *pos, size_t start, struct cs_pair *p)
{
    const char *s = c->text;
    size_t i = *pos, j;

    while (is_ws((unsigned char)s[i]))
        i++;
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
    if (ado_ctl((unsigned char)s[i]))
        return ado_syntax(c, start);
    for (j = i; s[j] != '\0' && s[j] != ';' && !ado_ctl((unsigned char)s[j]); j++)
        continue;
    *pos = s[j] == ';' ? j + 1 : j;
    while (j > i && is_ws((unsigned char)s[j - 1]))
        j--;
    if (s[j - 1] == '\'' || s[j - 1] == '"')
        return ado_syntax(c, start);
    p->raw_to = j;
    p->val = sb_trimmed(c, i, j);
    return 0;
}

/* Splits the string; an unknown keyword fails at once, as SqlClient does while parsing. */
static int ado_split(struct cs *c)
{
    size_t pos = 0;

    for (;;) {
        size_t call = pos, start;
        struct cs_pair p = { 0 };

        while (c->text[pos] == ';' || is_ws((unsigned char)c->text[pos]))
            pos++;
        if (c->text[pos] == '\0')
            return 0;
        if (ado_ctl((unsigned char)c->text[pos]))
            return ado_syntax(c, call);
        start = pos;
        if (ado_key(c, &pos, start, &p.key) || ado_value(c, &pos, start, &p))
            return -1;
        if (!ado_lookup(p.key))
            return fail(c, "Keyword not supported: '%s'.", p.key);
        if (add_pair(c, p.key, p.val, p.raw_from, p.raw_to))
            return -1;
    }
}

/* SqlClient trims and compares case-insensitively (ConvertValueToBooleanInternal). */
static bool trimmed_eq(const char *v, const char *word)
{
    size_t n = strlen(word);

    while (is_ws((unsigned char)*v))
        v++;
    if (strncasecmp(v, word, n) != 0)
        return false;
    for (v += n; *v; v++) {
        if (!is_ws((unsigned char)*v))
            return false;
    }
    return true;
}

static int ado_bool(const char *v, bool *out)
{
    if (trimmed_eq(v, "true") || trimmed_eq(v, "yes"))
        *out = true;
    else if (trimmed_eq(v, "false") || trimmed_eq(v, "no"))
        *out = false;
    else
        return -1;
    return 0;
}

/* int.Parse with NumberStyles.Integer: blanks, an optional sign, digits, within int32. */
static bool ado_int(const char *v)
{
    long long n = 0;
    size_t digits = 0;

    while (is_ws((unsigned char)*v))
        v++;
    bool neg = *v == '-';
    if (*v == '-' || *v == '+')
        v++;
    for (; isdigit((unsigned char)*v) && n <= 2147483648LL; v++, digits++)
        n = n * 10 + (*v - '0');
    while (is_ws((unsigned char)*v))
        v++;
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
        return parse_data_source(c, kw->name, v);
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
        return set_field(c, kw->name, cl->host_name_in_certificate,
                         sizeof(cl->host_name_in_certificate), v);
    case KW_SERVER_CERT:
        return set_field(c, kw->name, cl->server_certificate, sizeof(cl->server_certificate), v);
    case KW_STRING:
        return 0;
    }
    return 0;
}

/* The last duplicate wins (it overwrites the parse table); only the winning value is
 * converted, so an earlier bad value is never reported. */
static int parse_adonet(struct cs *c)
{
    size_t last[ARRAY_LEN(ado_keywords)];

    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "sqlclient");
    if (ado_split(c))
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(last); i++)
        last[i] = NOT_SET;
    for (size_t i = 0; i < c->n_pairs; i++)
        last[ado_lookup(c->pairs[i].key) - ado_keywords] = i;
    for (size_t k = 0; k < ARRAY_LEN(last); k++) {
        const char *v = last[k] == NOT_SET ? NULL : c->pairs[last[k]].val;
        int rc;

        if (v == NULL) /* absent, or "Key=;" with no value: the default stands */
            continue;
        rc = ado_apply_one(c, &ado_keywords[k], v);
        if (rc == -2) /* the value does not convert */
            return fail(c, "Invalid value for key '%s'.", ado_keywords[k].name);
        if (rc)
            return -1;
    }
    return c->t->host[0] ? 0 : set_host(c, "Data Source", "", 0);
}

/* ---- ODBC (Driver 17/18 for SQL Server) ---- */

/* The key up to '=' or ';', trimmed. */
static const char *odbc_key(struct cs *c, size_t *pos)
{
    size_t from = *pos, to = from;

    while (c->text[to] != '\0' && c->text[to] != '=' && c->text[to] != ';')
        to++;
    *pos = to;
    return sb_trimmed(c, from, to);
}

/* A "{...}" value (ODBC and JDBC): "}}" is a literal '}'. Reads from the '{' at open, stores
 * the value in *val (the string buffer), returns the index after the closing '}', or 0 when
 * the value never closes. */
static size_t braced_value(struct cs *c, size_t open, const char **val)
{
    const char *s = c->text;
    char *v = sb_begin(c);
    size_t i = open + 1;

    for (;;) {
        if (s[i] == '\0')
            return 0;
        if (s[i] == '}' && s[i + 1] == '}') {
            sb_putc(c, '}');
            i += 2;
        } else if (s[i] == '}') {
            break;
        } else {
            sb_putc(c, s[i++]);
        }
    }
    *val = sb_end(c, v);
    return i + 1;
}

/* {…} with "}}" as a literal '}' (ODBC SQLDriverConnect grammar); only blanks may follow. */
static int odbc_braced(struct cs *c, size_t *pos, const char *key, struct cs_pair *p)
{
    const char *s = c->text;
    size_t i = braced_value(c, *pos, &p->val);

    if (i == 0)
        return fail(c, "%s: the value opens '{' but never closes it", key);
    p->raw_to = i;
    while (is_ws((unsigned char)s[i]))
        i++;
    if (s[i] != ';' && s[i] != '\0')
        return fail(c, "%s: unexpected '%c' after the closing '}'", key, s[i]);
    *pos = i;
    return 0;
}

static int odbc_split(struct cs *c)
{
    const char *s = c->text;
    size_t pos = 0;

    for (;;) {
        struct cs_pair p = { 0 };

        while (s[pos] == ';' || is_ws((unsigned char)s[pos]))
            pos++;
        if (s[pos] == '\0')
            return 0;
        if (s[pos] == '=')
            return fail(c, "a keyword is missing before '=' at index %zu", pos);
        p.key = odbc_key(c, &pos);
        if (s[pos] == '=') {
            pos++;
            while (is_ws((unsigned char)s[pos]))
                pos++;
            p.raw_from = p.raw_to = pos;
            if (s[pos] == '{') {
                if (odbc_braced(c, &pos, p.key, &p))
                    return -1;
            } else {
                size_t end = pos;

                while (s[end] != '\0' && s[end] != ';')
                    end++;
                p.val = sb_trimmed(c, pos, end);
                p.raw_to = pos + strlen(p.val);
                pos = end;
            }
        }
        if (add_pair(c, p.key, p.val, p.raw_from, p.raw_to))
            return -1;
    }
}

enum odbc_field { OF_DRIVER, OF_SERVER, OF_ADDRESS, OF_ENCRYPT, OF_TRUST, OF_HNIC, OF_SCERT,
                  OF_DSN, OF_COUNT };

/* The keywords that matter; the driver manager passes others through and the driver ignores
 * what it does not know (notes/clients.md §1.2), so unknown keys are accepted. */
static const char *const odbc_fields[OF_COUNT] = {
    [OF_DRIVER] = "driver", [OF_SERVER] = "server", [OF_ADDRESS] = "address|addr",
    [OF_ENCRYPT] = "encrypt", [OF_TRUST] = "trustservercertificate",
    [OF_HNIC] = "hostnameincertificate", [OF_SCERT] = "servercertificate", [OF_DSN] = "dsn",
};

/* "ODBC Driver N for SQL Server": 18+ -> odbc18, older -> odbc17 (same Encrypt=no default and
 * yes|no values as 17); any other driver name -> odbc18, the current driver. */
static void odbc_driver(const char *name, char *drv, size_t cap, char *label, size_t lcap)
{
    unsigned long v = 0;
    const char *p = name;

    snprintf(drv, cap, "odbc18");
    snprintf(label, lcap, "ODBC Driver 18 for SQL Server");
    if (!starts_ci(p, "ODBC Driver "))
        return;
    for (p += 12; isdigit((unsigned char)*p) && v < 1000; p++)
        v = v * 10 + (unsigned long)(*p - '0');
    if (v == 0 || !eq_ci(p, " for SQL Server"))
        return;
    snprintf(drv, cap, "%s", v >= 18 ? "odbc18" : "odbc17");
    snprintf(label, lcap, "%s", name);
}

/* Encrypt: 17 knows yes|no; 18 adds mandatory|optional|strict (notes/clients.md §1.2).
 * true|false are taken as yes|no (unverified in the notes; the closed-source driver may
 * reject them). */
static int odbc_encrypt(const char *v, bool v18, enum probe_encrypt *e)
{
    if (eq_ci(v, "yes") || eq_ci(v, "true") || (v18 && eq_ci(v, "mandatory")))
        *e = PROBE_ENCRYPT_MANDATORY;
    else if (eq_ci(v, "no") || eq_ci(v, "false") || (v18 && eq_ci(v, "optional")))
        *e = PROBE_ENCRYPT_OPTIONAL;
    else if (v18 && eq_ci(v, "strict"))
        *e = PROBE_ENCRYPT_STRICT;
    else
        return -1;
    return 0;
}

static int odbc_yesno(const char *v, bool *out)
{
    if (eq_ci(v, "yes") || eq_ci(v, "true"))
        *out = true;
    else if (eq_ci(v, "no") || eq_ci(v, "false"))
        *out = false;
    else
        return -1;
    return 0;
}

static int odbc_bad_value(struct cs *c, const char *label, const char *attr)
{
    return fail(c, "[Microsoft][%s]Invalid value specified for connection string attribute "
                "'%s'", label, attr);
}

static int odbc_apply(struct cs *c, const char *const *val, const char *label)
{
    struct probe_client *cl = &c->t->client;
    bool v18 = strcmp(cl->driver, "odbc18") == 0;

    if (val[OF_ENCRYPT] && odbc_encrypt(val[OF_ENCRYPT], v18, &cl->encrypt))
        return odbc_bad_value(c, label, "Encrypt");
    if (val[OF_TRUST] && odbc_yesno(val[OF_TRUST], &cl->trust_server_certificate))
        return odbc_bad_value(c, label, "TrustServerCertificate");
    /* HostnameInCertificate (18.0) and ServerCertificate (18.1) are unknown to 17. */
    if (v18 && val[OF_HNIC] && set_field(c, "HostnameInCertificate", cl->host_name_in_certificate,
                                         sizeof(cl->host_name_in_certificate), val[OF_HNIC]))
        return -1;
    if (v18 && val[OF_SCERT] && set_field(c, "ServerCertificate", cl->server_certificate,
                                          sizeof(cl->server_certificate), val[OF_SCERT]))
        return -1;
    if (val[OF_ADDRESS]) /* Address overrides Server */
        return parse_data_source(c, "Address", val[OF_ADDRESS]);
    if (val[OF_SERVER])
        return parse_data_source(c, "Server", val[OF_SERVER]);
    if (val[OF_DSN])
        return fail(c, "DSN: tdsprobe cannot read the data source's odbc.ini entry; "
                    "add Server=host[,port] to the string");
    return set_host(c, "Server", "", 0);
}

/* Repeated keywords: the first occurrence counts (ODBC SQLDriverConnect). */
static int parse_odbc(struct cs *c)
{
    const char *val[OF_COUNT] = { 0 };
    char label[64];

    if (odbc_split(c))
        return -1;
    for (size_t i = 0; i < c->n_pairs; i++) {
        for (int f = 0; f < OF_COUNT; f++) {
            const char *v = c->pairs[i].val;

            if (!val[f] && v && v[0] && in_list_ci(c->pairs[i].key, odbc_fields[f]))
                val[f] = v;
        }
    }
    odbc_driver(val[OF_DRIVER] ? val[OF_DRIVER] : "", c->t->client.driver,
                sizeof(c->t->client.driver), label, sizeof(label));
    if (strcmp(c->t->client.driver, "odbc17") == 0)
        c->t->client.encrypt = PROBE_ENCRYPT_OPTIONAL; /* 17 and older default to Encrypt=no */
    return odbc_apply(c, val, label);
}

/* ---- JDBC (microsoft/mssql-jdbc) ---- */

static int jdbc_bad(struct cs *c)
{
    return fail(c, "The connection string contains a badly formed name or value.");
}

/* {…} with "}}" as '}' (notes/clients.md §1.3); only spaces may follow before ';'. */
static int jdbc_braced(struct cs *c, size_t *pos, struct cs_pair *p)
{
    const char *s = c->text;
    size_t i = braced_value(c, *pos, &p->val);

    if (i == 0)
        return jdbc_bad(c);
    p->raw_to = i;
    while (s[i] == ' ')
        i++;
    if (s[i] != ';' && s[i] != '\0')
        return jdbc_bad(c);
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

    while (s[i] != '\0' && s[i] != '=' && s[i] != ';')
        i++;
    p.key = sb_trimmed(c, from, i);
    if (s[i] != '=') {
        if (p.key[0] != '\0')
            return jdbc_bad(c); /* a name without '=' */
        *pos = s[i] == ';' ? i + 1 : i;
        return s[i] == '\0' ? 1 : 0;
    }
    if (p.key[0] == '\0')
        return jdbc_bad(c);
    for (v = ++i; s[i] != '\0' && s[i] != ';' && s[i] != '{'; i++)
        continue;
    while (is_ws((unsigned char)s[v]) && v < i)
        v++;
    p.raw_from = v;
    if (s[i] == '{') {
        if (v != i)
            return jdbc_bad(c); /* text before '{' */
        if (jdbc_braced(c, &i, &p))
            return -1;
    } else {
        p.val = sb_trimmed(c, v, i);
        p.raw_to = v + strlen(p.val);
        i = s[i] == ';' ? i + 1 : i;
    }
    *pos = i;
    return add_pair(c, p.key, p.val, p.raw_from, p.raw_to);
}

/* host[\instance][:port] before the first ';'; they become serverName, instanceName and
 * portNumber properties, so a later property of the same name overrides them, as in
 * Util.parseUrl. "[v6]" is accepted as the host (an extension). */
static int jdbc_authority(struct cs *c, size_t *pos)
{
    const char *s = c->text;
    size_t i = *pos, from = i;

    if (s[i] == '[' && strchr(s + i, ']'))
        i = (size_t)(strchr(s + i, ']') - s) + 1;
    while (s[i] != '\0' && s[i] != ';' && s[i] != ':' && s[i] != '\\')
        i++;
    if (i > from && add_pair(c, "serverName", sb_trimmed(c, from, i), from, i))
        return -1;
    if (s[i] == '\\') {
        from = ++i;
        while (s[i] != '\0' && s[i] != ';' && s[i] != ':')
            i++;
        if (add_pair(c, "instanceName", sb_trimmed(c, from, i), from, i))
            return -1;
    }
    if (s[i] == ':') {
        from = ++i;
        while (s[i] != '\0' && s[i] != ';')
            i++;
        if (add_pair(c, "portNumber", sb_trimmed(c, from, i), from, i))
            return -1;
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
    if (eq_ci(v, "true"))
        *out = true;
    else if (eq_ci(v, "false"))
        *out = false;
    else
        return fail(c, "The property %s does not contain a valid boolean value. Only true or "
                    "false can be used.", name);
    return 0;
}

/* EncryptOption.valueOfString: false|no|optional, true|mandatory, strict; not "yes". */
static int jdbc_encrypt(struct cs *c, const char *v)
{
    enum probe_encrypt *e = &c->t->client.encrypt;

    if (eq_ci(v, "false") || eq_ci(v, "no") || eq_ci(v, "optional"))
        *e = PROBE_ENCRYPT_OPTIONAL;
    else if (eq_ci(v, "true") || eq_ci(v, "mandatory"))
        *e = PROBE_ENCRYPT_MANDATORY;
    else if (eq_ci(v, "strict"))
        *e = PROBE_ENCRYPT_STRICT;
    else
        return fail(c, "The EncryptOption value \"%s\" is not valid.", v);
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

    if (eq_ci(v, "TLS"))
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(map); i++) {
        if (eq_ci(v, map[i].name)) {
            c->t->client.tls_min = map[i].min;
            c->t->client.tls_max = map[i].max;
            return 0;
        }
    }
    return fail(c, "SSL Protocol %s label is not valid. Only TLS, TLSv1, TLSv1.1, and TLSv1.2 "
                "are supported.", v);
}

static int jdbc_port(struct cs *c, const char *v)
{
    if (v[0] == '\0')
        return 0;
    if (strcmp(v, "0") == 0)
        return 0; /* 0 = the default port */
    if (!parse_port(v, strlen(v), &c->t->port))
        return fail(c, "The port number %s is not valid.", v);
    return 0;
}

/* serverName may carry "\\instance" itself; an instanceName property wins over it. */
static int jdbc_server(struct cs *c, const char *server, bool have_instance)
{
    const char *bs = strchr(server, '\\');
    char *inst = c->t->instance;

    if (bs && !have_instance) {
        if (set_field(c, "serverName", inst, sizeof(c->t->instance), bs + 1))
            return -1;
        for (char *p = inst; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    return set_host(c, "serverName", server, bs ? (size_t)(bs - server) : strlen(server));
}

static int jdbc_apply(struct cs *c, const char *const *val)
{
    struct probe_client *cl = &c->t->client;
    char *inst = c->t->instance;

    if (val[JF_ENCRYPT] && jdbc_encrypt(c, val[JF_ENCRYPT]))
        return -1;
    if (val[JF_TRUST] && jdbc_bool(c, "trustServerCertificate", val[JF_TRUST],
                                   &cl->trust_server_certificate))
        return -1;
    if (val[JF_SSLPROTOCOL] && jdbc_sslprotocol(c, val[JF_SSLPROTOCOL]))
        return -1;
    if (val[JF_PORT] && jdbc_port(c, val[JF_PORT]))
        return -1;
    if (val[JF_HNIC] && set_field(c, "hostNameInCertificate", cl->host_name_in_certificate,
                                  sizeof(cl->host_name_in_certificate), val[JF_HNIC]))
        return -1;
    /* serverCertificate is read only under encrypt=strict; kept so the report can say so. */
    if (val[JF_SCERT] && set_field(c, "serverCertificate", cl->server_certificate,
                                   sizeof(cl->server_certificate), val[JF_SCERT]))
        return -1;
    if (val[JF_TRUSTSTORE] && set_field(c, "trustStore", cl->ca_file, sizeof(cl->ca_file),
                                        val[JF_TRUSTSTORE]))
        return -1;
    if (val[JF_INSTANCE] && set_field(c, "instanceName", inst, sizeof(c->t->instance),
                                      val[JF_INSTANCE]))
        return -1;
    for (char *p = inst; *p; p++) /* the driver lower-cases the instance name */
        *p = (char)tolower((unsigned char)*p);
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
            if (p->val && in_list_ci(p->key, jdbc_fields[f]))
                val[f] = p->val;
        }
    }
    for (size_t k = 0; k < ARRAY_LEN(jdbc_bools); k++) {
        const char *v = NULL;

        for (size_t i = 0; i < c->n_pairs; i++) {
            if (c->pairs[i].val && eq_ci(c->pairs[i].key, jdbc_bools[k]))
                v = c->pairs[i].val;
        }
        if (v && jdbc_bool(c, jdbc_bools[k], v, &b))
            return -1;
    }
    return jdbc_apply(c, val);
}

static int parse_jdbc(struct cs *c)
{
    static const char prefix[] = "jdbc:sqlserver://";
    size_t pos = 0;
    int rc;

    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "jdbc");
    while (is_ws((unsigned char)c->text[pos]))
        pos++;
    if (strncmp(c->text + pos, prefix, sizeof(prefix) - 1) != 0)
        return fail(c, "No suitable driver: the URL must start with \"%s\" in lower case", prefix);
    pos += sizeof(prefix) - 1;
    if (jdbc_authority(c, &pos))
        return -1;
    while ((rc = jdbc_property(c, &pos)) == 0)
        continue;
    return rc < 0 ? -1 : jdbc_collect(c);
}

/* ---- go-mssqldb URL ---- */


/* Percent-decodes text[from, to) into c->buf ('+' is a space in a query). NULL when an
 * escape is malformed (url.QueryUnescape fails; Query() then drops the pair). */
static const char *go_unescape(struct cs *c, size_t from, size_t to, bool query)
{
    char *start = sb_begin(c);

    for (size_t i = from; i < to; i++) {
        char ch = c->text[i];

        if (ch == '%') {
            if (to - i < 3 || probe_hex_digit(c->text[i + 1]) < 0 || probe_hex_digit(c->text[i + 2]) < 0) {
                sb_end(c, start);
                return NULL;
            }
            ch = (char)(probe_hex_digit(c->text[i + 1]) * 16 + probe_hex_digit(c->text[i + 2]));
            i += 2;
        } else if (ch == '+' && query) {
            ch = ' ';
        }
        sb_putc(c, ch);
    }
    return sb_end(c, start);
}

/* Go's %q for the value in strconv errors: quotes and backslashes escaped, others \xNN. */
static void go_quote(const char *v, char *out, size_t cap)
{
    size_t o = 0;

    for (; *v && o + 5 < cap; v++) {
        unsigned char ch = (unsigned char)*v;

        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o] = '\0';
}

/* user[:password]@ (the last '@' of the authority); the password span is masked. */
static int go_userinfo(struct cs *c, size_t from, size_t at)
{
    const char *colon = memchr(c->text + from, ':', at - from);
    size_t user_end = colon ? (size_t)(colon - c->text) : at;
    const char *user = go_unescape(c, from, user_end, false);

    if (add_pair(c, "user id", user ? user : "", from, user_end))
        return -1;
    if (!colon)
        return 0;
    return add_mask(c, user_end + 1, at); /* the password itself is not kept */
}

/* ":port" after the host; url.Parse lets only digits through, and an empty port is none. */
static int go_port_pair(struct cs *c, size_t colon, size_t to)
{
    const char *s = c->text;

    for (size_t i = colon + 1; i < to; i++) {
        if (!isdigit((unsigned char)s[i]))
            return fail(c, "parse \"%s\": invalid port \"%.*s\" after host", c->t->text,
                        (int)(to - colon), s + colon);
    }
    if (colon + 1 >= to)
        return 0;
    return add_pair(c, "port", sb_trimmed(c, colon + 1, to), colon + 1, to);
}

/* host[:port] or [v6][:port]. url.Parse rejects a non-numeric port; net.SplitHostPort
 * leaves the whole authority as the host when there is no port. */
static int go_hostport(struct cs *c, size_t from, size_t to)
{
    const char *s = c->text;
    size_t colon = to, hend;

    if (s[from] == '[') {
        const char *close = memchr(s + from, ']', to - from);

        if (!close)
            return fail(c, "parse \"%s\": missing ']' in host", c->t->text);
        hend = (size_t)(close - s) + 1;
        if (hend < to && s[hend] == ':')
            colon = hend;
        else if (hend < to)
            return fail(c, "parse \"%s\": invalid port after host", c->t->text);
    } else {
        const char *last = memchr(s + from, ':', to - from);

        colon = last ? (size_t)(last - s) : to;
        hend = colon;
        if (last && memchr(last + 1, ':', to - (size_t)(last - s) - 1))
            colon = hend = to; /* too many colons: SplitHostPort fails, all is host */
    }
    const char *host = go_unescape(c, from, hend, false);
    if (!host)
        return fail(c, "parse \"%s\": invalid URL escape in host", c->t->text);
    if (add_pair(c, "server", host, from, hend))
        return -1;
    if (go_port_pair(c, colon, to))
        return -1;
    return 0;
}

/* One '&'-separated segment of the query, text[from, to), as url.ParseQuery reads it. */
struct go_qpair {
    size_t eq;        /* the key is text[from, eq) */
    const char *key;  /* decoded into c->buf; NULL when an escape in it is invalid */
    const char *val;  /* decoded; "" without '='; NULL when an escape in it is invalid */
    size_t val_from;  /* the value as written: text[val_from, to) */
    bool kept;        /* false when ParseQuery drops it (its error is ignored by Query()) */
};

static size_t go_segment_end(const char *s, size_t from, size_t to)
{
    while (from < to && s[from] != '&')
        from++;
    return from;
}

/* Go 1.17+ splits on '&' only: a segment with a ';' anywhere is dropped, and so is one with
 * an invalid escape in its key or value, and an empty one. An empty key ("=v") is kept. The
 * masking pass and go_query both read segments here, so they cannot disagree. */
static void go_qpair_read(struct cs *c, size_t from, size_t to, struct go_qpair *p)
{
    p->eq = from;
    while (p->eq < to && c->text[p->eq] != '=')
        p->eq++;
    p->key = go_unescape(c, from, p->eq, true);
    p->val_from = p->eq < to ? p->eq + 1 : to;
    p->val = go_unescape(c, p->val_from, to, true);
    p->kept = from < to && p->key && p->val && !memchr(c->text + from, ';', to - from);
}

/* A kept pair. msdsn fails on a key given twice (url.Values compares exactly, then keys are
 * lower-cased into one map, where two spellings would race): any case counts here. */
static int go_query_pair(struct cs *c, const struct go_qpair *p, size_t to, size_t first)
{
    for (size_t k = first; k < c->n_pairs; k++) {
        if (eq_ci(c->pairs[k].key, p->key))
            return fail(c, "key %s provided more than once", p->key);
    }
    return add_pair(c, p->key, p->val, p->val_from, to);
}

/* The query, text[from, to): the pairs url.ParseQuery keeps, after the URL's own. */
static int go_query(struct cs *c, size_t from, size_t to, size_t first_query_pair)
{
    for (size_t i = from, end; i < to; i = end + 1) {
        struct go_qpair p;

        end = go_segment_end(c->text, i, to);
        go_qpair_read(c, i, end, &p);
        if (p.kept && go_query_pair(c, &p, end, first_query_pair))
            return -1;
    }
    return 0;
}

/* The path names the instance: msdsn sets server = host + "\\" + path[1:]. */
static int go_instance(struct cs *c, size_t from, size_t to)
{
    struct cs_pair *server = &c->pairs[c->n_pairs - 1];
    const char *inst = go_unescape(c, from, to, false);
    char *v;

    while (strcmp(server->key, "server") != 0) /* go_hostport added it, maybe then "port" */
        server--;
    if (!inst)
        return fail(c, "parse \"%s\": invalid URL escape in path", c->t->text);
    v = sb_begin(c);
    sb_putn(c, server->val, strlen(server->val));
    sb_putc(c, '\\');
    sb_putn(c, inst, strlen(inst));
    server->val = sb_end(c, v);
    return 0;
}

/* Splits sqlserver://[user[:pass]@]host[:port][/instance][?query][#fragment]. The URL parts
 * become "server" and "port" pairs first; query keys override them, as in msdsn. */
static int go_split(struct cs *c, size_t pos)
{
    const char *s = c->text;
    size_t len = strlen(s), auth_end = pos, path_end, q_end;

    for (size_t i = pos; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return fail(c, "parse \"%s\": net/url: invalid control character in URL",
                        c->t->text);
    }
    while (auth_end < len && !strchr("/?#", s[auth_end]))
        auth_end++;
    for (size_t i = auth_end; i > pos; i--) {
        if (s[i - 1] == '@') {
            if (go_userinfo(c, pos, i - 1))
                return -1;
            pos = i;
            break;
        }
    }
    if (go_hostport(c, pos, auth_end))
        return -1;
    for (path_end = auth_end; path_end < len && !strchr("?#", s[path_end]); path_end++)
        continue;
    if (path_end > auth_end + 1 && go_instance(c, auth_end + 1, path_end))
        return -1;
    for (q_end = path_end; q_end < len && s[q_end] != '#'; q_end++)
        continue;
    return path_end < q_end ? go_query(c, path_end + 1, q_end, c->n_pairs) : 0;
}

/* Masks every password value of the query text[from, to), also in pairs ParseQuery drops
 * (still the user's password). A dropped pair is shown as "***;" so that the masked text
 * drops it too: "***" alone could revive it (its ';' or bad escape gone), adding a key. */
static int go_mask_query(struct cs *c, size_t from, size_t to)
{
    for (size_t i = from, end; i < to; i = end + 1) {
        struct go_qpair p;
        const char *key;

        end = go_segment_end(c->text, i, to);
        go_qpair_read(c, i, end, &p);
        key = p.key ? p.key : sb_trimmed(c, i, p.eq); /* "password%zz=..." as written */
        if (is_secret_key(key) && p.val_from < end &&
            push_mask(c, (struct cs_mask){ p.val_from, end, '\0', p.kept ? '\0' : ';' }))
            return -1;
    }
    return 0;
}

/* Finds the password spans before anything is judged, so that errors quoting the URL (as
 * url.Parse's do) quote it masked. The bounds are go_split's. Decoded keys are scratch: the
 * buffer is reset after. */
static int go_mask_secrets(struct cs *c, size_t pos)
{
    const char *s = c->text;
    size_t len = strlen(s), auth = pos, q, q_end;
    int rc = 0;

    while (auth < len && !strchr("/?#", s[auth]))
        auth++;
    for (size_t i = auth; i > pos; i--) {
        const char *colon = memchr(s + pos, ':', i - 1 - pos);

        if (s[i - 1] == '@' && colon)
            rc = add_mask(c, (size_t)(colon - s) + 1, i - 1);
        if (s[i - 1] == '@')
            break;
    }
    q = auth + strcspn(s + auth, "?#");
    q_end = q + strcspn(s + q, "#");
    if (rc == 0 && q < q_end)
        rc = go_mask_query(c, q + 1, q_end);
    c->used = 0;
    write_masked_text(c); /* the spans stay: go_split finds the same ones again */
    return rc;
}

/* strconv.ParseBool: exactly these spellings. */
static int go_parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "TRUE") ||
        !strcmp(v, "true") || !strcmp(v, "True"))
        *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") || !strcmp(v, "FALSE") ||
             !strcmp(v, "false") || !strcmp(v, "False"))
        *out = false;
    else
        return -1;
    return 0;
}

/* parseTLS (notes/clients.md §1.4): encrypt is lower-cased; disable sends NOT_SUP. */
static int go_encrypt(struct cs *c, const char *v)
{
    struct probe_client *cl = &c->t->client;

    cl->trust_server_certificate = false; /* any encrypt key turns validation on */
    if (in_list_ci(v, "mandatory|yes|1|t|true")) {
        cl->encrypt = PROBE_ENCRYPT_MANDATORY;
    } else if (in_list_ci(v, "optional|no|0|f|false")) {
        cl->encrypt = PROBE_ENCRYPT_OPTIONAL;
    } else if (eq_ci(v, "disable")) {
        cl->encrypt = PROBE_ENCRYPT_OPTIONAL;
        cl->encrypt_disable = true;
    } else if (eq_ci(v, "strict")) {
        cl->encrypt = PROBE_ENCRYPT_STRICT;
    } else {
        return fail(c, "invalid encrypt '%s'", v);
    }
    return 0;
}

static int go_trust(struct cs *c, const char *v)
{
    char q[200];

    if (go_parse_bool(v, &c->t->client.trust_server_certificate) == 0)
        return 0;
    go_quote(v, q, sizeof(q));
    return fail(c, "invalid trust server certificate '%s': strconv.ParseBool: parsing \"%s\": "
                "invalid syntax", v, q);
}

/* strconv.ParseUint(port, 10, 16). Port 0 means the default. */
static int go_port(struct cs *c, const char *v)
{
    unsigned long n = 0;
    size_t i = 0;
    char q[200];

    for (; isdigit((unsigned char)v[i]) && n <= 65535; i++)
        n = n * 10 + (unsigned long)(v[i] - '0');
    go_quote(v, q, sizeof(q));
    if (i == 0 || (v[i] != '\0' && !isdigit((unsigned char)v[i])))
        return fail(c, "invalid tcp port '%s': strconv.ParseUint: parsing \"%s\": invalid syntax",
                    v, q);
    if (n > 65535)
        return fail(c, "invalid tcp port '%s': strconv.ParseUint: parsing \"%s\": value out of "
                    "range", v, q);
    c->t->port = (uint16_t)n;
    return 0;
}

/* tlsmin=1.0|1.1|1.2|1.3; anything else keeps Go's default minimum, TLS 1.2. */
static void go_tlsmin(struct probe_client *cl, const char *v)
{
    static const struct { const char *name; int v; } map[] = {
        { "1.0", TLS_V10 }, { "1.1", TLS_V11 }, { "1.2", TLS_V12 }, { "1.3", TLS_V13 },
    };

    for (size_t i = 0; i < ARRAY_LEN(map); i++) {
        if (strcmp(v, map[i].name) == 0)
            cl->tls_min = map[i].v;
    }
    if (cl->tls_max < cl->tls_min)
        cl->tls_max = cl->tls_min;
}

enum go_field { GF_SERVER, GF_PORT, GF_ENCRYPT, GF_TRUST, GF_HNIC, GF_CERT,
                GF_SCERT, GF_TLSMIN, GF_COUNT };

static const char *const go_fields[GF_COUNT] = {
    [GF_SERVER] = "server", [GF_PORT] = "port",
    [GF_ENCRYPT] = "encrypt", [GF_TRUST] = "trustservercertificate",
    [GF_HNIC] = "hostnameincertificate", [GF_CERT] = "certificate",
    [GF_SCERT] = "servercertificate", [GF_TLSMIN] = "tlsmin",
};

/* server = host[\\instance] (msdsn splits at the first backslash). */
static int go_server(struct cs *c, const char *server)
{
    const char *bs = strchr(server, '\\');
    size_t hlen = bs ? (size_t)(bs - server) : strlen(server);

    if (bs && set_field(c, "server", c->t->instance, sizeof(c->t->instance), bs + 1))
        return -1;
    return set_host(c, "server", server, hlen);
}

static int go_apply(struct cs *c, const char *const *val)
{
    struct probe_client *cl = &c->t->client;

    if (val[GF_PORT] && go_port(c, val[GF_PORT]))
        return -1;
    if (val[GF_ENCRYPT] && go_encrypt(c, val[GF_ENCRYPT]))
        return -1;
    if (val[GF_TRUST] && go_trust(c, val[GF_TRUST]))
        return -1;
    if (val[GF_SCERT] && (val[GF_CERT] || val[GF_HNIC]))
        return fail(c, "serverCertificate cannot be combined with %s",
                    val[GF_CERT] ? "certificate" : "hostnameincertificate");
    if (val[GF_TLSMIN])
        go_tlsmin(cl, val[GF_TLSMIN]);
    if (val[GF_HNIC] && set_field(c, "hostnameincertificate", cl->host_name_in_certificate,
                                  sizeof(cl->host_name_in_certificate), val[GF_HNIC]))
        return -1;
    if (val[GF_CERT] && set_field(c, "certificate", cl->ca_file, sizeof(cl->ca_file),
                                  val[GF_CERT]))
        return -1;
    if (val[GF_SCERT] && set_field(c, "serverCertificate", cl->server_certificate,
                                   sizeof(cl->server_certificate), val[GF_SCERT]))
        return -1;
    return go_server(c, val[GF_SERVER] ? val[GF_SERVER] : "");
}

/* Defaults (notes/clients.md §2.1): no encrypt key = Off (login-only TLS) with
 * TrustServerCertificate=true; Go's crypto/tls offers TLS 1.2 at least. */
static int parse_go_url(struct cs *c)
{
    const char *val[GF_COUNT] = { 0 };
    struct probe_client *cl = &c->t->client;
    size_t pos = 0;

    snprintf(cl->driver, sizeof(cl->driver), "go-mssqldb");
    cl->encrypt = PROBE_ENCRYPT_OPTIONAL;
    cl->trust_server_certificate = true;
    cl->tls_min = TLS_V12;
    while (is_ws((unsigned char)c->text[pos]))
        pos++;
    if (strncmp(c->text + pos, "sqlserver://", 12) != 0)
        return fail(c, "go-mssqldb reads a URL only when it starts with \"sqlserver://\" in "
                    "lower case; otherwise it splits the text as key=value pairs");
    if (go_mask_secrets(c, pos + 12) || go_split(c, pos + 12))
        return -1;
    for (size_t i = 0; i < c->n_pairs; i++) {
        for (int f = 0; f < GF_COUNT; f++) {
            if (eq_ci(c->pairs[i].key, go_fields[f]))
                val[f] = c->pairs[i].val;
        }
    }
    return go_apply(c, val);
}

/* ---- ODBC sqlcmd (mssql-tools18) command line ---- */

/* The next word: blanks separate, '…' and "…" group (quotes removed). Backslashes are
 * literal, since host\instance and Windows paths are pasted as written. 1 at the end. */
static int sqlcmd_word(struct cs *c, size_t *pos, const char **word, size_t *from)
{
    const char *s = c->text;
    size_t i = *pos;
    char *w;

    while (is_ws((unsigned char)s[i]))
        i++;
    if (s[i] == '\0')
        return 1;
    *from = i;
    w = sb_begin(c);
    while (s[i] != '\0' && !is_ws((unsigned char)s[i])) {
        if (s[i] == '\'' || s[i] == '"') {
            const char *close = strchr(s + i + 1, s[i]);

            if (!close)
                return fail(c, "sqlcmd: unmatched %c at index %zu", s[i], i);
            sb_putn(c, s + i + 1, (size_t)(close - s - i - 1));
            i = (size_t)(close - s) + 1;
        } else {
            sb_putc(c, s[i++]);
        }
    }
    *word = sb_end(c, w);
    *pos = i;
    return 0;
}

/* ODBC sqlcmd's options (docs/tools/sqlcmd/sqlcmd-utility.md): those in with_arg take a
 * value (attached or the next word), those in no_arg take none; -k -L -p -r -X take an
 * optional attached digit or letter. */
static const char sqlcmd_with_arg[] = "acdfFhHiKlmoPqQsStUvVwyYzZ";
static const char sqlcmd_no_arg[] = "AbCeEgGIjMRuWx?";
static const char sqlcmd_opt_attached[] = "kLprX";

static int sqlcmd_unknown(struct cs *c, const char *w)
{
    return fail(c, "Sqlcmd: '%s': Unknown Option. Enter '-?' for help.", w);
}

/* -N, -Nm: mandatory; -No: optional; -Ns: strict (ODBC sqlcmd 18, notes/clients.md §1.4). */
static int sqlcmd_encrypt(struct cs *c, const char *w)
{
    enum probe_encrypt *e = &c->t->client.encrypt;

    if (strcmp(w, "-N") == 0 || strcmp(w, "-Nm") == 0)
        *e = PROBE_ENCRYPT_MANDATORY;
    else if (strcmp(w, "-No") == 0)
        *e = PROBE_ENCRYPT_OPTIONAL;
    else if (strcmp(w, "-Ns") == 0)
        *e = PROBE_ENCRYPT_STRICT;
    else
        return sqlcmd_unknown(c, w);
    return 0;
}

/* from/to: where the value was written; for an attached value (-Psecret), the whole word. */
static int sqlcmd_value(struct cs *c, char flag, const char *v, size_t from, size_t to,
                        bool attached)
{
    struct probe_client *cl = &c->t->client;

    switch (flag) {
    case 'S':
        return parse_data_source(c, "-S", v);
    case 'F':
        return set_field(c, "-F", cl->host_name_in_certificate,
                         sizeof(cl->host_name_in_certificate), v);
    case 'P': /* passwords: -P, and the new password of -z/-Z */
    case 'z':
    case 'Z':
        return add_flag_mask(c, from, to, attached ? flag : '\0');
    default:
        return 0; /* -U, -d and the rest do not change the TLS outcome */
    }
}

/* One option word (w starts with '-'); may consume the next word as its value. */
static int sqlcmd_option(struct cs *c, const char *w, size_t wfrom, size_t *pos)
{
    char f = w[1];
    size_t vfrom;
    const char *v;

    if (f == 'N')
        return sqlcmd_encrypt(c, w);
    if (f == 'D')
        return fail(c, "Sqlcmd: '-D': -S then names an odbc.ini DSN, which tdsprobe cannot "
                    "read; give -S host[,port]");
    if (f != '\0' && strchr(sqlcmd_no_arg, f) && w[2] == '\0') {
        c->t->client.trust_server_certificate |= f == 'C';
        return 0;
    }
    if (f != '\0' && strchr(sqlcmd_opt_attached, f))
        return 0;
    if (f == '\0' || !strchr(sqlcmd_with_arg, f))
        return sqlcmd_unknown(c, w);
    if (w[2] != '\0') /* attached: -Sdb1 */
        return sqlcmd_value(c, f, w + 2, wfrom, *pos, true);
    int rc = sqlcmd_word(c, pos, &v, &vfrom);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return fail(c, "Sqlcmd: '-%c': Missing argument. Enter '-?' for help.", f);
    return sqlcmd_value(c, f, v, vfrom, *pos, false);
}

/* Defaults: ODBC sqlcmd 18 encrypts and validates without -N (notes/clients.md §1.4, §2.1). */
static int parse_sqlcmd(struct cs *c)
{
    size_t pos = 0, from;
    const char *w;
    int rc;

    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "odbc18");
    if (sqlcmd_word(c, &pos, &w, &from) != 0)
        return -1; /* detect() saw the program name, so it is there */
    while ((rc = sqlcmd_word(c, &pos, &w, &from)) == 0) {
        if (w[0] != '-')
            return fail(c, "Sqlcmd: '%s': Unexpected argument. Enter '-?' for help.", w);
        if (sqlcmd_option(c, w, from, &pos))
            return -1;
    }
    if (rc < 0)
        return -1;
    return c->t->host[0] ? 0 : set_host(c, "-S", "", 0);
}

/* ---- detection and entry point ---- */

/* The first word's file name is sqlcmd or sqlcmd.exe (a path before it is allowed). */
static bool is_sqlcmd(const char *s)
{
    size_t n = strcspn(s, " \t\r\n\v\f");
    const char *base = s;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' || s[i] == '\\')
            base = s + i + 1;
    }
    n -= (size_t)(base - s);
    return (n == 6 && strncasecmp(base, "sqlcmd", 6) == 0) ||
           (n == 10 && strncasecmp(base, "sqlcmd.exe", 10) == 0);
}

/* A "Driver" keyword, or a value that opens with '{' (after optional blanks). */
static bool has_odbc_shape(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p == s || p[-1] == ';') {
            const char *k = p;

            while (is_ws((unsigned char)*k))
                k++;
            if (starts_ci(k, "driver")) {
                k += 6;
                while (is_ws((unsigned char)*k))
                    k++;
                if (*k == '=')
                    return true;
            }
        }
        if (*p == '=') {
            const char *v = p + 1;

            while (is_ws((unsigned char)*v))
                v++;
            if (*v == '{')
                return true;
        }
    }
    return false;
}

enum probe_connstr_kind probe_connstr_detect(const char *text)
{
    const char *s = text;

    while (is_ws((unsigned char)*s))
        s++;
    if (starts_ci(s, "jdbc:sqlserver:"))
        return PROBE_CS_JDBC;
    if (starts_ci(s, "sqlserver://"))
        return PROBE_CS_GO_URL;
    if (is_sqlcmd(s))
        return PROBE_CS_SQLCMD;
    if (!strchr(s, '='))
        return PROBE_CS_NONE;
    return has_odbc_shape(s) ? PROBE_CS_ODBC : PROBE_CS_ADONET;
}

const char *probe_connstr_kind_name(enum probe_connstr_kind k)
{
    switch (k) {
    case PROBE_CS_NONE:
        return "none";
    case PROBE_CS_ADONET:
        return "ado.net";
    case PROBE_CS_ODBC:
        return "odbc";
    case PROBE_CS_JDBC:
        return "jdbc";
    case PROBE_CS_GO_URL:
        return "go-url";
    case PROBE_CS_SQLCMD:
        return "sqlcmd";
    }
    return "none";
}

static int parse_kind(struct cs *c, enum probe_connstr_kind kind)
{
    const char *s = c->text + strspn(c->text, " \t\r\n\v\f");

    /* go-mssqldb's "odbc:" form would otherwise pass for ODBC with an unknown "odbc:key". */
    if (starts_ci(s, "odbc:") && kind != PROBE_CS_NONE)
        return fail(c, "odbc: go-mssqldb's ODBC form is not supported yet; give the same "
                    "settings as a sqlserver:// URL");
    switch (kind) {
    case PROBE_CS_ADONET:
        return parse_adonet(c);
    case PROBE_CS_ODBC:
        return parse_odbc(c);
    case PROBE_CS_JDBC:
        return parse_jdbc(c);
    case PROBE_CS_GO_URL:
        return parse_go_url(c);
    case PROBE_CS_SQLCMD:
        return parse_sqlcmd(c);
    case PROBE_CS_NONE:
        break;
    }
    return fail(c, "'%s' is not a connection string (no key=value, URL or sqlcmd form)",
                c->text);
}

int probe_connstr_parse(const char *text, struct probe_target *t, char *err, size_t errlen)
{
    struct cs c;
    size_t n = strlen(text);

    memset(&c, 0, sizeof(c));
    c.text = text;
    c.t = t;
    c.err = err;
    c.errlen = errlen;
    if (errlen > 0)
        err[0] = '\0';
    memset(t, 0, sizeof(*t));
    probe_client_default(&t->client);
    if (n >= sizeof(t->text))
        return fail(&c, "the connection string is longer than %zu characters",
                    sizeof(t->text) - 1);
    if (parse_kind(&c, probe_connstr_detect(text)) != 0) {
        memset(t, 0, sizeof(*t)); /* nothing half-parsed, and surely no password */
        return -1;
    }
    write_masked_text(&c);
    return 0;
}
