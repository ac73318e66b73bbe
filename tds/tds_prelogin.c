/* tds/tds_prelogin.c: PRELOGIN option table parse and build (MS-TDS 2.2.6.5).
 *
 * The parser checks the table first (terminator, VERSION first, duplicates), then each option's
 * data (inside the payload, after the table, right size), then overlaps. Every failure names the
 * option and its entry's offset in the table. Zero-length options occupy no bytes: they overlap
 * nothing, not even the table (F3 sends THREADID length 0 at MARS's offset), but their offset
 * must still lie inside the payload. */
#include "tds/tds_prelogin.h"

#include <string.h>

#include "tds/tds_cursor.h"

#define ENTRY_LEN 5 /* token, offset BE, length BE */

/* Names for tokens without one: constant strings, so the result is shareable across threads. */
#define HEX_ROW(h)                                                                            \
    "0x" #h "0", "0x" #h "1", "0x" #h "2", "0x" #h "3", "0x" #h "4", "0x" #h "5", "0x" #h "6", \
        "0x" #h "7", "0x" #h "8", "0x" #h "9", "0x" #h "A", "0x" #h "B", "0x" #h "C",        \
        "0x" #h "D", "0x" #h "E", "0x" #h "F"
static const char *const hex_names[256] = {
    HEX_ROW(0), HEX_ROW(1), HEX_ROW(2), HEX_ROW(3), HEX_ROW(4), HEX_ROW(5), HEX_ROW(6), HEX_ROW(7),
    HEX_ROW(8), HEX_ROW(9), HEX_ROW(A), HEX_ROW(B), HEX_ROW(C), HEX_ROW(D), HEX_ROW(E), HEX_ROW(F),
};

static const char *const token_names[] = {
    [TDS_PL_VERSION] = "VERSION",   [TDS_PL_ENCRYPTION] = "ENCRYPTION",
    [TDS_PL_INSTOPT] = "INSTOPT",   [TDS_PL_THREADID] = "THREADID",
    [TDS_PL_MARS] = "MARS",         [TDS_PL_TRACEID] = "TRACEID",
    [TDS_PL_FEDAUTHREQUIRED] = "FEDAUTHREQUIRED", [TDS_PL_NONCEOPT] = "NONCEOPT",
};

const char *tds_pl_token_name(uint8_t token)
{
    if (token == TDS_PL_TERMINATOR) {
        return "TERMINATOR";
    }
    if (token < sizeof(token_names) / sizeof(token_names[0])) {
        return token_names[token];
    }
    return hex_names[token];
}

/* ---- parse: pass 1, the option table ---- */

static int check_entry(const struct tds_prelogin *pl, uint8_t tok, size_t at, struct tds_error *e)
{
    const char *name = tds_pl_token_name(tok);

    /* MS-TDS 3.3.5.1: the server closes the connection unless VERSION comes first. */
    if (pl->n_options == 0 && tok != TDS_PL_VERSION) {
        return tds_error_set(e, TDS_ERR_VERSION_NOT_FIRST, at, tok,
                             "option %s at table offset %zu comes first; VERSION must", name, at);
    }
    for (size_t i = 0; i < pl->n_options; i++) {
        if (pl->options[i].token == tok) {
            return tds_error_set(e, TDS_ERR_DUPLICATE_OPTION, at, tok,
                                 "option %s at table offset %zu repeats the one at table "
                                 "offset %zu", name, at, i * ENTRY_LEN);
        }
    }
    if (pl->n_options == TDS_PL_MAX_OPTIONS) {
        return tds_error_set(e, TDS_ERR_TOO_MANY_OPTIONS, at, tok,
                             "option %s at table offset %zu is past the %d options kept", name,
                             at, TDS_PL_MAX_OPTIONS);
    }
    return TDS_ERR_OK;
}

static int read_table(struct tds_rd *r, struct tds_prelogin *pl, struct tds_error *e)
{
    for (;;) {
        size_t at = r->pos;
        uint8_t tok;
        uint16_t off, len;

        if (!tds_rd_u8(r, &tok)) {
            return tds_error_set(e, TDS_ERR_NO_TERMINATOR, at, -1,
                                 "option table has no 0xFF terminator in the %zu-byte payload",
                                 r->len);
        }
        if (tok == TDS_PL_TERMINATOR) {
            break;
        }
        if (!tds_rd_u16be(r, &off) || !tds_rd_u16be(r, &len)) {
            return tds_error_set(e, TDS_ERR_TRUNCATED, at, tok,
                                 "option %s at table offset %zu: entry cut short, the "
                                 "payload ends at %zu", tds_pl_token_name(tok), at, r->len);
        }
        int rc = check_entry(pl, tok, at, e);
        if (rc != TDS_ERR_OK) {
            return rc;
        }
        pl->options[pl->n_options++] = (struct tds_pl_option){ .token = tok, .offset = off,
                                                               .length = len };
    }
    pl->table_len = r->pos;
    if (pl->n_options == 0) {
        return tds_error_set(e, TDS_ERR_MISSING_OPTION, 0, TDS_PL_VERSION,
                             "option table is empty; VERSION is required");
    }
    return TDS_ERR_OK;
}

/* ---- parse: pass 2, each option's data ---- */

/* Fixed sizes (MS-TDS 2.2.6.5): 0 = any length. THREADID is 4 in requests, 0 in replies. */
static size_t fixed_size(uint8_t tok)
{
    switch (tok) {
    case TDS_PL_VERSION:
        return 6;
    case TDS_PL_ENCRYPTION:
    case TDS_PL_MARS:
    case TDS_PL_FEDAUTHREQUIRED:
        return 1;
    case TDS_PL_TRACEID:
        return 36;
    case TDS_PL_NONCEOPT:
        return 32;
    default:
        return 0;
    }
}

static int check_size(const struct tds_pl_option *o, size_t at, struct tds_error *e)
{
    const char *name = tds_pl_token_name(o->token);
    size_t want = fixed_size(o->token);

    if (o->token == TDS_PL_THREADID && o->length != 0 && o->length != 4) {
        return tds_error_set(e, TDS_ERR_OPTION_BAD_LENGTH, at, o->token,
                             "option %s at table offset %zu claims %u bytes; %s is 0 or 4 "
                             "bytes", name, at, (unsigned)o->length, name);
    }
    if (want != 0 && o->length != want) {
        return tds_error_set(e, TDS_ERR_OPTION_BAD_LENGTH, at, o->token,
                             "option %s at table offset %zu claims %u bytes; %s is %zu byte%s",
                             name, at, (unsigned)o->length, name, want, want == 1 ? "" : "s");
    }
    return TDS_ERR_OK;
}

static int check_place(const struct tds_rd *all, const struct tds_prelogin *pl,
                       struct tds_pl_option *o, size_t at, struct tds_error *e)
{
    const char *name = tds_pl_token_name(o->token);
    struct tds_rd view;

    if (!tds_rd_view(all, o->offset, o->length, &view)) {
        return tds_error_set(e, TDS_ERR_OPTION_OUT_OF_RANGE, at, o->token,
                             "option %s at table offset %zu claims bytes [%u, %u) of a "
                             "%zu-byte payload", name, at, (unsigned)o->offset,
                             (unsigned)o->offset + o->length, all->len);
    }
    if (o->length > 0 && o->offset < pl->table_len) {
        return tds_error_set(e, TDS_ERR_OPTION_OVERLAP, at, o->token,
                             "option %s at table offset %zu has data at offset %u, inside the "
                             "%zu-byte option table", name, at, (unsigned)o->offset,
                             pl->table_len);
    }
    o->data = view.buf;
    return TDS_ERR_OK;
}

static bool overlaps(const struct tds_pl_option *a, const struct tds_pl_option *b)
{
    if (a->length == 0 || b->length == 0) {
        return false;
    }
    size_t a_end = (size_t)a->offset + a->length;
    size_t b_end = (size_t)b->offset + b->length;
    return a->offset < b_end && b->offset < a_end;
}

static int check_overlaps(const struct tds_prelogin *pl, struct tds_error *e)
{
    for (size_t i = 1; i < pl->n_options; i++) {
        const struct tds_pl_option *o = &pl->options[i];
        for (size_t j = 0; j < i; j++) {
            if (!overlaps(o, &pl->options[j])) {
                continue;
            }
            return tds_error_set(e, TDS_ERR_OPTION_OVERLAP, i * ENTRY_LEN, o->token,
                                 "option %s at table offset %zu ([%u, %u)) overlaps option %s "
                                 "at table offset %zu", tds_pl_token_name(o->token),
                                 i * ENTRY_LEN, (unsigned)o->offset,
                                 (unsigned)o->offset + o->length,
                                 tds_pl_token_name(pl->options[j].token), j * ENTRY_LEN);
        }
    }
    return TDS_ERR_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sizes were checked, so each known option's view has exactly the bytes read here. */
static void store(struct tds_prelogin *pl, const struct tds_pl_option *o)
{
    switch (o->token) {
    case TDS_PL_VERSION:
        pl->has_version = true;
        tds_version_decode(o->data, &pl->version);
        break;
    case TDS_PL_ENCRYPTION:
        pl->has_encryption = true;
        pl->encryption = o->data[0];
        break;
    case TDS_PL_INSTOPT:
        pl->has_instopt = true;
        pl->instopt = o->data;
        pl->instopt_len = o->length;
        break;
    case TDS_PL_THREADID:
        pl->has_threadid = true;
        pl->threadid_len = o->length;
        pl->threadid = o->length == 4 ? be32(o->data) : 0;
        break;
    case TDS_PL_MARS:
        pl->has_mars = true;
        pl->mars = o->data[0];
        break;
    case TDS_PL_TRACEID:
        pl->has_traceid = true;
        pl->traceid = o->data;
        break;
    case TDS_PL_FEDAUTHREQUIRED:
        pl->has_fedauth = true;
        pl->fedauth = o->data[0];
        break;
    case TDS_PL_NONCEOPT:
        pl->has_nonce = true;
        pl->nonce = o->data;
        break;
    default:
        break; /* unknown tokens stay in options[] only (SqlClient skips them too) */
    }
}

int tds_prelogin_parse(const uint8_t *p, size_t n, struct tds_prelogin *pl, struct tds_error *e)
{
    struct tds_rd all = tds_rd_make(p, n);
    struct tds_rd r = all;

    memset(pl, 0, sizeof(*pl));
    int rc = read_table(&r, pl, e);
    for (size_t i = 0; rc == TDS_ERR_OK && i < pl->n_options; i++) {
        rc = check_place(&all, pl, &pl->options[i], i * ENTRY_LEN, e);
        if (rc == TDS_ERR_OK) {
            rc = check_size(&pl->options[i], i * ENTRY_LEN, e);
        }
    }
    if (rc == TDS_ERR_OK) {
        rc = check_overlaps(pl, e);
    }
    if (rc != TDS_ERR_OK) {
        memset(pl, 0, sizeof(*pl));
        return rc;
    }
    for (size_t i = 0; i < pl->n_options; i++) {
        store(pl, &pl->options[i]);
    }
    return TDS_ERR_OK;
}

/* ---- build ---- */

size_t tds_prelogin_encode(const struct tds_pl_item *items, size_t n, uint8_t *out, size_t cap)
{
    if (n > (UINT16_MAX - 1) / ENTRY_LEN) {
        return 0;
    }
    size_t off = n * ENTRY_LEN + 1;
    struct tds_wr w = tds_wr_make(out, cap);

    for (size_t i = 0; i < n; i++) {
        /* Offsets are u16: the data area must end by 65535. */
        if (items[i].len > UINT16_MAX - off) {
            return 0;
        }
        tds_wr_u8(&w, items[i].token);
        tds_wr_u16be(&w, (uint16_t)off);
        tds_wr_u16be(&w, items[i].len);
        off += items[i].len;
    }
    tds_wr_u8(&w, TDS_PL_TERMINATOR);
    for (size_t i = 0; i < n; i++) {
        tds_wr_bytes(&w, items[i].data, items[i].len);
    }
    return w.overflow ? 0 : w.len;
}

static void put_item(struct tds_pl_item *items, size_t *n, uint8_t tok, const uint8_t *data,
                     size_t len)
{
    items[*n] = (struct tds_pl_item){ .token = tok, .data = data, .len = (uint16_t)len };
    (*n)++;
}

size_t tds_prelogin_build_client(const struct tds_prelogin_client *c, uint8_t *out, size_t cap)
{
    static const uint8_t no_instance[1] = { 0 };
    static const uint8_t fedauth_required[1] = { 0x01 };
    struct tds_pl_item items[7];
    uint8_t version[6], threadid[4];
    size_t n = 0;

    const char *inst = c->instance != NULL ? c->instance : "";
    size_t inst_len = strlen(inst) + 1; /* INSTOPT carries the NUL (MS-TDS 2.2.6.5) */
    if (inst_len > UINT16_MAX) {
        return 0;
    }
    tds_version_encode(&c->version, version);
    struct tds_wr tw = tds_wr_make(threadid, sizeof(threadid));
    tds_wr_u32be(&tw, c->threadid);

    put_item(items, &n, TDS_PL_VERSION, version, sizeof(version));
    put_item(items, &n, TDS_PL_ENCRYPTION, &c->encryption, 1);
    put_item(items, &n, TDS_PL_INSTOPT,
             inst_len == 1 ? no_instance : (const uint8_t *)inst, inst_len);
    put_item(items, &n, TDS_PL_THREADID, threadid, sizeof(threadid));
    if (c->send_mars) {
        put_item(items, &n, TDS_PL_MARS, &c->mars, 1);
    }
    if (c->send_traceid) {
        put_item(items, &n, TDS_PL_TRACEID, c->traceid, sizeof(c->traceid));
    }
    if (c->send_fedauth) {
        put_item(items, &n, TDS_PL_FEDAUTHREQUIRED, fedauth_required, 1);
    }
    return tds_prelogin_encode(items, n, out, cap);
}

size_t tds_prelogin_build_server(const struct tds_prelogin_server *s, uint8_t *out, size_t cap)
{
    struct tds_pl_item items[6];
    uint8_t version[6];
    size_t n = 0;

    tds_version_encode(&s->version, version);
    put_item(items, &n, TDS_PL_VERSION, version, sizeof(version));
    put_item(items, &n, TDS_PL_ENCRYPTION, &s->encryption, 1);
    put_item(items, &n, TDS_PL_INSTOPT, &s->instopt, 1);
    /* Real servers answer THREADID with length 0, at the next option's offset (fixture F3). */
    put_item(items, &n, TDS_PL_THREADID, NULL, 0);
    if (s->send_mars) {
        put_item(items, &n, TDS_PL_MARS, &s->mars, 1);
    }
    if (s->send_fedauth) {
        put_item(items, &n, TDS_PL_FEDAUTHREQUIRED, &s->fedauth, 1);
    }
    return tds_prelogin_encode(items, n, out, cap);
}
