/* tds/tds_error.c: names, sentences and the sticky error record of the TDS layer. */
#include "tds/tds_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const err_names[] = {
#define TDS_X_(name, text) #name,
    TDS_ERRORS(TDS_X_)
#undef TDS_X_
};

static const char *const err_texts[] = {
#define TDS_X_(name, text) text,
    TDS_ERRORS(TDS_X_)
#undef TDS_X_
};

_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == TDS_ERR_COUNT,
               "every error code needs a name");
_Static_assert(sizeof(err_texts) / sizeof(err_texts[0]) == TDS_ERR_COUNT,
               "every error code needs a sentence");

const char *tds_err_name(enum tds_err code)
{
    if ((unsigned)code >= TDS_ERR_COUNT) {
        return "UNKNOWN";
    }
    return err_names[code];
}

const char *tds_err_text(enum tds_err code)
{
    if ((unsigned)code >= TDS_ERR_COUNT) {
        return "unknown TDS error";
    }
    return err_texts[code];
}

int tds_error_set(struct tds_error *e, enum tds_err code, size_t offset, int option,
                  const char *fmt, ...)
{
    /* First error wins (BearSSL's sticky status): the root cause is what the user must see. */
    if (e == NULL || e->code != TDS_ERR_OK || code == TDS_ERR_OK) {
        return (int)code;
    }
    e->code = code;
    e->offset = offset;
    e->option = option;
    if (fmt == NULL) {
        snprintf(e->detail, sizeof(e->detail), "%s", tds_err_text(code));
        return (int)code;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    return (int)code;
}

void tds_error_clear(struct tds_error *e)
{
    if (e == NULL) {
        return;
    }
    memset(e, 0, sizeof(*e));
    e->code = TDS_ERR_OK;
    e->option = -1;
}
