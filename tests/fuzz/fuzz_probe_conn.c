/* fuzz_probe_conn: the first input byte picks the chunk size, the client (optional, mandatory,
 * strict; strict with bit 4 set runs over the TLS 1.3 client) and how the server hangs up; the
 * rest is what the "server" sends. Every reply the probe produces is acked, as the socket
 * would. Afterwards the result is diagnosed and written as text and JSON, so hostile
 * certificate fields go through the writers too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/drivers/probe_client.h"
#include "probe/engine/probe_conn.h"
#include "probe/diagnose/probe_diagnose.h"
#include "probe/diagnose/probe_judge.h"
#include "probe/output/probe_report.h"
#include "tls/tls_config.h"
#include "tls/tls_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_config *cfg;
static FILE *sink;

static void setup(void)
{
    char err[160];
    struct tls_config_opts o = { .min_version = TLS_V10, .max_version = TLS_V12,
                                 .mode = TLS_HANDSHAKE_FULL };

    if (tls_config_new(&cfg, &o, err, sizeof(err)) != 0) {
        abort();
    }
    sink = fopen("/dev/null", "w");
}

static void drain(struct probe_conn *c)
{
    size_t n;

    (void)probe_conn_out(c, &n);
    probe_conn_out_ack(c, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct probe_target t;
    static struct probe_facts facts;
    static struct probe_result res;
    struct probe_conn *c;

    if (!cfg) {
        setup();
    }
    if (size < 1) {
        return 0;
    }
    memset(&t, 0, sizeof(t));
    memset(&facts, 0, sizeof(facts));
    memset(&res, 0, sizeof(res));
    snprintf(t.host, sizeof(t.host), "db1.contoso.com");
    probe_client_default(&t.client);
    t.client.encrypt = (data[0] & 0x40) ? PROBE_ENCRYPT_OPTIONAL : PROBE_ENCRYPT_MANDATORY;
    if ((data[0] & 0x60) == 0x60) {
        t.client.encrypt = PROBE_ENCRYPT_STRICT; /* TDS 8.0: raw TLS, PRELOGIN inside */
    }
    struct probe_conn_opts o = { .client = &t.client, .tls = cfg, .host = t.host,
                                 .instance = "", .max_packet = 4096,
                                 .strict_tls13 = (data[0] & 0x70) == 0x70 };
    if (probe_conn_new(&c, &o, &facts) != 0) {
        return 0;
    }
    probe_conn_start(c);
    drain(c);
    size_t chunk = (size_t)(data[0] & 0x3f) + 1;
    for (size_t off = 1; off < size && probe_conn_phase(c) != PROBE_CONN_DONE; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        probe_conn_feed(c, data + off, n);
        drain(c);
    }
    if (probe_conn_phase(c) != PROBE_CONN_DONE) {
        probe_conn_closed(c, data[0] & 0x80);
    }
    res.target = &t;
    res.facts = facts;
    struct probe_judge_input in = { .client = &t.client, .host = t.host, .tls = facts.tls,
                                    .validates = facts.validates, .now = time(NULL) };
    probe_judge(&in, &res.verdict);
    probe_diagnose(&res);
    probe_report_json(sink, &res);
    probe_report_text(sink, &res, true);
    probe_conn_free(c);
    return 0;
}
