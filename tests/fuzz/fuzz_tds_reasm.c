/* tests/fuzz/fuzz_tds_reasm.c: libFuzzer target for stream reassembly.
 *
 * Input: byte 0 picks the message cap, bytes 1-2 seed the chunking, the rest is the stream.
 * The stream is reassembled twice, once in one feed and once split into random chunks (each
 * chunk copied to its own exact-size allocation so ASan sees over-reads); both runs must see
 * the same packets, the same messages and the same final error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tds/tds_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A running digest of everything that came out (FNV-1a), plus counts. */
struct trace {
    uint64_t hash;
    size_t packets;
    size_t messages;
    int rc;
    size_t err_offset;
};

static void mix(struct trace *t, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        t->hash = (t->hash ^ p[i]) * 0x100000001b3ULL;
    }
}

static void take(struct tds_reasm *r, struct trace *t)
{
    struct tds_header h;
    size_t n;
    const uint8_t *p = tds_reasm_packet(r, &h, &n);
    if (p == NULL || n != (size_t)h.length - TDS_HEADER_LEN || h.length < TDS_HEADER_LEN) {
        abort();
    }
    mix(t, p, n);
    t->packets++;
    if (tds_reasm_message_ready(r)) {
        uint8_t type;
        size_t m;
        const uint8_t *msg = tds_reasm_message(r, &type, &m);
        if (msg == NULL || m > r->max_message) {
            abort();
        }
        mix(t, msg, m);
        mix(t, &type, 1);
        t->messages++;
    }
    /* Every third packet, act like the TLS reader and drop the accumulated bytes. */
    if (t->packets % 3 == 0) {
        tds_reasm_discard(r);
    }
    tds_reasm_next(r);
}

/* Feeds one chunk completely (or until an error); returns the feed code. */
static int feed_all(struct tds_reasm *r, const uint8_t *p, size_t n, struct trace *t)
{
    size_t off = 0;
    while (off < n) {
        size_t used;
        int rc = tds_reasm_feed(r, p + off, n - off, &used);
        if (used > n - off) {
            abort();
        }
        off += used;
        if (rc != TDS_ERR_OK) {
            return rc;
        }
        if (tds_reasm_packet_ready(r)) {
            take(r, t);
        } else if (off != n) {
            abort(); /* feed may stop early only for a packet or an error */
        }
    }
    return TDS_ERR_OK;
}

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void run(const uint8_t *p, size_t n, size_t cap, uint32_t seed, struct trace *t)
{
    struct tds_reasm r;
    size_t at = 0;

    tds_reasm_init(&r, cap);
    memset(t, 0, sizeof(*t));
    t->hash = 0xcbf29ce484222325ULL;
    while (at < n && t->rc == TDS_ERR_OK) {
        size_t k = seed == 0 ? n : 1 + next_rand(&seed) % 600;
        if (k > n - at) {
            k = n - at;
        }
        uint8_t *chunk = malloc(k);
        memcpy(chunk, p + at, k);
        t->rc = feed_all(&r, chunk, k, t);
        free(chunk);
        at += k;
    }
    t->err_offset = r.err.offset;
    if (t->rc != TDS_ERR_OK && ((int)r.err.code != t->rc || r.err.detail[0] == '\0')) {
        abort();
    }
    tds_reasm_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = { 0, 1, 64, 512, 4096, TDS_DEFAULT_MAX_MESSAGE };
    struct trace whole, chunked;

    if (size < 3) {
        return 0;
    }
    size_t cap = caps[data[0] % (sizeof(caps) / sizeof(caps[0]))];
    uint32_t seed = (uint32_t)data[1] << 8 | data[2] | 0x10000u; /* never 0 */
    run(data + 3, size - 3, cap, 0, &whole);
    run(data + 3, size - 3, cap, seed, &chunked);
    if (whole.hash != chunked.hash || whole.packets != chunked.packets ||
        whole.messages != chunked.messages || whole.rc != chunked.rc ||
        whole.err_offset != chunked.err_offset) {
        abort();
    }
    return 0;
}
