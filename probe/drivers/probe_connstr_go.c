/* probe/drivers/probe_connstr_go.c: the go-mssqldb URL, read as go-mssqldb reads it
 * (msdsn/conn_str.go on top of Go's net/url) into the "go-mssqldb" driver. */
#include "probe/drivers/probe_connstr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "probe/drivers/probe_target.h"
#include "tls/tls_version.h"

/* ---- go-mssqldb URL ---- */

/* Secret keys, as msdsn and the azuread package read them (lower-cased query keys):
 *   password         msdsn.Password: the userinfo's password (splitConnectionStringURL) or the
 *                    query's; also the client secret or certificate password of azuread's
 *                    ActiveDirectoryServicePrincipal and ActiveDirectoryPassword
 *   change password  msdsn.ChangePassword, the login's new password
 *   systemtoken      azuread ActiveDirectoryAzurePipelines: the pipeline's access token
 *   clientassertion, userassertion
 *                    azuread ActiveDirectoryClientAssertion / OnBehalfOf: signed JWTs
 * Not secrets: user id and applicationclientid (identifiers), clientcertpath, tokenfilepath
 * and the krb5-* files (paths). */
static const struct cs_secret go_secrets[] = {
    { "password|change password", CS_SECRET_WHOLE },
    { "systemtoken|clientassertion|userassertion", CS_SECRET_WHOLE },
};

/* Percent-decodes text[from, to) into c->buf ('+' is a space in a query). NULL when an
 * escape is malformed (url.QueryUnescape fails; Query() then drops the pair). */
static const char *go_unescape(struct cs *c, size_t from, size_t to, bool query)
{
    char *start = probe_cs_sb_begin(c);

    for (size_t i = from; i < to; i++) {
        char ch = c->text[i];

        if (ch == '%') {
            if (to - i < 3 || probe_hex_digit(c->text[i + 1]) < 0 ||
                probe_hex_digit(c->text[i + 2]) < 0) {
                probe_cs_sb_end(c, start);
                return NULL;
            }
            ch = (char)(probe_hex_digit(c->text[i + 1]) * 16 + probe_hex_digit(c->text[i + 2]));
            i += 2;
        } else if (ch == '+' && query) {
            ch = ' ';
        }
        probe_cs_sb_putc(c, ch);
    }
    return probe_cs_sb_end(c, start);
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

    if (probe_cs_add_pair(c, "user id", user ? user : "", from, user_end)) {
        return -1;
    }
    if (!colon) {
        return 0;
    }
    /* the password itself is not kept */
    return probe_cs_mask_secret(c, "password", (struct cs_mask){ user_end + 1, at, '\0', '\0' });
}

/* The last '@' of s[0, n), the end of the userinfo in an authority; NULL when none. */
static const char *go_last_at(const char *s, size_t n)
{
    while (n-- > 0) {
        if (s[n] == '@') {
            return s + n;
        }
    }
    return NULL;
}

/* text[i] is inside a masked span. */
static bool go_masked_at(const struct cs *c, size_t i)
{
    for (size_t k = 0; k < c->n_mask; k++) {
        if (c->mask[k].from <= i && i < c->mask[k].to) {
            return true;
        }
    }
    return false;
}

/* ":port" after the host; url.Parse lets only digits through, and an empty port is none. A
 * port that is the start of a password (go_mask_cut_password) is quoted masked. */
static int go_port_pair(struct cs *c, size_t colon, size_t to)
{
    const char *s = c->text;

    for (size_t i = colon + 1; i < to; i++) {
        if (!isdigit((unsigned char)s[i]) && go_masked_at(c, colon + 1)) {
            return probe_cs_fail(c, "parse \"%s\": invalid port \":***\" after host",
                                    c->t->text);
        }
        if (!isdigit((unsigned char)s[i])) {
            return probe_cs_fail(c, "parse \"%s\": invalid port \"%.*s\" after host",
                                    c->t->text, (int)(to - colon), s + colon);
        }
    }
    if (colon + 1 >= to) {
        return 0;
    }
    return probe_cs_add_pair(c, "port", probe_cs_sb_trimmed(c, colon + 1, to), colon + 1, to);
}

/* host[:port] or [v6][:port]. url.Parse rejects a non-numeric port; net.SplitHostPort
 * leaves the whole authority as the host when there is no port. */
static int go_hostport(struct cs *c, size_t from, size_t to)
{
    const char *s = c->text;
    size_t colon = to, hend;

    if (s[from] == '[') {
        const char *close = memchr(s + from, ']', to - from);

        if (!close) {
            return probe_cs_fail(c, "parse \"%s\": missing ']' in host", c->t->text);
        }
        hend = (size_t)(close - s) + 1;
        if (hend < to && s[hend] == ':') {
            colon = hend;
        } else if (hend < to) {
            return probe_cs_fail(c, "parse \"%s\": invalid port after host", c->t->text);
        }
    } else {
        const char *last = memchr(s + from, ':', to - from);

        colon = last ? (size_t)(last - s) : to;
        hend = colon;
        if (last && memchr(last + 1, ':', to - (size_t)(last - s) - 1)) {
            colon = hend = to; /* too many colons: SplitHostPort fails, all is host */
        }
    }
    const char *host = go_unescape(c, from, hend, false);
    if (!host) {
        return probe_cs_fail(c, "parse \"%s\": invalid URL escape in host", c->t->text);
    }
    if (probe_cs_add_pair(c, "server", host, from, hend)) {
        return -1;
    }
    if (go_port_pair(c, colon, to)) {
        return -1;
    }
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
    while (from < to && s[from] != '&') {
        from++;
    }
    return from;
}

/* Go 1.17+ splits on '&' only: a segment with a ';' anywhere is dropped, and so is one with
 * an invalid escape in its key or value, and an empty one. An empty key ("=v") is kept. The
 * masking pass and go_query both read segments here, so they cannot disagree. */
static void go_qpair_read(struct cs *c, size_t from, size_t to, struct go_qpair *p)
{
    p->eq = from;
    while (p->eq < to && c->text[p->eq] != '=') {
        p->eq++;
    }
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
        if (probe_cs_eq_ci(c->pairs[k].key, p->key)) {
            return probe_cs_fail(c, "key %s provided more than once", p->key);
        }
    }
    return probe_cs_add_pair(c, p->key, p->val, p->val_from, to);
}

/* The query, text[from, to): the pairs url.ParseQuery keeps, after the URL's own. */
static int go_query(struct cs *c, size_t from, size_t to, size_t first_query_pair)
{
    for (size_t i = from, end; i < to; i = end + 1) {
        struct go_qpair p;

        end = go_segment_end(c->text, i, to);
        go_qpair_read(c, i, end, &p);
        if (p.kept && go_query_pair(c, &p, end, first_query_pair)) {
            return -1;
        }
    }
    return 0;
}

/* The path names the instance: msdsn sets server = host + "\\" + path[1:]. */
static int go_instance(struct cs *c, size_t from, size_t to)
{
    struct cs_pair *server = &c->pairs[c->n_pairs - 1];
    const char *inst = go_unescape(c, from, to, false);
    char *v;

    while (strcmp(server->key, "server") != 0) { /* go_hostport added it, maybe then "port" */
        server--;
    }
    if (!inst) {
        return probe_cs_fail(c, "parse \"%s\": invalid URL escape in path", c->t->text);
    }
    v = probe_cs_sb_begin(c);
    probe_cs_sb_putn(c, server->val, strlen(server->val));
    probe_cs_sb_putc(c, '\\');
    probe_cs_sb_putn(c, inst, strlen(inst));
    server->val = probe_cs_sb_end(c, v);
    return 0;
}

/* Splits sqlserver://[user[:pass]@]host[:port][/instance][?query][#fragment]. The URL parts
 * become "server" and "port" pairs first; query keys override them, as in msdsn. */
static int go_split(struct cs *c, size_t pos)
{
    const char *s = c->text;
    size_t len = strlen(s), auth_end = pos, path_end, q_end;

    for (size_t i = pos; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return probe_cs_fail(c, "parse \"%s\": net/url: invalid control character in URL",
                                    c->t->text);
        }
    }
    while (auth_end < len && !strchr("/?#", s[auth_end])) {
        auth_end++;
    }
    const char *at = go_last_at(s + pos, auth_end - pos);
    if (at) {
        if (go_userinfo(c, pos, (size_t)(at - s))) {
            return -1;
        }
        pos = (size_t)(at - s) + 1;
    }
    if (go_hostport(c, pos, auth_end)) {
        return -1;
    }
    for (path_end = auth_end; path_end < len && !strchr("?#", s[path_end]); path_end++) {
        continue;
    }
    if (path_end > auth_end + 1 && go_instance(c, auth_end + 1, path_end)) {
        return -1;
    }
    for (q_end = path_end; q_end < len && s[q_end] != '#'; q_end++) {
        continue;
    }
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
        key = p.key ? p.key : probe_cs_sb_trimmed(c, i, p.eq); /* "password%zz=..." as written */
        if (probe_cs_mask_secret(c, key,
                                 (struct cs_mask){ p.val_from, end, '\0', p.kept ? '\0' : ';' })) {
            return -1;
        }
    }
    return 0;
}

/* A password with an unescaped '/', '?' or '#' ends the authority early ("sa:Pa/ss@db1"):
 * url.Parse reads "sa:Pa" as host:port, fails on the port, and its error would quote the
 * password. So when the authority (text[pos, auth), no '@' in it) is host:port with one ':'
 * and a port that is not a number, which go_hostport rejects for certain, and an '@' comes
 * later, the text from the ':' to the last '@' is masked in that error. go-mssqldb itself no
 * longer quotes the URL, as it may contain credentials (msdsn splitConnectionStringURL). */
static int go_mask_cut_password(struct cs *c, size_t pos, size_t auth)
{
    const char *s = c->text;
    const char *colon = memchr(s + pos, ':', auth - pos);
    const char *at = strrchr(s + auth, '@');

    if (s[pos] == '[' || colon == NULL || at == NULL ||
        memchr(colon + 1, ':', auth - (size_t)(colon - s) - 1)) {
        return 0;
    }
    size_t from = (size_t)(colon - s) + 1;
    if (strspn(s + from, "0123456789") >= auth - from) {
        return 0; /* a port: the '@' is the query's or the path's */
    }
    return probe_cs_mask_secret(c, "password", (struct cs_mask){ from, (size_t)(at - s), '\0',
                                                                '\0' });
}

/* Finds the password spans before anything is judged, so that errors quoting the URL (as
 * url.Parse's do) quote it masked. The bounds are go_split's. Decoded keys are scratch: the
 * buffer is reset after. */
static int go_mask_secrets(struct cs *c, size_t pos)
{
    const char *s = c->text;
    size_t len = strlen(s), auth = pos, q, q_end;
    int rc = 0;

    while (auth < len && !strchr("/?#", s[auth])) {
        auth++;
    }
    const char *at = go_last_at(s + pos, auth - pos);
    const char *colon = at ? memchr(s + pos, ':', (size_t)(at - s) - pos) : NULL;

    if (colon) {
        rc = probe_cs_mask_secret(c, "password", (struct cs_mask){ (size_t)(colon - s) + 1,
                                                                  (size_t)(at - s), '\0', '\0' });
    } else if (!at) {
        rc = go_mask_cut_password(c, pos, auth);
    }
    q = auth + strcspn(s + auth, "?#");
    q_end = q + strcspn(s + q, "#");
    if (rc == 0 && q < q_end) {
        rc = go_mask_query(c, q + 1, q_end);
    }
    c->used = 0;
    probe_cs_write_masked_text(c); /* the spans stay: go_split finds the same ones again */
    return rc;
}

/* strconv.ParseBool: exactly these spellings. */
static int go_parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") || !strcmp(v, "TRUE") ||
        !strcmp(v, "true") || !strcmp(v, "True")) {
        *out = true;
    } else if (!strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") || !strcmp(v, "FALSE") ||
               !strcmp(v, "false") || !strcmp(v, "False")) {
        *out = false;
    } else {
        return -1;
    }
    return 0;
}

/* msdsn parseTLS: encrypt is lower-cased; disable sends NOT_SUP. */
int probe_cs_go_encrypt(struct cs *c, const char *v)
{
    struct probe_client *cl = &c->t->client;

    cl->trust_server_certificate = false; /* any encrypt key turns validation on */
    if (probe_cs_in_list_ci(v, "mandatory|yes|1|t|true")) {
        cl->encrypt = PROBE_ENCRYPT_MANDATORY;
    } else if (probe_cs_in_list_ci(v, "optional|no|0|f|false")) {
        cl->encrypt = PROBE_ENCRYPT_OPTIONAL;
    } else if (probe_cs_eq_ci(v, "disable")) {
        cl->encrypt = PROBE_ENCRYPT_OPTIONAL;
        cl->encrypt_disable = true;
    } else if (probe_cs_eq_ci(v, "strict")) {
        cl->encrypt = PROBE_ENCRYPT_STRICT;
    } else {
        return probe_cs_fail(c, "invalid encrypt '%s'", v);
    }
    return 0;
}

static int go_trust(struct cs *c, const char *v)
{
    char q[200];

    if (go_parse_bool(v, &c->t->client.trust_server_certificate) == 0) {
        return 0;
    }
    go_quote(v, q, sizeof(q));
    return probe_cs_fail(c, "invalid trust server certificate '%s': strconv.ParseBool: parsing "
                            "\"%s\": invalid syntax", v, q);
}

/* strconv.ParseUint(port, 10, 16). Port 0 means the default. */
static int go_port(struct cs *c, const char *v)
{
    unsigned long n = 0;
    size_t i = 0;
    char q[200];

    for (; isdigit((unsigned char)v[i]) && n <= 65535; i++) {
        n = n * 10 + (unsigned long)(v[i] - '0');
    }
    go_quote(v, q, sizeof(q));
    if (i == 0 || (v[i] != '\0' && !isdigit((unsigned char)v[i]))) {
        return probe_cs_fail(c, "invalid tcp port '%s': strconv.ParseUint: parsing \"%s\": "
                                "invalid syntax", v, q);
    }
    if (n > 65535) {
        return probe_cs_fail(c, "invalid tcp port '%s': strconv.ParseUint: parsing \"%s\": value "
                                "out of range", v, q);
    }
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
        if (strcmp(v, map[i].name) == 0) {
            cl->tls_min = map[i].v;
            cl->tls_named |= PROBE_TLS_NAMED_MIN;
        }
    }
    if (cl->tls_max < cl->tls_min) {
        cl->tls_max = cl->tls_min;
        cl->tls_named |= PROBE_TLS_NAMED_MAX;
    }
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

    if (bs && probe_cs_set_field(c, "server", c->t->instance, sizeof(c->t->instance), bs + 1)) {
        return -1;
    }
    return probe_cs_set_host(c, "server", server, hlen);
}

static int go_apply(struct cs *c, const char *const *val)
{
    struct probe_client *cl = &c->t->client;

    if (val[GF_PORT] && go_port(c, val[GF_PORT])) {
        return -1;
    }
    if (val[GF_ENCRYPT] && probe_cs_go_encrypt(c, val[GF_ENCRYPT])) {
        return -1;
    }
    if (val[GF_TRUST] && go_trust(c, val[GF_TRUST])) {
        return -1;
    }
    if (val[GF_SCERT] && (val[GF_CERT] || val[GF_HNIC])) {
        return probe_cs_fail(c, "serverCertificate cannot be combined with %s",
                                val[GF_CERT] ? "certificate" : "hostnameincertificate");
    }
    if (val[GF_TLSMIN]) {
        go_tlsmin(cl, val[GF_TLSMIN]);
    }
    if (val[GF_HNIC] && probe_cs_set_field(c, "hostnameincertificate", cl->host_name_in_certificate,
                                           sizeof(cl->host_name_in_certificate), val[GF_HNIC])) {
        return -1;
    }
    if (val[GF_CERT] &&
        probe_cs_set_field(c, "certificate", cl->ca_file, sizeof(cl->ca_file), val[GF_CERT])) {
        return -1;
    }
    if (val[GF_SCERT] && probe_cs_set_field(c, "serverCertificate", cl->server_certificate,
                                            sizeof(cl->server_certificate), val[GF_SCERT])) {
        return -1;
    }
    return go_server(c, val[GF_SERVER] ? val[GF_SERVER] : "");
}

/* Defaults (msdsn parseTLS): no encrypt key = Off (login-only TLS) with
 * TrustServerCertificate=true; Go's crypto/tls offers TLS 1.2 at least. */
void probe_cs_go_defaults(struct probe_client *cl)
{
    snprintf(cl->driver, sizeof(cl->driver), "go-mssqldb");
    cl->encrypt = PROBE_ENCRYPT_OPTIONAL;
    cl->trust_server_certificate = true;
    cl->tls_min = TLS_V12;
}

int probe_cs_parse_go_url(struct cs *c)
{
    const char *val[GF_COUNT] = { 0 };
    struct probe_client *cl = &c->t->client;
    size_t pos = 0;

    c->secrets = go_secrets;
    c->n_secrets = ARRAY_LEN(go_secrets);
    probe_cs_go_defaults(cl);
    while (probe_cs_is_ws((unsigned char)c->text[pos])) {
        pos++;
    }
    if (strncmp(c->text + pos, "sqlserver://", 12) != 0) {
        return probe_cs_fail(c, "go-mssqldb reads a URL only when it starts with \"sqlserver://\" "
                                "in lower case; otherwise it splits the text as key=value pairs");
    }
    if (go_mask_secrets(c, pos + 12) || go_split(c, pos + 12)) {
        return -1;
    }
    for (size_t i = 0; i < c->n_pairs; i++) {
        for (int f = 0; f < GF_COUNT; f++) {
            if (probe_cs_eq_ci(c->pairs[i].key, go_fields[f])) {
                val[f] = c->pairs[i].val;
            }
        }
    }
    return go_apply(c, val);
}
