/* tls/tls13_probe.c: a TLS 1.3-only ClientHello by hand (also the TLS 1.3 client's, see
 * tls13__client_hello_msg), and a reader for what comes back.
 *
 * Built with the project's writer (tds_wr, sticky overflow) and read with its cursor (tds_rd),
 * like every other parser of untrusted bytes. The reply reader is a pure function of the bytes
 * received so far: records are walked from the start on every call, handshake fragments are
 * gathered into a bounded stack buffer, and nothing is kept between calls. */
#include "tls/tls13_probe.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "tls/tls13_int.h"
#include "tls/tls_int.h"
#include "tls/tls_version.h"

/* A ServerHello is a few hundred bytes (TLS 1.2 with every extension stays under 1 KiB); a
 * longer one is refused rather than buffered. */
#define TLS13_MAX_HELLO 4096u

/* ---- the ClientHello ---- */

/* Length-prefixed blocks: a placeholder now, the length once the body is written (the
 * picotls push_block pattern). */
static size_t block_open(struct tds_wr *w, size_t len_bytes)
{
    size_t at = w->len;

    for (size_t i = 0; i < len_bytes; i++) {
        tds_wr_u8(w, 0);
    }
    return at;
}

static void block_close(struct tds_wr *w, size_t at, size_t len_bytes)
{
    size_t n;

    if (w->overflow) {
        return;
    }
    n = w->len - at - len_bytes;
    for (size_t i = 0; i < len_bytes; i++) {
        w->buf[at + i] = (uint8_t)(n >> (8 * (len_bytes - 1 - i)));
    }
}

static void ext_u16_list(struct tds_wr *w, uint16_t type, const uint16_t *v, size_t n,
                         size_t len_bytes)
{
    size_t ext, list;

    tds_wr_u16be(w, type);
    ext = block_open(w, 2);
    list = block_open(w, len_bytes);
    for (size_t i = 0; i < n; i++) {
        tds_wr_u16be(w, v[i]);
    }
    block_close(w, list, len_bytes);
    block_close(w, ext, 2);
}

/* An extension whose body is a list (2-byte length) of exactly one entry: the entry's fixed
 * head, then an opaque value behind a len_bytes length. Three extensions of the ClientHello
 * have this shape: server_name (RFC 6066 3: name_type host_name, HostName<1..2^16-1>), ALPN
 * (RFC 7301 3.1: ProtocolName<1..2^8-1>) and key_share (RFC 8446 4.2.8: one KeyShareEntry,
 * group then key_exchange<1..2^16-1>). */
static void ext_one_entry(struct tds_wr *w, uint16_t type, uint16_t head, size_t head_bytes,
                          const void *val, size_t val_len, size_t len_bytes)
{
    size_t ext, list, value;

    tds_wr_u16be(w, type);
    ext = block_open(w, 2);
    list = block_open(w, 2);
    if (head_bytes == 1) {
        tds_wr_u8(w, (uint8_t)head);
    } else if (head_bytes == 2) {
        tds_wr_u16be(w, head);
    }
    value = block_open(w, len_bytes);
    tds_wr_bytes(w, val, val_len);
    block_close(w, value, len_bytes);
    block_close(w, list, 2);
    block_close(w, ext, 2);
}

static void key_shares(struct tds_wr *w, const struct tls13__share *shares, size_t n)
{
    size_t ext, list;

    tds_wr_u16be(w, TLS_EXT_KEY_SHARE); /* RFC 8446 4.2.8: client_shares<0..2^16-1> */
    ext = block_open(w, 2);
    list = block_open(w, 2);
    for (size_t i = 0; i < n; i++) {
        size_t value;

        tds_wr_u16be(w, shares[i].group);
        value = block_open(w, 2);
        tds_wr_bytes(w, shares[i].pub, shares[i].len);
        block_close(w, value, 2);
    }
    block_close(w, list, 2);
    block_close(w, ext, 2);
}

/* supported_groups: the TLS 1.3 client keys any of them (x25519 and secp256r1 at once, secp384r1
 * after a HelloRetryRequest) */
static const uint16_t groups[] = { TLS13_GROUP_X25519, TLS13_GROUP_SECP256R1,
                                   TLS13_GROUP_SECP384R1 };

/* The three TLS 1.3 suites (RFC 8446 B.4), in the client's order of preference. */
static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303 };

static size_t add_names(char *buf, size_t cap, size_t used, const uint16_t *v, size_t n,
                        bool suite)
{
    char name[64];

    for (size_t i = 0; i < n && used < cap; i++) {
        if (suite) {
            tls__cipher_label(v[i], name, sizeof(name));
        }
        int k = snprintf(buf + used, cap - used, "%s%s", i > 0 ? ", " : "",
                         suite ? name : tls13__group_name(v[i]));
        used += k > 0 ? (size_t)k : 0;
    }
    return used < cap ? used : cap - 1;
}

const char *tls13_probe_offer_text(char *buf, size_t cap, bool with_suites)
{
    size_t used = (size_t)snprintf(buf, cap, "key exchange groups ");

    used = add_names(buf, cap, used < cap ? used : cap - 1, groups,
                     sizeof(groups) / sizeof(groups[0]), false);
    if (!with_suites) {
        return buf;
    }
    used += (size_t)snprintf(buf + used, cap - used, "; suites ");
    add_names(buf, cap, used < cap ? used : cap - 1, suites, sizeof(suites) / sizeof(suites[0]),
              true);
    return buf;
}

/* RFC 7685: a padding extension of zero bytes that makes the message (from start) at least
 * h->pad_to long. */
static void padding(struct tds_wr *w, const struct tls13__hello *h, size_t start)
{
    size_t have = w->len - start + 4; /* with the padding extension's own header */

    if (h->pad_to == 0 || w->len - start >= h->pad_to) {
        return;
    }
    tds_wr_u16be(w, TLS13_EXT_PADDING);
    tds_wr_u16be(w, (uint16_t)(have < h->pad_to ? h->pad_to - have : 0));
    for (; have < h->pad_to; have++) {
        tds_wr_u8(w, 0);
    }
}

static void extensions(struct tds_wr *w, const struct tls13__hello *h, size_t start)
{
    /* ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256/384/512, rsa_pkcs1_sha256/384/512 (RFC 8446
     * 4.2.3: for the certificates' signatures only), ecdsa_secp384r1_sha384 */
    static const uint16_t sigalgs[] = { 0x0403, 0x0804, 0x0805, 0x0806,
                                        0x0401, 0x0501, 0x0601, 0x0503 };
    static const uint16_t tls13_only[] = { 0x0304 };
    uint8_t ip[16];
    size_t iplen, all = block_open(w, 2);

    if (h->sni != NULL && h->sni[0] != '\0' && !tls__ip_parse(h->sni, ip, &iplen)) {
        ext_one_entry(w, TLS_EXT_SERVER_NAME, 0 /* host_name */, 1, h->sni, strlen(h->sni), 2);
    }
    ext_u16_list(w, TLS_EXT_SUPPORTED_GROUPS, groups, sizeof(groups) / sizeof(groups[0]), 2);
    ext_u16_list(w, TLS_EXT_SIGNATURE_ALGORITHMS, sigalgs, sizeof(sigalgs) / sizeof(sigalgs[0]), 2);
    /* only 0x0304: a ServerHello selecting it is an unambiguous yes */
    ext_u16_list(w, TLS_EXT_SUPPORTED_VERSIONS, tls13_only, 1, 1);
    key_shares(w, h->shares, h->n_shares);
    tds_wr_u16be(w, TLS_EXT_PSK_MODES); /* psk_dhe_ke: what every client sends */
    tds_wr_u16be(w, 2);
    tds_wr_u8(w, 1);
    tds_wr_u8(w, 1);
    if (h->alpn != NULL && h->alpn[0] != '\0') {
        ext_one_entry(w, TLS_EXT_ALPN, 0, 0, h->alpn, strlen(h->alpn), 1);
    }
    if (h->cookie != NULL) { /* RFC 8446 4.2.2: Cookie { opaque cookie<1..2^16-1> } */
        size_t ext, value;

        tds_wr_u16be(w, TLS13_EXT_COOKIE);
        ext = block_open(w, 2);
        value = block_open(w, 2);
        tds_wr_bytes(w, h->cookie, h->cookie_len);
        block_close(w, value, 2);
        block_close(w, ext, 2);
    }
    padding(w, h, start); /* last: its length depends on everything before it */
    block_close(w, all, 2);
}

void tls13__client_hello_msg(struct tds_wr *w, const struct tls13__hello *h)
{
    uint8_t session_id[32];
    size_t start = w->len, hs, list;

    if ((h->sni != NULL && strlen(h->sni) > 255) || (h->alpn != NULL && strlen(h->alpn) > 255) ||
        mbedtls_sha256_ret(h->random, 32, session_id, 0) != 0) {
        w->overflow = true;
        return;
    }
    tds_wr_u8(w, TLS_HS_CLIENT_HELLO);
    hs = block_open(w, 3);
    tds_wr_u16be(w, 0x0303); /* legacy_version: TLS 1.2; the real offer is supported_versions */
    tds_wr_bytes(w, h->random, 32);
    tds_wr_u8(w, sizeof(session_id));
    tds_wr_bytes(w, session_id, sizeof(session_id));
    list = block_open(w, 2);
    if (h->suites != NULL && h->suites[0] != 0) {
        for (size_t i = 0; h->suites[i] != 0; i++) {
            tds_wr_u16be(w, h->suites[i]);
        }
    } else {
        for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
            tds_wr_u16be(w, suites[i]);
        }
    }
    block_close(w, list, 2);
    tds_wr_u8(w, 1); /* compression methods: null only */
    tds_wr_u8(w, 0);
    extensions(w, h, start);
    block_close(w, hs, 3);
}

size_t tls13_probe_client_hello(uint8_t *out, size_t cap, const char *sni, const char *alpn,
                                const uint8_t random[32], const uint8_t x25519_pub[32])
{
    return tls13_probe_client_hello_suites(out, cap, sni, alpn, random, x25519_pub, NULL);
}

size_t tls13_probe_suites(uint16_t *out, size_t cap)
{
    size_t n = 0;

    for (; n < sizeof(suites) / sizeof(suites[0]) && n < cap; n++) {
        out[n] = suites[n];
    }
    return n;
}

size_t tls13_probe_client_hello_suites(uint8_t *out, size_t cap, const char *sni,
                                       const char *alpn, const uint8_t random[32],
                                       const uint8_t x25519_pub[32], const uint16_t *suite_ids)
{
    const struct tls13__share share = { TLS13_GROUP_X25519, x25519_pub, 32 };
    const struct tls13__hello h = { .sni = sni, .alpn = alpn, .random = random,
                                    .shares = &share, .n_shares = 1, .suites = suite_ids };
    struct tds_wr w = tds_wr_make(out, cap);
    size_t record;

    tds_wr_u8(&w, TLS_REC_HANDSHAKE);
    tds_wr_u16be(&w, 0x0301); /* RFC 8446 5.1: the first ClientHello record says TLS 1.0 */
    record = block_open(&w, 2);
    tls13__client_hello_msg(&w, &h);
    block_close(&w, record, 2);
    return w.overflow ? 0 : w.len;
}

int tls13_probe_keys(uint8_t random[32], uint8_t x25519_pub[32])
{
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi d;
    size_t olen = 0;
    int rc;

    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&d);
    rc = tls__random(NULL, random, 32);
    if (rc == 0) {
        rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_CURVE25519);
    }
    if (rc == 0) {
        rc = mbedtls_ecp_gen_keypair(&grp, &d, &q, tls__random, NULL);
    }
    /* Montgomery points are written as the little-endian u-coordinate (RFC 7748 5) */
    if (rc == 0) {
        rc = mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
                                            x25519_pub, 32);
    }
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc == 0 && olen == 32 ? 0 : -1;
}

/* ---- the reply ---- */

static int fail(struct tls13_probe_result *r, const char *what)
{
    snprintf(r->detail, sizeof(r->detail), "%s", what);
    return TLS13_ERROR;
}

static void set_group(struct tls13_probe_result *r, uint16_t g)
{
    r->group = g;
    if (tls13__group_name(g) != NULL) {
        snprintf(r->group_name, sizeof(r->group_name), "%s", tls13__group_name(g));
    } else {
        snprintf(r->group_name, sizeof(r->group_name), "0x%04X", g);
    }
}

/* What the ServerHello's extensions say; validity is judged afterwards. */
struct hello_exts {
    bool has_version;
    uint16_t version;
    bool has_group;
    uint16_t group;
    char alpn[32];
    bool has_alpn;
};

static bool read_ext(struct hello_exts *x, uint16_t type, struct tds_rd e, bool hrr)
{
    uint16_t list;
    uint8_t len;
    const uint8_t *name;

    switch (type) {
    case TLS_EXT_SUPPORTED_VERSIONS: /* RFC 8446 4.2.1: the selected version alone */
        x->has_version = true;
        return tds_rd_u16be(&e, &x->version) && tds_rd_left(&e) == 0;
    case TLS_EXT_KEY_SHARE: /* ServerHello: KeyShareEntry; HRR: the selected group alone */
        x->has_group = tds_rd_u16be(&e, &x->group);
        return x->has_group && (!hrr || tds_rd_left(&e) == 0);
    case TLS_EXT_ALPN: /* RFC 7301 3.1: exactly one name */
        if (!tds_rd_u16be(&e, &list) || !tds_rd_u8(&e, &len) || len == 0 ||
            !tds_rd_bytes(&e, len, &name) || tds_rd_left(&e) != 0) {
            return false;
        }
        if (len < sizeof(x->alpn)) {
            memcpy(x->alpn, name, len);
            x->alpn[len] = '\0';
            x->has_alpn = true;
        }
        return true;
    default:
        return true; /* others say nothing about the version */
    }
}

static bool read_exts(struct tds_rd *m, struct hello_exts *x, bool hrr)
{
    uint16_t all_len;
    struct tds_rd all;

    memset(x, 0, sizeof(*x));
    if (tds_rd_left(m) == 0) {
        return true; /* RFC 5246 7.4.1.3: a TLS <= 1.2 ServerHello may end before them */
    }
    if (!tds_rd_u16be(m, &all_len) || !tds_rd_sub(m, all_len, &all) || tds_rd_left(m) != 0) {
        return false;
    }
    while (tds_rd_left(&all) > 0) {
        uint16_t type, len;
        struct tds_rd e;

        if (!tds_rd_u16be(&all, &type) || !tds_rd_u16be(&all, &len) ||
            !tds_rd_sub(&all, len, &e) || !read_ext(x, type, e, hrr)) {
            return false;
        }
    }
    return true;
}

static int accepted(struct tls13_probe_result *r, const struct hello_exts *x)
{
    r->accepted = true;
    r->version = TLS_V13;
    if (x->has_group) {
        set_group(r, x->group);
    }
    /* RFC 8446 4.2.7: ALPN goes to EncryptedExtensions; the probe never decrypts that */
    r->alpn_visible = false;
    if (r->hello_retry) {
        snprintf(r->detail, sizeof(r->detail),
                 "the server accepts TLS 1.3 (HelloRetryRequest: it wants a %s key share "
                 "instead of x25519), suite %s", r->group_name[0] ? r->group_name : "different",
                 r->cipher);
    } else {
        snprintf(r->detail, sizeof(r->detail), "the server accepts TLS 1.3 with %s and %s",
                 r->cipher, r->group_name[0] ? r->group_name : "an unnamed group");
    }
    if (r->cipher_id < 0x1301 || r->cipher_id > 0x1303) {
        snprintf(r->detail, sizeof(r->detail),
                 "the server selected TLS 1.3 but with suite %s, which was not offered",
                 r->cipher);
    }
    return TLS13_DONE;
}

static int older_version(struct tls13_probe_result *r, const struct hello_exts *x, int minor)
{
    r->version = minor;
    if (x->has_alpn) {
        r->alpn_visible = true;
        snprintf(r->alpn, sizeof(r->alpn), "%s", x->alpn);
    }
    if (x->has_version) {
        snprintf(r->detail, sizeof(r->detail),
                 "the server selected %s in supported_versions, which offered only TLS 1.3",
                 tls_version_name(minor));
    } else {
        snprintf(r->detail, sizeof(r->detail),
                 "the server answered with %s: it does not do TLS 1.3 (or has it disabled)",
                 tls_version_name(minor));
    }
    return TLS13_DONE;
}

/* RFC 8446 4.1.3 (and RFC 5246 7.4.1.3 for what a TLS 1.2 server sends). */
static int on_server_hello(struct tds_rd m, struct tls13_probe_result *r)
{
    uint16_t legacy, suite;
    const uint8_t *random;
    uint8_t sid_len, compression;
    struct hello_exts x;

    if (!tds_rd_u16be(&m, &legacy) || !tds_rd_bytes(&m, 32, &random) ||
        !tds_rd_u8(&m, &sid_len) || sid_len > 32 || !tds_rd_skip(&m, sid_len) ||
        !tds_rd_u16be(&m, &suite) || !tds_rd_u8(&m, &compression)) {
        return fail(r, "the ServerHello is malformed (cut short)");
    }
    if ((legacy >> 8) != 3) {
        return fail(r, "the ServerHello names a version that is not TLS");
    }
    r->hello_retry = memcmp(random, tls13__hrr_random, 32) == 0;
    if (!read_exts(&m, &x, r->hello_retry)) {
        return fail(r, "the ServerHello's extensions are malformed");
    }
    r->cipher_id = suite;
    tls__cipher_label(suite, r->cipher, sizeof(r->cipher));
    if (x.has_version && x.version == 0x0304) {
        return accepted(r, &x);
    }
    if (r->hello_retry) {
        return fail(r, "a HelloRetryRequest without TLS 1.3 in supported_versions");
    }
    if (x.has_version) {
        return (x.version >> 8) == 3 ? older_version(r, &x, x.version & 0xFF)
                                     : fail(r, "supported_versions selects a version that is "
                                               "not TLS");
    }
    return older_version(r, &x, legacy & 0xFF);
}

static void explain_alert(struct tls13_probe_result *r)
{
    const char *name = r->alert_name;

    switch (r->alert_description) {
    case 70: /* protocol_version */
        snprintf(r->detail, sizeof(r->detail), "the server refused TLS 1.3 (%s): it knows TLS "
                 "1.3 but has it disabled, or will not negotiate it", name);
        break;
    case 40: /* handshake_failure */
        snprintf(r->detail, sizeof(r->detail), "the server refused a TLS 1.3-only ClientHello "
                 "(%s): typical of a server without TLS 1.3, which finds no suite it knows",
                 name);
        break;
    default:
        snprintf(r->detail, sizeof(r->detail), "the server refused the TLS 1.3 ClientHello "
                 "with a %s alert: %s (%u)", r->alert_level == 1 ? "warning" : "fatal", name,
                 r->alert_description);
        break;
    }
}

/* Returns DONE for an alert that ends the handshake, NEED_MORE for a warning to skip. */
static int on_alert(const uint8_t a[2], struct tls13_probe_result *r)
{
    /* A warning other than close_notify (unrecognized_name, say) may precede a ServerHello. */
    if (a[0] == 1 && a[1] != 0) {
        return TLS13_NEED_MORE;
    }
    r->alert_received = true;
    r->alert_level = a[0];
    r->alert_description = a[1];
    snprintf(r->alert_name, sizeof(r->alert_name), "%s", tls_alert_name(a[1]));
    explain_alert(r);
    return TLS13_DONE;
}

/* The gathered handshake bytes: the first message must be the ServerHello. */
static int on_handshake(const uint8_t *hs, size_t len, struct tls13_probe_result *r)
{
    struct tds_rd h = tds_rd_make(hs, len);
    struct tds_rd body;
    uint8_t type;
    uint32_t body_len;

    if (!tds_rd_u8(&h, &type) || !tds_rd_u24be(&h, &body_len)) {
        return TLS13_NEED_MORE;
    }
    if (type != TLS_HS_SERVER_HELLO) {
        snprintf(r->detail, sizeof(r->detail),
                 "the server's first handshake message is type %u, not a ServerHello", type);
        return TLS13_ERROR;
    }
    if (body_len > TLS13_MAX_HELLO - 4) {
        return fail(r, "the ServerHello claims to be longer than 4 KiB");
    }
    if (!tds_rd_sub(&h, body_len, &body)) {
        return TLS13_NEED_MORE;
    }
    return on_server_hello(body, r);
}

/* The first bytes of a record header, checked as soon as they arrive, so a server that answers
 * with something else (a TDS packet, an HTTP error) is an ERROR at once, not a wait. */
static int check_header(const uint8_t *h, size_t have, struct tls13_probe_result *r)
{
    if (have >= 1 && (h[0] < TLS_REC_CCS || h[0] > TLS_REC_APPDATA)) {
        if (h[0] == 0x04 || h[0] == 0x12) {
            snprintf(r->detail, sizeof(r->detail), "the reply is not TLS but a TDS packet "
                     "(type 0x%02X): the server expects PRELOGIN first, not TDS 8.0 strict",
                     h[0]);
        } else {
            snprintf(r->detail, sizeof(r->detail),
                     "the reply is not TLS: first byte 0x%02X", h[0]);
        }
        return TLS13_ERROR;
    }
    if (have >= 2 && h[1] != 3) {
        return fail(r, "the reply is not TLS: the record version is not 3.x");
    }
    if (have >= 5 && ((size_t)h[3] << 8 | h[4]) > TLS_MAX_RECORD) {
        return fail(r, "the reply is not TLS: a record longer than 18 KiB");
    }
    return TLS13_NEED_MORE;
}

/* One record's worth (or what has arrived of it); *more says whether to go on. */
static int on_record(struct tds_rd *in, uint8_t *hs, size_t *hs_len, bool *more,
                     struct tls13_probe_result *r)
{
    const uint8_t *h = in->buf + in->pos, *body;
    size_t have = tds_rd_left(in), len, avail;
    int rc = check_header(h, have, r);

    *more = false;
    if (rc != TLS13_NEED_MORE || have < 5) {
        return rc;
    }
    len = (size_t)h[3] << 8 | h[4];
    avail = have - 5 < len ? have - 5 : len;
    body = h + 5;
    switch (h[0]) {
    case TLS_REC_ALERT:
        if (len < 2 && avail == len) {
            return fail(r, "an alert record shorter than an alert");
        }
        rc = avail < 2 ? TLS13_NEED_MORE : on_alert(body, r);
        break;
    case TLS_REC_HANDSHAKE: {
        /* Bytes past the buffer are never needed: a ServerHello that does not fit is refused
         * by on_handshake from its length field, and what follows a ServerHello is unread. */
        size_t take = avail < TLS13_MAX_HELLO - *hs_len ? avail : TLS13_MAX_HELLO - *hs_len;

        memcpy(hs + *hs_len, body, take);
        *hs_len += take;
        rc = on_handshake(hs, *hs_len, r);
        break;
    }
    default: /* ChangeCipherSpec or application data before any ServerHello */
        snprintf(r->detail, sizeof(r->detail),
                 "a record of type %u arrived before the ServerHello", h[0]);
        return TLS13_ERROR;
    }
    *more = rc == TLS13_NEED_MORE && avail == len && tds_rd_skip(in, 5 + len);
    return rc;
}

int tls13_probe_parse(const uint8_t *p, size_t n, struct tls13_probe_result *r)
{
    uint8_t hs[TLS13_MAX_HELLO];
    size_t hs_len = 0;
    struct tds_rd in = tds_rd_make(p, n);
    bool more = true;
    int rc = TLS13_NEED_MORE;

    memset(r, 0, sizeof(*r));
    while (more && rc == TLS13_NEED_MORE) {
        rc = on_record(&in, hs, &hs_len, &more, r);
    }
    if (rc == TLS13_NEED_MORE) { /* a partial reply must not read as an answer */
        memset(r, 0, sizeof(*r));
    } else if (rc == TLS13_ERROR) { /* nor fields set before the fault was found */
        char detail[sizeof(r->detail)];

        memcpy(detail, r->detail, sizeof(detail));
        memset(r, 0, sizeof(*r));
        memcpy(r->detail, detail, sizeof(detail));
    }
    return rc;
}
