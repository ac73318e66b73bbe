/* probe/engine/probe_job_state.h: what a probe job waits for, as one enum, and the transitions
 * the engine may make between its states (probe_engine.c enters states only through them). */
#ifndef PROBE_ENGINE_PROBE_JOB_STATE_H
#define PROBE_ENGINE_PROBE_JOB_STATE_H

#include <stdbool.h>

enum probe_job_state {
    PROBE_JOB_QUEUED,         /* made from its queue entry, not started yet */
    PROBE_JOB_RESOLVING,      /* getaddrinfo */
    PROBE_JOB_ASKING_BROWSER, /* SQL Server Browser (SSRP): the named instance's port */
    PROBE_JOB_CONNECTING,     /* the client's own connection: TCP connect, address by address */
    PROBE_JOB_EXCHANGING,     /* the client's own connection: PRELOGIN and TLS (probe_conn) */
    PROBE_JOB_FOLLOWUP,       /* the follow-up handshake, after the server rejected the client's */
    PROBE_JOB_AUDITING,       /* the TLS policy audit (probe_audit_run): its steps' connections */
    PROBE_JOB_DONE,           /* the result was delivered; handles are closing */
    PROBE_JOB_CANCELLED,      /* probe_engine_cancel: no result; handles are closing */
    PROBE_JOB_STATE_COUNT
};

/* "queued", "resolving", ...; "unknown" out of range. */
const char *probe_job_state_name(enum probe_job_state s);

/* Whether a job in state `from` may enter `to`: the engine's one transition table. */
bool probe_job_may_enter(enum probe_job_state from, enum probe_job_state to);

#endif
