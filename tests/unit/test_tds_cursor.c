/* tests/unit/test_tds_cursor.c: the bounds-checked reader and the sticky writer
 * (tds/tds_cursor.h). Reads at len-1, len, len+1; failures never advance; no sum wraps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_cursor.h"
#include "test_tds_util.h"

static const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

static void test_integers_both_orders(void **state)
{
    uint8_t *g = guarded_copy(bytes, sizeof(bytes));
    struct tds_rd r = tds_rd_make(g, sizeof(bytes));
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;

    assert_true(tds_rd_u8(&r, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(tds_rd_u16be(&r, &u16));
    assert_int_equal(u16, 0x0203);
    assert_true(tds_rd_u16le(&r, &u16));
    assert_int_equal(u16, 0x0504);
    assert_true(tds_rd_u24be(&r, &u32));
    assert_int_equal(u32, 0x060708);
    assert_int_equal(tds_rd_left(&r), 0);

    r = tds_rd_make(g, sizeof(bytes));
    assert_true(tds_rd_u32be(&r, &u32));
    assert_int_equal(u32, 0x01020304);
    assert_true(tds_rd_u32le(&r, &u32));
    assert_int_equal(u32, 0x08070605);
    guarded_free(g, sizeof(bytes));
}

/* Each reader of width w over a buffer of w-1, w and w+1 bytes. */
static void test_edges_never_advance_on_failure(void **state)
{
    for (size_t w = 1; w <= 4; w++) {
        for (size_t n = w - 1; n <= w + 1; n++) {
            uint8_t *g = guarded_copy(bytes, n);
            struct tds_rd r = tds_rd_make(g, n);
            uint8_t u8;
            uint16_t u16;
            uint32_t u32;
            bool ok = false;
            switch (w) {
            case 1: ok = tds_rd_u8(&r, &u8); break;
            case 2: ok = tds_rd_u16be(&r, &u16) && (r.pos = 0, tds_rd_u16le(&r, &u16)); break;
            case 3: ok = tds_rd_u24be(&r, &u32); break;
            default: ok = tds_rd_u32be(&r, &u32) && (r.pos = 0, tds_rd_u32le(&r, &u32)); break;
            }
            assert_int_equal(ok, n >= w);
            assert_int_equal(r.pos, ok ? w : 0);
            guarded_free(g, n);
        }
    }
}

static void test_bytes_skip_sub(void **state)
{
    uint8_t *g = guarded_copy(bytes, sizeof(bytes));
    struct tds_rd r = tds_rd_make(g, sizeof(bytes));
    const uint8_t *p;
    struct tds_rd sub;

    assert_true(tds_rd_skip(&r, 2));
    assert_false(tds_rd_bytes(&r, 7, &p));
    assert_int_equal(r.pos, 2);
    assert_true(tds_rd_bytes(&r, 3, &p));
    assert_int_equal(p[0], 0x03);
    assert_false(tds_rd_sub(&r, 4, &sub));
    assert_true(tds_rd_sub(&r, 3, &sub));
    assert_int_equal(sub.len, 3);
    assert_int_equal(sub.buf[0], 0x06);
    assert_false(tds_rd_skip(&r, 1));
    assert_true(tds_rd_skip(&r, 0));
    assert_false(tds_rd_skip(&r, SIZE_MAX));
    assert_false(tds_rd_bytes(&r, SIZE_MAX, &p));
    assert_int_equal(r.pos, 8);
    guarded_free(g, sizeof(bytes));
}

static void test_view_cannot_wrap(void **state)
{
    struct tds_rd r = tds_rd_make(bytes, sizeof(bytes));
    struct tds_rd v;

    assert_true(tds_rd_view(&r, 0, 8, &v));
    assert_true(tds_rd_view(&r, 8, 0, &v));
    assert_int_equal(v.len, 0);
    assert_false(tds_rd_view(&r, 9, 0, &v));
    assert_false(tds_rd_view(&r, 7, 2, &v));
    assert_false(tds_rd_view(&r, SIZE_MAX, 2, &v));
    assert_false(tds_rd_view(&r, 2, SIZE_MAX, &v));
    assert_false(tds_rd_view(&r, SIZE_MAX, SIZE_MAX, &v));
    assert_true(tds_rd_view(&r, 3, 2, &v));
    assert_int_equal(v.buf[0], 0x04);
    assert_int_equal(r.pos, 0); /* views do not move the cursor */
}

static void test_writer_is_sticky(void **state)
{
    uint8_t buf[8];
    struct tds_wr w = tds_wr_make(buf, 7);

    tds_wr_u16be(&w, 0x0102);
    tds_wr_u16le(&w, 0x0304);
    tds_wr_u8(&w, 0x05);
    assert_int_equal(w.len, 5);
    assert_false(w.overflow);
    tds_wr_u32be(&w, 0xAABBCCDD); /* needs 4, has 2: the first half fits, then overflow */
    assert_true(w.overflow);
    size_t len = w.len;
    tds_wr_u8(&w, 0x99); /* stays failed even though one byte would fit */
    tds_wr_bytes(&w, "x", 1);
    assert_int_equal(w.len, len);
    const uint8_t want[] = { 0x01, 0x02, 0x04, 0x03, 0x05 };
    assert_memory_equal(buf, want, sizeof(want));

    struct tds_wr w2 = tds_wr_make(buf, 8);
    tds_wr_u32le(&w2, 0x11223344);
    tds_wr_u32be(&w2, 0x55667788);
    tds_wr_bytes(&w2, NULL, 0);
    assert_false(w2.overflow);
    const uint8_t want2[] = { 0x44, 0x33, 0x22, 0x11, 0x55, 0x66, 0x77, 0x88 };
    assert_memory_equal(buf, want2, 8);
    tds_wr_bytes(&w2, "x", 1);
    assert_true(w2.overflow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_both_orders),
        cmocka_unit_test(test_edges_never_advance_on_failure),
        cmocka_unit_test(test_bytes_skip_sub),
        cmocka_unit_test(test_view_cannot_wrap),
        cmocka_unit_test(test_writer_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
