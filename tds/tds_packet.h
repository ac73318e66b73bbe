/* tds/tds_packet.h: the 8-byte TDS packet header, splitting a payload into packets, and stream
 * reassembly (bytes in, whole packets and whole messages out). No I/O.
 *
 * MS-TDS 2.2.3: Length is big-endian and includes the header; SPID big-endian; PacketID is
 * "currently ignored" (MS-TDS 2.2.3.1.5) and never validated here: Microsoft's network-trace
 * example shows clients starting at 0 and at 1, nmap and FreeTDS send 0, SqlClient writes 0 in
 * every handshake packet, and a captured server flight carried 0.
 */
#ifndef TDS_TDS_PACKET_H
#define TDS_TDS_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tds/tds_error.h"

#define TDS_HEADER_LEN 8
#define TDS_MIN_PACKET TDS_HEADER_LEN
#define TDS_MAX_PACKET 32768u
/* Until LOGIN7 negotiates a size, every packet is at most 4096 bytes (MS-TDS 2.2.3.1.3). */
#define TDS_DEFAULT_PACKET 4096u
#define TDS_DEFAULT_MAX_MESSAGE (1024u * 1024u)

enum tds_packet_type {
    TDS_PKT_SQL_BATCH = 0x01,
    TDS_PKT_PRE_TDS7_LOGIN = 0x02,
    TDS_PKT_RPC = 0x03,
    TDS_PKT_REPLY = 0x04, /* every server response, including the PRELOGIN reply */
    TDS_PKT_ATTENTION = 0x06,
    TDS_PKT_BULK = 0x07,
    TDS_PKT_FEDAUTH = 0x08,
    TDS_PKT_TXN_MANAGER = 0x0E,
    TDS_PKT_LOGIN7 = 0x10,
    TDS_PKT_SSPI = 0x11,
    TDS_PKT_PRELOGIN = 0x12, /* PRELOGIN, and TLS handshake payloads in TDS 7.x */
};

#define TDS_STATUS_EOM 0x01
#define TDS_STATUS_IGNORE 0x02
#define TDS_STATUS_RESETCONN 0x08

struct tds_header {
    uint8_t type;
    uint8_t status;
    uint16_t length; /* whole packet, header included */
    uint16_t spid;
    uint8_t packet_id;
    uint8_t window;
};

/* Decodes the first 8 bytes of p. TRUNCATED if n < 8; BAD_PACKET_LENGTH if length < 8 or
 * > TDS_MAX_PACKET (the error says which). Does not look at type or status. */
int tds_header_decode(const uint8_t *p, size_t n, struct tds_header *h, struct tds_error *e);
void tds_header_encode(uint8_t out[TDS_HEADER_LEN], const struct tds_header *h);

/* Bytes needed to carry `len` payload bytes in packets of at most `max_packet` bytes
 * (header included). A zero-length payload still takes one packet. Returns 0 when impossible:
 * max_packet outside 8..32768, max_packet 8 with a non-empty payload, or a size_t overflow. */
size_t tds_packetized_size(size_t len, size_t max_packet);

/* Splits payload into packets of `type`, at most `max_packet` bytes each (8..32768), status 0x00
 * on all but the last, which gets EOM (SqlClient SslOverTdsStream does the same). SPID 0.
 * *packet_id is used for the first packet and incremented per packet (mod 256).
 * Writes into out; returns bytes written, or 0 if cap < tds_packetized_size() or max_packet is
 * out of range. */
size_t tds_packetize(uint8_t type, const uint8_t *payload, size_t len, size_t max_packet,
                     uint8_t *packet_id, uint8_t *out, size_t cap);

/* Stream reassembly.
 *
 * Feed any chunking of the byte stream (one byte at a time works). tds_reasm_feed() consumes
 * input until one whole packet is complete, then stops so the caller can look at it:
 *   - tds_reasm_packet()  : header and payload of that packet (valid until tds_reasm_next()).
 *   - tds_reasm_message() : non-NULL once a packet with EOM completes: all payloads since the
 *                           previous message, concatenated.
 *   - tds_reasm_next()    : release the packet (and the message, if it was complete).
 * The TLS-in-TDS handshake reads packet payloads as a plain byte stream (EOM is not trusted to
 * align with TLS records); it calls tds_reasm_discard() after taking a packet so
 * the message buffer does not grow.
 *
 * Memory: the message buffer grows on demand up to max_message; a message that would exceed it
 * is MESSAGE_TOO_BIG before any allocation. Errors are sticky: after one, feed fails again.
 * Allocation failure is reported as MESSAGE_TOO_BIG with a detail saying so.
 *
 * Packet types are not validated, and a type change inside a message is NOT an error: servers
 * send TLS handshake packets as 0x12 or 0x04 (the Dataverse TDS endpoint uses 0x04). The message keeps the type of its
 * first packet; TDS_ERR_TYPE_CHANGED is never returned (each packet's own header is available
 * from tds_reasm_packet() for a caller that wants to compare). tds_reasm_discard() may be called
 * before or after tds_reasm_next(); a ready packet survives it, but every pointer returned
 * earlier is invalid afterwards. Error offsets in r->err count bytes from the stream start. */
struct tds_reasm {
    size_t max_message;
    uint8_t hdr[TDS_HEADER_LEN];
    size_t hdr_have;
    struct tds_header pkt;
    size_t body_have;  /* payload bytes of the current packet read so far */
    size_t pkt_start;  /* offset in msg of the current packet's payload */
    bool pkt_ready;
    bool msg_ready;
    uint8_t msg_type;  /* type of the first packet of the current message */
    bool in_message;   /* at least one packet of the current message was read */
    uint8_t *msg;
    size_t msg_len;
    size_t msg_cap;
    size_t consumed;   /* total bytes consumed, for error offsets */
    struct tds_error err;
};

void tds_reasm_init(struct tds_reasm *r, size_t max_message);
void tds_reasm_free(struct tds_reasm *r);
/* Consumes from p[0..n); *used = bytes consumed (< n only when a packet completed or on error).
 * Returns TDS_ERR_OK or the (sticky) error code; details in r->err. Must not be called while
 * a packet is ready (call tds_reasm_next() first): it then consumes nothing and returns OK. */
int tds_reasm_feed(struct tds_reasm *r, const uint8_t *p, size_t n, size_t *used);
bool tds_reasm_packet_ready(const struct tds_reasm *r);
const uint8_t *tds_reasm_packet(const struct tds_reasm *r, struct tds_header *h, size_t *len);
bool tds_reasm_message_ready(const struct tds_reasm *r);
const uint8_t *tds_reasm_message(const struct tds_reasm *r, uint8_t *type, size_t *len);
void tds_reasm_next(struct tds_reasm *r);
/* Forget the payload bytes accumulated for the current (incomplete) message. */
void tds_reasm_discard(struct tds_reasm *r);
/* True when no partial packet is buffered (a clean boundary). */
bool tds_reasm_idle(const struct tds_reasm *r);

#endif
