/* tds/tds_encryption.c: the PRELOGIN ENCRYPTION byte and the negotiation tables of MS-TDS
 * 2.2.6.5 (what the server answers, and what the client does with the answer), as pure table
 * lookups. */
#include "tds/tds_prelogin.h"

const char *tds_enc_name(uint8_t b)
{
    switch (b & (uint8_t)~TDS_ENC_CLIENT_CERT) {
    case TDS_ENC_OFF:
        return "off";
    case TDS_ENC_ON:
        return "on";
    case TDS_ENC_NOT_SUP:
        return "not_supported";
    case TDS_ENC_REQ:
        return "required";
    default:
        return "unknown";
    }
}

bool tds_enc_has_client_cert(uint8_t b)
{
    return (b & TDS_ENC_CLIENT_CERT) != 0;
}

/* Rows: client byte 0x00-0x03, then 0x80-0x83; columns: enum tds_srv_enc. Copied from the
 * MS-TDS 2.2.6.5 table (also in Azure SQL-Connectivity-Checker TDSEncryptionOption.cs). */
static const struct tds_enc_answer answer_table[8][3] = {
    /* OFF */ { { TDS_ENC_OFF, false }, { TDS_ENC_REQ, false }, { TDS_ENC_NOT_SUP, false } },
    /* ON */ { { TDS_ENC_ON, false }, { TDS_ENC_ON, false }, { TDS_ENC_NOT_SUP, true } },
    /* NOT_SUP */
    { { TDS_ENC_NOT_SUP, false }, { TDS_ENC_REQ, true }, { TDS_ENC_NOT_SUP, false } },
    /* REQ */ { { TDS_ENC_ON, false }, { TDS_ENC_ON, false }, { TDS_ENC_NOT_SUP, true } },
    /* CLIENT_CERT_OFF */
    { { TDS_ENC_OFF, false }, { TDS_ENC_REQ, false }, { TDS_ENC_NOT_SUP, true } },
    /* CLIENT_CERT_ON */
    { { TDS_ENC_ON, false }, { TDS_ENC_ON, false }, { TDS_ENC_NOT_SUP, true } },
    /* CLIENT_CERT_NOT_SUP: the certificate cannot travel without TLS, so always refused */
    { { TDS_ENC_REQ, true }, { TDS_ENC_REQ, true }, { TDS_ENC_REQ, true } },
    /* CLIENT_CERT_REQ */
    { { TDS_ENC_ON, false }, { TDS_ENC_ON, false }, { TDS_ENC_NOT_SUP, true } },
};

struct tds_enc_answer tds_enc_server_answer(uint8_t client_byte, enum tds_srv_enc s)
{
    size_t row = client_byte & TDS_ENC_MASK;
    /* Only the eight bytes of the table keep the client-certificate rows; anything else
     * (0x04 strict, 0x40 CTAIP, 0xC1...) is read as its low two bits, as the header says. */
    if ((client_byte & (uint8_t)~TDS_ENC_MASK) == TDS_ENC_CLIENT_CERT) {
        row += 4;
    }
    if ((unsigned)s > TDS_SRV_ENC_NOT_SUP) {
        s = TDS_SRV_ENC_NOT_SUP;
    }
    return answer_table[row][s];
}

const char *tds_tls_scope_name(enum tds_tls_scope s)
{
    switch (s) {
    case TDS_TLS_NONE:
        return "none";
    case TDS_TLS_LOGIN_ONLY:
        return "login_only";
    case TDS_TLS_FULL:
        return "full";
    case TDS_TLS_TERMINATE:
        return "terminate";
    default:
        return "unknown";
    }
}

/* Rows: what the client sent (low two bits); columns: the reply OFF, ON, NOT_SUP, REQ.
 * The spec leaves client NOT_SUP with reply OFF/ON empty (a server never answers that): OFF
 * means "no TLS wanted by anyone" -> NONE; ON asks for TLS the client cannot do -> TERMINATE.
 * Client REQ is not in the spec's client table; it demands encryption, so it acts like ON. */
static const enum tds_tls_scope action_table[4][4] = {
    /* sent OFF */ { TDS_TLS_LOGIN_ONLY, TDS_TLS_FULL, TDS_TLS_NONE, TDS_TLS_FULL },
    /* sent ON */ { TDS_TLS_TERMINATE, TDS_TLS_FULL, TDS_TLS_TERMINATE, TDS_TLS_FULL },
    /* sent NOT_SUP */ { TDS_TLS_NONE, TDS_TLS_TERMINATE, TDS_TLS_NONE, TDS_TLS_TERMINATE },
    /* sent REQ */ { TDS_TLS_TERMINATE, TDS_TLS_FULL, TDS_TLS_TERMINATE, TDS_TLS_FULL },
};

enum tds_tls_scope tds_enc_client_action(uint8_t sent, uint8_t reply)
{
    uint8_t r = reply & (uint8_t)~TDS_ENC_CLIENT_CERT;
    /* A reply outside MS-TDS (0x04, 0x08 "strict" in some clients) leaves a spec-following
     * client nothing to act on. */
    if (r > TDS_ENC_REQ) {
        return TDS_TLS_TERMINATE;
    }
    return action_table[sent & TDS_ENC_MASK][r];
}
