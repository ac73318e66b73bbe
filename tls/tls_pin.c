/* tls/tls_pin.c: reading a pinned certificate (see tls_pin.h). */
#include "tls/tls_pin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls_mbedtls_compat.h"

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

/* der must be one whole X.509 certificate and nothing else. */
static int check_der(const uint8_t *der, size_t len, char *why, size_t cap)
{
    mbedtls_x509_crt crt;
    char e[100];

    mbedtls_x509_crt_init(&crt);
    int rc = mbedtls_x509_crt_parse_der(&crt, der, len);
    size_t used = crt.raw.len;
    mbedtls_x509_crt_free(&crt);
    if (rc != 0) {
        mbedtls_strerror(rc, e, sizeof(e));
        snprintf(why, cap, "it is not an X.509 certificate (%s)", e);
        return -1;
    }
    if (used != len) {
        snprintf(why, cap, "%zu bytes follow the certificate", len - used);
        return -1;
    }
    return 0;
}

static bool has_text(const uint8_t *buf, size_t len, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, s, n) == 0) {
            return true;
        }
    }
    return false;
}

static int keep(struct tls_pin *p, const uint8_t *der, size_t len, bool pem)
{
    unsigned char digest[32];

    p->der = malloc(len);
    if (p->der == NULL || mbedtls_sha256_ret(der, len, digest, 0) != 0) {
        free(p->der);
        p->der = NULL;
        return -1;
    }
    memcpy(p->der, der, len);
    p->len = len;
    p->pem = pem;
    for (size_t i = 0; i < sizeof(digest); i++) {
        snprintf(p->sha256 + 2 * i, 3, "%02x", digest[i]);
    }
    return 0;
}

/* The first CERTIFICATE block (mbedtls_pem_read_buffer skips what comes before it). */
static int parse_pem(struct tls_pin *p, const uint8_t *buf, size_t len, char *why, size_t cap)
{
    mbedtls_pem_context pem;
    char *text = malloc(len + 1);
    size_t used = 0;
    int rc;

    if (text == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    memcpy(text, buf, len);
    text[len] = '\0'; /* mbedtls_pem_read_buffer reads a C string */
    mbedtls_pem_init(&pem);
    rc = mbedtls_pem_read_buffer(&pem, pem_begin, pem_end, (const unsigned char *)text, NULL, 0,
                                 &used);
    free(text);
    if (rc != 0) {
        char e[100];
        mbedtls_strerror(rc, e, sizeof(e));
        snprintf(why, cap, "its PEM CERTIFICATE block cannot be decoded (%s)", e);
        mbedtls_pem_free(&pem);
        return -1;
    }
    size_t n = 0;
    const unsigned char *der = tls__pem_buffer(&pem, &n);
    rc = check_der(der, n, why, cap);
    if (rc == 0 && keep(p, der, n, true) != 0) {
        snprintf(why, cap, "out of memory");
        rc = -1;
    }
    mbedtls_pem_free(&pem);
    return rc;
}

int tls_pin_parse(struct tls_pin *p, const uint8_t *buf, size_t len, char *why, size_t cap)
{
    memset(p, 0, sizeof(*p));
    if (len == 0) {
        snprintf(why, cap, "it is empty");
        return -1;
    }
    if (has_text(buf, len, pem_begin)) {
        return parse_pem(p, buf, len, why, cap);
    }
    if (has_text(buf, len, "-----BEGIN ")) {
        snprintf(why, cap, "it holds PEM blocks but no CERTIFICATE block");
        return -1;
    }
    if (buf[0] != 0x30) { /* a DER certificate is a SEQUENCE (X.690 8.9) */
        snprintf(why, cap, "it is neither PEM (no \"%s\" line) nor DER (it does not start "
                           "with a SEQUENCE)", pem_begin);
        return -1;
    }
    if (check_der(buf, len, why, cap) != 0) {
        return -1;
    }
    if (keep(p, buf, len, false) != 0) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;

    if (f == NULL) {
        snprintf(why, cap, "%s", strerror(errno));
        return -1;
    }
    buf = malloc(TLS_PIN_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(why, cap, "out of memory");
        return -1;
    }
    *len = fread(buf, 1, TLS_PIN_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *len > TLS_PIN_MAX_FILE) {
        free(buf);
        snprintf(why, cap, bad ? "it cannot be read (a directory?)"
                               : "it is over 1 MiB: not one certificate");
        return -1;
    }
    *out = buf;
    return 0;
}

int tls_pin_load(struct tls_pin *p, const char *path, char *err, size_t cap)
{
    char why[200];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, why, sizeof(why));

    memset(p, 0, sizeof(*p));
    if (rc == 0) {
        rc = tls_pin_parse(p, buf, len, why, sizeof(why));
        free(buf);
    }
    if (rc != 0) {
        snprintf(err, cap, "server certificate file %s: %s", path, why);
    }
    return rc;
}

void tls_pin_free(struct tls_pin *p)
{
    free(p->der);
    memset(p, 0, sizeof(*p));
}
