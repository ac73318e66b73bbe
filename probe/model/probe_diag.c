/* probe/model/probe_diag.c: names and classes of the contract's diagnosis codes. Every table is
 * generated from its X-macro, so a new code cannot lack a name. */
#include "probe/model/probe_diag.h"

#include <string.h>

static const char *const diag_names[] = {
#define PROBE_X_(name, str, cls) [PROBE_DIAG_##name] = str,
    PROBE_DIAGNOSES(PROBE_X_)
#undef PROBE_X_
};
_Static_assert(sizeof(diag_names) / sizeof(diag_names[0]) == PROBE_DIAG_COUNT,
               "every diagnosis needs a name");

static const enum probe_diag_class diag_classes[] = {
#define PROBE_X_(name, str, cls) [PROBE_DIAG_##name] = PROBE_CLASS_##cls,
    PROBE_DIAGNOSES(PROBE_X_)
#undef PROBE_X_
};
_Static_assert(sizeof(diag_classes) / sizeof(diag_classes[0]) == PROBE_DIAG_COUNT,
               "every diagnosis needs a class");

const char *probe_diag_name(enum probe_diag d)
{
    if ((unsigned)d >= PROBE_DIAG_COUNT) {
        return "unknown";
    }
    return diag_names[d];
}

enum probe_diag_class probe_diag_class(enum probe_diag d)
{
    /* An out-of-range code is a bug in the caller; "could not probe" is the honest class. */
    if ((unsigned)d >= PROBE_DIAG_COUNT) {
        return PROBE_CLASS_ERROR;
    }
    return diag_classes[d];
}

enum probe_diag probe_diag_from_name(const char *name)
{
    if (name == NULL) {
        return PROBE_DIAG_COUNT;
    }
    for (int i = 0; i < PROBE_DIAG_COUNT; i++) {
        if (strcmp(diag_names[i], name) == 0) {
            return (enum probe_diag)i;
        }
    }
    return PROBE_DIAG_COUNT;
}
