/* tests/unit/test_tls_server.h: an in-process mbedTLS server wired to a tls_session over memory
 * (s2n's s2n_negotiate_test_server_and_client, picotls's test pairs): the client and the server
 * run in one process and the harness shuttles their bytes. */
#ifndef TESTS_UNIT_TEST_TLS_SERVER_H
#define TESTS_UNIT_TEST_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls_policy.h"
#include "tls/tls_session.h"

#define KIT(name) TDSPROBE_CERTS "/" name

struct srv_opts {
    const char *cert;     /* PEM: leaf (+ chain), e.g. KIT("good.pem") */
    const char *key;
    int min_version;      /* 0 = TLS_V10 */
    int max_version;      /* 0 = TLS_V12 */
    const char *alpn;     /* server ALPN list (one name), or NULL */
    const int *suites;    /* server suites (mbedTLS ids, 0-terminated), or NULL */
    bool ask_client_cert; /* send a CertificateRequest (client certificate optional) */
};

struct pair_result {
    enum tls_step step;         /* the client's last answer */
    int server_ret;             /* mbedtls_ssl_handshake() of the server, last value */
    size_t client_bytes;        /* everything the client produced */
    size_t client_bytes_after_flight; /* produced after the server's first flight arrived */
    size_t server_bytes;
    char server_sni[256];       /* SNI the server saw, "" if none */
};

/* Runs one handshake: client session (with cfg, sni) against an mbedTLS server. The session
 * is returned in *out (caller frees). chunk > 0 feeds server bytes to the client in pieces of
 * that size. */
void pair_run(const struct tls_config *cfg, const char *sni, const struct srv_opts *so,
              size_t chunk, struct tls_session **out, struct pair_result *res);

/* A client config: ca may be NULL; versions 0 mean 1.0..1.2. */
struct tls_config *client_config(const char *ca, int min, int max, enum tls_handshake_mode mode,
                                 const char *alpn);

/* The DER of the first certificate in a PEM file (malloc'd), or NULL. */
uint8_t *pem_first_der(const char *path, size_t *len);
/* Whole file (malloc'd), or NULL. */
uint8_t *read_file(const char *path, size_t *len);
/* Hex text with '#' comment lines into bytes (malloc'd). */
uint8_t *read_hex(const char *path, size_t *len);

/* tls_policy_opts with the client defaults: SqlClient-like rules, validating, now. */
struct tls_policy_opts policy_defaults(const char *name);

/* Index of the first finding with this code, or -1. */
int finding_index(const struct tls_verdict *v, enum tls_finding_code code);

#endif
