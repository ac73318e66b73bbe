/* tls/tls_verify.c: verify a chain outside a handshake, exactly as a session would. */
#include "tls/tls_policy.h"

#include <string.h>

#include "tls/tls_info.h"
#include "tls/tls_int.h"

static int record_depth(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct tls_info *info = ctx;

    (void)crt;
    tls__info_note_depth(info, depth, *flags);
    return 0;
}

int tls_policy_verify_chain(struct tls_info *info, const struct tls_config *cfg)
{
    mbedtls_x509_crt chain;
    uint32_t flags = 0;
    int rc = 0;

    if (info->chain_len == 0) {
        return -1;
    }
    mbedtls_x509_crt_init(&chain);
    for (size_t i = 0; i < info->chain_len && rc == 0; i++) {
        rc = mbedtls_x509_crt_parse_der(&chain, info->chain[i].der, info->chain[i].der_len);
    }
    if (rc == 0) {
        memset(info->verify_flags, 0, sizeof(info->verify_flags));
        info->verified_len = 0;
        (void)mbedtls_x509_crt_verify_with_profile(
            &chain, cfg->ca_count > 0 ? (mbedtls_x509_crt *)&cfg->ca : NULL, NULL,
            &tls__permissive_profile, NULL, &flags, record_depth, info);
        info->verify_result = flags;
        info->verified_path = true;
    }
    mbedtls_x509_crt_free(&chain);
    return rc == 0 ? 0 : -1;
}
