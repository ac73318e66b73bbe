/* tests/unit/test_tls_server.h: an in-process mbedTLS server wired to a tls_session over memory
 * (s2n's s2n_negotiate_test_server_and_client, picotls's test pairs): the client and the server
 * run in one process and the harness shuttles their bytes. */
#ifndef TESTS_UNIT_TEST_TLS_SERVER_H
#define TESTS_UNIT_TEST_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls/tls_config.h"
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
    bool arc4;            /* allow RC4 suites (mbedTLS withholds them by default) */
    const char *greeting; /* application data sent right after the server's Finished */
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

/* The same, keeping both ends for application data: pair_client() is the session (owned by the
 * pair), pair_close() frees both. */
struct pair;
struct pair *pair_open(const struct tls_config *cfg, const char *sni, const struct srv_opts *so,
                       size_t chunk, struct pair_result *res);
struct tls_session *pair_client(struct pair *p);
void pair_close(struct pair *p);
/* Moves the client's output to the server and reads application data there (0: none yet). */
size_t pair_server_read(struct pair *p, uint8_t *buf, size_t cap);
/* The server encrypts n bytes / sends close_notify; pair_to_client() delivers it. */
void pair_server_write(struct pair *p, const uint8_t *data, size_t n);
void pair_server_close_notify(struct pair *p);
/* Feeds the server's pending output to the client in chunk-sized pieces (0 = at once); returns
 * how many bytes it fed. */
size_t pair_to_client(struct pair *p, size_t chunk);

/* Hands raw client bytes (a hand-built ClientHello) to a fresh server, steps it until it waits
 * or fails, and returns what it sent (at most cap bytes) and the SNI it saw. */
size_t srv_reply(const struct srv_opts *so, const uint8_t *in, size_t n, uint8_t *out,
                 size_t cap, char sni[256]);

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
