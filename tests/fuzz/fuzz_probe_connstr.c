/* fuzz_probe_connstr: the input (NUL bytes end it, as in a C string argument) is detected and
 * parsed as a connection string. Invariants checked: a failure leaves an error sentence and an
 * empty t->text; a success leaves a host and terminated fields; and re-parsing the masked
 * t->text (when it keeps the same shape and was not truncated) gives the same target and
 * profile, so masking passwords never changes what is probed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/drivers/probe_connstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_terminated(const char *s, size_t cap)
{
    if (memchr(s, '\0', cap) == NULL) {
        abort();
    }
}

static void check_same(const struct probe_target *a, const struct probe_target *b)
{
    const struct probe_client *x = &a->client, *y = &b->client;

    if (strcmp(a->host, b->host) || a->port != b->port || strcmp(a->instance, b->instance) ||
        strcmp(x->driver, y->driver) || x->encrypt != y->encrypt ||
        x->trust_server_certificate != y->trust_server_certificate ||
        strcmp(x->host_name_in_certificate, y->host_name_in_certificate) ||
        strcmp(x->ca_file, y->ca_file) || strcmp(x->server_certificate, y->server_certificate) ||
        x->tls_min != y->tls_min || x->tls_max != y->tls_max ||
        x->encrypt_disable != y->encrypt_disable) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct probe_target t, again;
    static char text[1200];
    char err[256];

    if (size >= sizeof(text)) {
        size = sizeof(text) - 1;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    (void)probe_connstr_kind_name(probe_connstr_detect(text));
    if (probe_connstr_parse(text, &t, err, sizeof(err)) != 0) {
        if (err[0] == '\0' || t.text[0] != '\0') {
            abort();
        }
        return 0;
    }
    check_terminated(t.text, sizeof(t.text));
    check_terminated(t.host, sizeof(t.host));
    check_terminated(t.instance, sizeof(t.instance));
    check_terminated(t.client.driver, sizeof(t.client.driver));
    if (t.host[0] == '\0') {
        abort();
    }
    if (strlen(t.text) + 1 < sizeof(t.text) &&
        probe_connstr_detect(t.text) == probe_connstr_detect(text)) {
        if (probe_connstr_parse(t.text, &again, err, sizeof(err)) != 0) {
            abort();
        }
        check_same(&t, &again);
    }
    return 0;
}
