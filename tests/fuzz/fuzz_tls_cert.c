/* tests/fuzz/fuzz_tls_cert.c: arbitrary bytes as a DER certificate, then every consumer of the
 * plain struct: the name lists, name matching with each client's rules, and the policy. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_cert.h"
#include "tls/tls_info.h"
#include "tls/tls_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void match_all(const struct tls_cert *c)
{
    static const char *const names[] = {
        "localhost", "db1.tdsprobe.test", "a.b.tdsprobe.test", "127.0.0.1", "::1", "[::1]",
        "SSL_Self_Signed_Fallback", "",
    };
    static const struct tls_name_rules rules[] = {
        { .cn_fallback = true, .ip_needs_ip_san = true },
        { .cn_always = true },
        { .ip_needs_ip_san = true },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
            (void)tls_name_matches(c, names[i], &rules[r]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_cert c;
    struct tls_info in;
    struct tls_verdict v;
    struct tls_policy_opts po = {
        .name = "localhost", .rules = { .cn_fallback = true, .ip_needs_ip_san = true },
        .check_trust = true, .now = 1700000000, .pin_der = data, .pin_len = size,
    };
    const char *names[16];

    if (tls_cert_from_der(&c, data, size) != 0) {
        return 0;
    }
    if (c.n_san > TLS_MAX_SAN || c.n_san > c.n_san_total || strlen(c.sha256) != 64) {
        abort();
    }
    (void)tls_cert_eku_names(&c, names, 16);
    (void)tls_cert_key_usage_names(&c, names, 16);
    match_all(&c);
    memset(&in, 0, sizeof(in));
    in.chain = &c;
    in.chain_len = 1;
    in.verified_path = true;
    in.verify_result = 0x08;
    tls_policy_judge(&in, &po, &v);
    tls_cert_clear(&c);
    return 0;
}
