/* probe/serve/probe_http.h: the exporter's HTTP/1.1 request parser, sans-I/O: bytes in, a
 * parsed request head out, in the manner of picohttpparser (the caller keeps the bytes and
 * calls again with more until the head is complete or malformed).
 *
 * What it accepts (RFC 9112): a request line "METHOD SP request-target SP HTTP/1.x", the
 * method 1..16 upper-case letters, the target in origin-form ("/" and visible ASCII); header
 * lines "name: value", the name a token, the value without control characters but HTAB; lines
 * end in CRLF or a bare LF (RFC 9112 §2.2 lets a server accept one); an empty line ends the
 * head. Obsolete line folding (a line starting with white space) is rejected (RFC 9112 §5.2).
 * No header is interpreted here; probe_http_header() looks one up by name. */
#ifndef PROBE_PROBE_HTTP_H
#define PROBE_PROBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* The largest request head (request line and headers) the exporter reads. */
#define PROBE_HTTP_HEAD_MAX 8192

/* probe_http_parse's results besides a head length. */
enum {
    PROBE_HTTP_INCOMPLETE = -2, /* no end of the head yet: read more */
    PROBE_HTTP_MALFORMED = -1,  /* status and reason say why */
};

struct probe_http_request {
    /* Pointers into the caller's buffer, valid while it is. */
    const char *method;
    size_t method_len;
    const char *path; /* the request-target up to '?' */
    size_t path_len;
    const char *query; /* after '?'; "" when there is none */
    size_t query_len;
    int minor_version; /* HTTP/1.0 or HTTP/1.1 */
    const char *headers; /* the header lines, each with its line end, up to the empty line */
    size_t headers_len;
    /* When malformed: the status to answer (400, or 413 for a head over PROBE_HTTP_HEAD_MAX)
     * and what was wrong; 0 and "" otherwise. A head malformed only in a header line keeps
     * its request line's fields (method_len > 0), so that a server can still refuse the
     * method first; otherwise they are empty. */
    int status;
    const char *reason;
};

/* Parses the head at the start of buf[0, len). prev_len is how many of those bytes an earlier
 * call already saw incomplete (0 on the first call): the search for the head's end resumes
 * there. Returns the length of the head (> 0, including its empty line) with rq filled in,
 * PROBE_HTTP_INCOMPLETE, or PROBE_HTTP_MALFORMED with rq->status and rq->reason. Bytes after
 * the head are not looked at. A head not complete within PROBE_HTTP_HEAD_MAX bytes is
 * malformed (413). */
int probe_http_parse(const char *buf, size_t len, size_t prev_len,
                     struct probe_http_request *rq);

/* True when the request's path is exactly p. */
bool probe_http_path_is(const struct probe_http_request *rq, const char *p);

/* True when the request's method is exactly m. */
bool probe_http_method_is(const struct probe_http_request *rq, const char *m);

/* probe_http_param's results. */
enum probe_http_param_rc {
    PROBE_HTTP_PARAM_FOUND = 1,
    PROBE_HTTP_PARAM_ABSENT = 0,
    PROBE_HTTP_PARAM_BAD = -1,      /* a bad %-escape, or a control character once decoded */
    PROBE_HTTP_PARAM_TOO_LONG = -2, /* longer than cap - 1 bytes once decoded */
    PROBE_HTTP_PARAM_REPEATED = -3, /* given more than once: which one would a scraper mean? */
};

/* The value of query parameter name, decoded into out (NUL-terminated): %XX escapes (hex digits
 * in either case) and '+' as a space, the form encoding Prometheus uses for params. A decoded
 * control character is refused: no target has one, it would only smuggle bytes into labels. */
enum probe_http_param_rc probe_http_param(const struct probe_http_request *rq, const char *name,
                                          char *out, size_t cap);

/* The value of header field name (compared ignoring case, RFC 9110 §5.1) into out
 * (NUL-terminated), without the white space around it (RFC 9112 §5: OWS). FOUND, ABSENT,
 * TOO_LONG (longer than cap - 1 bytes) or REPEATED (a field the exporter reads once, given
 * twice). */
enum probe_http_param_rc probe_http_header(const struct probe_http_request *rq,
                                           const char *name, char *out, size_t cap);

/* What is wrong with a parameter, after "the target parameter ": "is too long", ... */
const char *probe_http_param_problem(enum probe_http_param_rc rc);

#endif
