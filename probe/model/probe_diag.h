/* probe/model/probe_diag.h: the contract's diagnosis codes (docs/design.md; a closed set: add new
 * ones there first) and their exit-code classes. */
#ifndef PROBE_PROBE_DIAG_H
#define PROBE_PROBE_DIAG_H

/* X(enum suffix, contract name, class): class FAIL = a TLS/certificate verdict (exit 1),
 * ERROR = could not probe (exit 2), LOCAL = could not probe because of this machine or of the
 * probe itself, not the server (exit 2, Nagios UNKNOWN), OK, USAGE (exit 64). */
#define PROBE_DIAGNOSES(X)                                  \
    X(OK, "ok", OK)                                         \
    X(UNTRUSTED_CHAIN, "untrusted_chain", FAIL)             \
    X(NAME_MISMATCH, "name_mismatch", FAIL)                 \
    X(FORCIBLY_CLOSED, "forcibly_closed", FAIL)             \
    X(PROTOCOL_MISMATCH, "protocol_mismatch", FAIL)         \
    X(EXPIRED, "expired", FAIL)                             \
    X(NOT_YET_VALID, "not_yet_valid", FAIL)                 \
    X(WEAK_SIGNATURE, "weak_signature", FAIL)               \
    X(WEAK_KEY, "weak_key", FAIL)                           \
    X(NO_SERVER_AUTH_EKU, "no_server_auth_eku", FAIL)       \
    X(BAD_KEY_USAGE, "bad_key_usage", FAIL)                 \
    X(PIN_MISMATCH, "pin_mismatch", FAIL)                   \
    X(ENCRYPTION_NOT_SUPPORTED, "encryption_not_supported", FAIL) \
    X(ENCRYPTION_REQUIRED, "encryption_required", FAIL)     \
    X(TDS8_NOT_SUPPORTED, "tds8_not_supported", FAIL)       \
    X(CLEARTEXT_LOGIN, "cleartext_login", FAIL)             \
    X(LOCAL_LIMIT, "local_limit", LOCAL)                    \
    X(NO_ROUTE, "no_route", LOCAL)                          \
    X(TLS_LIBRARY_LIMIT, "tls_library_limit", LOCAL)        \
    X(INSTANCE_NOT_FOUND, "instance_not_found", ERROR)      \
    X(DNS_FAILURE, "dns_failure", ERROR)                    \
    X(CONNECTION_REFUSED, "connection_refused", ERROR)      \
    X(TIMEOUT, "timeout", ERROR)                            \
    X(NOT_TDS, "not_tds", ERROR)                            \
    X(PROTOCOL_ERROR, "protocol_error", ERROR)              \
    X(USAGE, "usage", USAGE)

enum probe_diag {
#define PROBE_X_(name, str, cls) PROBE_DIAG_##name,
    PROBE_DIAGNOSES(PROBE_X_)
#undef PROBE_X_
        PROBE_DIAG_COUNT
};

enum probe_diag_class {
    PROBE_CLASS_OK,
    PROBE_CLASS_FAIL,
    PROBE_CLASS_ERROR,
    PROBE_CLASS_LOCAL,
    PROBE_CLASS_USAGE,
};

const char *probe_diag_name(enum probe_diag d);
enum probe_diag_class probe_diag_class(enum probe_diag d);
/* Looks a contract name up; returns PROBE_DIAG_COUNT when unknown. */
enum probe_diag probe_diag_from_name(const char *name);

#endif
