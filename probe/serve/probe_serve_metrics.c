/* probe/serve/probe_serve_metrics.c: the bodies `tdsprobe serve` answers with
 * (probe_serve_int.h): /metrics, a probe's exposition, and its debug=true text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "probe/output/probe_emit.h"
#include "probe/output/probe_monitor.h"
#include "probe/output/probe_report.h"
#include "probe/output/probe_summary.h"
#include "probe/serve/probe_serve_int.h"
#include "tls/tls_version.h"

/* The Prometheus convention for a build's identity (as prometheus/common's version collector
 * writes <name>_build_info): one sample, value 1, the versions as labels. Here the exporter's
 * own and the two libraries it runs with, which a Debian upgrade may change under it. */
static void write_build_info(FILE *f)
{
    fputs("# HELP tdsprobe_build_info The versions of tdsprobe and of the mbedTLS and libuv "
          "libraries it runs with; always 1.\n# TYPE tdsprobe_build_info gauge\n"
          "tdsprobe_build_info{version=\"", f);
    probe_quoted_body(f, probe_version(), PROBE_QUOTE_PROMETHEUS);
    fputs("\",mbedtls=\"", f);
    probe_quoted_body(f, tls_library_version(), PROBE_QUOTE_PROMETHEUS);
    fputs("\",libuv=\"", f);
    probe_quoted_body(f, uv_version_string(), PROBE_QUOTE_PROMETHEUS);
    fputs("\"} 1\n", f);
}

static void write_reload(FILE *f, const struct server *srv)
{
    fprintf(f, "# HELP tdsprobe_exporter_config_last_reload_successful 1 when the last reading "
               "of --config (at start, on SIGHUP or POST /-/reload) succeeded.\n"
               "# TYPE tdsprobe_exporter_config_last_reload_successful gauge\n"
               "tdsprobe_exporter_config_last_reload_successful %d\n"
               "# HELP tdsprobe_exporter_config_last_reload_success_timestamp_seconds When "
               "--config was last read successfully, as Unix time in seconds.\n"
               "# TYPE tdsprobe_exporter_config_last_reload_success_timestamp_seconds gauge\n"
               "tdsprobe_exporter_config_last_reload_success_timestamp_seconds %.3f\n",
            srv->reload_ok ? 1 : 0, srv->reload_time);
}

void serve_write_self_metrics(FILE *f, const struct server *srv)
{
    write_build_info(f);
    fputs("# HELP tdsprobe_exporter_requests_total HTTP requests answered, by status code.\n"
          "# TYPE tdsprobe_exporter_requests_total counter\n", f);
    for (size_t i = 0; i < SERVE_N_STATUS; i++) {
        fprintf(f, "tdsprobe_exporter_requests_total{code=\"%d\"} %llu\n", serve_status_codes[i],
                (unsigned long long)srv->responses[i]);
    }
    fprintf(f, "# HELP tdsprobe_exporter_probes_in_flight Probes queued or running, including "
               "those whose scrape has gone.\n# TYPE tdsprobe_exporter_probes_in_flight gauge\n"
               "tdsprobe_exporter_probes_in_flight %zu\n", probe_engine_pending(srv->engine));
    fprintf(f, "# HELP tdsprobe_exporter_probes_abandoned_total Probes cancelled because their "
               "scrape had gone or timed out.\n# TYPE tdsprobe_exporter_probes_abandoned_total "
               "counter\ntdsprobe_exporter_probes_abandoned_total %llu\n",
            (unsigned long long)srv->abandoned);
    fprintf(f, "# HELP tdsprobe_exporter_connections_open Open HTTP connections.\n"
               "# TYPE tdsprobe_exporter_connections_open gauge\n"
               "tdsprobe_exporter_connections_open %zu\n", srv->n_conns);
    fprintf(f, "# HELP tdsprobe_exporter_connections_dropped_total Connections closed without "
               "an answer to make room: evicted (idle, for a newer one) or refused (no room).\n"
               "# TYPE tdsprobe_exporter_connections_dropped_total counter\n"
               "tdsprobe_exporter_connections_dropped_total{reason=\"evicted\"} %llu\n"
               "tdsprobe_exporter_connections_dropped_total{reason=\"refused\"} %llu\n",
            (unsigned long long)srv->evicted, (unsigned long long)srv->refused);
    fprintf(f, "# HELP tdsprobe_exporter_uptime_seconds Seconds since the exporter started.\n"
               "# TYPE tdsprobe_exporter_uptime_seconds gauge\n"
               "tdsprobe_exporter_uptime_seconds %.3f\n",
            (double)(uv_hrtime() - srv->t_start) / 1e9);
    write_reload(f, srv);
}

int serve_write_probe(FILE *f, const struct probe_result *r, const struct serve_request *rq,
                      double took_s)
{
    struct probe_summary *s = malloc(sizeof(*s));

    if (!s) {
        return -1;
    }
    probe_summary_from_result(s, r);
    probe_report_prometheus(f, s, 1);
    probe_report_prometheus_policy(f, s, &rq->run.policy);
    free(s);
    fprintf(f, "# HELP tdsprobe_probe_duration_seconds How long the probe took, from the "
               "scrape's request to its result.\n# TYPE tdsprobe_probe_duration_seconds gauge\n"
               "tdsprobe_probe_duration_seconds %.6f\n", took_s);
    return 0;
}

static const char *yes_no(bool b)
{
    return b ? "true" : "false";
}

/* The module's settings as this probe used them, as 'key = value' lines of a modules file. */
static void write_module(FILE *f, const struct probe_result *r, const struct serve_request *rq)
{
    const struct probe_client *c = &r->target->client;
    const struct probe_nagios_policy *p = &rq->run.policy;

    fprintf(f, "[module %s]\n", rq->named ? rq->module : "default");
    fprintf(f, "timeout = %g", c->timeout_s);
    if (c->timeout_s < rq->run.timeout_s) {
        fprintf(f, "   # the module's %g s, shortened: %s %g s less %g s", rq->run.timeout_s,
                SERVE_SCRAPE_HEADER, rq->scrape_s, PROBE_SCRAPE_OFFSET_S);
    }
    fprintf(f, "\nprotocols = %s\nciphers = %s\n", yes_no(c->audit_protocols),
            yes_no(c->audit_ciphers));
    if (c->audit_protocols || c->audit_ciphers) {
        fprintf(f, "audit_timeout = %g\n", c->audit_timeout_s);
    }
    fprintf(f, "require_tls12_only = %s\n", yes_no(p->require_tls12_only));
    for (size_t i = 0; i < p->n_ignore; i++) {
        fprintf(f, "ignore = %s\n", p->ignore[i]);
    }
    fprintf(f, "warn_days = %d\ncrit_days = %d\n",
            p->warn_days < 0 ? PROBE_NAGIOS_WARN_DAYS : p->warn_days,
            p->crit_days < 0 ? PROBE_NAGIOS_CRIT_DAYS : p->crit_days);
}

int serve_write_debug(FILE *f, const struct probe_result *r, const struct serve_request *rq,
                      double took_s)
{
    fputs("Report for the probe (as tdsprobe prints it):\n", f);
    probe_report_text(f, r, false);
    fputs("\n\n\nMetrics that would have been returned:\n", f);
    if (serve_write_probe(f, r, rq, took_s) != 0) {
        return -1;
    }
    fputs("\n\n\nModule configuration:\n", f);
    write_module(f, r, rq);
    return 0;
}
