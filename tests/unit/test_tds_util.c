/* tests/unit/test_tds_util.c: fixture loader, guard-page copies, a deterministic PRNG. */
#include "test_tds_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

const char *const tds_fixtures[] = {
    "mstds-4.1-prelogin-request.hex",
    "mssstds-4.1-prelogin-request.hex",
    "sql2008-10.0.1600-prelogin-response.freetds605.hex",
    "sql2008sp2-10.0.4000-prelogin-exchange.tedious610.hex",
    "sql2014sp3-12.0.6024-prelogin-response.freetds425.hex",
    "server-tls-flight-in-tds12.partial.freetds129.hex",
};
const size_t tds_n_fixtures = sizeof(tds_fixtures) / sizeof(tds_fixtures[0]);

int hex_digit(int c)
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

/* Tokens are 1 or 2 hex digits (F5 was printed unpadded in its source). */
size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    const char *s = hex;

    while (*s != '\0') {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
            s++;
            continue;
        }
        int hi = hex_digit(s[0]);
        assert_true(hi >= 0);
        int lo = hex_digit(s[1]);
        unsigned v = lo >= 0 ? (unsigned)(hi * 16 + lo) : (unsigned)hi;
        s += lo >= 0 ? 2 : 1;
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static char *read_text(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", TDSPROBE_TEST_DATA, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    char line[4096];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#') {
            continue;
        }
        size_t k = strlen(line);
        assert_true(k < cap - len);
        memcpy(text + len, line, k);
        len += k;
    }
    text[len] = '\0';
    fclose(f);
    return text;
}

uint8_t *load_hex(const char *name, size_t *len)
{
    char *text = read_text(name);
    size_t cap = strlen(text) / 2 + 1;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    *len = hex_to_bytes(text, out, cap);
    free(text);
    assert_true(*len > 0);
    return out;
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t guarded_span(size_t n)
{
    size_t pg = page_size();
    return (n + pg - 1) / pg * pg + pg;
}

uint8_t *guarded_copy(const uint8_t *src, size_t n)
{
    size_t span = guarded_span(n);
    uint8_t *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    uint8_t *guard = base + span - page_size();
    assert_int_equal(mprotect(guard, page_size(), PROT_NONE), 0);
    uint8_t *p = guard - n;
    if (n > 0) {
        memcpy(p, src, n);
    }
    return p;
}

void guarded_free(uint8_t *p, size_t n)
{
    size_t span = guarded_span(n);
    uint8_t *guard = p + n;
    uint8_t *base = guard + page_size() - span;
    munmap(base, span);
}

uint64_t test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
