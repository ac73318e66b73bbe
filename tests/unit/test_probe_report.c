/* tests/unit/test_probe_report.c: the JSON Lines and text writers.
 *
 * The JSON is checked by a strict validator (json_check.h: RFC 8259 grammar, UTF-8, no
 * duplicate keys) that also collects every key path ("client.driver", "tls.chain[].san"), so
 * the tests can compare the field names with the contract's exactly; Python's json module
 * parses the same output as a second opinion. Hostile certificate strings (quotes, newlines,
 * escape sequences, invalid UTF-8) must come out escaped in both formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "probe/model/probe.h"
#include "probe/diagnose/probe_diagnose.h"
#include "probe/output/probe_report.h"
#include "probe/engine/probe_neterr.h"

#include "json_check.h"
#include "probe_fixture.h"


#include "tests/unit/capture.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

static void json_of(const struct probe_result *r, struct cap *c)
{
    FILE *f = cap_open(c);

    probe_report_json(f, r);
    cap_close(f);
}

static void text_of(const struct probe_result *r, bool color, struct cap *c)
{
    FILE *f = cap_open(c);

    probe_report_text(f, r, color);
    cap_close(f);
}

static void assert_valid_json(const struct cap *c, struct jv *v)
{
    if (!jv_parse_line(v, c->buf, c->len)) {
        fail_msg("invalid JSON line near offset %ld:\n%s", (long)(v->p - c->buf), c->buf);
    }
}

/* Python's json module as a second, independent parser; and the record checked against
 * docs/tdsprobe.schema.json by tests/lib/tdsprobe_schema.py when python3-jsonschema is there
 * (tests/integration/test_schema.py is the test that requires it). */
static void assert_python_parses(const struct cap *c)
{
    char path[] = "/tmp/tdsprobe-json-XXXXXX";
    char cmd[1024];
    int fd = mkstemp(path);
    FILE *f;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(c->buf, 1, c->len, f), c->len);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; json.loads(open(sys.argv[1],\"rb\").read()"
             ".decode(\"utf-8\"))' %s", path);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "python3 '%s/../lib/tdsprobe_schema.py' --if-available %s",
             TDSPROBE_TEST_DATA, path);
    assert_int_equal(system(cmd), 0);
    unlink(path);
}

/* ---- fixture ---- */

struct fx {
    struct probe_target t;
    struct probe_result r;
    struct tls_info ti;
    struct tls_cert certs[2];
    struct tls_san sans[2][4];
};

static void fx_cert(struct fx *x, int i, const char *cn, const char *issuer_cn)
{
    struct tls_cert *c = &x->certs[i];
    time_t now = time(NULL);

    probe_fixture_cert(c, x->sans[i], i == 0, cn, issuer_cn);
    snprintf(c->serial, sizeof(c->serial), "4f2a");
    c->not_before = now - 10 * DAY;
    c->not_after = now + 100 * DAY + 3600;
    c->self_signed = i > 0;
    memset(c->sha256, '0' + i, 64);
    c->sha256[64] = '\0';
}

/* The shared fixture as a Windows host reports it, with the server's version and timings. */
static struct fx *fx_new(void)
{
    struct fx *x = calloc(1, sizeof(*x));

    assert_non_null(x);
    probe_fixture_ok(&x->t, &x->r, &x->ti);
    snprintf(x->t.text, sizeof(x->t.text), "Server=db1.contoso.com;Encrypt=Mandatory");
    x->t.client.tls_min = TLS_V10;
    x->t.client.tls_max = TLS_V12;
    x->t.client.os = PROBE_OS_WINDOWS; /* the same report on every build host */
    x->r.facts.prelogin.has_mars = true;
    snprintf(x->r.facts.server_version, sizeof(x->r.facts.server_version), "16.0.1000");
    snprintf(x->r.facts.server_product, sizeof(x->r.facts.server_product), "SQL Server 2022");
    fx_cert(x, 0, "db1.contoso.com", "Contoso CA");
    x->certs[0].san[0] = (struct tls_san){.type = TLS_SAN_DNS, .value = "db1.contoso.com"};
    x->certs[0].san[1] = (struct tls_san){.type = TLS_SAN_IP, .value = "10.0.0.5"};
    x->certs[0].n_san = 2;
    fx_cert(x, 1, "Contoso CA", "Contoso CA");
    x->ti.chain = x->certs;
    x->ti.chain_len = 2;
    x->r.facts.t_resolve = 0.4;
    x->r.facts.t_browser = -1;
    x->r.facts.t_connect = 0.2;
    x->r.facts.t_prelogin = 0.5;
    x->r.facts.t_handshake = 3.1;
    x->r.facts.t_total = 4.3;
    return x;
}

static void fx_finding(struct fx *x, enum tls_finding_code code, enum tls_severity sev,
                       int cert, const char *msg)
{
    probe_fixture_finding(&x->r.verdict, code, sev, cert, msg);
}

/* Diagnoses the fixture and writes its JSON record into c, which must parse as JSON into *v. */
static void diagnosed_json(struct fx *x, struct cap *c, struct jv *v)
{
    probe_diagnose(&x->r);
    json_of(&x->r, c);
    assert_valid_json(c, v);
}

/* Diagnoses the fixture and writes its text report, without colour, into c. */
static void diagnosed_text(struct fx *x, struct cap *c)
{
    probe_diagnose(&x->r);
    text_of(&x->r, false, c);
}

static void fx_free(struct fx *x, struct cap *c)
{
    free(c->buf);
    free(x);
}

/* ---- JSON ---- */

#define TOP_KEYS                                                                          \
    "address,audit_transport,ciphers,client,diagnosis,findings,followup,handshake,host,"      \
    "instance,mode,phase,port,probed_at,protocols,protocols_detail,schema_version,server,"    \
    "status,target,tdsprobe_version,timing_ms,tls,tls12_enforced,tls_scope"

/* Every object of a record and its keys, sorted: exactly these, no more. */
static const struct {
    const char *path;
    const char *keys;
} fields[] = {
    { "", TOP_KEYS },
    { "client", "driver,encrypt,host_name_in_certificate,name_checked,os,sent_encryption,"
                "tls_max,tls_min,tls_stack,trust_server_certificate,validates" },
    { "diagnosis", "cause,code,fix,message,other_platforms" },
    { "findings[]", "cert,code,message,severity" },
    { "server", "encryption,fedauth_required,instance,mars,product,version" },
    { "tls", "alert,alpn,chain,cipher,group,hello_retry,signature_scheme,stage,version" },
    { "tls.chain[]", "days_left,eku,is_ca,issuer,key_bits,key_curve,key_type,key_usage,"
                     "not_after,not_before,san,self_signed,serial,serial_negative,sha256,"
                     "signature_algorithm,subject" },
    { "timing_ms", "browser,connect,handshake,prelogin,resolve,total" },
};

static void test_json_fields_exact(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    struct jv v;
    char keys[1024];

    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "the client expects db9");
    snprintf(x->t.host, sizeof(x->t.host), "db9.contoso.com");
    x->r.facts.followup_ran = true; /* adds an engine finding, which has no certificate */
    diagnosed_json(x, &c, &v);
    assert_python_parses(&c);

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        keys_under(&v, fields[i].path, keys, sizeof(keys));
        assert_string_equal(keys, fields[i].keys);
    }

    assert_contains(c.buf, "\"status\":\"fail\"");
    assert_contains(c.buf, "\"diagnosis\":{\"code\":\"name_mismatch\",\"message\":\"The target "
                           "principal name is incorrect.\"");
    assert_contains(c.buf, "\"mode\":\"tds7\"");
    assert_contains(c.buf, "\"port\":1433");
    assert_contains(c.buf, "\"instance\":null");
    assert_contains(c.buf, "\"host_name_in_certificate\":null");
    assert_contains(c.buf, "\"sent_encryption\":\"on\"");
    assert_contains(c.buf, "\"name_checked\":\"db9.contoso.com\"");
    assert_contains(c.buf, "\"server\":{\"version\":\"16.0.1000\",\"product\":\"SQL Server "
                           "2022\",\"encryption\":\"on\",\"instance\":null,\"mars\":false,"
                           "\"fedauth_required\":null}");
    assert_contains(c.buf, "\"san\":[\"DNS:db1.contoso.com\",\"IP:10.0.0.5\"]");
    assert_contains(c.buf, "\"days_left\":100,");
    assert_contains(c.buf, "\"eku\":[\"serverAuth\"]");
    assert_contains(c.buf, "\"key_usage\":[\"digitalSignature\",\"keyEncipherment\"]");
    assert_contains(c.buf, "\"protocols\":null,\"protocols_detail\":null,"
                           "\"tls12_enforced\":null,\"ciphers\":null");
    assert_contains(c.buf, "\"browser\":null");
    assert_contains(c.buf, "\"handshake\":3.100");
    assert_contains(c.buf, "\"cert\":0}");
    assert_contains(c.buf, "\"cert\":null}"); /* the engine's findings have no certificate */
    fx_free(x, &c);
}

/* Every record says which schema it follows, which tdsprobe wrote it and when (RFC 3339 UTC),
 * first, so an archived line explains itself. */
static void test_json_record_head(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    struct jv v;
    char before[21], after[21], head[160], at[21];

    probe_diagnose(&x->r);
    tls_time_format(time(NULL), before);
    json_of(&x->r, &c);
    tls_time_format(time(NULL), after);
    assert_valid_json(&c, &v);
    assert_python_parses(&c);
    snprintf(head, sizeof(head), "{\"schema_version\":%d,\"tdsprobe_version\":\"%s\","
             "\"probed_at\":\"", PROBE_JSON_SCHEMA_VERSION, probe_version());
    assert_int_equal(strncmp(c.buf, head, strlen(head)), 0);
    assert_int_equal(PROBE_JSON_SCHEMA_VERSION, 1);
    /* "N.N.N", as project(VERSION) in CMakeLists.txt gives it */
    const char *ver = probe_version();
    const char *dot1 = strchr(ver, '.'), *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
    assert_true(strspn(ver, "0123456789.") == strlen(ver) && dot2 != NULL && ver[0] != '.');
    assert_null(strchr(dot2 + 1, '.'));
    memcpy(at, c.buf + strlen(head), 20);
    at[20] = '\0';
    assert_int_equal(c.buf[strlen(head) + 20], '"');
    assert_true(strcmp(before, at) <= 0 && strcmp(at, after) <= 0); /* same format: same order */
    fx_free(x, &c);
}

static void test_json_dates_rfc3339(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    struct jv v;

    x->certs[0].not_before = 1767225600; /* 2026-01-01T00:00:00Z */
    x->certs[0].not_after = 1798761600;  /* 2027-01-01T00:00:00Z */
    diagnosed_json(x, &c, &v);
    assert_contains(c.buf, "\"not_before\":\"2026-01-01T00:00:00Z\"");
    assert_contains(c.buf, "\"not_after\":\"2027-01-01T00:00:00Z\"");
    fx_free(x, &c);
}

static void test_json_nulls_when_not_reached(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    struct jv v;
    char keys[1024];

    x->r.facts.tls = NULL;
    x->r.facts.got_prelogin = false;
    x->r.facts.phase = PROBE_PHASE_RESOLVE;
    x->r.facts.net = probe_net_error_from_uv(UV_EAI_NONAME);
    x->r.facts.address[0] = '\0';
    x->r.facts.t_connect = x->r.facts.t_prelogin = x->r.facts.t_handshake = -1;
    diagnosed_json(x, &c, &v);
    assert_python_parses(&c);
    keys_under(&v, "", keys, sizeof(keys));
    assert_string_equal(keys, TOP_KEYS);
    assert_contains(c.buf, "\"status\":\"error\"");
    assert_contains(c.buf, "\"code\":\"dns_failure\"");
    assert_contains(c.buf, "\"server\":null");
    assert_contains(c.buf, "\"tls\":null");
    assert_contains(c.buf, "\"address\":null");
    assert_contains(c.buf, "\"followup\":null");
    assert_contains(c.buf, "\"audit_transport\":null");
    assert_contains(c.buf, "\"timing_ms\":{\"resolve\":0.400,\"connect\":null,\"prelogin\":null,"
                           "\"handshake\":null,\"total\":4.300,\"browser\":null}");
    fx_free(x, &c);
}

static void test_json_string_escapes(void **state)
{
    struct cap c;
    FILE *f = cap_open(&c);

    probe_json_string(f, "a\"b\\c\nd\te\x1b[31m\x7f");
    fputc('|', f);
    probe_json_string(f, "\xc3\xa9\xe2\x9c\x93\xf0\x9f\x94\x92"); /* é ✓ 🔒 pass through */
    fputc('|', f);
    probe_json_string(f, "x\xff" "y\xc3(" "z\xed\xa0\x80" "w\xc0\xaf"); /* invalid */
    fputc('|', f);
    probe_json_string(f, NULL);
    cap_close(f);
    assert_string_equal(c.buf, "\"a\\\"b\\\\c\\nd\\u0009e\\u001b[31m\\u007f\"|"
                               "\"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x94\x92\"|"
                               "\"x\\ufffdy\\ufffd(z\\ufffd\\ufffd\\ufffdw\\ufffd\\ufffd\"|"
                               "null");
    free(c.buf);
}

static void fx_hostile(struct fx *x)
{
    static const char evil[] = "CN=\"evil\"\n\x1b]0;pwned\x07\\ \xff\xfe \xc2\x9b" "2J \xc3\xa9";

    snprintf(x->certs[0].subject, sizeof(x->certs[0].subject), "%s", evil);
    snprintf(x->certs[0].issuer, sizeof(x->certs[0].issuer), "%s", evil);
    snprintf(x->certs[0].san[0].value, sizeof(x->certs[0].san[0].value), "%s", evil);
    snprintf(x->certs[0].serial, sizeof(x->certs[0].serial), "%s", evil);
    snprintf(x->ti.cipher, sizeof(x->ti.cipher), "%s", evil);
    snprintf(x->r.facts.server_product, sizeof(x->r.facts.server_product), "%s", evil);
    fx_finding(x, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, evil);
}

static void test_json_hostile_strings(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    struct jv v;

    fx_hostile(x);
    diagnosed_json(x, &c, &v);
    assert_python_parses(&c);
    assert_null(memchr(c.buf, 0x1b, c.len));
    assert_null(memchr(c.buf, 0x07, c.len));
    assert_contains(c.buf, "\"subject\":\"CN=\\\"evil\\\"\\n\\u001b]0;pwned\\u0007\\\\ "
                           "\\ufffd\\ufffd \xc2\x9b" "2J \xc3\xa9\"");
    fx_free(x, &c);
}

static void test_json_unparsed_cert(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    struct jv v;
    char keys[1024];

    x->certs[1].parsed = false;
    snprintf(x->certs[1].parse_error, sizeof(x->certs[1].parse_error), "bad \"DER\"");
    diagnosed_json(x, &c, &v);
    keys_under(&v, "tls.chain[]", keys, sizeof(keys));
    assert_contains(keys, "parse_error");
    assert_contains(c.buf, "\"parse_error\":\"bad \\\"DER\\\"\"");
    fx_free(x, &c);
}

static void test_json_every_diagnosis_valid(void **state)
{
    /* each path through the writer, from facts that reach different diagnoses */
    for (int k = 0; k < 6; k++) {
        struct fx *x = fx_new();
        struct cap c;
        struct jv v;
        if (k == 1) {
            x->r.facts.tls = NULL;
            x->r.facts.phase = PROBE_PHASE_CONNECT;
            x->r.facts.got_prelogin = false;
            x->r.facts.net = probe_net_error_from_uv(UV_ECONNREFUSED);
        } else if (k == 2) {
            x->ti.stage = TLS_STAGE_CLIENT_HELLO_SENT;
            x->ti.chain_len = 0;
            x->ti.peer_reset = true;
            x->r.facts.phase = PROBE_PHASE_HANDSHAKE;
            x->r.facts.followup_ran = true;
        } else if (k == 3) {
            x->r.facts.tds8 = true;
            x->t.client.encrypt = PROBE_ENCRYPT_STRICT;
            snprintf(x->ti.alpn, sizeof(x->ti.alpn), "tds/8.0");
        } else if (k == 4) {
            x->r.facts.scope = TDS_TLS_TERMINATE;
            x->r.facts.prelogin.encryption = TDS_ENC_NOT_SUP;
            x->r.facts.tls = NULL;
        } else if (k == 5) {
            x->ti.alert_received = true;
            x->ti.alert_description = 70;
            x->ti.stage = TLS_STAGE_SERVER_HELLO;
        }
        diagnosed_json(x, &c, &v);
        if (k == 3) {
            assert_contains(c.buf, "\"mode\":\"tds8\"");
            assert_contains(c.buf, "\"alpn\":\"tds/8.0\"");
        }
        if (k == 5) {
            assert_contains(c.buf, "\"alert\":\"protocol_version\"");
        }
        fx_free(x, &c);
    }
}

/* ---- text ---- */

static void test_text_layout(void **state)
{
    struct fx *x = fx_new();
    struct cap c;
    const char *order[] = {"Target", "Server", "Client", "TLS", "Chain", "Checks", "Verdict",
                           "Cause", "Fix"};
    const char *at = NULL;

    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, 1, "the chain's root is not trusted");
    diagnosed_text(x, &c);
    /* top to bottom */
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *p = strstr(c.buf, order[i]);
        if (p == NULL || (at != NULL && p < at)) {
            fail_msg("section %s missing or out of order:\n%s", order[i], c.buf);
        }
        at = p;
    }
    assert_contains(c.buf, "SQL Server 2022 (16.0.1000), encryption: on");
    assert_contains(c.buf, "sqlclient on Windows (TLS stack: Schannel, Windows 10 / Server "
                           "2019), Encrypt=mandatory, TrustServerCertificate=false; sends "
                           "ENCRYPTION=on; TLS scope: full; validates the certificate as "
                           "'db1.contoso.com'");
    assert_contains(c.buf, "TLSv1.2, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    assert_contains(c.buf, "#0 CN=db1.contoso.com\n");
    assert_contains(c.buf, "(100 days left)");
    assert_contains(c.buf, "RSA 2048");
    assert_contains(c.buf, "DNS:db1.contoso.com, IP:10.0.0.5");
    assert_contains(c.buf, "serverAuth");
    assert_contains(c.buf, "\u2717 trust");
    assert_contains(c.buf, "\u2713 name");
    assert_contains(c.buf, "\u2713 validity");
    assert_contains(c.buf, "\u2713 EKU");
    assert_contains(c.buf, "\u2713 key usage");
    assert_contains(c.buf, "\u2713 signature");
    assert_contains(c.buf, "\u2713 key size");
    assert_contains(c.buf, "\u2713 TLS version");
    assert_not_contains(c.buf, "\u2713 pin"); /* no ServerCertificate: no pin line */
    assert_contains(c.buf, "FAIL untrusted_chain: \"The certificate chain was issued by an "
                           "authority that is not trusted.\"");
    assert_contains(c.buf, "dpkg-reconfigure ca-certificates");
    assert_null(memchr(c.buf, 0x1b, c.len)); /* no colour asked */
    fx_free(x, &c);
}

static void test_text_ok_and_warnings(void **state)
{
    struct fx *x = fx_new();
    struct cap c;

    x->t.client.encrypt = PROBE_ENCRYPT_OPTIONAL;
    x->r.facts.sent_encryption = TDS_ENC_OFF;
    x->r.facts.prelogin.encryption = TDS_ENC_OFF;
    x->r.facts.scope = TDS_TLS_LOGIN_ONLY;
    x->r.facts.validates = false;
    x->ti.version = TLS_V10;
    fx_finding(x, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_WARNING, 1, "root not trusted");
    diagnosed_text(x, &c);
    assert_contains(c.buf, "Verdict    OK: \"A client with these settings would connect.\"");
    assert_contains(c.buf, "does not validate the certificate");
    assert_contains(c.buf, "! trust");
    assert_contains(c.buf, "! TLS version");
    assert_contains(c.buf, "login_only_tls: the client does not validate the certificate");
    fx_free(x, &c);
}

static void test_text_error(void **state)
{
    struct fx *x = fx_new();
    struct cap c;

    x->r.facts.tls = NULL;
    x->r.facts.got_prelogin = false;
    x->r.facts.phase = PROBE_PHASE_CONNECT;
    x->r.facts.timed_out = true;
    diagnosed_text(x, &c);
    assert_contains(c.buf, "ERROR timeout: \"Timeout expired.");
    assert_contains(c.buf, "The connect phase ran out of time");
    assert_not_contains(c.buf, "Checks");
    assert_not_contains(c.buf, "Server     ");
    fx_free(x, &c);
}

static void test_text_hostile_strings(void **state)
{
    struct fx *x = fx_new();
    struct cap c;

    fx_hostile(x);
    probe_diagnose(&x->r);
    for (int color = 0; color < 2; color++) {
        text_of(&x->r, color != 0, &c);
        /* the server's escape sequences never reach the terminal */
        assert_not_contains(c.buf, "\x1b]");
        assert_null(memchr(c.buf, 0x07, c.len));
        assert_not_contains(c.buf, "\xc2\x9b");
        assert_not_contains(c.buf, "\xff");
        assert_contains(c.buf,
                        "CN=\"evil\"\\x0a\\x1b]0;pwned\\x07\\ \\xff\\xfe \\u009b2J \xc3\xa9");
        if (color) {
            assert_contains(c.buf, "\x1b[1;31mFAIL name_mismatch\x1b[0m");
        } else {
            assert_null(memchr(c.buf, 0x1b, c.len));
        }
        free(c.buf);
    }
    free(x);
}

static void test_text_pin_line(void **state)
{
    struct fx *x = fx_new();
    struct cap c;

    snprintf(x->t.client.server_certificate, sizeof(x->t.client.server_certificate),
             "/etc/pin.pem");
    fx_finding(x, TLS_F_PIN_MISMATCH, TLS_SEV_ERROR, 0, "not the pinned certificate");
    diagnosed_text(x, &c);
    assert_contains(c.buf, "\u2717 pin         not the pinned certificate");
    assert_contains(c.buf, "FAIL pin_mismatch");
    fx_free(x, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_fields_exact),
        cmocka_unit_test(test_json_record_head),
        cmocka_unit_test(test_json_dates_rfc3339),
        cmocka_unit_test(test_json_nulls_when_not_reached),
        cmocka_unit_test(test_json_string_escapes),
        cmocka_unit_test(test_json_hostile_strings),
        cmocka_unit_test(test_json_unparsed_cert),
        cmocka_unit_test(test_json_every_diagnosis_valid),
        cmocka_unit_test(test_text_layout),
        cmocka_unit_test(test_text_ok_and_warnings),
        cmocka_unit_test(test_text_error),
        cmocka_unit_test(test_text_hostile_strings),
        cmocka_unit_test(test_text_pin_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
