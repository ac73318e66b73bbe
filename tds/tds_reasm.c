/* tds/tds_reasm.c: stream reassembly, bytes in, whole packets and whole messages out.
 *
 * Packet types are not validated and a type change inside a message is not an error: servers
 * send their TLS handshake packets as 0x12 or 0x04 (go-mssqldb accepts both: "Older endpoints send back header type 4"), so the
 * message keeps the type of its first packet and TDS_ERR_TYPE_CHANGED is never returned here.
 * A caller that cares can compare each packet's header from tds_reasm_packet(). */
#include "tds/tds_packet.h"

#include <stdlib.h>
#include <string.h>

/* Where a zero-length payload points when nothing was ever allocated (never NULL + 0). */
static const uint8_t empty_payload[1];

void tds_reasm_init(struct tds_reasm *r, size_t max_message)
{
    memset(r, 0, sizeof(*r));
    r->max_message = max_message;
    tds_error_clear(&r->err);
}

void tds_reasm_free(struct tds_reasm *r)
{
    free(r->msg);
    r->msg = NULL;
    r->msg_len = 0;
    r->msg_cap = 0;
}

static size_t payload_len(const struct tds_reasm *r)
{
    return (size_t)r->pkt.length - TDS_HEADER_LEN;
}

/* Makes room for `more` bytes after msg_len; the cap is checked before any allocation. */
static int reserve(struct tds_reasm *r, size_t more, size_t at)
{
    if (more > r->max_message - r->msg_len) {
        return tds_error_set(&r->err, TDS_ERR_MESSAGE_TOO_BIG, at, -1,
                             "TDS message would grow to %zu bytes; the cap is %zu",
                             r->msg_len + more, r->max_message);
    }
    size_t need = r->msg_len + more;
    if (need <= r->msg_cap) {
        return TDS_ERR_OK;
    }
    size_t cap = r->msg_cap < 512 ? 512 : r->msg_cap;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (cap > r->max_message) {
        cap = r->max_message;
    }
    uint8_t *grown = realloc(r->msg, cap);
    if (grown == NULL) {
        return tds_error_set(&r->err, TDS_ERR_MESSAGE_TOO_BIG, at, -1,
                             "cannot allocate %zu bytes for a TDS message", cap);
    }
    r->msg = grown;
    r->msg_cap = cap;
    return TDS_ERR_OK;
}

/* The header is complete: validate it and prepare the payload area. */
static int start_packet(struct tds_reasm *r)
{
    size_t at = r->consumed - TDS_HEADER_LEN;
    struct tds_error e;

    tds_error_clear(&e);
    if (tds_header_decode(r->hdr, TDS_HEADER_LEN, &r->pkt, &e) != TDS_ERR_OK) {
        return tds_error_set(&r->err, e.code, at + e.offset, -1, "%s at stream offset %zu",
                             e.detail, at);
    }
    int rc = reserve(r, payload_len(r), at);
    if (rc != TDS_ERR_OK) {
        return rc;
    }
    if (!r->in_message) {
        r->msg_type = r->pkt.type;
        r->in_message = true;
    }
    r->pkt_start = r->msg_len;
    r->body_have = 0;
    return TDS_ERR_OK;
}

static void finish_packet(struct tds_reasm *r)
{
    r->msg_len += payload_len(r);
    r->pkt_ready = true;
    if (r->pkt.status & TDS_STATUS_EOM) {
        r->msg_ready = true;
    }
}

/* Copies up to n header bytes; returns how many were taken. */
static size_t take_header(struct tds_reasm *r, const uint8_t *p, size_t n)
{
    size_t k = TDS_HEADER_LEN - r->hdr_have;
    if (k > n) {
        k = n;
    }
    memcpy(r->hdr + r->hdr_have, p, k);
    r->hdr_have += k;
    r->consumed += k;
    return k;
}

static size_t take_body(struct tds_reasm *r, const uint8_t *p, size_t n)
{
    size_t k = payload_len(r) - r->body_have;
    if (k > n) {
        k = n;
    }
    if (k > 0) {
        memcpy(r->msg + r->pkt_start + r->body_have, p, k);
    }
    r->body_have += k;
    r->consumed += k;
    return k;
}

int tds_reasm_feed(struct tds_reasm *r, const uint8_t *p, size_t n, size_t *used)
{
    size_t i = 0;

    *used = 0;
    if (r->err.code != TDS_ERR_OK) {
        return r->err.code;
    }
    while (i < n && !r->pkt_ready) {
        if (r->hdr_have < TDS_HEADER_LEN) {
            i += take_header(r, p + i, n - i);
            if (r->hdr_have < TDS_HEADER_LEN) {
                break;
            }
            if (start_packet(r) != TDS_ERR_OK) {
                *used = i;
                return r->err.code;
            }
        } else {
            i += take_body(r, p + i, n - i);
        }
        if (r->hdr_have == TDS_HEADER_LEN && r->body_have == payload_len(r)) {
            finish_packet(r);
        }
    }
    *used = i;
    return TDS_ERR_OK;
}

bool tds_reasm_packet_ready(const struct tds_reasm *r)
{
    return r->pkt_ready;
}

const uint8_t *tds_reasm_packet(const struct tds_reasm *r, struct tds_header *h, size_t *len)
{
    if (!r->pkt_ready) {
        return NULL;
    }
    if (h != NULL) {
        *h = r->pkt;
    }
    if (len != NULL) {
        *len = payload_len(r);
    }
    if (r->msg == NULL) {
        return empty_payload;
    }
    return r->msg + r->pkt_start;
}

bool tds_reasm_message_ready(const struct tds_reasm *r)
{
    return r->msg_ready;
}

const uint8_t *tds_reasm_message(const struct tds_reasm *r, uint8_t *type, size_t *len)
{
    if (!r->msg_ready) {
        return NULL;
    }
    if (type != NULL) {
        *type = r->msg_type;
    }
    if (len != NULL) {
        *len = r->msg_len;
    }
    return r->msg == NULL ? empty_payload : r->msg;
}

void tds_reasm_next(struct tds_reasm *r)
{
    if (!r->pkt_ready) {
        return;
    }
    r->pkt_ready = false;
    r->hdr_have = 0;
    r->body_have = 0;
    if (r->msg_ready) {
        r->msg_ready = false;
        r->in_message = false;
        r->msg_len = 0;
    }
    r->pkt_start = r->msg_len;
}

/* A ready packet survives the discard (moved to the front) so the caller may discard before or
 * after tds_reasm_next(); pointers returned earlier are invalid either way. */
void tds_reasm_discard(struct tds_reasm *r)
{
    if (r->pkt_ready) {
        size_t n = payload_len(r);
        if (n > 0 && r->pkt_start > 0) {
            memmove(r->msg, r->msg + r->pkt_start, n);
        }
        r->pkt_start = 0;
        r->msg_len = n;
        return;
    }
    /* A partially read packet keeps its bytes at pkt_start; move them down too. */
    if (r->hdr_have == TDS_HEADER_LEN && r->body_have > 0 && r->pkt_start > 0) {
        memmove(r->msg, r->msg + r->pkt_start, r->body_have);
    }
    r->pkt_start = 0;
    r->msg_len = 0;
}

bool tds_reasm_idle(const struct tds_reasm *r)
{
    return r->pkt_ready || r->hdr_have == 0;
}
