/* probe/model/probe_audit.c: names of the audit's per-version outcomes, of its transports and of
 * the budgets that cut it short (see probe_audit.h). */
#include "probe/model/probe_audit.h"

const char *probe_proto_state_name(enum probe_proto_state s)
{
    switch (s) {
    case PROBE_PROTO_NOT_TESTED:
        return "not_tested";
    case PROBE_PROTO_ACCEPTED:
        return "accepted";
    case PROBE_PROTO_REJECTED:
        return "rejected";
    case PROBE_PROTO_ERROR:
        return "error";
    }
    return "error";
}

const char *probe_audit_limit_text(enum probe_audit_limit l)
{
    return l == PROBE_AUDIT_LIMIT_TIME ? "audit time budget reached" : "connection budget reached";
}

const char *probe_audit_transport_name(enum probe_audit_transport t)
{
    return t == PROBE_AUDIT_TDS8 ? "tds8" : "tds7";
}
