/* probe/output/probe_emit.h: what every writer shares.
 *
 * Every string that came from the server (certificate subjects, SANs, error texts) is hostile:
 * JSON string literals escape control characters as \u00XX and replace invalid UTF-8 with
 * U+FFFD; terminal text shows control characters as \xNN so nothing reaches the terminal raw.
 * The text report's layout (a label column, prose wrapped at 100 columns, commands kept whole)
 * is defined here once for every text writer. */
#ifndef PROBE_OUTPUT_PROBE_EMIT_H
#define PROBE_OUTPUT_PROBE_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0 when the bytes there are not one. s is NUL-terminated. Every writer of
 * server-supplied text uses this one check. */
size_t probe_utf8_len(const unsigned char *s);

/* The two quoted forms: a JSON string (RFC 8259 §7) and a Prometheus label value (text
 * exposition format 0.0.4, which escapes only \\, \" and newline; its line must be valid UTF-8,
 * or promtool rejects it). */
enum probe_quoting { PROBE_QUOTE_JSON, PROBE_QUOTE_PROMETHEUS };

/* Where escaped text goes: put(to, p, n) appends n bytes (a FILE, a record's buffer). */
typedef void probe_put_fn(void *to, const void *p, size_t n);

/* s as it goes between the quotes: '\\' and '"' get a backslash, newline is \n, each byte of
 * invalid UTF-8 is one U+FFFD (JSON: the escape \ufffd; Prometheus: the character itself).
 * JSON also escapes every other control character as \u00XX; Prometheus keeps them. The one
 * escaping rule: every other writer of quoted text calls it. */
void probe_quoted_put(probe_put_fn *put, void *to, const char *s, enum probe_quoting q);

/* A JSON string literal (with the quotes) for s; NULL is null. */
void probe_json_string_put(probe_put_fn *put, void *to, const char *s);

/* The two on a FILE. */
void probe_quoted_body(FILE *f, const char *s, enum probe_quoting q);
void probe_json_string(FILE *f, const char *s);

/* s with control characters and invalid UTF-8 shown as \xNN (C1 controls as \u00NN);
 * keep_newlines lets '\n' through for the probe's own multi-line texts. */
void probe_text_safe(FILE *f, const char *s, bool keep_newlines);

/* The text report's label column: "Handshake  ". */
#define PROBE_LABEL_W 11

struct probe_text_out {
    FILE *f;
    bool color; /* ANSI SGR sequences only when true */
};

void probe_emit_color_on(const struct probe_text_out *o, const char *sgr);
void probe_emit_color_off(const struct probe_text_out *o);
/* A bold label padded to the label column. */
void probe_emit_label(const struct probe_text_out *o, const char *name);
/* One line of segment [p, p+n), escaped. */
void probe_emit_put_segment(const struct probe_text_out *o, const char *p, size_t n);
/* Word-wraps one line of prose at 100 columns; lines indented by two spaces are commands and
 * stay whole. *first: nothing has been written on the current line after `used` columns. */
void probe_emit_put_wrapped(const struct probe_text_out *o, const char *p, size_t n, bool *first,
                            int indent, int used);
/* The rest of a line that already holds `used` columns: wrapped, continuation lines at indent. */
void probe_emit_text_line(const struct probe_text_out *o, const char *text, int indent, int used);
/* A multi-line text of the probe's own under a label, wrapped and indented. */
void probe_emit_block(const struct probe_text_out *o, const char *name, const char *text);

/* probe_emit_block on a plain FILE: the "Cause" and "Fix" blocks, for writers outside the
 * text report. */
void probe_report_block(FILE *f, const char *label, const char *text, bool color);

#endif
