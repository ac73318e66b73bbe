/* tds/tds_error.h: error codes of the TDS layer, and the caller-owned error record.
 *
 * Every parse failure names what was wrong and where: the code, the byte offset in the input,
 * the PRELOGIN option involved (or -1), and one sentence with the concrete numbers. tds/ never
 * prints; probe/ turns these into a `protocol_error` / `not_tds` diagnosis.
 */
#ifndef TDS_TDS_ERROR_H
#define TDS_TDS_ERROR_H

#include <stddef.h>

#define TDS_ERRORS(X)                                                                  \
    X(OK, "ok")                                                                        \
    X(TRUNCATED, "input ends before the structure does")                               \
    X(BAD_PACKET_LENGTH, "TDS packet length outside 8..32768")                         \
    X(MESSAGE_TOO_BIG, "TDS message larger than the configured cap")                   \
    /* reserved: tds_reasm accepts type changes (0x12/0x04), see tds_packet.h */     \
    X(TYPE_CHANGED, "packet type changed in the middle of a message")                  \
    X(NO_TERMINATOR, "PRELOGIN option table has no 0xFF terminator")                   \
    X(VERSION_NOT_FIRST, "PRELOGIN VERSION is not the first option")                   \
    X(DUPLICATE_OPTION, "PRELOGIN option appears twice")                               \
    X(OPTION_OUT_OF_RANGE, "PRELOGIN option data lies outside the payload")            \
    X(OPTION_OVERLAP, "PRELOGIN option data overlaps other data or the option table")  \
    X(OPTION_BAD_LENGTH, "PRELOGIN option has the wrong length for its type")          \
    X(MISSING_OPTION, "PRELOGIN lacks a required option")                              \
    X(TOO_MANY_OPTIONS, "PRELOGIN has more options than this parser keeps")            \
    X(SSRP_BAD_TYPE, "SQL Browser reply does not start with 0x05")                     \
    X(SSRP_BAD_SIZE, "SQL Browser RESP_SIZE does not match the datagram")              \
    X(SSRP_BAD_SYNTAX, "SQL Browser reply is not key;value;...;; text")                \
    X(SSRP_FIELD_TOO_LONG, "SQL Browser reply field longer than its limit")            \
    X(NO_SPACE, "output buffer too small")

enum tds_err {
#define TDS_X_(name, text) TDS_ERR_##name,
    TDS_ERRORS(TDS_X_)
#undef TDS_X_
        TDS_ERR_COUNT
};

struct tds_error {
    enum tds_err code;
    size_t offset; /* byte offset in the parsed input where the problem is */
    int option;    /* PRELOGIN token involved, or -1 */
    char detail[192];
};

/* "TRUNCATED", ... : stable names for tests and logs. */
const char *tds_err_name(enum tds_err code);
/* The generic sentence for a code. */
const char *tds_err_text(enum tds_err code);

/* Records an error and returns its code. The first error wins: if e already holds an error,
 * nothing changes (BearSSL's sticky error), so callers can report the root cause. e may be NULL. */
int tds_error_set(struct tds_error *e, enum tds_err code, size_t offset, int option,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tds_error_clear(struct tds_error *e);

#endif
