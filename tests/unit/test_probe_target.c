/* TARGET syntax (docs/design.md), target lists (-f FILE), and the drivers' decisions (MS-TDS
 * 2.2.6.5 and each driver's departures from it, probe/drivers/probe_driver.c) as implemented by
 * probe_client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"
#include "probe/drivers/probe_targetlist.h"
#include "tls/tls_version.h"

struct target_case {
    const char *text;
    const char *host;
    unsigned port;
    const char *instance;
};

static const struct target_case good[] = {
    { "db1", "db1", 0, "" },
    { "db1.contoso.com", "db1.contoso.com", 0, "" },
    { "db1:14330", "db1", 14330, "" },
    { "db1,14330", "db1", 14330, "" },
    { "tcp:db1,1433", "db1", 1433, "" },
    { "TCP:db1,1433", "db1", 1433, "" },
    { "db1\\SQLEXPRESS", "db1", 0, "SQLEXPRESS" },
    { "db1\\SQLEXPRESS,1500", "db1", 1500, "SQLEXPRESS" },
    { "tcp:db1\\inst,1500", "db1", 1500, "inst" },
    { "[::1]:1433", "::1", 1433, "" },
    { "[::1]", "::1", 0, "" },
    { "[fe80::1],1444", "fe80::1", 1444, "" },
    { "::1", "::1", 0, "" },
    { "10.0.0.5", "10.0.0.5", 0, "" },
    { "10.0.0.5:1433", "10.0.0.5", 1433, "" },
    { "  db1  ", "db1", 0, "" },
};

static void test_target_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct probe_target t;
        char err[256] = "";
        memset(&t, 0, sizeof(t));
        int rc = probe_target_parse(good[i].text, &t, err, sizeof(err));
        if (rc != 0) {
            fail_msg("'%s' rejected: %s", good[i].text, err);
        }
        assert_string_equal(t.host, good[i].host);
        assert_int_equal(t.port, good[i].port);
        assert_string_equal(t.instance, good[i].instance);
        assert_string_equal(t.text, good[i].text);
    }
}

struct bad_case {
    const char *text;
    const char *says;
};

static const struct bad_case bad[] = {
    { "db1:0", "not a TCP port" },
    { "db1:65536", "not a TCP port" },
    { "db1,abc", "not a TCP port" },
    { "db1,", "not a TCP port" },
    { ",1433", "host is empty" },
    { "db1\\,1433", "instance name is empty" },
    { "[::1", "without ']'" },
    { "[::1]x", "unexpected" },
    { "", "host is empty" },
};

static void test_target_rejections(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct probe_target t;
        char err[256] = "";
        memset(&t, 0, sizeof(t));
        assert_int_equal(probe_target_parse(bad[i].text, &t, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].says)) {
            fail_msg("'%s': error '%s' lacks '%s'", bad[i].text, err, bad[i].says);
        }
    }
}

static void test_host_is_ip(void **state)
{
    (void)state;
    assert_true(probe_host_is_ip("127.0.0.1"));
    assert_true(probe_host_is_ip("::1"));
    assert_false(probe_host_is_ip("localhost"));
    assert_false(probe_host_is_ip("10.0.0"));
}

static void test_targetlist_file(void **state)
{
    (void)state;
    const char text[] = "# fleet\n\ndb1\n  db2,1433  \r\ndb1\n# db3\ndb4\\inst\n";
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
    struct probe_targetlist l = { 0 };
    char err[128];

    assert_non_null(f);
    assert_int_equal(probe_targetlist_read(&l, f, "fleet.txt", err, sizeof(err)), 0);
    fclose(f);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0], "db1");
    assert_string_equal(l.items[1], "db2,1433");
    assert_string_equal(l.items[2], "db4\\inst");
    assert_int_equal(l.duplicates, 1);
    assert_int_equal(probe_targetlist_add(&l, "db2,1433"), 0);
    assert_int_equal(probe_targetlist_add(&l, "db5"), 1);
    probe_targetlist_free(&l);
}

static void test_targetlist_many(void **state)
{
    struct probe_targetlist l = { 0 };
    char name[32];

    (void)state;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 10000; i++) {
            snprintf(name, sizeof(name), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
            assert_int_equal(probe_targetlist_add(&l, name), round == 0 ? 1 : 0);
        }
    }
    assert_int_equal(l.n, 10000);
    assert_int_equal(l.duplicates, 10000);
    assert_string_equal(l.items[9999], "10.0.39.15");
    probe_targetlist_free(&l);
}

static void test_targetlist_rejects_nul(void **state)
{
    (void)state;
    const char text[] = "db1\nd\0b2\n";
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
    struct probe_targetlist l = { 0 };
    char err[128] = "";

    assert_int_equal(probe_targetlist_read(&l, f, "x.txt", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "x.txt:2"));
    fclose(f);
    probe_targetlist_free(&l);
}

/* Microsoft.Data.SqlClient >= 2.0: Encrypt x TrustServerCertificate x the server's reply
 * (TdsParser.cs ConsumePreLoginHandshake). */
struct scope_case {
    enum probe_encrypt enc;
    bool tsc;
    uint8_t reply;
    enum tds_tls_scope scope;
    bool validates;
};

static const struct scope_case scopes[] = {
    { PROBE_ENCRYPT_OPTIONAL, false, TDS_ENC_OFF, TDS_TLS_LOGIN_ONLY, false },
    { PROBE_ENCRYPT_OPTIONAL, false, TDS_ENC_REQ, TDS_TLS_FULL, true },
    { PROBE_ENCRYPT_OPTIONAL, true, TDS_ENC_REQ, TDS_TLS_FULL, false },
    { PROBE_ENCRYPT_OPTIONAL, false, TDS_ENC_NOT_SUP, TDS_TLS_NONE, false },
    { PROBE_ENCRYPT_MANDATORY, false, TDS_ENC_ON, TDS_TLS_FULL, true },
    { PROBE_ENCRYPT_MANDATORY, false, TDS_ENC_REQ, TDS_TLS_FULL, true },
    { PROBE_ENCRYPT_MANDATORY, false, TDS_ENC_OFF, TDS_TLS_FULL, true },
    { PROBE_ENCRYPT_MANDATORY, true, TDS_ENC_ON, TDS_TLS_FULL, false },
    { PROBE_ENCRYPT_MANDATORY, false, TDS_ENC_NOT_SUP, TDS_TLS_TERMINATE, false },
};

static void test_sqlclient_decisions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
        struct probe_client c;
        bool v = !scopes[i].validates;
        probe_client_default(&c);
        c.encrypt = scopes[i].enc;
        c.trust_server_certificate = scopes[i].tsc;
        assert_int_equal(probe_client_scope(&c, scopes[i].reply, &v), scopes[i].scope);
        assert_int_equal(v, scopes[i].validates);
    }
}

/* One row per cell: driver, Encrypt, TrustServerCertificate, NOT_SUP sender, CA file given,
 * server reply -> TLS scope and validation. */
struct driver_case {
    const char *driver;
    enum probe_encrypt enc;
    bool tsc, disable, ca;
    uint8_t reply;
    enum tds_tls_scope scope;
    bool validates;
};

#define OPT PROBE_ENCRYPT_OPTIONAL
#define MAND PROBE_ENCRYPT_MANDATORY
#define LOGIN TDS_TLS_LOGIN_ONLY
#define FULL TDS_TLS_FULL
#define NONE TDS_TLS_NONE
#define TERM TDS_TLS_TERMINATE
static const struct driver_case driver_cases[] = {
    { "sqlclient", OPT, false, false, false, TDS_ENC_OFF, LOGIN, false },
    { "sqlclient", OPT, false, false, false, TDS_ENC_REQ, FULL, true },
    { "sqlclient", OPT, false, false, false, TDS_ENC_NOT_SUP, NONE, false },
    { "sqlclient", MAND, false, false, false, TDS_ENC_NOT_SUP, TERM, false },
    { "sqlclient-legacy", OPT, false, false, false, TDS_ENC_REQ, FULL, true },
    { "odbc18", OPT, false, false, false, TDS_ENC_OFF, LOGIN, false },
    { "odbc18", OPT, false, false, false, TDS_ENC_REQ, FULL, true },
    { "odbc18", MAND, false, false, false, TDS_ENC_ON, FULL, true },
    { "odbc17", OPT, false, false, false, TDS_ENC_REQ, FULL, false },
    { "odbc17", OPT, false, false, false, TDS_ENC_OFF, LOGIN, false },
    { "odbc17", MAND, false, false, false, TDS_ENC_NOT_SUP, TERM, false },
    { "jdbc", OPT, false, false, false, TDS_ENC_OFF, LOGIN, false },
    { "jdbc", OPT, false, false, false, TDS_ENC_REQ, FULL, true },
    { "jdbc", MAND, false, false, false, TDS_ENC_OFF, TERM, false }, /* ON met OFF: gives up */
    { "jdbc", MAND, false, false, false, TDS_ENC_NOT_SUP, TERM, false },
    { "go-mssqldb", OPT, true, false, false, TDS_ENC_OFF, LOGIN, false },
    { "go-mssqldb", OPT, true, false, false, TDS_ENC_REQ, FULL, false },
    { "go-mssqldb", OPT, false, false, false, TDS_ENC_OFF, LOGIN, true }, /* validates login-only */
    { "go-mssqldb", MAND, false, false, false, TDS_ENC_OFF, TERM, false },
    { "go-mssqldb", OPT, false, true, false, TDS_ENC_NOT_SUP, NONE, false },
    { "go-mssqldb", OPT, false, true, false, TDS_ENC_REQ, TERM, false }, /* server closes */
    { "tedious", MAND, false, false, false, TDS_ENC_ON, FULL, true },
    /* tedious sends LOGIN7 in cleartext after any answer but ON/REQ (agreement test) */
    { "tedious", MAND, false, false, false, TDS_ENC_NOT_SUP, NONE, false },
    { "tedious", MAND, false, false, false, 0x05, NONE, false },
    { "tedious", MAND, false, false, false, 0xFF, NONE, false },
    /* a reply outside MS-TDS: SqlClient, go-mssqldb, FreeTDS go on with TLS; JDBC gives up */
    { "sqlclient", MAND, false, false, false, 0x05, FULL, true },
    { "sqlclient", MAND, false, false, false, 0xFF, FULL, true },
    { "go-mssqldb", MAND, false, false, false, 0x05, FULL, true },
    { "freetds", MAND, false, false, true, 0xFF, FULL, true },
    { "freetds", MAND, false, false, true, TDS_ENC_OFF, LOGIN, true }, /* login.c crypt_flag 0 */
    { "jdbc", MAND, false, false, false, 0x05, TERM, false },
    { "jdbc", MAND, false, false, false, 0xFF, TERM, false },
    { "tedious", MAND, false, false, false, TDS_ENC_OFF, NONE, false },
    { "tedious", OPT, false, false, false, TDS_ENC_NOT_SUP, NONE, false }, /* encrypt=false */
    { "tedious", OPT, false, false, false, TDS_ENC_REQ, TERM, false },
    { "freetds", OPT, false, false, false, TDS_ENC_OFF, LOGIN, false },
    { "freetds", OPT, false, false, true, TDS_ENC_OFF, LOGIN, true },
    { "freetds", OPT, false, false, true, TDS_ENC_REQ, FULL, true },
    { "freetds", MAND, false, false, false, TDS_ENC_NOT_SUP, TERM, false },
};

static void test_driver_decision_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(driver_cases) / sizeof(driver_cases[0]); i++) {
        const struct driver_case *k = &driver_cases[i];
        struct probe_client c;
        bool v = !k->validates;
        probe_client_default(&c);
        assert_int_equal(probe_client_set_driver(&c, k->driver), 0);
        c.encrypt = k->enc;
        c.trust_server_certificate = k->tsc;
        c.encrypt_disable = k->disable;
        if (k->ca) {
            snprintf(c.ca_file, sizeof(c.ca_file), "/etc/ssl/ca.pem");
        }
        enum tds_tls_scope got = probe_client_scope(&c, k->reply, &v);
        if (got != k->scope || v != k->validates) {
            fail_msg("row %zu (%s): scope %s validates %d, want %s %d", i, k->driver,
                     tds_tls_scope_name(got), v, tds_tls_scope_name(k->scope), k->validates);
        }
    }
}

static void test_driver_bytes_and_names(void **state)
{
    struct probe_client c;
    char out[64];

    (void)state;
    probe_client_default(&c);
    assert_int_equal(probe_client_set_driver(&c, "nope"), -1);
    assert_int_equal(probe_client_set_driver(&c, "tedious"), 0);
    assert_int_equal(probe_client_encryption_byte(&c), TDS_ENC_ON);
    c.encrypt = PROBE_ENCRYPT_OPTIONAL; /* tedious encrypt=false sends NOT_SUP */
    assert_int_equal(probe_client_encryption_byte(&c), TDS_ENC_NOT_SUP);
    assert_int_equal(probe_client_set_driver(&c, "go-mssqldb"), 0);
    assert_true(c.trust_server_certificate);
    assert_int_equal(probe_client_encryption_byte(&c), TDS_ENC_OFF);
    assert_false(probe_client_name_rules(&c).cn_fallback); /* Go ignores the CN */
    assert_int_equal(probe_client_set_driver(&c, "jdbc"), 0);
    probe_client_check_name(&c, "(local)", out, sizeof(out));
    assert_string_equal(out, "(local)"); /* JDBC keeps the literal server name */
    assert_int_equal(c.tls_min, TLS_V12);
    assert_int_equal(probe_client_set_driver(&c, "odbc18"), 0);
    snprintf(c.host_name_in_certificate, sizeof(c.host_name_in_certificate), "db.contoso.com");
    assert_string_equal(probe_client_alt_name(&c, "10.0.0.5"), "10.0.0.5");
    assert_int_equal(probe_client_set_driver(&c, "odbc17"), 0);
    probe_client_check_name(&c, "db1", out, sizeof(out));
    assert_string_equal(out, "db1"); /* ODBC 17 has no HostNameInCertificate */
}

static void test_check_name(void **state)
{
    struct probe_client c;
    char out[64];

    (void)state;
    probe_client_default(&c);
    probe_client_check_name(&c, "DB1.Contoso.COM", out, sizeof(out));
    assert_string_equal(out, "db1.contoso.com");
    probe_client_check_name(&c, ".", out, sizeof(out));
    assert_string_equal(out, "localhost");
    probe_client_check_name(&c, "(local)", out, sizeof(out));
    assert_string_equal(out, "localhost");
    snprintf(c.host_name_in_certificate, sizeof(c.host_name_in_certificate), "Sql.Contoso.com");
    probe_client_check_name(&c, "10.0.0.5", out, sizeof(out));
    assert_string_equal(out, "sql.contoso.com");
    assert_int_equal(probe_client_encryption_byte(&c), TDS_ENC_ON);
}

/* Every driver is one complete row: a name, the keywords a fix prints, a TLS range, a byte
 * for each Encrypt value, and words for the seed's three errors (its own, or SqlClient's where
 * the row says its own are not recorded). */
static void test_driver_rows_complete(void **state)
{
    static const enum probe_diag seed[] = { PROBE_DIAG_UNTRUSTED_CHAIN, PROBE_DIAG_NAME_MISMATCH,
                                            PROBE_DIAG_FORCIBLY_CLOSED };
    char list[256];

    (void)state;
    assert_true(probe_driver_count() >= 8);
    assert_null(probe_driver_at(probe_driver_count()));
    probe_driver_list(list, sizeof(list));
    for (size_t i = 0; i < probe_driver_count(); i++) {
        const struct probe_driver *d = probe_driver_at(i);
        const struct probe_driver_keywords *kw = d->kw;

        assert_non_null(d->name);
        assert_non_null(d->what);
        assert_ptr_equal(probe_driver_find(d->name), d);
        assert_non_null(strstr(list, d->name));
        assert_non_null(kw);
        assert_non_null(kw->trust);
        assert_non_null(kw->optional);
        assert_non_null(kw->mandatory);
        assert_non_null(kw->strict);
        assert_true((kw->hnic_pre == NULL) == (kw->hnic_post == NULL));
        assert_true(d->tls_min >= TLS_V10 && d->tls_min <= d->tls_max && d->tls_max <= TLS_V12);
        for (int e = PROBE_ENCRYPT_OPTIONAL; e <= PROBE_ENCRYPT_STRICT; e++) {
            assert_true(d->encryption[e] <= TDS_ENC_NOT_SUP);
        }
        assert_int_equal(d->encryption[PROBE_ENCRYPT_STRICT], TDS_ENC_NOT_SUP);
        assert_non_null(d->texts);
        for (size_t k = 0; k < sizeof(seed) / sizeof(seed[0]); k++) {
            bool borrowed = (d->sqlclient_words & (1u << seed[k])) != 0;
            if (probe_driver_has_text(d, seed[k]) == borrowed) {
                fail_msg("%s: %s must have its own text or say it borrows SqlClient's, not both",
                         d->name, probe_diag_name(seed[k]));
            }
            assert_true(strlen(probe_driver_text(d, seed[k], NULL)) > 0);
        }
    }
}

/* The default driver is a real row, and the deliberate stand-in for a name that is none. */
static void test_driver_default(void **state)
{
    struct probe_client c;

    (void)state;
    assert_non_null(probe_driver_default());
    assert_string_equal(probe_driver_default()->name, PROBE_DRIVER_DEFAULT);
    assert_null(probe_driver_find("nosuchdriver"));
    assert_null(probe_driver_find(NULL));
    assert_ptr_equal(probe_driver_find("TEDIOUS"), probe_driver_find("tedious"));
    memset(&c, 0, sizeof(c));
    assert_ptr_equal(probe_driver_of(&c), probe_driver_default());
    snprintf(c.driver, sizeof(c.driver), "nosuchdriver");
    assert_ptr_equal(probe_driver_of(&c), probe_driver_default());
    probe_client_default(&c);
    assert_string_equal(c.driver, PROBE_DRIVER_DEFAULT);
    /* SqlClient 2.x-3.x is the same library: the same keywords and words */
    assert_ptr_equal(probe_driver_find("sqlclient-legacy")->kw, probe_driver_default()->kw);
    assert_ptr_equal(probe_driver_find("sqlclient-legacy")->texts, probe_driver_default()->texts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_forms),
        cmocka_unit_test(test_target_rejections),
        cmocka_unit_test(test_host_is_ip),
        cmocka_unit_test(test_targetlist_file),
        cmocka_unit_test(test_targetlist_many),
        cmocka_unit_test(test_targetlist_rejects_nul),
        cmocka_unit_test(test_sqlclient_decisions),
        cmocka_unit_test(test_check_name),
        cmocka_unit_test(test_driver_decision_table),
        cmocka_unit_test(test_driver_bytes_and_names),
        cmocka_unit_test(test_driver_rows_complete),
        cmocka_unit_test(test_driver_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
