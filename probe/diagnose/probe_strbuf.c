/* probe/diagnose/probe_strbuf.c: the bounded text builder (see probe_strbuf.h). */
#include "probe/diagnose/probe_strbuf.h"

#include <stdarg.h>
#include <stdio.h>

void probe_sb_init(struct probe_sb *b, char *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    buf[0] = '\0';
}

void probe_sb_add(struct probe_sb *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->len + 1 >= b->cap) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    b->len += (size_t)n;
    if (b->len >= b->cap) {
        b->len = b->cap - 1;
    }
}

void probe_text_clean(char *dst, size_t cap, const char *src)
{
    size_t i = 0;

    for (; src[i] != '\0' && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    dst[i] = '\0';
}
