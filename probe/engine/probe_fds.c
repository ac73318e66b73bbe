/* probe/engine/probe_fds.c: the probes in flight fitted to the file descriptors this process
 * may open (see probe_fds.h). A socket that cannot be opened fails with EMFILE before any
 * packet leaves: fitting the concurrency keeps that from happening at all, and a probe that
 * still meets it is diagnosed local_limit, never as the server's refusal. */
#include "probe/engine/probe_fds.h"

#include <stdio.h>
#include <sys/resource.h>

size_t probe_fds_raise(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        /* an unlimited hard limit is still capped by the kernel (fs.nr_open): then keep it */
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
            rl.rlim_cur = rl.rlim_max;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY ? 0 : (size_t)rl.rlim_cur;
}

unsigned probe_fds_fit(unsigned want, unsigned loops, char *why, size_t cap)
{
    rlim_t soft = probe_fds_raise();
    rlim_t spare = PROBE_FDS_SPARE + (rlim_t)PROBE_FDS_PER_LOOP * loops;
    rlim_t room;

    why[0] = '\0';
    if (soft == 0) {
        return want;
    }
    room = soft > spare ? (soft - spare) / PROBE_FDS_PER_PROBE : 0;
    if (room >= want) {
        return want;
    }
    if (room == 0) { /* libuv itself aborts when a loop cannot get its descriptors */
        snprintf(why, cap, "the open-file limit (RLIMIT_NOFILE) is %llu and cannot be raised: "
                 "tdsprobe needs at least %llu (ulimit -n)", (unsigned long long)soft,
                 (unsigned long long)(spare + PROBE_FDS_PER_PROBE));
        return 0;
    }
    snprintf(why, cap, "the open-file limit (RLIMIT_NOFILE) is %llu, which leaves room for %llu "
             "probe%s at once (%u descriptors each, %llu kept for the process): probing %llu at "
             "once instead of %u",
             (unsigned long long)soft, (unsigned long long)room, room == 1 ? "" : "s",
             PROBE_FDS_PER_PROBE,
             (unsigned long long)spare, (unsigned long long)room, want);
    return (unsigned)room;
}
