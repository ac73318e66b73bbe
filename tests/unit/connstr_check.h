/* tests/unit/connstr_check.h: checks shared by the connection-string tests: a secret is in no
 * byte of a parsed target, and the masked text re-parses to the same target (the property the
 * fuzz target fuzz_probe_connstr also asserts). Test-only, header-only; needs cmocka.h. */
#ifndef TESTS_UNIT_CONNSTR_CHECK_H
#define TESTS_UNIT_CONNSTR_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "probe/drivers/probe_connstr.h"

/* memmem without _GNU_SOURCE */
static inline bool find_bytes(const void *hay, size_t n, const char *needle)
{
    const unsigned char *h = hay;
    size_t m = strlen(needle);

    for (size_t i = 0; m > 0 && m <= n && i <= n - m; i++) {
        if (memcmp(h + i, needle, m) == 0) {
            return true;
        }
    }
    return false;
}

/* The secret is in no byte of the whole struct, fields and padding alike. */
static inline void check_secret(const struct probe_target *t, const char *secret)
{
    if (secret == NULL) {
        return;
    }
    if (find_bytes(t, sizeof(*t), secret)) {
        fail_msg("secret '%s' found in the parsed target (text '%s')", secret, t->text);
    }
}

/* The masked text means the same target (the fuzz oracle): masking never changes a parse. */
static inline void check_reparse(const struct probe_target *t)
{
    struct probe_target again;
    char err[512] = "";

    if (probe_connstr_parse(t->text, &again, err, sizeof(err)) != 0) {
        fail_msg("masked '%s' rejected: %s", t->text, err);
    }
    assert_string_equal(t->text, again.text);
    assert_string_equal(t->host, again.host);
    assert_int_equal(t->port, again.port);
    assert_string_equal(t->instance, again.instance);
    assert_string_equal(t->client.driver, again.client.driver);
    assert_int_equal(t->client.encrypt, again.client.encrypt);
    assert_int_equal(t->client.trust_server_certificate,
                     again.client.trust_server_certificate);
    assert_string_equal(t->client.host_name_in_certificate,
                        again.client.host_name_in_certificate);
    assert_string_equal(t->client.server_certificate, again.client.server_certificate);
    assert_string_equal(t->client.ca_file, again.client.ca_file);
    assert_int_equal(t->client.tls_min, again.client.tls_min);
    assert_int_equal(t->client.tls_max, again.client.tls_max);
    assert_int_equal(t->client.encrypt_disable, again.client.encrypt_disable);
}

#endif
