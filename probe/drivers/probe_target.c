/* probe/drivers/probe_target.c: TARGET syntax. The forms follow what SQL Server clients accept in
 * Data Source / -S: [tcp:]host[\instance][,port], plus host:port and
 * [v6]:port which users paste from other tools. */
#include "probe/drivers/probe_target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool probe_host_is_ip(const char *host)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int parse_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < 1 || v > 65535) {
        snprintf(err, errlen, "'%s' is not a TCP port (1-65535)", s);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

static int copy_part(char *dst, size_t cap, const char *src, size_t n, const char *what,
                     char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "the %s is empty", what);
        return -1;
    }
    if (n >= cap) {
        snprintf(err, errlen, "the %s is longer than %zu characters", what, cap - 1);
        return -1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* "[v6]" or "[v6]:port" */
static int parse_bracketed(const char *s, struct probe_target *t, char *err, size_t errlen)
{
    const char *close = strchr(s, ']');

    if (!close) {
        snprintf(err, errlen, "'[' without ']' in '%s'", s);
        return -1;
    }
    if (copy_part(t->host, sizeof(t->host), s + 1, (size_t)(close - s - 1), "host", err, errlen)) {
        return -1;
    }
    if (close[1] == '\0') {
        return 0;
    }
    if (close[1] != ':' && close[1] != ',') {
        snprintf(err, errlen, "unexpected '%s' after ']'", close + 1);
        return -1;
    }
    return parse_port(close + 2, &t->port, err, errlen);
}

static bool looks_like_connection_string(const char *s)
{
    return strchr(s, '=') != NULL || strncmp(s, "jdbc:", 5) == 0 ||
           strncmp(s, "sqlserver://", 12) == 0 || strncmp(s, "sqlcmd ", 7) == 0;
}

/* host[\instance][,port] or host:port (one colon only; more colons = a bare IPv6 address). */
static int parse_plain(const char *s, struct probe_target *t, char *err, size_t errlen)
{
    const char *comma = strrchr(s, ',');
    const char *colon = strchr(s, ':');
    const char *end = s + strlen(s);

    if (comma) {
        if (parse_port(comma + 1, &t->port, err, errlen)) {
            return -1;
        }
        end = comma;
    } else if (colon && strchr(colon + 1, ':') == NULL) {
        if (parse_port(colon + 1, &t->port, err, errlen)) {
            return -1;
        }
        end = colon;
    }
    const char *bs = memchr(s, '\\', (size_t)(end - s));
    if (bs) {
        if (copy_part(t->instance, sizeof(t->instance), bs + 1, (size_t)(end - bs - 1),
                      "instance name", err, errlen)) {
            return -1;
        }
        end = bs;
    }
    return copy_part(t->host, sizeof(t->host), s, (size_t)(end - s), "host", err, errlen);
}

int probe_target_parse(const char *text, struct probe_target *t, char *err, size_t errlen)
{
    char buf[sizeof(t->text)];
    char *s = buf;

    if (strlen(text) >= sizeof(t->text)) {
        snprintf(err, errlen, "target is longer than %zu characters", sizeof(t->text) - 1);
        return -1;
    }
    snprintf(t->text, sizeof(t->text), "%s", text);
    snprintf(buf, sizeof(buf), "%s", text);
    t->host[0] = t->instance[0] = '\0';
    t->port = 0;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    for (size_t n = strlen(s); n > 0 && isspace((unsigned char)s[n - 1]); n--) {
        s[n - 1] = '\0';
    }
    if (looks_like_connection_string(s)) {
        snprintf(err, errlen, "'%s' looks like a connection string; this build takes host, "
                 "host:port, host,port, tcp:host,port, host\\instance or [v6]:port", text);
        return -1;
    }
    if (strncasecmp(s, "tcp:", 4) == 0) {
        s += 4;
    }
    if (*s == '[') {
        return parse_bracketed(s, t, err, errlen);
    }
    return parse_plain(s, t, err, errlen);
}

int probe_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}
