/* tests/fakesql/login.c: LOGIN7 in, "Login failed" out (MS-TDS 2.2.6.4, 2.2.7.10, 2.2.7.6).
 *
 * fakesql never authenticates anyone: every login gets error 18456, state 1, class 14, as SQL
 * Server answers a wrong password, so real clients (tsql, SqlClient) finish their round trip
 * and print the server's message. Pure functions, no I/O.
 */
#include "fakesql.h"

#include <string.h>

#include "tds/tds_cursor.h"

#define LOGIN7_FIXED 36      /* Length .. ClientLCID */
#define LOGIN7_USER_AT 40    /* ibUserName, cchUserName (u16 LE each) */
#define TDS72 0x72090002u    /* LineNumber and DoneRowCount widen from here on */
#define ERR_LOGIN_FAILED 18456

/* UCS-2LE code units -> UTF-8 for the log line: unpaired surrogates, control characters and
 * quotes become '?', so a hostile name cannot break the one-line, key='value' log format. */
static void ucs2_to_utf8(const uint16_t *u, size_t n, char *out, size_t cap)
{
    size_t j = 0;

    for (size_t i = 0; i < n && j + 4 < cap; i++) {
        uint32_t cp = u[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (u[++i] - 0xDC00);
        } else if ((cp >= 0xD800 && cp <= 0xDFFF) || cp < 0x20 || cp == 0x7F || cp == '\'' ||
                   cp == '"') {
            cp = '?';
        }
        if (cp < 0x80) {
            out[j++] = (char)cp;
        } else if (cp < 0x800) {
            out[j++] = (char)(0xC0 | cp >> 6);
            out[j++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[j++] = (char)(0xE0 | cp >> 12);
            out[j++] = (char)(0x80 | (cp >> 6 & 0x3F));
            out[j++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[j++] = (char)(0xF0 | cp >> 18);
            out[j++] = (char)(0x80 | (cp >> 12 & 0x3F));
            out[j++] = (char)(0x80 | (cp >> 6 & 0x3F));
            out[j++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[j] = '\0';
}

int fsql_login7_parse(const uint8_t *p, size_t n, struct fsql_login7 *out)
{
    struct tds_rd r = tds_rd_make(p, n);
    uint32_t length;
    uint16_t ib, cch;
    struct tds_rd name;

    memset(out, 0, sizeof(*out));
    if (!tds_rd_u32le(&r, &length) || !tds_rd_u32le(&r, &out->tds_version)) {
        return -1;
    }
    /* Offsets count from the start of LOGIN7; the name is cch UCS-2 characters. */
    r.pos = 0;
    if (!tds_rd_skip(&r, LOGIN7_USER_AT) || n < LOGIN7_FIXED || !tds_rd_u16le(&r, &ib) ||
        !tds_rd_u16le(&r, &cch) || !tds_rd_view(&r, ib, (size_t)cch * 2, &name)) {
        return -1;
    }
    out->user_len = cch < FSQL_MAX_NAME ? cch : FSQL_MAX_NAME;
    for (size_t i = 0; i < out->user_len; i++) {
        if (!tds_rd_u16le(&name, &out->user[i])) {
            return -1;
        }
    }
    ucs2_to_utf8(out->user, out->user_len, out->user_utf8, sizeof(out->user_utf8));
    return 0;
}

static void wr_ascii_ucs2(struct tds_wr *w, const char *s)
{
    for (; *s != '\0'; s++) {
        tds_wr_u16le(w, (uint8_t)*s);
    }
}

/* ERROR token body after the length: Number, State, Class, MsgText, ServerName, ProcName,
 * LineNumber. */
static void error_body(struct tds_wr *w, const struct fsql_login7 *l, const char *server)
{
    static const char pre[] = "Login failed for user '";
    static const char post[] = "'.";
    size_t srv_len = strlen(server);

    if (srv_len > 128) {
        srv_len = 128;
    }
    tds_wr_u32le(w, ERR_LOGIN_FAILED);
    tds_wr_u8(w, 1);  /* State */
    tds_wr_u8(w, 14); /* Class */
    tds_wr_u16le(w, (uint16_t)(sizeof(pre) - 1 + l->user_len + sizeof(post) - 1));
    wr_ascii_ucs2(w, pre);
    for (size_t i = 0; i < l->user_len; i++) {
        tds_wr_u16le(w, l->user[i]);
    }
    wr_ascii_ucs2(w, post);
    tds_wr_u8(w, (uint8_t)srv_len);
    for (size_t i = 0; i < srv_len; i++) {
        tds_wr_u16le(w, (uint8_t)server[i]);
    }
    tds_wr_u8(w, 0); /* ProcName: empty */
    if (l->tds_version >= TDS72 || (l->tds_version >> 24) < 0x70) {
        tds_wr_u32le(w, 1); /* LineNumber: LONG since 7.2 (and in TDS 8.0) */
    } else {
        tds_wr_u16le(w, 1);
    }
}

size_t fsql_login_failed_tokens(const struct fsql_login7 *l, const char *server, uint8_t *out,
                                size_t cap)
{
    uint8_t body[1024];
    struct tds_wr b = tds_wr_make(body, sizeof(body));
    struct tds_wr w = tds_wr_make(out, cap);
    bool wide = l->tds_version >= TDS72 || (l->tds_version >> 24) < 0x70;

    error_body(&b, l, server);
    if (b.overflow) {
        return 0;
    }
    tds_wr_u8(&w, 0xAA); /* ERROR */
    tds_wr_u16le(&w, (uint16_t)b.len);
    tds_wr_bytes(&w, body, b.len);
    tds_wr_u8(&w, 0xFD);      /* DONE */
    tds_wr_u16le(&w, 0x0002); /* DONE_ERROR */
    tds_wr_u16le(&w, 0);      /* CurCmd */
    if (wide) {
        tds_wr_u32le(&w, 0); /* DoneRowCount: ULONGLONG since 7.2 */
        tds_wr_u32le(&w, 0);
    } else {
        tds_wr_u32le(&w, 0);
    }
    return w.overflow ? 0 : w.len;
}
