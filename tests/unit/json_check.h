/* tests/unit/json_check.h: a strict JSON validator for the writers' tests (RFC 8259 grammar,
 * UTF-8, no duplicate keys) that records every key path ("client.driver", "tls.chain[].san"),
 * so a test can compare field names with the contract's exactly. Test-only, header-only. */
#ifndef TESTS_UNIT_JSON_CHECK_H
#define TESTS_UNIT_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATHS 256

struct jv {
    const char *p;
    const char *end;
    char paths[MAX_PATHS][96];
    size_t n;
    int depth;
};

static inline void jv_ws(struct jv *v)
{
    while (v->p < v->end && strchr(" \t\r\n", *v->p) != NULL && *v->p != '\0') {
        v->p++;
    }
}

static inline void jv_record(struct jv *v, const char *path)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->paths[i], path) == 0) {
            return;
        }
    }
    if (v->n < MAX_PATHS) {
        snprintf(v->paths[v->n++], sizeof(v->paths[0]), "%s", path);
    }
}

static inline bool jv_hex4(struct jv *v)
{
    for (int i = 0; i < 4; i++) {
        if (v->p >= v->end || strchr("0123456789abcdefABCDEF", *v->p) == NULL || *v->p == 0) {
            return false;
        }
        v->p++;
    }
    return true;
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static inline size_t jv_utf8(const unsigned char *p, const unsigned char *end)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
                           : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;

    if (n == 0 || (size_t)(end - p) < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F)) {
        return 0;
    }
    return n;
}

static inline bool jv_string(struct jv *v, char *out, size_t cap)
{
    size_t o = 0;

    if (v->p >= v->end || *v->p != '"') {
        return false;
    }
    v->p++;
    while (v->p < v->end && *v->p != '"') {
        unsigned char c = (unsigned char)*v->p;
        size_t n;
        if (c < 0x20) {
            return false; /* raw control characters are not allowed */
        }
        if (c == '\\') {
            v->p++;
            if (v->p >= v->end || strchr("\"\\/bfnrtu", *v->p) == NULL || *v->p == 0) {
                return false;
            }
            if (*v->p++ == 'u' && !jv_hex4(v)) {
                return false;
            }
            continue;
        }
        n = jv_utf8((const unsigned char *)v->p, (const unsigned char *)v->end);
        if (n == 0) {
            return false;
        }
        if (out != NULL && o + n < cap) {
            memcpy(out + o, v->p, n);
            o += n;
        }
        v->p += n;
    }
    if (out != NULL) {
        out[o < cap ? o : cap - 1] = '\0';
    }
    if (v->p >= v->end) {
        return false;
    }
    v->p++;
    return true;
}

static inline bool jv_number(struct jv *v)
{
    const char *s = v->p;

    if (v->p < v->end && *v->p == '-') {
        v->p++;
    }
    if (v->p >= v->end || *v->p < '0' || *v->p > '9') {
        return false;
    }
    if (*v->p == '0') {
        v->p++;
    } else {
        while (v->p < v->end && *v->p >= '0' && *v->p <= '9') {
            v->p++;
        }
    }
    if (v->p < v->end && *v->p == '.') {
        v->p++;
        if (v->p >= v->end || *v->p < '0' || *v->p > '9') {
            return false;
        }
        while (v->p < v->end && *v->p >= '0' && *v->p <= '9') {
            v->p++;
        }
    }
    return v->p > s;
}

static inline bool jv_value(struct jv *v, const char *path);

static inline bool jv_object(struct jv *v, const char *path)
{
    char keys[64][48];
    size_t nk = 0;

    v->p++;
    jv_ws(v);
    if (v->p < v->end && *v->p == '}') {
        v->p++;
        return true;
    }
    for (;;) {
        char key[48], sub[96];
        jv_ws(v);
        if (!jv_string(v, key, sizeof(key))) {
            return false;
        }
        for (size_t i = 0; i < nk; i++) {
            if (strcmp(keys[i], key) == 0) {
                return false; /* duplicate key */
            }
        }
        if (nk < 64) {
            snprintf(keys[nk++], sizeof(keys[0]), "%s", key);
        }
        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] != '\0' ? "." : "", key);
        jv_record(v, sub);
        jv_ws(v);
        if (v->p >= v->end || *v->p++ != ':' || !jv_value(v, sub)) {
            return false;
        }
        jv_ws(v);
        if (v->p < v->end && *v->p == ',') {
            v->p++;
            continue;
        }
        if (v->p < v->end && *v->p == '}') {
            v->p++;
            return true;
        }
        return false;
    }
}

static inline bool jv_array(struct jv *v, const char *path)
{
    char sub[96];

    snprintf(sub, sizeof(sub), "%s[]", path);
    v->p++;
    jv_ws(v);
    if (v->p < v->end && *v->p == ']') {
        v->p++;
        return true;
    }
    for (;;) {
        if (!jv_value(v, sub)) {
            return false;
        }
        jv_ws(v);
        if (v->p < v->end && *v->p == ',') {
            v->p++;
            continue;
        }
        if (v->p < v->end && *v->p == ']') {
            v->p++;
            return true;
        }
        return false;
    }
}

static inline bool jv_literal(struct jv *v, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0) {
        return false;
    }
    v->p += n;
    return true;
}

static inline bool jv_value(struct jv *v, const char *path)
{
    bool ok;

    jv_ws(v);
    if (v->p >= v->end || ++v->depth > 32) {
        return false;
    }
    switch (*v->p) {
    case '{':
        ok = jv_object(v, path);
        break;
    case '[':
        ok = jv_array(v, path);
        break;
    case '"':
        ok = jv_string(v, NULL, 0);
        break;
    case 't':
        ok = jv_literal(v, "true");
        break;
    case 'f':
        ok = jv_literal(v, "false");
        break;
    case 'n':
        ok = jv_literal(v, "null");
        break;
    default:
        ok = jv_number(v);
        break;
    }
    v->depth--;
    return ok;
}

/* Validates one JSON Lines record: one value, then exactly one "\n". */
static inline bool jv_parse_line(struct jv *v, const char *s, size_t n)
{
    memset(v, 0, sizeof(*v));
    v->p = s;
    v->end = s + n;
    if (n == 0 || s[n - 1] != '\n' || memchr(s, '\n', n - 1) != NULL) {
        return false;
    }
    v->end = s + n - 1;
    if (!jv_value(v, "")) {
        return false;
    }
    jv_ws(v);
    return v->p == v->end;
}

/* Every recorded key directly under prefix ("" = top level), as a sorted comma list. */
static inline int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static inline void keys_under(const struct jv *v, const char *prefix, char *out, size_t cap)
{
    const char *list[MAX_PATHS];
    size_t n = 0, plen = strlen(prefix), o = 0;

    for (size_t i = 0; i < v->n; i++) {
        const char *k = v->paths[i];
        if (plen > 0 && (strncmp(k, prefix, plen) != 0 || k[plen] != '.')) {
            continue;
        }
        k += plen > 0 ? plen + 1 : 0;
        if (strchr(k, '.') == NULL && (plen > 0 || strchr(v->paths[i], '.') == NULL)) {
            list[n++] = k;
        }
    }
    qsort(list, n, sizeof(list[0]), cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s", i > 0 ? "," : "", list[i]);
    }
}

#endif
