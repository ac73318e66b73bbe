/* tls/tls_int.h: internals shared by the sources of tls/ (never included outside tls/ and its
 * tests). Cross-file internals use the tls__ prefix. The reads of mbedTLS fields that
 * mbedTLS 3.x makes private are in tls/tls_mbedtls_compat.h, not here. */
#ifndef TLS_TLS_INT_H
#define TLS_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "tds/tds_cursor.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"

/* Largest handshake message the sniffer reassembles. A real chain is a few KB; SQL Server
 * chains with many intermediates stay far below this. Bigger messages are skipped, not kept. */
#define TLS_SNIFF_MAX_HS (64u * 1024u)
/* RFC 5246 6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes. */
#define TLS_MAX_RECORD (16384u + 2048u)

/* Record content types (RFC 5246 6.2.1, RFC 8446 5.1). */
enum {
    TLS_REC_CCS = 20,
    TLS_REC_ALERT = 21,
    TLS_REC_HANDSHAKE = 22,
    TLS_REC_APPDATA = 23,
};

/* Handshake message types (RFC 5246 7.4, RFC 8446 4). */
enum {
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TLS_HS_SERVER_HELLO_DONE = 14,
};

/* Extension types (IANA TLS ExtensionType registry; RFC 6066 3, RFC 8422 5.1.1, RFC 5246
 * 7.4.1.4.1, RFC 7301 3.1, RFC 8446 4.2). */
enum {
    TLS_EXT_SERVER_NAME = 0,
    TLS_EXT_SUPPORTED_GROUPS = 10,
    TLS_EXT_SIGNATURE_ALGORITHMS = 13,
    TLS_EXT_ALPN = 16,
    TLS_EXT_SUPPORTED_VERSIONS = 43,
    TLS_EXT_PSK_MODES = 45,
    TLS_EXT_KEY_SHARE = 51,
};

/* The record sniffer: reads the server's plaintext records (everything before its
 * ChangeCipherSpec) as they are fed, independently of mbedTLS. */
struct tls_sniff {
    uint8_t hdr[5];
    size_t hdr_have;
    uint8_t rec_type;
    size_t rec_left;      /* body bytes of the current record still to come */
    bool stopped;         /* server ChangeCipherSpec seen, or the stream is not TLS */
    bool not_tls;         /* a record header made no sense */
    uint8_t alert[2];
    size_t alert_have;
    uint8_t *hs;          /* handshake reassembly, allocated only while a message is partial */
    size_t hs_len;
    size_t hs_cap;
    size_t hs_skip;       /* bytes of an over-long handshake message still to drop */
    uint8_t skip_type;    /* that message's type and announced length */
    size_t skip_len;
    bool hello_only;      /* stop after the ServerHello (hello mode parses no chain) */
    bool defer_parse;     /* capture the chain's DER only; tls__sniff_settle fills the fields */
    bool chain_pending;   /* captured certificates wait for tls__sniff_settle */
};

void tls__sniff_init(struct tls_sniff *sn);
void tls__sniff_free(struct tls_sniff *sn);
/* Feeds server bytes; fills info (stage, version, suite, ALPN, chain, alert). Returns -1 only on
 * allocation failure. */
int tls__sniff_feed(struct tls_sniff *sn, struct tls_info *info, const uint8_t *p, size_t n);
/* With defer_parse: fills the fields of the captured certificates still waiting, from parsed
 * (mbedTLS's own parse of the same Certificate message: its peer chain, in message order) where
 * a node holds the same DER, by parsing the DER otherwise (parsed NULL: every one). Returns -1
 * on allocation failure (the chain then ends before the certificate that failed). */
int tls__sniff_settle(struct tls_sniff *sn, struct tls_info *info, const mbedtls_x509_crt *parsed);
/* A handshake message the sniffer has begun and not finished (buffered, or being skipped past
 * the bound): true with its type and announced length; false when none is open. */
bool tls__sniff_open_message(const struct tls_sniff *sn, uint8_t *type, size_t *len);

/* Appends n bytes at *len of a heap buffer that grows by doubling from 4 KiB, never past max
 * bytes. Returns 0, or -1 when it would pass max or the allocation fails (nothing changed). */
int tls__buf_append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *p, size_t n,
                    size_t max);

/* ---- certificates (tls_cert.c) ---- */

/* tls_cert_from_der in two halves: capture copies the DER and hashes it (fields empty, parsed
 * false); fill fills the fields from parsed, a parse of the same DER, or parses the DER itself
 * when parsed is NULL. Both return -1 only on allocation failure. shared: a certificate past the
 * leaf, whose fingerprint this thread may have computed already for another server. */
int tls__cert_capture(struct tls_cert *c, const uint8_t *der, size_t len, bool shared);
/* Fingerprints this thread answered from its memo of shared certificates (tests). */
size_t tls__cert_fingerprint_hits(void);
int tls__cert_fill(struct tls_cert *c, const mbedtls_x509_crt *parsed);
/* How many certificates tls__cert_fill parsed itself, in this process (tests). */
size_t tls__cert_own_parses(void);

/* ---- struct tls_info, shared by its fillers (tls_info.c) ---- */

/* Raises info->stage to st (a stage never goes back). */
void tls__stage_at_least(struct tls_info *info, enum tls_stage st);
/* Frees info's chain. */
void tls__info_clear_chain(struct tls_info *info);
/* Records the verify flags mbedTLS reported for one depth of the path it built. */
void tls__info_note_depth(struct tls_info *info, int depth, uint32_t flags);

/* "<what>: <mbedtls_strerror(rc)>", e.g. "cannot start a TLS session: SSL - ...". */
void tls__error_because(char *out, size_t outlen, const char *what, int rc);
/* "<mbedtls_strerror(rc)> (-0x7780)": the text with its code, for reports. */
void tls__error_coded(char *out, size_t outlen, int rc);

/* The suite's IANA name, or "0x%04X" when the catalogue does not know it. */
void tls__cipher_label(uint16_t id, char *out, size_t outlen);

/* DER: one TLV with a low tag number and a definite length (at most 4 length bytes). */
bool tls__der_tlv(struct tds_rd *r, uint8_t *tag, struct tds_rd *content);

/* IP literal ("10.0.0.5", "::1", "[fe80::1%eth0]") into network bytes; *len is 4 or 16. */
bool tls__ip_parse(const char *text, uint8_t out[16], size_t *len);
/* Network bytes (4 or 16) into text ("::1" style for IPv6, RFC 5952). */
void tls__ip_format(const uint8_t *ip, size_t len, char *out, size_t outlen);

/* Calls fn for every dNSName [2] and iPAddress [7] entry of the certificate's SAN extension,
 * in order; stops early when fn returns false. Returns false when the DER has no SAN extension
 * or it is malformed. */
typedef bool (*tls__san_fn)(void *ctx, uint8_t tag, const uint8_t *val, size_t len);
bool tls__san_walk(const uint8_t *der, size_t der_len, tls__san_fn fn, void *ctx);

/* ---- the trust anchors' signature memo (tls_sigmemo.c) ---- */

struct tls_sigmemo;
struct tls_sigmemo *tls__sigmemo_new(void);
void tls__sigmemo_free(struct tls_sigmemo *m);
/* Routes the signature checks of every certificate in anchors (RSA and EC keys) through m.
 * Returns 0, or -1 on allocation failure (the anchors stay usable; some are not routed). */
int tls__sigmemo_route_anchors(struct tls_sigmemo *m, mbedtls_x509_crt *anchors);
/* verify(key, ...), or 0 at once when key verified exactly these bytes before. */
int tls__sigmemo_verify(struct tls_sigmemo *m,
                        int (*verify)(void *, mbedtls_md_type_t, const unsigned char *, size_t,
                                      const unsigned char *, size_t),
                        void *key, mbedtls_md_type_t md, const unsigned char *hash,
                        size_t hash_len, const unsigned char *sig, size_t sig_len);
/* How many checks the memo answered (tests). */
size_t tls__sigmemo_hits(struct tls_sigmemo *m);

/* ---- finished sessions' mbedTLS contexts, kept for the next session (tls_config.c) ---- */

/* How many reset contexts a config keeps at most (~40 KiB each: 2 x 16.7 KiB record buffers
 * plus handshake state); a finished session's context beyond that is freed. Small on purpose:
 * the engine starts the next probe as one ends, so a few contexts carry the reuse, while every
 * idle one is memory glibc could otherwise hand to a running probe (at 64, 1,000 targets at
 * --concurrency 1000 peaked about 5 MB higher: two loops' pools that no later probe used). */
#define TLS_CTXPOOL_MAX 8u

struct tls_ctxpool;
struct tls_ctxpool *tls__ctxpool_new(void);
/* Frees every context kept (from any thread, once no session of the config is left). */
void tls__ctxpool_free(struct tls_ctxpool *p);
/* A context set up on cfg->conf and reset (mbedtls_ssl_session_reset), with no hostname, BIO or
 * verify callback, or NULL: the pool is empty or belongs to another thread (the caller then does
 * mbedtls_ssl_init + mbedtls_ssl_setup itself). */
mbedtls_ssl_context *tls__ctxpool_take(const struct tls_config *cfg);
/* Gives ssl (set up on cfg->conf, heap-allocated) back: reset and kept, or freed when the pool
 * is full, belongs to another thread or the reset fails. ssl may be in any state. */
void tls__ctxpool_give(const struct tls_config *cfg, mbedtls_ssl_context *ssl);
/* Contexts handed out again instead of set up anew, and kept now (tests). */
size_t tls__ctxpool_reused(const struct tls_config *cfg);
size_t tls__ctxpool_kept(const struct tls_config *cfg);

/* The shared, read-only configuration (one per client profile). */
struct tls_config {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    struct tls_sigmemo *memo;      /* signatures the anchors in ca verified (thread-safe) */
    struct tls_ctxpool *pool;      /* finished sessions' contexts (one thread's: tls_config.h) */
    size_t ca_count;
    size_t ca_failed;              /* certificates in the CA source mbedTLS could not parse */
    int *suites;                   /* 0-terminated, what mbedtls_ssl_conf_ciphersuites keeps */
    mbedtls_ecp_group_id curves[20];
    char alpn[256];
    const char *alpn_list[2];
    enum tls_handshake_mode mode;
    bool app_data;
    int min_version;
    int max_version;
};

/* ---- randomness (tls_rng.c) ---- */

/* An mbedTLS f_rng: fills out from the calling thread's CTR_DRBG (p_rng is unused; pass NULL).
 * Safe from any number of threads at once without a lock: no two threads share a DRBG. */
int tls__random(void *p_rng, unsigned char *out, size_t len);
/* The calling thread's DRBG, seeded on the thread's first use; NULL if seeding failed (tried
 * again on the next call). */
mbedtls_ctr_drbg_context *tls__thread_drbg(void);
/* How many DRBGs have been seeded in this process (one per thread that drew random bytes): lets
 * tests check that a config seeds none of its own. */
size_t tls__drbg_seed_count(void);

/* The X.509 profile of every session: allows what old servers still use, so weak
 * certificates are captured and judged by the policy instead of being refused. */
extern const mbedtls_x509_crt_profile tls__permissive_profile;

#endif
