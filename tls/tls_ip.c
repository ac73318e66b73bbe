/* tls/tls_ip.c: IP literals by hand, text to bytes and back (inet_pton and inet_ntop live in
 * the socket headers tls/ never includes). Used for SNI (never an address, RFC 6066 3), for
 * iPAddress SANs and for name matching. */
#include "tls/tls_int.h"

#include <stdio.h>
#include <string.h>

static bool parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t digits = 0;

        if (part > 0) {
            if (i >= n || s[i] != '.') {
                return false;
            }
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 3) {
            v = v * 10 + (unsigned)(s[i++] - '0');
            digits++;
        }
        if (digits == 0 || v > 255) {
            return false;
        }
        out[part] = (uint8_t)v;
    }
    return i == n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* One group of up to 4 hex digits; returns the characters used (0 = none). */
static size_t parse_group(const char *s, size_t n, unsigned *v)
{
    size_t i = 0;

    *v = 0;
    while (i < n && i < 4 && hexval(s[i]) >= 0) {
        *v = *v << 4 | (unsigned)hexval(s[i++]);
    }
    return i;
}

/* RFC 4291 2.2 text forms: groups, one "::", an optional dotted IPv4 tail. */
static bool parse_ipv6(const char *s, size_t n, uint8_t out[16])
{
    uint8_t w[16] = { 0 };
    size_t ng = 0, i = 0;
    int gap = -1; /* group index where "::" stands */

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < n && ng < 8) {
        unsigned v;
        size_t used = parse_group(s + i, n - i, &v);

        if (i + used < n && s[i + used] == '.' && ng <= 6) { /* IPv4 tail */
            if (!parse_ipv4(s + i, n - i, w + ng * 2)) {
                return false;
            }
            ng += 2;
            i = n;
            break;
        }
        if (used == 0) {
            return false;
        }
        w[ng * 2] = (uint8_t)(v >> 8);
        w[ng * 2 + 1] = (uint8_t)v;
        ng++;
        i += used;
        if (i == n) {
            break;
        }
        if (s[i] != ':' || i + 1 >= n) {
            return false;
        }
        i++;
        if (s[i] == ':') {
            if (gap >= 0) {
                return false;
            }
            gap = (int)ng;
            i++;
        }
    }
    if (i != n || (gap < 0 && ng != 8) || (gap >= 0 && ng > 7)) {
        return false;
    }
    memset(out, 0, 16);
    if (gap < 0) {
        memcpy(out, w, 16);
    } else {
        size_t tail = ng - (size_t)gap;

        memcpy(out, w, (size_t)gap * 2);
        memcpy(out + 16 - tail * 2, w + (size_t)gap * 2, tail * 2);
    }
    return true;
}

bool tls__ip_parse(const char *text, uint8_t out[16], size_t *len)
{
    size_t n;
    const char *pct;

    if (text == NULL) {
        return false;
    }
    n = strlen(text);
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
        text++;
        n -= 2;
    }
    pct = memchr(text, '%', n); /* zone id ("fe80::1%eth0") names a local interface */
    if (pct != NULL) {
        n = (size_t)(pct - text);
    }
    if (n == 0 || n > 45) {
        return false;
    }
    if (parse_ipv4(text, n, out)) {
        *len = 4;
        return true;
    }
    if (memchr(text, ':', n) != NULL && parse_ipv6(text, n, out)) {
        *len = 16;
        return true;
    }
    return false;
}

/* RFC 5952 4.2: the longest run (2+ groups) of zero groups becomes "::". */
static void format_ipv6(const uint8_t *ip, char *out, size_t outlen)
{
    unsigned g[8];
    int best = -1, best_len = 0;
    size_t o = 0;

    for (int i = 0; i < 8; i++) {
        g[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
    }
    for (int i = 0; i < 8;) {
        int j = i;

        while (j < 8 && g[j] == 0) {
            j++;
        }
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    out[0] = '\0';
    for (int i = 0; i < 8 && o < outlen; i++) {
        int w;

        if (i == best) {
            w = snprintf(out + o, outlen - o, "::");
            i += best_len - 1;
        } else {
            w = snprintf(out + o, outlen - o, "%s%x",
                         (i > 0 && i != best + best_len) ? ":" : "", g[i]);
        }
        if (w < 0) {
            return;
        }
        o += (size_t)w;
    }
}

void tls__ip_format(const uint8_t *ip, size_t len, char *out, size_t outlen)
{
    if (outlen == 0) {
        return;
    }
    if (len == 4) {
        snprintf(out, outlen, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    } else if (len == 16) {
        format_ipv6(ip, out, outlen);
    } else {
        snprintf(out, outlen, "invalid");
    }
}
