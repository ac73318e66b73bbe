/* tests/fuzz/fuzz_tds_ssrp.c: libFuzzer target for the SQL Browser SVR_RESP parser.
 * What parses is rebuilt with tds_ssrp_build_resp() and must parse back to the same instances. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tds/tds_ssrp.h"

#define MAX_INST 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strings(const struct tds_ssrp_instance *in)
{
    /* Every string is terminated inside its array. */
    if (memchr(in->server, 0, sizeof(in->server)) == NULL ||
        memchr(in->instance, 0, sizeof(in->instance)) == NULL ||
        memchr(in->version, 0, sizeof(in->version)) == NULL ||
        memchr(in->pipe, 0, sizeof(in->pipe)) == NULL) {
        abort();
    }
    if (in->tcp_port != -1 && (in->tcp_port < 1 || in->tcp_port > 65535)) {
        abort();
    }
}

static void same(const struct tds_ssrp_instance *a, const struct tds_ssrp_instance *b)
{
    if (strcmp(a->server, b->server) != 0 || strcmp(a->instance, b->instance) != 0 ||
        strcmp(a->version, b->version) != 0 || strcmp(a->pipe, b->pipe) != 0 ||
        a->clustered != b->clustered || a->tcp_port != b->tcp_port) {
        abort();
    }
}

static void roundtrip(const struct tds_ssrp_instance *in, size_t count, size_t size)
{
    size_t cap = 3 + 65535;
    uint8_t *out = malloc(cap);
    size_t n = tds_ssrp_build_resp(in, count, out, cap);
    if (n == 0) {
        /* Only a rebuilt text past RESP_SIZE's u16 may refuse; inputs are far smaller. */
        if (size < 60000) {
            abort();
        }
        free(out);
        return;
    }
    struct tds_ssrp_instance back[MAX_INST];
    size_t c2, t2;
    struct tds_error e;
    tds_error_clear(&e);
    if (tds_ssrp_parse(out, n, back, MAX_INST, &c2, &t2, &e) != TDS_ERR_OK || c2 != count) {
        abort();
    }
    for (size_t i = 0; i < count; i++) {
        same(&in[i], &back[i]);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tds_ssrp_instance in[MAX_INST];
    size_t count, total;
    struct tds_error e;

    tds_error_clear(&e);
    int rc = tds_ssrp_parse(data, size, in, MAX_INST, &count, &total, &e);
    if (rc != TDS_ERR_OK) {
        if ((int)e.code != rc || e.detail[0] == '\0' || e.offset > size) {
            abort();
        }
        return 0;
    }
    if (count > MAX_INST || count > total || (total <= MAX_INST && count != total)) {
        abort();
    }
    for (size_t i = 0; i < count; i++) {
        check_strings(&in[i]);
    }
    roundtrip(in, count, size);
    return 0;
}
