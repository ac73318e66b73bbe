/* tds/tds_ssrp.c: SQL Server Browser (MC-SQLR) requests and the SVR_RESP reply (MC-SQLR 2.2.5).
 *
 * RESP_DATA grammar, per instance: ("key;value;")+ then ";" -- so each instance ends with ";;".
 * ServerName, InstanceName, IsClustered and Version are required (MC-SQLR 2.2.5); tcp and np
 * are optional and may come in either order; any other key (via, rpc, spx, adsp, bv...) is
 * skipped. Values longer than the field that stores them are SSRP_FIELD_TOO_LONG, not cut. */
#include "tds/tds_ssrp.h"

#include <stdio.h>
#include <string.h>

#include "tds/tds_cursor.h"

size_t tds_ssrp_build_ucast_inst(const char *instance, uint8_t *out, size_t cap)
{
    size_t len = instance != NULL ? strlen(instance) : 0;
    if (len == 0 || len > TDS_SSRP_MAX_INSTANCE_NAME) {
        return 0;
    }
    struct tds_wr w = tds_wr_make(out, cap);
    tds_wr_u8(&w, TDS_SSRP_CLNT_UCAST_INST);
    tds_wr_bytes(&w, instance, len);
    tds_wr_u8(&w, 0x00);
    return w.overflow ? 0 : w.len;
}

size_t tds_ssrp_build_ucast_ex(uint8_t *out, size_t cap)
{
    struct tds_wr w = tds_wr_make(out, cap);
    tds_wr_u8(&w, TDS_SSRP_CLNT_UCAST_EX);
    return w.overflow ? 0 : w.len;
}

/* ---- parse ---- */

#define HDR_LEN 3 /* 0x05 + RESP_SIZE (u16 LE) */

/* One ';'-terminated field of RESP_DATA: a view plus its offset in the datagram. */
struct field {
    const uint8_t *p;
    size_t len;
    size_t at;
};

static int next_field(struct tds_rd *r, struct field *f, struct tds_error *e)
{
    size_t start = r->pos;
    const uint8_t *end = memchr(r->buf + start, ';', tds_rd_left(r));

    if (end == NULL) {
        return tds_error_set(e, TDS_ERR_SSRP_BAD_SYNTAX, HDR_LEN + start, -1,
                             "field at offset %zu has no ';' before the reply ends",
                             HDR_LEN + start);
    }
    f->p = r->buf + start;
    f->len = (size_t)(end - f->p);
    f->at = HDR_LEN + start;
    if (memchr(f->p, '\0', f->len) != NULL) {
        return tds_error_set(e, TDS_ERR_SSRP_BAD_SYNTAX, f->at, -1,
                             "field at offset %zu contains a NUL byte", f->at);
    }
    r->pos += f->len + 1;
    return TDS_ERR_OK;
}

static bool field_is(const struct field *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->p, s, n) == 0; /* keys are case-sensitive (MC-SQLR 2.2.5) */
}

static int copy_text(const struct field *key, const struct field *v, char *dst, size_t cap,
                     struct tds_error *e)
{
    if (v->len >= cap) {
        return tds_error_set(e, TDS_ERR_SSRP_FIELD_TOO_LONG, v->at, -1,
                             "%.*s value at offset %zu is %zu bytes; the limit is %zu",
                             (int)key->len, (const char *)key->p, v->at, v->len, cap - 1);
    }
    memcpy(dst, v->p, v->len);
    dst[v->len] = '\0';
    return TDS_ERR_OK;
}

static int parse_port(const struct field *v, int *port, struct tds_error *e)
{
    unsigned long n = 0;
    bool ok = v->len > 0 && v->len <= 5;

    for (size_t i = 0; ok && i < v->len; i++) {
        ok = v->p[i] >= '0' && v->p[i] <= '9';
        n = n * 10 + (unsigned long)(v->p[i] - '0');
    }
    if (!ok || n == 0 || n > 65535) {
        return tds_error_set(e, TDS_ERR_SSRP_BAD_SYNTAX, v->at, -1,
                             "tcp port \"%.*s\" at offset %zu is not a number in 1..65535",
                             (int)(v->len > 16 ? 16 : v->len), (const char *)v->p, v->at);
    }
    *port = (int)n;
    return TDS_ERR_OK;
}

/* Bits of the required keys seen in one instance. */
enum { SEEN_SERVER = 1, SEEN_INSTANCE = 2, SEEN_CLUSTERED = 4, SEEN_VERSION = 8, SEEN_ALL = 15 };

static int store_pair(const struct field *k, const struct field *v, struct tds_ssrp_instance *in,
                      unsigned *seen, struct tds_error *e)
{
    if (field_is(k, "ServerName")) {
        *seen |= SEEN_SERVER;
        return copy_text(k, v, in->server, sizeof(in->server), e);
    }
    if (field_is(k, "InstanceName")) {
        *seen |= SEEN_INSTANCE;
        return copy_text(k, v, in->instance, sizeof(in->instance), e);
    }
    if (field_is(k, "IsClustered")) {
        *seen |= SEEN_CLUSTERED;
        in->clustered = field_is(v, "Yes");
        return TDS_ERR_OK;
    }
    if (field_is(k, "Version")) {
        *seen |= SEEN_VERSION;
        return copy_text(k, v, in->version, sizeof(in->version), e);
    }
    if (field_is(k, "tcp")) {
        return parse_port(v, &in->tcp_port, e);
    }
    if (field_is(k, "np")) {
        return copy_text(k, v, in->pipe, sizeof(in->pipe), e);
    }
    return TDS_ERR_OK;
}

static const char *missing_key(unsigned seen)
{
    if (!(seen & SEEN_SERVER)) {
        return "ServerName";
    }
    if (!(seen & SEEN_INSTANCE)) {
        return "InstanceName";
    }
    if (!(seen & SEEN_CLUSTERED)) {
        return "IsClustered";
    }
    return "Version";
}

/* Parses one instance, up to and including its closing ";" (the second of ";;"). */
static int parse_instance(struct tds_rd *r, struct tds_ssrp_instance *in, struct tds_error *e)
{
    size_t start = HDR_LEN + r->pos;
    unsigned seen = 0;
    struct field k, v;

    memset(in, 0, sizeof(*in));
    in->tcp_port = -1;
    for (;;) {
        int rc = next_field(r, &k, e);
        if (rc != TDS_ERR_OK) {
            return rc;
        }
        if (k.len == 0) {
            break; /* the empty key is the second ';' of ";;" */
        }
        rc = next_field(r, &v, e);
        if (rc == TDS_ERR_OK) {
            rc = store_pair(&k, &v, in, &seen, e);
        }
        if (rc != TDS_ERR_OK) {
            return rc;
        }
    }
    if (seen != SEEN_ALL) {
        return tds_error_set(e, TDS_ERR_SSRP_BAD_SYNTAX, start, -1,
                             "instance at offset %zu has no %s", start, missing_key(seen));
    }
    return TDS_ERR_OK;
}

static int check_header(struct tds_rd *r, size_t n, struct tds_error *e)
{
    uint8_t type;
    uint16_t size;

    if (!tds_rd_u8(r, &type)) {
        return tds_error_set(e, TDS_ERR_TRUNCATED, 0, -1, "SQL Browser reply is empty");
    }
    if (type != TDS_SSRP_SVR_RESP) {
        return tds_error_set(e, TDS_ERR_SSRP_BAD_TYPE, 0, -1,
                             "SQL Browser reply starts with 0x%02X, not 0x05", type);
    }
    if (!tds_rd_u16le(r, &size)) {
        return tds_error_set(e, TDS_ERR_TRUNCATED, n, -1,
                             "SQL Browser reply of %zu bytes has no RESP_SIZE", n);
    }
    if (size != n - HDR_LEN) {
        return tds_error_set(e, TDS_ERR_SSRP_BAD_SIZE, 1, -1,
                             "RESP_SIZE says %u bytes but the datagram carries %zu after the "
                             "3-byte header", (unsigned)size, n - HDR_LEN);
    }
    return TDS_ERR_OK;
}

int tds_ssrp_parse(const uint8_t *p, size_t n, struct tds_ssrp_instance *out, size_t max,
                   size_t *count, size_t *total, struct tds_error *e)
{
    struct tds_rd r = tds_rd_make(p, n);
    struct tds_ssrp_instance scratch;

    *count = 0;
    *total = 0;
    int rc = check_header(&r, n, e);
    if (rc != TDS_ERR_OK) {
        return rc;
    }
    /* RESP_DATA as its own cursor, so field offsets are data offsets + HDR_LEN. */
    struct tds_rd data = tds_rd_make(p + HDR_LEN, n - HDR_LEN);
    while (rc == TDS_ERR_OK && tds_rd_left(&data) > 0) {
        struct tds_ssrp_instance *in = *count < max ? &out[*count] : &scratch;
        rc = parse_instance(&data, in, e);
        if (rc == TDS_ERR_OK) {
            *count += in != &scratch;
            *total += 1;
        }
    }
    return rc;
}

/* ---- build (fakesql) ---- */

static bool has_semicolon(const char *s)
{
    return strchr(s, ';') != NULL;
}

static void put_pair(struct tds_wr *w, const char *key, const char *value)
{
    tds_wr_bytes(w, key, strlen(key));
    tds_wr_u8(w, ';');
    tds_wr_bytes(w, value, strlen(value));
    tds_wr_u8(w, ';');
}

static bool put_instance(struct tds_wr *w, const struct tds_ssrp_instance *in)
{
    if (has_semicolon(in->server) || has_semicolon(in->instance) || has_semicolon(in->version) ||
        has_semicolon(in->pipe)) {
        return false;
    }
    put_pair(w, "ServerName", in->server);
    put_pair(w, "InstanceName", in->instance);
    put_pair(w, "IsClustered", in->clustered ? "Yes" : "No");
    put_pair(w, "Version", in->version);
    if (in->tcp_port >= 0) {
        char port[12];
        snprintf(port, sizeof(port), "%d", in->tcp_port);
        put_pair(w, "tcp", port);
    }
    if (in->pipe[0] != '\0') {
        put_pair(w, "np", in->pipe);
    }
    tds_wr_u8(w, ';');
    return true;
}

size_t tds_ssrp_build_resp(const struct tds_ssrp_instance *in, size_t n, uint8_t *out, size_t cap)
{
    struct tds_wr w = tds_wr_make(out, cap);

    tds_wr_u8(&w, TDS_SSRP_SVR_RESP);
    tds_wr_u16le(&w, 0); /* patched below */
    for (size_t i = 0; i < n; i++) {
        if (!put_instance(&w, &in[i])) {
            return 0;
        }
    }
    if (w.overflow || w.len - HDR_LEN > UINT16_MAX) {
        return 0;
    }
    size_t size = w.len - HDR_LEN;
    out[1] = (uint8_t)size;
    out[2] = (uint8_t)(size >> 8);
    return w.len;
}
