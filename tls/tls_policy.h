/* tls/tls_policy.h: judge a captured chain the way a client does.
 *
 * Input: the chain and per-depth verify flags from a session (or from tls_policy_verify_chain),
 * the name the client checks, the client's rules. Output: every finding, in the order the
 * default client would report them, each with a contract code (docs/design.md, "The
 * contract"), a severity and a sentence with the concrete values. */
#ifndef TLS_TLS_POLICY_H
#define TLS_TLS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct tls_cert;
struct tls_config;
struct tls_info;

/* Contract codes (docs/design.md, "The contract") that the policy can produce. */
#define TLS_FINDINGS(X)                  \
    X(UNTRUSTED_CHAIN, "untrusted_chain") \
    X(NAME_MISMATCH, "name_mismatch")     \
    X(EXPIRED, "expired")                 \
    X(NOT_YET_VALID, "not_yet_valid")     \
    X(WEAK_SIGNATURE, "weak_signature")   \
    X(WEAK_KEY, "weak_key")               \
    X(NO_SERVER_AUTH_EKU, "no_server_auth_eku") \
    X(BAD_KEY_USAGE, "bad_key_usage")     \
    X(PIN_MISMATCH, "pin_mismatch")       \
    X(FALLBACK_CERTIFICATE, "fallback_certificate") \
    X(NEGATIVE_SERIAL, "negative_serial") \
    X(SELF_SIGNED, "self_signed")         \
    X(UNPARSABLE_CERTIFICATE, "unparsable_certificate")

enum tls_finding_code {
#define TLS_X_(name, str) TLS_F_##name,
    TLS_FINDINGS(TLS_X_)
#undef TLS_X_
        TLS_F_COUNT
};
const char *tls_finding_name(enum tls_finding_code c);

enum tls_severity { TLS_SEV_INFO, TLS_SEV_WARNING, TLS_SEV_ERROR };
const char *tls_severity_name(enum tls_severity s); /* "info", "warning", "error" */

struct tls_finding {
    enum tls_finding_code code;
    enum tls_severity severity;
    int cert;              /* chain index, -1 for the chain as a whole */
    char message[320];
};

/* How the client matches names. cn_fallback: the subject CN counts only when the certificate
 * has no dNSName SAN (RFC 6125 6.4.4; OpenSSL's X509_check_host, .NET's certificate name check
 * that SqlClient relies on). cn_always: mssql-jdbc's
 * SQLServerCertificateUtils.validateServerNameInCertificate compares the subject CN first and
 * only then the DNS SANs. ip_needs_ip_san: Go's crypto/x509 Certificate.VerifyHostname and
 * Node's tls.checkServerIdentity compare an IP address only with iPAddress SANs, as .NET does. */
struct tls_name_rules {
    bool cn_fallback;       /* use the CN when there is no DNS SAN */
    bool cn_always;         /* the CN is checked first even with SANs */
    bool ip_needs_ip_san;   /* an IP target matches only an IP SAN */
};

struct tls_policy_opts {
    const char *name;       /* the name the client checks (host, or HostNameInCertificate) */
    const char *alt_name;   /* ODBC 18: either name may match; NULL when none */
    struct tls_name_rules rules;
    bool check_trust;       /* false when the client does not validate (findings become warnings) */
    time_t now;
    const uint8_t *pin_der; /* ServerCertificate pin, or NULL */
    size_t pin_len;
    bool pin_only;          /* the pin replaces the chain, name and date checks: with a pin
                               that does not match, those findings are warnings (the client
                               never made them) and pin_mismatch alone is the error */
    bool pin_keeps_dates;   /* a pin leaves the date checks in force (expired, not yet valid) */
    int min_rsa_bits;       /* 2048 */
    int min_signature_bits; /* 112 */
};

#define TLS_MAX_FINDINGS 32
struct tls_verdict {
    size_t n;
    struct tls_finding f[TLS_MAX_FINDINGS];
    bool pass;              /* no finding of severity error */
};

/* Judges info's chain. Never fails. When opts->check_trust is false, everything that would fail
 * a validating client is reported as a warning (the client would connect anyway). */
void tls_policy_judge(const struct tls_info *info, const struct tls_policy_opts *opts,
                      struct tls_verdict *out);

/* Name matching as a client does it; exposed for unit tests and driver profiles.
 * Wildcard only as the whole left-most label ("*.contoso.com" matches "db1.contoso.com", not
 * "contoso.com" nor "a.b.contoso.com"); case-insensitive; IP targets compare against IP SANs. */
bool tls_name_matches(const struct tls_cert *leaf, const char *name,
                      const struct tls_name_rules *rules);

/* True for SQL Server's self-made certificate (CN=SSL_Self_Signed_Fallback). */
bool tls_cert_is_sql_fallback(const struct tls_cert *c);

/* Verifies info->chain (leaf first) against cfg's trust store with the permissive
 * profile a session uses, for chains that did not come from a handshake (a certificate file,
 * a saved report). Fills verify_flags, verified_len, verify_result and verified_path. Returns 0,
 * or -1 when the chain is empty or a certificate in it cannot be parsed. */
int tls_policy_verify_chain(struct tls_info *info, const struct tls_config *cfg);

#endif
