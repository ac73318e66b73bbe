/* tests/fuzz/fuzz_tls13_client.c: arbitrary server bytes into the TLS 1.3 client.
 *
 * Input: byte 0 controls the run, the rest is what "the server" sends after the ClientHello.
 *  - bits 0-1 = 0: raw. A client that "sent" RFC 8448 section 3's ClientHello with its x25519
 *    key (tls13__client_new_traced) gets the bytes as they are: the RFC's ServerHello and
 *    encrypted flight decrypt, so mutations of them reach the key schedule and record layer.
 *  - bits 0-1 = 1: sealed. The same client gets the RFC's ServerHello, then the input as
 *    handshake plaintext sealed under the RFC's server handshake key (records of a size picked by
 *    bits 2-4), so mutations reach the EncryptedExtensions, Certificate, CertificateVerify and
 *    Finished parsers past the AEAD.
 *  - otherwise: fresh. A client with its own random keys gets the bytes raw (ServerHello and
 *    HelloRetryRequest parsing, a second ClientHello).
 * Bytes are fed in chunks (bits 5-7) with a step after each, as the probe does; then the
 * transport closes. Oracles beyond the sanitizers: DONE only with the CertificateVerify and the
 * Finished verified and a chain; FAILED always with a sentence; the output never grows past a
 * ClientHello pair plus the client's closing flight. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls13_client.h"
#include "tls/tls13_int.h"
#include "tls/tls13_probe.h"
#include "tls/tls_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8448 section 3: the ClientHello message, the client's x25519 private key, the ServerHello
 * record and the server handshake traffic secret (tests/data/rfc8448/). */
static const char ch_hex[] =
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302"
    "010000910000000b0009000006736572766572ff01000100000a00140012001d001700180019010001010102010301"
    "0400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"
    "002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d0002"
    "0101001c00024001";
static const char priv_hex[] = "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005";
static const char sh_hex[] =
    "160303005a020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100"
    "002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b000203"
    "04";
static const char s_hs_hex[] = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex != '\0'; hex++) {
        int v = *hex >= '0' && *hex <= '9' ? *hex - '0'
                : *hex >= 'a' && *hex <= 'f' ? *hex - 'a' + 10 : -1;

        if (v < 0) {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else if (n < cap) {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static void check(const struct tls13_client *c, enum tls_step st)
{
    const struct tls_info *info = tls13_client_info(c);
    const struct tls13_facts *f = tls13_client_facts(c);
    size_t out_len;

    (void)tls13_client_out(c, &out_len);
    if (st == TLS_STEP_DONE && (!f->finished_ok || !f->cert_verify_ok || info->chain_len == 0)) {
        abort();
    }
    if (st == TLS_STEP_FAILED && info->error_text[0] == '\0') {
        abort();
    }
    if (out_len > 2 * TLS13_CLIENT_HELLO_MAX + 4096 + 512 || info->chain_len > 10) {
        abort();
    }
}

static enum tls_step feed(struct tls13_client *c, const uint8_t *p, size_t n, size_t chunk)
{
    enum tls_step st = tls13_client_step(c);

    for (size_t at = 0; at < n && st == TLS_STEP_WANT_INPUT; at += chunk) {
        size_t k = n - at < chunk ? n - at : chunk;

        if (tls13_client_feed(c, p + at, k) != 0) {
            break;
        }
        st = tls13_client_step(c);
        check(c, st);
    }
    return st;
}

/* Seals p/n as handshake records of `rec` bytes under the RFC's server handshake key. */
static size_t seal(const uint8_t *p, size_t n, size_t rec, uint8_t *out, size_t cap)
{
    struct tls13__aead a;
    uint8_t secret[32];
    struct tds_wr w = tds_wr_make(out, cap);

    unhex(s_hs_hex, secret, sizeof(secret));
    if (tls13__aead_init(&a, tls13__suite(0x1301), secret) != 0) {
        abort();
    }
    for (size_t at = 0; at < n; at += rec) {
        size_t k = n - at < rec ? n - at : rec;

        if (tls13__aead_seal(&a, 22, p + at, k, &w) != 0) {
            break;
        }
    }
    return w.len;
}

static struct tls13_client *traced(void)
{
    uint8_t ch[256], priv[32];
    size_t ch_len = unhex(ch_hex, ch, sizeof(ch));
    struct tls13_client *c;

    unhex(priv_hex, priv, sizeof(priv));
    if (tls13__client_new_traced(&c, ch, ch_len, priv) != 0) {
        abort();
    }
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunks[] = { 1, 3, 64, 517, 4096, 16389, 65536, 65536 };
    static const size_t records[] = { 1, 7, 100, 512, 4000, 16000, 16384, 300 };
    static uint8_t sealed[70000 * 2];
    struct tls13_client *c;
    struct tls13_client_opts o = { .sni = "server", .alpn = "tds/8.0" };
    size_t chunk;
    enum tls_step st;
    char err[100];

    if (size < 1 || size > 65536) {
        return 0;
    }
    chunk = chunks[data[0] >> 5];
    if ((data[0] & 3) == 0 || (data[0] & 3) == 1) {
        c = traced();
    } else if (tls13_client_new(&c, &o, err, sizeof(err)) != 0) {
        abort();
    }
    if ((data[0] & 3) == 1) {
        uint8_t sh[128];
        size_t sh_len = unhex(sh_hex, sh, sizeof(sh));
        size_t n = seal(data + 1, size - 1, records[(data[0] >> 2) & 7], sealed, sizeof(sealed));

        st = feed(c, sh, sh_len, sh_len);
        if (st == TLS_STEP_WANT_INPUT) {
            st = feed(c, sealed, n, chunk);
        }
    } else {
        st = feed(c, data + 1, size - 1, chunk);
    }
    if (st == TLS_STEP_WANT_INPUT) {
        tls13_client_peer_closed(c, (data[0] & 4) != 0);
        st = tls13_client_step(c);
        if (st == TLS_STEP_WANT_INPUT) {
            abort(); /* a closed transport always ends the handshake */
        }
    }
    check(c, st);
    tls13_client_free(c);
    return 0;
}
