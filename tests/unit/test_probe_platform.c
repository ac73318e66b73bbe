/* probe/drivers/probe_platform (the TLS stacks, the client OS) as probe_client reads it: every
 * driver has a stack on every OS, the stacks' limits, the client's TLS range (the stack's unless
 * a bound is named, TLS 1.2 at most in TDS 7.x), strict mode's TLS 1.3 decision, and
 * --client-os through the option table onto a target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_overrides.h"
#include "probe/drivers/probe_platform.h"
#include "probe/serve/probe_modules.h"
#include "tls/tls_version.h"

static const enum probe_os oses[] = { PROBE_OS_WINDOWS, PROBE_OS_WINDOWS11, PROBE_OS_LINUX,
                                      PROBE_OS_MACOS };

static struct probe_client client(const char *driver, enum probe_os os)
{
    struct probe_client c;

    probe_client_default(&c);
    assert_int_equal(probe_client_set_driver(&c, driver), 0);
    c.os = os;
    return c;
}

static void test_every_driver_has_a_stack_per_os(void **state)
{
    (void)state;
    for (size_t i = 0; i < probe_driver_count(); i++) {
        const struct probe_driver *d = probe_driver_at(i);
        for (size_t k = 0; k < sizeof(oses) / sizeof(oses[0]); k++) {
            const struct probe_tls_stack *s = d->stack[oses[k]];
            assert_non_null(s);
            assert_non_null(s->name);
            assert_true(s->tls_min >= TLS_V10 && s->tls_min <= s->tls_max);
            assert_true(s->tls_max <= TLS_V13);
            assert_true(s->min_signature_bits > 0 && s->min_rsa_bits >= 1024);
            assert_ptr_equal(probe_driver_stack(d->name, oses[k]), s);
        }
    }
}

static void test_stack_limits(void **state)
{
    (void)state;
    /* Schannel on Windows 10: TLS 1.0-1.2, no 1.3, SHA-1 (63 bits) and RSA-1024 accepted */
    assert_true(probe_stack_accepts_version(&probe_stack_schannel, TLS_V10));
    assert_false(probe_stack_accepts_version(&probe_stack_schannel, TLS_V13));
    assert_true(63 >= probe_stack_schannel.min_signature_bits);
    assert_int_equal(probe_stack_schannel.min_rsa_bits, 1024);
    /* Schannel on Windows 11 24H2+ / Server 2025: TLS 1.2-1.3 (1.0/1.1 off by default), the
     * same SHA-1 and RSA limits (not verified to differ) */
    assert_false(probe_stack_accepts_version(&probe_stack_schannel_win11, TLS_V10));
    assert_false(probe_stack_accepts_version(&probe_stack_schannel_win11, TLS_V11));
    assert_true(probe_stack_accepts_version(&probe_stack_schannel_win11, TLS_V12));
    assert_true(probe_stack_accepts_version(&probe_stack_schannel_win11, TLS_V13));
    assert_int_equal(probe_stack_schannel_win11.min_signature_bits,
                     probe_stack_schannel.min_signature_bits);
    assert_int_equal(probe_stack_schannel_win11.min_rsa_bits, probe_stack_schannel.min_rsa_bits);
    assert_string_equal(probe_stack_schannel_win11.variant, probe_stack_schannel.variant);
    /* OpenSSL 3 at level 2: TLS 1.2-1.3, no SHA-1, RSA 2048 */
    assert_false(probe_stack_accepts_version(&probe_stack_openssl3, TLS_V10));
    assert_false(probe_stack_accepts_version(&probe_stack_openssl3, TLS_V11));
    assert_true(probe_stack_accepts_version(&probe_stack_openssl3, TLS_V13));
    assert_true(63 < probe_stack_openssl3.min_signature_bits);
    assert_int_equal(probe_stack_openssl3.min_rsa_bits, 2048);
    /* Node's level 1: no SHA-1, RSA-1024 passes; JSSE: a private CA's SHA-1 passes */
    assert_true(63 < probe_stack_openssl3_level1.min_signature_bits);
    assert_int_equal(probe_stack_openssl3_level1.min_rsa_bits, 1024);
    assert_true(63 >= probe_stack_jsse.min_signature_bits);
    /* Debian's FreeTDS: GnuTLS with TLS 1.0 on */
    assert_true(probe_stack_accepts_version(&probe_stack_gnutls, TLS_V10));
}

static void test_drivers_per_os(void **state)
{
    (void)state;
    assert_ptr_equal(probe_driver_stack("sqlclient", PROBE_OS_WINDOWS), &probe_stack_schannel);
    assert_ptr_equal(probe_driver_stack("sqlclient", PROBE_OS_LINUX), &probe_stack_openssl3);
    assert_ptr_equal(probe_driver_stack("sqlclient", PROBE_OS_MACOS), &probe_stack_apple);
    assert_ptr_equal(probe_driver_stack("odbc18", PROBE_OS_WINDOWS), &probe_stack_schannel);
    assert_ptr_equal(probe_driver_stack("odbc18", PROBE_OS_MACOS), &probe_stack_openssl3_level1);
    assert_ptr_equal(probe_driver_stack("freetds", PROBE_OS_LINUX), &probe_stack_gnutls);
    for (size_t k = 0; k < sizeof(oses) / sizeof(oses[0]); k++) {
        assert_ptr_equal(probe_driver_stack("jdbc", oses[k]), &probe_stack_jsse);
        assert_ptr_equal(probe_driver_stack("go-mssqldb", oses[k]), &probe_stack_go);
        assert_ptr_equal(probe_driver_stack("tedious", oses[k]), &probe_stack_openssl3_level1);
    }
    /* an unknown name is the default driver's */
    assert_ptr_equal(probe_driver_stack("nosuch", PROBE_OS_WINDOWS), &probe_stack_schannel);
}

/* Windows 11: every row on Schannel under Windows 10 is on Windows 11's Schannel there; every
 * other row keeps its Windows stack (JSSE, Go, Node's OpenSSL do not depend on the OS). */
static void test_drivers_on_windows11(void **state)
{
    static const char *const schannel_rows[] = { "sqlclient", "sqlclient-legacy", "odbc18",
                                                 "odbc17" };
    size_t on_schannel = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(schannel_rows) / sizeof(schannel_rows[0]); i++) {
        assert_ptr_equal(probe_driver_stack(schannel_rows[i], PROBE_OS_WINDOWS11),
                         &probe_stack_schannel_win11);
    }
    for (size_t i = 0; i < probe_driver_count(); i++) {
        const struct probe_driver *d = probe_driver_at(i);
        if (d->stack[PROBE_OS_WINDOWS] == &probe_stack_schannel) {
            assert_ptr_equal(d->stack[PROBE_OS_WINDOWS11], &probe_stack_schannel_win11);
            on_schannel++;
        } else {
            assert_ptr_equal(d->stack[PROBE_OS_WINDOWS11], d->stack[PROBE_OS_WINDOWS]);
        }
    }
    assert_int_equal(on_schannel, sizeof(schannel_rows) / sizeof(schannel_rows[0]));
    assert_ptr_equal(probe_driver_stack("freetds", PROBE_OS_WINDOWS11),
                     &probe_stack_openssl3_level1);
}

static void test_os_names_and_host(void **state)
{
    struct probe_client c;

    (void)state;
    probe_client_default(&c);
    assert_int_equal(c.os, PROBE_OS_HOST);
    assert_int_equal(probe_client_os(&c), probe_os_host());
    assert_string_equal(probe_os_name(PROBE_OS_WINDOWS), "windows");
    assert_string_equal(probe_os_name(PROBE_OS_LINUX), "linux");
    assert_string_equal(probe_os_name(PROBE_OS_MACOS), "macos");
    assert_string_equal(probe_os_title(PROBE_OS_MACOS), "macOS");
    assert_string_equal(probe_os_name(PROBE_OS_WINDOWS11), "windows11");
    assert_string_equal(probe_os_title(PROBE_OS_WINDOWS11), "Windows 11");
    assert_string_equal(probe_os_title(PROBE_OS_WINDOWS), "Windows");
    assert_string_equal(probe_os_name(PROBE_OS_HOST), probe_os_name(probe_os_host()));
    assert_int_equal(probe_os_resolve(PROBE_OS_COUNT), probe_os_host());
}

static void assert_range(const struct probe_client *c, bool strict, int lo, int hi)
{
    int min, max;

    probe_client_tls_range(c, strict, &min, &max);
    assert_int_equal(min, lo);
    assert_int_equal(max, hi);
}

static void test_tls_range(void **state)
{
    struct probe_client c;

    (void)state;
    c = client("sqlclient", PROBE_OS_WINDOWS);
    assert_range(&c, false, TLS_V10, TLS_V12);
    assert_range(&c, true, TLS_V10, TLS_V12);
    c = client("sqlclient", PROBE_OS_LINUX);
    assert_range(&c, false, TLS_V12, TLS_V12); /* TDS 7.x: at most TLS 1.2 */
    assert_range(&c, true, TLS_V12, TLS_V13);
    /* a named bound wins over the stack's, and moves the other bound when it must */
    c.tls_min = TLS_V10;
    c.tls_named = PROBE_TLS_NAMED_MIN;
    assert_range(&c, false, TLS_V10, TLS_V12);
    assert_range(&c, true, TLS_V10, TLS_V13);
    c = client("sqlclient", PROBE_OS_LINUX);
    c.tls_max = TLS_V11;
    c.tls_named = PROBE_TLS_NAMED_MAX;
    assert_range(&c, false, TLS_V11, TLS_V11);
    /* go tlsmin=1.3 in TDS 7.x: nothing above 1.2 */
    c = client("go-mssqldb", PROBE_OS_LINUX);
    c.tls_min = TLS_V13;
    c.tls_max = TLS_V13;
    c.tls_named = PROBE_TLS_NAMED_MIN | PROBE_TLS_NAMED_MAX;
    assert_range(&c, false, TLS_V12, TLS_V12);
    assert_range(&c, true, TLS_V13, TLS_V13);
    /* Windows 11: TLS 1.2 in TDS 7.x, TLS 1.2-1.3 in strict; --tls-min 1.0 models Windows 11
     * before 24H2 and Server 2022, which still offer TLS 1.0 */
    c = client("sqlclient", PROBE_OS_WINDOWS11);
    assert_range(&c, false, TLS_V12, TLS_V12);
    assert_range(&c, true, TLS_V12, TLS_V13);
    c.tls_min = TLS_V10;
    c.tls_named = PROBE_TLS_NAMED_MIN;
    assert_range(&c, false, TLS_V10, TLS_V12);
    assert_range(&c, true, TLS_V10, TLS_V13);
}

static void test_strict_offers_tls13(void **state)
{
    struct probe_client c;

    (void)state;
    c = client("sqlclient", PROBE_OS_LINUX);
    assert_false(probe_client_offers_tls13(&c)); /* not strict */
    c.encrypt = PROBE_ENCRYPT_STRICT;
    assert_true(probe_client_offers_tls13(&c));
    c.tls_max = TLS_V12; /* --tls-max 1.2 */
    c.tls_named = PROBE_TLS_NAMED_MAX;
    assert_false(probe_client_offers_tls13(&c));
    c = client("sqlclient", PROBE_OS_WINDOWS); /* Schannel before Windows 11 */
    c.encrypt = PROBE_ENCRYPT_STRICT;
    assert_false(probe_client_offers_tls13(&c));
    c = client("odbc18", PROBE_OS_WINDOWS);
    c.encrypt = PROBE_ENCRYPT_STRICT;
    assert_false(probe_client_offers_tls13(&c));
    /* Windows 11's Schannel has TLS 1.3: SqlClient and ODBC 18 offer it in strict mode only */
    static const char *const win11_drivers[] = { "sqlclient", "sqlclient-legacy", "odbc18" };
    for (size_t i = 0; i < sizeof(win11_drivers) / sizeof(win11_drivers[0]); i++) {
        c = client(win11_drivers[i], PROBE_OS_WINDOWS11);
        c.encrypt = PROBE_ENCRYPT_MANDATORY;
        assert_false(probe_client_offers_tls13(&c));
        c.encrypt = PROBE_ENCRYPT_STRICT;
        assert_true(probe_client_offers_tls13(&c));
        c.tls_max = TLS_V12;
        c.tls_named = PROBE_TLS_NAMED_MAX;
        assert_false(probe_client_offers_tls13(&c));
    }
    c = client("sqlclient", PROBE_OS_MACOS); /* Secure Transport */
    c.encrypt = PROBE_ENCRYPT_STRICT;
    assert_false(probe_client_offers_tls13(&c));
    for (size_t k = 0; k < sizeof(oses) / sizeof(oses[0]); k++) {
        c = client("go-mssqldb", oses[k]);
        c.encrypt = PROBE_ENCRYPT_STRICT;
        assert_true(probe_client_offers_tls13(&c));
        c = client("jdbc", oses[k]);
        c.encrypt = PROBE_ENCRYPT_STRICT;
        assert_true(probe_client_offers_tls13(&c));
    }
}

/* --client-os and --tls-max through the option table onto targets of both kinds */
static void test_option_onto_targets(void **state)
{
    struct probe_overrides o;
    struct probe_target t;
    char err[300];

    (void)state;
    probe_overrides_init(&o);
    assert_int_equal(probe_overrides_set(&o, "client_os", "Windows", err, sizeof(err)), 0);
    assert_int_equal(probe_make_target(&o, "db1", 0, &t, err, sizeof(err)), 0);
    assert_int_equal(t.client.os, PROBE_OS_WINDOWS);
    assert_int_equal(probe_make_target(&o, "Server=db1;Encrypt=Strict", 0, &t, err,
                                       sizeof(err)), 0);
    assert_int_equal(t.client.os, PROBE_OS_WINDOWS);
    assert_false(probe_client_offers_tls13(&t.client));
    assert_int_equal(probe_overrides_set(&o, "client_os", "linux", err, sizeof(err)), 0);
    assert_int_equal(probe_make_target(&o, "Server=db1;Encrypt=Strict", 0, &t, err,
                                       sizeof(err)), 0);
    assert_true(probe_client_offers_tls13(&t.client));
    assert_int_equal(probe_overrides_set(&o, "tls_max", "1.2", err, sizeof(err)), 0);
    assert_int_equal(probe_make_target(&o, "Server=db1;Encrypt=Strict", 0, &t, err,
                                       sizeof(err)), 0);
    assert_false(probe_client_offers_tls13(&t.client));
    probe_overrides_init(&o);
    assert_int_equal(probe_overrides_set(&o, "client_os", "Windows11", err, sizeof(err)), 0);
    assert_int_equal(probe_make_target(&o, "Server=db1;Encrypt=Strict", 0, &t, err,
                                       sizeof(err)), 0);
    assert_int_equal(t.client.os, PROBE_OS_WINDOWS11);
    assert_true(probe_client_offers_tls13(&t.client));
    assert_int_equal(probe_make_target(&o, "Server=db1;Encrypt=True", 0, &t, err, sizeof(err)),
                     0);
    assert_false(probe_client_offers_tls13(&t.client));
    assert_int_equal(probe_overrides_set(&o, "client_os", "beos", err, sizeof(err)), -1);
    assert_string_equal(err, "client_os takes windows, linux, macos or windows11, not 'beos'");
    /* a JDBC sslProtocol names both bounds */
    probe_overrides_init(&o);
    assert_int_equal(probe_make_target(&o, "jdbc:sqlserver://db1;encrypt=strict;"
                                           "sslProtocol=TLSv1.2", 0, &t, err, sizeof(err)), 0);
    assert_false(probe_client_offers_tls13(&t.client));
}

/* An exporter module takes client_os like every client option (the one table). */
static void test_module_key(void **state)
{
    static const char text[] = "[module win]\nclient_os = windows\nencrypt = strict\n"
                               "[module win11]\nclient_os = windows11\nencrypt = strict\n";
    struct probe_modules m;
    struct probe_target t;
    char err[300];
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

    (void)state;
    assert_non_null(f);
    memset(&m, 0, sizeof(m));
    probe_overrides_init(&m.defaults);
    assert_int_equal(probe_modules_read(&m, f, "modules.conf", err, sizeof(err)), 0);
    fclose(f);
    const struct probe_overrides *win = probe_modules_find(&m, "win");
    assert_non_null(win);
    assert_true((win->set & PROBE_SET_CLIENT_OS) != 0);
    assert_int_equal(probe_make_target(win, "db1", 0, &t, err, sizeof(err)), 0);
    assert_int_equal(t.client.os, PROBE_OS_WINDOWS);
    assert_false(probe_client_offers_tls13(&t.client));
    const struct probe_overrides *win11 = probe_modules_find(&m, "win11");
    assert_non_null(win11);
    assert_int_equal(probe_make_target(win11, "db1", 0, &t, err, sizeof(err)), 0);
    assert_int_equal(t.client.os, PROBE_OS_WINDOWS11);
    assert_true(probe_client_offers_tls13(&t.client));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_driver_has_a_stack_per_os),
        cmocka_unit_test(test_stack_limits),
        cmocka_unit_test(test_drivers_per_os),
        cmocka_unit_test(test_drivers_on_windows11),
        cmocka_unit_test(test_os_names_and_host),
        cmocka_unit_test(test_tls_range),
        cmocka_unit_test(test_strict_offers_tls13),
        cmocka_unit_test(test_option_onto_targets),
        cmocka_unit_test(test_module_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
