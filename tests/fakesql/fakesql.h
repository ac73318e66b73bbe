/* tests/fakesql/fakesql.h: a SQL Server stand-in for tests and labs.
 *
 * fakesql answers TDS PRELOGIN like SQL Server, runs the TLS handshake inside TDS packets (or
 * first, in TDS 8.0 strict mode) with OpenSSL -- the library SQL Server on Linux loads -- and
 * answers LOGIN7 with error 18456, so real clients complete a round trip. Its behaviour comes
 * from an mssql.conf-style file (config.c); every way a real server fails is a setting.
 *
 * Layout: config.c (file -> struct fsql_config), tlsctx.c (SSL_CTX, fallback certificate),
 * server.c (listeners, signals, readiness), conn.c (connection lifetime and I/O), session.c
 * (the per-connection protocol state machine), login.c (LOGIN7 in, ERROR+DONE out), browser.c
 * (SQL Server Browser on UDP). Prefix fsql_ for cross-file names.
 */
#ifndef TESTS_FAKESQL_FAKESQL_H
#define TESTS_FAKESQL_FAKESQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "tds/tds_packet.h"
#include "tds/tds_prelogin.h"

/* ---- configuration (config.c) ---- */

#define FSQL_MAX_INSTANCES 16
#define FSQL_MAX_PORTS 64
#define FSQL_MAX_ENDPOINTS 200000

/* TLS versions in tlsprotocols, as bits. */
enum {
    FSQL_TLS10 = 1,
    FSQL_TLS11 = 2,
    FSQL_TLS12 = 4,
    FSQL_TLS13 = 8,
};

/* How a failed TLS handshake ends: OpenSSL on Linux sends an alert, Windows/Schannel resets. */
enum fsql_fail_mode {
    FSQL_FAIL_ALERT,
    FSQL_FAIL_RESET,
    FSQL_FAIL_CLOSE,
};

enum fsql_stall {
    FSQL_STALL_NONE,
    FSQL_STALL_ACCEPT,      /* accept, then never answer anything */
    FSQL_STALL_PRELOGIN,    /* read PRELOGIN, never answer it */
    FSQL_STALL_CLIENTHELLO, /* answer PRELOGIN, leave the ClientHello unanswered */
    FSQL_STALL_HANDSHAKE,   /* send the first server flight, then go silent */
};

enum fsql_strict {
    FSQL_STRICT_OFF,   /* pre-2022: a ClientHello as first bytes closes the connection */
    FSQL_STRICT_ON,    /* 2022: TDS 8.0 (TLS first) and TDS 7.x both accepted */
    FSQL_STRICT_FORCE, /* Force Strict Encryption: a plain PRELOGIN is refused */
};

struct fsql_endpoint {
    struct sockaddr_storage addr; /* port 0 = ephemeral */
    unsigned addr_index;          /* position of the address in its list */
    unsigned port_index;          /* position of the port in tcpport (instance mapping) */
};

struct fsql_config {
    /* [network] */
    char tlscert[1024];
    char tlskey[1024];
    unsigned protocols; /* FSQL_TLS* bits */
    char tlsciphers[1024];
    bool forceencryption;
    struct fsql_endpoint *endpoints; /* ipaddress x tcpport, or [fakesql] listen */
    size_t n_endpoints;
    /* browser addresses: one per distinct ipaddress */
    struct sockaddr_storage *browser_addrs;
    size_t n_browser_addrs;

    /* [fakesql] */
    struct tds_version version;
    char version_text[32]; /* as written, for SQL Browser replies */
    char servername[64];
    char instances[FSQL_MAX_INSTANCES][33];
    size_t n_instances;
    bool not_supported;
    /* encryption_mismatch = read_login: after answering NOT_SUP to a client that asked for
     * encryption, read its cleartext LOGIN7 (and fail it with 18456) instead of closing */
    bool not_sup_reads_login;
    enum fsql_fail_mode fail_mode;
    enum fsql_stall stall;
    bool reset_after_prelogin;
    uint8_t *nontds_reply; /* sent instead of any TDS answer, then close */
    size_t nontds_reply_len;
    uint8_t *banner; /* sent as soon as a connection is accepted */
    size_t banner_len;
    uint8_t *prelogin_hex; /* canned PRELOGIN reply, sent verbatim */
    size_t prelogin_hex_len;
    unsigned packetsize;
    uint8_t handshake_type; /* packet type of the server's TLS packets: 0x12 or 0x04 */
    bool eom_every_packet;  /* old Babelfish: EOM on every handshake packet */
    int seclevel;
    enum fsql_strict strict;
    int browserport; /* -1: no browser */
    unsigned fallback_bits;
    char fallback_hash[16];
    char groups[256];         /* OpenSSL groups list ("P-384", "X448"); "": OpenSSL's default */
    char ciphersuites13[256]; /* TLS 1.3 suites (OpenSSL names); "": OpenSSL's default */
    unsigned idle_timeout_ms;
    bool quiet;
};

void fsql_config_defaults(struct fsql_config *c);
/* Reads an mssql.conf-style file. On error, writes "FILE:LINE: why" into err and returns -1. */
int fsql_config_load(struct fsql_config *c, const char *path, char *err, size_t cap);
void fsql_config_free(struct fsql_config *c);

/* ---- TLS (tlsctx.c) ---- */

struct fsql_tls {
    SSL_CTX *tds7; /* TLS inside TDS 7.x: at most TLS 1.2 */
    SSL_CTX *tds8; /* TDS 8.0 strict: ALPN tds/8.0, TLS 1.3 if configured */
    bool fallback; /* the generated CN=SSL_Self_Signed_Fallback certificate is in use */
    bool usable;   /* false: PRELOGIN is answered, every handshake dies (SHA-1 at level 2) */
    char why[256]; /* why not usable */
    char subject[256];
};

int fsql_tls_init(struct fsql_tls *t, const struct fsql_config *c, char *err, size_t cap);
void fsql_tls_free(struct fsql_tls *t);
/* "TLSv1.2" style version names, for logs. */
const char *fsql_tls_version_list(unsigned bits, char *buf, size_t cap);

/* ---- LOGIN7 and the login-failed reply (login.c) ---- */

#define FSQL_MAX_NAME 128 /* characters kept from LOGIN7 names */

struct fsql_login7 {
    uint32_t tds_version;
    uint16_t user[FSQL_MAX_NAME]; /* UCS-2 code units, as sent */
    size_t user_len;
    char user_utf8[FSQL_MAX_NAME * 3 + 1];
};

/* Parses a LOGIN7 message (payload of the reassembled 0x10 message). -1 if malformed. */
int fsql_login7_parse(const uint8_t *p, size_t n, struct fsql_login7 *out);
/* ERROR 18456 (state 1, class 14, "Login failed for user '<name>'.") + DONE (status 0x02), as
 * a token stream for a 0x04 reply. Returns bytes written, 0 if cap is too small. */
size_t fsql_login_failed_tokens(const struct fsql_login7 *l, const char *server, uint8_t *out,
                                size_t cap);

/* ---- the server (server.c) ---- */

struct fsql_conn;

struct fsql_listener {
    uv_tcp_t tcp;
    struct fsql_server *srv;
    struct sockaddr_storage addr; /* bound, with the real port */
    const struct fsql_endpoint *ep;
};

struct fsql_browser {
    uv_udp_t udp;
    struct fsql_server *srv;
    struct sockaddr_storage addr;
};

struct fsql_server {
    uv_loop_t *loop;
    const struct fsql_config *cfg;
    struct fsql_tls tls;
    struct fsql_listener *listeners;
    size_t n_listeners;
    struct fsql_browser *browsers;
    size_t n_browsers;
    uv_signal_t sig_term;
    uv_signal_t sig_int;
    struct fsql_conn *conns; /* intrusive list of live connections */
    uint64_t next_id;
    bool stopping;
    uint8_t rbuf[65536]; /* one read at a time on one loop, so all connections share it */
};

/* Address as "127.0.0.1:1433" or "[::1]:1433". */
void fsql_addr_format(const struct sockaddr_storage *a, char *buf, size_t cap);
uint16_t fsql_addr_port(const struct sockaddr_storage *a);

/* ---- connections (conn.c, session.c) ---- */

enum fsql_state {
    FSQL_ST_FIRST,      /* nothing read yet: 0x12 PRELOGIN, 0x16 ClientHello, or not TDS */
    FSQL_ST_PRELOGIN,   /* reassembling the PRELOGIN message */
    FSQL_ST_AFTER_PL,   /* PRELOGIN answered: TLS packets or a cleartext LOGIN7 follow */
    FSQL_ST_TLS_IN_TDS, /* TDS 7.x handshake, TLS records inside 0x12 packets */
    FSQL_ST_TLS_RAW,    /* TDS 8.0 handshake on the raw socket */
    FSQL_ST_PRE2022,    /* strict = 0 got a ClientHello: read as a TDS packet, to its "length" */
    FSQL_ST_SECURE,     /* TLS records on the raw socket, TDS packets inside */
    FSQL_ST_CLEAR,      /* cleartext TDS packets (no TLS, or after login-only) */
    FSQL_ST_STALLED,    /* read and discard, answer nothing */
    FSQL_ST_DRAINING,   /* our FIN is out; read until the client closes */
    FSQL_ST_CLOSED,
    FSQL_ST_COUNT
};

enum fsql_end {
    FSQL_END_FIN,   /* flush what is queued, then shutdown(SHUT_WR) and close */
    FSQL_END_RESET, /* RST now (SO_LINGER 0), queued bytes dropped */
};

struct fsql_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    struct fsql_server *srv;
    const struct fsql_listener *lst;
    struct fsql_conn *prev, *next;
    int handles_open;
    uint64_t id;
    enum fsql_state state;
    const char *stalled_at; /* where the stall began, for the log */

    struct tds_reasm reasm;
    uint8_t packet_id;

    SSL *ssl;
    BIO *rbio; /* ciphertext from the client */
    BIO *wbio; /* ciphertext to the client */
    bool strict;          /* TDS 8.0 connection */
    bool login_only;      /* drop TLS after the first LOGIN7 packet */
    bool handshake_done;  /* a TLS handshake completed */
    bool flight_sent;     /* the server sent handshake bytes (stall = handshake) */
    bool allow_tls;       /* after PRELOGIN: TLS may follow */
    bool allow_clear;     /* after PRELOGIN: a cleartext LOGIN7 may follow */
    bool got_prelogin;    /* strict: PRELOGIN already answered inside TLS */
    uint8_t pre_len[2];   /* strict = 0: bytes 2-3 of a ClientHello, read as a TDS length */
    size_t pre_have;      /* strict = 0: bytes of that bogus packet received */
    uint8_t rec_hdr[5];   /* raw TLS record header being read (post-handshake) */
    size_t rec_hdr_have;
    size_t rec_left;      /* body bytes of the current record still to come */

    /* for the one-line outcome log */
    char peer[64];
    char local[64];
    int client_enc; /* -1: not seen */
    int reply_enc;  /* -1: none sent */
    char tls_version[16];
    char cipher[64];
    char alpn[16];
    char key_shares[96]; /* each ClientHello's key share groups, "/" between hellos (tlsctx.c) */
    char user[FSQL_MAX_NAME * 3 + 1];
    const char *outcome;
    char detail[256];
    bool logged;
};

/* Accept a connection on lst (conn.c). */
void fsql_conn_accept(struct fsql_listener *lst);
/* Close every connection (server shutdown). */
void fsql_conn_close_all(struct fsql_server *srv);

/* conn.c services used by session.c */
int fsql_conn_write(struct fsql_conn *c, const uint8_t *p, size_t n);
/* Ends the connection; outcome and detail go to the log line (detail may be NULL). */
void fsql_conn_end(struct fsql_conn *c, enum fsql_end how, const char *outcome,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *fsql_state_name(enum fsql_state s);

/* session.c: the protocol */
void fsql_session_start(struct fsql_conn *c);
/* Consumes bytes from the client; may end the connection. */
void fsql_session_input(struct fsql_conn *c, const uint8_t *p, size_t n);
/* Releases TLS and reassembly state. */
void fsql_session_free(struct fsql_conn *c);

/* ---- SQL Server Browser (browser.c) ---- */
int fsql_browser_start(struct fsql_server *srv, char *err, size_t cap);

#endif
