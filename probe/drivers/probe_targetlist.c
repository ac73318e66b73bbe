/* probe/drivers/probe_targetlist.c: an ordered list with a hash set beside it, so a fleet file
 * with 10,000 lines is de-duplicated in linear time. */
#include "probe/drivers/probe_targetlist.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static int grow_set(struct probe_targetlist *l)
{
    size_t n = l->nslots ? l->nslots * 2 : 64;
    size_t *slots = calloc(n, sizeof(*slots));

    if (!slots) {
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        size_t k = hash(l->items[i]) & (n - 1);
        while (slots[k]) {
            k = (k + 1) & (n - 1);
        }
        slots[k] = i + 1;
    }
    free(l->slots);
    l->slots = slots;
    l->nslots = n;
    return 0;
}

/* The slot for text: either holding it, or the empty one where it would go. */
static size_t find_slot(const struct probe_targetlist *l, const char *text)
{
    size_t k = hash(text) & (l->nslots - 1);

    while (l->slots[k] && strcmp(l->items[l->slots[k] - 1], text) != 0) {
        k = (k + 1) & (l->nslots - 1);
    }
    return k;
}

/* Room for one more item in items and where. */
static int grow_items(struct probe_targetlist *l)
{
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **items = realloc(l->items, cap * sizeof(*items));

    if (!items) {
        return -1;
    }
    l->items = items;
    char **where = realloc(l->where, cap * sizeof(*where));
    if (!where) {
        return -1;
    }
    l->where = where;
    l->cap = cap;
    return 0;
}

int probe_targetlist_add_at(struct probe_targetlist *l, const char *text, const char *where)
{
    if ((l->n + 1) * 2 > l->nslots && grow_set(l) != 0) {
        return -1;
    }
    size_t k = find_slot(l, text);
    if (l->slots[k]) {
        l->duplicates++;
        return 0;
    }
    if (l->n == l->cap && grow_items(l) != 0) {
        return -1;
    }
    char *copy = strdup(text);
    char *place = where ? strdup(where) : NULL;
    if (!copy || (where && !place)) {
        free(copy);
        free(place);
        return -1;
    }
    l->items[l->n] = copy;
    l->where[l->n++] = place;
    l->slots[k] = l->n;
    return 1;
}

int probe_targetlist_add(struct probe_targetlist *l, const char *text)
{
    return probe_targetlist_add_at(l, text, NULL);
}

const char *probe_targetlist_where(const struct probe_targetlist *l, size_t i)
{
    return i < l->n && l->where[i] ? l->where[i] : "";
}

static char *trim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    while (isspace((unsigned char)*s)) {
        s++;
    }
    return s;
}

int probe_targetlist_read(struct probe_targetlist *l, FILE *f, const char *name, char *err,
                          size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int rc = 0;

    while (rc == 0 && (len = getline(&line, &cap, f)) != -1) {
        lineno++;
        if ((size_t)len > MAX_LINE || memchr(line, '\0', (size_t)len)) {
            snprintf(err, errlen, "%s:%u: %s", name, lineno,
                     (size_t)len > MAX_LINE ? "line longer than 4096 bytes" : "NUL byte in line");
            rc = -1;
            break;
        }
        char *t = trim(line);
        if (*t == '\0' || *t == '#') {
            continue;
        }
        char place[300];
        snprintf(place, sizeof(place), "%.280s:%u", name, lineno);
        if (probe_targetlist_add_at(l, t, place) < 0) {
            snprintf(err, errlen, "%s:%u: out of memory", name, lineno);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read %s", name);
        rc = -1;
    }
    free(line);
    return rc;
}

void probe_targetlist_free(struct probe_targetlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i]);
        free(l->where[i]);
    }
    free(l->items);
    free(l->where);
    free(l->slots);
    memset(l, 0, sizeof(*l));
}
