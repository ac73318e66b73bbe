/* probe/serve/probe_http: the exporter's request parser, sans-I/O. Complete heads (CRLF and bare
 * LF), every prefix of a valid head is "need more" (at once and fed a byte at a time), every
 * malformed form with its status, the head limit at its edge, the query parameters and the
 * header fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/serve/probe_http.h"

static const char valid[] = "GET /probe?target=db1%2C1433&module=odbc HTTP/1.1\r\n"
                            "Host: exporter:9717\r\n"
                            "User-Agent: Prometheus/2.45.0\r\n"
                            "Accept: text/plain;version=0.0.4;q=1\t,*/*;q=0.1\r\n"
                            "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
                            "\r\n";

/* Parses a copy of exactly n bytes, so that ASan sees any read past them. */
static int parse_n(const char *s, size_t n, size_t prev, struct probe_http_request *rq,
                   char **copy)
{
    *copy = malloc(n ? n : 1);
    assert_non_null(*copy);
    memcpy(*copy, s, n);
    return probe_http_parse(*copy, n, prev, rq);
}

/* For results that need no pointer into the head: the copy is gone on return. */
static int parse(const char *s, size_t n, struct probe_http_request *rq)
{
    char *copy;
    int rc = parse_n(s, n, 0, rq, &copy);

    free(copy);
    return rc;
}

static void assert_span(const char *p, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_complete_head(void **state)
{
    struct probe_http_request rq;
    char *copy;
    size_t n = sizeof(valid) - 1;

    (void)state;
    assert_int_equal(parse_n(valid, n, 0, &rq, &copy), (int)n);
    assert_span(rq.method, rq.method_len, "GET");
    assert_span(rq.path, rq.path_len, "/probe");
    assert_span(rq.query, rq.query_len, "target=db1%2C1433&module=odbc");
    assert_int_equal(rq.minor_version, 1);
    assert_int_equal(rq.status, 0);
    assert_string_equal(rq.reason, "");
    assert_true(probe_http_path_is(&rq, "/probe"));
    assert_false(probe_http_path_is(&rq, "/prob"));
    assert_false(probe_http_path_is(&rq, "/probe/"));
    assert_true(probe_http_method_is(&rq, "GET"));
    assert_false(probe_http_method_is(&rq, "GE"));
    free(copy);
}

static void test_bare_lf_and_mixed_line_ends(void **state)
{
    static const char *const heads[] = {
        "GET /metrics HTTP/1.0\n\n",
        "GET /metrics HTTP/1.0\r\n\n",
        "GET /metrics HTTP/1.0\n\r\n",
        "GET /metrics HTTP/1.0\nHost: x\r\n\n",
    };
    struct probe_http_request rq;

    (void)state;
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        size_t n = strlen(heads[i]);
        char *copy;
        assert_int_equal(parse_n(heads[i], n, 0, &rq, &copy), (int)n);
        assert_span(rq.path, rq.path_len, "/metrics");
        assert_span(rq.query, rq.query_len, "");
        assert_int_equal(rq.minor_version, 0);
        free(copy);
    }
}

/* The head ends at its first empty line: a body or a second request is not looked at, even
 * when it is garbage. */
static void test_bytes_after_the_head(void **state)
{
    static const char two[] = "GET / HTTP/1.1\r\n\r\n\x01\x02 no colon\r\n\r\n";
    struct probe_http_request rq;
    char *copy;

    (void)state;
    assert_int_equal(parse_n(two, sizeof(two) - 1, 0, &rq, &copy), 18);
    assert_span(rq.path, rq.path_len, "/");
    free(copy);
}

/* Another method is a well-formed request: the server, not the parser, answers 405. */
static void test_other_methods_parse(void **state)
{
    static const char post[] = "POST /probe?target=a HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    struct probe_http_request rq;
    char *copy;

    (void)state;
    assert_int_equal(parse_n(post, sizeof(post) - 1, 0, &rq, &copy), (int)sizeof(post) - 1);
    assert_span(rq.method, rq.method_len, "POST");
    assert_false(probe_http_method_is(&rq, "GET"));
    free(copy);
}

/* Malformed in a header line only: the request line's fields stay, so the server can refuse
 * the method first (405 before 400). Malformed in the request line: none are set. */
static void test_fields_of_a_malformed_head(void **state)
{
    static const char bad_header[] = "POST /x?y HTTP/1.1\r\nno colon\r\n\r\n";
    static const char bad_target[] = "POST x HTTP/1.1\r\n\r\n";
    struct probe_http_request rq;
    char *copy;

    (void)state;
    assert_int_equal(parse_n(bad_header, sizeof(bad_header) - 1, 0, &rq, &copy),
                     PROBE_HTTP_MALFORMED);
    assert_int_equal(rq.status, 400);
    assert_span(rq.method, rq.method_len, "POST");
    assert_span(rq.path, rq.path_len, "/x");
    assert_span(rq.query, rq.query_len, "y");
    free(copy);
    assert_int_equal(parse(bad_target, sizeof(bad_target) - 1, &rq), PROBE_HTTP_MALFORMED);
    assert_int_equal(rq.method_len, 0);
    assert_int_equal(rq.path_len, 0);
    assert_int_equal(parse("POST / HTTP/3\r\n\r\n", 17, &rq), PROBE_HTTP_MALFORMED);
    assert_int_equal(rq.method_len, 0);
}

static void test_every_prefix_needs_more(void **state)
{
    struct probe_http_request rq;

    (void)state;
    for (size_t n = 0; n < sizeof(valid) - 1; n++) {
        if (parse(valid, n, &rq) != PROBE_HTTP_INCOMPLETE) {
            fail_msg("a prefix of %zu bytes is not 'need more'", n);
        }
        assert_int_equal(rq.status, 0);
    }
}

/* Fed as a socket might deliver it, a byte at a time with prev_len the bytes seen before: need
 * more until the last byte, then the same head as in one piece. */
static void test_fed_a_byte_at_a_time(void **state)
{
    static const char *const heads[] = { valid, "GET / HTTP/1.1\n\r\n", "GET / HTTP/1.1\n\n" };
    struct probe_http_request rq;

    (void)state;
    for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
        size_t total = strlen(heads[h]);
        for (size_t n = 1; n <= total; n++) {
            char *copy;
            int rc = parse_n(heads[h], n, n - 1, &rq, &copy);
            free(copy);
            if (rc != (n == total ? (int)total : PROBE_HTTP_INCOMPLETE)) {
                fail_msg("head %zu: %d after %zu of %zu bytes", h, rc, n, total);
            }
        }
    }
}

struct bad_case {
    const char *what;
    const char *head;
    size_t len;
};

#define BAD(what, head) { what, head, sizeof(head) - 1 }

static const struct bad_case bad[] = {
    BAD("no version", "GET /\r\n\r\n"),
    BAD("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n"),
    BAD("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n"),
    BAD("lower-case version", "GET / http/1.1\r\n\r\n"),
    BAD("space after the version", "GET / HTTP/1.1 \r\n\r\n"),
    BAD("target not a path", "GET x HTTP/1.1\r\n\r\n"),
    BAD("absolute-form target", "GET http://x/ HTTP/1.1\r\n\r\n"),
    BAD("two spaces", "GET  / HTTP/1.1\r\n\r\n"),
    BAD("lower-case method", "get / HTTP/1.1\r\n\r\n"),
    BAD("method with a digit", "G3T / HTTP/1.1\r\n\r\n"),
    BAD("17-letter method", "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n"),
    BAD("no method", " / HTTP/1.1\r\n\r\n"),
    BAD("empty request line", "\r\n\r\n"),
    BAD("empty request line, bare LF", "\n\n"),
    BAD("empty line before the request", "\r\nGET / HTTP/1.1\r\n\r\n"),
    BAD("control character in the target", "GET /\x01 HTTP/1.1\r\n\r\n"),
    BAD("DEL in the target", "GET /\x7f HTTP/1.1\r\n\r\n"),
    BAD("byte above ASCII in the target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n"),
    BAD("NUL in the method", "GE\0T / HTTP/1.1\r\n\r\n"),
    BAD("NUL in the target", "GET /\0 HTTP/1.1\r\n\r\n"),
    BAD("NUL in a header name", "GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n"),
    BAD("NUL in a header value", "GET / HTTP/1.1\r\nHost: \0\r\n\r\n"),
    BAD("bare CR in the request line", "GET / HTTP/1.1\r\r\n\r\n"),
    BAD("bare CR in a header", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"),
    BAD("header without a colon", "GET / HTTP/1.1\r\nno colon\r\n\r\n"),
    BAD("header without a name", "GET / HTTP/1.1\r\n: x\r\n\r\n"),
    BAD("space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
    BAD("folded header", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"),
    BAD("folded with a tab", "GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n"),
    BAD("control character in a value", "GET / HTTP/1.1\r\nX: a\x1b[31m\r\n\r\n"),
    BAD("DEL in a value", "GET / HTTP/1.1\r\nX: \x7f\r\n\r\n"),
};

static void test_malformed(void **state)
{
    struct probe_http_request rq;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(bad[i].head, bad[i].len, &rq);
        if (rc != PROBE_HTTP_MALFORMED || rq.status != 400 || rq.reason[0] == '\0') {
            fail_msg("%s: rc %d, status %d", bad[i].what, rc, rq.status);
        }
    }
}

/* A few reasons, word for word: they say which part is wrong. */
static void test_reasons(void **state)
{
    struct probe_http_request rq;

    (void)state;
    parse("get / HTTP/1.1\r\n\r\n", 18, &rq);
    assert_string_equal(rq.reason, "the method is not 1 to 16 capital letters followed by a space");
    parse("GET / HTTP/2.0\r\n\r\n", 18, &rq);
    assert_string_equal(rq.reason, "the version is not HTTP/1.0 or HTTP/1.1");
    parse("GET / HTTP/1.1\r\n x\r\n\r\n", 22, &rq);
    assert_string_equal(rq.reason, "a header line is folded (starts with white space)");
    parse("\r\n\r\n", 4, &rq);
    assert_string_equal(rq.reason, "the request line is empty");
}

/* A head that has not ended within PROBE_HTTP_HEAD_MAX bytes is 413, whether its lines are
 * long or it has no line end at all; one that ends on the last byte still counts. */
static void test_head_limit(void **state)
{
    static const char start[] = "GET / HTTP/1.1\r\nX-Pad: ";
    size_t max = PROBE_HTTP_HEAD_MAX;
    char *b = malloc(max + 16);
    struct probe_http_request rq;

    (void)state;
    assert_non_null(b);
    memcpy(b, start, sizeof(start) - 1);
    memset(b + sizeof(start) - 1, 'a', max + 16 - (sizeof(start) - 1));
    memcpy(b + max - 4, "\r\n\r\n", 4); /* ends exactly at the limit */
    assert_int_equal(parse(b, max, &rq), (int)max);
    memcpy(b + max - 4, "aa\r\n", 4);
    memcpy(b + max, "\r\n", 2); /* one byte too late */
    assert_int_equal(parse(b, max - 1, &rq), PROBE_HTTP_INCOMPLETE);
    assert_int_equal(parse(b, max, &rq), PROBE_HTTP_MALFORMED);
    assert_int_equal(rq.status, 413);
    assert_int_equal(parse(b, max + 2, &rq), PROBE_HTTP_MALFORMED);
    assert_int_equal(rq.status, 413);
    memset(b, 'G', max); /* no line end at all */
    assert_int_equal(parse(b, max - 1, &rq), PROBE_HTTP_INCOMPLETE);
    assert_int_equal(parse(b, max, &rq), PROBE_HTTP_MALFORMED);
    assert_int_equal(rq.status, 413);
    assert_string_not_equal(rq.reason, "");
    free(b);
}

/* A request whose query is q. */
static struct probe_http_request with_query(const char *q)
{
    struct probe_http_request rq = { .path = "/probe", .path_len = 6, .query = q,
                                     .query_len = strlen(q) };
    return rq;
}

static void test_param_decoding(void **state)
{
    static const struct {
        const char *query, *want;
    } ok[] = {
        { "target=db1", "db1" },
        { "target=db1%2C1433", "db1,1433" },
        { "target=db1%2c1433", "db1,1433" },
        { "target=Server%3Ddb1%3BEncrypt%3DTrue%3B", "Server=db1;Encrypt=True;" },
        { "target=a+b", "a b" },
        { "target=a%2Bb", "a+b" },
        { "target=%C3%A9", "\xc3\xa9" },
        { "module=x&target=b", "b" },
        { "targets=a&target=b&atarget=c", "b" },
        { "target=", "" },
        { "target", "" },
        { "&&target=a&&", "a" },
        { "target=a=b", "a=b" },
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct probe_http_request rq = with_query(ok[i].query);
        if (probe_http_param(&rq, "target", out, sizeof(out)) != PROBE_HTTP_PARAM_FOUND) {
            fail_msg("'%s' not found", ok[i].query);
        }
        assert_string_equal(out, ok[i].want);
    }
}

static void test_param_problems(void **state)
{
    static const struct {
        const char *query;
        enum probe_http_param_rc want;
    } cases[] = {
        { "", PROBE_HTTP_PARAM_ABSENT },
        { "module=x", PROBE_HTTP_PARAM_ABSENT },
        { "Target=x", PROBE_HTTP_PARAM_ABSENT },
        { "target=a%zz", PROBE_HTTP_PARAM_BAD },
        { "target=a%2", PROBE_HTTP_PARAM_BAD },
        { "target=a%", PROBE_HTTP_PARAM_BAD },
        { "target=a%g0", PROBE_HTTP_PARAM_BAD },
        { "target=a%0Ab", PROBE_HTTP_PARAM_BAD },
        { "target=a%00b", PROBE_HTTP_PARAM_BAD },
        { "target=a%7Fb", PROBE_HTTP_PARAM_BAD },
        { "target=a%1b", PROBE_HTTP_PARAM_BAD },
        { "target=a&target=b", PROBE_HTTP_PARAM_REPEATED },
        { "target=a&target=%zz", PROBE_HTTP_PARAM_REPEATED },
        { "target=%zz&target=a", PROBE_HTTP_PARAM_BAD },
        { "target=0123456789", PROBE_HTTP_PARAM_TOO_LONG },
        { "target=012345678%39", PROBE_HTTP_PARAM_TOO_LONG },
    };
    char out[10];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct probe_http_request rq = with_query(cases[i].query);
        enum probe_http_param_rc rc = probe_http_param(&rq, "target", out, sizeof(out));
        if (rc != cases[i].want) {
            fail_msg("'%s': %d, not %d", cases[i].query, rc, cases[i].want);
        }
    }
    struct probe_http_request rq = with_query("target=012345678"); /* cap - 1 bytes fit */
    assert_int_equal(probe_http_param(&rq, "target", out, sizeof(out)), PROBE_HTTP_PARAM_FOUND);
    assert_string_equal(out, "012345678");
    assert_string_equal(probe_http_param_problem(PROBE_HTTP_PARAM_TOO_LONG), "is too long");
    assert_string_equal(probe_http_param_problem(PROBE_HTTP_PARAM_REPEATED),
                        "is given more than once");
    assert_string_equal(probe_http_param_problem(PROBE_HTTP_PARAM_BAD),
                        "has a bad %-escape or a control character");
}

/* The query as parsed from a head: up to the space before the version, '?' kept inside. */
static void test_query_from_a_head(void **state)
{
    static const char head[] = "GET /probe?target=a?b&module=m HTTP/1.1\r\n\r\n";
    struct probe_http_request rq;
    char out[32];
    char *copy;

    (void)state;
    assert_int_equal(parse_n(head, sizeof(head) - 1, 0, &rq, &copy), (int)sizeof(head) - 1);
    assert_int_equal(probe_http_param(&rq, "target", out, sizeof(out)), PROBE_HTTP_PARAM_FOUND);
    assert_string_equal(out, "a?b");
    assert_int_equal(probe_http_param(&rq, "module", out, sizeof(out)), PROBE_HTTP_PARAM_FOUND);
    assert_string_equal(out, "m");
    free(copy);
}

/* Header fields by name: case ignored, white space around the value dropped, CRLF or bare LF,
 * absent, too long, repeated; a name that is a prefix of another is not it. */
static void test_headers(void **state)
{
    static const char head[] = "GET /probe?target=a HTTP/1.1\r\n"
                               "Host: exporter\r\n"
                               "x-prometheus-scrape-timeout-seconds: \t 9.5 \r\n"
                               "X-Long: 0123456789\n"
                               "X-Twice: a\r\n"
                               "X-Twice: b\r\n"
                               "X-Empty:\r\n"
                               "X-Prefixed: 1\r\n"
                               "\r\n";
    struct probe_http_request rq;
    char out[10];
    char *copy;

    (void)state;
    assert_int_equal(parse_n(head, sizeof(head) - 1, 0, &rq, &copy), (int)sizeof(head) - 1);
    assert_int_equal(probe_http_header(&rq, "X-Prometheus-Scrape-Timeout-Seconds", out,
                                       sizeof(out)), PROBE_HTTP_PARAM_FOUND);
    assert_string_equal(out, "9.5");
    assert_int_equal(probe_http_header(&rq, "host", out, sizeof(out)), PROBE_HTTP_PARAM_FOUND);
    assert_string_equal(out, "exporter");
    assert_int_equal(probe_http_header(&rq, "X-Long", out, sizeof(out)),
                     PROBE_HTTP_PARAM_TOO_LONG);
    assert_int_equal(probe_http_header(&rq, "X-Twice", out, sizeof(out)),
                     PROBE_HTTP_PARAM_REPEATED);
    assert_int_equal(probe_http_header(&rq, "X-Empty", out, sizeof(out)),
                     PROBE_HTTP_PARAM_FOUND);
    assert_string_equal(out, "");
    assert_int_equal(probe_http_header(&rq, "X-Prefix", out, sizeof(out)),
                     PROBE_HTTP_PARAM_ABSENT);
    assert_int_equal(probe_http_header(&rq, "GET /probe?target=a HTTP/1.1", out, sizeof(out)),
                     PROBE_HTTP_PARAM_ABSENT);
    free(copy);

    static const char bare[] = "GET / HTTP/1.0\r\n\r\n";
    assert_int_equal(parse_n(bare, sizeof(bare) - 1, 0, &rq, &copy), (int)sizeof(bare) - 1);
    assert_int_equal(rq.headers_len, 0);
    assert_int_equal(probe_http_header(&rq, "Host", out, sizeof(out)), PROBE_HTTP_PARAM_ABSENT);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_head),
        cmocka_unit_test(test_bare_lf_and_mixed_line_ends),
        cmocka_unit_test(test_bytes_after_the_head),
        cmocka_unit_test(test_other_methods_parse),
        cmocka_unit_test(test_fields_of_a_malformed_head),
        cmocka_unit_test(test_every_prefix_needs_more),
        cmocka_unit_test(test_fed_a_byte_at_a_time),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_head_limit),
        cmocka_unit_test(test_param_decoding),
        cmocka_unit_test(test_param_problems),
        cmocka_unit_test(test_query_from_a_head),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
