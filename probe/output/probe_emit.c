/* probe/output/probe_emit.c: what every writer shares: one UTF-8 check, JSON string literals and
 * Prometheus label values, terminal-safe text, and the text report's labelled, wrapped lines. */
#include "probe/output/probe_emit.h"

#include <string.h>

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0 when the bytes there are not one. s is NUL-terminated, and NUL is never
 * a continuation byte, so no read passes the end. */
size_t probe_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

/* Printable ASCII other than '"' and '\\' (0x20-0x7e): one bit per byte value below 0x80. */
static const unsigned long long ascii_plain[2] = {0xFFFFFFFB00000000ULL, 0x7FFFFFFFEFFFFFFFULL};

/* Bytes from p on that go between the quotes as they are: printable ASCII other than '"' and
 * '\\', well-formed UTF-8 sequences, and (Prometheus only) DEL. The common byte takes one bit
 * test: a record is mostly plain ASCII. */
static size_t plain_run(const unsigned char *p, bool json)
{
    size_t k = 0;

    for (;;) {
        unsigned char c = p[k];

        if (c < 0x80 && (ascii_plain[c >> 6] >> (c & 63) & 1) != 0) {
            k++;
        } else if (c >= 0x80) {
            size_t n = probe_utf8_len(p + k);

            if (n == 0) {
                return k;
            }
            k += n;
        } else if (c == 0x7f && !json) {
            k++;
        } else {
            return k;
        }
    }
}

/* One control character as the JSON escape \u00XX (lowercase hex, as RFC 8259 §7 allows). */
static void put_u00xx(probe_put_fn *put, void *to, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

    put(to, e, sizeof(e));
}

void probe_quoted_put(probe_put_fn *put, void *to, const char *s, enum probe_quoting q)
{
    const unsigned char *p = (const unsigned char *)s;
    bool json = q == PROBE_QUOTE_JSON;

    while (*p != '\0') {
        size_t run = plain_run(p, json);
        if (run > 0) { /* one write per run: a JSON line is mostly plain text */
            put(to, p, run);
            p += run;
            continue;
        }
        size_t n = probe_utf8_len(p);
        if (n == 0) {
            put(to, json ? "\\ufffd" : "\xEF\xBF\xBD", json ? 6 : 3); /* one per bad byte */
            p++;
        } else if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            put(to, e, sizeof(e));
            p++;
        } else if (*p == '\n') {
            put(to, "\\n", 2);
            p++;
        } else if (json && (*p < 0x20 || *p == 0x7f)) {
            put_u00xx(put, to, *p++);
        } else {
            put(to, p, n);
            p += n;
        }
    }
}

void probe_json_string_put(probe_put_fn *put, void *to, const char *s)
{
    if (s == NULL) {
        put(to, "null", 4);
        return;
    }
    put(to, "\"", 1);
    probe_quoted_put(put, to, s, PROBE_QUOTE_JSON);
    put(to, "\"", 1);
}

static void file_put(void *to, const void *p, size_t n)
{
    fwrite(p, 1, n, to);
}

void probe_quoted_body(FILE *f, const char *s, enum probe_quoting q)
{
    probe_quoted_put(file_put, f, s, q);
}

void probe_json_string(FILE *f, const char *s)
{
    probe_json_string_put(file_put, f, s);
}

void probe_text_safe(FILE *f, const char *s, bool keep_newlines)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        size_t n = probe_utf8_len(p);
        if (n == 0 || (*p < 0x20 && !(keep_newlines && *p == '\n')) || *p == 0x7f) {
            fprintf(f, "\\x%02x", (unsigned)*p++);
        } else if (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) {
            fprintf(f, "\\u%04x", (unsigned)p[1]); /* C1 controls (CSI is U+009B) */
            p += 2;
        } else {
            fwrite(p, 1, n, f);
            p += n;
        }
    }
}

void probe_emit_color_on(const struct probe_text_out *o, const char *sgr)
{
    if (o->color) {
        fprintf(o->f, "\x1b[%sm", sgr);
    }
}

void probe_emit_color_off(const struct probe_text_out *o)
{
    if (o->color) {
        fputs("\x1b[0m", o->f);
    }
}

void probe_emit_label(const struct probe_text_out *o, const char *name)
{
    probe_emit_color_on(o, "1");
    fprintf(o->f, "%-*s", PROBE_LABEL_W, name);
    probe_emit_color_off(o);
}

/* One line of segment [p, p+n), escaped. */
void probe_emit_put_segment(const struct probe_text_out *o, const char *p, size_t n)
{
    char buf[1024];

    while (n > 0) {
        size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
        memcpy(buf, p, k);
        buf[k] = '\0';
        probe_text_safe(o->f, buf, false);
        p += k;
        n -= k;
    }
}

/* Word-wraps one line of prose to the report width; lines indented by two spaces are commands
 * and stay whole, so they paste into a shell as they are. */
void probe_emit_put_wrapped(const struct probe_text_out *o, const char *p, size_t n, bool *first,
                        int indent, int used)
{
    while (n > 0) {
        /* the first piece goes after what the line already holds */
        size_t width = (size_t)(100 - (*first ? used : indent));
        size_t take = n;
        if (n > width && strncmp(p, "  ", 2) != 0) {
            take = width;
            while (take > 0 && p[take] != ' ') {
                take--;
            }
            if (take == 0) { /* one long word: break after it, never inside */
                take = width;
                while (take < n && p[take] != ' ') {
                    take++;
                }
            }
        }
        fprintf(o->f, "%*s", *first ? 0 : indent, "");
        *first = false;
        probe_emit_put_segment(o, p, take);
        fputc('\n', o->f);
        while (take < n && p[take] == ' ') {
            take++;
        }
        p += take;
        n -= take;
    }
}

/* The rest of a line that already holds `used` columns: wrapped, continuation lines at
 * indent. */
void probe_emit_text_line(const struct probe_text_out *o, const char *text, int indent, int used)
{
    bool first = true;

    probe_emit_put_wrapped(o, text, strlen(text), &first, indent, used > 60 ? 60 : used);
    if (first) {
        fputc('\n', o->f);
    }
}

/* A multi-line text of the probe's own under a label, wrapped and indented. */
void probe_emit_block(const struct probe_text_out *o, const char *name, const char *text)
{
    const char *p = text;
    bool first = true;

    probe_emit_label(o, name);
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        probe_emit_put_wrapped(o, p, n, &first, PROBE_LABEL_W, PROBE_LABEL_W);
        p += n;
        if (*p == '\n') {
            p++;
        }
    }
    if (first) {
        fputc('\n', o->f);
    }
}

void probe_report_block(FILE *f, const char *name, const char *text, bool color)
{
    const struct probe_text_out o = {.f = f, .color = color};

    probe_emit_block(&o, name, text);
}

