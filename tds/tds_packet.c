/* tds/tds_packet.c: the 8-byte TDS packet header (MS-TDS 2.2.3) and splitting a payload into
 * packets. Reassembly lives in tds_reasm.c. */
#include "tds/tds_packet.h"

#include <string.h>

#include "tds/tds_cursor.h"

int tds_header_decode(const uint8_t *p, size_t n, struct tds_header *h, struct tds_error *e)
{
    struct tds_rd r = tds_rd_make(p, n);
    struct tds_header out;

    if (!tds_rd_u8(&r, &out.type) || !tds_rd_u8(&r, &out.status) ||
        !tds_rd_u16be(&r, &out.length) || !tds_rd_u16be(&r, &out.spid) ||
        !tds_rd_u8(&r, &out.packet_id) || !tds_rd_u8(&r, &out.window)) {
        return tds_error_set(e, TDS_ERR_TRUNCATED, n, -1,
                             "TDS packet header needs 8 bytes, only %zu available", n);
    }
    /* MS-TDS 2.2.3.1.3: Length includes the header, so under 8 cannot be a packet. */
    if (out.length < TDS_MIN_PACKET) {
        return tds_error_set(e, TDS_ERR_BAD_PACKET_LENGTH, 2, -1,
                             "TDS packet length %u is shorter than the 8-byte header",
                             (unsigned)out.length);
    }
    if (out.length > TDS_MAX_PACKET) {
        return tds_error_set(e, TDS_ERR_BAD_PACKET_LENGTH, 2, -1,
                             "TDS packet length %u exceeds the maximum of %u",
                             (unsigned)out.length, TDS_MAX_PACKET);
    }
    *h = out;
    return TDS_ERR_OK;
}

void tds_header_encode(uint8_t out[TDS_HEADER_LEN], const struct tds_header *h)
{
    struct tds_wr w = tds_wr_make(out, TDS_HEADER_LEN);

    tds_wr_u8(&w, h->type);
    tds_wr_u8(&w, h->status);
    tds_wr_u16be(&w, h->length);
    tds_wr_u16be(&w, h->spid);
    tds_wr_u8(&w, h->packet_id);
    tds_wr_u8(&w, h->window);
}

/* A packet must carry at least one payload byte unless the payload is empty; 0 means "cannot". */
size_t tds_packetized_size(size_t len, size_t max_packet)
{
    if (max_packet < TDS_MIN_PACKET || max_packet > TDS_MAX_PACKET) {
        return 0;
    }
    if (len == 0) {
        return TDS_HEADER_LEN;
    }
    size_t per = max_packet - TDS_HEADER_LEN;
    if (per == 0) {
        return 0;
    }
    size_t packets = len / per + (len % per != 0);
    if (packets > (SIZE_MAX - len) / TDS_HEADER_LEN) {
        return 0;
    }
    return len + packets * TDS_HEADER_LEN;
}

size_t tds_packetize(uint8_t type, const uint8_t *payload, size_t len, size_t max_packet,
                     uint8_t *packet_id, uint8_t *out, size_t cap)
{
    size_t total = tds_packetized_size(len, max_packet);
    if (total == 0 || total > cap) {
        return 0;
    }
    struct tds_wr w = tds_wr_make(out, cap);
    size_t per = max_packet - TDS_HEADER_LEN;
    size_t done = 0;
    do {
        size_t chunk = len - done < per ? len - done : per;
        /* EOM only on the last chunk (SqlClient SslOverTdsStream.SetupPreLoginPacketHeader). */
        struct tds_header h = {
            .type = type,
            .status = done + chunk == len ? TDS_STATUS_EOM : 0,
            .length = (uint16_t)(chunk + TDS_HEADER_LEN),
            .packet_id = *packet_id,
        };
        uint8_t hdr[TDS_HEADER_LEN];
        tds_header_encode(hdr, &h);
        tds_wr_bytes(&w, hdr, sizeof(hdr));
        if (chunk > 0) {
            tds_wr_bytes(&w, payload + done, chunk);
        }
        *packet_id = (uint8_t)(*packet_id + 1);
        done += chunk;
    } while (done < len);
    return w.overflow ? 0 : w.len;
}
