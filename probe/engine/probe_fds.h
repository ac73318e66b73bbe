/* probe/engine/probe_fds.h: the probes in flight fitted to the file descriptors this process
 * may open. */
#ifndef PROBE_ENGINE_PROBE_FDS_H
#define PROBE_ENGINE_PROBE_FDS_H

#include <stddef.h>

/* Descriptors one probe in flight may hold at once: its TCP socket, and its UDP socket to SQL
 * Server Browser or a getaddrinfo lookup's while the previous one is being closed. */
#define PROBE_FDS_PER_PROBE 2u
/* Descriptors the process keeps besides its probes: stdin/stdout/stderr, a CA file being read,
 * the resolver's files; PROBE_FDS_PER_LOOP more for each event loop (epoll, eventfd, timer,
 * signal pipe). */
#define PROBE_FDS_SPARE 16u
#define PROBE_FDS_PER_LOOP 4u

/* Raises the soft RLIMIT_NOFILE to the hard limit (as Go's runtime and nginx's
 * worker_rlimit_nofile do) where the system allows; returns the soft limit then in force, 0 when
 * there is none. */
size_t probe_fds_raise(void);

/* probe_fds_raise(), then returns how many probes may be in flight across `loops` event
 * loops: `want`, or fewer when the limit leaves no room for that many, 0 when it leaves room
 * for none (the run cannot start). When it lowered the number, says why in why[cap] (else
 * why[0] = '\0'). */
unsigned probe_fds_fit(unsigned want, unsigned loops, char *why, size_t cap);

#endif
