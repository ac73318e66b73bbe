/* probe/drivers/probe_connstr.c: connection strings (see probe_connstr.h): the pieces every
 * syntax shares, detection by shape, and the entry point; each syntax's reader is in its own
 * file (probe_connstr_int.h lists them). */
#include "probe/drivers/probe_connstr.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_connstr_int.h"

/* ---- small helpers ---- */

int probe_cs_fail(struct cs *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int probe_cs_fail(struct cs *c, const char *fmt, ...)
{
    va_list ap;

    if (c->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

bool probe_cs_is_ws(unsigned char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

bool probe_cs_starts_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

bool probe_cs_eq_ci(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static bool contains_ci(const char *s, const char *needle)
{
    size_t n = strlen(needle);

    for (; *s; s++) {
        if (strncasecmp(s, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* True when name is one of the '|'-separated words of list (case-insensitive). */
bool probe_cs_in_list_ci(const char *name, const char *list)
{
    size_t n = strlen(name);

    while (*list) {
        const char *bar = strchr(list, '|');
        size_t len = bar ? (size_t)(bar - list) : strlen(list);

        if (len == n && strncasecmp(name, list, n) == 0) {
            return true;
        }
        if (!bar) {
            break;
        }
        list = bar + 1;
    }
    return false;
}

/* Decoded strings are appended to c->buf. The buffer holds the whole text plus a NUL per
 * string and CS_MAX_PAIRS bounds the strings, so it cannot fill; the checks are a backstop. */
char *probe_cs_sb_begin(struct cs *c)
{
    return c->buf + c->used;
}

void probe_cs_sb_putc(struct cs *c, char ch)
{
    if (c->used + 1 < sizeof(c->buf)) {
        c->buf[c->used++] = ch;
    }
}

void probe_cs_sb_putn(struct cs *c, const char *s, size_t n)
{
    while (n-- > 0) {
        probe_cs_sb_putc(c, *s++);
    }
}

const char *probe_cs_sb_end(struct cs *c, char *start)
{
    c->buf[c->used] = '\0';
    if (c->used + 1 < sizeof(c->buf)) {
        c->used++;
    }
    return start;
}

/* text[from, to) trimmed of whitespace, copied into c->buf. */
const char *probe_cs_sb_trimmed(struct cs *c, size_t from, size_t to)
{
    char *start = probe_cs_sb_begin(c);

    while (from < to && probe_cs_is_ws((unsigned char)c->text[from])) {
        from++;
    }
    while (to > from && probe_cs_is_ws((unsigned char)c->text[to - 1])) {
        to--;
    }
    probe_cs_sb_putn(c, c->text + from, to - from);
    return probe_cs_sb_end(c, start);
}

/* The rule every syntax shares, beside its own table: "pwd" (ODBC's generic password key,
 * MS-ODBCSTR "generic keys") and any name containing "password" or "secret". mssql-jdbc
 * treats every name ending in "password" or "secret" as sensitive so that future properties
 * are covered (SQLServerDataSource.isSensitiveReferenceProperty); "containing" also covers
 * misspelt and unknown keys, which ODBC and JDBC pass over without a word. */
static const struct cs_secret shared_secret = { "pwd", CS_SECRET_WHOLE };

static const struct cs_secret *secret_row(const struct cs *c, const char *key)
{
    for (size_t i = 0; i < c->n_secrets; i++) {
        if (probe_cs_in_list_ci(key, c->secrets[i].names)) {
            return &c->secrets[i];
        }
    }
    if (probe_cs_in_list_ci(key, shared_secret.names) || contains_ci(key, "password") ||
        contains_ci(key, "secret")) {
        return &shared_secret;
    }
    return NULL;
}

/* "file:PATH[,password:SECRET]" (ODBC ClientCertificate and ClientKey): the secret is what
 * follows the first ','. The documentation escapes commas in the password (",,") but not in
 * the path, so a path with a ',' loses its tail to the mask rather than show part of the
 * password. The other forms (sha1:HASH, subject:NAME) hold no secret. A {braced} value keeps
 * its closing '}'. */
static void file_password(const char *text, struct cs_mask *m)
{
    static const char file[] = "file:", label[] = "password:";
    size_t from = m->from, to = m->to;

    if (to - from >= 2 && text[from] == '{' && text[to - 1] == '}') {
        from++;
        to--;
    }
    while (from < to && probe_cs_is_ws((unsigned char)text[from])) {
        from++;
    }
    const char *comma = memchr(text + from, ',', to - from);
    if (to - from < sizeof(file) - 1 || strncasecmp(text + from, file, sizeof(file) - 1) != 0 ||
        comma == NULL) {
        m->from = m->to; /* a path alone, or not a file */
        return;
    }
    from = (size_t)(comma - text) + 1;
    if (to - from >= sizeof(label) - 1 && strncasecmp(text + from, label, sizeof(label) - 1) == 0) {
        from += sizeof(label) - 1;
    }
    m->from = from;
    m->to = to;
}

/* A span recorded twice (the go URL is masked by a first pass, then split) counts once. */
static int push_mask(struct cs *c, struct cs_mask m)
{
    for (size_t i = 0; i < c->n_mask; i++) {
        if (c->mask[i].from == m.from && c->mask[i].to == m.to) {
            return 0;
        }
    }
    if (c->n_mask == CS_MAX_MASKS) {
        return probe_cs_fail(c, "more than %d secret values", CS_MAX_MASKS);
    }
    c->mask[c->n_mask++] = m;
    return 0;
}

int probe_cs_mask_secret(struct cs *c, const char *key, struct cs_mask m)
{
    const struct cs_secret *row = secret_row(c, key);

    if (row == NULL) {
        return 0;
    }
    if (row->part == CS_SECRET_FILE_PASSWORD) {
        file_password(c->text, &m);
    }
    return m.from < m.to ? push_mask(c, m) : 0;
}

int probe_cs_add_pair(struct cs *c, const char *key, const char *val, size_t from, size_t to)
{
    if (c->n_pairs == CS_MAX_PAIRS) {
        return probe_cs_fail(c, "more than %d keywords", CS_MAX_PAIRS);
    }
    c->pairs[c->n_pairs++] = (struct cs_pair){ key, val, from, to };
    /* A secret with no value ("PWD;", "Password=;") has nothing to hide. */
    if (val == NULL) {
        return 0;
    }
    return probe_cs_mask_secret(c, key, (struct cs_mask){ from, to, '\0', '\0' });
}

/* t->text = the input with every recorded secret span replaced by "***". */
void probe_cs_write_masked_text(struct cs *c)
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
        if (m->flag) {
            snprintf(repl, sizeof(repl), "-%c***", m->flag);
        } else if (m->tail) {
            snprintf(repl, sizeof(repl), "***%c", m->tail);
        }
        for (size_t k = at; k < m->from && o + 1 < cap; k++) {
            out[o++] = c->text[k];
        }
        for (size_t k = 0; repl[k] && o + 1 < cap; k++) {
            out[o++] = repl[k];
        }
        at = m->to;
    }
    for (size_t k = at; c->text[k] != '\0' && o + 1 < cap; k++) {
        out[o++] = c->text[k];
    }
    out[o] = '\0';
}

static int set_str(struct cs *c, const char *kw, char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        return probe_cs_fail(c, "%s: the value is longer than %zu characters", kw, cap - 1);
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

int probe_cs_set_field(struct cs *c, const char *kw, char *dst, size_t cap, const char *s)
{
    return set_str(c, kw, dst, cap, s, strlen(s));
}

/* A decimal TCP port, 1-65535, surrounding blanks allowed. */
bool probe_cs_parse_port(const char *s, size_t n, uint16_t *port)
{
    unsigned long v = 0;
    size_t i = 0, digits = 0;

    while (n > 0 && probe_cs_is_ws((unsigned char)s[n - 1])) {
        n--;
    }
    while (i < n && probe_cs_is_ws((unsigned char)s[i])) {
        i++;
    }
    for (; i < n && isdigit((unsigned char)s[i]) && v <= 65535; i++, digits++) {
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (digits == 0 || i != n || v < 1 || v > 65535) {
        return false;
    }
    *port = (uint16_t)v;
    return true;
}

/* The host part as written; "[v6]" loses its brackets; empty means the local server, which
 * every driver here connects to as "localhost" (SqlClient's DataSource parsing, go-mssqldb's
 * msdsn default host). */
int probe_cs_set_host(struct cs *c, const char *kw, const char *h, size_t n)
{
    while (n > 0 && probe_cs_is_ws((unsigned char)h[n - 1])) {
        n--;
    }
    while (n > 0 && probe_cs_is_ws((unsigned char)*h)) {
        h++;
        n--;
    }
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0) {
        return probe_cs_set_field(c, kw, c->t->host, sizeof(c->t->host), "localhost");
    }
    return set_str(c, kw, c->t->host, sizeof(c->t->host), h, n);
}

/* [tcp:|admin:]host[\instance][,port], SqlClient's Data Source and ODBC's Server: as in managed
 * SNI (DataSource.cs) the ",port" wins over "\instance" (the instance is kept for the report);
 * named pipes and shared memory are not TCP and cannot be probed. */
int probe_cs_parse_data_source(struct cs *c, const char *kw, const char *v)
{
    struct probe_target *t = c->t;
    bool dac = false;

    while (probe_cs_is_ws((unsigned char)*v)) {
        v++;
    }
    if (probe_cs_starts_ci(v, "tcp:")) {
        v += 4;
    } else if (probe_cs_starts_ci(v, "admin:")) {
        v += 6;
        dac = true;
    } else if (probe_cs_starts_ci(v, "np:") || probe_cs_starts_ci(v, "lpc:") ||
               probe_cs_starts_ci(v, "via:")) {
        return probe_cs_fail(c, "%s: '%.*s' is not a TCP address; tdsprobe probes TCP only (write "
                                "tcp:host[,port])", kw, (int)(strchr(v, ':') - v + 1), v);
    }
    const char *end = v + strlen(v);
    const char *comma = strrchr(v, ',');
    if (comma) {
        if (!probe_cs_parse_port(comma + 1, (size_t)(end - comma - 1), &t->port)) {
            return probe_cs_fail(c, "%s: '%s' is not a TCP port (1-65535)", kw, comma + 1);
        }
        end = comma;
    }
    const char *bs = memchr(v, '\\', (size_t)(end - v));
    if (bs) {
        if (set_str(c, kw, t->instance, sizeof(t->instance), bs + 1, (size_t)(end - bs - 1))) {
            return -1;
        }
        end = bs;
    }
    if (dac && t->port == 0 && t->instance[0] == '\0') {
        t->port = 1434; /* the dedicated admin connection of a default instance */
    }
    return probe_cs_set_host(c, kw, v, (size_t)(end - v));
}

/* A "{...}" value (ODBC and JDBC): "}}" is a literal '}'. Reads from the '{' at open, stores
 * the value in *val (the string buffer), returns the index after the closing '}', or 0 when
 * the value never closes. */
size_t probe_cs_braced_value(struct cs *c, size_t open, const char **val)
{
    const char *s = c->text;
    char *v = probe_cs_sb_begin(c);
    size_t i = open + 1;

    for (;;) {
        if (s[i] == '\0') {
            return 0;
        }
        if (s[i] == '}' && s[i + 1] == '}') {
            probe_cs_sb_putc(c, '}');
            i += 2;
        } else if (s[i] == '}') {
            break;
        } else {
            probe_cs_sb_putc(c, s[i++]);
        }
    }
    *val = probe_cs_sb_end(c, v);
    return i + 1;
}

/* ---- detection and entry point ---- */

/* The first word's file name is sqlcmd or sqlcmd.exe (a path before it is allowed). */
static bool is_sqlcmd(const char *s)
{
    size_t n = strcspn(s, " \t\r\n\v\f");
    const char *base = s;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' || s[i] == '\\') {
            base = s + i + 1;
        }
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

            while (probe_cs_is_ws((unsigned char)*k)) {
                k++;
            }
            if (probe_cs_starts_ci(k, "driver")) {
                k += 6;
                while (probe_cs_is_ws((unsigned char)*k)) {
                    k++;
                }
                if (*k == '=') {
                    return true;
                }
            }
        }
        if (*p == '=') {
            const char *v = p + 1;

            while (probe_cs_is_ws((unsigned char)*v)) {
                v++;
            }
            if (*v == '{') {
                return true;
            }
        }
    }
    return false;
}

enum probe_connstr_kind probe_connstr_detect(const char *text)
{
    const char *s = text;

    while (probe_cs_is_ws((unsigned char)*s)) {
        s++;
    }
    if (probe_cs_starts_ci(s, "jdbc:sqlserver:")) {
        return PROBE_CS_JDBC;
    }
    if (probe_cs_starts_ci(s, "sqlserver://")) {
        return PROBE_CS_GO_URL;
    }
    if (is_sqlcmd(s)) {
        return PROBE_CS_SQLCMD;
    }
    if (!strchr(s, '=')) {
        return PROBE_CS_NONE;
    }
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
    if (probe_cs_starts_ci(s, "odbc:") && kind != PROBE_CS_NONE) {
        return probe_cs_fail(c, "odbc: go-mssqldb's ODBC form is not supported yet; give the same "
                                "settings as a sqlserver:// URL");
    }
    switch (kind) {
    case PROBE_CS_ADONET:
        return probe_cs_parse_adonet(c);
    case PROBE_CS_ODBC:
        return probe_cs_parse_odbc(c);
    case PROBE_CS_JDBC:
        return probe_cs_parse_jdbc(c);
    case PROBE_CS_GO_URL:
        return probe_cs_parse_go_url(c);
    case PROBE_CS_SQLCMD:
        return probe_cs_parse_sqlcmd(c);
    case PROBE_CS_NONE:
        break;
    }
    return probe_cs_fail(c, "'%s' is not a connection string (no key=value, URL or sqlcmd form)",
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
    if (errlen > 0) {
        err[0] = '\0';
    }
    memset(t, 0, sizeof(*t));
    probe_client_default(&t->client);
    if (n >= sizeof(t->text)) {
        return probe_cs_fail(&c, "the connection string is longer than %zu characters",
                    sizeof(t->text) - 1);
    }
    if (parse_kind(&c, probe_connstr_detect(text)) != 0) {
        memset(t, 0, sizeof(*t)); /* nothing half-parsed, and surely no secret */
        return -1;
    }
    probe_cs_write_masked_text(&c);
    return 0;
}
