/* tests/unit/test_probe_pin.c: what a pinned certificate file means to each driver: when it is
 * read (probe_client_pins), what FreeTDS makes of it, which drivers cannot pin, go-mssqldb's
 * file-name rule, the --server-certificate override, and probe_judge's two pin rules on a
 * real certificate from the kit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "probe/diagnose/probe_judge.h"
#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_options.h"
#include "probe/drivers/probe_overrides.h"
#include "tls/tls_cert.h"
#include "tls/tls_pin.h"

#define KIT(name) TDSPROBE_CERTS "/" name
#define NOT_TRUSTED 0x08u /* MBEDTLS_X509_BADCERT_NOT_TRUSTED */

static struct probe_client client(const char *driver, enum probe_encrypt e, bool tsc,
                                  const char *pin)
{
    struct probe_client c;

    probe_client_default(&c);
    assert_int_equal(0, probe_client_set_driver(&c, driver));
    c.encrypt = e;
    c.trust_server_certificate = tsc;
    snprintf(c.server_certificate, sizeof(c.server_certificate), "%s", pin);
    return c;
}

static void test_when_the_pin_is_read(void **state)
{
    static const struct {
        const char *driver;
        enum probe_encrypt e;
        bool tsc;
        bool pins;
    } k[] = {
        { "sqlclient", PROBE_ENCRYPT_MANDATORY, false, true },
        { "sqlclient", PROBE_ENCRYPT_STRICT, false, true },
        { "sqlclient", PROBE_ENCRYPT_OPTIONAL, false, false },
        { "sqlclient", PROBE_ENCRYPT_MANDATORY, true, false }, /* no validation: not read */
        { "sqlclient", PROBE_ENCRYPT_STRICT, true, true },      /* strict ignores TSC */
        { "odbc18", PROBE_ENCRYPT_MANDATORY, false, false },
        { "odbc18", PROBE_ENCRYPT_STRICT, false, true },
        { "jdbc", PROBE_ENCRYPT_MANDATORY, false, false },
        { "jdbc", PROBE_ENCRYPT_STRICT, false, true },
        { "go-mssqldb", PROBE_ENCRYPT_OPTIONAL, true, true },  /* checked whenever TLS runs */
        { "go-mssqldb", PROBE_ENCRYPT_MANDATORY, false, true },
        { "tedious", PROBE_ENCRYPT_MANDATORY, false, false },
        { "odbc17", PROBE_ENCRYPT_MANDATORY, false, false },
        { "freetds", PROBE_ENCRYPT_MANDATORY, false, false },  /* a CA file, not a pin */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        struct probe_client c = client(k[i].driver, k[i].e, k[i].tsc, "/pin.pem");
        if (probe_client_pins(&c) != k[i].pins) {
            fail_msg("case %zu: %s", i, k[i].driver);
        }
        c.server_certificate[0] = '\0';
        assert_false(probe_client_pins(&c));
    }
    /* go-mssqldb encrypt=disable starts no TLS of its own: no pin */
    struct probe_client g = client("go-mssqldb", PROBE_ENCRYPT_OPTIONAL, false, "/pin.pem");
    g.encrypt_disable = true;
    assert_false(probe_client_pins(&g));
    /* a go-mssqldb pin validates even login-only TLS with TrustServerCertificate=true */
    g = client("go-mssqldb", PROBE_ENCRYPT_OPTIONAL, true, "/pin.pem");
    assert_true(probe_client_expected_validates(&g));
    g.server_certificate[0] = '\0';
    assert_false(probe_client_expected_validates(&g));
}

static void test_settle_files(void **state)
{
    char err[200];
    struct probe_client c = client("freetds", PROBE_ENCRYPT_MANDATORY, false, "/etc/ca.pem");

    (void)state;
    assert_int_equal(0, probe_client_settle_files(&c, false, err, sizeof(err)));
    assert_string_equal("/etc/ca.pem", c.ca_file);
    assert_string_equal("", c.server_certificate);
    c = client("freetds", PROBE_ENCRYPT_MANDATORY, false, "/etc/ca.pem");
    snprintf(c.ca_file, sizeof(c.ca_file), "/opt/given.pem");
    assert_int_equal(0, probe_client_settle_files(&c, true, err, sizeof(err)));
    assert_string_equal("/opt/given.pem", c.ca_file); /* --ca-file wins */
    c = client("tedious", PROBE_ENCRYPT_MANDATORY, false, "/pin.pem");
    assert_int_equal(-1, probe_client_settle_files(&c, false, err, sizeof(err)));
    assert_string_equal("driver tedious cannot pin a server certificate (it has no "
                        "ServerCertificate keyword)", err);
    c = client("sqlclient", PROBE_ENCRYPT_MANDATORY, false, "/pin.pem");
    assert_int_equal(0, probe_client_settle_files(&c, false, err, sizeof(err)));
    assert_string_equal("/pin.pem", c.server_certificate);
    assert_string_equal("", c.ca_file);
}

static void test_override_and_targets(void **state)
{
    struct probe_overrides o;
    struct probe_target *t = malloc(sizeof(*t));
    char err[400];

    (void)state;
    probe_overrides_init(&o);
    assert_int_equal(-1, probe_overrides_set(&o, "server_certificate", KIT("good.key"), err,
                                             sizeof(err)));
    assert_non_null(strstr(err, "no CERTIFICATE block"));
    assert_int_equal(0, probe_overrides_set(&o, "server_certificate", KIT("selfsigned.pem"), err,
                                            sizeof(err)));
    assert_true(o.set & PROBE_SET_SCERT);
    assert_int_equal(0, probe_make_target(&o, "db1", 0, t, err, sizeof(err)));
    assert_string_equal(KIT("selfsigned.pem"), t->client.server_certificate);
    /* the option beats a connection string's keyword */
    assert_int_equal(0, probe_make_target(&o, "Server=db1;ServerCertificate=/x.pem", 0, t, err,
                                          sizeof(err)));
    assert_string_equal(KIT("selfsigned.pem"), t->client.server_certificate);
    assert_int_equal(0, probe_overrides_set(&o, "driver", "freetds", err, sizeof(err)));
    assert_int_equal(0, probe_make_target(&o, "db1", 0, t, err, sizeof(err)));
    assert_string_equal(KIT("selfsigned.pem"), t->client.ca_file);
    assert_string_equal("", t->client.server_certificate);
    assert_int_equal(0, probe_overrides_set(&o, "driver", "tedious", err, sizeof(err)));
    assert_int_equal(-1, probe_make_target(&o, "db1", 0, t, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot pin"));
    free(t);
}

static void test_go_file_names(void **state)
{
    struct tls_pin p;
    char err[400];
    struct probe_client g = client("go-mssqldb", PROBE_ENCRYPT_MANDATORY, false,
                                   KIT("selfsigned.pem"));
    struct probe_client s = client("sqlclient", PROBE_ENCRYPT_MANDATORY, false, KIT("ca.cnf"));

    (void)state;
    assert_int_equal(0, probe_client_load_pin(&g, &p, err, sizeof(err)));
    assert_true(p.pem);
    tls_pin_free(&p);
    /* a file whose name is neither .pem nor .der: go-mssqldb refuses it by name ... */
    snprintf(g.server_certificate, sizeof(g.server_certificate), "%s", TDSPROBE_TEST_DATA
             "/ssl_self_signed_fallback_mssql2017_linux.der");
    assert_int_equal(0, probe_client_load_pin(&g, &p, err, sizeof(err)));
    assert_false(p.pem);
    tls_pin_free(&p);
    snprintf(g.server_certificate, sizeof(g.server_certificate), "%s", KIT("selfsigned.key"));
    assert_int_equal(-1, probe_client_load_pin(&g, &p, err, sizeof(err)));
    /* ... and every driver refuses a file that holds no certificate */
    assert_int_equal(-1, probe_client_load_pin(&s, &p, err, sizeof(err)));
    assert_non_null(strstr(err, KIT("ca.cnf")));
    s.server_certificate[0] = '\0';
    assert_int_equal(0, probe_client_load_pin(&s, &p, err, sizeof(err)));
    assert_null(p.der);
}

/* The verdict on a server that sent the first certificate of server_pem. */
static void judge_on(const char *server_pem, const struct probe_client *c,
                     const struct tls_pin *pin, uint32_t verify, struct tls_verdict *v)
{
    struct tls_pin leaf;
    struct tls_cert cert;
    char err[300];

    assert_int_equal(0, tls_pin_load(&leaf, server_pem, err, sizeof(err)));
    assert_int_equal(0, tls_cert_from_der(&cert, leaf.der, leaf.len));
    struct tls_info info = { .chain = &cert, .chain_len = 1, .verified_path = true,
                             .verify_result = verify, .verified_len = 1 };
    struct probe_judge_input in = { .client = c, .host = "localhost", .tls = &info,
                                    .validates = true, .pin_der = pin->der,
                                    .pin_len = pin->len, .now = time(NULL) };
    probe_judge(&in, v);
    tls_cert_clear(&cert);
    tls_pin_free(&leaf);
}

static void judge(const struct probe_client *c, const struct tls_pin *pin, uint32_t verify,
                  struct tls_verdict *v)
{
    judge_on(KIT("selfsigned.pem"), c, pin, verify, v);
}

static bool has_error(const struct tls_verdict *v, enum tls_finding_code code)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->f[i].code == code && v->f[i].severity == TLS_SEV_ERROR) {
            return true;
        }
    }
    return false;
}

static const char *message_of(const struct tls_verdict *v, enum tls_finding_code code)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->f[i].code == code) {
            return v->f[i].message;
        }
    }
    return "";
}

static void test_judge_rules(void **state)
{
    struct tls_pin same, other;
    struct tls_verdict v;
    char err[300];
    struct probe_client sql = client("sqlclient", PROBE_ENCRYPT_MANDATORY, false, "/p.pem");
    struct probe_client go = client("go-mssqldb", PROBE_ENCRYPT_MANDATORY, false, "/p.pem");

    (void)state;
    assert_int_equal(0, tls_pin_load(&same, KIT("selfsigned.pem"), err, sizeof(err)));
    assert_int_equal(0, tls_pin_load(&other, KIT("good.pem"), err, sizeof(err)));
    /* an untrusted chain: the pin decides for both */
    judge(&sql, &same, NOT_TRUSTED, &v);
    assert_true(v.pass);
    judge(&sql, &other, NOT_TRUSTED, &v);
    assert_false(v.pass);
    assert_true(has_error(&v, TLS_F_PIN_MISMATCH));
    assert_false(has_error(&v, TLS_F_UNTRUSTED_CHAIN)); /* the pin error comes alone */
    assert_non_null(strstr(message_of(&v, TLS_F_PIN_MISMATCH), other.sha256));
    assert_non_null(strstr(message_of(&v, TLS_F_PIN_MISMATCH), same.sha256)); /* the server's */
    judge(&go, &other, NOT_TRUSTED, &v);
    assert_true(has_error(&v, TLS_F_PIN_MISMATCH));
    /* a chain the client trusts: SqlClient never compares the file, go-mssqldb always does */
    judge(&sql, &other, 0, &v);
    assert_true(v.pass);
    assert_false(has_error(&v, TLS_F_PIN_MISMATCH));
    assert_non_null(strstr(message_of(&v, TLS_F_PIN_MISMATCH), other.sha256)); /* as info */
    judge(&sql, &same, 0, &v);
    assert_string_equal("", message_of(&v, TLS_F_PIN_MISMATCH));
    judge(&go, &other, 0, &v);
    assert_false(v.pass);
    assert_true(has_error(&v, TLS_F_PIN_MISMATCH));
    /* a pin the driver does not read in this setting changes nothing */
    struct probe_client jdbc = client("jdbc", PROBE_ENCRYPT_MANDATORY, false, "/p.pem");
    judge(&jdbc, &same, NOT_TRUSTED, &v);
    assert_true(has_error(&v, TLS_F_UNTRUSTED_CHAIN));
    tls_pin_free(&same);
    tls_pin_free(&other);
}

/* An expired certificate pinned: SqlClient and go-mssqldb accept it (the pin covers the dates),
 * mssql-jdbc checks the dates before it compares the file. */
static void test_pinned_but_expired(void **state)
{
    struct tls_pin expired;
    struct tls_verdict v;
    char err[300];
    struct probe_client sql = client("sqlclient", PROBE_ENCRYPT_STRICT, false, "/p.pem");
    struct probe_client go = client("go-mssqldb", PROBE_ENCRYPT_STRICT, false, "/p.pem");
    struct probe_client jdbc = client("jdbc", PROBE_ENCRYPT_STRICT, false, "/p.pem");

    (void)state;
    assert_int_equal(0, tls_pin_load(&expired, KIT("expired.pem"), err, sizeof(err)));
    judge_on(KIT("expired.pem"), &sql, &expired, NOT_TRUSTED, &v);
    assert_true(v.pass);
    judge_on(KIT("expired.pem"), &go, &expired, NOT_TRUSTED, &v);
    assert_true(v.pass);
    judge_on(KIT("expired.pem"), &jdbc, &expired, NOT_TRUSTED, &v);
    assert_false(v.pass);
    assert_true(has_error(&v, TLS_F_EXPIRED));
    assert_false(has_error(&v, TLS_F_UNTRUSTED_CHAIN));
    assert_false(has_error(&v, TLS_F_PIN_MISMATCH));
    tls_pin_free(&expired);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_when_the_pin_is_read),
        cmocka_unit_test(test_settle_files),
        cmocka_unit_test(test_override_and_targets),
        cmocka_unit_test(test_go_file_names),
        cmocka_unit_test(test_judge_rules),
        cmocka_unit_test(test_pinned_but_expired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
