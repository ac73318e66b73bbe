/* probe/serve/probe_modules: what a module's probes do (struct probe_module_run) - each run key
 * read from a modules file and its refusals, a module starting from the command line's run
 * settings, the table-driven client keys still working beside them, a fresh copy for a reload,
 * and probe_module_apply fitting a probe (and its audit) within a scrape's timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/engine/probe_engine.h"
#include "probe/serve/probe_modules.h"

/* text read as "m.conf" on top of a command line with --timeout 7 and --ignore expired. */
static struct probe_modules *read_text(const char *text, int want_rc, char *err, size_t cap)
{
    struct probe_modules *m = calloc(1, sizeof(*m));
    FILE *f = fmemopen((void *)text, strlen(text), "r");

    assert_non_null(m);
    assert_non_null(f);
    probe_overrides_init(&m->defaults);
    probe_module_run_init(&m->run);
    assert_int_equal(probe_module_run_set(&m->run, "timeout", "7", err, cap), 0);
    assert_int_equal(probe_module_run_set(&m->run, "ignore", "expired", err, cap), 0);
    err[0] = '\0';
    assert_int_equal(probe_modules_read(m, f, "m.conf", err, cap), want_rc);
    fclose(f);
    return m;
}

static void test_run_keys(void **state)
{
    static const char text[] = "[module audit]\n"
                               "timeout = 2.5\n"
                               "protocols = yes\n"
                               "ciphers = 1\n"
                               "ignore = self_signed , fallback_certificate\n"
                               "ignore = weak_key\n"
                               "warn_days = 30\n"
                               "crit_days = 7\n"
                               "driver = odbc18\n"
                               "[module policy]\n"
                               "require_tls12_only = true\n"
                               "[module plain]\n";
    char err[300];
    struct probe_modules *m = read_text(text, 0, err, sizeof(err));

    (void)state;
    const struct probe_module_run *a = probe_modules_run(m, "audit");
    assert_non_null(a);
    assert_true(a->timeout_s == 2.5);
    assert_true(a->protocols && a->ciphers);
    assert_int_equal(a->policy.n_ignore, 4); /* the command line's, then its own */
    assert_string_equal(a->policy.ignore[0], "expired");
    assert_string_equal(a->policy.ignore[1], "self_signed");
    assert_string_equal(a->policy.ignore[2], "fallback_certificate");
    assert_string_equal(a->policy.ignore[3], "weak_key");
    assert_int_equal(a->policy.warn_days, 30);
    assert_int_equal(a->policy.crit_days, 7);
    assert_string_equal(probe_modules_find(m, "audit")->client.driver, "odbc18");
    const struct probe_module_run *p = probe_modules_run(m, "policy");
    assert_true(p->policy.require_tls12_only && p->protocols); /* implies protocols */
    assert_false(p->ciphers);
    const struct probe_module_run *plain = probe_modules_run(m, "plain");
    assert_true(plain->timeout_s == 7); /* the command line's */
    assert_false(plain->protocols || plain->ciphers || plain->policy.require_tls12_only);
    assert_int_equal(plain->policy.n_ignore, 1);
    assert_int_equal(plain->policy.warn_days, -1);
    assert_ptr_equal(probe_modules_run(m, NULL), &m->run);
    assert_ptr_equal(probe_modules_run(m, "default"), &m->run);
    assert_null(probe_modules_run(m, "nosuch"));
    free(m);
}

static void test_run_key_errors(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "[module a]\ntimeout = 0\n",
          "m.conf:2: timeout takes seconds (0.001..3600), not '0'" },
        { "[module a]\ntimeout = 1e3\n",
          "m.conf:2: timeout takes seconds (0.001..3600), not '1e3'" },
        { "[module a]\nprotocols = maybe\n",
          "m.conf:2: protocols takes true or false, not 'maybe'" },
        { "[module a]\nrequire_tls12_only =\n",
          "m.conf:2: require_tls12_only takes true or false, not ''" },
        { "[module a]\nwarn_days = -1\n",
          "m.conf:2: warn_days takes a number of days (0..36500), not '-1'" },
        { "[module a]\nignore = Self_Signed\n",
          "m.conf:2: --ignore takes a finding code (lowercase letters, digits and '_', at most "
          "31), not 'Self_Signed'" },
        { "[module a]\nignore = self_signed, fallback_certificat\n",
          "m.conf:2: --ignore: unknown finding code 'fallback_certificat' (did you mean "
          "fallback_certificate?); tdsprobe --list-findings lists them" },
        { "[module a]\nignore = timeout\n",
          "m.conf:2: --ignore: 'timeout' is a diagnosis code, not a finding code (a client that "
          "cannot connect is CRITICAL whatever is ignored); tdsprobe --list-findings lists the "
          "finding codes" },
        { "[module a]\nignore = self_signed,,weak_key\n",
          "m.conf:2: --ignore takes a finding code (lowercase letters, digits and '_', at most "
          "31), not ''" },
    };
    char err[300];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct probe_modules *m = read_text(cases[i].text, -1, err, sizeof(err));
        assert_string_equal(err, cases[i].err);
        free(m);
    }
    struct probe_module_run r;
    probe_module_run_init(&r);
    assert_int_equal(probe_module_run_set(&r, "driver", "odbc18", err, sizeof(err)), 1);
    assert_int_equal(probe_module_run_set(&r, "nosuch", "1", err, sizeof(err)), 1);
}

/* A reload reads into a fresh copy: the command line's part, no modules. */
static void test_fresh(void **state)
{
    char err[300];
    struct probe_modules *m = read_text("[module a]\nprotocols = true\n", 0, err, sizeof(err));
    struct probe_modules *f = probe_modules_fresh(m);

    (void)state;
    assert_non_null(f);
    assert_int_equal(f->n, 0);
    assert_true(f->run.timeout_s == 7);
    assert_int_equal(f->run.policy.n_ignore, 1);
    assert_null(probe_modules_run(f, "a"));
    free(f);
    free(m);
}

static struct probe_target target_with(double audit_timeout_s)
{
    struct probe_target t;

    memset(&t, 0, sizeof(t));
    t.client.audit_timeout_s = audit_timeout_s;
    return t;
}

static void test_apply(void **state)
{
    struct probe_module_run r;
    struct probe_target t = target_with(0);

    (void)state;
    probe_module_run_init(&r);
    /* No scrape timeout, or a longer one: the module's own times. */
    assert_true(probe_module_apply(&r, 0, &t) == 10);
    assert_true(t.client.timeout_s == 10);
    assert_false(t.client.audit_protocols || t.client.audit_ciphers);
    assert_true(probe_module_apply(&r, 30, &t) == 10);
    assert_true(t.client.timeout_s == 10);
    /* A shorter one: the deadline is the scrape's less the offset. */
    assert_true(probe_module_apply(&r, 5, &t) == 5 - PROBE_SCRAPE_OFFSET_S);
    assert_true(t.client.timeout_s == 5 - PROBE_SCRAPE_OFFSET_S);
    /* At or below the offset: the module's (blackbox_exporter's rule). */
    assert_true(probe_module_apply(&r, PROBE_SCRAPE_OFFSET_S, &t) == 10);
    /* With an audit: deadline and audit budget shrink together to fit. */
    r.timeout_s = 2;
    r.protocols = true;
    t = target_with(0);
    double whole = 2 + PROBE_AUDIT_BUDGET_TIMEOUTS * 2;
    assert_true(probe_module_apply(&r, 0, &t) == whole);
    assert_true(t.client.audit_protocols && !t.client.audit_ciphers);
    assert_true(t.client.audit_timeout_s == PROBE_AUDIT_BUDGET_TIMEOUTS * 2);
    t = target_with(0);
    double got = probe_module_apply(&r, 4.5, &t);
    assert_true(got > 3.999 && got < 4.001);
    assert_true(t.client.timeout_s > 0.999 && t.client.timeout_s < 1.001);
    assert_true(t.client.audit_timeout_s > 2.999 && t.client.audit_timeout_s < 3.001);
    /* The client's own audit_timeout counts as the audit's time. */
    t = target_with(1);
    assert_true(probe_module_apply(&r, 0, &t) == 3);
    assert_true(t.client.audit_timeout_s == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_keys),
        cmocka_unit_test(test_run_key_errors),
        cmocka_unit_test(test_fresh),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
