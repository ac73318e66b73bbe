/* tds/tds_cursor.h: the one bounds-checked cursor for reading untrusted bytes, and its writer twin.
 *
 * Header-only and dependency-free on purpose: tls/ also parses untrusted bytes (record headers,
 * alerts, a TLS 1.3 ServerHello) and uses this same cursor, so there is exactly one place where a
 * length is compared with what is left.
 *
 * Rules: a reader never advances on failure; lengths are checked by subtraction (`n > len - pos`),
 * never by `pos + n > len`, so no sum can wrap; integers are built byte by byte, never by casts.
 */
#ifndef TDS_TDS_CURSOR_H
#define TDS_TDS_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TDS_MUST_USE __attribute__((warn_unused_result))

struct tds_rd {
    const uint8_t *buf; /* borrowed, never freed here */
    size_t len;
    size_t pos; /* invariant: pos <= len */
};

static inline struct tds_rd tds_rd_make(const uint8_t *buf, size_t len)
{
    struct tds_rd r = { .buf = buf, .len = len, .pos = 0 };
    return r;
}

static inline size_t tds_rd_left(const struct tds_rd *r)
{
    return r->len - r->pos;
}

TDS_MUST_USE static inline bool tds_rd_u8(struct tds_rd *r, uint8_t *out)
{
    if (r->len - r->pos < 1) {
        return false;
    }
    *out = r->buf[r->pos];
    r->pos += 1;
    return true;
}

TDS_MUST_USE static inline bool tds_rd_u16be(struct tds_rd *r, uint16_t *out)
{
    if (r->len - r->pos < 2) {
        return false;
    }
    *out = (uint16_t)((unsigned)r->buf[r->pos] << 8 | r->buf[r->pos + 1]);
    r->pos += 2;
    return true;
}

TDS_MUST_USE static inline bool tds_rd_u16le(struct tds_rd *r, uint16_t *out)
{
    if (r->len - r->pos < 2) {
        return false;
    }
    *out = (uint16_t)((unsigned)r->buf[r->pos + 1] << 8 | r->buf[r->pos]);
    r->pos += 2;
    return true;
}

TDS_MUST_USE static inline bool tds_rd_u24be(struct tds_rd *r, uint32_t *out)
{
    if (r->len - r->pos < 3) {
        return false;
    }
    *out = (uint32_t)r->buf[r->pos] << 16 | (uint32_t)r->buf[r->pos + 1] << 8 | r->buf[r->pos + 2];
    r->pos += 3;
    return true;
}

TDS_MUST_USE static inline bool tds_rd_u32be(struct tds_rd *r, uint32_t *out)
{
    if (r->len - r->pos < 4) {
        return false;
    }
    *out = (uint32_t)r->buf[r->pos] << 24 | (uint32_t)r->buf[r->pos + 1] << 16 |
           (uint32_t)r->buf[r->pos + 2] << 8 | r->buf[r->pos + 3];
    r->pos += 4;
    return true;
}

TDS_MUST_USE static inline bool tds_rd_u32le(struct tds_rd *r, uint32_t *out)
{
    if (r->len - r->pos < 4) {
        return false;
    }
    *out = (uint32_t)r->buf[r->pos + 3] << 24 | (uint32_t)r->buf[r->pos + 2] << 16 |
           (uint32_t)r->buf[r->pos + 1] << 8 | r->buf[r->pos];
    r->pos += 4;
    return true;
}

/* Borrow the next n bytes (no copy). */
TDS_MUST_USE static inline bool tds_rd_bytes(struct tds_rd *r, size_t n, const uint8_t **out)
{
    if (n > r->len - r->pos) {
        return false;
    }
    *out = r->buf + r->pos;
    r->pos += n;
    return true;
}

TDS_MUST_USE static inline bool tds_rd_skip(struct tds_rd *r, size_t n)
{
    if (n > r->len - r->pos) {
        return false;
    }
    r->pos += n;
    return true;
}

/* Sub-cursor over the next n bytes, advancing past them (a length-prefixed block). */
TDS_MUST_USE static inline bool tds_rd_sub(struct tds_rd *r, size_t n, struct tds_rd *out)
{
    if (n > r->len - r->pos) {
        return false;
    }
    *out = tds_rd_make(r->buf + r->pos, n);
    r->pos += n;
    return true;
}

/* View [off, off+n) of the whole buffer, independent of pos (PRELOGIN offsets are absolute). */
TDS_MUST_USE static inline bool tds_rd_view(const struct tds_rd *r, size_t off, size_t n,
                                            struct tds_rd *out)
{
    if (off > r->len || n > r->len - off) {
        return false;
    }
    *out = tds_rd_make(r->buf + off, n);
    return true;
}

/* The writer: never writes past cap; once full it stays failed (sticky), so a builder can write
 * everything and check once at the end. */
struct tds_wr {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

static inline struct tds_wr tds_wr_make(uint8_t *buf, size_t cap)
{
    struct tds_wr w = { .buf = buf, .cap = cap, .len = 0, .overflow = false };
    return w;
}

static inline bool tds_wr_room(struct tds_wr *w, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return false;
    }
    return true;
}

static inline void tds_wr_u8(struct tds_wr *w, uint8_t v)
{
    if (tds_wr_room(w, 1)) {
        w->buf[w->len++] = v;
    }
}

static inline void tds_wr_u16be(struct tds_wr *w, uint16_t v)
{
    if (tds_wr_room(w, 2)) {
        w->buf[w->len++] = (uint8_t)(v >> 8);
        w->buf[w->len++] = (uint8_t)v;
    }
}

static inline void tds_wr_u16le(struct tds_wr *w, uint16_t v)
{
    if (tds_wr_room(w, 2)) {
        w->buf[w->len++] = (uint8_t)v;
        w->buf[w->len++] = (uint8_t)(v >> 8);
    }
}

static inline void tds_wr_u32be(struct tds_wr *w, uint32_t v)
{
    tds_wr_u16be(w, (uint16_t)(v >> 16));
    tds_wr_u16be(w, (uint16_t)v);
}

static inline void tds_wr_u32le(struct tds_wr *w, uint32_t v)
{
    tds_wr_u16le(w, (uint16_t)v);
    tds_wr_u16le(w, (uint16_t)(v >> 16));
}

static inline void tds_wr_bytes(struct tds_wr *w, const void *p, size_t n)
{
    if (n && tds_wr_room(w, n)) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
    }
}

#endif
