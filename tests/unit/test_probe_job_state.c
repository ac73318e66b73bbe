/* tests/unit/test_probe_job_state.c: the engine's job states and its one transition table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probe/engine/probe_job_state.h"

static bool ended(enum probe_job_state s)
{
    return s == PROBE_JOB_DONE || s == PROBE_JOB_CANCELLED;
}

static void test_every_state_named(void **state)
{
    (void)state;
    for (int a = 0; a < PROBE_JOB_STATE_COUNT; a++) {
        const char *na = probe_job_state_name((enum probe_job_state)a);
        assert_string_not_equal("unknown", na);
        for (int b = a + 1; b < PROBE_JOB_STATE_COUNT; b++) {
            assert_string_not_equal(na, probe_job_state_name((enum probe_job_state)b));
        }
    }
    assert_string_equal("unknown", probe_job_state_name(PROBE_JOB_STATE_COUNT));
}

/* Every running state may end (a result, a deadline, a cancel); an ended job never moves again
 * and nothing goes back to QUEUED. */
static void test_ends(void **state)
{
    (void)state;
    for (int s = 0; s < PROBE_JOB_STATE_COUNT; s++) {
        enum probe_job_state from = (enum probe_job_state)s;
        assert_false(probe_job_may_enter(from, PROBE_JOB_QUEUED));
        if (ended(from)) {
            for (int t = 0; t < PROBE_JOB_STATE_COUNT; t++) {
                assert_false(probe_job_may_enter(from, (enum probe_job_state)t));
            }
        } else {
            assert_true(probe_job_may_enter(from, PROBE_JOB_DONE));
            assert_true(probe_job_may_enter(from, PROBE_JOB_CANCELLED));
        }
    }
}

static void test_paths(void **state)
{
    static const enum probe_job_state direct[] = {
        PROBE_JOB_QUEUED,     PROBE_JOB_RESOLVING, PROBE_JOB_CONNECTING,
        PROBE_JOB_EXCHANGING, PROBE_JOB_FOLLOWUP,  PROBE_JOB_AUDITING,
        PROBE_JOB_DONE,
    };
    static const enum probe_job_state named[] = {
        PROBE_JOB_QUEUED,     PROBE_JOB_RESOLVING, PROBE_JOB_ASKING_BROWSER,
        PROBE_JOB_CONNECTING, PROBE_JOB_CONNECTING, PROBE_JOB_EXCHANGING,
        PROBE_JOB_AUDITING,   PROBE_JOB_DONE,
    };

    (void)state;
    for (size_t i = 1; i < sizeof(direct) / sizeof(direct[0]); i++) {
        assert_true(probe_job_may_enter(direct[i - 1], direct[i]));
    }
    for (size_t i = 1; i < sizeof(named) / sizeof(named[0]); i++) {
        assert_true(probe_job_may_enter(named[i - 1], named[i]));
    }
    /* no shortcuts: a TLS exchange needs a connection, a follow-up a first exchange */
    assert_false(probe_job_may_enter(PROBE_JOB_QUEUED, PROBE_JOB_EXCHANGING));
    assert_false(probe_job_may_enter(PROBE_JOB_RESOLVING, PROBE_JOB_EXCHANGING));
    assert_false(probe_job_may_enter(PROBE_JOB_CONNECTING, PROBE_JOB_FOLLOWUP));
    assert_false(probe_job_may_enter(PROBE_JOB_AUDITING, PROBE_JOB_FOLLOWUP));
    assert_false(probe_job_may_enter(PROBE_JOB_EXCHANGING, PROBE_JOB_RESOLVING));
    assert_false(probe_job_may_enter(PROBE_JOB_STATE_COUNT, PROBE_JOB_DONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state_named),
        cmocka_unit_test(test_ends),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
