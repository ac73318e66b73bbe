/* probe/serve/probe_peers.c: connections per client, an open-addressing table (probe_peers.h). */
#include "probe/serve/probe_peers.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#define MASK (PROBE_PEERS_SLOTS - 1)

void probe_peer_key_of(const struct sockaddr *sa, struct probe_peer_key *k)
{
    memset(k->b, 0, sizeof(k->b));
    if (sa && sa->sa_family == AF_INET) {
        k->b[10] = k->b[11] = 0xff;
        memcpy(k->b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(a, mapped, sizeof(mapped)) == 0) { /* a dual-stack socket's IPv4 peer */
            memcpy(k->b, a, 16);
        } else {
            memcpy(k->b, a, 8);
        }
    } else {
        memset(k->b, 0xff, sizeof(k->b));
    }
}

static size_t hash(const struct probe_peer_key *k)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (size_t i = 0; i < sizeof(k->b); i++) {
        h = (h ^ k->b[i]) * 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 32)) & MASK;
}

/* The slot holding k, or the empty one where it would go. */
static size_t find(const struct probe_peers *p, const struct probe_peer_key *k)
{
    size_t i = hash(k);

    while (p->slot[i].n != 0 && memcmp(&p->slot[i].key, k, sizeof(*k)) != 0) {
        i = (i + 1) & MASK;
    }
    return i;
}

uint32_t probe_peers_add(struct probe_peers *p, const struct probe_peer_key *k)
{
    size_t i = find(p, k);

    if (p->slot[i].n == 0) {
        if (p->used >= PROBE_PEERS_SLOTS / 2) {
            return 0;
        }
        p->slot[i].key = *k;
        p->used++;
    }
    return ++p->slot[i].n;
}

/* Whether the entry that hashes to home may move to the hole at free, the entry itself being
 * at at: it may unless home lies cyclically in (free, at]. */
static bool may_move(size_t home, size_t free, size_t at)
{
    return free <= at ? (home <= free || home > at) : (home <= free && home > at);
}

/* Emptying slot i: the entries after it move back so that every one stays reachable from its
 * home slot (backward-shift deletion, Knuth's Algorithm R, TAOCP vol. 3, 6.4). */
static void empty_slot(struct probe_peers *p, size_t i)
{
    size_t free = i;

    for (size_t j = (i + 1) & MASK; p->slot[j].n != 0; j = (j + 1) & MASK) {
        if (may_move(hash(&p->slot[j].key), free, j)) {
            p->slot[free] = p->slot[j];
            free = j;
        }
    }
    p->slot[free].n = 0;
    p->used--;
}

void probe_peers_remove(struct probe_peers *p, const struct probe_peer_key *k)
{
    size_t i = find(p, k);

    if (p->slot[i].n != 0 && --p->slot[i].n == 0) {
        empty_slot(p, i);
    }
}

uint32_t probe_peers_count(const struct probe_peers *p, const struct probe_peer_key *k)
{
    return p->slot[find(p, k)].n;
}
