/* probe/serve/probe_allow.h: the exporter's allow list (--allow-targets, a module's
 * allow_targets), sans-I/O. An exporter anyone can reach is otherwise a port scanner for them:
 * open, closed and filtered ports answer differently.
 *
 * The list is comma-separated entries, each a network or a host-name glob:
 *   10.20.0.0/16, 2001:db8::/32   a network (CIDR; the bits past the prefix must be zero)
 *   192.0.2.7, ::1                one address (/32, /128)
 *   *.db.example.com, sql?        a glob over host names ('*' any run, '?' one character;
 *                                 letters, digits, '-', '_', '.'), case-insensitive
 * A target is allowed when its host is
 *   - an address inside one of the networks (an IPv4-mapped IPv6 address counts as IPv4), or
 *   - a name matching one of the globs (the operator trusts that name wherever it points), or
 *   - a name every address of which lies inside the networks (checked by resolving it first:
 *     one address outside, or none at all, and it is refused).
 * Everything else is refused before a packet is sent to it. */
#ifndef PROBE_PROBE_ALLOW_H
#define PROBE_PROBE_ALLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_ALLOW_MAX 64  /* entries in one list */
#define PROBE_ALLOW_TEXT 1024 /* bytes of one list's globs */

struct probe_allow_net {
    uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
    uint8_t bits;     /* prefix length over those 128 bits */
};

struct probe_allow {
    bool on;                                   /* a list was given: the rest is refused */
    size_t n_nets, n_globs;
    struct probe_allow_net nets[PROBE_ALLOW_MAX];
    uint16_t globs[PROBE_ALLOW_MAX];           /* offsets of NUL-terminated globs in text */
    char text[PROBE_ALLOW_TEXT];               /* the globs, lower case */
};

/* Parses list into a (replacing what it held). Returns 0, or -1 with a sentence in err naming
 * the bad entry (an empty list or entry, a bad address or prefix, host bits set, a character a
 * host name cannot have, too many entries). */
int probe_allow_parse(struct probe_allow *a, const char *list, char *err, size_t errlen);

/* What a target's host comes to before any lookup. */
enum probe_allow_verdict {
    PROBE_ALLOW_YES,     /* no list, an address inside it, or a name matching a glob */
    PROBE_ALLOW_NO,      /* an address outside it, or a name when the list has no networks */
    PROBE_ALLOW_RESOLVE, /* a name matching no glob: allowed when probe_allow_address() holds
                            for every address it resolves to */
};

enum probe_allow_verdict probe_allow_host(const struct probe_allow *a, const char *host);

/* Whether an address is inside one of the networks. family is 4 (addr: 4 bytes) or 6 (16). */
bool probe_allow_address(const struct probe_allow *a, int family, const uint8_t *addr);

#endif
