/* probe/drivers/probe_options and probe_overrides (the one table of client options and where
 * the options meet), and probe/serve/probe_modules (the exporter's modules file): the table's
 * shape, the getopt entries and help lines made from it, every setting and every refusal in
 * words, the tls_min/tls_max rule in both spellings, a front end's command line, exit codes,
 * number parsing (every numeric option of both front ends and each refusal), and the modules
 * file with each error and its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"
#include "probe/drivers/probe_options.h"
#include "probe/drivers/probe_overrides.h"
#include "probe/serve/probe_modules.h"
#include "tls/tls_version.h"

static void test_table_shape(void **state)
{
    unsigned bits = 0;

    (void)state;
    assert_int_equal(probe_options_count, 11);
    for (size_t i = 0; i < probe_options_count; i++) {
        const struct probe_option *o = &probe_options[i];
        char want[40], got[40];
        assert_int_equal(strlen(o->name), strlen(o->key));
        for (size_t k = 0; o->key[k] != '\0'; k++) {
            assert_int_equal(o->name[k], o->key[k] == '_' ? '-' : o->key[k]);
        }
        assert_true(o->bit != 0 && (o->bit & (o->bit - 1)) == 0 && (bits & o->bit) == 0);
        bits |= o->bit;
        assert_true(o->kind != PROBE_OPTION_CHOICE || o->choices != NULL);
        assert_true(o->kind != PROBE_OPTION_TEXT || o->metavar != NULL);
        assert_non_null(o->help);
        assert_true(o->kind == PROBE_OPTION_TEXT ? o->set_text != NULL && o->store == NULL
                                                 : o->store != NULL && o->set_text == NULL);
        assert_ptr_equal(probe_option_by_key(o->key), o);
        assert_ptr_equal(probe_option_by_bit(o->bit), o);
        assert_ptr_equal(probe_option_by_id(PROBE_OPTION_ID(i)), o);
        snprintf(want, sizeof(want), "--%s", o->name);
        assert_string_equal(probe_option_spell(o, PROBE_SPELL_OPTION, got, sizeof(got)), want);
        assert_string_equal(probe_option_spell(o, PROBE_SPELL_KEY, got, sizeof(got)), o->key);
    }
    assert_null(probe_option_by_key("tls-min"));
    assert_null(probe_option_by_id(PROBE_OPTION_ID0 - 1));
    assert_null(probe_option_by_id(PROBE_OPTION_ID(probe_options_count)));
    assert_null(probe_option_by_id('h'));
}

static void test_getopt_entries(void **state)
{
    static const struct option own[] = { { "json", no_argument, NULL, 300 },
                                          { NULL, 0, NULL, 0 } };
    struct option out[16];
    size_t n = probe_options_count;

    (void)state;
    assert_int_equal(probe_options_getopt(out, n + 2, own), 0);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(out[i].name, probe_options[i].name);
        assert_int_equal(out[i].has_arg, probe_options[i].kind == PROBE_OPTION_FLAG
                                             ? no_argument : required_argument);
        assert_int_equal(out[i].val, PROBE_OPTION_ID(i));
    }
    assert_string_equal(out[n].name, "json");
    assert_int_equal(out[n].val, 300);
    assert_null(out[n + 1].name);
    assert_int_equal(probe_options_getopt(out, n + 1, own), -1); /* no room for the end */
    assert_int_equal(probe_options_getopt(out, n - 1, own), -1);
}

static void test_settings(void **state)
{
    struct probe_overrides o;
    char err[300];

    (void)state;
    probe_overrides_init(&o);
    assert_int_equal(o.set, 0);
    assert_int_equal(probe_overrides_set(&o, "encrypt", "Strict", err, sizeof(err)), 0);
    assert_int_equal(o.client.encrypt, PROBE_ENCRYPT_STRICT);
    assert_int_equal(probe_overrides_set(&o, "encrypt", "disable", err, sizeof(err)), 0);
    assert_int_equal(o.client.encrypt, PROBE_ENCRYPT_OPTIONAL);
    assert_true(o.client.encrypt_disable);
    assert_int_equal(probe_overrides_set(&o, "encrypt", "mandatory", err, sizeof(err)), 0);
    assert_int_equal(o.client.encrypt, PROBE_ENCRYPT_MANDATORY);
    assert_false(o.client.encrypt_disable);
    assert_int_equal(probe_overrides_set(&o, "trust_server_certificate", "YES", err,
                                         sizeof(err)), 0);
    assert_true(o.client.trust_server_certificate);
    assert_int_equal(probe_overrides_set(&o, "trust_server_certificate", "0", err,
                                         sizeof(err)), 0);
    assert_false(o.client.trust_server_certificate);
    assert_int_equal(probe_overrides_set(&o, "host_name_in_certificate", "db1.contoso.com", err,
                                         sizeof(err)), 0);
    assert_string_equal(o.client.host_name_in_certificate, "db1.contoso.com");
    assert_int_equal(probe_overrides_set(&o, "ca_file", "/dev/null", err, sizeof(err)), 0);
    assert_string_equal(o.client.ca_file, "/dev/null");
    assert_int_equal(probe_overrides_set(&o, "tls_min", "1.1", err, sizeof(err)), 0);
    assert_int_equal(o.client.tls_min, TLS_V11);
    assert_int_equal(probe_overrides_set(&o, "tls_max", "1.2", err, sizeof(err)), 0);
    assert_int_equal(o.client.tls_max, TLS_V12);
    assert_int_equal(probe_overrides_set(&o, "handshake", "certificate", err, sizeof(err)), 0);
    assert_int_equal(o.client.handshake, TLS_HANDSHAKE_CERTIFICATE);
    assert_int_equal(probe_overrides_set(&o, "driver", "odbc18", err, sizeof(err)), 0);
    assert_string_equal(o.client.driver, "odbc18");
    assert_int_equal(probe_overrides_set(&o, "audit_timeout", "2.5", err, sizeof(err)), 0);
    assert_true(o.client.audit_timeout_s == 2.5);
    assert_int_equal(o.set, 0x1ff);
}

/* --audit-timeout reaches the target's client on both kinds of TARGET, and a target without
 * it keeps 0 (the engine's default: 3 x --timeout). */
static void test_audit_timeout_target(void **state)
{
    struct probe_overrides o;
    struct probe_target t;
    char err[300];

    (void)state;
    probe_overrides_init(&o);
    assert_int_equal(probe_make_target(&o, "db1,1433", 0, &t, err, sizeof(err)), 0);
    assert_true(t.client.audit_timeout_s == 0);
    assert_int_equal(probe_overrides_set(&o, "audit_timeout", "7", err, sizeof(err)), 0);
    assert_int_equal(probe_make_target(&o, "db1,1433", 0, &t, err, sizeof(err)), 0);
    assert_true(t.client.audit_timeout_s == 7);
    assert_int_equal(probe_make_target(&o, "Server=db1;Encrypt=True", 0, &t, err, sizeof(err)),
                     0);
    assert_true(t.client.audit_timeout_s == 7);
}

static void test_refusals(void **state)
{
    static const struct {
        const char *key, *value, *err;
    } cases[] = {
        { "encrypt", "x", "encrypt takes optional, mandatory, strict or disable, not 'x'" },
        { "tls_min", "1.3", "tls_min takes 1.0, 1.1 or 1.2, not '1.3'" },
        { "tls_max", "", "tls_max takes 1.0, 1.1 or 1.2, not ''" },
        { "handshake", "FULL", "handshake takes full or certificate, not 'FULL'" },
        { "audit_timeout", "0", "audit_timeout takes seconds (0 < s <= 3600), not '0'" },
        { "audit_timeout", "nan", "audit_timeout takes seconds (0 < s <= 3600), not 'nan'" },
        { "audit_timeout", "5s", "audit_timeout takes seconds (0 < s <= 3600), not '5s'" },
        { "trust_server_certificate", "maybe",
          "trust_server_certificate takes true or false, not 'maybe'" },
        { "nosuch", "1", "unknown setting 'nosuch'" },
        { "tls-min", "1.2", "unknown setting 'tls-min'" },
        { "ca_file", "/nonexistent/ca.pem",
          "cannot read ca_file '/nonexistent/ca.pem': No such file or directory" },
    };
    struct probe_overrides o;
    char err[300], longname[300];

    (void)state;
    probe_overrides_init(&o);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(probe_overrides_set(&o, cases[i].key, cases[i].value, err,
                                             sizeof(err)), -1);
        assert_string_equal(err, cases[i].err);
    }
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(probe_overrides_set(&o, "host_name_in_certificate", longname, err,
                                         sizeof(err)), -1);
    assert_string_equal(err, "host_name_in_certificate is too long (at most 255 bytes)");
    assert_int_equal(probe_overrides_set(&o, "driver", "zzz", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "driver takes one of sqlclient,"));
    assert_non_null(strstr(err, ", not 'zzz'"));
    assert_int_equal(o.set, 0); /* nothing refused counts as given */
}

static void test_tls_range_rule(void **state)
{
    struct probe_overrides o;
    char err[200];

    (void)state;
    probe_overrides_init(&o);
    assert_int_equal(probe_overrides_set(&o, "tls_min", "1.2", err, sizeof(err)), 0);
    assert_int_equal(probe_overrides_check(&o, PROBE_SPELL_OPTION, err, sizeof(err)), 0);
    assert_int_equal(probe_overrides_set(&o, "tls_max", "1.2", err, sizeof(err)), 0);
    assert_int_equal(probe_overrides_check(&o, PROBE_SPELL_OPTION, err, sizeof(err)), 0);
    assert_int_equal(probe_overrides_set(&o, "tls_max", "1.0", err, sizeof(err)), 0);
    assert_int_equal(probe_overrides_check(&o, PROBE_SPELL_OPTION, err, sizeof(err)), -1);
    assert_string_equal(err, "--tls-min is above --tls-max");
    assert_int_equal(probe_overrides_check(&o, PROBE_SPELL_KEY, err, sizeof(err)), -1);
    assert_string_equal(err, "tls_min is above tls_max");
}

struct seen {
    int ids[8];
    size_t n;
    int fail_on; /* an id whose apply returns 7 */
};

static int record(void *arg, int id, const char *val)
{
    struct seen *s = arg;

    (void)val;
    s->ids[s->n++] = id;
    return id == s->fail_on ? 7 : 0;
}

/* stderr sent to a temporary file while a call runs, so a test can read what it said. */
struct stderr_capture {
    FILE *tmp;
    int saved;
};

static void stderr_capture_begin(struct stderr_capture *c)
{
    c->tmp = tmpfile();
    c->saved = dup(STDERR_FILENO);
    assert_non_null(c->tmp);
    fflush(stderr);
    dup2(fileno(c->tmp), STDERR_FILENO);
}

/* Restores stderr and puts what was written to it in err. */
static void stderr_capture_end(struct stderr_capture *c, char *err, size_t cap)
{
    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    rewind(c->tmp);
    size_t n = fread(err, 1, cap - 1, c->tmp);
    err[n] = '\0';
    fclose(c->tmp);
}

/* Runs probe_overrides_getopt on argv with stderr in err. */
static int run_getopt(struct probe_overrides *o, struct seen *s, char **argv, char *err,
                      size_t cap)
{
    static const struct option own[] = { { "json", no_argument, NULL, 300 },
                                         { "help", no_argument, NULL, 'h' },
                                         { NULL, 0, NULL, 0 } };
    int argc = 0;
    struct stderr_capture c;

    while (argv[argc] != NULL) {
        argc++;
    }
    stderr_capture_begin(&c);
    probe_overrides_init(o);
    int rc = probe_overrides_getopt(o, "prog", argc, argv, "h", own, record, s);
    stderr_capture_end(&c, err, cap);
    return rc;
}

static void test_command_line(void **state)
{
    char *ok[] = { "prog", "--encrypt", "strict", "--json", "--trust-server-certificate",
                   "-h", "db1", NULL };
    char *range[] = { "prog", "--tls-min", "1.2", "--tls-max=1.0", "db1", NULL };
    char *unknown[] = { "prog", "--bogus", NULL };
    char *bad[] = { "prog", "--encrypt", "never", NULL };
    char *missing[] = { "prog", "--ca-file", NULL };
    char *stop[] = { "prog", "--json", "--encrypt", "never", NULL };
    struct probe_overrides o;
    struct seen s = { .fail_on = 0 };
    char err[400];

    (void)state;
    assert_int_equal(run_getopt(&o, &s, ok, err, sizeof(err)), 0);
    assert_int_equal(o.set, PROBE_SET_ENCRYPT | PROBE_SET_TSC);
    assert_int_equal(o.client.encrypt, PROBE_ENCRYPT_STRICT);
    assert_true(o.client.trust_server_certificate);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.ids[0], 300);
    assert_int_equal(s.ids[1], 'h');
    assert_string_equal(ok[optind], "db1");
    assert_string_equal(err, "");
    assert_int_equal(run_getopt(&o, &s, range, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_string_equal(err, "prog: --tls-min is above --tls-max\n"
                             "Try 'prog --help' for the options.\n");
    assert_int_equal(run_getopt(&o, &s, unknown, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_string_equal(err, "prog: unknown or incomplete option '--bogus'\n"
                             "Try 'prog --help' for the options.\n");
    assert_int_equal(run_getopt(&o, &s, missing, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_string_equal(err, "prog: unknown or incomplete option '--ca-file'\n"
                             "Try 'prog --help' for the options.\n");
    assert_int_equal(run_getopt(&o, &s, bad, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_string_equal(err, "prog: --encrypt: encrypt takes optional, mandatory, strict or "
                             "disable, not 'never'\nTry 'prog --help' for the options.\n");
    s = (struct seen){ .fail_on = 300 }; /* the front end's own refusal stops the parse */
    assert_int_equal(run_getopt(&o, &s, stop, err, sizeof(err)), 7);
    assert_int_equal(o.set, 0);
}

/* The lines `tdsprobe --help` shows for the client options, word for word. */
static void test_help_lines(void **state)
{
    static const char client[] =
        "  --encrypt optional|mandatory|strict|disable\n"
        "                                 "
        "Encrypt= (default mandatory: SqlClient 4+, ODBC 18, JDBC);\n"
        "                                 optional sends ENCRYPTION=OFF: login-only TLS, not\n"
        "                                 validated; strict is TDS 8.0: TLS first (ALPN tds/8.0),\n"
        "                                 always validated; disable sends ENCRYPTION=NOT_SUP\n"
        "                                 (go-mssqldb encrypt=disable, FreeTDS encryption = off)\n"
        "  --trust-server-certificate     "
        "TrustServerCertificate=True: skip every certificate check\n"
        "  --host-name-in-certificate N   check the certificate against N instead of the host\n"
        "  --ca-file FILE                 trust these CAs instead of the system trust store\n"
        "  --server-certificate FILE      ServerCertificate=: pin the certificate in FILE (PEM or\n"
        "                                 DER); the server must present exactly it (FreeTDS:\n"
        "                                 a CA file)\n"
        "  --tls-min 1.0|1.1|1.2          lowest TLS version the client offers (default: its\n"
        "                                 TLS stack's, see --client-os)\n"
        "  --tls-max 1.0|1.1|1.2          highest TLS version the client offers (default: its\n"
        "                                 TLS stack's; 1.2 keeps strict mode off TLS 1.3)\n"
        "  --driver NAME                  the client to emulate: sqlclient (default),\n"
        "                                 sqlclient-legacy, odbc18, odbc17, jdbc, go-mssqldb,\n"
        "                                 tedious, freetds (inferred from a connection string)\n"
        "  --client-os windows|linux|macos|windows11\n"
        "                                 the client's OS, which picks its driver's TLS stack\n"
        "                                 (default: the OS tdsprobe runs on; windows means\n"
        "                                 Windows 10 / Server 2019: Schannel without TLS 1.3;\n"
        "                                 windows11 means Windows 11 24H2+ / Server 2025:\n"
        "                                 Schannel with TLS 1.3 and without TLS 1.0/1.1)\n";
    static const char probe[] =
        "  --handshake full|certificate   full handshake, or stop once the server's certificate\n"
        "                                 flight has been read and checked (cheaper)\n"
        "  --audit-timeout SECONDS        --protocols/--ciphers: the whole audit's time per\n"
        "                                 target, pauses not counted (default 3 x --timeout);\n"
        "                                 steps left: \"not tested (audit time budget reached)\"\n";
    struct cap c;
    FILE *f;

    (void)state;
    f = cap_open(&c);
    probe_options_help(f, PROBE_OPTION_CLIENT);
    cap_close(f);
    assert_string_equal(c.buf, client);
    free(c.buf);
    f = cap_open(&c);
    probe_options_help(f, PROBE_OPTION_PROBE);
    cap_close(f);
    assert_string_equal(c.buf, probe);
    free(c.buf);
}

static void test_lists(void **state)
{
    struct cap c;
    FILE *f;

    (void)state;
    f = cap_open(&c);
    probe_options_list(f, PROBE_SPELL_OPTION, 2, 80);
    cap_close(f);
    assert_string_equal(c.buf,
                        "  --encrypt, --trust-server-certificate, --host-name-in-certificate, "
                        "--ca-file,\n  --server-certificate, --tls-min, --tls-max, --driver, "
                        "--client-os,\n  --handshake, --audit-timeout\n");
    free(c.buf);
    f = cap_open(&c);
    probe_options_list(f, PROBE_SPELL_KEY, 4, 40);
    cap_close(f);
    assert_string_equal(c.buf, "    encrypt, trust_server_certificate,\n"
                               "    host_name_in_certificate, ca_file,\n"
                               "    server_certificate, tls_min,\n"
                               "    tls_max, driver, client_os,\n"
                               "    handshake, audit_timeout\n");
    free(c.buf);
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(probe_exit_for_class(PROBE_CLASS_OK), 0);
    assert_int_equal(probe_exit_for_class(PROBE_CLASS_FAIL), 1);
    assert_int_equal(probe_exit_for_class(PROBE_CLASS_ERROR), 2);
    assert_int_equal(probe_exit_for_class(PROBE_CLASS_LOCAL), 2);
    assert_int_equal(probe_exit_for_class(probe_diag_class(PROBE_DIAG_LOCAL_LIMIT)), 2);
    assert_int_equal(probe_exit_for_class(PROBE_CLASS_USAGE), 64);
    assert_int_equal(probe_exit_for_class(probe_diag_class(PROBE_DIAG_NAME_MISMATCH)), 1);
    assert_int_equal(probe_exit_for_class(probe_diag_class(PROBE_DIAG_TIMEOUT)), 2);
    assert_int_equal(PROBE_EXIT_SERVE_FAILED, 1);
}

static void test_numbers(void **state)
{
    static const char *const bad_seconds[] = { "0", "-1", "3600.5", "nan", "inf", "", "5s",
                                               "1e9" };
    static const char *const bad_ints[] = { "0", "100001", "1e3", "12x", "", "-5", "64.0",
                                            "99999999999999999999" };
    double d;
    long v;

    (void)state;
    assert_int_equal(probe_parse_seconds("0.5", &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(probe_parse_seconds("3600", &d), 0);
    for (size_t i = 0; i < sizeof(bad_seconds) / sizeof(bad_seconds[0]); i++) {
        if (probe_parse_seconds(bad_seconds[i], &d) != -1) {
            fail_msg("'%s' taken as seconds", bad_seconds[i]);
        }
    }
    assert_int_equal(probe_parse_int("1", 1, 100000, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(probe_parse_int("100000", 1, 100000, &v), 0);
    assert_int_equal(v, 100000);
    for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
        if (probe_parse_int(bad_ints[i], 1, 100000, &v) != -1) {
            fail_msg("'%s' taken as 1..100000", bad_ints[i]);
        }
    }
}

/* Runs probe_option_number(prog "p") with stderr in err. */
static int run_number(const char *name, const char *val, double *out, char *err, size_t cap)
{
    struct stderr_capture c;

    stderr_capture_begin(&c);
    int rc = probe_option_number("p", name, val, out);
    stderr_capture_end(&c, err, cap);
    return rc;
}

/* Every numeric option of tdsprobe and tdsprobe serve, with the range it takes. */
static void test_number_table(void **state)
{
    static const struct {
        const char *name;
        double lo, hi;
    } want[] = { { "timeout", 0.001, 3600 }, { "concurrency", 1, 100000 }, { "threads", 1, 16 },
                 { "audit-max-connections", 1, 100000 }, { "audit-pause", 1, 60000 },
                 { "browser-port", 1, 65535 }, { "warn-days", 0, 36500 },
                 { "crit-days", 0, 36500 }, { "max-concurrency", 1, 100000 },
                 { "listen", 0, 65535 } };

    (void)state;
    assert_int_equal(probe_numbers_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < probe_numbers_count; i++) {
        const struct probe_number *n = probe_number_by_name(want[i].name);
        assert_non_null(n);
        assert_true(n->lo == want[i].lo && n->hi == want[i].hi);
        assert_int_equal(n->kind, strcmp(n->name, "timeout") == 0 ? PROBE_NUMBER_SECONDS
                                                                  : PROBE_NUMBER_INTEGER);
    }
    assert_null(probe_number_by_name("--timeout"));
    assert_null(probe_number_by_name("tls-min"));
}

/* Each option takes its two ends and refuses every malformed or out-of-range value, naming
 * itself. */
static void test_number_refusals(void **state)
{
    static const char *const always_bad[] = {
        "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-1", "-0", "+1", "", " 1", "1 ",
        "1x", "x1", "0x10", "1e3", "1e-3", "1,5", "--1", "99999999999999999999",
        "1000000000000000000000000000000000000000000000000000000000000000000000000000000",
    };
    char err[300], text[64], expect[200];
    double v;

    (void)state;
    for (size_t i = 0; i < probe_numbers_count; i++) {
        const struct probe_number *n = &probe_numbers[i];
        bool secs = n->kind == PROBE_NUMBER_SECONDS;
        snprintf(text, sizeof(text), "%g", n->lo);
        assert_int_equal(run_number(n->name, text, &v, err, sizeof(err)), 0);
        assert_true(v == n->lo);
        snprintf(text, sizeof(text), "%g", n->hi);
        assert_int_equal(run_number(n->name, text, &v, err, sizeof(err)), 0);
        assert_true(v == n->hi);
        assert_string_equal(err, "");
        /* past each end, and a fraction where none is taken (or a zero seconds) */
        char above[64];
        snprintf(above, sizeof(above), "%.0f", n->hi + 1);
        const char *edges[] = { above, secs ? "0" : "1.5", secs ? "0.0009" : "1.",
                                n->lo > 0 ? "0" : "-5" };
        const char *const *lists[] = { always_bad, edges };
        size_t sizes[] = { sizeof(always_bad) / sizeof(always_bad[0]),
                           sizeof(edges) / sizeof(edges[0]) };
        for (size_t l = 0; l < 2; l++) {
            for (size_t k = 0; k < sizes[l]; k++) {
                const char *bad = lists[l][k];
                if (run_number(n->name, bad, &v, err, sizeof(err)) != PROBE_EXIT_USAGE) {
                    fail_msg("--%s took '%s'", n->name, bad);
                }
                snprintf(expect, sizeof(expect), "p: --%s takes ", n->name);
                assert_memory_equal(err, expect, strlen(expect));
                snprintf(expect, sizeof(expect),
                         ", not '%s'\nTry 'p --help' for the options.\n", bad);
                assert_non_null(strstr(err, expect));
            }
        }
    }
    /* a fraction too small to hold is out of range, not zero */
    char tiny[400] = "0.";
    memset(tiny + 2, '0', 350);
    tiny[352] = '1';
    assert_int_equal(run_number("timeout", tiny, &v, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_int_equal(run_number("timeout", "0.5", &v, err, sizeof(err)), 0);
    assert_true(v == 0.5);
    assert_int_equal(run_number("timeout", ".5", &v, err, sizeof(err)), 0);
    assert_int_equal(run_number("timeout", "7.", &v, err, sizeof(err)), 0);
    assert_int_equal(run_number("timeout", ".", &v, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_int_equal(run_number("timeout", "nan", &v, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_string_equal(err, "p: --timeout takes seconds (0.001..3600), not 'nan'\n"
                             "Try 'p --help' for the options.\n");
    assert_int_equal(run_number("browser-port", "0", &v, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_string_equal(err, "p: --browser-port takes a UDP port (1..65535), not '0'\n"
                             "Try 'p --help' for the options.\n");
    assert_int_equal(run_number("max-concurrency", "64", &v, err, sizeof(err)), 0);
    assert_true(v == 64);
    assert_int_equal(run_number("json", "1", &v, err, sizeof(err)), PROBE_EXIT_USAGE);
    assert_non_null(strstr(err, "--json is not a numeric option"));
}

/* Reads text as a modules file named "m.conf" on top of defaults with TrustServerCertificate. */
static int read_modules(struct probe_modules *m, const char *text, char *err, size_t cap)
{
    char e[100];
    FILE *f = fmemopen((void *)text, strlen(text), "r");

    assert_non_null(f);
    memset(m, 0, sizeof(*m));
    probe_overrides_init(&m->defaults);
    assert_int_equal(probe_overrides_set(&m->defaults, "trust_server_certificate", "true", e,
                                         sizeof(e)), 0);
    err[0] = '\0';
    int rc = probe_modules_read(m, f, "m.conf", err, cap);
    fclose(f);
    return rc;
}

static void test_modules_file(void **state)
{
    static const char text[] = "# exporter modules\n"
                               "; also a comment\n"
                               "\n"
                               "[module odbc]\n"
                               "  driver = odbc18  \n"
                               "handshake=certificate\r\n"
                               "[module  strict.v2 ]\n"
                               "encrypt = strict\n";
    struct probe_modules m;
    char err[300];

    (void)state;
    assert_int_equal(read_modules(&m, text, err, sizeof(err)), 0);
    assert_int_equal(m.n, 2);
    const struct probe_overrides *odbc = probe_modules_find(&m, "odbc");
    assert_non_null(odbc);
    assert_string_equal(odbc->client.driver, "odbc18");
    assert_int_equal(odbc->client.handshake, TLS_HANDSHAKE_CERTIFICATE);
    assert_true(odbc->client.trust_server_certificate); /* from the command line */
    assert_int_equal(odbc->set, PROBE_SET_TSC | PROBE_SET_DRIVER | PROBE_SET_HANDSHAKE);
    const struct probe_overrides *strict = probe_modules_find(&m, "strict.v2");
    assert_non_null(strict);
    assert_int_equal(strict->client.encrypt, PROBE_ENCRYPT_STRICT);
    assert_ptr_equal(probe_modules_find(&m, NULL), &m.defaults);
    assert_ptr_equal(probe_modules_find(&m, "default"), &m.defaults);
    assert_null(probe_modules_find(&m, "nosuch"));
    assert_null(probe_modules_find(&m, "ODBC"));
}

static void test_modules_file_errors(void **state)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "encrypt = strict\n",
          "m.conf:1: expected 'key = value' inside a [module NAME] section" },
        { "[module a]\nno equals sign\n",
          "m.conf:2: expected 'key = value' inside a [module NAME] section" },
        { "[modul a]\n", "m.conf:1: expected '[module NAME]', not '[modul a]'" },
        { "[module a\n", "m.conf:1: expected '[module NAME]', not '[module a'" },
        { "\n[module default]\n",
          "m.conf:2: bad module name 'default' (letters, digits, _ - .; not default)" },
        { "[module a b]\n",
          "m.conf:1: bad module name 'a b' (letters, digits, _ - .; not default)" },
        { "[module ]\n", "m.conf:1: bad module name '' (letters, digits, _ - .; not default)" },
        { "[module a]\n[module b]\n[module a]\n", "m.conf:3: module 'a' is defined twice" },
        { "[module a]\nencrypt = x\n",
          "m.conf:2: encrypt takes optional, mandatory, strict or disable, not 'x'" },
        { "[module a]\ncolour = red\n", "m.conf:2: unknown setting 'colour'" },
        { "[module a]\ntls_min = 1.2\n# fine so far\ntls_max = 1.1\n",
          "m.conf:4: tls_min is above tls_max" },
    };
    struct probe_modules m;
    char err[300];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(read_modules(&m, cases[i].text, err, sizeof(err)), -1);
        assert_string_equal(err, cases[i].err);
    }
}

static void test_modules_limits(void **state)
{
    char text[PROBE_MODULES_MAX * 20 + 40], err[300];
    size_t len = 0;
    struct probe_modules m;

    (void)state;
    for (int i = 0; i <= PROBE_MODULES_MAX; i++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len, "[module m%d]\n", i);
    }
    assert_int_equal(read_modules(&m, text, err, sizeof(err)), -1);
    assert_string_equal(err, "m.conf:33: more than 32 modules");
    assert_int_equal(probe_modules_load(&m, "/nonexistent/modules.conf", err, sizeof(err)), -1);
    assert_string_equal(err, "cannot open --config '/nonexistent/modules.conf': No such file "
                             "or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_shape),
        cmocka_unit_test(test_getopt_entries),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_audit_timeout_target),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tls_range_rule),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_help_lines),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_table),
        cmocka_unit_test(test_number_refusals),
        cmocka_unit_test(test_modules_file),
        cmocka_unit_test(test_modules_file_errors),
        cmocka_unit_test(test_modules_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
