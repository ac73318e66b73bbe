/* tls/tls_cert.h: one X.509 certificate as plain data (what the report and the policy need),
 * extracted with mbedTLS but holding no mbedTLS type. */
#ifndef TLS_TLS_CERT_H
#define TLS_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TLS_MAX_SAN 32
#define TLS_MAX_CHAIN 10

/* EKU bits (only the ones clients care about; others are listed by OID in eku_other). */
#define TLS_EKU_SERVER_AUTH 0x01u
#define TLS_EKU_CLIENT_AUTH 0x02u
#define TLS_EKU_ANY 0x04u
#define TLS_EKU_OTHER 0x08u

/* Key usage bits, the X.509 order (RFC 5280 4.2.1.3). */
#define TLS_KU_DIGITAL_SIGNATURE 0x001u
#define TLS_KU_NON_REPUDIATION 0x002u
#define TLS_KU_KEY_ENCIPHERMENT 0x004u
#define TLS_KU_DATA_ENCIPHERMENT 0x008u
#define TLS_KU_KEY_AGREEMENT 0x010u
#define TLS_KU_KEY_CERT_SIGN 0x020u
#define TLS_KU_CRL_SIGN 0x040u
#define TLS_KU_ENCIPHER_ONLY 0x080u
#define TLS_KU_DECIPHER_ONLY 0x100u

enum tls_san_type { TLS_SAN_DNS, TLS_SAN_IP };

struct tls_san {
    enum tls_san_type type;
    char value[256]; /* DNS name as written, or the IP address in text form */
};

struct tls_cert {
    bool parsed;         /* false: DER kept, fields empty, parse_error says why */
    char parse_error[128];
    int x509_version;    /* 1 or 3 */
    char subject[512];   /* "CN=db1, O=Contoso" (mbedTLS DN text) */
    char issuer[512];
    char subject_cn[256]; /* first CN, "" if none */
    char serial[130];    /* lowercase hex of the DER INTEGER content bytes */
    bool serial_negative;
    size_t n_san;
    struct tls_san *san; /* owned array of n_san (at most TLS_MAX_SAN kept) */
    bool has_san_ext;
    time_t not_before;   /* UTC */
    time_t not_after;
    char signature_algorithm[48]; /* "sha256WithRSAEncryption", "ecdsa-with-SHA256", ... */
    int signature_bits;  /* security bits of the signature hash: MD5 0, SHA-1 63, SHA-256 128 ... */
    char key_type[16];   /* "RSA", "EC", "unknown" */
    int key_bits;
    char key_curve[24];  /* "secp256r1" for EC keys */
    bool has_eku;
    unsigned eku;        /* TLS_EKU_* */
    bool has_key_usage;
    unsigned key_usage;  /* TLS_KU_* */
    bool is_ca;          /* basicConstraints cA */
    bool self_signed;    /* subject == issuer and the signature verifies with its own key */
    char sha256[65];     /* lowercase hex of SHA-256 over the DER */
    uint8_t *der;        /* owned copy of the DER */
    size_t der_len;
    size_t n_san_total;  /* DNS + IP entries in the SAN extension (n_san keeps the first
                            TLS_MAX_SAN; name matching still sees them all through the DER) */
    size_t n_eku_other;  /* TLS_EKU_OTHER purposes, by name ("codeSigning") or dotted OID */
    char eku_other[4][48];
};

/* Fills c from DER (copies it). Never fails hard: an unparsable certificate gets parsed=false and
 * parse_error, and keeps the DER and SHA-256. Returns 0, or -1 only on allocation failure. */
int tls_cert_from_der(struct tls_cert *c, const uint8_t *der, size_t len);
void tls_cert_clear(struct tls_cert *c);
/* "serverAuth", "clientAuth", ... into names[] (at most max); returns count. */
size_t tls_cert_eku_names(const struct tls_cert *c, const char **names, size_t max);
/* "digitalSignature", "keyEncipherment", ... */
size_t tls_cert_key_usage_names(const struct tls_cert *c, const char **names, size_t max);
/* RFC 3339 UTC, "2026-01-01T00:00:00Z". */
void tls_time_format(time_t t, char out[21]);

#endif
