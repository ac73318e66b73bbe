/* tests/fuzz/fuzz_probe_http.c: libFuzzer target for the exporter's HTTP request parser
 * (probe/serve/probe_http.h): arbitrary bytes as a scraper might send them. Invariants:
 *  - a complete head is within the input and the head limit, ends in '\n', has a method of
 *    capital letters, a path starting with '/', and one byte less of it needs more;
 *  - a malformed head says 400 or 413 and why, with its request line's fields only when that
 *    line was well-formed; "need more" only below the head limit;
 *  - fed in pieces (sizes from the first byte), with prev_len the bytes seen before, the parser
 *    says what it says of the whole input in one piece;
 *  - the target and module parameters decode to NUL-terminated text without control
 *    characters; the header block lies inside the head, and a header's value is
 *    NUL-terminated text without CR or LF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/serve/probe_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_param(const struct probe_http_request *rq, const char *name)
{
    char out[1024];
    enum probe_http_param_rc rc = probe_http_param(rq, name, out, sizeof(out));

    if (rc < PROBE_HTTP_PARAM_REPEATED || rc > PROBE_HTTP_PARAM_FOUND) {
        abort();
    }
    if (rc != PROBE_HTTP_PARAM_FOUND) {
        return;
    }
    size_t n = strnlen(out, sizeof(out));
    if (n == sizeof(out)) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
            abort();
        }
    }
}

static void check_header(const char *b, int rc, const struct probe_http_request *rq)
{
    char out[64];

    if (rq->headers < b || rq->headers + rq->headers_len > b + rc) {
        abort();
    }
    if (probe_http_header(rq, "X-Prometheus-Scrape-Timeout-Seconds", out, sizeof(out)) !=
        PROBE_HTTP_PARAM_FOUND) {
        return;
    }
    if (strnlen(out, sizeof(out)) == sizeof(out) || strpbrk(out, "\r\n") != NULL) {
        abort();
    }
}

static void check_complete(const char *b, size_t size, int rc,
                           const struct probe_http_request *rq)
{
    struct probe_http_request again;

    if ((size_t)rc > size || rc > PROBE_HTTP_HEAD_MAX || b[rc - 1] != '\n') {
        abort();
    }
    if (rq->method_len == 0 || rq->method != b || rq->path_len == 0 || rq->path[0] != '/' ||
        rq->path + rq->path_len > b + rc ||
        (rq->query_len > 0 && rq->query + rq->query_len > b + rc) ||
        (rq->minor_version != 0 && rq->minor_version != 1) || rq->status != 0) {
        abort();
    }
    for (size_t i = 0; i < rq->method_len; i++) {
        if (rq->method[i] < 'A' || rq->method[i] > 'Z') {
            abort();
        }
    }
    if (probe_http_parse(b, (size_t)rc - 1, 0, &again) != PROBE_HTTP_INCOMPLETE) {
        abort();
    }
    check_param(rq, "target");
    check_param(rq, "module");
    check_header(b, rc, rq);
}

/* The input fed in pieces of 1..16 bytes (the first byte picks the sizes). */
static int parse_in_pieces(const char *b, size_t size, struct probe_http_request *rq)
{
    unsigned seed = size ? (unsigned char)b[0] : 0;
    size_t len = 0;
    int rc = PROBE_HTTP_INCOMPLETE;

    while (rc == PROBE_HTTP_INCOMPLETE && len < size) {
        size_t step = 1 + (seed & 15);
        seed = seed * 1103515245u + 12345u;
        size_t prev = len;
        len = size - len < step ? size : len + step;
        rc = probe_http_parse(b, len, prev, rq);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: the sanitizer sees any read past the input. */
    char *b = malloc(size ? size : 1);
    struct probe_http_request rq, pieces;

    if (b == NULL) {
        return 0;
    }
    memcpy(b, data, size);
    int rc = probe_http_parse(b, size, 0, &rq);
    if (rc > 0) {
        check_complete(b, size, rc, &rq);
    } else if (rc == PROBE_HTTP_MALFORMED) {
        if ((rq.status != 400 && rq.status != 413) || rq.reason == NULL || rq.reason[0] == '\0' ||
            (rq.method_len > 0 && (rq.method != b || rq.path[0] != '/'))) {
            abort();
        }
    } else if (rc != PROBE_HTTP_INCOMPLETE || size >= PROBE_HTTP_HEAD_MAX) {
        abort();
    }
    int rc2 = parse_in_pieces(b, size, &pieces);
    /* In pieces, a head complete at once within the limit is the same head; once the input
     * passes the limit without an end both say 413. */
    if (rc2 != rc || (rc == PROBE_HTTP_MALFORMED && pieces.status != rq.status)) {
        abort();
    }
    free(b);
    return 0;
}
