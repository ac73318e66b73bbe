/* probe/engine/probe_queue.c: waiting targets, interned clients, shared TLS configs (see
 * probe_queue.h). */
#include "probe/engine/probe_queue.h"

#include "probe/drivers/probe_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/drivers/probe_client.h"
#include "probe/engine/probe_conn.h"
#include "probe/engine/probe_truststore.h"
#include "tls/tls_config.h"
#include "tls/tls_pin.h"
#include "tls/tls_version.h"

struct probe_profile {
    struct probe_profile *next;
    char ca[1024];
    bool alpn;      /* ALPN tds/8.0 (strict) */
    int min, max;
    enum tls_handshake_mode mode;
    struct tls_config *cfg;
};

struct probe_pin_node {
    struct probe_pin_node *next;
    char path[1024];
    struct tls_pin pin;
};

struct probe_client_node {
    struct probe_client_node *next;
    uint64_t hash;
    struct probe_client c;
};

static const struct tls_config *profile_get(struct probe_queue *q, const char *ca, bool alpn,
                                            int min, int max, enum tls_handshake_mode mode,
                                            char *err, size_t errlen)
{
    struct probe_profile *p;

    for (p = q->profiles; p; p = p->next) {
        if (strcmp(p->ca, ca ? ca : "") == 0 && p->alpn == alpn && p->min == min && p->max == max &&
            p->mode == mode) {
            return p->cfg;
        }
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct tls_config_opts o = { .min_version = min, .max_version = max, .ca_file = ca,
                                 .alpn = alpn ? PROBE_TDS8_ALPN : NULL, .mode = mode,
                                 .app_data = alpn /* strict: PRELOGIN travels inside TLS */ };
    if (tls_config_new(&p->cfg, &o, err, errlen) != 0) {
        free(p);
        return NULL;
    }
    snprintf(p->ca, sizeof(p->ca), "%s", ca ? ca : "");
    p->alpn = alpn;
    p->min = min;
    p->max = max;
    p->mode = mode;
    p->next = q->profiles;
    q->profiles = p;
    return p->cfg;
}

/* The client's pin, read once per file; NULL with err empty when it has none. */
static const struct tls_pin *pin_get(struct probe_queue *q, const struct probe_client *c,
                                     char *err, size_t errlen)
{
    struct probe_pin_node *p;

    err[0] = '\0';
    if (c->server_certificate[0] == '\0') {
        return NULL;
    }
    for (p = q->pins; p; p = p->next) {
        if (strcmp(p->path, c->server_certificate) == 0) {
            return &p->pin;
        }
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (probe_client_load_pin(c, &p->pin, err, errlen) != 0) {
        free(p);
        return NULL;
    }
    snprintf(p->path, sizeof(p->path), "%s", c->server_certificate);
    p->next = q->pins;
    q->pins = p;
    return &p->pin;
}

/* One shared copy per distinct client profile (callers zero their targets, so equal profiles
 * are equal bytes). */
static const struct probe_client *client_intern(struct probe_queue *q,
                                                const struct probe_client *c)
{
    const unsigned char *b = (const unsigned char *)c;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t nb = sizeof(q->clients) / sizeof(q->clients[0]);

    /* One memcmp instead of hashing 2.4 KiB byte by byte for every target of a fleet. */
    if (q->last != NULL && memcmp(&q->last->c, c, sizeof(*c)) == 0) {
        return &q->last->c;
    }
    for (size_t i = 0; i < sizeof(*c); i++) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    for (struct probe_client_node *n = q->clients[h % nb]; n; n = n->next) {
        if (n->hash == h && memcmp(&n->c, c, sizeof(*c)) == 0) {
            q->last = n;
            return &n->c;
        }
    }
    struct probe_client_node *n = malloc(sizeof(*n));
    if (!n) {
        return NULL;
    }
    n->hash = h;
    n->c = *c;
    n->next = q->clients[h % nb];
    q->clients[h % nb] = n;
    q->last = n;
    return &n->c;
}

static int push(struct probe_queue *q, const struct probe_queued *item)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        struct probe_queued *p = realloc(q->items, cap * sizeof(*p));
        if (!p) {
            return -1;
        }
        q->items = p;
        q->cap = cap;
    }
    q->items[q->len++] = *item;
    return 0;
}

void probe_queued_clear(struct probe_queued *it)
{
    free(it->text);
    free(it->host);
    it->text = it->host = NULL;
}

int probe_queue_add(struct probe_queue *q, const struct probe_target *t, char *err,
                    size_t errlen)
{
    const struct probe_client *c = &t->client;
    const char *ca = c->ca_file[0] ? c->ca_file : probe_truststore_find();
    bool strict = c->encrypt == PROBE_ENCRYPT_STRICT;
    struct probe_queued it = { .port = t->port, .user = t->user };
    int min, max;

    /* mbedTLS 2.28 speaks TLS 1.2 at most: these configs are the TLS 1.2 side (strict mode
     * tries TLS 1.3 first with tls/tls13_client.h, which uses cfg's trust store; --protocols
     * detects it with tls/tls13_probe.h). Configs are made here, not at start, so a bad CA file
     * is a usage error before any probe runs. */
    probe_client_tls_range(c, strict, &min, &max);
    it.cfg = profile_get(q, ca, strict, min > TLS_V12 ? TLS_V12 : min,
                         max > TLS_V12 ? TLS_V12 : max, c->handshake, err, errlen);
    it.wide = it.cfg ? profile_get(q, ca, false, TLS_V10, TLS_V12, TLS_HANDSHAKE_CERTIFICATE, err,
                                   errlen) : NULL;
    if (!it.cfg || !it.wide) {
        return -1;
    }
    it.pin = pin_get(q, c, err, errlen);
    if (!it.pin && err[0]) {
        return -1;
    }
    memcpy(it.instance, t->instance, sizeof(it.instance));
    it.client = client_intern(q, c);
    it.text = strdup(t->text);
    it.host = strdup(t->host);
    if (!it.client || !it.text || !it.host || push(q, &it) != 0) {
        probe_queued_clear(&it);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

struct probe_queued *probe_queue_pop(struct probe_queue *q)
{
    if (q->next == q->len) {
        return NULL;
    }
    struct probe_queued *it = &q->items[q->next++];
    if (q->next == q->len) { /* a long-running exporter must not grow the queue forever */
        q->next = q->len = 0;
    }
    return it;
}

size_t probe_queue_waiting(const struct probe_queue *q)
{
    return q->len - q->next;
}

size_t probe_queue_remove(struct probe_queue *q, const void *user)
{
    size_t kept = q->next, dropped = 0;

    for (size_t i = q->next; i < q->len; i++) {
        if (q->items[i].user == user) {
            probe_queued_clear(&q->items[i]);
            dropped++;
        } else {
            q->items[kept++] = q->items[i];
        }
    }
    q->len = kept;
    if (q->next == q->len) {
        q->next = q->len = 0;
    }
    return dropped;
}

void probe_queue_free(struct probe_queue *q)
{
    while (q->profiles) {
        struct probe_profile *p = q->profiles;
        q->profiles = p->next;
        tls_config_free(p->cfg);
        free(p);
    }
    for (size_t i = q->next; i < q->len; i++) {
        probe_queued_clear(&q->items[i]);
    }
    free(q->items);
    while (q->pins) {
        struct probe_pin_node *p = q->pins;
        q->pins = p->next;
        tls_pin_free(&p->pin);
        free(p);
    }
    for (size_t i = 0; i < sizeof(q->clients) / sizeof(q->clients[0]); i++) {
        while (q->clients[i]) {
            struct probe_client_node *n = q->clients[i];
            q->clients[i] = n->next;
            free(n);
        }
    }
    memset(q, 0, sizeof(*q));
}
