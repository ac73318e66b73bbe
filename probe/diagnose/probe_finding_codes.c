/* probe/diagnose/probe_finding_codes.c: the table of finding codes. Severities: a TLS policy
 * finding is an error when the client stops on it, a warning when the client goes on anyway
 * (it does not validate, or its TLS stack accepts it), info when a matching pinned certificate
 * covers it (tls/tls_policy.c add, probe/diagnose/probe_judge.c). */
#include "probe/diagnose/probe_finding_codes.h"

#include <string.h>

#define ERR PROBE_SEV_BIT(TLS_SEV_ERROR)
#define WARN PROBE_SEV_BIT(TLS_SEV_WARNING)
#define INFO PROBE_SEV_BIT(TLS_SEV_INFO)

_Static_assert((int)PROBE_FINDING_TLS_LIBRARY_LIMIT == (int)TLS_F_COUNT,
               "the TLS policy's codes come first, in tls/tls_policy.h's order");

static const struct probe_finding_def defs[PROBE_FINDING_COUNT] = {
    [PROBE_FINDING_UNTRUSTED_CHAIN] = { .severities = ERR | WARN | INFO,
        .meaning = "the chain does not lead to a CA the client trusts (or there is no chain)" },
    [PROBE_FINDING_NAME_MISMATCH] = { .severities = ERR | WARN | INFO,
        .meaning = "the certificate does not name the host the client checks" },
    [PROBE_FINDING_EXPIRED] = { .severities = ERR | WARN | INFO,
        .meaning = "a certificate of the chain is past its notAfter date" },
    [PROBE_FINDING_NOT_YET_VALID] = { .severities = ERR | WARN | INFO,
        .meaning = "a certificate of the chain is before its notBefore date" },
    [PROBE_FINDING_WEAK_SIGNATURE] = { .severities = ERR | WARN | INFO,
        .meaning = "a certificate is signed with SHA-1 or MD5, refused by the client's TLS stack "
                   "or accepted by it (warning)" },
    [PROBE_FINDING_WEAK_KEY] = { .severities = ERR | WARN | INFO,
        .meaning = "a certificate's key is too short for the client's TLS stack, or accepted by "
                   "it (warning)" },
    [PROBE_FINDING_NO_SERVER_AUTH_EKU] = { .severities = ERR | WARN | INFO,
        .meaning = "the leaf's extended key usage lacks serverAuth" },
    [PROBE_FINDING_BAD_KEY_USAGE] = { .severities = ERR | WARN | INFO,
        .meaning = "the leaf's key usage does not allow the key exchange in use" },
    [PROBE_FINDING_PIN_MISMATCH] = { .severities = ERR | WARN | INFO,
        .meaning = "the server's certificate differs from the pinned --server-certificate file" },
    [PROBE_FINDING_FALLBACK_CERTIFICATE] = { .severities = WARN | INFO,
        .meaning = "SQL Server's self-generated certificate: none is configured" },
    [PROBE_FINDING_NEGATIVE_SERIAL] = { .severities = WARN | INFO,
        .meaning = "a certificate's serial number is negative (RFC 5280 4.1.2.2)" },
    [PROBE_FINDING_SELF_SIGNED] = { .severities = INFO,
        .meaning = "the leaf certificate is self-signed" },
    [PROBE_FINDING_UNPARSABLE_CERTIFICATE] = { .severities = ERR | WARN | INFO,
        .meaning = "a certificate of the chain cannot be parsed" },
    [PROBE_FINDING_TLS_LIBRARY_LIMIT] = { .diag = PROBE_DIAG_TLS_LIBRARY_LIMIT,
        .severities = INFO,
        .meaning = "the server's handshake came in a form this probe's TLS library cannot take; "
                   "the client's own stack may" },
    [PROBE_FINDING_OLD_TLS_VERSION] = { .name = "old_tls_version", .severities = WARN,
        .meaning = "the server negotiated TLS 1.0 or 1.1 (deprecated, RFC 8996)" },
    [PROBE_FINDING_FOLLOWUP_HANDSHAKE] = { .name = "followup_handshake", .severities = INFO,
        .meaning = "what a follow-up handshake offering TLS 1.0-1.2 and every suite got" },
    [PROBE_FINDING_TLS13_REFUSED] = { .name = "tls13_refused", .severities = WARN,
        .meaning = "strict: the server speaks TLS 1.3 but refused the probe's TLS 1.3 offer; "
                   "the verdict is TLS 1.2's" },
    [PROBE_FINDING_NO_ENCRYPTION] = { .name = "no_encryption", .severities = WARN,
        .meaning = "nothing is encrypted, not even the login" },
    [PROBE_FINDING_LOGIN_ONLY_TLS] = { .name = "login_only_tls", .severities = WARN,
        .meaning = "only the login is encrypted; everything after it is cleartext" },
    [PROBE_FINDING_NO_VALIDATION] = { .name = "no_validation", .severities = WARN,
        .meaning = "encrypted, but the client does not validate the certificate" },
    [PROBE_FINDING_UNKNOWN_ENCRYPTION_REPLY] = { .name = "unknown_encryption_reply",
        .severities = WARN,
        .meaning = "the PRELOGIN ENCRYPTION reply is no value MS-TDS 2.2.6.5 defines" },
    [PROBE_FINDING_OLD_TLS_ACCEPTED] = { .name = "old_tls_accepted", .severities = WARN,
        .meaning = "--protocols: the server accepts TLS 1.0 or 1.1" },
    [PROBE_FINDING_WEAK_CIPHER_ACCEPTED] = { .name = "weak_cipher_accepted", .severities = WARN,
        .meaning = "--ciphers: the server accepts a suite of a weak class (one finding each)" },
};

const struct probe_finding_def *probe_finding_def(enum probe_finding_code c)
{
    return (unsigned)c < PROBE_FINDING_COUNT ? &defs[c] : NULL;
}

const char *probe_finding_name(enum probe_finding_code c)
{
    const struct probe_finding_def *d = probe_finding_def(c);

    if (d == NULL) {
        return "unknown";
    }
    if ((unsigned)c < TLS_F_COUNT) {
        return tls_finding_name((enum tls_finding_code)c);
    }
    return d->name != NULL ? d->name : probe_diag_name(d->diag);
}

const char *probe_finding_severities(enum probe_finding_code c, char *buf, size_t cap)
{
    static const enum tls_severity worst_first[] = { TLS_SEV_ERROR, TLS_SEV_WARNING,
                                                     TLS_SEV_INFO };
    const struct probe_finding_def *d = probe_finding_def(c);
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; d != NULL && i < sizeof(worst_first) / sizeof(worst_first[0]); i++) {
        if ((d->severities & PROBE_SEV_BIT(worst_first[i])) == 0) {
            continue;
        }
        int k = snprintf(buf + used, cap - used, "%s%s", used > 0 ? ", " : "",
                         tls_severity_name(worst_first[i]));
        if (k < 0 || (size_t)k >= cap - used) {
            buf[used] = '\0'; /* whole names only */
            break;
        }
        used += (size_t)k;
    }
    return buf;
}

enum probe_finding_code probe_finding_from_name(const char *name)
{
    for (int c = 0; c < PROBE_FINDING_COUNT; c++) {
        if (strcmp(probe_finding_name((enum probe_finding_code)c), name) == 0) {
            return (enum probe_finding_code)c;
        }
    }
    return PROBE_FINDING_COUNT;
}

/* Levenshtein distance, the first 31 characters of each (codes are shorter). */
static size_t edits(const char *a, const char *b)
{
    size_t la = strnlen(a, 31), lb = strnlen(b, 31);
    size_t row[32];

    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *probe_finding_closest(const char *name)
{
    const char *best = probe_finding_name((enum probe_finding_code)0);
    size_t best_d = edits(name, best);

    for (int c = 1; c < PROBE_FINDING_COUNT; c++) {
        const char *n = probe_finding_name((enum probe_finding_code)c);
        size_t d = edits(name, n);
        if (d < best_d) {
            best = n;
            best_d = d;
        }
    }
    return best;
}

static void fill(struct probe_finding *f, const char *code, enum tls_severity sev, int cert,
                 const char *msg)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->code, sizeof(f->code), "%s", code);
    f->severity = sev;
    f->cert = cert;
    snprintf(f->message, sizeof(f->message), "%s", msg);
}

void probe_finding_set(struct probe_finding *f, enum probe_finding_code c, enum tls_severity sev,
                       int cert, const char *msg)
{
    fill(f, probe_finding_name(c), sev, cert, msg);
}

void probe_finding_set_diag(struct probe_finding *f, enum probe_diag d, const char *msg)
{
    fill(f, probe_diag_name(d), TLS_SEV_ERROR, -1, msg);
}

#define LIST_INDENT 49 /* code (26) and severities (21), each with a space after */
#define LIST_WIDTH 100 /* pastes into a ticket or a terminal unwrapped */

/* The meaning from column LIST_INDENT on, wrapped at spaces within LIST_WIDTH columns. */
static void list_meaning(FILE *out, const char *m)
{
    const size_t room = LIST_WIDTH - LIST_INDENT;

    for (bool first = true; *m != '\0'; first = false) {
        size_t n = strlen(m);
        if (n > room) {
            n = room;
            while (n > 0 && m[n] != ' ') {
                n--;
            }
            n = n > 0 ? n : room; /* one word longer than the room: cut it */
        }
        fprintf(out, "%*s%.*s\n", first ? 0 : LIST_INDENT, "", (int)n, m);
        m += n;
        m += *m == ' ';
    }
}

void probe_finding_list(FILE *out)
{
    for (int c = 0; c < PROBE_FINDING_COUNT; c++) {
        char sev[32];
        enum probe_finding_code fc = (enum probe_finding_code)c;
        fprintf(out, "%-26s %-21s ", probe_finding_name(fc),
                probe_finding_severities(fc, sev, sizeof(sev)));
        list_meaning(out, defs[c].meaning);
    }
}
