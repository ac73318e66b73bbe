/* tests/unit/test_tds_ssrp.c: SQL Server Browser requests and SVR_RESP parsing (MC-SQLR
 * 2.2.5). Parses run on guard-page copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tds/tds_ssrp.h"
#include "test_tds_util.h"

/* Wraps RESP_DATA text into a datagram: 0x05, RESP_SIZE LE, text. */
static size_t datagram(const char *text, uint8_t *out, size_t cap)
{
    size_t n = strlen(text);
    assert_true(n + 3 <= cap);
    out[0] = 0x05;
    out[1] = (uint8_t)n;
    out[2] = (uint8_t)(n >> 8);
    memcpy(out + 3, text, n);
    return n + 3;
}

static int parse_guarded(const uint8_t *p, size_t n, struct tds_ssrp_instance *out, size_t max,
                         size_t *count, size_t *total, struct tds_error *e)
{
    uint8_t *g = guarded_copy(p, n);
    tds_error_clear(e);
    int rc = tds_ssrp_parse(g, n, out, max, count, total, e);
    guarded_free(g, n);
    return rc;
}

static void test_build_requests(void **state)
{
    uint8_t out[64];
    assert_int_equal(tds_ssrp_build_ucast_inst("SQLEXPRESS", out, sizeof(out)), 12);
    assert_memory_equal(out, "\x04SQLEXPRESS\x00", 12);
    assert_int_equal(tds_ssrp_build_ucast_ex(out, sizeof(out)), 1);
    assert_int_equal(out[0], 0x03);
    /* 32 bytes is the limit; 33, empty, NULL, or no room: 0 */
    char name[34];
    memset(name, 'N', 32);
    name[32] = '\0';
    assert_int_equal(tds_ssrp_build_ucast_inst(name, out, sizeof(out)), 34);
    name[32] = 'N';
    name[33] = '\0';
    assert_int_equal(tds_ssrp_build_ucast_inst(name, out, sizeof(out)), 0);
    assert_int_equal(tds_ssrp_build_ucast_inst("", out, sizeof(out)), 0);
    assert_int_equal(tds_ssrp_build_ucast_inst(NULL, out, sizeof(out)), 0);
    assert_int_equal(tds_ssrp_build_ucast_inst("AB", out, 3), 0);
    assert_int_equal(tds_ssrp_build_ucast_ex(out, 0), 0);
}

static const char two_instances[] =
    "ServerName;HOST;InstanceName;MSSQLSERVER;IsClustered;No;Version;15.0.2000.5;"
    "tcp;1433;np;\\\\HOST\\pipe\\sql\\query;;"
    "ServerName;HOST;InstanceName;SQLEXPRESS;IsClustered;Yes;Version;16.0.1000.6;"
    "np;\\\\HOST\\pipe\\MSSQL$SQLEXPRESS\\sql\\query;via;HOST,0:1433;tcp;50123;;";

static void test_parse_two_instances(void **state)
{
    uint8_t dg[512];
    size_t n = datagram(two_instances, dg, sizeof(dg));
    struct tds_ssrp_instance in[4];
    size_t count, total;
    struct tds_error e;

    assert_int_equal(parse_guarded(dg, n, in, 4, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(count, 2);
    assert_int_equal(total, 2);
    assert_string_equal(in[0].server, "HOST");
    assert_string_equal(in[0].instance, "MSSQLSERVER");
    assert_false(in[0].clustered);
    assert_string_equal(in[0].version, "15.0.2000.5");
    assert_int_equal(in[0].tcp_port, 1433);
    assert_string_equal(in[0].pipe, "\\\\HOST\\pipe\\sql\\query");
    /* np before tcp, and an unknown key (via) in between */
    assert_string_equal(in[1].instance, "SQLEXPRESS");
    assert_true(in[1].clustered);
    assert_string_equal(in[1].version, "16.0.1000.6");
    assert_int_equal(in[1].tcp_port, 50123);
    assert_string_equal(in[1].pipe, "\\\\HOST\\pipe\\MSSQL$SQLEXPRESS\\sql\\query");

    /* more instances than room: counted, not stored */
    memset(in, 0x5A, sizeof(in));
    assert_int_equal(parse_guarded(dg, n, in, 1, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(count, 1);
    assert_int_equal(total, 2);
    assert_string_equal(in[0].instance, "MSSQLSERVER");
    assert_int_equal((uint8_t)in[1].server[0], 0x5A);
    assert_int_equal(parse_guarded(dg, n, NULL, 0, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(count, 0);
    assert_int_equal(total, 2);
}

static void test_parse_no_tcp_no_np(void **state)
{
    uint8_t dg[256];
    size_t n = datagram("Version;11.0.2100.60;IsClustered;No;InstanceName;X;ServerName;S;;",
                        dg, sizeof(dg));
    struct tds_ssrp_instance in;
    size_t count, total;
    struct tds_error e;
    assert_int_equal(parse_guarded(dg, n, &in, 1, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(count, 1);
    assert_int_equal(in.tcp_port, -1);
    assert_string_equal(in.pipe, "");
    assert_string_equal(in.server, "S");
    assert_string_equal(in.version, "11.0.2100.60");
}

static void test_parse_empty_data(void **state)
{
    const uint8_t dg[] = { 0x05, 0x00, 0x00 };
    size_t count = 9, total = 9;
    struct tds_error e;
    assert_int_equal(parse_guarded(dg, sizeof(dg), NULL, 0, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(count, 0);
    assert_int_equal(total, 0);
}

static void expect_ssrp_error(const uint8_t *p, size_t n, enum tds_err code, size_t offset,
                              const char *needle)
{
    struct tds_ssrp_instance in[2];
    size_t count, total;
    struct tds_error e;
    int rc = parse_guarded(p, n, in, 2, &count, &total, &e);
    if (rc != (int)code) {
        fail_msg("expected %s, got %s (%s)", tds_err_name(code), tds_err_name(rc), e.detail);
    }
    assert_int_equal(e.offset, offset);
    if (strstr(e.detail, needle) == NULL) {
        fail_msg("detail \"%s\" lacks \"%s\"", e.detail, needle);
    }
}

static void expect_text_error(const char *text, enum tds_err code, size_t offset,
                              const char *needle)
{
    uint8_t dg[1024];
    size_t n = datagram(text, dg, sizeof(dg));
    expect_ssrp_error(dg, n, code, offset, needle);
}

static void test_header_errors(void **state)
{
    const uint8_t bad_type[] = { 0x04, 0x00, 0x00 };
    const uint8_t short_size[] = { 0x05, 0x01 };
    uint8_t dg[64];
    expect_ssrp_error(bad_type, 0, TDS_ERR_TRUNCATED, 0, "empty");
    expect_ssrp_error(bad_type, 3, TDS_ERR_SSRP_BAD_TYPE, 0, "starts with 0x04");
    expect_ssrp_error(short_size, 2, TDS_ERR_TRUNCATED, 2, "no RESP_SIZE");
    size_t n = datagram("ServerName;S;InstanceName;I;IsClustered;No;Version;1;;", dg, sizeof(dg));
    dg[1]++; /* RESP_SIZE one more than carried */
    expect_ssrp_error(dg, n, TDS_ERR_SSRP_BAD_SIZE, 1, "RESP_SIZE says 55 bytes but the "
                                                       "datagram carries 54");
    dg[1] -= 2;
    expect_ssrp_error(dg, n, TDS_ERR_SSRP_BAD_SIZE, 1, "RESP_SIZE says 53");
    /* RESP_SIZE is little-endian: 0x0100 read as BE would be 1 */
    dg[1] = 0x00;
    dg[2] = 0x01;
    expect_ssrp_error(dg, n, TDS_ERR_SSRP_BAD_SIZE, 1, "RESP_SIZE says 256");
}

static void test_syntax_errors(void **state)
{
    /* no ";;" at the end: the empty key after "1;" never comes */
    expect_text_error("ServerName;S;InstanceName;I;IsClustered;No;Version;1;",
                      TDS_ERR_SSRP_BAD_SYNTAX, 3 + 53, "has no ';'");
    /* a value without its ';' */
    expect_text_error("ServerName;S;InstanceName", TDS_ERR_SSRP_BAD_SYNTAX, 3 + 13, "has no ';'");
    /* an instance starting with ";" has no pairs at all */
    expect_text_error(";", TDS_ERR_SSRP_BAD_SYNTAX, 3, "has no ServerName");
    expect_text_error("ServerName;S;IsClustered;No;Version;1;;", TDS_ERR_SSRP_BAD_SYNTAX, 3,
                      "instance at offset 3 has no InstanceName");
    expect_text_error("ServerName;S;InstanceName;I;IsClustered;No;;", TDS_ERR_SSRP_BAD_SYNTAX, 3,
                      "has no Version");
    expect_text_error("ServerName;S;InstanceName;I;Version;1;;", TDS_ERR_SSRP_BAD_SYNTAX, 3,
                      "has no IsClustered");
    /* keys are case-sensitive */
    expect_text_error("servername;S;InstanceName;I;IsClustered;No;Version;1;;",
                      TDS_ERR_SSRP_BAD_SYNTAX, 3, "has no ServerName");
    /* second instance broken: offset points at it */
    expect_text_error("ServerName;S;InstanceName;I;IsClustered;No;Version;1;;ServerName;T;;",
                      TDS_ERR_SSRP_BAD_SYNTAX, 3 + 54, "instance at offset 57 has no Instance");
    uint8_t dg[64];
    size_t n = datagram("ServerName;S;InstanceName;I;IsClustered;No;Version;1;;", dg, sizeof(dg));
    dg[3 + 11] = '\0'; /* the S of ServerName's value */
    expect_ssrp_error(dg, n, TDS_ERR_SSRP_BAD_SYNTAX, 3 + 11, "NUL");
}

static void test_bad_ports(void **state)
{
    const char *ports[] = { "0", "65536", "99999", "14x3", "", "-1", "123456", " 1433" };
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "ServerName;S;InstanceName;I;IsClustered;No;Version;1;tcp;%s;;", ports[i]);
        expect_text_error(text, TDS_ERR_SSRP_BAD_SYNTAX, 3 + 57, "is not a number in 1..65535");
    }
    uint8_t dg[128];
    size_t n = datagram("ServerName;S;InstanceName;I;IsClustered;No;Version;1;tcp;65535;;", dg,
                        sizeof(dg));
    struct tds_ssrp_instance in;
    size_t count, total;
    struct tds_error e;
    assert_int_equal(parse_guarded(dg, n, &in, 1, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(in.tcp_port, 65535);
}

static void test_field_too_long(void **state)
{
    char text[1024], name[40];
    memset(name, 'I', 33);
    name[33] = '\0';
    snprintf(text, sizeof(text), "ServerName;S;InstanceName;%s;IsClustered;No;Version;1;;", name);
    expect_text_error(text, TDS_ERR_SSRP_FIELD_TOO_LONG, 3 + 26,
                      "InstanceName value at offset 29 is 33 bytes; the limit is 32");
    name[32] = '\0'; /* 32 fits */
    snprintf(text, sizeof(text), "ServerName;S;InstanceName;%s;IsClustered;No;Version;1;;", name);
    uint8_t dg[1024];
    size_t n = datagram(text, dg, sizeof(dg));
    struct tds_ssrp_instance in;
    size_t count, total;
    struct tds_error e;
    assert_int_equal(parse_guarded(dg, n, &in, 1, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(strlen(in.instance), 32);

    char ver[40];
    memset(ver, '9', 32);
    ver[32] = '\0';
    snprintf(text, sizeof(text), "ServerName;S;InstanceName;I;IsClustered;No;Version;%s;;", ver);
    expect_text_error(text, TDS_ERR_SSRP_FIELD_TOO_LONG, 3 + 51, "limit is 31");
    char big[300];
    memset(big, 'p', 256);
    big[256] = '\0';
    snprintf(text, sizeof(text), "ServerName;%s;InstanceName;I;IsClustered;No;Version;1;;", big);
    expect_text_error(text, TDS_ERR_SSRP_FIELD_TOO_LONG, 3 + 11, "ServerName value");
    snprintf(text, sizeof(text), "ServerName;S;InstanceName;I;IsClustered;No;Version;1;np;%s;;",
             big);
    expect_text_error(text, TDS_ERR_SSRP_FIELD_TOO_LONG, 3 + 56, "np value");
}

static void test_build_resp_roundtrip(void **state)
{
    struct tds_ssrp_instance in[3] = {
        { .server = "DB1", .instance = "MSSQLSERVER", .version = "16.0.1000.6",
          .clustered = false, .tcp_port = 1433, .pipe = "\\\\DB1\\pipe\\sql\\query" },
        { .server = "DB1", .instance = "SQLEXPRESS", .version = "15.0.2000.5",
          .clustered = true, .tcp_port = -1, .pipe = "" },
        { .server = "DB1", .instance = "DEV", .version = "14.0.3015.40", .tcp_port = 50000 },
    };
    uint8_t out[1024];
    size_t n = tds_ssrp_build_resp(in, 3, out, sizeof(out));
    assert_true(n > 3);
    assert_int_equal(out[0], 0x05);
    assert_int_equal(out[1] | out[2] << 8, n - 3);
    const char *want_start = "ServerName;DB1;InstanceName;MSSQLSERVER;IsClustered;No;"
                             "Version;16.0.1000.6;tcp;1433;np;\\\\DB1\\pipe\\sql\\query;;";
    assert_memory_equal(out + 3, want_start, strlen(want_start));

    struct tds_ssrp_instance back[3];
    size_t count, total;
    struct tds_error e;
    assert_int_equal(parse_guarded(out, n, back, 3, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(count, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(back[i].server, in[i].server);
        assert_string_equal(back[i].instance, in[i].instance);
        assert_string_equal(back[i].version, in[i].version);
        assert_int_equal(back[i].clustered, in[i].clustered);
        assert_int_equal(back[i].tcp_port, in[i].tcp_port);
        assert_string_equal(back[i].pipe, in[i].pipe);
    }
    /* no room, or a value with ';' (cannot be expressed): 0 */
    assert_int_equal(tds_ssrp_build_resp(in, 3, out, n - 1), 0);
    struct tds_ssrp_instance semi = { .server = "A;B", .instance = "I", .version = "1",
                                      .tcp_port = -1 };
    assert_int_equal(tds_ssrp_build_resp(&semi, 1, out, sizeof(out)), 0);
    /* zero instances: an empty reply that parses to nothing */
    assert_int_equal(tds_ssrp_build_resp(in, 0, out, sizeof(out)), 3);
    assert_int_equal(parse_guarded(out, 3, back, 3, &count, &total, &e), TDS_ERR_OK);
    assert_int_equal(total, 0);
}

static void test_every_prefix_rejected(void **state)
{
    uint8_t dg[512];
    size_t n = datagram(two_instances, dg, sizeof(dg));
    for (size_t k = 0; k < n; k++) {
        struct tds_ssrp_instance in[2];
        size_t count, total;
        struct tds_error e;
        int rc = parse_guarded(dg, k, in, 2, &count, &total, &e);
        if (rc == TDS_ERR_OK) {
            fail_msg("prefix of %zu/%zu bytes parsed", k, n);
        }
        assert_int_equal(e.code, rc);
        /* with RESP_SIZE patched to the prefix, the text itself is cut short */
        if (k > 3) {
            uint8_t *g = malloc(k);
            memcpy(g, dg, k);
            g[1] = (uint8_t)(k - 3);
            g[2] = (uint8_t)((k - 3) >> 8);
            uint8_t *gg = guarded_copy(g, k);
            tds_error_clear(&e);
            rc = tds_ssrp_parse(gg, k, in, 2, &count, &total, &e);
            guarded_free(gg, k);
            free(g);
            /* the one prefix that ends right after the first ";;" is a whole reply */
            if (rc == TDS_ERR_OK) {
                assert_int_equal(total, 1);
            } else {
                assert_true(rc == TDS_ERR_SSRP_BAD_SYNTAX || rc == TDS_ERR_SSRP_FIELD_TOO_LONG);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_requests),
        cmocka_unit_test(test_parse_two_instances),
        cmocka_unit_test(test_parse_no_tcp_no_np),
        cmocka_unit_test(test_parse_empty_data),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_field_too_long),
        cmocka_unit_test(test_build_resp_roundtrip),
        cmocka_unit_test(test_every_prefix_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
