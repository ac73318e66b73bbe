/* probe/diagnose/probe_strbuf.h: a bounded text builder for verdicts and fixes (truncates, never
 * overflows), and the cleaning of server-supplied text before it goes into prose. */
#ifndef PROBE_PROBE_STRBUF_H
#define PROBE_PROBE_STRBUF_H

#include <stddef.h>

struct probe_sb {
    char *buf;
    size_t cap; /* > 0 */
    size_t len;
};

/* Starts an empty text in buf[cap] (cap > 0). */
void probe_sb_init(struct probe_sb *b, char *buf, size_t cap);

/* Appends formatted text; what does not fit is cut off. */
__attribute__((format(printf, 2, 3))) void probe_sb_add(struct probe_sb *b, const char *fmt, ...);

/* A copy of server-supplied text fit for prose: control characters become '?'; cut to cap. */
void probe_text_clean(char *dst, size_t cap, const char *src);

#endif
