/* probe/serve/probe_http.c: the exporter's HTTP request parser (probe_http.h). */
#include "probe/serve/probe_http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe/drivers/probe_target.h"

#define METHOD_MAX 16

/* Bytes up to and including the empty line that ends the head, or 0 while there is none. Only
 * a '\n' at or after from can start that line's end: the caller saw the bytes before. */
static size_t head_end(const char *b, size_t len, size_t from)
{
    for (size_t i = from; i < len; i++) {
        if (b[i] != '\n') {
            continue;
        }
        if (i + 1 < len && b[i + 1] == '\n') {
            return i + 2;
        }
        if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n') {
            return i + 3;
        }
    }
    return 0;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* "GET /probe?x HTTP/1.1" (without its line end) into rq, which is left as it is unless the
 * whole line is well-formed. Returns NULL, or what is wrong. */
static const char *request_line(const char *s, size_t n, struct probe_http_request *rq)
{
    size_t i = 0;

    while (i < n && s[i] >= 'A' && s[i] <= 'Z') {
        i++;
    }
    if (i == 0 || i > METHOD_MAX || i >= n || s[i] != ' ') {
        return "the method is not 1 to 16 capital letters followed by a space";
    }
    size_t m = i, t0 = ++i;
    while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f) {
        i++;
    }
    if (i == t0 || i >= n || s[i] != ' ' || s[t0] != '/') {
        return "the request target is not a path of visible ASCII followed by a space";
    }
    size_t t1 = i++;
    if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 || (s[i + 7] != '0' && s[i + 7] != '1')) {
        return "the version is not HTTP/1.0 or HTTP/1.1";
    }
    rq->minor_version = s[i + 7] - '0';
    rq->method = s;
    rq->method_len = m;
    const char *q = memchr(s + t0, '?', t1 - t0);
    rq->path = s + t0;
    rq->path_len = q ? (size_t)(q - (s + t0)) : t1 - t0;
    rq->query = q ? q + 1 : "";
    rq->query_len = q ? (size_t)(s + t1 - (q + 1)) : 0;
    return NULL;
}

/* "Name: value": a token, a colon, no control characters but HTAB in the value. Returns NULL,
 * or what is wrong. */
static const char *header_line(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && is_tchar((unsigned char)s[i])) {
        i++;
    }
    if (i == 0 && n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        return "a header line is folded (starts with white space)";
    }
    if (i == 0 || i == n || s[i] != ':') {
        return "a header line is not a token name, a colon and a value";
    }
    for (i++; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            return "a header value has a control character";
        }
    }
    return NULL;
}

/* The lines of a complete head (len bytes, ending with its empty line). Returns NULL, or what
 * is wrong. */
static const char *head_lines(const char *b, size_t len, struct probe_http_request *rq)
{
    size_t pos = 0;

    for (bool first = true;; first = false) {
        const char *nl = memchr(b + pos, '\n', len - pos);
        size_t n = (size_t)(nl - (b + pos)); /* a complete head ends in '\n' */
        if (n > 0 && b[pos + n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            return first ? "the request line is empty" : NULL;
        }
        const char *why = first ? request_line(b + pos, n, rq) : header_line(b + pos, n);
        if (why != NULL) {
            return why;
        }
        pos = (size_t)(nl - b) + 1;
        if (first) {
            rq->headers = b + pos;
        }
        rq->headers_len = (size_t)(b + pos - rq->headers);
    }
}

static int malformed(struct probe_http_request *rq, int status, const char *reason)
{
    rq->status = status;
    rq->reason = reason;
    return PROBE_HTTP_MALFORMED;
}

int probe_http_parse(const char *buf, size_t len, size_t prev_len,
                     struct probe_http_request *rq)
{
    size_t seen = len < PROBE_HTTP_HEAD_MAX ? len : PROBE_HTTP_HEAD_MAX;
    size_t end = head_end(buf, seen, prev_len > 2 ? prev_len - 2 : 0);

    memset(rq, 0, sizeof(*rq));
    rq->reason = "";
    if (end == 0) {
        return len < PROBE_HTTP_HEAD_MAX
                   ? PROBE_HTTP_INCOMPLETE
                   : malformed(rq, 413, "the request head is larger than the exporter reads");
    }
    const char *why = head_lines(buf, end, rq);
    if (why != NULL) {
        return malformed(rq, 400, why);
    }
    return (int)end;
}

bool probe_http_path_is(const struct probe_http_request *rq, const char *p)
{
    return rq->path_len == strlen(p) && memcmp(rq->path, p, rq->path_len) == 0;
}

bool probe_http_method_is(const struct probe_http_request *rq, const char *m)
{
    return rq->method_len == strlen(m) && memcmp(rq->method, m, rq->method_len) == 0;
}

/* Percent-decodes [s, s+n) into out (NUL-terminated); '+' is a space. */
static enum probe_http_param_rc decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%') {
            int hi = n - i > 2 ? probe_hex_digit(s[i + 1]) : -1;
            int lo = hi >= 0 ? probe_hex_digit(s[i + 2]) : -1;
            if (lo < 0) {
                return PROBE_HTTP_PARAM_BAD;
            }
            ch = hi * 16 + lo;
            i += 2;
        }
        if (ch < 0x20 || ch == 0x7f) {
            return PROBE_HTTP_PARAM_BAD;
        }
        if (o + 1 >= cap) {
            return PROBE_HTTP_PARAM_TOO_LONG;
        }
        out[o++] = (char)ch;
    }
    out[o] = '\0';
    return PROBE_HTTP_PARAM_FOUND;
}

enum probe_http_param_rc probe_http_param(const struct probe_http_request *rq, const char *name,
                                          char *out, size_t cap)
{
    const char *q = rq->query;
    size_t qn = rq->query_len, nlen = strlen(name), pos = 0;
    enum probe_http_param_rc found = PROBE_HTTP_PARAM_ABSENT;

    while (pos < qn) {
        const char *amp = memchr(q + pos, '&', qn - pos);
        size_t end = amp ? (size_t)(amp - q) : qn;
        const char *eq = memchr(q + pos, '=', end - pos);
        size_t klen = eq ? (size_t)(eq - (q + pos)) : end - pos;
        if (klen == nlen && memcmp(q + pos, name, nlen) == 0) {
            if (found) {
                return PROBE_HTTP_PARAM_REPEATED;
            }
            size_t v0 = eq ? (size_t)(eq - q) + 1 : end;
            found = decode(q + v0, end - v0, out, cap);
            if (found != PROBE_HTTP_PARAM_FOUND) {
                return found;
            }
        }
        pos = end + 1;
    }
    return found;
}

static bool is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* One header line [s, s+n) without its line end: the value into out when its name is name. */
static enum probe_http_param_rc header_value(const char *s, size_t n, const char *name,
                                             char *out, size_t cap)
{
    size_t nlen = strlen(name);

    if (n <= nlen || s[nlen] != ':' || strncasecmp(s, name, nlen) != 0) {
        return PROBE_HTTP_PARAM_ABSENT;
    }
    const char *v = s + nlen + 1, *end = s + n;
    while (v < end && is_ows(*v)) {
        v++;
    }
    while (end > v && is_ows(end[-1])) {
        end--;
    }
    if ((size_t)(end - v) >= cap) {
        return PROBE_HTTP_PARAM_TOO_LONG;
    }
    memcpy(out, v, (size_t)(end - v));
    out[end - v] = '\0';
    return PROBE_HTTP_PARAM_FOUND;
}

enum probe_http_param_rc probe_http_header(const struct probe_http_request *rq,
                                           const char *name, char *out, size_t cap)
{
    const char *h = rq->headers;
    size_t pos = 0;
    enum probe_http_param_rc found = PROBE_HTTP_PARAM_ABSENT;

    while (h && pos < rq->headers_len) {
        const char *nl = memchr(h + pos, '\n', rq->headers_len - pos);
        size_t n = nl ? (size_t)(nl - (h + pos)) : rq->headers_len - pos;
        size_t line = n;
        if (n > 0 && h[pos + n - 1] == '\r') {
            n--;
        }
        enum probe_http_param_rc rc = header_value(h + pos, n, name, out, cap);
        if (rc != PROBE_HTTP_PARAM_ABSENT) {
            if (found) {
                return PROBE_HTTP_PARAM_REPEATED;
            }
            if (rc != PROBE_HTTP_PARAM_FOUND) {
                return rc;
            }
            found = rc;
        }
        pos += line + 1;
    }
    return found;
}

const char *probe_http_param_problem(enum probe_http_param_rc rc)
{
    switch (rc) {
    case PROBE_HTTP_PARAM_TOO_LONG:
        return "is too long";
    case PROBE_HTTP_PARAM_REPEATED:
        return "is given more than once";
    case PROBE_HTTP_PARAM_BAD:
        return "has a bad %-escape or a control character";
    default:
        return "is fine";
    }
}
