/* probe/output/probe_jsonbuf.h: one JSON record assembled in memory, then written with one
 * fwrite.
 *
 * The caller owns the buffer and reuses it from record to record: it grows (doubling) to the
 * largest record seen and then stays, so a fleet run allocates nothing per record once the
 * first records are out. Numbers are formatted here without stdio, strings go through the one
 * escaping rule (probe_emit.h). An append that does not fit (out of memory, or past the
 * buffer's limit) marks the buffer failed and every later append is ignored, so a record is
 * either complete or known to be incomplete, never silently cut. */
#ifndef PROBE_OUTPUT_PROBE_JSONBUF_H
#define PROBE_OUTPUT_PROBE_JSONBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Where the first growth goes: a certificate-mode record with a two-certificate chain is about
 * 3 KiB. */
#define PROBE_JSONBUF_FIRST 4096

struct probe_jsonbuf {
    char *p;     /* len bytes, not NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;  /* the most it may hold; 0: as much as memory allows */
    bool failed; /* an append since the last reset did not fit */
};

/* Empty, ready for the next record: the storage stays. */
void probe_jsonbuf_reset(struct probe_jsonbuf *b);
/* Gives the storage back; the buffer is empty and usable again. */
void probe_jsonbuf_free(struct probe_jsonbuf *b);

void probe_jsonbuf_put(struct probe_jsonbuf *b, const void *p, size_t n);
void probe_jsonbuf_ch(struct probe_jsonbuf *b, char c);

/* A NUL-terminated text of the program's own, as it is (field names, fixed fragments). */
static inline void probe_jsonbuf_lit(struct probe_jsonbuf *b, const char *s)
{
    probe_jsonbuf_put(b, s, strlen(s));
}

/* "key": for a member name of the program's own (no escaping needed). */
void probe_jsonbuf_key(struct probe_jsonbuf *b, const char *key);
/* A JSON string literal for s, escaped by probe_json_string_put; NULL is null. */
void probe_jsonbuf_str(struct probe_jsonbuf *b, const char *s);
/* s escaped as it goes between a JSON string's quotes, without them. */
void probe_jsonbuf_quoted(struct probe_jsonbuf *b, const char *s);
void probe_jsonbuf_null(struct probe_jsonbuf *b);
void probe_jsonbuf_bool(struct probe_jsonbuf *b, bool v);
/* A member: lead, the program's own text before the value (",\"name\":", "{\"name\":"), then
 * the value as probe_jsonbuf_str and probe_jsonbuf_bool write it. */
void probe_jsonbuf_member_str(struct probe_jsonbuf *b, const char *lead, const char *s);
void probe_jsonbuf_member_bool(struct probe_jsonbuf *b, const char *lead, bool v);
/* Decimal, as printf's %lld and %llu write them. */
void probe_jsonbuf_int(struct probe_jsonbuf *b, long long v);
void probe_jsonbuf_uint(struct probe_jsonbuf *b, unsigned long long v);
/* v in lowercase hex, zero-padded to at least width digits (printf's %0*x). */
void probe_jsonbuf_hex(struct probe_jsonbuf *b, unsigned v, int width);
/* Milliseconds as printf's "%.3f"; null when unknown (negative or not finite). */
void probe_jsonbuf_ms(struct probe_jsonbuf *b, double v);

#endif
