/* tls/tls_pin.h: a pinned server certificate, as the drivers' ServerCertificate= names it: one
 * X.509 certificate in a PEM or DER file, kept as the DER bytes the server's own certificate
 * must equal byte for byte (SqlClient, ODBC 18, mssql-jdbc and go-mssqldb all compare the
 * encoded certificate, not a name or a key). */
#ifndef TLS_TLS_PIN_H
#define TLS_TLS_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_pin {
    uint8_t *der;      /* owned */
    size_t len;
    bool pem;          /* the file was PEM (else DER) */
    char sha256[65];   /* of der, lowercase hex */
};

/* The largest pin file read: a certificate of 600 names is 28 KB; the rest is slack. */
#define TLS_PIN_MAX_FILE (1024 * 1024)

/* buf as a pin: PEM (text with a "-----BEGIN CERTIFICATE-----" block: the first one counts,
 * as in every driver) or DER (exactly one certificate, nothing after it). Returns 0, or -1 with
 * why the bytes are neither in why ("it holds PEM blocks but no CERTIFICATE block"). */
int tls_pin_parse(struct tls_pin *p, const uint8_t *buf, size_t len, char *why, size_t cap);

/* Reads the file at path and parses it. Returns 0, or -1 with a sentence naming the file and
 * why in err. */
int tls_pin_load(struct tls_pin *p, const char *path, char *err, size_t cap);

void tls_pin_free(struct tls_pin *p);

#endif
