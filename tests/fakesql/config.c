/* tests/fakesql/config.c: the mssql.conf-style configuration.
 *
 * Syntax as mssql-conf writes it: "[section]" lines, "key = value" lines, '#' or ';' comments.
 * Keys are case-insensitive and '_' / '-' in them are ignored, so "reset_after_prelogin" and
 * "resetafterprelogin" are the same key. [network] takes the real SQL Server settings (unknown
 * ones are ignored with a warning, since real files carry more); [fakesql] takes the lab
 * settings (unknown ones are errors: a typo there would silently change a test); any other
 * section of a real mssql.conf ([EULA], [sqlagent], ...) is ignored.
 */
#include "fakesql.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parse context: the file name and line for error messages. */
struct pctx {
    const char *path;
    unsigned line;
    char *err;
    size_t cap;
};

__attribute__((format(printf, 2, 3))) static int fail(struct pctx *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->cap, "%s:%u: %s", p->path, p->line, msg);
    return -1;
}

void fsql_config_defaults(struct fsql_config *c)
{
    memset(c, 0, sizeof(*c));
    c->protocols = FSQL_TLS10 | FSQL_TLS11 | FSQL_TLS12;
    c->version = (struct tds_version){ .major = 16, .minor = 0, .build = 1000 };
    snprintf(c->version_text, sizeof(c->version_text), "16.0.1000.6");
    snprintf(c->servername, sizeof(c->servername), "FAKESQL");
    snprintf(c->instances[0], sizeof(c->instances[0]), "MSSQLSERVER");
    c->n_instances = 1;
    c->fail_mode = FSQL_FAIL_ALERT;
    c->packetsize = TDS_DEFAULT_PACKET;
    c->handshake_type = TDS_PKT_PRELOGIN;
    c->seclevel = 2; /* what Debian and Ubuntu 20.04+ configure, the seed's case */
    c->browserport = -1;
    c->fallback_bits = 2048;
    snprintf(c->fallback_hash, sizeof(c->fallback_hash), "sha256");
    c->idle_timeout_ms = 60000;
}

void fsql_config_free(struct fsql_config *c)
{
    free(c->endpoints);
    free(c->browser_addrs);
    free(c->nontds_reply);
    free(c->banner);
    free(c->prelogin_hex);
    memset(c, 0, sizeof(*c));
}

/* ---- small parsers ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* Lower-case, without '_' and '-'. */
static void norm_key(const char *in, char *out, size_t cap)
{
    size_t j = 0;

    for (; *in != '\0' && j + 1 < cap; in++) {
        if (*in == '_' || *in == '-') {
            continue;
        }
        out[j++] = (char)tolower((unsigned char)*in);
    }
    out[j] = '\0';
}

static int parse_ulong(struct pctx *p, const char *key, const char *v, unsigned long lo,
                       unsigned long hi, unsigned long *out)
{
    char *end;

    errno = 0;
    unsigned long n = strtoul(v, &end, 0);
    if (errno != 0 || end == v || *trim(end) != '\0' || v[0] == '-' || n < lo || n > hi) {
        return fail(p, "%s = \"%s\": expected a number in %lu..%lu", key, v, lo, hi);
    }
    *out = n;
    return 0;
}

static int parse_bool(struct pctx *p, const char *key, const char *v, bool *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return fail(p, "%s = \"%s\": expected 0 or 1", key, v);
}

/* Picks value v out of names[]; the index is the enum value. */
static int parse_enum(struct pctx *p, const char *key, const char *v, const char *const *names,
                      size_t n, int *out)
{
    char list[256] = "";

    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(v, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
    }
    return fail(p, "%s = \"%s\": expected one of %s", key, v, list);
}

static int copy_str(struct pctx *p, const char *key, const char *v, char *dst, size_t cap)
{
    size_t n = strlen(v);
    if (n >= cap) {
        return fail(p, "%s: value longer than %zu bytes", key, cap - 1);
    }
    memcpy(dst, v, n + 1);
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}

/* "04 01 00 25 ..." (spaces, ':' and a leading 0x ignored) -> bytes. */
static int parse_hex(struct pctx *p, const char *key, const char *v, uint8_t **out, size_t *len)
{
    size_t n = strlen(v);
    uint8_t *b = malloc(n / 2 + 1);
    size_t k = 0;
    int hi = -1;

    if (b == NULL) {
        return fail(p, "%s: out of memory", key);
    }
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        v += 2;
    }
    for (; *v != '\0'; v++) {
        if (isspace((unsigned char)*v) || *v == ':') {
            continue;
        }
        int d = hexval((unsigned char)*v);
        if (d < 0) {
            free(b);
            return fail(p, "%s: '%c' is not a hex digit", key, *v);
        }
        if (hi < 0) {
            hi = d;
        } else {
            b[k++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    if (hi >= 0 || k == 0) {
        free(b);
        return fail(p, "%s: expected a whole number of hex bytes", key);
    }
    free(*out);
    *out = b;
    *len = k;
    return 0;
}

/* Text with C escapes \r \n \t \\ \0 \xHH -> bytes. */
static int parse_escaped(struct pctx *p, const char *key, const char *v, uint8_t **out,
                         size_t *len)
{
    size_t n = strlen(v);
    uint8_t *b = malloc(n + 1);
    size_t k = 0;

    if (b == NULL) {
        return fail(p, "%s: out of memory", key);
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] != '\\' || i + 1 == n) {
            b[k++] = (uint8_t)v[i];
            continue;
        }
        char e = v[++i];
        if (e == 'x' && i + 2 < n + 1 && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
            b[k++] = (uint8_t)(hexval(v[i + 1]) << 4 | hexval(v[i + 2]));
            i += 2;
            continue;
        }
        b[k++] = (uint8_t)(e == 'r' ? '\r' : e == 'n' ? '\n' : e == 't' ? '\t' : e == '0' ? 0 : e);
    }
    free(*out);
    *out = b;
    *len = k;
    return 0;
}

/* ---- lists ---- */

/* Splits a comma (or space) separated list in place; returns the number of items. */
static size_t split_list(char *v, char **items, size_t max)
{
    size_t n = 0;
    char *s = v;

    while (*s != '\0' && n < max) {
        while (*s == ',' || isspace((unsigned char)*s)) {
            s++;
        }
        if (*s == '\0') {
            break;
        }
        items[n++] = s;
        while (*s != '\0' && *s != ',' && !isspace((unsigned char)*s)) {
            s++;
        }
        if (*s != '\0') {
            *s++ = '\0';
        }
    }
    return n;
}

static int parse_protocols(struct pctx *p, const char *key, char *v, unsigned *out)
{
    char *items[16];
    size_t n = split_list(v, items, 16);
    unsigned bits = 0;

    for (size_t i = 0; i < n; i++) {
        const char *s = items[i];
        if (strncasecmp(s, "tlsv", 4) == 0) {
            s += 4;
        }
        if (strcmp(s, "1.0") == 0 || strcmp(s, "1") == 0) {
            bits |= FSQL_TLS10;
        } else if (strcmp(s, "1.1") == 0) {
            bits |= FSQL_TLS11;
        } else if (strcmp(s, "1.2") == 0) {
            bits |= FSQL_TLS12;
        } else if (strcmp(s, "1.3") == 0) {
            bits |= FSQL_TLS13;
        } else {
            return fail(p, "%s: \"%s\" is not one of 1.0, 1.1, 1.2, 1.3", key, items[i]);
        }
    }
    if (bits == 0) {
        return fail(p, "%s: no TLS version given", key);
    }
    *out = bits;
    return 0;
}

/* One address: IPv4, IPv6 (brackets optional), or an IPv4 range "A-B" (inclusive). */
struct addr_item {
    int family;
    uint32_t v4_first, v4_last; /* host order */
    struct in6_addr v6;
};

static int parse_addr_item(struct pctx *p, const char *key, char *s, struct addr_item *a)
{
    char *dash = strchr(s, '-');
    struct in_addr v4;

    memset(a, 0, sizeof(*a));
    if (s[0] == '[') {
        size_t n = strlen(s);
        if (n < 2 || s[n - 1] != ']') {
            return fail(p, "%s: \"%s\" has an unclosed '['", key, s);
        }
        s[n - 1] = '\0';
        s++;
    }
    if (dash != NULL) {
        *dash = '\0';
        struct in_addr last;
        if (inet_pton(AF_INET, s, &v4) != 1 || inet_pton(AF_INET, dash + 1, &last) != 1) {
            return fail(p, "%s: \"%s-%s\" is not an IPv4 range", key, s, dash + 1);
        }
        a->family = AF_INET;
        a->v4_first = ntohl(v4.s_addr);
        a->v4_last = ntohl(last.s_addr);
        if (a->v4_last < a->v4_first) {
            return fail(p, "%s: range %s-%s runs backwards", key, s, dash + 1);
        }
        return 0;
    }
    if (inet_pton(AF_INET, s, &v4) == 1) {
        a->family = AF_INET;
        a->v4_first = a->v4_last = ntohl(v4.s_addr);
        return 0;
    }
    if (inet_pton(AF_INET6, s, &a->v6) == 1) {
        a->family = AF_INET6;
        return 0;
    }
    return fail(p, "%s: \"%s\" is not an IP address (names are not resolved)", key, s);
}

static size_t addr_item_count(const struct addr_item *a)
{
    return a->family == AF_INET ? (size_t)(a->v4_last - a->v4_first) + 1 : 1;
}

static void addr_item_get(const struct addr_item *a, size_t i, uint16_t port,
                          struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (a->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(a->v4_first + (uint32_t)i);
        sin->sin_port = htons(port);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = a->v6;
        sin6->sin6_port = htons(port);
    }
}

/* The raw list values, expanded once the whole file is read. */
struct listen_spec {
    char ipaddress[4096];
    char tcpport[1024];
    char listen[4096];
    bool have_ipaddress, have_tcpport, have_listen;
};

static int add_endpoint(struct pctx *p, struct fsql_config *c, size_t *cap,
                        const struct sockaddr_storage *sa, unsigned ai, unsigned pi)
{
    if (c->n_endpoints == FSQL_MAX_ENDPOINTS) {
        return fail(p, "more than %d listeners", FSQL_MAX_ENDPOINTS);
    }
    if (c->n_endpoints == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct fsql_endpoint *e = realloc(c->endpoints, ncap * sizeof(*e));
        if (e == NULL) {
            return fail(p, "out of memory for %zu listeners", ncap);
        }
        c->endpoints = e;
        *cap = ncap;
    }
    struct fsql_endpoint *e = &c->endpoints[c->n_endpoints++];
    e->addr = *sa;
    e->addr_index = ai;
    e->port_index = pi;
    return 0;
}

static int add_browser_addr(struct pctx *p, struct fsql_config *c, const struct addr_item *a,
                            size_t i)
{
    struct sockaddr_storage *b = realloc(c->browser_addrs, (c->n_browser_addrs + 1) * sizeof(*b));
    if (b == NULL) {
        return fail(p, "out of memory");
    }
    c->browser_addrs = b;
    addr_item_get(a, i, 0, &b[c->n_browser_addrs++]);
    return 0;
}

static int parse_port(struct pctx *p, const char *key, const char *s, uint16_t *out)
{
    unsigned long n;
    if (parse_ulong(p, key, s, 0, 65535, &n) != 0) {
        return -1;
    }
    *out = (uint16_t)n;
    return 0;
}

/* ipaddress x tcpport: every address listens on every port. */
static int expand_cross(struct pctx *p, struct fsql_config *c, struct listen_spec *ls)
{
    char *addrs[256], *ports[FSQL_MAX_PORTS];
    size_t na = split_list(ls->ipaddress, addrs, 256);
    size_t np = split_list(ls->tcpport, ports, FSQL_MAX_PORTS);
    uint16_t portv[FSQL_MAX_PORTS];
    size_t cap = 0;
    unsigned ai = 0;

    if (na == 0 || np == 0) {
        return fail(p, "ipaddress and tcpport must not be empty");
    }
    for (size_t j = 0; j < np; j++) {
        if (parse_port(p, "tcpport", ports[j], &portv[j]) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < na; i++) {
        struct addr_item a;
        if (parse_addr_item(p, "ipaddress", addrs[i], &a) != 0) {
            return -1;
        }
        for (size_t k = 0; k < addr_item_count(&a); k++, ai++) {
            struct sockaddr_storage sa;
            if (add_browser_addr(p, c, &a, k) != 0) {
                return -1;
            }
            for (size_t j = 0; j < np; j++) {
                addr_item_get(&a, k, portv[j], &sa);
                if (add_endpoint(p, c, &cap, &sa, ai, (unsigned)j) != 0) {
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* [fakesql] listen = ADDR:PORT, [V6]:PORT, A-B:PORT ... (item i maps to instance i). */
static int expand_listen(struct pctx *p, struct fsql_config *c, struct listen_spec *ls)
{
    char *items[1024];
    size_t n = split_list(ls->listen, items, 1024);
    size_t cap = 0;
    unsigned ai = 0;

    if (n == 0) {
        return fail(p, "listen: empty list");
    }
    for (size_t i = 0; i < n; i++) {
        char *colon = strrchr(items[i], ':');
        uint16_t port;
        struct addr_item a;
        if (colon == NULL || (strchr(items[i], ']') == NULL && strchr(items[i], ':') != colon)) {
            return fail(p, "listen: \"%s\" is not ADDR:PORT ([V6]:PORT for IPv6)", items[i]);
        }
        *colon = '\0';
        if (parse_port(p, "listen", colon + 1, &port) != 0 ||
            parse_addr_item(p, "listen", items[i], &a) != 0) {
            return -1;
        }
        for (size_t k = 0; k < addr_item_count(&a); k++, ai++) {
            struct sockaddr_storage sa;
            addr_item_get(&a, k, port, &sa);
            if (add_endpoint(p, c, &cap, &sa, ai, (unsigned)i) != 0 ||
                add_browser_addr(p, c, &a, k) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int parse_instances(struct pctx *p, struct fsql_config *c, char *v)
{
    char *items[FSQL_MAX_INSTANCES + 1];
    size_t n = split_list(v, items, FSQL_MAX_INSTANCES + 1);

    if (n == 0 || n > FSQL_MAX_INSTANCES) {
        return fail(p, "instances: expected 1..%d names", FSQL_MAX_INSTANCES);
    }
    for (size_t i = 0; i < n; i++) {
        if (copy_str(p, "instances", items[i], c->instances[i], sizeof(c->instances[i])) != 0) {
            return -1;
        }
    }
    c->n_instances = n;
    return 0;
}

/* "16.0.1000" or "16.0.1000.6": major.minor.build go into PRELOGIN, the text into SSRP. */
static int parse_version(struct pctx *p, struct fsql_config *c, const char *v)
{
    unsigned long part[4] = { 0 };
    const char *s = v;
    size_t n = 0;

    while (n < 4) {
        char *end;
        errno = 0;
        part[n] = strtoul(s, &end, 10);
        if (errno != 0 || end == s || !isdigit((unsigned char)*s)) {
            break;
        }
        n++;
        s = end;
        if (*s != '.') {
            break;
        }
        s++;
    }
    if (n < 3 || *s != '\0' || part[0] > 255 || part[1] > 255 || part[2] > 65535) {
        return fail(p, "version = \"%s\": expected MAJOR.MINOR.BUILD[.REV], e.g. 16.0.1000.6", v);
    }
    c->version = (struct tds_version){ .major = (uint8_t)part[0], .minor = (uint8_t)part[1],
                                       .build = (uint16_t)part[2] };
    return copy_str(p, "version", v, c->version_text, sizeof(c->version_text));
}

/* ---- sections ---- */

static int set_network(struct pctx *p, struct fsql_config *c, struct listen_spec *ls,
                       const char *k, char *v)
{
    if (strcmp(k, "tlscert") == 0) {
        return copy_str(p, k, v, c->tlscert, sizeof(c->tlscert));
    }
    if (strcmp(k, "tlskey") == 0) {
        return copy_str(p, k, v, c->tlskey, sizeof(c->tlskey));
    }
    if (strcmp(k, "tlsprotocols") == 0) {
        return parse_protocols(p, k, v, &c->protocols);
    }
    if (strcmp(k, "tlsciphers") == 0) {
        return copy_str(p, k, v, c->tlsciphers, sizeof(c->tlsciphers));
    }
    if (strcmp(k, "forceencryption") == 0) {
        return parse_bool(p, k, v, &c->forceencryption);
    }
    if (strcmp(k, "tcpport") == 0) {
        ls->have_tcpport = true;
        return copy_str(p, k, v, ls->tcpport, sizeof(ls->tcpport));
    }
    if (strcmp(k, "ipaddress") == 0) {
        ls->have_ipaddress = true;
        return copy_str(p, k, v, ls->ipaddress, sizeof(ls->ipaddress));
    }
    fprintf(stderr, "fakesql: %s:%u: [network] %s is not used by fakesql; ignored\n", p->path,
            p->line, k);
    return 0;
}

static int set_fakesql_modes(struct pctx *p, struct fsql_config *c, const char *k, char *v,
                             bool *done)
{
    static const char *const enc[] = { "supported", "not_supported" };
    static const char *const fails[] = { "alert", "reset", "close" };
    static const char *const mismatch[] = { "close", "read_login" };
    static const char *const stalls[] = { "none", "accept", "prelogin", "clienthello",
                                          "handshake" };
    int e = 0;
    int rc;

    *done = true;
    if (strcmp(k, "encryption") == 0) {
        rc = parse_enum(p, k, v, enc, 2, &e);
        c->not_supported = e == 1;
    } else if (strcmp(k, "encryptionmismatch") == 0) {
        rc = parse_enum(p, k, v, mismatch, 2, &e);
        c->not_sup_reads_login = e == 1;
    } else if (strcmp(k, "handshakefailure") == 0) {
        rc = parse_enum(p, k, v, fails, 3, &e);
        c->fail_mode = (enum fsql_fail_mode)e;
    } else if (strcmp(k, "stall") == 0) {
        rc = parse_enum(p, k, v, stalls, 5, &e);
        c->stall = (enum fsql_stall)e;
    } else if (strcmp(k, "strict") == 0) {
        bool on = false;
        if (strcasecmp(v, "force") == 0) {
            c->strict = FSQL_STRICT_FORCE;
            return 0;
        }
        rc = parse_bool(p, k, v, &on);
        c->strict = on ? FSQL_STRICT_ON : FSQL_STRICT_OFF;
    } else {
        *done = false;
        return 0;
    }
    return rc;
}

static int set_fakesql_numbers(struct pctx *p, struct fsql_config *c, const char *k, char *v,
                               bool *done)
{
    unsigned long n = 0;
    int rc = 0;

    *done = true;
    if (strcmp(k, "packetsize") == 0) {
        rc = parse_ulong(p, k, v, 512, 32767, &n);
        c->packetsize = (unsigned)n;
    } else if (strcmp(k, "seclevel") == 0) {
        rc = parse_ulong(p, k, v, 0, 5, &n);
        c->seclevel = (int)n;
    } else if (strcmp(k, "browserport") == 0) {
        rc = parse_ulong(p, k, v, 0, 65535, &n);
        c->browserport = (int)n;
    } else if (strcmp(k, "handshakepackettype") == 0) {
        rc = parse_ulong(p, k, v, 0, 255, &n);
        c->handshake_type = (uint8_t)n;
    } else if (strcmp(k, "fallbackkeybits") == 0) {
        rc = parse_ulong(p, k, v, 512, 8192, &n);
        c->fallback_bits = (unsigned)n;
    } else if (strcmp(k, "idletimeout") == 0) {
        rc = parse_ulong(p, k, v, 0, 86400, &n);
        c->idle_timeout_ms = (unsigned)n * 1000u;
    } else {
        *done = false;
    }
    return rc;
}

static int set_fakesql(struct pctx *p, struct fsql_config *c, struct listen_spec *ls,
                       const char *k, char *v)
{
    bool done;
    int rc = set_fakesql_modes(p, c, k, v, &done);
    if (done) {
        return rc;
    }
    rc = set_fakesql_numbers(p, c, k, v, &done);
    if (done) {
        return rc;
    }
    if (strcmp(k, "version") == 0) {
        return parse_version(p, c, v);
    }
    if (strcmp(k, "servername") == 0) {
        return copy_str(p, k, v, c->servername, sizeof(c->servername));
    }
    if (strcmp(k, "instances") == 0 || strcmp(k, "instance") == 0 ||
        strcmp(k, "instancename") == 0) {
        return parse_instances(p, c, v);
    }
    if (strcmp(k, "resetafterprelogin") == 0) {
        return parse_bool(p, k, v, &c->reset_after_prelogin);
    }
    if (strcmp(k, "handshakeeom") == 0) {
        static const char *const eom[] = { "last", "every" };
        int e = 0;
        rc = parse_enum(p, k, v, eom, 2, &e);
        c->eom_every_packet = e == 1;
        return rc;
    }
    if (strcmp(k, "nontdsreply") == 0) {
        return parse_escaped(p, k, v, &c->nontds_reply, &c->nontds_reply_len);
    }
    if (strcmp(k, "banner") == 0) {
        return parse_escaped(p, k, v, &c->banner, &c->banner_len);
    }
    if (strcmp(k, "preloginhex") == 0 || strcmp(k, "preloginreply") == 0) {
        return parse_hex(p, k, v, &c->prelogin_hex, &c->prelogin_hex_len);
    }
    if (strcmp(k, "fallbackhash") == 0) {
        return copy_str(p, k, v, c->fallback_hash, sizeof(c->fallback_hash));
    }
    if (strcmp(k, "groups") == 0) {
        return copy_str(p, k, v, c->groups, sizeof(c->groups));
    }
    if (strcmp(k, "ciphersuites13") == 0) {
        return copy_str(p, k, v, c->ciphersuites13, sizeof(c->ciphersuites13));
    }
    if (strcmp(k, "quiet") == 0) {
        return parse_bool(p, k, v, &c->quiet);
    }
    if (strcmp(k, "listen") == 0) {
        ls->have_listen = true;
        return copy_str(p, k, v, ls->listen, sizeof(ls->listen));
    }
    return fail(p, "[fakesql] has no setting \"%s\" (see samples/lab/README.md)", k);
}

enum section { SEC_OTHER, SEC_NETWORK, SEC_FAKESQL };

/* ${NAME} in a value is the environment variable NAME (a fakesql extension, so the lab samples
 * can say tlscert = ${TDSPROBE_CERTS}/good.pem). An unset variable is an error. */
static int expand_env(struct pctx *p, const char *in, char *out, size_t cap)
{
    size_t j = 0;

    while (*in != '\0') {
        const char *end = in[0] == '$' && in[1] == '{' ? strchr(in, '}') : NULL;
        const char *val = NULL;
        size_t n;
        if (end != NULL) {
            char name[128];
            n = (size_t)(end - in - 2);
            if (n == 0 || n >= sizeof(name)) {
                return fail(p, "bad ${...} reference");
            }
            memcpy(name, in + 2, n);
            name[n] = '\0';
            val = getenv(name);
            if (val == NULL) {
                return fail(p, "${%s} is not set in the environment", name);
            }
            in = end + 1;
        }
        n = val ? strlen(val) : 1;
        if (n >= cap - j) {
            return fail(p, "value too long after expanding ${...}");
        }
        memcpy(out + j, val ? val : in, n);
        j += n;
        in += val ? 0 : 1;
    }
    out[j] = '\0';
    return 0;
}

static int parse_line(struct pctx *p, struct fsql_config *c, struct listen_spec *ls,
                      enum section *sec, char *line)
{
    char *s = trim(line);
    char key[64];

    if (*s == '\0' || *s == '#' || *s == ';') {
        return 0;
    }
    if (*s == '[') {
        char *end = strchr(s, ']');
        if (end == NULL) {
            return fail(p, "section header without ']'");
        }
        *end = '\0';
        s = trim(s + 1);
        *sec = strcasecmp(s, "network") == 0   ? SEC_NETWORK
               : strcasecmp(s, "fakesql") == 0 ? SEC_FAKESQL
                                               : SEC_OTHER;
        return 0;
    }
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        return fail(p, "expected \"key = value\"");
    }
    *eq = '\0';
    norm_key(trim(s), key, sizeof(key));
    char v[8192];
    if (*sec == SEC_OTHER) {
        return 0;
    }
    if (expand_env(p, trim(eq + 1), v, sizeof(v)) != 0) {
        return -1;
    }
    if (*sec == SEC_NETWORK) {
        return set_network(p, c, ls, key, v);
    }
    return set_fakesql(p, c, ls, key, v);
}

static int finish(struct pctx *p, struct fsql_config *c, struct listen_spec *ls)
{
    p->line = 0;
    if (!ls->have_ipaddress) {
        snprintf(ls->ipaddress, sizeof(ls->ipaddress), "127.0.0.1");
    }
    if (!ls->have_tcpport) {
        snprintf(ls->tcpport, sizeof(ls->tcpport), "1433");
    }
    if (ls->have_listen && (ls->have_ipaddress || ls->have_tcpport)) {
        return fail(p, "use either [fakesql] listen or [network] ipaddress/tcpport, not both");
    }
    if (c->tlskey[0] != '\0' && c->tlscert[0] == '\0') {
        return fail(p, "tlskey is set but tlscert is not");
    }
    int rc = ls->have_listen ? expand_listen(p, c, ls) : expand_cross(p, c, ls);
    return rc;
}

int fsql_config_load(struct fsql_config *c, const char *path, char *err, size_t cap)
{
    struct pctx p = { .path = path, .line = 0, .err = err, .cap = cap };
    struct listen_spec *ls = calloc(1, sizeof(*ls));
    enum section sec = SEC_OTHER;
    char line[8192];
    int rc = 0;

    if (ls == NULL) {
        return fail(&p, "out of memory");
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        free(ls);
        return fail(&p, "cannot open: %s", strerror(errno));
    }
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        p.line++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            rc = fail(&p, "line longer than %zu bytes", sizeof(line) - 2);
        } else {
            rc = parse_line(&p, c, ls, &sec, line);
        }
    }
    fclose(f);
    if (rc == 0) {
        rc = finish(&p, c, ls);
    }
    free(ls);
    return rc;
}
