/* tests/unit/test_probe_connstr_secrets.c: every secret keyword of every connection-string
 * syntax (probe/drivers/probe_connstr*.c), in every case and quoting the syntax allows, is
 * masked where the target is parsed.
 *
 * The keywords are listed here again, from the drivers' documentation and sources, rather than
 * read from the readers' tables: a row dropped from a table fails this test. Each string gets a
 * marker never used before; the marker must be in no byte of the parsed target, the masked text
 * must show "***" and re-parse to the same target, and what is not secret (a certificate's
 * path, an identifier) must stay readable. A string that fails to parse leaves the marker in
 * neither the target nor the error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "probe/drivers/probe_connstr.h"
#include "tests/unit/connstr_check.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A value as written around the marker: pre + marker + post. */
struct wrap {
    const char *pre;
    const char *post;
};

/* One syntax's place for a secret: prefix + key + eq + value + suffix. */
struct place {
    const char *name;
    enum probe_connstr_kind kind;
    const char *prefix;
    const char *eq;
    const char *suffix;
    const char *bad_suffix;       /* makes the string fail after the secret */
    const char *const *keys;      /* NULL-terminated */
    const struct wrap *wraps;     /* terminated by a NULL pre */
    bool case_variants;           /* the syntax compares keys without case */
    const char *keep;             /* must stay in t->text; NULL = nothing to check */
};

/* Microsoft.Data.SqlClient: Password and its synonym PWD (DbConnectionStringKeywords). */
static const char *const ado_keys[] = { "Password", "PWD", NULL };
static const struct wrap ado_wraps[] = {
    { "", "" }, { "'", "'" }, { "\"", "\"" }, { "'a;", "''b'" }, { "\"a=", "\"\"b\"" },
    { " ", " " }, { NULL, NULL },
};

/* ODBC Driver 18: PWD, KeystoreSecret, and keys no driver knows that still name a password
 * (the shared rule); DSN and connection string keywords and attributes. */
static const char *const odbc_keys[] = { "PWD", "KeystoreSecret", "Password", NULL };
static const struct wrap odbc_wraps[] = {
    { "", "" }, { "{", "}" }, { "{a;", "}}b}" }, { " ", " " }, { "{=", "=}" }, { NULL, NULL },
};

/* ODBC ClientCertificate and ClientKey: "file:<path>[,password:<password>]". */
static const char *const odbc_file_keys[] = { "ClientKey", "ClientCertificate", NULL };
static const struct wrap odbc_file_wraps[] = {
    { "file:/etc/k.pem,password:", "" }, { "file:/etc/k.pem,PASSWORD:", "" },
    { "file:/etc/k.pem,", "" }, { "{file:/etc/k.pem,password:a,,", ";}}b}" },
    { " file:/etc/k.pem,password:", " " }, { NULL, NULL },
};

/* mssql-jdbc: SQLServerDataSource's sensitive properties and trustStorePassword. */
static const char *const jdbc_keys[] = {
    "password", "trustStorePassword", "accessToken", "keyStoreSecret",
    "keyVaultProviderClientKey", "clientKeyPassword", "AADSecurePrincipalSecret", NULL,
};
static const struct wrap jdbc_wraps[] = {
    { "", "" }, { "{", "}" }, { "{a;", "}}b=c}" }, { " ", " " }, { NULL, NULL },
};

/* go-mssqldb query keys (msdsn, azuread). */
static const char *const go_keys[] = {
    "password", "change+password", "change%20password", "systemtoken", "clientassertion",
    "userassertion", NULL,
};
static const struct wrap go_wraps[] = {
    { "", "" }, { "a%2B", "" }, { "", "+b" }, { "%41", "" }, { "", ";x" }, { "", "%zz" },
    { NULL, NULL },
};

/* go-mssqldb userinfo: sqlserver://user:password@host */
static const char *const go_user_keys[] = { "", NULL };
static const struct wrap go_user_wraps[] = {
    { "", "" }, { "p%40", "" }, { "", "%3Ax" }, { NULL, NULL },
};

/* ODBC sqlcmd: -P, and the new password of -z / -Z; a value apart or attached. Options are
 * case-sensitive, so no case variants. */
static const char *const sqlcmd_keys[] = { "-P", "-z", "-Z", NULL };
static const struct wrap sqlcmd_wraps[] = {
    { "", "" }, { "'", "'" }, { "\"a ", "\"" }, { "'a", "'b" }, { NULL, NULL },
};

/* go-sqlcmd (a line with -N VALUE is go-sqlcmd's): the short options and their long forms,
 * the value apart or after "=". */
static const char *const gosqlcmd_keys[] = {
    "-P", "-z", "-Z", "--password", "--change-password", "--change-password-exit", NULL,
};
static const char *const gosqlcmd_long_keys[] = {
    "--password", "--change-password", "--change-password-exit", NULL,
};

static const struct place places[] = {
    { "ado.net", PROBE_CS_ADONET, "Server=db1;", "=", ";Encrypt=no", ";Encrypt=bogus",
      ado_keys, ado_wraps, true, NULL },
    { "odbc", PROBE_CS_ODBC, "Driver={ODBC Driver 18 for SQL Server};Server=db1;", "=",
      ";Encrypt=no", ";Encrypt=bogus", odbc_keys, odbc_wraps, true, NULL },
    { "odbc file", PROBE_CS_ODBC, "Driver={ODBC Driver 18 for SQL Server};Server=db1;", "=",
      ";Encrypt=no", ";Encrypt=bogus", odbc_file_keys, odbc_file_wraps, true, "/etc/k.pem" },
    { "jdbc", PROBE_CS_JDBC, "jdbc:sqlserver://db1;", "=", ";encrypt=false", ";encrypt=bogus",
      jdbc_keys, jdbc_wraps, true, NULL },
    { "go query", PROBE_CS_GO_URL, "sqlserver://db1?encrypt=true&", "=", "&database=x",
      "&encrypt=bogus", go_keys, go_wraps, true, NULL },
    { "go userinfo", PROBE_CS_GO_URL, "sqlserver://sa:", "", "@db1?encrypt=true",
      "@db1?encrypt=bogus", go_user_keys, go_user_wraps, false, "sa:" },
    { "sqlcmd", PROBE_CS_SQLCMD, "sqlcmd -S db1 -U sa ", " ", " -N", " -Nx", sqlcmd_keys,
      sqlcmd_wraps, false, NULL },
    { "sqlcmd attached", PROBE_CS_SQLCMD, "sqlcmd -S db1 -U sa ", "", " -N", " -Nx",
      sqlcmd_keys, sqlcmd_wraps, false, NULL },
    { "go-sqlcmd", PROBE_CS_SQLCMD, "sqlcmd -S db1 -N strict ", " ", " -C", " -N bogus",
      gosqlcmd_keys, sqlcmd_wraps, false, NULL },
    { "go-sqlcmd =", PROBE_CS_SQLCMD, "sqlcmd -S db1 -N m ", "=", " -C", " -J /p.pem -F h",
      gosqlcmd_long_keys, sqlcmd_wraps, false, NULL },
};

/* The key as written, in upper case, or in lower case. */
static void key_variant(const char *key, int variant, char *out, size_t cap)
{
    size_t i = 0;

    for (; key[i] && i + 1 < cap; i++) {
        char ch = key[i];

        if (variant == 1 && ch >= 'a' && ch <= 'z') {
            ch = (char)(ch - 'a' + 'A');
        } else if (variant == 2 && ch >= 'A' && ch <= 'Z') {
            ch = (char)(ch - 'A' + 'a');
        }
        out[i] = ch;
    }
    out[i] = '\0';
}

static int marker_n;

static void build(const struct place *p, const char *key, const struct wrap *w,
                  const char *suffix, char *marker, char *text, size_t cap)
{
    snprintf(marker, 16, "Zq%04dMk", marker_n++);
    snprintf(text, cap, "%s%s%s%s%s%s%s", p->prefix, key, p->eq, w->pre, marker, w->post,
             suffix);
}

/* Parses text, which must be accepted: secret is in no byte of t, and the masked text re-parses
 * to the same target. */
static void parse_masked(const char *text, const char *secret, struct probe_target *t)
{
    char err[512] = "";

    print_message("  %s\n", text);
    if (probe_connstr_parse(text, t, err, sizeof(err)) != 0) {
        fail_msg("'%s' rejected: %s", text, err);
    }
    check_secret(t, secret);
    check_reparse(t);
}

static void check_masked(const struct place *p, const char *text, const char *marker)
{
    struct probe_target t;

    assert_int_equal(p->kind, probe_connstr_detect(text));
    parse_masked(text, marker, &t);
    if (strstr(t.text, "***") == NULL) {
        fail_msg("'%s': nothing masked in '%s'", text, t.text);
    }
    if (p->keep && strstr(t.text, p->keep) == NULL) {
        fail_msg("'%s': '%s' should stay readable in '%s'", text, p->keep, t.text);
    }
    assert_string_equal("db1", t.host);
}

static void check_rejected(const char *text, const char *marker)
{
    struct probe_target t;
    char err[512] = "";

    print_message("  %s\n", text);
    assert_int_equal(-1, probe_connstr_parse(text, &t, err, sizeof(err)));
    assert_true(err[0] != '\0');
    check_secret(&t, marker);
    if (strstr(err, marker)) {
        fail_msg("'%s': the secret is in the error '%s'", text, err);
    }
}

static void run_place(const struct place *p, size_t *count)
{
    char key[64], marker[16], text[512];

    for (size_t k = 0; p->keys[k]; k++) {
        for (int v = 0; v < (p->case_variants ? 3 : 1); v++) {
            key_variant(p->keys[k], v, key, sizeof(key));
            for (size_t w = 0; p->wraps[w].pre; w++) {
                build(p, key, &p->wraps[w], p->suffix, marker, text, sizeof(text));
                check_masked(p, text, marker);
                build(p, key, &p->wraps[w], p->bad_suffix, marker, text, sizeof(text));
                check_rejected(text, marker);
                *count += 2;
            }
        }
    }
}

static void test_every_secret_key(void **state)
{
    size_t count = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(places); i++) {
        print_message("%s\n", places[i].name);
        run_place(&places[i], &count);
    }
    print_message("%zu strings\n", count);
    assert_true(count >= 400);
}

/* What is not a secret stays readable: identifiers (an identity is no credential) and paths.
 * Each string also holds one secret, so the masking ran. */
static void test_not_secrets_stay(void **state)
{
    static const struct {
        const char *text;
        const char *keep;
    } cases[] = {
        { "jdbc:sqlserver://db1;msiClientId=Id1;password=Zx1", "msiClientId=Id1" },
        { "jdbc:sqlserver://db1;keyVaultProviderClientId=Id2;keyVaultProviderClientKey=Zx2",
          "keyVaultProviderClientId=Id2" },
        { "jdbc:sqlserver://db1;keyStorePrincipalId=Id3;keyStoreSecret=Zx3",
          "keyStorePrincipalId=Id3" },
        { "jdbc:sqlserver://db1;AADSecurePrincipalId=Id4;AADSecurePrincipalSecret=Zx4",
          "AADSecurePrincipalId=Id4" },
        { "jdbc:sqlserver://db1;clientKey=/k.pem;clientKeyPassword=Zx5", "clientKey=/k.pem" },
        { "jdbc:sqlserver://db1;user=Id6;accessTokenCallbackClass=a.B;accessToken=Zx6",
          "user=Id6;accessTokenCallbackClass=a.B" },
        { "Driver={ODBC Driver 18 for SQL Server};Server=db1;UID=Id7;KeystorePrincipalId=Id8;"
          "KeystoreSecret=Zx7", "UID=Id7;KeystorePrincipalId=Id8" },
        { "Driver={ODBC Driver 18 for SQL Server};Server=db1;"
          "ClientCertificate=subject:CN=a,O=b;ClientKey=file:/k.pem;PWD=Zx8",
          "ClientCertificate=subject:CN=a,O=b;ClientKey=file:/k.pem" },
        { "sqlserver://Id9:Zx9@db1?applicationclientid=Id10&clientcertpath=/c.pem&"
          "tokenfilepath=/t", "Id9:***@db1?applicationclientid=Id10&clientcertpath=/c.pem&"
          "tokenfilepath=/t" },
        { "Server=db1;User ID=Id11;Password=Zx10", "User ID=Id11" },
        { "sqlcmd -S db1 -U Id12 -P Zx11 -p", "-U Id12 -P *** -p" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct probe_target t;

        parse_masked(cases[i].text, "Zx", &t);
        if (strstr(t.text, cases[i].keep) == NULL) {
            fail_msg("'%s' lost '%s': '%s'", cases[i].text, cases[i].keep, t.text);
        }
        assert_non_null(strstr(t.text, "***"));
    }
}

/* Every secret of one string at once, many of them: masks never overlap, and each is gone. */
static void test_all_secrets_in_one_string(void **state)
{
    static const struct {
        const char *text;
        const char *masked;
    } cases[] = {
        { "jdbc:sqlserver://db1;password=Zx1;trustStorePassword=Zx2;accessToken={Zx3;};"
          "keyStoreSecret=Zx4;keyVaultProviderClientKey=Zx5;clientKeyPassword=Zx6;"
          "AADSecurePrincipalSecret=Zx7",
          "jdbc:sqlserver://db1;password=***;trustStorePassword=***;accessToken=***;"
          "keyStoreSecret=***;keyVaultProviderClientKey=***;clientKeyPassword=***;"
          "AADSecurePrincipalSecret=***" },
        { "Driver={ODBC Driver 18 for SQL Server};Server=db1;PWD={Zx1};KeystoreSecret=Zx2;"
          "ClientCertificate=file:/c.pfx,password:Zx3;ClientKey={file:/k.pem,password:Zx4}",
          "Driver={ODBC Driver 18 for SQL Server};Server=db1;PWD=***;KeystoreSecret=***;"
          "ClientCertificate=file:/c.pfx,password:***;ClientKey={file:/k.pem,password:***}" },
        { "sqlserver://sa:Zx1@db1?password=Zx2&change+password=Zx3&systemtoken=Zx4&"
          "clientassertion=Zx5&userassertion=Zx6",
          "sqlserver://sa:***@db1?password=***&change+password=***&systemtoken=***&"
          "clientassertion=***&userassertion=***" },
        { "Server=db1;Password=Zx1;PWD='Zx2'", "Server=db1;Password=***;PWD=***" },
        { "sqlcmd -S db1 -PZx1 -z Zx2 -Z'Zx3'", "sqlcmd -S db1 -P*** -z *** -Z***" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct probe_target t;

        parse_masked(cases[i].text, "Zx", &t);
        assert_string_equal(cases[i].masked, t.text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_secret_key),
        cmocka_unit_test(test_not_secrets_stay),
        cmocka_unit_test(test_all_secrets_in_one_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
