/* tests/unit/test_probe_jsonbuf.c: the buffer a JSON record is assembled in
 * (probe/output/probe_jsonbuf.h) and the record writer that uses it.
 *
 * The appends must write what stdio wrote before them (numbers as printf's %lld, %llu, %04x
 * and %.3f; strings through the same escaping rule as probe_json_string on a FILE); the buffer
 * grows past its first capacity and keeps its storage between records; and a record that does
 * not fit (the buffer's limit stands in for an allocation failure) is not written at all. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/diagnose/probe_diagnose.h"
#include "probe/model/probe.h"
#include "probe/output/probe_emit.h"
#include "probe/output/probe_jsonbuf.h"
#include "probe/output/probe_report.h"

#include "json_check.h"
#include "probe_fixture.h"
#include "tests/unit/capture.h"

/* The buffer's bytes as a C string, for comparisons. */
static const char *text(struct probe_jsonbuf *b)
{
    probe_jsonbuf_ch(b, '\0');
    assert_false(b->failed);
    b->len--;
    return b->p;
}

static void test_growth_past_first_capacity(void **state)
{
    struct probe_jsonbuf b = {0};
    static const char piece[] = "0123456"; /* 7 bytes: never a divisor of the capacities */

    (void)state;
    for (int i = 0; i < 3000; i++) {
        probe_jsonbuf_lit(&b, piece);
    }
    assert_false(b.failed);
    assert_int_equal(b.len, 3000 * 7);
    assert_true(b.cap >= b.len);
    assert_int_equal(b.cap, 8 * PROBE_JSONBUF_FIRST); /* 4096 -> 8192 -> 16384 -> 32768 */
    for (size_t i = 0; i < b.len; i++) {
        assert_int_equal(b.p[i], piece[i % 7]);
    }
    /* the next record reuses the storage: no growth, same memory */
    char *kept = b.p;
    probe_jsonbuf_reset(&b);
    assert_int_equal(b.len, 0);
    for (int i = 0; i < 3000; i++) {
        probe_jsonbuf_lit(&b, piece);
    }
    assert_ptr_equal(b.p, kept);
    assert_int_equal(b.cap, 8 * PROBE_JSONBUF_FIRST);
    probe_jsonbuf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.cap, 0);
    probe_jsonbuf_lit(&b, "again"); /* usable after free */
    assert_string_equal(text(&b), "again");
    probe_jsonbuf_free(&b);
}

/* One append as big as several capacities at once. */
static void test_one_large_append(void **state)
{
    struct probe_jsonbuf b = {0};
    size_t n = 5 * PROBE_JSONBUF_FIRST + 3;
    char *big = malloc(n);

    (void)state;
    assert_non_null(big);
    memset(big, 'x', n);
    probe_jsonbuf_ch(&b, '[');
    probe_jsonbuf_put(&b, big, n);
    probe_jsonbuf_ch(&b, ']');
    assert_false(b.failed);
    assert_int_equal(b.len, n + 2);
    assert_int_equal(b.cap, 8 * PROBE_JSONBUF_FIRST);
    assert_int_equal(b.p[0], '[');
    assert_memory_equal(b.p + 1, big, n);
    assert_int_equal(b.p[n + 1], ']');
    free(big);
    probe_jsonbuf_free(&b);
}

static void assert_int_like_printf(long long v)
{
    struct probe_jsonbuf b = {0};
    char want[32];

    snprintf(want, sizeof(want), "%lld", v);
    probe_jsonbuf_int(&b, v);
    assert_string_equal(text(&b), want);
    probe_jsonbuf_free(&b);
}

static void assert_uint_like_printf(unsigned long long v)
{
    struct probe_jsonbuf b = {0};
    char want[32];

    snprintf(want, sizeof(want), "%llu", v);
    probe_jsonbuf_uint(&b, v);
    assert_string_equal(text(&b), want);
    probe_jsonbuf_free(&b);
}

static void test_integers(void **state)
{
    static const long long ints[] = {0, 1, -1, 9, 10, -10, 99, 100, 1433, 65535, -2147483648LL,
                                     2147483647LL, 1000000007LL, LLONG_MAX, LLONG_MIN};
    static const unsigned long long uints[] = {0, 1, 9, 10, 1433, 65535, 4294967295ULL,
                                               ULLONG_MAX};

    (void)state;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        assert_int_like_printf(ints[i]);
    }
    for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
        assert_uint_like_printf(uints[i]);
    }
    for (long long v = -1100; v <= 1100; v += 7) {
        assert_int_like_printf(v * 1009);
    }
}

static void test_hex(void **state)
{
    struct probe_jsonbuf b = {0};

    (void)state;
    probe_jsonbuf_hex(&b, 0x2f, 4);
    probe_jsonbuf_ch(&b, ' ');
    probe_jsonbuf_hex(&b, 0xc02f, 4);
    probe_jsonbuf_ch(&b, ' ');
    probe_jsonbuf_hex(&b, 0, 4);
    probe_jsonbuf_ch(&b, ' ');
    probe_jsonbuf_hex(&b, 0x12345, 4); /* wider than asked: all digits, as %04x */
    probe_jsonbuf_ch(&b, ' ');
    probe_jsonbuf_hex(&b, 0xabcdef, 1);
    assert_string_equal(text(&b), "002f c02f 0000 12345 abcdef");
    probe_jsonbuf_free(&b);
}

static void assert_ms(double v, const char *want)
{
    struct probe_jsonbuf b = {0};
    char like[400];

    if (want == NULL) {
        snprintf(like, sizeof(like), "%.3f", v);
        want = like;
    }
    probe_jsonbuf_ms(&b, v);
    assert_string_equal(text(&b), want);
    probe_jsonbuf_free(&b);
}

static void test_milliseconds(void **state)
{
    (void)state;
    assert_ms(0.4, "0.400");
    assert_ms(0, "0.000");
    assert_ms(4.3, "4.300");
    assert_ms(1234.5675, NULL);
    assert_ms(0.0005, NULL); /* printf's rounding of the binary value, kept */
    assert_ms(1e300, NULL);
    assert_ms(DBL_MAX, NULL); /* 309 integer digits */
    assert_ms(-0.0, NULL); /* "-0.000", as printf */
    assert_ms(0.0625, "0.062"); /* exact ties go to even, as glibc's printf */
    assert_ms(0.1875, "0.188");
    assert_ms(2.0005, NULL);
    assert_ms(9007199254740.991, NULL); /* the last value done without snprintf */
    assert_ms(9007199254740.992, NULL);
    assert_ms(5e-324, "0.000"); /* subnormal */
    assert_ms(0.00049999999999999999, NULL);
    assert_ms(-0.001, "null");
    assert_ms(-1, "null");
    assert_ms(NAN, "null");
    assert_ms(INFINITY, "null");
}

/* The integer way against printf over values a probe measures and the edges of rounding:
 * every k/16 and k/1024 (exact binary ties among them), k/1000 and its neighbours, and a
 * deterministic spread of doubles from 1e-9 to 1e12. */
static void test_milliseconds_like_printf(void **state)
{
    (void)state;
    for (int k = 0; k < 40000; k++) {
        assert_ms(k / 16.0, NULL);
        assert_ms(k / 1024.0, NULL);
        assert_ms(k / 1000.0, NULL);
        assert_ms(nextafter(k / 1000.0, 0), NULL);
        assert_ms(nextafter(k / 1000.0, 1e9), NULL);
        assert_ms((k + 0.5) / 1000.0, NULL);
    }
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v = ldexp((double)(x >> 11), -53) * pow(10, (double)(i % 22) - 9);
        assert_ms(v, NULL);
    }
}

static void test_literals_and_keys(void **state)
{
    struct probe_jsonbuf b = {0};

    (void)state;
    probe_jsonbuf_ch(&b, '{');
    probe_jsonbuf_key(&b, "ok");
    probe_jsonbuf_bool(&b, true);
    probe_jsonbuf_ch(&b, ',');
    probe_jsonbuf_key(&b, "bad");
    probe_jsonbuf_bool(&b, false);
    probe_jsonbuf_ch(&b, ',');
    probe_jsonbuf_key(&b, "none");
    probe_jsonbuf_null(&b);
    probe_jsonbuf_ch(&b, '}');
    assert_string_equal(text(&b), "{\"ok\":true,\"bad\":false,\"none\":null}");
    probe_jsonbuf_free(&b);
}

/* The strings test_probe_report's escaping case uses, and worse. */
static const char *const hostile[] = {
    "a\"b\\c\nd\te\x1b[31m\x7f",
    "\xc3\xa9\xe2\x9c\x93\xf0\x9f\x94\x92",
    "x\xff" "y\xc3(" "z\xed\xa0\x80" "w\xc0\xaf",
    "CN=\"evil\"\n\x1b]0;pwned\x07\\ \xff\xfe \xc2\x9b" "2J \xc3\xa9",
    "\x01\x02\x1f\r\b\f",
    "\xf4\x90\x80\x80 \xf0\x8f\xbf\xbf \xe0\x9f\xbf", /* past U+10FFFF, overlongs */
    "",
};

static void test_strings_escaped_as_on_a_file(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        struct probe_jsonbuf b = {0};
        struct cap c;
        FILE *f = cap_open(&c);

        probe_json_string(f, hostile[i]);
        cap_close(f);
        probe_jsonbuf_str(&b, hostile[i]);
        assert_string_equal(text(&b), c.buf);
        /* the body alone is the same bytes between the quotes */
        probe_jsonbuf_reset(&b);
        probe_jsonbuf_ch(&b, '"');
        probe_jsonbuf_quoted(&b, hostile[i]);
        probe_jsonbuf_ch(&b, '"');
        assert_string_equal(text(&b), c.buf);
        free(c.buf);
        probe_jsonbuf_free(&b);
    }
}

static void test_strings_exact(void **state)
{
    struct probe_jsonbuf b = {0};

    (void)state;
    probe_jsonbuf_str(&b, hostile[0]);
    probe_jsonbuf_ch(&b, '|');
    probe_jsonbuf_str(&b, hostile[2]);
    probe_jsonbuf_ch(&b, '|');
    probe_jsonbuf_str(&b, hostile[4]);
    probe_jsonbuf_ch(&b, '|');
    probe_jsonbuf_str(&b, NULL);
    assert_string_equal(text(&b), "\"a\\\"b\\\\c\\nd\\u0009e\\u001b[31m\\u007f\"|"
                                  "\"x\\ufffdy\\ufffd(z\\ufffd\\ufffd\\ufffdw\\ufffd\\ufffd\"|"
                                  "\"\\u0001\\u0002\\u001f\\u000d\\u0008\\u000c\"|null");
    probe_jsonbuf_free(&b);
}

/* A limit stands in for memory running out: the append that does not fit fails the buffer,
 * nothing after it lands, and a reset makes it usable again. */
static void test_limit(void **state)
{
    struct probe_jsonbuf b = {.max = 100};
    char fill[64];

    (void)state;
    memset(fill, 'a', sizeof(fill));
    probe_jsonbuf_put(&b, fill, 60);
    assert_false(b.failed);
    assert_int_equal(b.cap, 100); /* the first growth stops at the limit */
    probe_jsonbuf_put(&b, fill, 41);
    assert_true(b.failed);
    assert_int_equal(b.len, 60);
    probe_jsonbuf_ch(&b, 'z'); /* fits, but the record is already incomplete */
    probe_jsonbuf_int(&b, 7);
    assert_int_equal(b.len, 60);
    assert_true(b.failed);
    probe_jsonbuf_reset(&b);
    assert_false(b.failed);
    probe_jsonbuf_put(&b, fill, 40);
    probe_jsonbuf_put(&b, fill, 60); /* exactly the limit */
    assert_false(b.failed);
    assert_int_equal(b.len, 100);
    probe_jsonbuf_ch(&b, 'z');
    assert_true(b.failed);
    probe_jsonbuf_free(&b);
}

/* ---- records ---- */

struct rec {
    struct probe_target t;
    struct probe_result r;
    struct tls_info ti;
    struct tls_cert cert;
    struct tls_san sans[4];
};

static struct rec *rec_new(void)
{
    struct rec *x = calloc(1, sizeof(*x));

    assert_non_null(x);
    probe_fixture_ok(&x->t, &x->r, &x->ti);
    snprintf(x->t.text, sizeof(x->t.text), "db1.contoso.com");
    probe_fixture_cert(&x->cert, x->sans, true, "db1.contoso.com", "Contoso CA");
    x->ti.chain = &x->cert;
    x->ti.chain_len = 1;
    probe_diagnose(&x->r);
    return x;
}

/* Every finding slot filled with a long hostile message: a record several times the buffer's
 * first capacity. */
static void fill_findings(struct probe_result *r)
{
    for (size_t i = 0; i < PROBE_MAX_FINDINGS; i++) {
        struct probe_finding *f = &r->findings[i];
        size_t n = 0;
        snprintf(f->code, sizeof(f->code), "weak_signature");
        f->severity = TLS_SEV_WARNING;
        f->cert = (int)(i % 3) - 1;
        while (n + strlen(hostile[3]) < sizeof(f->message)) {
            memcpy(f->message + n, hostile[3], strlen(hostile[3]));
            n += strlen(hostile[3]);
        }
        f->message[n] = '\0';
    }
    r->n_findings = PROBE_MAX_FINDINGS;
}

/* The record's bytes with its "probed_at" value blanked: two writes may straddle a second. */
static void blank_probed_at(char *s)
{
    char *p = strstr(s, "\"probed_at\":\"");

    assert_non_null(p);
    for (p += 13; *p != '"' && *p != '\0'; p++) {
        *p = 'X';
    }
}

static void test_record_larger_than_first_capacity(void **state)
{
    struct rec *x = rec_new();
    struct probe_jsonbuf b = {0};
    struct cap c;
    struct jv v;

    (void)state;
    fill_findings(&x->r);
    FILE *f = cap_open(&c);
    assert_int_equal(probe_report_json_line(f, &b, &x->r), 0);
    cap_close(f);
    assert_true(b.len > 4 * PROBE_JSONBUF_FIRST);
    assert_int_equal(c.len, b.len); /* exactly the buffer, once */
    assert_memory_equal(c.buf, b.p, b.len);
    assert_true(jv_parse_line(&v, c.buf, c.len));
    assert_int_equal(c.buf[c.len - 1], '\n');
    assert_ptr_equal(memchr(c.buf, '\n', c.len), c.buf + c.len - 1); /* one line */
    assert_non_null(strstr(c.buf, "\"message\":\"CN=\\\"evil\\\"\\n\\u001b]0;pwned\\u0007\\\\ "
                                  "\\ufffd\\ufffd \xc2\x9b" "2J \xc3\xa9" "CN="));
    free(c.buf);

    /* the same buffer for a small record: no growth, and the bytes a fresh buffer makes */
    struct rec *y = rec_new();
    char *kept = b.p;
    size_t cap = b.cap;
    struct cap fresh;
    f = cap_open(&c);
    assert_int_equal(probe_report_json_line(f, &b, &y->r), 0);
    cap_close(f);
    assert_ptr_equal(b.p, kept);
    assert_int_equal(b.cap, cap);
    f = cap_open(&fresh);
    assert_int_equal(probe_report_json(f, &y->r), 0);
    cap_close(f);
    blank_probed_at(c.buf);
    blank_probed_at(fresh.buf);
    assert_string_equal(c.buf, fresh.buf);
    free(c.buf);
    free(fresh.buf);
    probe_jsonbuf_free(&b);
    free(x);
    free(y);
}

/* A record that does not fit is not half-written: nothing reaches the file, the caller gets -1;
 * the next record that fits is written whole. */
static void test_record_that_does_not_fit(void **state)
{
    struct rec *x = rec_new();
    struct probe_jsonbuf b = {.max = 1000}; /* a record is about 2.5 KiB */
    struct cap c;
    struct jv v;

    (void)state;
    FILE *f = cap_open(&c);
    assert_int_equal(probe_report_json_line(f, &b, &x->r), -1);
    assert_true(b.failed);
    assert_int_equal(ftell(f), 0);
    b.max = 0;
    assert_int_equal(probe_report_json_line(f, &b, &x->r), 0);
    cap_close(f);
    assert_int_equal(c.len, b.len);
    assert_true(jv_parse_line(&v, c.buf, c.len));
    assert_int_equal(strncmp(c.buf, "{\"schema_version\":1,", 20), 0);
    free(c.buf);
    probe_jsonbuf_free(&b);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growth_past_first_capacity),
        cmocka_unit_test(test_one_large_append),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_milliseconds),
        cmocka_unit_test(test_milliseconds_like_printf),
        cmocka_unit_test(test_literals_and_keys),
        cmocka_unit_test(test_strings_escaped_as_on_a_file),
        cmocka_unit_test(test_strings_exact),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_record_larger_than_first_capacity),
        cmocka_unit_test(test_record_that_does_not_fit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
