/* probe/engine/probe_job_state.c: the job states' names and the transition table. */
#include "probe/engine/probe_job_state.h"

static const char *const job_state_names[] = {
    [PROBE_JOB_QUEUED] = "queued",
    [PROBE_JOB_RESOLVING] = "resolving",
    [PROBE_JOB_ASKING_BROWSER] = "asking_browser",
    [PROBE_JOB_CONNECTING] = "connecting",
    [PROBE_JOB_EXCHANGING] = "exchanging",
    [PROBE_JOB_FOLLOWUP] = "followup",
    [PROBE_JOB_AUDITING] = "auditing",
    [PROBE_JOB_DONE] = "done",
    [PROBE_JOB_CANCELLED] = "cancelled",
};
_Static_assert(sizeof(job_state_names) / sizeof(job_state_names[0]) == PROBE_JOB_STATE_COUNT,
               "one name per job state");

#define FROM(s) (1u << (s))
/* Every state a job is in between its start and its end. */
#define RUNNING \
    ((FROM(PROBE_JOB_STATE_COUNT) - 1) & ~FROM(PROBE_JOB_DONE) & ~FROM(PROBE_JOB_CANCELLED))
/* The states each state may be entered from. */
static const unsigned job_entered_from[PROBE_JOB_STATE_COUNT] = {
    [PROBE_JOB_QUEUED] = 0,
    [PROBE_JOB_RESOLVING] = FROM(PROBE_JOB_QUEUED),
    [PROBE_JOB_ASKING_BROWSER] = FROM(PROBE_JOB_RESOLVING),
    [PROBE_JOB_CONNECTING] =
        FROM(PROBE_JOB_RESOLVING) | FROM(PROBE_JOB_ASKING_BROWSER) | FROM(PROBE_JOB_CONNECTING),
    [PROBE_JOB_EXCHANGING] = FROM(PROBE_JOB_CONNECTING),
    [PROBE_JOB_FOLLOWUP] = FROM(PROBE_JOB_EXCHANGING),
    [PROBE_JOB_AUDITING] = FROM(PROBE_JOB_EXCHANGING) | FROM(PROBE_JOB_FOLLOWUP),
    [PROBE_JOB_DONE] = RUNNING,
    [PROBE_JOB_CANCELLED] = RUNNING,
};
#undef RUNNING
#undef FROM

const char *probe_job_state_name(enum probe_job_state s)
{
    if ((unsigned)s >= PROBE_JOB_STATE_COUNT) {
        return "unknown";
    }
    return job_state_names[s];
}

bool probe_job_may_enter(enum probe_job_state from, enum probe_job_state to)
{
    if ((unsigned)from >= PROBE_JOB_STATE_COUNT || (unsigned)to >= PROBE_JOB_STATE_COUNT) {
        return false;
    }
    return (job_entered_from[to] & (1u << from)) != 0;
}
