/* tds/tds_prelogin.h: PRELOGIN build and parse, VERSION decoding and product names, and the
 * ENCRYPTION negotiation of MS-TDS 2.2.6.5 as pure functions (used by the probe and fakesql).
 *
 * Layout (MS-TDS 2.2.6.5): an option table of 5-byte entries (token, offset BE,
 * length BE) ending with 0xFF, then a data area; offsets count from the first byte of the
 * payload (after the 8-byte TDS header).
 */
#ifndef TDS_TDS_PRELOGIN_H
#define TDS_TDS_PRELOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tds/tds_error.h"

enum tds_pl_token {
    TDS_PL_VERSION = 0x00,
    TDS_PL_ENCRYPTION = 0x01,
    TDS_PL_INSTOPT = 0x02,
    TDS_PL_THREADID = 0x03,
    TDS_PL_MARS = 0x04,
    TDS_PL_TRACEID = 0x05,
    TDS_PL_FEDAUTHREQUIRED = 0x06,
    TDS_PL_NONCEOPT = 0x07,
    TDS_PL_TERMINATOR = 0xFF,
};

/* "VERSION", "ENCRYPTION", ...; "0x2A" style for unknown tokens (static buffer per token). */
const char *tds_pl_token_name(uint8_t token);

/* ---- VERSION ---- */
struct tds_version {
    uint8_t major;
    uint8_t minor;
    uint16_t build;    /* bytes 2-3, big-endian (captured server replies) */
    uint16_t subbuild; /* bytes 4-5 as sent; servers send 0, not trusted */
};

void tds_version_decode(const uint8_t b[6], struct tds_version *v);
void tds_version_encode(const struct tds_version *v, uint8_t out[6]);
/* "16.0.1000" (no sub-build: servers never send it). Returns snprintf's result. */
int tds_version_format(const struct tds_version *v, char *buf, size_t cap);
/* "SQL Server 2022"; 10.50 -> "SQL Server 2008 R2"; unknown -> "SQL Server, unknown version 18.0".
 * Writes into buf; returns buf. */
const char *tds_product_name(const struct tds_version *v, char *buf, size_t cap);

/* ---- ENCRYPTION ---- */
enum tds_enc {
    TDS_ENC_OFF = 0x00,
    TDS_ENC_ON = 0x01,
    TDS_ENC_NOT_SUP = 0x02,
    TDS_ENC_REQ = 0x03,
    TDS_ENC_CLIENT_CERT = 0x80, /* flag OR'd onto the above */
};
#define TDS_ENC_MASK 0x03

/* The contract's names: "off", "on", "not_supported", "required"; the 0x80 flag is ignored here
 * (see tds_enc_has_client_cert); any other value -> "unknown". */
const char *tds_enc_name(uint8_t b);
bool tds_enc_has_client_cert(uint8_t b);

/* Server configuration, as in MS-TDS 2.2.6.5's negotiation table. */
enum tds_srv_enc {
    TDS_SRV_ENC_OFF,     /* has a certificate, does not force encryption */
    TDS_SRV_ENC_FORCED,  /* forceencryption = 1 ("ON" in the spec table) */
    TDS_SRV_ENC_NOT_SUP, /* no certificate at all */
};

struct tds_enc_answer {
    uint8_t reply;  /* the byte the server puts in its PRELOGIN response */
    bool terminate; /* the server closes the connection after answering */
};
/* What a server with setting s answers to a client byte (MS-TDS 2.2.6.5 table, all 8 rows;
 * a client byte outside the table is treated as its low two bits). */
struct tds_enc_answer tds_enc_server_answer(uint8_t client_byte, enum tds_srv_enc s);

enum tds_tls_scope {
    TDS_TLS_NONE,       /* no TLS at all */
    TDS_TLS_LOGIN_ONLY, /* TLS for the first LOGIN7 packet, then cleartext */
    TDS_TLS_FULL,       /* TLS for everything */
    TDS_TLS_TERMINATE,  /* the client must give up (error) */
};
const char *tds_tls_scope_name(enum tds_tls_scope s); /* "none","login_only","full","terminate" */
/* What a spec-following client does after sending `sent` and reading `reply` (MS-TDS table,
 * MS-TDS 2.2.6.5). Driver deviations (SqlClient, tedious, ...) live in probe/'s driver profiles.
 * Cells the spec leaves open: sent REQ acts like ON; sent NOT_SUP + reply OFF -> NONE, + reply
 * ON -> TERMINATE; the 0x80 flag is ignored on both bytes (`sent` is read as its low two bits);
 * a reply outside 0..3 (0x04, 0x08 "strict" in some clients) -> TERMINATE. */
enum tds_tls_scope tds_enc_client_action(uint8_t sent, uint8_t reply);

/* ---- parse ---- */
#define TDS_PL_MAX_OPTIONS 16

struct tds_pl_option {
    uint8_t token;
    uint16_t offset;
    uint16_t length;
    const uint8_t *data; /* borrowed view into the parsed payload */
};

struct tds_prelogin {
    size_t n_options; /* every option in table order, unknown tokens included */
    struct tds_pl_option options[TDS_PL_MAX_OPTIONS];
    size_t table_len; /* option table bytes including the terminator */

    bool has_version;
    struct tds_version version;
    bool has_encryption;
    uint8_t encryption;
    bool has_instopt;
    const uint8_t *instopt; /* borrowed; request: NUL-terminated name; reply: 1 byte */
    size_t instopt_len;
    bool has_threadid;
    uint32_t threadid; /* valid when threadid_len == 4 (replies send length 0) */
    size_t threadid_len;
    bool has_mars;
    uint8_t mars;
    bool has_traceid;
    const uint8_t *traceid; /* 36 bytes */
    bool has_fedauth;
    uint8_t fedauth;
    bool has_nonce;
    const uint8_t *nonce; /* 32 bytes */
};

/* Parses a PRELOGIN payload (request or reply; the TDS header already removed). Views point into
 * p, which must outlive pl. Checks: terminator present; VERSION first and present; no duplicate
 * token; each option's data inside the payload, after the option table, and not overlapping
 * another option's data; fixed sizes (VERSION 6, ENCRYPTION 1, THREADID 0 or 4, MARS 1,
 * TRACEID 36, FEDAUTHREQUIRED 1, NONCEOPT 32). Each failure names the option and the offset.
 * Zero-length options occupy no bytes, so they overlap nothing (F3: THREADID length 0 at MARS's
 * offset), but their offset must still be <= n. e->offset is the failing entry's offset in the
 * option table (NO_TERMINATOR: n). On failure *pl is zeroed. As everywhere in tds/, e keeps the
 * first error: tds_error_clear() it before the call. */
int tds_prelogin_parse(const uint8_t *p, size_t n, struct tds_prelogin *pl, struct tds_error *e);

/* ---- build ---- */
struct tds_pl_item {
    uint8_t token;
    const uint8_t *data;
    uint16_t len;
};
/* Writes an option table for items (in the given order) plus the data area. Returns payload
 * length, or 0 if it does not fit in cap. */
size_t tds_prelogin_encode(const struct tds_pl_item *items, size_t n, uint8_t *out, size_t cap);

struct tds_prelogin_client {
    struct tds_version version;
    uint8_t encryption;
    const char *instance; /* NULL or "" -> a single NUL */
    uint32_t threadid;    /* written big-endian, as SqlClient does */
    bool send_mars;
    uint8_t mars;
    bool send_traceid;
    uint8_t traceid[36];
    bool send_fedauth;
};
/* VERSION, ENCRYPTION, INSTOPT, THREADID, [MARS], [TRACEID], [FEDAUTHREQUIRED]: payload only. */
size_t tds_prelogin_build_client(const struct tds_prelogin_client *c, uint8_t *out, size_t cap);

struct tds_prelogin_server {
    struct tds_version version;
    uint8_t encryption;
    uint8_t instopt;   /* 0 = OK, 1 = instance mismatch */
    bool send_mars;    /* a real server answers MARS only if the client sent it */
    uint8_t mars;
    bool send_fedauth; /* only if the client sent it */
    uint8_t fedauth;
};
/* VERSION, ENCRYPTION, INSTOPT, THREADID (length 0), [MARS], [FEDAUTHREQUIRED], like a real
 * server (fixture F3). Payload only. */
size_t tds_prelogin_build_server(const struct tds_prelogin_server *s, uint8_t *out, size_t cap);

#endif
