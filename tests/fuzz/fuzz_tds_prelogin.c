/* tests/fuzz/fuzz_tds_prelogin.c: libFuzzer target for the PRELOGIN parser.
 * Whatever parses must survive a round trip: re-encode the options in table order with
 * tds_prelogin_encode(), parse again, and get the same options and the same decoded fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tds/tds_packet.h"
#include "tds/tds_prelogin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_fields(const struct tds_prelogin *a, const struct tds_prelogin *b)
{
    if (a->has_version != b->has_version || a->version.major != b->version.major ||
        a->version.minor != b->version.minor || a->version.build != b->version.build ||
        a->version.subbuild != b->version.subbuild || a->has_encryption != b->has_encryption ||
        a->encryption != b->encryption || a->has_instopt != b->has_instopt ||
        a->instopt_len != b->instopt_len || a->has_threadid != b->has_threadid ||
        a->threadid != b->threadid || a->threadid_len != b->threadid_len ||
        a->has_mars != b->has_mars || a->mars != b->mars || a->has_traceid != b->has_traceid ||
        a->has_fedauth != b->has_fedauth || a->fedauth != b->fedauth ||
        a->has_nonce != b->has_nonce) {
        abort();
    }
    if (a->has_instopt && a->instopt_len > 0 &&
        memcmp(a->instopt, b->instopt, a->instopt_len) != 0) {
        abort();
    }
    if (a->has_traceid && memcmp(a->traceid, b->traceid, 36) != 0) {
        abort();
    }
    if (a->has_nonce && memcmp(a->nonce, b->nonce, 32) != 0) {
        abort();
    }
}

static void same_options(const struct tds_prelogin *a, const struct tds_prelogin *b)
{
    if (a->n_options != b->n_options) {
        abort();
    }
    for (size_t i = 0; i < a->n_options; i++) {
        const struct tds_pl_option *x = &a->options[i], *y = &b->options[i];
        if (x->token != y->token || x->length != y->length) {
            abort();
        }
        if (x->length > 0 && memcmp(x->data, y->data, x->length) != 0) {
            abort();
        }
    }
}

static void roundtrip(const struct tds_prelogin *pl)
{
    struct tds_pl_item items[TDS_PL_MAX_OPTIONS];
    size_t total = pl->n_options * 5 + 1;
    for (size_t i = 0; i < pl->n_options; i++) {
        items[i] = (struct tds_pl_item){ .token = pl->options[i].token,
                                         .data = pl->options[i].data,
                                         .len = pl->options[i].length };
        total += pl->options[i].length;
    }
    uint8_t *out = malloc(total);
    size_t n = tds_prelogin_encode(items, pl->n_options, out, total);
    /* Only a data area past the u16 offsets may refuse to encode. */
    if (n == 0 && total <= UINT16_MAX) {
        abort();
    }
    if (n != 0) {
        struct tds_prelogin again;
        struct tds_error e;
        tds_error_clear(&e);
        if (n != total || tds_prelogin_parse(out, n, &again, &e) != TDS_ERR_OK) {
            abort();
        }
        same_options(pl, &again);
        same_fields(pl, &again);
    }
    free(out);
}

static void describe(const struct tds_prelogin *pl)
{
    char buf[64];
    tds_version_format(&pl->version, buf, sizeof(buf));
    tds_product_name(&pl->version, buf, sizeof(buf));
    (void)tds_enc_name(pl->encryption);
    for (size_t i = 0; i < pl->n_options; i++) {
        (void)tds_pl_token_name(pl->options[i].token);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tds_prelogin pl;
    struct tds_error e;

    tds_error_clear(&e);
    int rc = tds_prelogin_parse(data, size, &pl, &e);
    if (rc != TDS_ERR_OK) {
        /* A failure always says what and where, and names a real code. */
        if ((int)e.code != rc || rc <= TDS_ERR_OK || rc >= TDS_ERR_COUNT || e.detail[0] == '\0' ||
            pl.n_options != 0) {
            abort();
        }
        return 0;
    }
    if (!pl.has_version || pl.options[0].token != TDS_PL_VERSION || pl.table_len > size) {
        abort();
    }
    describe(&pl);
    roundtrip(&pl);
    return 0;
}
