/* probe/serve/probe_allow (the exporter's --allow-targets) and its allow_targets key in the
 * modules file: every form of entry, every refusal in words, the verdict for addresses, names
 * and globs, the network boundaries, and a module's list replacing the command line's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "probe/serve/probe_allow.h"
#include "probe/serve/probe_modules.h"

static struct probe_allow *parsed(const char *list)
{
    static struct probe_allow a;
    char err[300] = "";

    if (probe_allow_parse(&a, list, err, sizeof(err)) != 0) {
        fail_msg("'%s' refused: %s", list, err);
    }
    return &a;
}

static void test_parse(void **state)
{
    struct probe_allow *a;

    (void)state;
    a = parsed("10.0.0.0/8, 2001:db8::/32,192.0.2.7 ,::1,\t*.Example.COM, sql?,0.0.0.0/0");
    assert_true(a->on);
    assert_int_equal(a->n_nets, 5);
    assert_int_equal(a->n_globs, 2);
    assert_string_equal(a->text + a->globs[0], "*.example.com");
    assert_string_equal(a->text + a->globs[1], "sql?");
    assert_int_equal(a->nets[0].bits, 96 + 8);
    assert_int_equal(a->nets[1].bits, 32);
    assert_int_equal(a->nets[2].bits, 128);
    assert_int_equal(a->nets[4].bits, 96);
    a = parsed("::ffff:10.0.0.0/104");
    assert_int_equal(a->nets[0].bits, 104);
}

static void test_refusals(void **state)
{
    static const struct {
        const char *list, *says;
    } cases[] = {
        { "", "an empty entry" },
        { "a,,b", "an empty entry" },
        { "a, ", "an empty entry" },
        { "10.0.0.0/33", "'10.0.0.0/33' has a bad prefix length (0..32)" },
        { "2001:db8::/129", "bad prefix length (0..128)" },
        { "10.0.0.0/", "bad prefix length" },
        { "10.0.0.0/x", "bad prefix length" },
        { "10.0.0.0/-1", "bad prefix length" },
        { "10.0.0.0/+8", "bad prefix length" },
        { "10.0.0.0/8/9", "bad prefix length" },
        { "10.0.0.1/8", "'10.0.0.1/8' has bits set past the prefix" },
        { "2001:db8::1/64", "has bits set past the prefix" },
        { "10.0.0/8", "'10.0.0' is not an IPv4 or IPv6 address" },
        { "fe80::1%eth0", "is not an IPv4 or IPv6 address" },
        { "db 1", "'db 1' is neither a network nor a host-name glob" },
        { "db1;rm", "neither a network nor a host-name glob" },
        { "[db]", "neither a network nor a host-name glob" },
    };
    struct probe_allow a;
    char err[400], list[2048];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        if (probe_allow_parse(&a, cases[i].list, err, sizeof(err)) != -1) {
            fail_msg("'%s' taken", cases[i].list);
        }
        if (strstr(err, cases[i].says) == NULL || strncmp(err, "allow list '", 12) != 0) {
            fail_msg("'%s': %s", cases[i].list, err);
        }
        assert_false(a.on);
    }
    size_t len = 0;
    for (int i = 0; i <= PROBE_ALLOW_MAX; i++) {
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%sh%d", i ? "," : "", i);
    }
    assert_int_equal(probe_allow_parse(&a, list, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 64 entries"));
    memset(list, 'a', 300);
    list[300] = '\0';
    assert_int_equal(probe_allow_parse(&a, list, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "an entry is longer than 255 bytes"));
    len = 0;
    for (int i = 0; i < 5; i++) { /* five names of 250 bytes: more than the room for names */
        list[len++] = i ? ',' : 'x';
        memset(list + len, 'n', 250);
        len += 250;
    }
    list[len] = '\0';
    assert_int_equal(probe_allow_parse(&a, list, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 1024 bytes of names"));
}

static void test_hosts(void **state)
{
    static const struct {
        const char *host;
        enum probe_allow_verdict v;
    } cases[] = {
        { "10.1.2.3", PROBE_ALLOW_YES },     { "11.0.0.1", PROBE_ALLOW_NO },
        { "127.0.0.1", PROBE_ALLOW_NO },     { "::ffff:10.9.9.9", PROBE_ALLOW_YES },
        { "2001:db8:1::5", PROBE_ALLOW_YES }, { "2001:db9::5", PROBE_ALLOW_NO },
        { "::1", PROBE_ALLOW_NO },           { "db1.example.com", PROBE_ALLOW_YES },
        { "DB1.EXAMPLE.COM", PROBE_ALLOW_YES }, { "db1.example.com.", PROBE_ALLOW_YES },
        { "a.b.example.com", PROBE_ALLOW_YES }, { "example.com", PROBE_ALLOW_RESOLVE },
        { "db1.example.com.evil.org", PROBE_ALLOW_RESOLVE }, { "sqlx", PROBE_ALLOW_YES },
        { "sql", PROBE_ALLOW_RESOLVE },      { "sqlxy", PROBE_ALLOW_RESOLVE },
        { "localhost", PROBE_ALLOW_RESOLVE }, { "127.1", PROBE_ALLOW_RESOLVE },
        { "fe80::1%eth0", PROBE_ALLOW_RESOLVE },
    };
    struct probe_allow *a = parsed("10.0.0.0/8,2001:db8::/32,*.example.com,sql?");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (probe_allow_host(a, cases[i].host) != cases[i].v) {
            fail_msg("%s: %d, not %d", cases[i].host, probe_allow_host(a, cases[i].host),
                     cases[i].v);
        }
    }
    a = parsed("*.example.com"); /* no networks: a name that matches no glob is refused */
    assert_int_equal(probe_allow_host(a, "localhost"), PROBE_ALLOW_NO);
    assert_int_equal(probe_allow_host(a, "10.0.0.1"), PROBE_ALLOW_NO);
    assert_int_equal(probe_allow_host(a, "x.example.com"), PROBE_ALLOW_YES);
    a = parsed("*"); /* every name, but no address */
    assert_int_equal(probe_allow_host(a, "anything.at.all"), PROBE_ALLOW_YES);
    assert_int_equal(probe_allow_host(a, "192.0.2.1"), PROBE_ALLOW_NO);
    struct probe_allow off = { 0 };
    assert_int_equal(probe_allow_host(&off, "192.0.2.1"), PROBE_ALLOW_YES);
    assert_int_equal(probe_allow_host(&off, "x"), PROBE_ALLOW_YES);
}

/* Whether an address in text (IPv6 when it has a colon) is on the list. */
static bool addr_in(const struct probe_allow *a, const char *s)
{
    uint8_t b[16];
    int v6 = strchr(s, ':') != NULL;

    assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, s, b), 1);
    return probe_allow_address(a, v6 ? 6 : 4, b);
}

static void test_boundaries(void **state)
{
    static const struct {
        const char *list, *addr;
        bool in;
    } cases[] = {
        { "192.168.4.0/23", "192.168.3.255", false },
        { "192.168.4.0/23", "192.168.4.0", true },
        { "192.168.4.0/23", "192.168.5.255", true },
        { "192.168.4.0/23", "192.168.6.0", false },
        /* IPv4-mapped, as a dual-stack lookup says */
        { "192.168.4.0/23", "::ffff:192.168.5.1", true },
        { "192.168.4.0/23", "::192.168.5.1", false },
        { "10.0.0.7/32", "10.0.0.7", true },
        { "10.0.0.7/32", "10.0.0.6", false },
        { "128.0.0.0/1", "200.1.1.1", true },
        { "128.0.0.0/1", "127.255.255.255", false },
        { "0.0.0.0/0", "8.8.8.8", true },
        { "0.0.0.0/0", "2001:db8::1", false },
        { "2001:db8::/127", "2001:db8::1", true },
        { "2001:db8::/127", "2001:db8::2", false },
        { "::/0", "2001:db8::2", true },
        { "::/0", "8.8.8.8", true },
        { "::1", "::1", true },
        { "::1", "127.0.0.1", false },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (addr_in(parsed(cases[i].list), cases[i].addr) != cases[i].in) {
            fail_msg("%s in %s: not %d", cases[i].addr, cases[i].list, cases[i].in);
        }
    }
    assert_false(probe_allow_address(parsed("::1"), 5, (const uint8_t *)"0123456789abcdef"));
}

/* A glob that backtracks a great deal still ends (and says no). */
static void test_glob_backtracking(void **state)
{
    char host[254];
    struct probe_allow *a = parsed("*a*a*a*a*a*a*a*a*a*b");

    (void)state;
    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    assert_int_equal(probe_allow_host(a, host), PROBE_ALLOW_NO);
    host[sizeof(host) - 2] = 'b';
    assert_int_equal(probe_allow_host(a, host), PROBE_ALLOW_YES);
}

static void test_modules_file(void **state)
{
    static const char text[] = "[module wide]\nallow_targets = 10.0.0.0/8, *.example.com\n"
                               "[module inherits]\ndriver = odbc18\n";
    static const char bad[] = "[module m]\ndriver = jdbc\nallow_targets = 10.0.0.1/8\n";
    struct probe_modules *m = calloc(1, sizeof(*m));
    char err[400];
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

    (void)state;
    assert_non_null(m);
    probe_overrides_init(&m->defaults);
    assert_int_equal(probe_allow_parse(&m->allow, "192.0.2.0/24", err, sizeof(err)), 0);
    assert_int_equal(probe_modules_read(m, f, "m.conf", err, sizeof(err)), 0);
    fclose(f);
    const struct probe_allow *wide = probe_modules_allow(m, "wide");
    const struct probe_allow *inherits = probe_modules_allow(m, "inherits");
    assert_ptr_equal(probe_modules_allow(m, NULL), &m->allow);
    assert_ptr_equal(probe_modules_allow(m, "default"), &m->allow);
    assert_null(probe_modules_allow(m, "nosuch"));
    assert_int_equal(probe_allow_host(wide, "10.1.1.1"), PROBE_ALLOW_YES);
    assert_int_equal(probe_allow_host(wide, "192.0.2.1"), PROBE_ALLOW_NO); /* replaced */
    assert_int_equal(probe_allow_host(inherits, "192.0.2.1"), PROBE_ALLOW_YES);
    assert_int_equal(probe_allow_host(inherits, "10.1.1.1"), PROBE_ALLOW_NO);
    f = fmemopen((void *)bad, sizeof(bad) - 1, "r");
    m->n = 0;
    assert_int_equal(probe_modules_read(m, f, "m.conf", err, sizeof(err)), -1);
    fclose(f);
    assert_string_equal(err, "m.conf:3: allow list '10.0.0.1/8': '10.0.0.1/8' has bits set "
                             "past the prefix");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_glob_backtracking),
        cmocka_unit_test(test_modules_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
