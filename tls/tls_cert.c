/* tls/tls_cert.c: one X.509 certificate into plain data.
 *
 * mbedTLS parses; what mbedTLS 2.28 does not expose (iPAddress SANs, the SAN order, the raw
 * serial sign) is read from the DER with the shared cursor. An unparsable certificate is still
 * reported: its DER and SHA-256 are kept and parse_error says what mbedTLS refused. */
#include "tls/tls_cert.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls_int.h"
#include "tls/tls_mbedtls_compat.h"

/* ---- DER walking (shared with the policy through tls_int.h) ---- */

bool tls__der_tlv(struct tds_rd *r, uint8_t *tag, struct tds_rd *content)
{
    struct tds_rd t = *r; /* the caller's cursor moves only on success */
    uint8_t first;
    size_t len = 0;

    if (!tds_rd_u8(&t, tag) || (*tag & 0x1Fu) == 0x1Fu) { /* high tag numbers: not in X.509 */
        return false;
    }
    if (!tds_rd_u8(&t, &first) || first == 0x80u) {     /* indefinite length: not DER */
        return false;
    }
    if (first < 0x80u) {
        len = first;
    } else {
        size_t nbytes = first & 0x7Fu;

        if (nbytes > 4) {
            return false;
        }
        for (size_t i = 0; i < nbytes; i++) {
            uint8_t b;

            if (!tds_rd_u8(&t, &b)) {
                return false;
            }
            len = len << 8 | b;
        }
    }
    if (!tds_rd_sub(&t, len, content)) {
        return false;
    }
    *r = t;
    return true;
}

/* Expect one TLV with the given tag. */
static bool der_expect(struct tds_rd *r, uint8_t want, struct tds_rd *content)
{
    uint8_t tag;
    struct tds_rd t = *r;

    if (!tls__der_tlv(&t, &tag, content) || tag != want) {
        return false;
    }
    *r = t;
    return true;
}

/* Certificate -> TBSCertificate -> [3] Extensions -> SEQUENCE OF Extension. */
static bool der_find_extensions(const uint8_t *der, size_t len, struct tds_rd *exts)
{
    struct tds_rd all = tds_rd_make(der, len), cert, tbs, skip;
    uint8_t tag;

    if (!der_expect(&all, 0x30, &cert) || !der_expect(&cert, 0x30, &tbs)) {
        return false;
    }
    (void)der_expect(&tbs, 0xA0, &skip); /* version is optional (absent for v1) */
    /* serial, signature, issuer, validity, subject, subjectPublicKeyInfo */
    for (int i = 0; i < 6; i++) {
        if (!tls__der_tlv(&tbs, &tag, &skip)) {
            return false;
        }
    }
    while (tds_rd_left(&tbs) > 0) {
        struct tds_rd field;

        if (!tls__der_tlv(&tbs, &tag, &field)) {
            return false;
        }
        if (tag == 0xA3) {
            return der_expect(&field, 0x30, exts);
        }
    }
    return false;
}

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static bool der_find_ext(struct tds_rd exts, const uint8_t *oid, size_t oid_len,
                         struct tds_rd *value)
{
    while (tds_rd_left(&exts) > 0) {
        struct tds_rd ext, id, skip;

        if (!der_expect(&exts, 0x30, &ext) || !der_expect(&ext, 0x06, &id)) {
            return false;
        }
        (void)der_expect(&ext, 0x01, &skip);
        if (id.len == oid_len && memcmp(id.buf, oid, oid_len) == 0) {
            return der_expect(&ext, 0x04, value);
        }
    }
    return false;
}

bool tls__san_walk(const uint8_t *der, size_t der_len, tls__san_fn fn, void *ctx)
{
    static const uint8_t san_oid[] = { 0x55, 0x1D, 0x11 }; /* 2.5.29.17 */
    struct tds_rd exts, value, names;

    if (!der_find_extensions(der, der_len, &exts) ||
        !der_find_ext(exts, san_oid, sizeof(san_oid), &value) ||
        !der_expect(&value, 0x30, &names)) {
        return false;
    }
    while (tds_rd_left(&names) > 0) {
        uint8_t tag;
        struct tds_rd gn;

        if (!tls__der_tlv(&names, &tag, &gn)) {
            return false;
        }
        /* GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (RFC 5280 4.2.1.6) */
        if ((tag == 0x82 || tag == 0x87) && !fn(ctx, (uint8_t)(tag & 0x1F), gn.buf, gn.len)) {
            break;
        }
    }
    return true;
}

/* ---- text helpers ---- */

static void hex_into(char *out, size_t outlen, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < n && o + 2 < outlen; i++) {
        out[o++] = digits[p[i] >> 4];
        out[o++] = digits[p[i] & 0x0F];
    }
    if (outlen > 0) {
        out[o] = '\0';
    }
}

/* Copies a name from the wire, replacing what a report or terminal should not carry. */
static void printable_into(char *out, size_t outlen, const uint8_t *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        out[o++] = (p[i] >= 0x20 && p[i] < 0x7F) ? (char)p[i] : '?';
    }
    if (outlen > 0) {
        out[o] = '\0';
    }
}

/* BMPString (UTF-16BE) CNs exist in old Windows-made certificates; keep the ASCII. */
static void bmp_into(char *out, size_t outlen, const uint8_t *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i + 1 < n && o + 1 < outlen; i += 2) {
        unsigned ch = (unsigned)p[i] << 8 | p[i + 1];

        out[o++] = (ch >= 0x20 && ch < 0x7F) ? (char)ch : '?';
    }
    if (outlen > 0) {
        out[o] = '\0';
    }
}

/* width decimal digits of v (0 <= v < 10^width) at out. */
static void put_digits(char *out, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void tls_time_format(time_t t, char out[21])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
        snprintf(out, 21, "%s", t < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
        return;
    }
    /* gmtime_r keeps every field in range, so this is always 20 characters; written digit by
     * digit because a fleet's JSON records hold five of these each (snprintf was a tenth of the
     * record's cost). */
    memcpy(out, "0000-00-00T00:00:00Z", 21);
    put_digits(out, tm.tm_year + 1900, 4);
    put_digits(out + 5, tm.tm_mon + 1, 2);
    put_digits(out + 8, tm.tm_mday, 2);
    put_digits(out + 11, tm.tm_hour, 2);
    put_digits(out + 14, tm.tm_min, 2);
    put_digits(out + 17, tm.tm_sec, 2);
}

static time_t x509_time_utc(const mbedtls_x509_time *xt)
{
    struct tm tm = {
        .tm_year = xt->year - 1900, .tm_mon = xt->mon - 1, .tm_mday = xt->day,
        .tm_hour = xt->hour, .tm_min = xt->min, .tm_sec = xt->sec,
    };

    return timegm(&tm);
}

/* ---- the fields ---- */

static void fill_names(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    if (mbedtls_x509_dn_gets(c->subject, sizeof(c->subject), &crt->subject) < 0) {
        c->subject[sizeof(c->subject) - 1] = '\0';
    }
    if (mbedtls_x509_dn_gets(c->issuer, sizeof(c->issuer), &crt->issuer) < 0) {
        c->issuer[sizeof(c->issuer) - 1] = '\0';
    }
    for (const mbedtls_x509_name *n = &crt->subject; n != NULL; n = n->next) {
        if (n->oid.p == NULL || MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) != 0) {
            continue;
        }
        if (n->val.tag == MBEDTLS_ASN1_BMP_STRING) {
            bmp_into(c->subject_cn, sizeof(c->subject_cn), n->val.p, n->val.len);
        } else {
            printable_into(c->subject_cn, sizeof(c->subject_cn), n->val.p, n->val.len);
        }
        break;
    }
}

static void fill_serial(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    hex_into(c->serial, sizeof(c->serial), crt->serial.p, crt->serial.len);
    /* DER INTEGERs are two's complement: a set top bit with no 0x00 pad means negative, which
     * RFC 5280 4.1.2.2 forbids and some clients refuse. */
    c->serial_negative = crt->serial.len > 0 && (crt->serial.p[0] & 0x80u) != 0;
}

static bool san_collect(void *ctx, uint8_t tag, const uint8_t *val, size_t len)
{
    struct tls_cert *c = ctx;
    struct tls_san *s;

    if (tag == 7 && len != 4 && len != 16) {
        return true; /* an address with a mask belongs to name constraints, not here */
    }
    c->n_san_total++;
    if (c->n_san >= TLS_MAX_SAN) {
        return true;
    }
    s = &c->san[c->n_san++];
    if (tag == 2) {
        s->type = TLS_SAN_DNS;
        printable_into(s->value, sizeof(s->value), val, len);
    } else {
        s->type = TLS_SAN_IP;
        tls__ip_format(val, len, s->value, sizeof(s->value));
    }
    return true;
}

static bool san_count(void *ctx, uint8_t tag, const uint8_t *val, size_t len)
{
    size_t *n = ctx;

    (void)val;
    if (tag == 2 || len == 4 || len == 16) {
        (*n)++;
    }
    return true;
}

static int fill_sans(struct tls_cert *c)
{
    size_t total = 0;

    c->has_san_ext = tls__san_walk(c->der, c->der_len, san_count, &total);
    if (!c->has_san_ext || total == 0) {
        return 0;
    }
    c->san = calloc(total < TLS_MAX_SAN ? total : TLS_MAX_SAN, sizeof(*c->san));
    if (c->san == NULL) {
        return -1;
    }
    (void)tls__san_walk(c->der, c->der_len, san_collect, c);
    return 0;
}

struct sig_name {
    mbedtls_pk_type_t pk;
    mbedtls_md_type_t md;
    const char *name;
};

static const struct sig_name sig_names[] = {
    { MBEDTLS_PK_RSA, MBEDTLS_MD_MD2, "md2WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_MD4, "md4WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_MD5, "md5WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_SHA1, "sha1WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_SHA224, "sha224WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_SHA256, "sha256WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_SHA384, "sha384WithRSAEncryption" },
    { MBEDTLS_PK_RSA, MBEDTLS_MD_SHA512, "sha512WithRSAEncryption" },
    { MBEDTLS_PK_ECDSA, MBEDTLS_MD_SHA1, "ecdsa-with-SHA1" },
    { MBEDTLS_PK_ECDSA, MBEDTLS_MD_SHA224, "ecdsa-with-SHA224" },
    { MBEDTLS_PK_ECDSA, MBEDTLS_MD_SHA256, "ecdsa-with-SHA256" },
    { MBEDTLS_PK_ECDSA, MBEDTLS_MD_SHA384, "ecdsa-with-SHA384" },
    { MBEDTLS_PK_ECDSA, MBEDTLS_MD_SHA512, "ecdsa-with-SHA512" },
};

/* Security bits of the hash against collisions: MD5 is broken outright, SHA-1 has a practical
 * chosen-prefix collision (~2^63), the SHA-2 family gives half its output size. */
static int md_security_bits(mbedtls_md_type_t md)
{
    switch (md) {
    case MBEDTLS_MD_SHA1: return 63;
    case MBEDTLS_MD_RIPEMD160: return 80;
    case MBEDTLS_MD_SHA224: return 112;
    case MBEDTLS_MD_SHA256: return 128;
    case MBEDTLS_MD_SHA384: return 192;
    case MBEDTLS_MD_SHA512: return 256;
    default: return 0; /* MD2, MD4, MD5, none */
    }
}

static void fill_signature(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    struct tls__crt_sig sig;
    const char *name = NULL;

    tls__crt_signature(crt, &sig);
    for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
        if (sig_names[i].pk == sig.pk && sig_names[i].md == sig.md) {
            name = sig_names[i].name;
        }
    }
    if (name == NULL && sig.pk == MBEDTLS_PK_RSASSA_PSS) {
        name = "rsassaPss";
    }
    snprintf(c->signature_algorithm, sizeof(c->signature_algorithm), "%s",
             name != NULL ? name : "unknown");
    c->signature_bits = md_security_bits(sig.md);
}

static void fill_key(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    mbedtls_pk_type_t t = mbedtls_pk_get_type(&crt->pk);

    c->key_bits = (int)mbedtls_pk_get_bitlen(&crt->pk);
    if (t == MBEDTLS_PK_RSA) {
        snprintf(c->key_type, sizeof(c->key_type), "RSA");
    } else if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH || t == MBEDTLS_PK_ECDSA) {
        const mbedtls_ecp_curve_info *ci =
            mbedtls_ecp_curve_info_from_grp_id(tls__pk_ec_group(&crt->pk));

        snprintf(c->key_type, sizeof(c->key_type), "EC");
        snprintf(c->key_curve, sizeof(c->key_curve), "%s", ci != NULL ? ci->name : "unknown");
    } else {
        snprintf(c->key_type, sizeof(c->key_type), "unknown");
    }
}

static void eku_other_add(struct tls_cert *c, const mbedtls_x509_buf *oid)
{
    static const struct { const char *oid; size_t len; const char *name; } known[] = {
        { MBEDTLS_OID_CODE_SIGNING, MBEDTLS_OID_SIZE(MBEDTLS_OID_CODE_SIGNING), "codeSigning" },
        { MBEDTLS_OID_EMAIL_PROTECTION, MBEDTLS_OID_SIZE(MBEDTLS_OID_EMAIL_PROTECTION),
          "emailProtection" },
        { MBEDTLS_OID_TIME_STAMPING, MBEDTLS_OID_SIZE(MBEDTLS_OID_TIME_STAMPING), "timeStamping" },
        { MBEDTLS_OID_OCSP_SIGNING, MBEDTLS_OID_SIZE(MBEDTLS_OID_OCSP_SIGNING), "OCSPSigning" },
    };
    char *dst;

    if (c->n_eku_other >= sizeof(c->eku_other) / sizeof(c->eku_other[0])) {
        return;
    }
    dst = c->eku_other[c->n_eku_other++];
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (oid->len == known[i].len && memcmp(oid->p, known[i].oid, oid->len) == 0) {
            snprintf(dst, sizeof(c->eku_other[0]), "%s", known[i].name);
            return;
        }
    }
    if (mbedtls_oid_get_numeric_string(dst, sizeof(c->eku_other[0]), oid) < 0) {
        snprintf(dst, sizeof(c->eku_other[0]), "unknown");
    }
}

static void fill_eku(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    c->has_eku = tls__crt_has_ext(crt, MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE);
    if (!c->has_eku) {
        return;
    }
    for (const mbedtls_x509_sequence *s = &crt->ext_key_usage; s != NULL; s = s->next) {
        const mbedtls_x509_buf *oid = &s->buf;

        if (oid->p == NULL) {
            continue;
        }
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_SERVER_AUTH, oid) == 0) {
            c->eku |= TLS_EKU_SERVER_AUTH;
        } else if (MBEDTLS_OID_CMP(MBEDTLS_OID_CLIENT_AUTH, oid) == 0) {
            c->eku |= TLS_EKU_CLIENT_AUTH;
        } else if (MBEDTLS_OID_CMP(MBEDTLS_OID_ANY_EXTENDED_KEY_USAGE, oid) == 0) {
            c->eku |= TLS_EKU_ANY;
        } else {
            c->eku |= TLS_EKU_OTHER;
            eku_other_add(c, oid);
        }
    }
}

static void fill_key_usage(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    static const struct { unsigned mbed, ours; } map[] = {
        { MBEDTLS_X509_KU_DIGITAL_SIGNATURE, TLS_KU_DIGITAL_SIGNATURE },
        { MBEDTLS_X509_KU_NON_REPUDIATION, TLS_KU_NON_REPUDIATION },
        { MBEDTLS_X509_KU_KEY_ENCIPHERMENT, TLS_KU_KEY_ENCIPHERMENT },
        { MBEDTLS_X509_KU_DATA_ENCIPHERMENT, TLS_KU_DATA_ENCIPHERMENT },
        { MBEDTLS_X509_KU_KEY_AGREEMENT, TLS_KU_KEY_AGREEMENT },
        { MBEDTLS_X509_KU_KEY_CERT_SIGN, TLS_KU_KEY_CERT_SIGN },
        { MBEDTLS_X509_KU_CRL_SIGN, TLS_KU_CRL_SIGN },
        { MBEDTLS_X509_KU_ENCIPHER_ONLY, TLS_KU_ENCIPHER_ONLY },
        { MBEDTLS_X509_KU_DECIPHER_ONLY, TLS_KU_DECIPHER_ONLY },
    };
    unsigned usage = tls__crt_key_usage(crt);

    c->has_key_usage = tls__crt_has_ext(crt, MBEDTLS_X509_EXT_KEY_USAGE);
    if (!c->has_key_usage) {
        return;
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (usage & map[i].mbed) {
            c->key_usage |= map[i].ours;
        }
    }
}

/* Self-signed means more than subject == issuer: the signature must verify with the
 * certificate's own key (a same-named certificate issued by another key is not a root). */
static bool verifies_with_own_key(const mbedtls_x509_crt *crt)
{
    struct tls__crt_sig sig;
    const mbedtls_md_info_t *md;
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];

    if (crt->subject_raw.len != crt->issuer_raw.len ||
        memcmp(crt->subject_raw.p, crt->issuer_raw.p, crt->subject_raw.len) != 0) {
        return false;
    }
    tls__crt_signature(crt, &sig);
    md = mbedtls_md_info_from_type(sig.md);
    if (md == NULL || mbedtls_md(md, crt->tbs.p, crt->tbs.len, hash) != 0) {
        return false;
    }
    return mbedtls_pk_verify_ext(sig.pk, sig.opts, (mbedtls_pk_context *)&crt->pk, sig.md, hash,
                                 mbedtls_md_get_size(md), sig.p, sig.len) == 0;
}

static int fill_from_crt(struct tls_cert *c, const mbedtls_x509_crt *crt)
{
    c->parsed = true;
    c->x509_version = crt->version;
    fill_names(c, crt);
    fill_serial(c, crt);
    c->not_before = x509_time_utc(&crt->valid_from);
    c->not_after = x509_time_utc(&crt->valid_to);
    fill_signature(c, crt);
    fill_key(c, crt);
    fill_eku(c, crt);
    fill_key_usage(c, crt);
    c->is_ca = tls__crt_has_ext(crt, MBEDTLS_X509_EXT_BASIC_CONSTRAINTS) && tls__crt_ca_istrue(crt);
    c->self_signed = verifies_with_own_key(crt);
    return fill_sans(c);
}

static atomic_size_t own_parses;

/* ---- the fingerprints of a fleet's intermediates ----
 *
 * A fleet's servers mostly send the same one or two intermediates, and the SHA-256 of a 1.5 KiB
 * certificate is 6 % of a certificate-mode probe's instructions (mbedTLS's SHA-256 is plain C).
 * A fingerprint is a pure function of the DER, so each thread keeps the last few it computed for
 * certificates past the leaf, by their exact bytes, and answers a repeat with one memcmp. Leaves
 * differ from server to server and are always hashed. Per thread: no lock, and nothing to free
 * (the slots are fixed arrays); an intermediate longer than FP_DER_MAX is hashed every time. */
#define FP_SLOTS 4
#define FP_DER_MAX 2048

struct fp_slot {
    size_t len; /* 0: empty */
    uint8_t der[FP_DER_MAX];
    char hex[65];
};

static _Thread_local struct {
    struct fp_slot slot[FP_SLOTS];
    unsigned next; /* the slot a new fingerprint takes (round robin) */
    size_t hits;
} fp_memo;

static const struct fp_slot *fp_find(const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < FP_SLOTS; i++) {
        const struct fp_slot *s = &fp_memo.slot[i];

        if (s->len == len && memcmp(s->der, der, len) == 0) {
            return s;
        }
    }
    return NULL;
}

static void fp_keep(const uint8_t *der, size_t len, const char *hex)
{
    struct fp_slot *s = &fp_memo.slot[fp_memo.next++ % FP_SLOTS];

    memcpy(s->der, der, len);
    s->len = len;
    snprintf(s->hex, sizeof(s->hex), "%s", hex);
}

/* c->sha256 for c's DER; shared: a certificate past the leaf, which other servers send too. */
static void fingerprint(struct tls_cert *c, bool shared)
{
    unsigned char digest[32];
    bool memo = shared && c->der_len > 0 && c->der_len <= FP_DER_MAX;
    const struct fp_slot *hit = memo ? fp_find(c->der, c->der_len) : NULL;

    if (hit != NULL) {
        fp_memo.hits++;
        memcpy(c->sha256, hit->hex, sizeof(c->sha256));
        return;
    }
    if (mbedtls_sha256_ret(c->der, c->der_len, digest, 0) == 0) {
        hex_into(c->sha256, sizeof(c->sha256), digest, sizeof(digest));
        if (memo) {
            fp_keep(c->der, c->der_len, c->sha256);
        }
    }
}

size_t tls__cert_fingerprint_hits(void)
{
    return fp_memo.hits;
}

int tls__cert_capture(struct tls_cert *c, const uint8_t *der, size_t len, bool shared)
{
    memset(c, 0, sizeof(*c));
    c->der = malloc(len > 0 ? len : 1);
    if (c->der == NULL) {
        return -1;
    }
    if (len > 0) {
        memcpy(c->der, der, len);
    }
    c->der_len = len;
    fingerprint(c, shared);
    return 0;
}

int tls__cert_fill(struct tls_cert *c, const mbedtls_x509_crt *parsed)
{
    mbedtls_x509_crt crt;
    int rc;

    if (parsed != NULL) {
        return fill_from_crt(c, parsed);
    }
    atomic_fetch_add(&own_parses, 1);
    mbedtls_x509_crt_init(&crt);
    rc = mbedtls_x509_crt_parse_der_nocopy(&crt, c->der, c->der_len); /* c->der outlives crt */
    if (rc == 0) {
        rc = fill_from_crt(c, &crt);
    } else {
        tls__error_coded(c->parse_error, sizeof(c->parse_error), rc);
        rc = rc == MBEDTLS_ERR_X509_ALLOC_FAILED ? -1 : 0;
    }
    mbedtls_x509_crt_free(&crt);
    return rc;
}

size_t tls__cert_own_parses(void)
{
    return atomic_load(&own_parses);
}

int tls_cert_from_der(struct tls_cert *c, const uint8_t *der, size_t len)
{
    if (tls__cert_capture(c, der, len, false) != 0) {
        return -1;
    }
    if (tls__cert_fill(c, NULL) != 0) {
        tls_cert_clear(c);
        return -1;
    }
    return 0;
}

void tls_cert_clear(struct tls_cert *c)
{
    free(c->san);
    free(c->der);
    memset(c, 0, sizeof(*c));
}

size_t tls_cert_eku_names(const struct tls_cert *c, const char **names, size_t max)
{
    size_t n = 0;

    if (n < max && (c->eku & TLS_EKU_SERVER_AUTH)) {
        names[n++] = "serverAuth";
    }
    if (n < max && (c->eku & TLS_EKU_CLIENT_AUTH)) {
        names[n++] = "clientAuth";
    }
    if (n < max && (c->eku & TLS_EKU_ANY)) {
        names[n++] = "anyExtendedKeyUsage";
    }
    for (size_t i = 0; i < c->n_eku_other && n < max; i++) {
        names[n++] = c->eku_other[i];
    }
    return n;
}

size_t tls_cert_key_usage_names(const struct tls_cert *c, const char **names, size_t max)
{
    static const char *const ku[] = {
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
        "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
    };
    size_t n = 0;

    for (size_t i = 0; i < sizeof(ku) / sizeof(ku[0]) && n < max; i++) {
        if (c->key_usage & (1u << i)) {
            names[n++] = ku[i];
        }
    }
    return n;
}
