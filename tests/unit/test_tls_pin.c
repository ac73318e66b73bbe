/* tests/unit/test_tls_pin.c: pinned certificates read from PEM and DER files (tls/tls_pin.h),
 * and every way a file can be neither. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_tls_server.h"
#include "tls/tls_cert.h"
#include "tls/tls_pin.h"

#define FALLBACK_DER TDSPROBE_TEST_DATA "/ssl_self_signed_fallback_mssql2017_linux.der"

static char tmpdir[] = "/tmp/tls_pin_XXXXXX";

static const char *put(const char *name, const void *data, size_t len)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(len, fwrite(data, 1, len, f));
    fclose(f);
    return path;
}

/* tls_pin_load of a file holding data; returns its error text ("" when it loaded). */
static const char *load_err(const char *name, const void *data, size_t len)
{
    static char err[400];
    struct tls_pin p;

    err[0] = '\0';
    if (tls_pin_load(&p, put(name, data, len), err, sizeof(err)) == 0) {
        tls_pin_free(&p);
        return "";
    }
    assert_non_null(strstr(err, name)); /* the message names the file */
    return err;
}

static void test_pem_first_certificate(void **state)
{
    struct tls_pin p;
    struct tls_cert c;
    size_t len;
    uint8_t *leaf = pem_first_der(KIT("good.pem"), &len); /* leaf + intermediate */
    char err[300];

    (void)state;
    assert_int_equal(0, tls_pin_load(&p, KIT("good.pem"), err, sizeof(err)));
    assert_true(p.pem);
    assert_int_equal(len, p.len);
    assert_memory_equal(leaf, p.der, len);
    assert_int_equal(0, tls_cert_from_der(&c, leaf, len));
    assert_string_equal(c.sha256, p.sha256);
    tls_cert_clear(&c);
    free(leaf);
    tls_pin_free(&p);
    assert_null(p.der);
}

static void test_der(void **state)
{
    struct tls_pin p, q;
    char err[300];
    size_t len;
    uint8_t *der = read_file(FALLBACK_DER, &len);

    (void)state;
    assert_int_equal(0, tls_pin_load(&p, FALLBACK_DER, err, sizeof(err)));
    assert_false(p.pem);
    assert_int_equal(len, p.len);
    assert_memory_equal(der, p.der, len);
    /* the same certificate as PEM and as DER is the same pin */
    tls_pin_free(&p);
    assert_int_equal(0, tls_pin_load(&q, KIT("good.pem"), err, sizeof(err)));
    assert_int_equal(0, tls_pin_load(&p, put("good.der", q.der, q.len), err, sizeof(err)));
    assert_false(p.pem);
    assert_string_equal(q.sha256, p.sha256);
    tls_pin_free(&p);
    tls_pin_free(&q);
    free(der);
}

static void test_neither(void **state)
{
    size_t len;
    uint8_t *der = read_file(FALLBACK_DER, &len);
    uint8_t *longer = malloc(len + 3);
    const char bad_b64[] = "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n";
    const char text[] = "this is a password list, not a certificate\n";

    (void)state;
    assert_non_null(strstr(load_err("empty.pem", "", 0), "it is empty"));
    assert_non_null(strstr(load_err("text.pem", text, strlen(text)), "neither PEM"));
    /* a private key is PEM, but not a certificate */
    size_t klen;
    uint8_t *key = read_file(KIT("good.key"), &klen);
    assert_non_null(strstr(load_err("key.pem", key, klen), "no CERTIFICATE block"));
    free(key);
    assert_non_null(strstr(load_err("b64.pem", bad_b64, strlen(bad_b64)), "cannot be decoded"));
    /* DER cut short, and DER with bytes after the certificate */
    assert_non_null(strstr(load_err("short.der", der, len / 2), "not an X.509 certificate"));
    memcpy(longer, der, len);
    memcpy(longer + len, "\0\0\0", 3);
    assert_non_null(strstr(load_err("long.der", longer, len + 3), "3 bytes follow"));
    free(longer);
    free(der);
}

static void test_file_errors(void **state)
{
    struct tls_pin p;
    char err[300];

    (void)state;
    assert_int_equal(-1, tls_pin_load(&p, "/nonexistent/pin.pem", err, sizeof(err)));
    assert_string_equal("server certificate file /nonexistent/pin.pem: No such file or directory",
                        err);
    assert_int_equal(-1, tls_pin_load(&p, tmpdir, err, sizeof(err)));
    assert_non_null(strstr(err, tmpdir));
    assert_null(p.der);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pem_first_certificate),
        cmocka_unit_test(test_der),
        cmocka_unit_test(test_neither),
        cmocka_unit_test(test_file_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
