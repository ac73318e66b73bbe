/* probe/model/probe.c: names of probe.h's small enums, the one rule for the port a result
 * reports, and the reset of a result an engine reuses. Every name table is generated from its
 * X-macro, so a new value cannot lack a name. */
#include "probe/model/probe.h"

#include <stddef.h>
#include <string.h>

#ifndef TDSPROBE_VERSION
#error "TDSPROBE_VERSION comes from project(VERSION) in CMakeLists.txt (probe/CMakeLists.txt)"
#endif

const char *probe_version(void)
{
    return TDSPROBE_VERSION;
}

uint16_t probe_port_or_default(uint16_t asked)
{
    return asked != 0 ? asked : PROBE_DEFAULT_PORT;
}

uint16_t probe_target_port(const struct probe_target *t)
{
    return probe_port_or_default(t->port);
}

uint16_t probe_result_port(const struct probe_result *r)
{
    if (r->facts.port != 0) {
        return r->facts.port;
    }
    if (r->target != NULL && r->target->port != 0) {
        return r->target->port;
    }
    return (r->target == NULL || r->target->instance[0] == '\0') ? PROBE_DEFAULT_PORT : 0u;
}

const char *probe_encrypt_name(enum probe_encrypt e)
{
    switch (e) {
    case PROBE_ENCRYPT_OPTIONAL:
        return "optional";
    case PROBE_ENCRYPT_MANDATORY:
        return "mandatory";
    case PROBE_ENCRYPT_STRICT:
        return "strict";
    default:
        return "unknown";
    }
}

const char *probe_status_name(enum probe_status s)
{
    switch (s) {
    case PROBE_STATUS_OK:
        return "ok";
    case PROBE_STATUS_FAIL:
        return "fail";
    case PROBE_STATUS_ERROR:
        return "error";
    default:
        return "unknown";
    }
}

static const char *const phase_names[] = {
#define PROBE_X_(name, str) [PROBE_PHASE_##name] = str,
    PROBE_PHASES(PROBE_X_)
#undef PROBE_X_
};
_Static_assert(sizeof(phase_names) / sizeof(phase_names[0]) == PROBE_PHASE_COUNT,
               "every phase needs a name");

const char *probe_phase_name(enum probe_phase p)
{
    if ((unsigned)p >= PROBE_PHASE_COUNT) {
        return "unknown";
    }
    return phase_names[p];
}


void probe_result_reset(struct probe_result *r)
{
    memset(r, 0, offsetof(struct probe_result, verdict));
    r->verdict.n = 0;
    r->verdict.pass = false;
    r->status = (enum probe_status)0;
    r->diag = (enum probe_diag)0;
    r->message[0] = r->cause[0] = r->fix[0] = r->other_platforms[0] = '\0';
    r->n_findings = 0;
}
