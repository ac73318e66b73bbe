/* tests/unit/capture.h: capture what a writer prints into memory (open_memstream). Include
 * after <cmocka.h>. */
#ifndef TESTS_UNIT_CAPTURE_H
#define TESTS_UNIT_CAPTURE_H

#include <stdio.h>

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

#endif
