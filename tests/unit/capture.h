/* tests/unit/capture.h: capture what a writer prints into memory (open_memstream), and check
 * the text for what it must and must not say. Include after <cmocka.h>. */
#ifndef TESTS_UNIT_CAPTURE_H
#define TESTS_UNIT_CAPTURE_H

#include <stdio.h>
#include <string.h>

struct cap {
    char *buf; /* malloc'd by open_memstream: the test frees it */
    size_t len;
};

static inline FILE *cap_open(struct cap *c)
{
    FILE *f = open_memstream(&c->buf, &c->len);

    assert_non_null(f);
    return f;
}

static inline void cap_close(FILE *f)
{
    assert_int_equal(fclose(f), 0);
}

__attribute__((noinline, unused)) static void assert_contains(const char *hay,
                                                              const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        fail_msg("expected \"%s\" in:\n%s", needle, hay);
    }
}

__attribute__((noinline, unused)) static void assert_not_contains(const char *hay,
                                                                  const char *needle)
{
    if (strstr(hay, needle) != NULL) {
        fail_msg("did not expect \"%s\" in:\n%s", needle, hay);
    }
}

#endif
