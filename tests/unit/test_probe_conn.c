/* tests/unit/test_probe_conn.c: one connection (probe/engine/probe_conn.h) in each of its modes,
 * driven by byte scripts (tests/data/conn/NAME.script) with no socket: the script plays the
 * server and states the facts the connection must have recorded. Every script runs twice: the
 * server's bytes fed whole, then one byte at a time (TCP may cut them anywhere).
 *
 * Script lines ('#' starts a comment; words are separated by spaces):
 *   open ENCRYPT [tls13] [strict13] [full] [hello] [host=NAME] [ca=KITFILE]
 *                 the client: Encrypt optional, mandatory, strict or disable; tls13 is the
 *                 TLS 1.3 detection; strict13 is strict over the TLS 1.3 client; TDS 7.x
 *                 handshakes stop after the server's first flight (certificate mode) unless
 *                 `full`; strict runs a full handshake unless `hello` (the audit's steps: stop
 *                 at the ServerHello)
 *   C prelogin ENC | C tls | C tls-hello-record-1.0 | C tls-in-tds | C none
 *                 what the client sent since it opened or since the server last sent: a
 *                 PRELOGIN request whose ENCRYPTION is ENC (off, on, not_supported), raw TLS
 *                 records (the first with record version 0x0301), TLS records inside TDS 0x12
 *                 packets, or nothing
 *   S HEX...      the server sends these bytes
 *   S file NAME   the server sends tests/data/NAME (hex text, '#' comment lines)
 *   S server CASE the client's TLS bytes go to an in-memory mbedTLS server with the kit's
 *                 CASE.pem and CASE.key (tests/unit/test_tls_server.h); its first flight comes
 *                 back, in TDS 0x12 packets in TDS 7.x
 *   close | reset the server ends the connection with a FIN / a reset
 *   judge HOST    the captured chain judged as the client would for HOST (probe_judge)
 *   expect FACT VALUE...   see fact_value() for the facts; `finding CODE` and `no_finding CODE`
 *                 after judge */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "probe/diagnose/probe_judge.h"
#include "probe/drivers/probe_client.h"
#include "probe/engine/probe_conn.h"
#include "tds/tds_packet.h"
#include "test_tls_server.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

#define CONN_DATA TDSPROBE_TEST_DATA "/conn/"

struct run {
    const char *name;
    int line;
    size_t chunk;              /* 0: each S line at once */
    struct probe_client client;
    char host[256];
    bool tds7;                 /* TLS travels inside TDS packets */
    struct tls_config *cfg;
    struct probe_conn *c;
    struct probe_facts f;
    uint8_t *sent;             /* what the client sent since the server last sent */
    size_t sent_len;
    struct tls_verdict verdict;
    bool judged;
};

static void fail_at(const struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_at(const struct run *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fail_msg("%s.script:%d (%s): %s", r->name, r->line,
             r->chunk ? "byte by byte" : "whole", msg);
}

/* Collects what the connection wants to send, as the engine's socket would. */
static void drain(struct run *r)
{
    size_t n;
    const uint8_t *p = probe_conn_out(r->c, &n);

    if (n == 0) {
        return;
    }
    r->sent = realloc(r->sent, r->sent_len + n);
    assert_non_null(r->sent);
    memcpy(r->sent + r->sent_len, p, n);
    r->sent_len += n;
    probe_conn_out_ack(r->c, n);
}

static void server_sends(struct run *r, const uint8_t *p, size_t n)
{
    size_t step = r->chunk ? r->chunk : n;

    r->sent_len = 0;
    for (size_t off = 0; off < n && probe_conn_phase(r->c) != PROBE_CONN_DONE; off += step) {
        probe_conn_feed(r->c, p + off, n - off < step ? n - off : step);
        drain(r);
    }
}

/* ---- open ---- */

static void set_encrypt(struct run *r, const char *word)
{
    if (strcmp(word, "optional") == 0) {
        r->client.encrypt = PROBE_ENCRYPT_OPTIONAL;
    } else if (strcmp(word, "mandatory") == 0) {
        r->client.encrypt = PROBE_ENCRYPT_MANDATORY;
    } else if (strcmp(word, "strict") == 0) {
        r->client.encrypt = PROBE_ENCRYPT_STRICT;
    } else if (strcmp(word, "disable") == 0) {
        r->client.encrypt = PROBE_ENCRYPT_OPTIONAL;
        r->client.encrypt_disable = true;
    } else {
        fail_at(r, "unknown Encrypt '%s'", word);
    }
}

static void cmd_open(struct run *r, char **w, int n)
{
    bool tls13 = false, full = false, strict13 = false, hello = false;
    const char *ca = NULL;
    char ca_path[512];

    probe_client_default(&r->client);
    snprintf(r->host, sizeof(r->host), "db1.tdsprobe.test");
    set_encrypt(r, n > 1 ? w[1] : "");
    for (int i = 2; i < n; i++) {
        if (strcmp(w[i], "tls13") == 0) {
            tls13 = true;
        } else if (strcmp(w[i], "strict13") == 0) {
            strict13 = true;
        } else if (strcmp(w[i], "full") == 0) {
            full = true;
        } else if (strcmp(w[i], "hello") == 0) {
            hello = true;
        } else if (strncmp(w[i], "host=", 5) == 0) {
            snprintf(r->host, sizeof(r->host), "%s", w[i] + 5);
        } else if (strncmp(w[i], "ca=", 3) == 0) {
            snprintf(ca_path, sizeof(ca_path), "%s/%s", TDSPROBE_CERTS, w[i] + 3);
            ca = ca_path;
        } else {
            fail_at(r, "unknown open option '%s'", w[i]);
        }
    }
    bool strict = r->client.encrypt == PROBE_ENCRYPT_STRICT;
    r->tds7 = !strict && !tls13;
    if (!tls13) {
        r->cfg = client_config(ca, TLS_V10, TLS_V12,
                               hello             ? TLS_HANDSHAKE_HELLO
                               : strict || full ? TLS_HANDSHAKE_FULL
                                                : TLS_HANDSHAKE_CERTIFICATE,
                               strict ? PROBE_TDS8_ALPN : NULL);
    }
    struct probe_conn_opts o = { .client = &r->client, .tls = r->cfg, .host = r->host,
                                 .instance = "", .max_packet = 4096, .tls13_probe = tls13,
                                 .strict_tls13 = strict13 };
    assert_int_equal(0, probe_conn_new(&r->c, &o, &r->f));
    probe_conn_start(r->c);
    drain(r);
}

/* ---- C: what the client sent ---- */

/* True when p[0..n) is whole TLS records (RFC 5246 6.2.1: type 20..23, version 3.x). */
static bool tls_records(const uint8_t *p, size_t n)
{
    size_t off = 0;

    while (off < n) {
        if (n - off < 5 || p[off] < 20 || p[off] > 23 || p[off + 1] != 3) {
            return false;
        }
        size_t len = ((size_t)p[off + 3] << 8) | p[off + 4];
        if (n - off - 5 < len) {
            return false;
        }
        off += 5 + len;
    }
    return n > 0;
}

/* The payloads of whole TDS packets of `type`, EOM on the last one only; NULL when the bytes
 * are anything else. */
static uint8_t *tds_payloads(const uint8_t *p, size_t n, uint8_t type, size_t *len)
{
    uint8_t *out = malloc(n + 1);
    size_t off = 0;

    assert_non_null(out);
    *len = 0;
    while (off < n) {
        struct tds_header h;
        struct tds_error e = { 0 };
        if (tds_header_decode(p + off, n - off, &h, &e) != TDS_ERR_OK || h.type != type ||
            h.length > n - off || ((h.status & TDS_STATUS_EOM) != 0) != (off + h.length == n)) {
            free(out);
            return NULL;
        }
        memcpy(out + *len, p + off + TDS_HEADER_LEN, h.length - TDS_HEADER_LEN);
        *len += h.length - TDS_HEADER_LEN;
        off += h.length;
    }
    return out;
}

static void check_prelogin(struct run *r, const char *enc)
{
    size_t len;
    uint8_t *payload = tds_payloads(r->sent, r->sent_len, TDS_PKT_PRELOGIN, &len);
    struct tds_prelogin pl;
    struct tds_error e = { 0 };

    if (!payload || tds_prelogin_parse(payload, len, &pl, &e) != TDS_ERR_OK) {
        fail_at(r, "the client did not send one PRELOGIN request (%zu bytes)", r->sent_len);
    }
    if (r->sent[6] != 1) {
        fail_at(r, "the PRELOGIN packet id is %u, not 1", r->sent[6]);
    }
    if (pl.version.major != 16 || !pl.has_encryption || strcmp(tds_enc_name(pl.encryption), enc)) {
        fail_at(r, "PRELOGIN VERSION %u, ENCRYPTION %s; want 16, %s", pl.version.major,
                tds_enc_name(pl.encryption), enc);
    }
    free(payload);
}

static void cmd_client(struct run *r, char **w, int n)
{
    const char *what = n > 1 ? w[1] : "";
    size_t len;

    if (strcmp(what, "none") == 0) {
        if (r->sent_len != 0) {
            fail_at(r, "the client sent %zu bytes", r->sent_len);
        }
    } else if (strcmp(what, "prelogin") == 0 && n > 2) {
        check_prelogin(r, w[2]);
    } else if (strcmp(what, "tls") == 0) {
        if (!tls_records(r->sent, r->sent_len)) {
            fail_at(r, "the client did not send TLS records (%zu bytes)", r->sent_len);
        }
    } else if (strcmp(what, "tls-hello-record-1.0") == 0) {
        if (!tls_records(r->sent, r->sent_len) || r->sent[2] != 0x01) {
            fail_at(r, "the ClientHello's record header is not 16 03 01");
        }
    } else if (strcmp(what, "tls-in-tds") == 0) {
        uint8_t *tls = tds_payloads(r->sent, r->sent_len, TDS_PKT_PRELOGIN, &len);
        if (!tls || !tls_records(tls, len)) {
            fail_at(r, "the client did not send TLS records in 0x12 packets");
        }
        free(tls);
    } else {
        fail_at(r, "unknown C line");
    }
}

/* ---- S: what the server sends ---- */

static void send_hex_words(struct run *r, char **w, int n)
{
    uint8_t buf[512];
    size_t k = 0;

    for (int i = 1; i < n; i++) {
        char *end;
        long v = strtol(w[i], &end, 16);
        if (*end != '\0' || v < 0 || v > 255 || k == sizeof(buf)) {
            fail_at(r, "bad hex byte '%s'", w[i]);
        }
        buf[k++] = (uint8_t)v;
    }
    server_sends(r, buf, k);
}

static void send_file(struct run *r, const char *name)
{
    char path[512];
    size_t n = 0;

    snprintf(path, sizeof(path), "%s/%s", TDSPROBE_TEST_DATA, name);
    uint8_t *p = read_hex(path, &n);
    if (!p) {
        fail_at(r, "cannot read %s", path);
    }
    server_sends(r, p, n);
    free(p);
}

/* The client's TLS bytes to a fresh in-memory server; its first flight back. */
static void send_server_flight(struct run *r, const char *kase)
{
    char cert[256], key[256], sni[256];
    uint8_t reply[16384], wrapped[16384 + 64];
    size_t len = r->sent_len;
    uint8_t *tls = r->tds7 ? tds_payloads(r->sent, r->sent_len, TDS_PKT_PRELOGIN, &len) : NULL;
    struct srv_opts so = { .cert = cert, .key = key };

    snprintf(cert, sizeof(cert), "%s/%s.pem", TDSPROBE_CERTS, kase);
    snprintf(key, sizeof(key), "%s/%s.key", TDSPROBE_CERTS, kase);
    if (r->client.encrypt == PROBE_ENCRYPT_STRICT) {
        so.alpn = "tds/8.0";
    }
    if (r->tds7 && !tls) {
        fail_at(r, "no TLS in TDS packets to hand to the server");
    }
    size_t n = srv_reply(&so, tls ? tls : r->sent, len, reply, sizeof(reply), sni);
    free(tls);
    if (n == 0) {
        fail_at(r, "the in-memory server sent nothing");
    }
    if (r->tds7) {
        uint8_t id = 1;
        n = tds_packetize(TDS_PKT_PRELOGIN, reply, n, 4096, &id, wrapped, sizeof(wrapped));
        server_sends(r, wrapped, n);
    } else {
        server_sends(r, reply, n);
    }
}

static void cmd_server(struct run *r, char **w, int n)
{
    if (n > 2 && strcmp(w[1], "file") == 0) {
        send_file(r, w[2]);
    } else if (n > 2 && strcmp(w[1], "server") == 0) {
        send_server_flight(r, w[2]);
    } else {
        send_hex_words(r, w, n);
    }
}

static void cmd_close(struct run *r, bool reset)
{
    if (probe_conn_phase(r->c) != PROBE_CONN_DONE) {
        probe_conn_closed(r->c, reset);
        drain(r);
    }
}

static void cmd_judge(struct run *r, const char *host)
{
    struct probe_judge_input in = { .client = &r->client, .host = host, .tls = r->f.tls,
                                    .validates = r->f.validates, .now = time(NULL) };

    probe_judge(&in, &r->verdict);
    r->judged = true;
}

/* ---- expect ---- */

static const char *const stages[] = {
    [TLS_STAGE_START] = "start",
    [TLS_STAGE_CLIENT_HELLO_SENT] = "client_hello_sent",
    [TLS_STAGE_SERVER_HELLO] = "server_hello",
    [TLS_STAGE_CERTIFICATE] = "certificate",
    [TLS_STAGE_SERVER_KEY_EXCHANGE] = "server_key_exchange",
    [TLS_STAGE_SERVER_HELLO_DONE] = "server_hello_done",
    [TLS_STAGE_CLIENT_FINISHED_SENT] = "client_finished_sent",
    [TLS_STAGE_DONE] = "done",
};

static const char *yes_no(bool b)
{
    return b ? "1" : "0";
}

/* The connection's own view: phase, handshake, TLS 1.3 answer. */
static const char *conn_fact(const struct run *r, const char *fact)
{
    static const char *const phases[] = { "prelogin", "handshake", "done" };
    const struct tls13_probe_result *t13 = probe_conn_tls13(r->c);

    if (strcmp(fact, "phase") == 0) {
        return phases[probe_conn_phase(r->c)];
    }
    if (strcmp(fact, "handshake_ok") == 0) {
        return yes_no(probe_conn_handshake_ok(r->c));
    }
    if (strcmp(fact, "tls13") == 0) {
        return !t13 ? "none" : t13->accepted ? "accepted" : "rejected";
    }
    if (strcmp(fact, "tls13_cipher") == 0) {
        return t13 ? t13->cipher : "none";
    }
    if (strcmp(fact, "tls13_alert") == 0) {
        return t13 && t13->alert_received ? t13->alert_name : "none";
    }
    return NULL;
}

/* What the TLS session showed (facts.tls). */
static const char *tls_fact(const struct run *r, const char *fact, char *buf, size_t cap)
{
    const struct tls_info *ti = r->f.tls;

    if (strcmp(fact, "tls") == 0) {
        return ti ? stages[ti->stage] : "none";
    }
    if (!ti) {
        return strncmp(fact, "tls_", 4) == 0 ? "no TLS session" : NULL;
    }
    if (strcmp(fact, "tls_closed") == 0) {
        return ti->peer_reset ? "reset" : ti->peer_closed ? "closed" : "no";
    }
    if (strcmp(fact, "tls_alert") == 0) {
        return ti->alert_received ? tls_alert_name(ti->alert_description) : "none";
    }
    if (strcmp(fact, "tls_version") == 0) {
        return ti->version ? tls_version_name(ti->version) : "none";
    }
    if (strcmp(fact, "tls_chain") == 0) {
        snprintf(buf, cap, "%zu", ti->chain_len);
        return buf;
    }
    return NULL;
}

/* The facts written into probe_facts. */
static const char *facts_fact(const struct run *r, const char *fact)
{
    const struct probe_facts *f = &r->f;

    if (strcmp(fact, "got_prelogin") == 0) {
        return yes_no(f->got_prelogin);
    }
    if (strcmp(fact, "not_tds") == 0) {
        return yes_no(f->not_tds);
    }
    if (strcmp(fact, "server_reset") == 0) {
        return yes_no(f->server_reset);
    }
    if (strcmp(fact, "closed_after_prelogin") == 0) {
        return yes_no(f->server_closed_after_prelogin);
    }
    if (strcmp(fact, "strict_refused") == 0) {
        return yes_no(f->strict_refused);
    }
    if (strcmp(fact, "noise_stopped") == 0) {
        return yes_no(f->noise_stopped);
    }
    if (strcmp(fact, "prelogin_have") == 0) {
        static char have[48];
        snprintf(have, sizeof(have), "%zu of %zu", f->prelogin_have, f->prelogin_want);
        return have;
    }
    if (strcmp(fact, "validates") == 0) {
        return yes_no(f->validates);
    }
    if (strcmp(fact, "sent_encryption") == 0) {
        return tds_enc_name(f->sent_encryption);
    }
    if (strcmp(fact, "version") == 0) {
        return f->server_version[0] ? f->server_version : "none";
    }
    if (strcmp(fact, "product") == 0) {
        return f->server_product[0] ? f->server_product : "none";
    }
    if (strcmp(fact, "scope") == 0) {
        return tds_tls_scope_name(f->scope);
    }
    if (strcmp(fact, "tds_err") == 0) {
        return f->tds_err.code == TDS_ERR_OK ? "none" : tds_err_name(f->tds_err.code);
    }
    return NULL;
}

static const char *verdict_fact(const struct run *r, const char *fact, const char *want,
                                char *buf, size_t cap)
{
    if (strcmp(fact, "verdict") == 0) {
        return r->verdict.pass ? "pass" : "fail";
    }
    if (strcmp(fact, "findings") == 0) {
        snprintf(buf, cap, "%zu", r->verdict.n);
        return buf;
    }
    if (strcmp(fact, "finding") == 0 || strcmp(fact, "no_finding") == 0) {
        bool found = false;
        for (size_t i = 0; i < r->verdict.n; i++) {
            found = found || strcmp(tls_finding_name(r->verdict.f[i].code), want) == 0;
        }
        return found == (fact[0] == 'f') ? want : found ? "present" : "absent";
    }
    return NULL;
}

static const char *fact_value(const struct run *r, const char *fact, const char *want,
                              char *buf, size_t cap)
{
    const char *v = conn_fact(r, fact);

    if (!v) {
        v = tls_fact(r, fact, buf, cap);
    }
    if (!v) {
        v = facts_fact(r, fact);
    }
    if (!v && r->judged) {
        v = verdict_fact(r, fact, want, buf, cap);
    }
    if (!v) {
        fail_at(r, "unknown fact '%s'", fact);
    }
    return v;
}

/* `expect tds_err_has WORDS...`: the TDS error's sentence contains WORDS. */
static void cmd_expect(struct run *r, char **w, int n, const char *rest)
{
    char buf[64];

    if (n < 3) {
        fail_at(r, "expect FACT VALUE");
    }
    if (strcmp(w[1], "tds_err_has") == 0) {
        if (!strstr(r->f.tds_err.detail, rest)) {
            fail_at(r, "the TDS error is '%s', without '%s'", r->f.tds_err.detail, rest);
        }
        return;
    }
    const char *v = fact_value(r, w[1], w[2], buf, sizeof(buf));
    if (strcmp(v, rest) != 0) {
        fail_at(r, "%s is '%s', want '%s'", w[1], v, rest);
    }
}

/* ---- the script ---- */

static int split(char *line, char **w, int cap)
{
    int n = 0;

    for (char *p = line; *p && n < cap;) {
        while (*p == ' ' || *p == '\t') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
    }
    return n;
}

/* The text after the first two words of a line (the value of an expect line). */
static const char *after_two_words(const char *line)
{
    const char *p = line;

    for (int i = 0; i < 2; i++) {
        p += strspn(p, " \t");
        p += strcspn(p, " \t");
    }
    return p + strspn(p, " \t");
}

static void run_line(struct run *r, char *line)
{
    char copy[1024];
    char *w[160];

    snprintf(copy, sizeof(copy), "%s", line);
    int n = split(line, w, 160);
    if (n == 0) {
        return;
    }
    if (strcmp(w[0], "open") == 0) {
        cmd_open(r, w, n);
    } else if (!r->c) {
        fail_at(r, "the script must start with open");
    } else if (strcmp(w[0], "C") == 0) {
        cmd_client(r, w, n);
    } else if (strcmp(w[0], "S") == 0) {
        cmd_server(r, w, n);
    } else if (strcmp(w[0], "close") == 0 || strcmp(w[0], "reset") == 0) {
        cmd_close(r, w[0][0] == 'r');
    } else if (strcmp(w[0], "judge") == 0 && n == 2) {
        cmd_judge(r, w[1]);
    } else if (strcmp(w[0], "expect") == 0) {
        cmd_expect(r, w, n, after_two_words(copy));
    } else {
        fail_at(r, "unknown line '%s'", w[0]);
    }
}

static void run_script(const char *name, size_t chunk)
{
    char path[512];
    size_t len = 0;
    struct run r = { .name = name, .chunk = chunk };

    snprintf(path, sizeof(path), "%s%s.script", CONN_DATA, name);
    char *text = (char *)read_file(path, &len);
    if (!text) {
        fail_msg("cannot read %s", path);
    }
    int expects = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        r.line++;
        char *hash = strchr(line, '#');
        if (hash) {
            *hash = '\0';
        }
        expects += strncmp(line, "expect", 6) == 0;
        run_line(&r, line);
    }
    if (expects == 0) {
        fail_msg("%s.script asserts nothing", name);
    }
    probe_conn_free(r.c);
    tls_config_free(r.cfg);
    free(r.sent);
    free(text);
}

static void test_script(void **state)
{
    const char *name = *state;

    run_script(name, 0);
    run_script(name, 1);
}

#define SCRIPT(name) { name, test_script, NULL, NULL, name }

int main(void)
{
    const struct CMUnitTest tests[] = {
        SCRIPT("tds7_login_only_sql2008"),
        SCRIPT("tds7_mandatory_sql2014"),
        SCRIPT("tds7_disable_no_tls"),
        SCRIPT("tds7_not_tds_http"),
        SCRIPT("tds7_not_tds_tls_first"),
        SCRIPT("tds7_bad_prelogin"),
        SCRIPT("tds7_close_after_prelogin"),
        SCRIPT("tds7_reset_after_prelogin"),
        SCRIPT("tds7_partial_tls_flight"),
        SCRIPT("tds7_tls_flight_judged"),
        SCRIPT("tds7_tls_flight_untrusted"),
        SCRIPT("tds7_tls_alert"),
        SCRIPT("tds7_noise_empty_packets"),
        SCRIPT("tds7_partial_prelogin"),
        SCRIPT("strict_prelogin_reply"),
        SCRIPT("strict_close"),
        SCRIPT("strict_reset"),
        SCRIPT("strict_tls_then_close"),
        SCRIPT("strict_not_tds_banner"),
        SCRIPT("strict_tls_alert"),
        SCRIPT("strict_hello_stops"),
        SCRIPT("strict13_prelogin_reply"),
        SCRIPT("strict13_close"),
        SCRIPT("strict13_tls12_server"),
        SCRIPT("tls13_accepted"),
        SCRIPT("tls13_alert"),
        SCRIPT("tls13_tls12_server"),
        SCRIPT("tls13_tds_reply"),
        SCRIPT("tls13_reset"),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
