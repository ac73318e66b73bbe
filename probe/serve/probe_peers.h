/* probe/serve/probe_peers.h: how many connections each client holds, sans-I/O: the exporter's
 * per-peer limit and its choice of whom to close for room. A client is its address; an IPv6
 * client is its /64, since one host is given a whole /64 and may use any address in it (RFC
 * 6177, RFC 8981's temporary addresses). */
#ifndef PROBE_PROBE_PEERS_H
#define PROBE_PROBE_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PROBE_PEERS_SLOTS 4096 /* a power of two, four times the exporter's connection cap */

/* IPv4 as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), IPv6 with its low 64 bits zero (never equal to an
 * IPv4 one, whose bytes 10 and 11 are 0xff), an unknown address as all 0xff. */
struct probe_peer_key {
    uint8_t b[16];
};

/* The key of a peer's address: sa is a sockaddr_in or sockaddr_in6 (else, or NULL: unknown). */
void probe_peer_key_of(const struct sockaddr *sa, struct probe_peer_key *k);

struct probe_peers {
    struct {
        struct probe_peer_key key;
        uint32_t n; /* 0: an empty slot */
    } slot[PROBE_PEERS_SLOTS];
    size_t used;
};

/* One more connection of k. Returns its count now, or 0 when the table is full (more peers
 * than PROBE_PEERS_SLOTS / 2). */
uint32_t probe_peers_add(struct probe_peers *p, const struct probe_peer_key *k);

/* One connection of k fewer (k must have one). */
void probe_peers_remove(struct probe_peers *p, const struct probe_peer_key *k);

/* The connections k holds. */
uint32_t probe_peers_count(const struct probe_peers *p, const struct probe_peer_key *k);

#endif
