/* tls/tls_policy.c: judge a captured chain the way a client does (SqlClient on
 * Schannel first: SNICommon.ValidateSslServerCertificate).
 *
 * Findings are produced in the order SqlClient/Schannel would report them (trust, validity,
 * name, EKU, key usage, signature, key size, then the rest), so findings[0] is the diagnosis. */
#include "tls/tls_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>

#include "tls/tls_cert.h"
#include "tls/tls_info.h"
#include "tls/tls_int.h"

static const char *const finding_names[] = {
#define TLS_X_(name, str) [TLS_F_##name] = str,
    TLS_FINDINGS(TLS_X_)
#undef TLS_X_
};
_Static_assert(sizeof(finding_names) / sizeof(finding_names[0]) == TLS_F_COUNT,
               "every finding needs a name");

const char *tls_finding_name(enum tls_finding_code c)
{
    return (unsigned)c < TLS_F_COUNT ? finding_names[c] : "unknown";
}

const char *tls_severity_name(enum tls_severity s)
{
    switch (s) {
    case TLS_SEV_INFO: return "info";
    case TLS_SEV_WARNING: return "warning";
    case TLS_SEV_ERROR: return "error";
    default: return "unknown";
    }
}

/* ---- name matching ---- */

/* Copies a DNS name without its trailing dot ("db1.contoso.com." is the same host). */
static bool dns_copy(char *out, size_t outlen, const char *in)
{
    size_t n = strlen(in);

    while (n > 0 && in[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n >= outlen) {
        return false;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    return true;
}

/* RFC 6125 6.4.3 as clients apply it: "*" only as the whole left-most label, matching exactly
 * one non-empty label, never the bare parent, and never "*.tld". */
static bool dns_match(const char *pattern, const char *host, bool wildcard_ok)
{
    char p[256], h[256];
    const char *hdot;

    if (!dns_copy(p, sizeof(p), pattern) || !dns_copy(h, sizeof(h), host)) {
        return false;
    }
    if (strcasecmp(p, h) == 0) {
        return true;
    }
    if (!wildcard_ok || p[0] != '*' || p[1] != '.' || strchr(p + 2, '.') == NULL) {
        return false;
    }
    hdot = strchr(h, '.');
    return hdot != NULL && hdot != h && strcasecmp(hdot, p + 1) == 0;
}

typedef bool (*san_pred)(void *ctx, enum tls_san_type type, const char *value);

struct der_san_ctx {
    san_pred pred;
    void *ctx;
    bool hit;
};

static bool der_san_adapter(void *ctx, uint8_t tag, const uint8_t *val, size_t len)
{
    struct der_san_ctx *d = ctx;
    char text[256];
    size_t n = 0;

    if (tag == 7) {
        if (len != 4 && len != 16) {
            return true;
        }
        tls__ip_format(val, len, text, sizeof(text));
    } else {
        for (; n < len && n + 1 < sizeof(text); n++) {
            text[n] = (val[n] >= 0x20 && val[n] < 0x7F) ? (char)val[n] : '?';
        }
        text[n] = '\0';
    }
    d->hit = d->pred(d->ctx, tag == 7 ? TLS_SAN_IP : TLS_SAN_DNS, text);
    return !d->hit;
}

/* True when pred holds for some SAN entry; reads the DER when the kept array was truncated. */
static bool any_san(const struct tls_cert *c, san_pred pred, void *ctx)
{
    if (c->n_san_total > c->n_san && c->der != NULL) {
        struct der_san_ctx d = { .pred = pred, .ctx = ctx, .hit = false };

        (void)tls__san_walk(c->der, c->der_len, der_san_adapter, &d);
        return d.hit;
    }
    for (size_t i = 0; i < c->n_san && c->san != NULL; i++) {
        if (pred(ctx, c->san[i].type, c->san[i].value)) {
            return true;
        }
    }
    return false;
}

static bool is_dns_san(void *ctx, enum tls_san_type type, const char *value)
{
    (void)ctx;
    (void)value;
    return type == TLS_SAN_DNS;
}

struct want_ip {
    uint8_t ip[16];
    size_t len;
};

static bool ip_san_equals(void *ctx, enum tls_san_type type, const char *value)
{
    const struct want_ip *w = ctx;
    uint8_t ip[16];
    size_t len;

    return type == TLS_SAN_IP && tls__ip_parse(value, ip, &len) && len == w->len &&
           memcmp(ip, w->ip, len) == 0;
}

struct want_dns {
    const char *name;
    bool wildcard_ok;
};

static bool dns_san_matches(void *ctx, enum tls_san_type type, const char *value)
{
    const struct want_dns *w = ctx;

    return type == TLS_SAN_DNS && dns_match(value, w->name, w->wildcard_ok);
}

bool tls_name_matches(const struct tls_cert *leaf, const char *name,
                      const struct tls_name_rules *rules)
{
    struct want_ip ip;
    struct want_dns dns = { .name = name, .wildcard_ok = true };
    bool is_ip;

    if (leaf == NULL || name == NULL || name[0] == '\0') {
        return false;
    }
    is_ip = tls__ip_parse(name, ip.ip, &ip.len);
    if (is_ip) {
        if (any_san(leaf, ip_san_equals, &ip)) {
            return true;
        }
        if (rules->ip_needs_ip_san) {
            return false;
        }
        dns.wildcard_ok = false; /* an address as text matches only itself */
    }
    if (rules->cn_always && dns_match(leaf->subject_cn, name, dns.wildcard_ok)) {
        return true;
    }
    if (any_san(leaf, dns_san_matches, &dns)) {
        return true;
    }
    return rules->cn_fallback && !any_san(leaf, is_dns_san, NULL) &&
           dns_match(leaf->subject_cn, name, dns.wildcard_ok);
}

bool tls_cert_is_sql_fallback(const struct tls_cert *c)
{
    return c != NULL && c->parsed && strcmp(c->subject_cn, "SSL_Self_Signed_Fallback") == 0;
}

/* ---- the judgement ---- */

struct judge {
    const struct tls_info *info;
    const struct tls_policy_opts *o;
    struct tls_verdict *v;
    bool pinned; /* the leaf is byte for byte the pinned certificate */
    int min_rsa;
    int min_sig;
};

/* A pin that matches vouches for the certificate itself, so chain, name and date problems no
 * longer stop SqlClient (SNICommon.ValidateSslServerCertificate compares the pinned
 * certificate and returns before the chain checks): they stay visible as info. */
static bool pin_covers(const struct tls_policy_opts *o, enum tls_finding_code code)
{
    if (code == TLS_F_EXPIRED || code == TLS_F_NOT_YET_VALID) {
        return !o->pin_keeps_dates;
    }
    return code == TLS_F_UNTRUSTED_CHAIN || code == TLS_F_NAME_MISMATCH ||
           code == TLS_F_NO_SERVER_AUTH_EKU || code == TLS_F_SELF_SIGNED;
}

__attribute__((format(printf, 5, 6)))
static void add(struct judge *j, enum tls_finding_code code, enum tls_severity sev, int cert,
                const char *fmt, ...)
{
    struct tls_finding *f;
    va_list ap;

    if (j->v->n >= TLS_MAX_FINDINGS) {
        return;
    }
    if (j->pinned && pin_covers(j->o, code)) {
        sev = TLS_SEV_INFO;
    } else if (j->o->pin_only && j->o->pin_der != NULL && pin_covers(j->o, code) &&
               sev == TLS_SEV_ERROR) {
        sev = TLS_SEV_WARNING;
    }
    if (!j->o->check_trust && sev == TLS_SEV_ERROR) {
        sev = TLS_SEV_WARNING; /* the client does not validate: it would connect anyway */
    }
    f = &j->v->f[j->v->n++];
    f->code = code;
    f->severity = sev;
    f->cert = cert;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    if (sev == TLS_SEV_ERROR) {
        j->v->pass = false;
    }
}

static const struct tls_cert *leaf_of(const struct tls_info *info)
{
    return info->chain_len > 0 && info->chain[0].parsed ? &info->chain[0] : NULL;
}

/* Follows issuer -> subject links through what the server sent, from the leaf up: the last
 * certificate reached is where the client's chain building ran out. */
static size_t chain_top(const struct tls_info *info)
{
    size_t cur = 0;

    for (size_t steps = 0; steps < info->chain_len; steps++) {
        const struct tls_cert *c = &info->chain[cur];
        size_t next = cur;

        if (!c->parsed || c->self_signed) {
            break;
        }
        for (size_t k = 0; k < info->chain_len; k++) {
            if (k != cur && info->chain[k].parsed &&
                strcmp(info->chain[k].subject, c->issuer) == 0) {
                next = k;
            }
        }
        if (next == cur) {
            break;
        }
        cur = next;
    }
    return cur;
}

static void check_trust(struct judge *j)
{
    const struct tls_info *in = j->info;
    const uint32_t untrusted = MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING |
                               MBEDTLS_X509_BADCERT_SKIP_VERIFY;
    size_t top;

    if (in->chain_len == 0) {
        add(j, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, -1, "the server presented no certificate");
        return;
    }
    if (!in->verified_path) {
        add(j, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, -1,
            "the chain was not verified: the handshake ended before verification");
        return;
    }
    if ((in->verify_result & untrusted) == 0) {
        return;
    }
    top = chain_top(in);
    if (in->chain[top].self_signed) {
        add(j, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, (int)top,
            "%s \"%.120s\" is self-signed and not in the client's trust store",
            top == 0 ? "the server's certificate" : "the chain's root",
            in->chain[top].subject);
    } else {
        add(j, TLS_F_UNTRUSTED_CHAIN, TLS_SEV_ERROR, (int)top,
            "\"%.100s\" was issued by \"%.100s\", which is not in the client's trust store",
            in->chain[top].subject, in->chain[top].issuer);
    }
}

static long days_between(time_t from, time_t to)
{
    return (long)((to - from) / 86400);
}

/* The trust anchor often comes from the client's store, not from the server: its dates show
 * only in the verify flags of the depths past what the server sent. */
static void check_anchor_validity(struct judge *j)
{
    const struct tls_info *in = j->info;

    for (size_t d = in->chain_len; d < in->verified_len && d < TLS_MAX_CHAIN; d++) {
        if (in->verify_flags[d] & MBEDTLS_X509_BADCERT_EXPIRED) {
            add(j, TLS_F_EXPIRED, TLS_SEV_ERROR, -1,
                "the trusted root the chain ends at (from the client's trust store) has expired");
        } else if (in->verify_flags[d] & MBEDTLS_X509_BADCERT_FUTURE) {
            add(j, TLS_F_NOT_YET_VALID, TLS_SEV_ERROR, -1,
                "the trusted root the chain ends at (from the client's trust store) is not "
                "valid yet");
        }
    }
}

static void check_validity(struct judge *j)
{
    check_anchor_validity(j);
    for (size_t i = 0; i < j->info->chain_len; i++) {
        const struct tls_cert *c = &j->info->chain[i];
        char when[21];

        if (!c->parsed) {
            continue;
        }
        if (j->o->now > c->not_after) {
            tls_time_format(c->not_after, when);
            add(j, TLS_F_EXPIRED, TLS_SEV_ERROR, (int)i,
                "certificate %zu \"%.120s\" expired on %s, %ld days ago", i, c->subject, when,
                days_between(c->not_after, j->o->now));
        } else if (j->o->now < c->not_before) {
            tls_time_format(c->not_before, when);
            add(j, TLS_F_NOT_YET_VALID, TLS_SEV_ERROR, (int)i,
                "certificate %zu \"%.120s\" is not valid before %s, %ld days from now", i,
                c->subject, when, days_between(j->o->now, c->not_before));
        }
    }
}

/* "CN=db1 and SAN DNS:a, IP:10.0.0.5" (shortened to fit a message). */
static void describe_names(const struct tls_cert *c, char *out, size_t outlen)
{
    size_t o = 0;
    int w = snprintf(out, outlen, "CN=%s", c->subject_cn[0] ? c->subject_cn : "(none)");

    o = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < c->n_san && o < outlen; i++) {
        w = snprintf(out + o, outlen - o, "%s%s:%s", i == 0 ? " and SAN " : ", ",
                     c->san[i].type == TLS_SAN_DNS ? "DNS" : "IP", c->san[i].value);
        if (w < 0 || (size_t)w >= outlen - o) {
            out[o] = '\0';
            if (outlen - o > 5) {
                snprintf(out + o, outlen - o, ", ...");
            }
            return;
        }
        o += (size_t)w;
    }
    if (c->n_san == 0 && o < outlen) {
        snprintf(out + o, outlen - o, " and no SAN");
    }
}

static void check_name(struct judge *j)
{
    const struct tls_cert *leaf = leaf_of(j->info);
    const char *alt = j->o->alt_name;
    char names[200];

    if (leaf == NULL || j->o->name == NULL || j->o->name[0] == '\0') {
        return;
    }
    if (tls_name_matches(leaf, j->o->name, &j->o->rules) ||
        (alt != NULL && tls_name_matches(leaf, alt, &j->o->rules))) {
        return;
    }
    describe_names(leaf, names, sizeof(names));
    add(j, TLS_F_NAME_MISMATCH, TLS_SEV_ERROR, 0, "the client expects \"%.60s\"%s%.60s%s; the "
        "certificate has %s", j->o->name, alt ? " or \"" : "", alt ? alt : "", alt ? "\"" : "",
        names);
}

static void join_names(const char **names, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && o < outlen; i++) {
        int w = snprintf(out + o, outlen - o, "%s%s", i ? ", " : "", names[i]);

        if (w < 0) {
            return;
        }
        o += (size_t)w;
    }
}

static void check_eku(struct judge *j)
{
    const struct tls_cert *leaf = leaf_of(j->info);
    const char *names[8];
    char list[160];

    if (leaf == NULL || !leaf->has_eku || (leaf->eku & (TLS_EKU_SERVER_AUTH | TLS_EKU_ANY))) {
        return;
    }
    join_names(names, tls_cert_eku_names(leaf, names, 8), list, sizeof(list));
    add(j, TLS_F_NO_SERVER_AUTH_EKU, TLS_SEV_ERROR, 0,
        "the certificate's enhanced key usage is %s, without Server Authentication "
        "(1.3.6.1.5.5.7.3.1), which SQL Server and its clients require",
        list[0] ? list : "empty");
}

static void check_key_usage(struct judge *j)
{
    const struct tls_cert *leaf = leaf_of(j->info);
    const char *names[9];
    char list[160];

    if (leaf == NULL || !leaf->has_key_usage) {
        return;
    }
    join_names(names, tls_cert_key_usage_names(leaf, names, 9), list, sizeof(list));
    if (!(leaf->key_usage & TLS_KU_DIGITAL_SIGNATURE)) {
        add(j, TLS_F_BAD_KEY_USAGE, TLS_SEV_ERROR, 0,
            "the certificate's key usage (%s) lacks digitalSignature, which ECDHE and DHE "
            "suites need to sign the key exchange", list[0] ? list : "none");
    }
    if (strcmp(leaf->key_type, "RSA") == 0 && !(leaf->key_usage & TLS_KU_KEY_ENCIPHERMENT)) {
        add(j, TLS_F_BAD_KEY_USAGE, TLS_SEV_WARNING, 0,
            "the RSA certificate's key usage (%s) lacks keyEncipherment: SQL Server on Windows "
            "requires an AT_KEYEXCHANGE key, and RSA key-exchange suites fail",
            list[0] ? list : "none");
    }
}

/* The root's own signature is never checked by anyone (it is trusted as a key); every other
 * signature is. */
static void check_signatures(struct judge *j)
{
    for (size_t i = 0; i < j->info->chain_len; i++) {
        const struct tls_cert *c = &j->info->chain[i];

        if (!c->parsed || c->self_signed || c->signature_bits >= j->min_sig) {
            continue;
        }
        add(j, TLS_F_WEAK_SIGNATURE, TLS_SEV_ERROR, (int)i,
            "certificate %zu \"%.80s\" is signed with %s (%d bits of security, under %d): "
            "OpenSSL security level 2, the default since Ubuntu 20.04, refuses it", i,
            c->subject, c->signature_algorithm, c->signature_bits, j->min_sig);
    }
}

static void check_keys(struct judge *j)
{
    for (size_t i = 0; i < j->info->chain_len; i++) {
        const struct tls_cert *c = &j->info->chain[i];
        bool rsa = strcmp(c->key_type, "RSA") == 0;

        if (!c->parsed) {
            continue;
        }
        if (rsa && c->key_bits < j->min_rsa) {
            add(j, TLS_F_WEAK_KEY, TLS_SEV_ERROR, (int)i,
                "certificate %zu \"%.80s\" has an RSA-%d key, under the %d bits clients and "
                "OpenSSL security level 2 require", i, c->subject, c->key_bits, j->min_rsa);
        } else if (strcmp(c->key_type, "EC") == 0 && c->key_bits < 224) {
            add(j, TLS_F_WEAK_KEY, TLS_SEV_ERROR, (int)i,
                "certificate %zu \"%.80s\" has a %d-bit EC key (%s), under 224 bits", i,
                c->subject, c->key_bits, c->key_curve);
        }
    }
}

static void check_pin(struct judge *j)
{
    const struct tls_info *in = j->info;
    unsigned char digest[32];
    char hex[65];

    if (j->o->pin_der == NULL || j->pinned) {
        return;
    }
    if (mbedtls_sha256_ret(j->o->pin_der, j->o->pin_len, digest, 0) != 0) {
        return;
    }
    for (size_t i = 0; i < sizeof(digest); i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    add(j, TLS_F_PIN_MISMATCH, TLS_SEV_ERROR, 0,
        "the server's certificate (SHA-256 %.64s) is not the pinned ServerCertificate "
        "(SHA-256 %s)", in->chain_len > 0 ? in->chain[0].sha256 : "none: no certificate", hex);
}

static void check_rest(struct judge *j)
{
    const struct tls_info *in = j->info;
    const struct tls_cert *leaf = leaf_of(in);

    for (size_t i = 0; i < in->chain_len; i++) {
        const struct tls_cert *c = &in->chain[i];

        if (!c->parsed) {
            add(j, TLS_F_UNPARSABLE_CERTIFICATE, TLS_SEV_ERROR, (int)i,
                "certificate %zu (SHA-256 %.16s...) cannot be parsed: %s", i, c->sha256,
                c->parse_error);
        } else if (c->serial_negative) {
            add(j, TLS_F_NEGATIVE_SERIAL, TLS_SEV_WARNING, (int)i,
                "certificate %zu has a negative serial number (%.40s): RFC 5280 forbids it and "
                "Go 1.23 and later refuse to parse it", i, c->serial);
        }
    }
    if (tls_cert_is_sql_fallback(leaf)) {
        add(j, TLS_F_FALLBACK_CERTIFICATE, TLS_SEV_WARNING, 0,
            "CN=SSL_Self_Signed_Fallback: no certificate is configured, so SQL Server made its "
            "own. Set network.tlscert and network.tlskey with mssql-conf. It is regenerated at "
            "every restart: never pin or trust it");
    } else if (leaf != NULL && leaf->self_signed) {
        add(j, TLS_F_SELF_SIGNED, TLS_SEV_INFO, 0,
            "the server's certificate is self-signed: a client trusts it only when it is in the "
            "client's trust store or pinned");
    }
}

void tls_policy_judge(const struct tls_info *info, const struct tls_policy_opts *opts,
                      struct tls_verdict *out)
{
    struct judge j = { .info = info, .o = opts, .v = out };

    out->n = 0; /* add() fills each finding whole: the 10 KiB of slots need no clearing */
    out->pass = true;
    j.min_rsa = opts->min_rsa_bits > 0 ? opts->min_rsa_bits : 2048;
    j.min_sig = opts->min_signature_bits > 0 ? opts->min_signature_bits : 112;
    j.pinned = opts->pin_der != NULL && info->chain_len > 0 &&
               info->chain[0].der_len == opts->pin_len &&
               memcmp(info->chain[0].der, opts->pin_der, opts->pin_len) == 0;
    check_trust(&j);
    check_validity(&j);
    check_name(&j);
    check_eku(&j);
    check_key_usage(&j);
    check_signatures(&j);
    check_keys(&j);
    check_pin(&j);
    check_rest(&j);
}
