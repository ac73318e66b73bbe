/* probe/serve/probe_allow.c: the exporter's allow list (probe_allow.h). */
#include "probe/serve/probe_allow.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "probe/drivers/probe_options.h"

#define ENTRY_MAX 256 /* a host name is at most 253 characters (RFC 1035 §2.3.4) */

/* addr as 16 bytes: IPv6 as is, IPv4 as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). Returns the prefix
 * length of a whole address in that form (32 -> 128), or -1 when s is no address. */
static int parse_address(const char *s, uint8_t out[16])
{
    uint8_t v4[4];

    if (inet_pton(AF_INET6, s, out) == 1) {
        return 128;
    }
    if (inet_pton(AF_INET, s, v4) != 1) {
        return -1;
    }
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, v4, 4);
    return 32;
}

static bool host_bits_zero(const uint8_t addr[16], unsigned bits)
{
    for (unsigned i = bits; i < 128; i++) {
        if (addr[i / 8] & (0x80u >> (i % 8))) {
            return false;
        }
    }
    return true;
}

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.7". */
static int parse_net(struct probe_allow *a, char *entry, char *err, size_t errlen)
{
    char *slash = strchr(entry, '/');
    struct probe_allow_net *n = &a->nets[a->n_nets];

    if (slash) {
        *slash = '\0';
    }
    int whole = parse_address(entry, n->addr);
    if (whole < 0) {
        snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", entry);
        return -1;
    }
    long bits = whole;
    if (slash) {
        if (probe_parse_int(slash + 1, 0, whole, &bits) != 0) {
            snprintf(err, errlen, "'%s/%s' has a bad prefix length (0..%d)", entry, slash + 1,
                     whole);
            return -1;
        }
    }
    n->bits = (uint8_t)(bits + (128 - whole));
    if (!host_bits_zero(n->addr, n->bits)) {
        snprintf(err, errlen, "'%s/%ld' has bits set past the prefix", entry, bits);
        return -1;
    }
    a->n_nets++;
    return 0;
}

static bool glob_char(unsigned char ch)
{
    return isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '*' || ch == '?';
}

static int parse_glob(struct probe_allow *a, const char *entry, size_t *used, char *err,
                      size_t errlen)
{
    size_t n = strlen(entry);

    for (size_t i = 0; i < n; i++) {
        if (!glob_char((unsigned char)entry[i])) {
            snprintf(err, errlen, "'%s' is neither a network nor a host-name glob (letters, "
                     "digits, - _ . * ?)", entry);
            return -1;
        }
    }
    if (*used + n + 1 > sizeof(a->text)) {
        snprintf(err, errlen, "the list is longer than %d bytes of names", PROBE_ALLOW_TEXT);
        return -1;
    }
    a->globs[a->n_globs++] = (uint16_t)*used;
    for (size_t i = 0; i <= n; i++) {
        a->text[*used + i] = (char)tolower((unsigned char)entry[i]);
    }
    *used += n + 1;
    return 0;
}

/* One entry, trimmed: an address or network when it has ':' or '/' or reads as an address. */
static int parse_entry(struct probe_allow *a, char *entry, size_t *used, char *err,
                       size_t errlen)
{
    uint8_t addr[16];

    if (entry[0] == '\0') {
        snprintf(err, errlen, "an empty entry");
        return -1;
    }
    if (a->n_nets + a->n_globs == PROBE_ALLOW_MAX) {
        snprintf(err, errlen, "more than %d entries", PROBE_ALLOW_MAX);
        return -1;
    }
    if (strpbrk(entry, ":/") || parse_address(entry, addr) >= 0) {
        return parse_net(a, entry, err, errlen);
    }
    return parse_glob(a, entry, used, err, errlen);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

int probe_allow_parse(struct probe_allow *a, const char *list, char *err, size_t errlen)
{
    char entry[ENTRY_MAX], why[400];
    size_t used = 0;

    memset(a, 0, sizeof(*a));
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (n >= sizeof(entry)) {
            snprintf(err, errlen, "an entry is longer than %d bytes", ENTRY_MAX - 1);
            return -1;
        }
        memcpy(entry, p, n);
        entry[n] = '\0';
        if (parse_entry(a, trim(entry), &used, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "allow list '%.200s': %s", list, why);
            memset(a, 0, sizeof(*a));
            return -1;
        }
        if (p[n] == '\0') {
            break;
        }
        p += n + 1;
    }
    a->on = true;
    return 0;
}

/* '*' any run of characters, '?' one; both sides lower case. Iterative, backtracking only to
 * the last '*': linear in practice, at most |p| * |s| steps. */
static bool glob_match(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*') {
        p++;
    }
    return *p == '\0';
}

static bool name_allowed(const struct probe_allow *a, const char *host)
{
    char name[ENTRY_MAX];
    size_t n = strlen(host);

    if (n >= sizeof(name)) {
        return false;
    }
    for (size_t i = 0; i <= n; i++) {
        name[i] = (char)tolower((unsigned char)host[i]);
    }
    if (n > 1 && name[n - 1] == '.') { /* "db1.example.com." is the same name */
        name[n - 1] = '\0';
    }
    for (size_t i = 0; i < a->n_globs; i++) {
        if (glob_match(a->text + a->globs[i], name)) {
            return true;
        }
    }
    return false;
}

static bool inside(const struct probe_allow *a, const uint8_t addr[16])
{
    for (size_t i = 0; i < a->n_nets; i++) {
        const struct probe_allow_net *n = &a->nets[i];
        unsigned whole = n->bits / 8, rest = n->bits % 8;
        if (memcmp(addr, n->addr, whole) != 0) {
            continue;
        }
        uint8_t mask = (uint8_t)(0xff00u >> rest);
        if (rest == 0 || (addr[whole] & mask) == n->addr[whole]) {
            return true;
        }
    }
    return false;
}

bool probe_allow_address(const struct probe_allow *a, int family, const uint8_t *addr)
{
    uint8_t v6[16];

    if (!a->on) {
        return true;
    }
    if (family == 4) {
        memset(v6, 0, 10);
        v6[10] = v6[11] = 0xff;
        memcpy(v6 + 12, addr, 4);
        return inside(a, v6);
    }
    return family == 6 && inside(a, addr);
}

enum probe_allow_verdict probe_allow_host(const struct probe_allow *a, const char *host)
{
    uint8_t addr[16];

    if (!a->on) {
        return PROBE_ALLOW_YES;
    }
    if (parse_address(host, addr) >= 0) {
        return inside(a, addr) ? PROBE_ALLOW_YES : PROBE_ALLOW_NO;
    }
    if (name_allowed(a, host)) {
        return PROBE_ALLOW_YES;
    }
    return a->n_nets > 0 ? PROBE_ALLOW_RESOLVE : PROBE_ALLOW_NO;
}
