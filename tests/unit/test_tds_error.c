/* tests/unit/test_tds_error.c: the error list and the sticky, caller-owned error record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_error.h"

static void test_every_code_named(void **state)
{
    for (int c = 0; c < TDS_ERR_COUNT; c++) {
        assert_true(strlen(tds_err_name((enum tds_err)c)) > 0);
        assert_true(strlen(tds_err_text((enum tds_err)c)) > 0);
        for (int d = 0; d < c; d++) {
            assert_string_not_equal(tds_err_name((enum tds_err)c), tds_err_name((enum tds_err)d));
        }
    }
    assert_string_equal(tds_err_name(TDS_ERR_OK), "OK");
    assert_string_equal(tds_err_name(TDS_ERR_OPTION_OVERLAP), "OPTION_OVERLAP");
    assert_string_equal(tds_err_name(TDS_ERR_COUNT), "UNKNOWN");
    assert_string_equal(tds_err_text(TDS_ERR_BAD_PACKET_LENGTH),
                        "TDS packet length outside 8..32768");
    assert_string_equal(tds_err_text((enum tds_err)999), "unknown TDS error");
}

static void test_first_error_wins(void **state)
{
    struct tds_error e;
    tds_error_clear(&e);
    assert_int_equal(e.code, TDS_ERR_OK);
    assert_int_equal(e.option, -1);
    assert_string_equal(e.detail, "");

    assert_int_equal(tds_error_set(&e, TDS_ERR_TRUNCATED, 7, 2, "cut at %d", 7),
                     TDS_ERR_TRUNCATED);
    assert_int_equal(tds_error_set(&e, TDS_ERR_NO_SPACE, 9, 3, "later"), TDS_ERR_NO_SPACE);
    assert_int_equal(e.code, TDS_ERR_TRUNCATED);
    assert_int_equal(e.offset, 7);
    assert_int_equal(e.option, 2);
    assert_string_equal(e.detail, "cut at 7");

    tds_error_clear(&e);
    assert_int_equal(tds_error_set(&e, TDS_ERR_NO_SPACE, 0, -1, NULL), TDS_ERR_NO_SPACE);
    assert_string_equal(e.detail, "output buffer too small");
    /* NULL record: still returns the code */
    assert_int_equal(tds_error_set(NULL, TDS_ERR_SSRP_BAD_SIZE, 0, -1, "x"), TDS_ERR_SSRP_BAD_SIZE);
    tds_error_clear(NULL);
}

static void test_detail_truncates_safely(void **state)
{
    struct tds_error e;
    char long_text[400];
    memset(long_text, 'a', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    tds_error_clear(&e);
    tds_error_set(&e, TDS_ERR_SSRP_BAD_SYNTAX, 0, -1, "%s", long_text);
    assert_int_equal(strlen(e.detail), sizeof(e.detail) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_named),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_detail_truncates_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
