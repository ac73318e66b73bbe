/* tests/unit/test_probe_finding_codes.c: the table of finding codes. Every code has a name of
 * the contract's shape, a meaning and at least one severity; names are unique and none is a
 * diagnosis code unless the table says it is the same problem; a TLS policy code converts by
 * value; lookup, "did you mean", the --list-findings lines and the writers. The docs side (each
 * code in docs/design.md, the man page and the JSON schema) is
 * tests/integration/test_findings_registry.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/diagnose/probe_finding_codes.h"

static enum probe_finding_code fc(int i)
{
    return (enum probe_finding_code)i;
}

static void test_every_code_complete(void **state)
{
    (void)state;
    for (int i = 0; i < PROBE_FINDING_COUNT; i++) {
        const struct probe_finding_def *d = probe_finding_def(fc(i));
        const char *name = probe_finding_name(fc(i));
        size_t n = strlen(name);
        assert_non_null(d);
        assert_true(n > 0 && n < sizeof(((struct probe_finding *)0)->code));
        assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_"), n);
        assert_string_not_equal(name, "unknown");
        assert_non_null(d->meaning);
        assert_true(strlen(d->meaning) > 10 && strlen(d->meaning) < 120);
        assert_true(d->severities != 0);
        assert_int_equal(d->severities & ~(PROBE_SEV_BIT(TLS_SEV_INFO) |
                                           PROBE_SEV_BIT(TLS_SEV_WARNING) |
                                           PROBE_SEV_BIT(TLS_SEV_ERROR)), 0);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(name, probe_finding_name(fc(j)));
        }
        assert_int_equal(probe_finding_from_name(name), i);
    }
    assert_null(probe_finding_def(PROBE_FINDING_COUNT));
    assert_string_equal(probe_finding_name(PROBE_FINDING_COUNT), "unknown");
}

static void test_names_from_their_home(void **state)
{
    (void)state;
    for (int i = 0; i < TLS_F_COUNT; i++) {
        assert_string_equal(probe_finding_name(fc(i)),
                            tls_finding_name((enum tls_finding_code)i));
    }
    assert_string_equal(probe_finding_name(PROBE_FINDING_TLS_LIBRARY_LIMIT),
                        probe_diag_name(PROBE_DIAG_TLS_LIBRARY_LIMIT));
    assert_string_equal(probe_finding_name(PROBE_FINDING_FALLBACK_CERTIFICATE),
                        "fallback_certificate");
    assert_string_equal(probe_finding_name(PROBE_FINDING_WEAK_CIPHER_ACCEPTED),
                        "weak_cipher_accepted");
    /* codes that are also diagnoses: the TLS policy's certificate checks and the library limit;
     * a diagnosis of the network or the server's answer is never a finding code */
    assert_int_equal(probe_finding_from_name("untrusted_chain"), PROBE_FINDING_UNTRUSTED_CHAIN);
    assert_int_equal(probe_finding_from_name("forcibly_closed"), PROBE_FINDING_COUNT);
    assert_int_equal(probe_finding_from_name("timeout"), PROBE_FINDING_COUNT);
    assert_int_equal(probe_finding_from_name("ok"), PROBE_FINDING_COUNT);
    assert_int_equal(probe_finding_from_name(""), PROBE_FINDING_COUNT);
    assert_int_equal(probe_finding_from_name("fallback_certificat"), PROBE_FINDING_COUNT);
}

static void test_closest(void **state)
{
    (void)state;
    assert_string_equal(probe_finding_closest("fallback_certificat"), "fallback_certificate");
    assert_string_equal(probe_finding_closest("fallback-certificate"), "fallback_certificate");
    assert_string_equal(probe_finding_closest("old_tls_acepted"), "old_tls_accepted");
    assert_string_equal(probe_finding_closest("expiry"), "expired");
    assert_string_equal(probe_finding_closest("weak_ciphers_accepted"), "weak_cipher_accepted");
    assert_string_equal(probe_finding_closest("tls13refused"), "tls13_refused");
    /* a code past 31 characters is compared on its first 31 */
    assert_string_equal(probe_finding_closest("unknown_encryption_reply_and_more_text"),
                        "unknown_encryption_reply");
    for (int i = 0; i < PROBE_FINDING_COUNT; i++) {
        assert_string_equal(probe_finding_closest(probe_finding_name(fc(i))),
                            probe_finding_name(fc(i)));
    }
}

static void test_severities_text(void **state)
{
    char buf[32];

    (void)state;
    assert_string_equal(probe_finding_severities(PROBE_FINDING_UNTRUSTED_CHAIN, buf, sizeof(buf)),
                        "error, warning, info");
    assert_string_equal(probe_finding_severities(PROBE_FINDING_FALLBACK_CERTIFICATE, buf,
                                                 sizeof(buf)), "warning, info");
    assert_string_equal(probe_finding_severities(PROBE_FINDING_SELF_SIGNED, buf, sizeof(buf)),
                        "info");
    assert_string_equal(probe_finding_severities(PROBE_FINDING_OLD_TLS_ACCEPTED, buf, sizeof(buf)),
                        "warning");
    assert_string_equal(probe_finding_severities(PROBE_FINDING_COUNT, buf, sizeof(buf)), "");
    assert_string_equal(probe_finding_severities(PROBE_FINDING_UNTRUSTED_CHAIN, buf, 12),
                        "error"); /* what fits */
}

static void test_set(void **state)
{
    struct probe_finding f;
    char longmsg[600];

    (void)state;
    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    probe_finding_set(&f, PROBE_FINDING_TLS13_REFUSED, TLS_SEV_WARNING, -1, "m");
    assert_string_equal(f.code, "tls13_refused");
    assert_int_equal(f.severity, TLS_SEV_WARNING);
    assert_int_equal(f.cert, -1);
    assert_string_equal(f.message, "m");
    probe_finding_set(&f, PROBE_FINDING_EXPIRED, TLS_SEV_ERROR, 1, longmsg);
    assert_string_equal(f.code, "expired");
    assert_int_equal(f.cert, 1);
    assert_int_equal(strlen(f.message), sizeof(f.message) - 1);
    probe_finding_set_diag(&f, PROBE_DIAG_FORCIBLY_CLOSED, "cause");
    assert_string_equal(f.code, "forcibly_closed");
    assert_int_equal(f.severity, TLS_SEV_ERROR);
    assert_int_equal(f.cert, -1);
    assert_string_equal(f.message, "cause");
}

/* One entry per code: its first line starts with the code; lines that start with spaces carry
 * the meaning on. Every line fits 100 columns. */
static void test_list(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int entries = 0;
    char meaning[512] = "";
    char sev[32];

    (void)state;
    assert_non_null(f);
    probe_finding_list(f);
    fclose(f);
    for (char *line = buf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        assert_true(strlen(line) <= 100);
        if (line[0] == ' ') { /* a continuation: the meaning goes on after the indent */
            assert_true(entries > 0);
            assert_true(strlen(line) > 49 && strspn(line, " ") == 49);
            size_t used = strlen(meaning);
            snprintf(meaning + used, sizeof(meaning) - used, " %s", line + 49);
            continue;
        }
        if (entries > 0) {
            assert_string_equal(meaning, probe_finding_def(fc(entries - 1))->meaning);
        }
        const char *name = probe_finding_name(fc(entries));
        assert_int_equal(strncmp(line, name, strlen(name)), 0);
        assert_int_equal(line[strlen(name)], ' ');
        assert_non_null(strstr(line, probe_finding_severities(fc(entries), sev, sizeof(sev))));
        assert_true(strlen(line) > 49);
        snprintf(meaning, sizeof(meaning), "%s", line + 49);
        entries++;
    }
    assert_int_equal(entries, PROBE_FINDING_COUNT);
    assert_string_equal(meaning, probe_finding_def(fc(entries - 1))->meaning);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_complete),
        cmocka_unit_test(test_names_from_their_home),
        cmocka_unit_test(test_closest),
        cmocka_unit_test(test_severities_text),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
