/* tests/fuzz/fuzz_tls_session.c: arbitrary bytes as the server's side of a TLS handshake.
 *
 * Input: byte 0 controls the run (bit 0: certificate mode; bits 1-7: chunk size selector; bit 7
 * also: hello mode, which wins over bit 0), the rest is what "the server" sends. The session is
 * stepped after every chunk, as the probe does, until it stops; then the transport closes and
 * the policy judges whatever was captured.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_policy.h"
#include "tls/tls_session.h"
#include "tls/tls_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_config *config_for(enum tls_handshake_mode mode)
{
    static struct tls_config *cfg[3];
    int i = mode == TLS_HANDSHAKE_HELLO ? 2 : mode == TLS_HANDSHAKE_CERTIFICATE ? 1 : 0;

    if (cfg[i] == NULL) {
        struct tls_config_opts o = {
            .min_version = TLS_V10, .max_version = TLS_V12, .alpn = "tds/8.0", .mode = mode,
        };
        char err[200];

        if (tls_config_new(&cfg[i], &o, err, sizeof(err)) != 0) {
            abort();
        }
    }
    return cfg[i];
}

static void judge(const struct tls_info *in)
{
    struct tls_policy_opts po = {
        .name = "db1.contoso.com", .alt_name = "10.0.0.5",
        .rules = { .cn_fallback = true, .ip_needs_ip_san = true },
        .check_trust = true, .now = 1700000000, .min_rsa_bits = 2048, .min_signature_bits = 112,
    };
    struct tls_verdict v;

    tls_policy_judge(in, &po, &v);
    if (v.n > TLS_MAX_FINDINGS) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunks[] = { 1, 5, 64, 517, 4096, 16389, 65536 };
    struct tls_session *s;
    enum tls_handshake_mode mode;
    enum tls_step st;
    size_t chunk, off = 1, n;
    char err[200];

    if (size < 1) {
        return 0;
    }
    chunk = chunks[(data[0] >> 1) % (sizeof(chunks) / sizeof(chunks[0]))];
    if (data[0] & 0x80) {
        mode = TLS_HANDSHAKE_HELLO;
    } else {
        mode = data[0] & 1 ? TLS_HANDSHAKE_CERTIFICATE : TLS_HANDSHAKE_FULL;
    }
    if (tls_session_new(&s, config_for(mode), "db1.contoso.com", err, sizeof(err)) != 0) {
        abort();
    }
    st = tls_session_step(s);
    while (st == TLS_STEP_WANT_INPUT && off < size) {
        size_t k = size - off < chunk ? size - off : chunk;

        if (tls_session_feed(s, data + off, k) != 0) {
            break;
        }
        off += k;
        st = tls_session_step(s);
        (void)tls_session_out(s, &n);
        tls_session_out_ack(s, n);
    }
    if (st == TLS_STEP_WANT_INPUT) {
        tls_session_peer_closed(s, false);
        st = tls_session_step(s);
        if (st == TLS_STEP_WANT_INPUT) {
            abort(); /* a closed transport must end the handshake */
        }
    }
    /* hello mode stops at the ServerHello: never a chain, never a stage past it when DONE */
    if (mode == TLS_HANDSHAKE_HELLO &&
        (tls_session_info(s)->chain_len != 0 ||
         (st == TLS_STEP_DONE && tls_session_info(s)->stage != TLS_STAGE_SERVER_HELLO))) {
        abort();
    }
    /* a handshake message split across records (mbedTLS cannot take it) always ends it */
    if (tls_session_info(s)->split_len > 0 &&
        (st != TLS_STEP_FAILED || tls_session_info(s)->error == 0)) {
        abort();
    }
    judge(tls_session_info(s));
    tls_session_free(s);
    return 0;
}
