/* tls/tls13_probe.h: does the server accept TLS 1.3? A hand-built ClientHello and a ServerHello
 * reader, because mbedTLS 2.28 cannot speak TLS 1.3.
 *
 * The ClientHello offers TLS 1.3 and nothing else (supported_versions holds only 0x0304, the
 * suites are the three TLS 1.3 ones), so any ServerHello that selects 0x0304 is an unambiguous
 * yes, and a TLS 1.2-only server can only refuse. The probe stops at the ServerHello: it never
 * derives keys, so nothing after it (EncryptedExtensions, Certificate) can be read. Like the
 * rest of tls/, no I/O: probe/ sends the bytes (raw on TCP: TLS 1.3 exists only with TDS 8.0
 * strict) and hands back what the server sent. The ClientHello builder is shared with the TLS 1.3
 * client (tls/tls13_client.h), which adds a secp256r1 share and, after a HelloRetryRequest, the
 * cookie (tls13__client_hello_msg in tls/tls13_int.h). */
#ifndef TLS_TLS13_PROBE_H
#define TLS_TLS13_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for any ClientHello tls13_probe_client_hello builds (255-byte SNI and ALPN included). */
#define TLS13_CLIENT_HELLO_MAX 1024u

/* Writes one TLS record (type 22, record version 0x0301) holding the ClientHello into out.
 * sni: sent as server_name unless NULL, empty or an IP literal (RFC 6066 3); alpn: sent when
 * not NULL or empty (e.g. "tds/8.0"). random is ClientHello.random; the legacy session id is
 * SHA-256(random) (32 bytes, middlebox compatibility mode, RFC 8446 D.4); x25519_pub is the
 * only key share. Returns the record's length, or 0 when it does not fit in cap or when sni or
 * alpn is longer than 255 bytes. */
size_t tls13_probe_client_hello(uint8_t *out, size_t cap, const char *sni, const char *alpn,
                                const uint8_t random[32], const uint8_t x25519_pub[32]);

/* The same, offering only the suites in suite_ids (0-terminated, in that order; NULL or empty:
 * the three TLS 1.3 suites), as the audit's suite walk does (--ciphers). */
size_t tls13_probe_client_hello_suites(uint8_t *out, size_t cap, const char *sni,
                                       const char *alpn, const uint8_t random[32],
                                       const uint8_t x25519_pub[32], const uint16_t *suite_ids);
/* The three TLS 1.3 suites (RFC 8446 B.4) in the ClientHello's order; returns how many were
 * written (at most cap). */
size_t tls13_probe_suites(uint16_t *out, size_t cap);

/* A fresh ClientHello.random and a real X25519 public key (the private half is dropped: the
 * probe never finishes the exchange, but a real point keeps strict servers from refusing the
 * share). Draws from the calling thread's DRBG: safe from several threads at once. Returns 0
 * or -1. */
int tls13_probe_keys(uint8_t random[32], uint8_t x25519_pub[32]);

/* What the ClientHello offers, by name ("key exchange groups x25519, ...", then with_suites
 * "; suites TLS_AES_128_GCM_SHA256, ..."), for a report that says why a server found nothing in
 * common. Returns buf (cut short when cap is too small). */
const char *tls13_probe_offer_text(char *buf, size_t cap, bool with_suites);

enum tls13_status {
    TLS13_NEED_MORE, /* call again once more bytes arrived (with all of them) */
    TLS13_DONE,      /* r says accepted or rejected, and why */
    TLS13_ERROR,     /* not TLS, or a malformed reply: r->detail says what (and the other
                        fields are cleared) */
};

struct tls13_probe_result {
    bool accepted;             /* a ServerHello (or HelloRetryRequest) selected TLS 1.3 */
    bool hello_retry;          /* a HelloRetryRequest (RFC 8446 4.1.4): TLS 1.3 is accepted,
                                  but the server wants a key share for `group` instead */
    int version;               /* TLS_V13 when accepted; when rejected by a ServerHello, the
                                  version it chose (TLS_V12, ...); 0 when rejected by an alert */
    uint16_t cipher_id;        /* from the ServerHello or HelloRetryRequest, 0 if none */
    char cipher[64];           /* IANA name, or "0x1305" when unknown */
    uint16_t group;            /* key_share group (ServerHello: the server's share; HRR: the
                                  group it asks for), 0 if none */
    char group_name[24];       /* "x25519", "secp256r1", ...; "" if none */
    bool alert_received;       /* rejected with an alert instead of a ServerHello */
    uint8_t alert_level;
    uint8_t alert_description;
    char alert_name[32];       /* tls_alert_name(), "" if none */
    bool alpn_visible;         /* false for TLS 1.3: the selected ALPN travels in
                                  EncryptedExtensions, encrypted, after the ServerHello; only a
                                  TLS <= 1.2 ServerHello shows it */
    char alpn[32];             /* the ALPN protocol when visible, else "" */
    char detail[200];          /* one sentence for the report: what the answer means (DONE) or
                                  what was wrong with the bytes (ERROR) */
    /* No certificate chain: TLS 1.3 sends the Certificate encrypted under handshake keys, and
     * this probe stops at the ServerHello without deriving them. The TLS 1.3 client
     * (tls/tls13_client.h) goes on to decrypt and verify the chain. */
};

/* Reads the server's reply. p/n are ALL bytes received so far (the caller accumulates; the
 * parse is a pure function of them and keeps no state), starting at the server's first byte.
 * Only the records up to the ServerHello (or the first alert) are read: a full answer never
 * needs more than 5 + 16 KiB + a few headers. r is always filled (cleared first). */
int tls13_probe_parse(const uint8_t *p, size_t n, struct tls13_probe_result *r);

#endif
