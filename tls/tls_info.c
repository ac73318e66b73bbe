/* tls/tls_info.c: names for what a handshake showed (stages, alerts), the helpers every filler
 * of a struct tls_info shares (the sniffer, the session, the chain verifier), and the one way
 * tls/ words an mbedTLS error code. */
#include "tls/tls_info.h"

#include <stdio.h>
#include <stdlib.h>

#include <mbedtls/error.h>

#include "tls/tls_int.h"

static const char *const stage_names[] = {
    [TLS_STAGE_START] = "start",
    [TLS_STAGE_CLIENT_HELLO_SENT] = "ClientHello sent",
    [TLS_STAGE_SERVER_HELLO] = "ServerHello received",
    [TLS_STAGE_CERTIFICATE] = "Certificate received",
    [TLS_STAGE_SERVER_KEY_EXCHANGE] = "ServerKeyExchange received",
    [TLS_STAGE_SERVER_HELLO_DONE] = "ServerHelloDone received",
    [TLS_STAGE_CLIENT_FINISHED_SENT] = "client Finished sent",
    [TLS_STAGE_DONE] = "handshake complete",
};
_Static_assert(sizeof(stage_names) / sizeof(stage_names[0]) == TLS_STAGE_DONE + 1,
               "every stage needs a name");

const char *tls_stage_name(enum tls_stage st)
{
    if ((unsigned)st > TLS_STAGE_DONE) {
        return "unknown";
    }
    return stage_names[st];
}

const char *tls_handshake_name(uint8_t type)
{
    switch (type) {
    case 0: return "HelloRequest";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 8: return "EncryptedExtensions";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 13: return "CertificateRequest";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 20: return "Finished";
    default: return "handshake";
    }
}

/* RFC 5246 7.2 and RFC 8446 6 (the later ones a TLS 1.3 server may send). */
const char *tls_alert_name(uint8_t description)
{
    switch (description) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "unknown";
    }
}

void tls__stage_at_least(struct tls_info *info, enum tls_stage st)
{
    if (info->stage < st) {
        info->stage = st;
    }
}

void tls__info_clear_chain(struct tls_info *info)
{
    for (size_t i = 0; i < info->chain_len; i++) {
        tls_cert_clear(&info->chain[i]);
    }
    free(info->chain);
    info->chain = NULL;
    info->chain_len = 0;
}

void tls__info_note_depth(struct tls_info *info, int depth, uint32_t flags)
{
    if (depth < 0 || depth >= TLS_MAX_CHAIN) {
        return;
    }
    info->verify_flags[depth] = flags;
    if ((size_t)depth + 1 > info->verified_len) {
        info->verified_len = (size_t)depth + 1;
    }
}

void tls__error_because(char *out, size_t outlen, const char *what, int rc)
{
    char why[100];

    mbedtls_strerror(rc, why, sizeof(why));
    snprintf(out, outlen, "%s: %s", what, why);
}

void tls__error_coded(char *out, size_t outlen, int rc)
{
    char why[100];

    mbedtls_strerror(rc, why, sizeof(why));
    snprintf(out, outlen, "%s (-0x%04X)", why, (unsigned)-rc);
}
