/* tls/tls_config.h: a client profile's TLS configuration, built once and shared.
 *
 * One config per client profile: every session of the profile points at it, so thousands of
 * probes in flight share one parsed trust store, one suite list and one mbedTLS config. After
 * tls_config_new it is only read, apart from two things sessions write: the trust anchors'
 * signature memo (its own lock) and the config's pool of finished sessions' mbedTLS contexts.
 * Any number of sessions, on any threads, may use a config at once.
 *
 * The pool's rule: it is one thread's. The first thread whose session takes a context from it
 * or gives one back owns it; sessions on other threads neither take nor give (they set up and
 * free their own context, as without a pool), so no context moves between threads and the list
 * has no lock. Sessions are cheapest on the config's owning thread: build one config per event
 * loop (tdsprobe does, one engine per loop thread) rather than one shared by every thread. The
 * pool keeps at most TLS_CTXPOOL_MAX (8) reset contexts (~40 KiB each) until tls_config_free, which must come
 * after every session of the config was freed. Versions are TLS_V10..TLS_V12
 * (tls/tls_version.h). */
#ifndef TLS_TLS_CONFIG_H
#define TLS_TLS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tls_handshake_mode {
    TLS_HANDSHAKE_FULL,        /* to Finished */
    TLS_HANDSHAKE_CERTIFICATE, /* stop after ServerHelloDone was read and checked */
    TLS_HANDSHAKE_HELLO,       /* stop once mbedTLS accepted the ServerHello (version and suite
                                  known, nothing verified, no chain captured): the cheapest
                                  handshake, one connection per probed suite */
};

struct tls_config;

struct tls_config_opts {
    int min_version;           /* TLS_V10..TLS_V12 */
    int max_version;
    const char *ca_file;       /* PEM/DER file or directory; NULL = no trust anchors */
    const char *alpn;          /* e.g. "tds/8.0", or NULL */
    const uint16_t *ciphersuites; /* IANA ids, 0-terminated; NULL = what real clients offer
                                     (tls_default_suites, tls/tls_suites.h) */
    enum tls_handshake_mode mode;
    bool app_data;             /* application data follows a FULL handshake (TDS 8.0 strict):
                                  keep the TLS context. Otherwise every session gives its ~40 KB
                                  mbedTLS context back to the config's pool the moment the
                                  handshake ends, which is what keeps thousands of probes in
                                  flight cheap. */
};

/* On failure returns -1 and writes a sentence into err (e.g. "cannot read CA file X: ...").
 * Cheap when ca_file is NULL (a few microseconds): a config seeds no random generator of its
 * own; every session draws from its thread's DRBG (see tls/tls_rng.c). */
int tls_config_new(struct tls_config **out, const struct tls_config_opts *o, char *err,
                   size_t errlen);
void tls_config_free(struct tls_config *cfg);
/* Number of certificates in the trust store (0 when none). */
size_t tls_config_ca_count(const struct tls_config *cfg);
/* Certificates in the CA file/directory that could not be parsed (loaded anyway: the rest of a
 * bundle still counts), so a front end can warn. */
size_t tls_config_ca_failed(const struct tls_config *cfg);

#endif
