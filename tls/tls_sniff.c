/* tls/tls_sniff.c: reads the server's plaintext TLS records as they arrive, before mbedTLS.
 *
 * Why: mbedTLS discards a chain it refuses and reports a received alert only as an error code.
 * Reading the records ourselves captures the whole chain, the ServerHello (even one whose
 * version we refuse) and the alert the server sent. Everything up to the server's
 * ChangeCipherSpec is plaintext (RFC 5246 7.1); after it the sniffer stops. Every read goes
 * through the bounded cursor; handshake messages are reassembled across records in one buffer
 * that exists only while a message is incomplete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

void tls__sniff_init(struct tls_sniff *sn)
{
    memset(sn, 0, sizeof(*sn));
}

void tls__sniff_free(struct tls_sniff *sn)
{
    free(sn->hs);
    sn->hs = NULL;
    sn->hs_len = sn->hs_cap = 0;
}

/* ---- ServerHello (RFC 5246 7.4.1.3; RFC 8446 4.1.3 for supported_versions) ---- */

static void server_hello_ext(struct tls_info *info, uint16_t type, struct tds_rd ext)
{
    if (type == TLS_EXT_ALPN) { /* ProtocolNameList with exactly one name (RFC 7301 3.1) */
        uint16_t list_len;
        uint8_t name_len;
        const uint8_t *name;

        if (tds_rd_u16be(&ext, &list_len) && tds_rd_u8(&ext, &name_len) &&
            name_len < sizeof(info->alpn) && tds_rd_bytes(&ext, name_len, &name)) {
            memcpy(info->alpn, name, name_len);
            info->alpn[name_len] = '\0';
        }
    } else if (type == TLS_EXT_SUPPORTED_VERSIONS) { /* the version a TLS 1.3 server chose */
        uint16_t v;

        if (tds_rd_u16be(&ext, &v) && (v >> 8) == 3) {
            info->version = info->server_hello_version = v & 0xFF;
        }
    }
}

static void on_server_hello(struct tls_info *info, struct tds_rd m)
{
    uint16_t version, suite, ext_len;
    uint8_t sid_len, compression;
    struct tds_rd exts;

    if (!tds_rd_u16be(&m, &version) || !tds_rd_skip(&m, 32) || !tds_rd_u8(&m, &sid_len) ||
        !tds_rd_skip(&m, sid_len) || !tds_rd_u16be(&m, &suite) || !tds_rd_u8(&m, &compression)) {
        return;
    }
    tls__stage_at_least(info, TLS_STAGE_SERVER_HELLO);
    /* Only major 3 is TLS; anything else is reported as "unknown" (-1). */
    info->server_hello_version = (version >> 8) == 3 ? (version & 0xFF) : -1;
    info->version = info->server_hello_version > 0 ? info->server_hello_version : 0;
    info->cipher_id = suite;
    tls__cipher_label(suite, info->cipher, sizeof(info->cipher));
    if (!tds_rd_u16be(&m, &ext_len) || !tds_rd_sub(&m, ext_len, &exts)) {
        return; /* extensions are optional (old servers send none) */
    }
    while (tds_rd_left(&exts) >= 4) {
        uint16_t type, len;
        struct tds_rd ext;

        if (!tds_rd_u16be(&exts, &type) || !tds_rd_u16be(&exts, &len) ||
            !tds_rd_sub(&exts, len, &ext)) {
            return;
        }
        server_hello_ext(info, type, ext);
    }
}

/* ---- Certificate: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> ---- */

static int on_certificate(struct tls_sniff *sn, struct tls_info *info, struct tds_rd m)
{
    uint32_t list_len;
    struct tds_rd list, scan;
    size_t n = 0;

    tls__stage_at_least(info, TLS_STAGE_CERTIFICATE);
    if (!tds_rd_u24be(&m, &list_len) || !tds_rd_sub(&m, list_len, &list)) {
        return 0;
    }
    for (scan = list; tds_rd_left(&scan) > 0 && n < TLS_MAX_CHAIN; n++) {
        uint32_t len;

        if (!tds_rd_u24be(&scan, &len) || !tds_rd_skip(&scan, len)) {
            break;
        }
    }
    tls__info_clear_chain(info);
    sn->chain_pending = false;
    if (n == 0) {
        return 0;
    }
    info->chain = calloc(n, sizeof(*info->chain));
    if (info->chain == NULL) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t len;
        const uint8_t *der;

        if (!tds_rd_u24be(&list, &len) || !tds_rd_bytes(&list, len, &der)) {
            break;
        }
        if (sn->defer_parse ? tls__cert_capture(&info->chain[i], der, len, i > 0) != 0
                            : tls_cert_from_der(&info->chain[i], der, len) != 0) {
            return -1;
        }
        info->chain_len = i + 1;
        sn->chain_pending = sn->defer_parse;
    }
    return 0;
}

int tls__sniff_settle(struct tls_sniff *sn, struct tls_info *info, const mbedtls_x509_crt *parsed)
{
    if (!sn->chain_pending) {
        return 0;
    }
    sn->chain_pending = false;
    for (size_t i = 0; i < info->chain_len; i++) {
        struct tls_cert *c = &info->chain[i];
        const mbedtls_x509_crt *same = NULL;

        /* mbedTLS keeps the certificates it parsed in message order and drops one it cannot
         * parse (ssl_parse_certificate_chain): match by DER, parse the rest here */
        if (parsed != NULL && parsed->raw.len == c->der_len &&
            memcmp(parsed->raw.p, c->der, c->der_len) == 0) {
            same = parsed;
            parsed = parsed->next;
        }
        if (tls__cert_fill(c, same) != 0) {
            for (size_t k = i; k < info->chain_len; k++) {
                tls_cert_clear(&info->chain[k]);
            }
            info->chain_len = i;
            return -1;
        }
    }
    return 0;
}

static int on_handshake_msg(struct tls_sniff *sn, struct tls_info *info, uint8_t type,
                            struct tds_rd body)
{
    switch (type) {
    case TLS_HS_SERVER_HELLO:
        on_server_hello(info, body);
        return 0;
    case TLS_HS_CERTIFICATE:
        return on_certificate(sn, info, body);
    case TLS_HS_SERVER_KEY_EXCHANGE:
        tls__stage_at_least(info, TLS_STAGE_SERVER_KEY_EXCHANGE);
        return 0;
    case TLS_HS_SERVER_HELLO_DONE:
        tls__stage_at_least(info, TLS_STAGE_SERVER_HELLO_DONE);
        return 0;
    default:
        return 0; /* HelloRequest, CertificateRequest, ... : nothing to report */
    }
}

/* ---- handshake reassembly ---- */

/* Handles every complete message in the buffer; keeps a partial tail. */
static int hs_drain(struct tls_sniff *sn, struct tls_info *info)
{
    struct tds_rd r = tds_rd_make(sn->hs, sn->hs_len);
    int rc = 0;

    while (rc == 0) {
        struct tds_rd at = r, body;
        uint8_t type;
        uint32_t len;

        if (!tds_rd_u8(&at, &type) || !tds_rd_u24be(&at, &len)) {
            break;
        }
        if (len > TLS_SNIFF_MAX_HS) { /* not kept: drop it as it streams past */
            size_t here = tds_rd_left(&at) < len ? tds_rd_left(&at) : len;

            if (!tds_rd_skip(&at, here)) { /* cannot fail: here <= left */
                break;
            }
            sn->hs_skip = len - here;
            sn->skip_type = type;
            sn->skip_len = len;
            r = at;
            if (sn->hs_skip > 0) {
                break;
            }
            continue;
        }
        if (!tds_rd_sub(&at, len, &body)) {
            break;
        }
        r = at;
        /* Hello mode reads the ServerHello and nothing after it, nor anything in its place: a
         * server that sends its Certificate first (or its ServerHello in a record of another
         * type) must not leave a chain behind that the audit never asked for. */
        if (sn->hello_only && type != TLS_HS_SERVER_HELLO) {
            sn->stopped = true;
            break;
        }
        rc = on_handshake_msg(sn, info, type, body);
        if (sn->hello_only) {
            sn->stopped = true; /* the chain is neither needed nor parsed */
            break;
        }
    }
    memmove(sn->hs, sn->hs + r.pos, r.len - r.pos);
    sn->hs_len = r.len - r.pos;
    if (sn->hs_len == 0 || rc != 0) {
        tls__sniff_free(sn);
    }
    return rc;
}

static int on_handshake_bytes(struct tls_sniff *sn, struct tls_info *info, const uint8_t *p,
                              size_t n)
{
    if (sn->hs_skip > 0) {
        size_t k = n < sn->hs_skip ? n : sn->hs_skip;

        sn->hs_skip -= k;
        p += k;
        n -= k;
    }
    if (n == 0) {
        return 0;
    }
    if (tls__buf_append(&sn->hs, &sn->hs_len, &sn->hs_cap, p, n, SIZE_MAX) != 0) {
        return -1;
    }
    return hs_drain(sn, info);
}

bool tls__sniff_open_message(const struct tls_sniff *sn, uint8_t *type, size_t *len)
{
    struct tds_rd r = tds_rd_make(sn->hs, sn->hs_len);
    uint32_t n;

    if (sn->hs_skip > 0) {
        *type = sn->skip_type;
        *len = sn->skip_len;
        return true;
    }
    /* hs_drain keeps nothing but the start of one incomplete message */
    if (sn->hs == NULL || !tds_rd_u8(&r, type) || !tds_rd_u24be(&r, &n)) {
        return false;
    }
    *len = n;
    return true;
}

/* ---- records ---- */

static void on_alert_bytes(struct tls_sniff *sn, struct tls_info *info, const uint8_t *p,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sn->alert[sn->alert_have++] = p[i];
        /* Only an alert that ends the connection counts: a fatal one, or close_notify. A
         * warning (unrecognized_name, say) may precede a handshake that then succeeds, and
         * alert_received means "it ended with an alert". A fatal alert is never replaced. */
        if (sn->alert_have == 2 && (sn->alert[0] == 2 || sn->alert[1] == 0) &&
            !(info->alert_received && info->alert_level == 2)) {
            info->alert_received = true;
            info->alert_level = sn->alert[0];
            info->alert_description = sn->alert[1];
        }
        if (sn->alert_have == 2) {
            sn->alert_have = 0;
        }
    }
}

static int on_record_bytes(struct tls_sniff *sn, struct tls_info *info, const uint8_t *p,
                           size_t n)
{
    switch (sn->rec_type) {
    case TLS_REC_HANDSHAKE:
        return on_handshake_bytes(sn, info, p, n);
    case TLS_REC_ALERT:
        on_alert_bytes(sn, info, p, n);
        return 0;
    default:
        return 0;
    }
}

/* A complete 5-byte header: type, version, length (RFC 5246 6.2.1). */
static void on_header(struct tls_sniff *sn)
{
    struct tds_rd r = tds_rd_make(sn->hdr, sizeof(sn->hdr));
    uint8_t type, major, minor;
    uint16_t len;

    if (!tds_rd_u8(&r, &type) || !tds_rd_u8(&r, &major) || !tds_rd_u8(&r, &minor) ||
        !tds_rd_u16be(&r, &len) || type < TLS_REC_CCS || type > TLS_REC_APPDATA || major != 3 ||
        len > TLS_MAX_RECORD) {
        sn->not_tls = sn->stopped = true; /* mbedTLS will say what it thinks of it */
        return;
    }
    sn->rec_type = type;
    sn->rec_left = len;
    if (type == TLS_REC_CCS || type == TLS_REC_APPDATA) {
        sn->stopped = true; /* from here on the server's records are encrypted */
    }
}

int tls__sniff_feed(struct tls_sniff *sn, struct tls_info *info, const uint8_t *p, size_t n)
{
    while (n > 0 && !sn->stopped) {
        if (sn->hdr_have < sizeof(sn->hdr)) {
            size_t k = sizeof(sn->hdr) - sn->hdr_have;

            k = k < n ? k : n;
            memcpy(sn->hdr + sn->hdr_have, p, k);
            sn->hdr_have += k;
            p += k;
            n -= k;
            if (sn->hdr_have == sizeof(sn->hdr)) {
                on_header(sn);
            }
        } else {
            size_t k = n < sn->rec_left ? n : sn->rec_left;

            if (on_record_bytes(sn, info, p, k) != 0) {
                return -1;
            }
            sn->rec_left -= k;
            p += k;
            n -= k;
        }
        if (sn->hdr_have == sizeof(sn->hdr) && sn->rec_left == 0) {
            sn->hdr_have = 0;
        }
    }
    if (sn->stopped) {
        tls__sniff_free(sn);
    }
    return 0;
}
