/* probe/engine/probe_queue.h: the engine's targets waiting for a free slot. A fleet file may hold
 * 10,000 targets, so a waiting one costs a few dozen bytes plus its strings; the job (5 KB: the
 * whole probe_target and its facts) is made only when its probe starts. Equal client profiles
 * are stored once, and every distinct (trust store, TLS versions, handshake mode) gets one TLS
 * config, shared by every target that needs it. */
#ifndef PROBE_PROBE_QUEUE_H
#define PROBE_PROBE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"

struct probe_queued {
    char *text;   /* owned */
    char *host;   /* owned */
    uint16_t port;
    char instance[33];
    const struct probe_client *client; /* owned by the queue */
    const struct tls_config *cfg;      /* the client's own handshake, owned by the queue */
    const struct tls_config *wide;     /* the follow-up: TLS 1.0-1.2, certificate mode */
    const struct tls_pin *pin;         /* the client's pinned certificate, or NULL; owned by
                                          the queue */
    void *user;
};

struct probe_profile;
struct probe_client_node;
struct probe_pin_node;
struct tls_pin;

/* Zero-initialised before use. */
struct probe_queue {
    struct probe_profile *profiles;
    struct probe_queued *items;
    size_t len, cap, next;
    struct probe_client_node *clients[64]; /* interned client profiles, by hash */
    struct probe_client_node *last;        /* the one interned last: a fleet's next target
                                              mostly has the same profile */
    struct probe_pin_node *pins;           /* pinned certificates, one per file */
};

/* Queues a copy of t. Fails (-1, sentence in err) when its TLS config cannot be made (an
 * unreadable CA file), its pinned certificate cannot be read, or memory runs out. */
int probe_queue_add(struct probe_queue *q, const struct probe_target *t, char *err,
                    size_t errlen);
/* The next waiting target, or NULL; valid until the next probe_queue_add. The caller frees its
 * strings with probe_queued_clear. */
struct probe_queued *probe_queue_pop(struct probe_queue *q);
void probe_queued_clear(struct probe_queued *it);
size_t probe_queue_waiting(const struct probe_queue *q);
/* Drops every waiting target whose user is `user`, keeping the others in order. Returns how
 * many were dropped. */
size_t probe_queue_remove(struct probe_queue *q, const void *user);
/* Frees the waiting targets, the interned clients, the pins and the TLS configs. */
void probe_queue_free(struct probe_queue *q);

#endif
