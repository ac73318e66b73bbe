/* probe/output/probe_jsonbuf.c: the record buffer (see probe_jsonbuf.h). */
#include "probe/output/probe_jsonbuf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "probe/output/probe_emit.h"

void probe_jsonbuf_reset(struct probe_jsonbuf *b)
{
    b->len = 0;
    b->failed = false;
}

void probe_jsonbuf_free(struct probe_jsonbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

/* Room for need bytes in all: doubling from PROBE_JSONBUF_FIRST, never past max. */
static bool grow(struct probe_jsonbuf *b, size_t need)
{
    size_t limit = b->max != 0 ? b->max : SIZE_MAX / 2;
    size_t cap = b->cap != 0 ? b->cap : PROBE_JSONBUF_FIRST;

    if (need > limit) {
        return false;
    }
    while (cap < need) {
        cap *= 2;
    }
    if (cap > limit) {
        cap = limit;
    }
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void probe_jsonbuf_put(struct probe_jsonbuf *b, const void *p, size_t n)
{
    if (b->failed || n == 0) {
        return;
    }
    if (n > b->cap - b->len && (n > SIZE_MAX - b->len || !grow(b, b->len + n))) {
        b->failed = true;
        return;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void probe_jsonbuf_ch(struct probe_jsonbuf *b, char c)
{
    probe_jsonbuf_put(b, &c, 1);
}

void probe_jsonbuf_key(struct probe_jsonbuf *b, const char *key)
{
    probe_jsonbuf_ch(b, '"');
    probe_jsonbuf_lit(b, key);
    probe_jsonbuf_put(b, "\":", 2);
}

static void jsonbuf_put(void *to, const void *p, size_t n)
{
    probe_jsonbuf_put(to, p, n);
}

void probe_jsonbuf_str(struct probe_jsonbuf *b, const char *s)
{
    probe_json_string_put(jsonbuf_put, b, s);
}

void probe_jsonbuf_quoted(struct probe_jsonbuf *b, const char *s)
{
    probe_quoted_put(jsonbuf_put, b, s, PROBE_QUOTE_JSON);
}

void probe_jsonbuf_null(struct probe_jsonbuf *b)
{
    probe_jsonbuf_put(b, "null", 4);
}

void probe_jsonbuf_bool(struct probe_jsonbuf *b, bool v)
{
    probe_jsonbuf_put(b, v ? "true" : "false", v ? 4 : 5);
}

void probe_jsonbuf_member_str(struct probe_jsonbuf *b, const char *lead, const char *s)
{
    probe_jsonbuf_lit(b, lead);
    probe_jsonbuf_str(b, s);
}

void probe_jsonbuf_member_bool(struct probe_jsonbuf *b, const char *lead, bool v)
{
    probe_jsonbuf_lit(b, lead);
    probe_jsonbuf_bool(b, v);
}

/* The digits of v in base (10 or 16), at least width of them, zero-padded. */
static void put_digits(struct probe_jsonbuf *b, unsigned long long v, unsigned base, int width)
{
    static const char digits[] = "0123456789abcdef";
    char d[64];
    size_t i = sizeof(d);

    do {
        d[--i] = digits[v % base];
        v /= base;
    } while (v != 0 || (int)(sizeof(d) - i) < width);
    probe_jsonbuf_put(b, d + i, sizeof(d) - i);
}

void probe_jsonbuf_uint(struct probe_jsonbuf *b, unsigned long long v)
{
    put_digits(b, v, 10, 1);
}

void probe_jsonbuf_int(struct probe_jsonbuf *b, long long v)
{
    if (v < 0) {
        probe_jsonbuf_ch(b, '-');
        put_digits(b, 0ULL - (unsigned long long)v, 10, 1); /* LLONG_MIN too */
        return;
    }
    put_digits(b, (unsigned long long)v, 10, 1);
}

void probe_jsonbuf_hex(struct probe_jsonbuf *b, unsigned v, int width)
{
    put_digits(b, v, 16, width < 64 ? width : 64);
}

/* v * 1000 rounded as printf's "%.3f" rounds (glibc: to nearest on the exact binary value, a
 * tie to even), for 0 <= v < 2^53 / 1000. v is m * 2^e with m < 2^53 (frexp), so m * 1000 fits
 * in 63 bits and the division by 2^-e is exact with its remainder. */
static unsigned long long thousandths(double v)
{
    int ex;
    double f = frexp(v, &ex);
    unsigned long long m = (unsigned long long)ldexp(f, 53) * 1000u;
    int shift = 53 - ex; /* at least 9: v < 2^44 */

    if (shift >= 64) {
        return 0; /* below 2^-11 ms: under half a thousandth */
    }
    unsigned long long q = m >> shift;
    unsigned long long rest = m & ((1ULL << shift) - 1);
    unsigned long long half = 1ULL << (shift - 1);
    return q + (rest > half || (rest == half && (q & 1) != 0));
}

/* Milliseconds as "%.3f" writes them. Every time a probe measures goes the integer way; the
 * values it cannot take exactly (-0.0, 2^53 / 1000 and above) go through snprintf once, into an
 * array that holds the largest finite double (309 integer digits). */
void probe_jsonbuf_ms(struct probe_jsonbuf *b, double v)
{
    if (v < 0 || !isfinite(v)) {
        probe_jsonbuf_null(b);
        return;
    }
    if (signbit(v) || v >= 9007199254740.992) {
        char t[320];
        int n = snprintf(t, sizeof(t), "%.3f", v);
        probe_jsonbuf_put(b, t, n > 0 ? (size_t)n : 0);
        return;
    }
    unsigned long long k = thousandths(v);
    char frac[4] = {'.', (char)('0' + k / 100 % 10), (char)('0' + k / 10 % 10),
                    (char)('0' + k % 10)};
    probe_jsonbuf_uint(b, k / 1000);
    probe_jsonbuf_put(b, frac, sizeof(frac));
}
