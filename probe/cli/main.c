/* probe/cli/main.c: the tdsprobe command line, one front end of the engine. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_connstr.h"
#include "probe/diagnose/probe_finding_codes.h"
#include "probe/engine/probe_engine.h"
#include "probe/engine/probe_fds.h"
#include "probe/output/probe_monitor.h"
#include "probe/drivers/probe_overrides.h"
#include "probe/output/probe_report.h"
#include "probe/serve/probe_serve.h"
#include "probe/output/probe_summary.h"
#include "probe/drivers/probe_target.h"
#include "probe/drivers/probe_targetlist.h"
#include "tls/tls_pin.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"
#include "tls/tls_session.h"

#define PROG "tdsprobe"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_NAGIOS, FORMAT_PROMETHEUS };

struct cli {
    struct probe_overrides ov; /* client options given here: they win over a connection string */
    enum format format;
    double timeout_s;
    long concurrency;
    long browser_port;
    bool protocols, ciphers;
    bool dry_run;
    long audit_max, audit_pause_ms;
    long warn_days, crit_days;
    struct probe_nagios_policy nagios; /* --require-tls12-only, --ignore (days set at the end) */
    bool color;
    bool progress;           /* a progress line on stderr (a terminal) */
    uv_timer_t progress_timer;
    struct probe_targetlist targets;
    size_t n_ok, n_fail, n_error, n_done;
    struct probe_summary *sums; /* for the end-of-run table, Nagios and Prometheus */
    size_t n_sums;
    long threads;            /* event loops, one engine each (0 = automatic) */
    pthread_mutex_t lock;    /* results arrive from every loop's thread */
    bool unflushed;          /* stdout holds results not yet written (flush_before_poll) */
    bool discard;            /* a usage error came after some probes had started */
    char **checked;          /* CA files already loaded once (check_ca_file) */
    size_t n_checked;
    char pin_checked[1024];  /* the last pin file read as its target's driver reads it */
    struct probe_jsonbuf json; /* --json: each record is built here, then written at once */
};

#define MAX_THREADS 16

/* tdsprobe --help: the text around the client options, whose lines probe_options_help writes
 * from the one table of client options (probe/drivers/probe_options.c). */
static const char usage_head[] =
    "Usage: tdsprobe [OPTIONS] TARGET...\n"
    "\n"
    "Tells you whether a client's TLS connection to Microsoft SQL Server will work, and if not,\n"
    "why and what fixes it. It sends TDS PRELOGIN, runs the TLS handshake inside TDS exactly as\n"
    "a driver does, captures the server's whole certificate chain, judges it the way the client\n"
    "would, and names any failure in the client's own words. It never logs in.\n"
    "\n"
    "TARGET   host | host:port | host,port | tcp:host,port | host\\instance | [v6addr]:port\n"
    "         (port 1433 when none is given; host\\instance asks SQL Server Browser), or the\n"
    "         whole connection string you hold, in any driver's syntax - ADO.NET, ODBC, JDBC\n"
    "         URL, go-mssqldb URL, or 'sqlcmd -S host -N -C' - parsed as that driver parses\n"
    "         it (passwords are never printed)\n"
    "\n"
    "Client settings (named after the connection-string keywords):\n";

static const char usage_audit[] =
    "\n"
    "TLS policy audit (network teams enforcing TLS 1.2):\n"
    "  --protocols                    one handshake per TLS version 1.0, 1.1, 1.2: accepted or\n"
    "                                 rejected (and how); says whether TLS 1.2 is enforced\n"
    "  --ciphers                      also the suites each accepted version takes, in the\n"
    "                                 server's order, with weak ones flagged (implies\n"
    "                                 --protocols)\n"
    "  --audit-max-connections N      at most N audit connections per target (default 100)\n"
    "  --audit-pause MS               wait MS milliseconds between them (fragile servers)\n"
    "  --list-suites                  the cipher suites --ciphers offers, and their flags\n"
    "  --dry-run                      parse the targets and show what each client would send,\n"
    "                                 without connecting (checks a fleet file or a string)\n"
    "\n"
    "Probe settings:\n";

static const char usage_tail[] =
    "  --timeout SECONDS              deadline per target (default 10; with --protocols or\n"
    "                                 --ciphers, also per audit connection)\n"
    "  --browser-port PORT            SQL Server Browser UDP port for host\\instance (1434)\n"
    "  --concurrency N                targets probed at once (default 256)\n"
    "  --threads N                    event loops on their own threads (default: one per core\n"
    "                                 from 256 targets on, else 1)\n"
    "  -f, --targets FILE             read targets from FILE, one per line ('-' = stdin);\n"
    "                                 blank lines and # comments are skipped, duplicates probed\n"
    "                                 once; a line may be a host or a connection string\n"
    "  --json                         JSON Lines, one object per target (same as --format json)\n"
    "  --format text|json|nagios|prometheus\n"
    "                                 output format (default text; text ends with a summary\n"
    "                                 table when there are several targets)\n"
    "  --warn-days N, --crit-days N   Nagios: WARNING/CRITICAL when the earliest certificate\n"
    "                                 expiry in the chain is N days away (default 20 / 15);\n"
    "                                 findings of severity warning make WARNING, error CRITICAL\n"
    "  --require-tls12-only           Nagios: CRITICAL when TLS 1.0 or 1.1 is accepted or TLS\n"
    "                                 1.2 refused (implies --protocols)\n"
    "  --ignore FINDING               Nagios: finding code FINDING does not change the state\n"
    "                                 (repeatable; e.g. --ignore fallback_certificate)\n"
    "  --list-findings                the finding codes --ignore takes: code, severities,\n"
    "                                 meaning\n"
    "  --no-color                     no ANSI colours in text output\n"
    "  -h, --help                     this help;   --version   the version\n"
    "\n"
    "Exporter:\n"
    "  tdsprobe serve --help          run as a Prometheus exporter (multi-target pattern:\n"
    "                                 GET /probe?target=...), Prometheus schedules the probes\n"
    "\n"
    "Exit codes: 0 every target would connect; 1 at least one would fail for a TLS or\n"
    "certificate reason; 2 at least one could not be probed (DNS, refused, timeout, not TDS);\n"
    "64 usage error. When targets both fail and error, 2 wins. --format nagios exits with the\n"
    "plugin codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also a usage error, or a failure\n"
    "while the run starts).\n"
    "\n"
    "Examples:\n"
    "  tdsprobe db1.contoso.com                       what SqlClient 4+ would make of db1:1433\n"
    "  tdsprobe 'Server=db1;Encrypt=True;TrustServerCertificate=False;'\n"
    "                                                 your connection string, as SqlClient\n"
    "  tdsprobe --ciphers db1                         is TLS 1.2 enforced? which suites?\n"
    "  tdsprobe --ca-file corp-root.pem db1,14330     trust your company CA\n"
    "  tdsprobe --encrypt optional --json db1         Encrypt=Optional, as JSON\n"
    "  tdsprobe --tls-max 1.1 db1                     would an old TLS 1.1-only client connect?\n"
    "  tdsprobe -f fleet.txt --format prometheus      every server in a file, for Prometheus\n";

static void print_usage(void)
{
    fputs(usage_head, stdout);
    probe_options_help(stdout, PROBE_OPTION_CLIENT);
    fputs(usage_audit, stdout);
    probe_options_help(stdout, PROBE_OPTION_PROBE);
    fputs(usage_tail, stdout);
}

enum opt_id {
    OPT_JSON = 256, OPT_FORMAT, OPT_TIMEOUT, OPT_CONC, OPT_NO_COLOR, OPT_VERSION, OPT_WARN,
    OPT_CRIT, OPT_BROWSER_PORT, OPT_PROTOCOLS, OPT_CIPHERS, OPT_AUDIT_MAX, OPT_AUDIT_PAUSE,
    OPT_LIST_SUITES, OPT_DRY_RUN, OPT_THREADS, OPT_REQUIRE_TLS12, OPT_IGNORE,
    OPT_LIST_FINDINGS,
};

/* The options of this front end; the client options come from probe_options[]. */
static const struct option cli_opts[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "concurrency", required_argument, NULL, OPT_CONC },
    { "no-color", no_argument, NULL, OPT_NO_COLOR },
    { "targets", required_argument, NULL, 'f' },
    { "warn-days", required_argument, NULL, OPT_WARN },
    { "crit-days", required_argument, NULL, OPT_CRIT },
    { "browser-port", required_argument, NULL, OPT_BROWSER_PORT },
    { "protocols", no_argument, NULL, OPT_PROTOCOLS },
    { "ciphers", no_argument, NULL, OPT_CIPHERS },
    { "audit-max-connections", required_argument, NULL, OPT_AUDIT_MAX },
    { "audit-pause", required_argument, NULL, OPT_AUDIT_PAUSE },
    { "list-suites", no_argument, NULL, OPT_LIST_SUITES },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "require-tls12-only", no_argument, NULL, OPT_REQUIRE_TLS12 },
    { "ignore", required_argument, NULL, OPT_IGNORE },
    { "list-findings", no_argument, NULL, OPT_LIST_FINDINGS },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

static int apply_format(struct cli *c, const char *v)
{
    static const char *const names[] = { "text", "json", "nagios", "prometheus" };

    for (int i = 0; i < 4; i++) {
        if (strcmp(v, names[i]) == 0) {
            c->format = (enum format)i;
            return 0;
        }
    }
    return probe_usage_error(PROG, "--format takes text, json, nagios or prometheus, not '%s'",
                             v);
}

static int read_targets(struct cli *c, const char *path)
{
    char err[512];
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    int rc;

    if (!f) {
        return probe_usage_error(PROG, "cannot open --targets file '%s': %s", path,
                                 strerror(errno));
    }
    rc = probe_targetlist_read(&c->targets, f, is_stdin ? "stdin" : path, err, sizeof(err));
    if (!is_stdin) {
        fclose(f);
    }
    return rc ? probe_usage_error(PROG, "%s", err) : 0;
}

/* The numeric options (their ranges: probe_numbers[]). Returns 1 when id is one (set, or a
 * usage error in *rc), else 0. */
static int apply_number(struct cli *c, int id, const char *arg, int *rc)
{
    const struct {
        int id;
        const char *name;
        long *dst;
    } nums[] = {
        { OPT_CONC, "concurrency", &c->concurrency },
        { OPT_THREADS, "threads", &c->threads },
        { OPT_AUDIT_MAX, "audit-max-connections", &c->audit_max },
        { OPT_AUDIT_PAUSE, "audit-pause", &c->audit_pause_ms },
        { OPT_BROWSER_PORT, "browser-port", &c->browser_port },
        { OPT_WARN, "warn-days", &c->warn_days },
        { OPT_CRIT, "crit-days", &c->crit_days },
    };

    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        if (nums[i].id != id) {
            continue;
        }
        double v;
        *rc = probe_option_number(PROG, nums[i].name, arg, &v);
        if (*rc == 0) {
            *nums[i].dst = (long)v; /* an integer option's value is a whole number */
        }
        return 1;
    }
    return 0;
}

/* --list-suites: what --ciphers can test, in offer order. */
static int list_suites(void)
{
    uint16_t ids[256];
    size_t n = tls_default_suites(ids, sizeof(ids) / sizeof(ids[0]));

    if (n > sizeof(ids) / sizeof(ids[0])) {
        n = sizeof(ids) / sizeof(ids[0]);
    }
    for (size_t i = 0; i < n; i++) {
        struct tls_suite_info si;
        if (!tls_suite_info(ids[i], &si)) {
            continue;
        }
        printf("0x%04x  %-50s %s+%s%s%s%s%s\n", ids[i], si.name, tls_version_name(si.min_version),
               si.weak_3des ? "  SWEET32" : "", si.weak_rc4 ? "  RC4" : "",
               si.cbc_sha1 ? "  CBC-SHA1" : "", si.no_forward_secrecy ? "  no-FS" : "",
               si.null_cipher ? "  NULL" : "");
    }
    return 0;
}

static int apply_ignore(struct cli *c, const char *code)
{
    char err[200];

    return probe_nagios_ignore(&c->nagios, code, err, sizeof(err)) == 0
               ? 0 : probe_usage_error(PROG, "%s", err);
}

/* Every option but the client options (probe_overrides_getopt takes those). */
static int apply_option(void *arg, int id, const char *val)
{
    struct cli *c = arg;
    int rc;

    if (apply_number(c, id, val, &rc)) {
        return rc;
    }
    switch (id) {
    case 'h':
        print_usage();
        exit(0);
    case OPT_VERSION:
        printf("tdsprobe %s\n", probe_version());
        exit(0);
    case OPT_LIST_SUITES:
        exit(list_suites());
    case OPT_LIST_FINDINGS:
        probe_finding_list(stdout);
        exit(0);
    case OPT_JSON:
        c->format = FORMAT_JSON;
        return 0;
    case OPT_FORMAT:
        return apply_format(c, val);
    case 'f':
        return read_targets(c, val);
    case OPT_TIMEOUT:
        return probe_option_timeout(PROG, val, &c->timeout_s);
    case OPT_DRY_RUN:
        c->dry_run = true;
        return 0;
    case OPT_PROTOCOLS:
        c->protocols = true;
        return 0;
    case OPT_CIPHERS:
        c->ciphers = true;
        return 0;
    case OPT_NO_COLOR:
        c->color = false;
        return 0;
    case OPT_REQUIRE_TLS12:
        c->nagios.require_tls12_only = true;
        c->protocols = true;
        return 0;
    case OPT_IGNORE:
        return apply_ignore(c, val);
    }
    return probe_usage_error(PROG, "%s", "unknown option");
}

static void keep_summary(struct cli *c, const struct probe_result *r)
{
    if ((c->n_sums & (c->n_sums - 1)) == 0) { /* grow at powers of two */
        size_t cap = c->n_sums ? c->n_sums * 2 : 16;
        struct probe_summary *s = realloc(c->sums, cap * sizeof(*s));
        if (!s) {
            return;
        }
        c->sums = s;
    }
    probe_summary_from_result(&c->sums[c->n_sums++], r);
}

static void clear_progress(const struct cli *c)
{
    if (c->progress) {
        fputs("\r\033[K", stderr);
    }
}

static void on_result(const struct probe_result *r, void *arg)
{
    struct cli *c = arg;

    pthread_mutex_lock(&c->lock);
    if (c->discard) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    clear_progress(c);
    bool lost = false;
    if (c->format == FORMAT_JSON) {
        lost = probe_report_json_line(stdout, &c->json, r) != 0;
    } else if (c->format == FORMAT_TEXT) {
        if (c->n_done > 0) {
            fputc('\n', stdout);
        }
        probe_report_text(stdout, r, c->color);
    }
    if (c->format != FORMAT_JSON) {
        keep_summary(c, r);
    }
    c->unflushed = true;
    c->n_done++;
    if (lost) { /* a probe that cannot be reported counts as one that could not be done */
        fprintf(stderr, "%s: %s: out of memory: its JSON record is left out\n", PROG,
                r->target != NULL ? r->target->text : "?");
        c->n_error++;
    } else if (r->status == PROBE_STATUS_OK) {
        c->n_ok++;
    } else if (r->status == PROBE_STATUS_FAIL) {
        c->n_fail++;
    } else {
        c->n_error++;
    }
    pthread_mutex_unlock(&c->lock);
}

static int parse_args(struct cli *c, int argc, char **argv)
{
    int rc = probe_overrides_getopt(&c->ov, PROG, argc, argv, "hf:", cli_opts, apply_option, c);

    if (rc != 0) {
        return rc;
    }
    for (int i = optind; i < argc; i++) {
        char place[32];
        snprintf(place, sizeof(place), "argument %d", i - optind + 1);
        if (probe_targetlist_add_at(&c->targets, argv[i], place) < 0) {
            return probe_usage_error(PROG, "%s", "out of memory");
        }
    }
    if (c->targets.n == 0) {
        return probe_usage_error(PROG, "%s",
                                 "no TARGET given (a host name, host,port, ... or -f FILE)");
    }
    return 0;
}

/* --dry-run: one line per target: where it goes and what the client will do. */
static void print_dry_run(const struct probe_target *t)
{
    const struct probe_client *cl = &t->client;
    int min, max;

    char port[48];

    if (t->port || !t->instance[0]) {
        snprintf(port, sizeof(port), "port %u", (unsigned)probe_target_port(t));
    } else {
        snprintf(port, sizeof(port), "port from SQL Server Browser");
    }
    probe_client_tls_range(cl, cl->encrypt == PROBE_ENCRYPT_STRICT, &min, &max);
    printf("%s\n  -> host %s, %s%s%s; driver %s on %s, Encrypt=%s, TrustServerCertificate=%s, "
           "sends ENCRYPTION=%s, TLS %s-%s%s%s\n",
           t->text, t->host, port, t->instance[0] ? ", instance " : "", t->instance, cl->driver,
           probe_os_name(cl->os), probe_encrypt_name(cl->encrypt),
           cl->trust_server_certificate ? "true" : "false",
           tds_enc_name(probe_client_encryption_byte(cl)), tls_version_name(min),
           tls_version_name(max),
           cl->host_name_in_certificate[0] ? ", HostNameInCertificate=" : "",
           cl->host_name_in_certificate);
    if (cl->server_certificate[0]) {
        printf("  -> pinned ServerCertificate=%s (%s)\n", cl->server_certificate,
               probe_client_pins(cl) ? "compared" : "not read with these settings");
    }
}

/* A CA file is loaded the way the engine will load it, so that one which cannot be read as
 * certificates is a usage error before anything is sent (tls_config_new parses it; the engine's
 * probe_engine_add would refuse it only after earlier targets had started). Each distinct file
 * is loaded once. */
static int check_ca_file(struct cli *c, const char *ca, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->n_checked; i++) {
        if (strcmp(c->checked[i], ca) == 0) {
            return 0;
        }
    }
    struct tls_config_opts o = { .min_version = TLS_V10, .max_version = TLS_V12, .ca_file = ca };
    struct tls_config *cfg;
    if (tls_config_new(&cfg, &o, err, errlen) != 0) {
        return -1;
    }
    tls_config_free(cfg);
    char **grown = realloc(c->checked, (c->n_checked + 1) * sizeof(*grown));
    if (grown) { /* out of memory: it is only checked again */
        c->checked = grown;
        c->checked[c->n_checked] = strdup(ca);
        c->n_checked += c->checked[c->n_checked] != NULL;
    }
    return 0;
}

/* A pinned certificate file is read as the target's driver reads it, so one that is neither
 * PEM nor DER (or, for go-mssqldb, whose extension does not say which) is a usage error before
 * anything is sent. Consecutive targets with the same file read it once. */
static int check_pin(struct cli *c, const struct probe_target *t, const char *where)
{
    char err[600];
    struct tls_pin pin;
    const char *path = t->client.server_certificate;

    if (path[0] == '\0' || strcmp(path, c->pin_checked) == 0) {
        return 0;
    }
    if (probe_client_load_pin(&t->client, &pin, err, sizeof(err)) != 0) {
        bool option = (c->ov.set & PROBE_SET_SCERT) &&
                      strcmp(path, c->ov.client.server_certificate) == 0;
        return probe_usage_error(PROG, "%s: %s", option ? "--server-certificate" : where, err);
    }
    tls_pin_free(&pin);
    snprintf(c->pin_checked, sizeof(c->pin_checked), "%s", path);
    return 0;
}

/* Target i made into t, or a usage error naming where it came from (FILE:LINE or the
 * argument). */
static int make_target(struct cli *c, size_t i, struct probe_target *t)
{
    char err[600];
    const char *where = probe_targetlist_where(&c->targets, i);

    if (probe_make_target(&c->ov, c->targets.items[i], 0, t, err, sizeof(err)) != 0) {
        return probe_usage_error(PROG, "%s: bad target: %s", where, err);
    }
    const char *ca = t->client.ca_file;
    if (ca[0] && check_ca_file(c, ca, err, sizeof(err)) != 0) {
        bool option = (c->ov.set & PROBE_SET_CA) && strcmp(ca, c->ov.client.ca_file) == 0;
        return probe_usage_error(PROG, "%s: %s", option ? "--ca-file" : where, err);
    }
    return check_pin(c, t, where);
}

/* Makes every target in order. With engines NULL, to check them (and with --dry-run show
 * each): every target is made before any is probed, so a typo on line 900 of a fleet file is a
 * usage error up front, with nothing sent to the 899 before it (probe_engine_add starts a probe
 * at once, a DNS lookup or a connect, and the engine has no cancel). Else to hand each to an
 * engine, round robin: a failure then (out of memory, a CA file changed since it was checked)
 * leaves the *added targets before it running, and the caller must let the loops run dry
 * before freeing the engines. */
static int each_target(struct cli *c, struct probe_engine **engines, unsigned n_engines,
                       size_t *added)
{
    char err[600];
    struct probe_target *t = malloc(sizeof(*t));
    int rc = 0;

    *added = 0;
    if (!t) {
        return probe_usage_error(PROG, "%s", "out of memory");
    }
    for (size_t i = 0; i < c->targets.n && rc == 0; i++) {
        rc = make_target(c, i, t);
        if (rc != 0 || engines == NULL) {
            if (rc == 0 && c->dry_run) {
                print_dry_run(t);
            }
            continue;
        }
        if (probe_engine_add(engines[i % n_engines], t, err, sizeof(err)) != 0) {
            rc = probe_usage_error(PROG, "%s: %s", probe_targetlist_where(&c->targets, i), err);
        }
        *added += rc == 0;
    }
    free(t);
    return rc;
}

static void on_progress(uv_timer_t *timer)
{
    struct cli *c = timer->data;

    pthread_mutex_lock(&c->lock);
    fprintf(stderr, "\r\033[Ktdsprobe: %zu/%zu done (ok %zu, fail %zu, error %zu)", c->n_done,
            c->targets.n, c->n_ok, c->n_fail, c->n_error);
    bool all = c->n_done == c->targets.n;
    pthread_mutex_unlock(&c->lock);
    if (all) { /* the timer lives on loop 0: only its own thread may close it */
        uv_close((uv_handle_t *)timer, NULL);
    }
}

/* Output that needs every result: the text summary table, Nagios, Prometheus. */
static int finish_output(struct cli *c)
{
    int rc = probe_exit_for_class(c->n_error  ? PROBE_CLASS_ERROR
                                  : c->n_fail ? PROBE_CLASS_FAIL
                                              : PROBE_CLASS_OK);

    if (c->format == FORMAT_TEXT && c->n_sums > 1) {
        fputc('\n', stdout);
        probe_report_summary_table(stdout, c->sums, c->n_sums, c->color);
    } else if (c->format == FORMAT_NAGIOS) {
        c->nagios.warn_days = (int)c->warn_days;
        c->nagios.crit_days = (int)c->crit_days;
        rc = probe_report_nagios(stdout, c->sums, c->n_sums, &c->nagios);
    } else if (c->format == FORMAT_PROMETHEUS) {
        probe_report_prometheus(stdout, c->sums, c->n_sums);
    }
    return rc;
}

/* ---- --format nagios: a usage error is UNKNOWN ---- */

/* Whether the arguments ask for --format nagios, read before they are parsed (a usage error
 * may come before --format). The last --format or --json wins, as in apply_option. */
static bool wants_nagios(int argc, char **argv)
{
    bool nagios = false;

    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            nagios = false;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            nagios = strcmp(argv[++i], "nagios") == 0;
        } else if (strncmp(argv[i], "--format=", 9) == 0) {
            nagios = strcmp(argv[i] + 9, "nagios") == 0;
        }
    }
    return nagios;
}

/* Nagios shows only a plugin's stdout and reads an exit code above 3 as "out of bounds"
 * (Monitoring Plugins development guidelines, plugin return codes). So while the arguments and
 * targets are read and the run starts, stderr (getopt's, the option parsers' and the start's
 * messages) goes to a file; on a usage error or a start failure (descriptors, memory: the
 * plugin's own failure, UNKNOWN by the same guidelines) its first line becomes one
 * "TDSPROBE UNKNOWN - ..." line and the exit code 3. */
struct capture {
    int saved; /* the real stderr, -1 when nothing is captured */
    FILE *tmp;
};

static void capture_begin(struct capture *cp, bool on)
{
    cp->saved = -1;
    cp->tmp = on ? tmpfile() : NULL;
    if (cp->tmp != NULL) {
        fflush(stderr);
        cp->saved = dup(STDERR_FILENO);
        if (cp->saved < 0 || dup2(fileno(cp->tmp), STDERR_FILENO) < 0) {
            fclose(cp->tmp);
            cp->tmp = NULL;
        }
    }
}

/* Puts stderr back, passes on what it kept, and turns a failure into UNKNOWN. */
static int capture_end(struct capture *cp, int rc)
{
    char reason[512] = "usage error", line[512];
    const char *prefix = PROG ": ";

    if (cp->tmp == NULL) {
        return rc;
    }
    fflush(stderr);
    dup2(cp->saved, STDERR_FILENO);
    close(cp->saved);
    rewind(cp->tmp);
    for (bool first = true; fgets(line, sizeof(line), cp->tmp) != NULL; first = false) {
        fputs(line, stderr);
        if (first) {
            bool named = strncmp(line, prefix, strlen(prefix)) == 0;
            snprintf(reason, sizeof(reason), "%s", line + (named ? strlen(prefix) : 0));
            reason[strcspn(reason, "\n")] = '\0';
        }
    }
    fclose(cp->tmp);
    if (rc == 0) {
        return rc;
    }
    probe_report_nagios_unknown(stdout, reason);
    return PROBE_NAGIOS_UNKNOWN;
}

/* How many loops: one per core for big runs (the client's TLS work is the bottleneck, and one
 * thread cannot use the second core), one for small ones. */
static unsigned pick_threads(const struct cli *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = (unsigned)c->threads;

    if (n == 0) {
        n = c->targets.n >= 256 && cores > 1 ? (unsigned)cores : 1;
    }
    if (n > MAX_THREADS) {
        n = MAX_THREADS;
    }
    if (n > c->targets.n) {
        n = c->targets.n ? (unsigned)c->targets.n : 1;
    }
    return n;
}

/* Results are written once per loop iteration, not once per result: a fleet finishes many
 * probes in one iteration, and one write(2) per record was a tenth of the system calls of a
 * certificate-mode probe. A prepare handle runs just before the loop waits for I/O, so a result
 * never waits longer than the work already in hand; it is unreferenced so that it never keeps a
 * loop alive. */
static void flush_before_poll(uv_prepare_t *h)
{
    struct cli *c = h->data;

    pthread_mutex_lock(&c->lock);
    if (c->unflushed) {
        fflush(stdout);
        c->unflushed = false;
    }
    pthread_mutex_unlock(&c->lock);
}

static void flusher_start(uv_loop_t *loop, uv_prepare_t *h, struct cli *c)
{
    uv_prepare_init(loop, h);
    h->data = c;
    uv_prepare_start(h, flush_before_poll);
    uv_unref((uv_handle_t *)h);
}

static void *run_loop(void *arg)
{
    uv_run(arg, UV_RUN_DEFAULT);
    return NULL;
}

/* Runs loops 1..n-1 on their own threads and loop 0 on this one, until every probe is done. */
static void run_loops(uv_loop_t *loops, unsigned n)
{
    pthread_t tid[MAX_THREADS];
    unsigned started = 0;

    for (unsigned i = 1; i < n; i++) {
        if (pthread_create(&tid[i], NULL, run_loop, &loops[i]) != 0) {
            break;
        }
        started = i;
    }
    uv_run(&loops[0], UV_RUN_DEFAULT);
    for (unsigned i = 1; i <= started; i++) {
        pthread_join(tid[i], NULL);
    }
    for (unsigned i = started + 1; i < n; i++) { /* a thread that could not start: run it here */
        uv_run(&loops[i], UV_RUN_DEFAULT);
    }
}

/* One run's loops and engines, one engine per loop. */
struct run {
    struct probe_engine *engines[MAX_THREADS];
    uv_loop_t loops[MAX_THREADS];
    uv_prepare_t flushers[MAX_THREADS];
    unsigned n;   /* loops initialised */
    size_t added; /* targets queued */
};

/* Starts the run over every target (all checked): the descriptors it needs, n loops with an
 * engine each, every target queued (the first ones started). Returns 0 or the exit status of
 * a start failure, the reason on stderr; either way finish_probes ends the run. */
static int start_probes(struct cli *c, struct run *r)
{
    unsigned n = pick_threads(c);
    char why[300];
    unsigned conc = probe_fds_fit((unsigned)c->concurrency, n, why, sizeof(why));
    /* a limit is split down (it must hold across loops), a wish up */
    struct probe_engine_opts eo = { .concurrency = why[0] != '\0' ? (conc > n ? conc / n : 1)
                                                                  : (conc + n - 1) / n,
                                    .timeout_s = c->timeout_s,
                                    .browser_port = (uint16_t)c->browser_port,
                                    .audit_protocols = c->protocols,
                                    .audit_ciphers = c->ciphers,
                                    .audit_max_connections = (unsigned)c->audit_max,
                                    .audit_pause_ms = (unsigned)c->audit_pause_ms,
                                    .on_result = on_result, .arg = c };
    int rc = 0;

    if (conc == 0) {
        fprintf(stderr, "%s: %s\n", PROG, why);
        return PROBE_EXIT_ERROR;
    }
    /* getaddrinfo runs on libuv's thread pool: size it so resolution never starves. */
    setenv("UV_THREADPOOL_SIZE", "64", 0);
    for (r->n = 0; r->n < n; r->n++) {
        uv_loop_init(&r->loops[r->n]);
        flusher_start(&r->loops[r->n], &r->flushers[r->n], c);
        if (rc == 0 && probe_engine_new(&r->engines[r->n], &r->loops[r->n], &eo) != 0) {
            rc = probe_usage_error(PROG, "%s", "out of memory");
        }
    }
    if (rc == 0 && why[0] != '\0' && c->targets.n > conc) {
        fprintf(stderr, "%s: %s\n", PROG, why); /* after any failure: its reason comes first */
    }
    /* Targets are queued (and the first ones started) before any thread runs a loop. */
    return rc ? rc : each_target(c, r->engines, n, &r->added);
}

/* Runs the loops until every probe is done (after a start failure, rc, the probes started run
 * dry, unreported), frees them; returns the exit status. */
static int finish_probes(struct cli *c, struct run *r, int rc)
{
    c->discard = rc != 0;
    c->progress = rc == 0 && c->targets.n > 1 && isatty(STDERR_FILENO);
    if (c->progress) {
        uv_timer_init(&r->loops[0], &c->progress_timer);
        c->progress_timer.data = c;
        uv_timer_start(&c->progress_timer, on_progress, 250, 250);
    }
    if (r->added > 0) {
        run_loops(r->loops, r->n);
    }
    clear_progress(c);
    fflush(stdout);
    for (unsigned i = 0; i < r->n; i++) {
        probe_engine_free(r->engines[i]);
        uv_close((uv_handle_t *)&r->flushers[i], NULL);
        uv_run(&r->loops[i], UV_RUN_DEFAULT);
        uv_loop_close(&r->loops[i]);
    }
    return rc ? rc : finish_output(c);
}

/* Each TLS session's two record buffers are 16.7 KiB apiece (Debian's mbedTLS 2.28 has no
 * MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH), and a probe uses the first page or two of each. From the
 * heap, every page still becomes resident: calloc clears reused memory, and mbedtls_ssl_free
 * zeroizes the whole buffer before freeing it, so each session that was in flight leaves 33 KiB
 * of heap that glibc keeps. Mapped on their own (glibc serves requests from M_MMAP_THRESHOLD up
 * with mmap), an untouched page never becomes resident and a freed buffer goes back to the
 * system: a 1,000-target full-handshake run peaks 18 MB lower (48-53 -> 30-31 KiB per probe in
 * flight). The price is an mmap, a munmap and a few page faults per fresh session, about 10 us:
 * 0.4 % of a full probe, whose session also lives several times longer, but 3-4 % of a
 * certificate-mode probe (munmap alone was 3.8 % of such a run's CPU in perf), whose sessions
 * are short and mostly reuse heap memory. So certificate-mode runs keep the heap. From 16 KiB:
 * the record buffers and the TLS 1.3 client's state (24 KiB, strict mode); everything else a
 * probe allocates stays on the heap. bench/README.md has the runs. */
static void allocator_tune(bool short_sessions)
{
#ifdef M_MMAP_THRESHOLD
    if (!short_sessions) {
        (void)mallopt(M_MMAP_THRESHOLD, 16 * 1024);
    }
#else
    (void)short_sessions;
#endif
}

/* Every target of a run probes in certificate mode: --handshake certificate. */
static bool certificate_mode_only(const struct cli *c)
{
    return (c->ov.set & PROBE_SET_HANDSHAKE) != 0 &&
           c->ov.client.handshake == TLS_HANDSHAKE_CERTIFICATE;
}

int main(int argc, char **argv)
{
    struct cli c = { .timeout_s = 10, .concurrency = 256, .warn_days = -1, .crit_days = -1 };

    if (argc > 1 && strcmp(argv[1], "serve") == 0) {
        allocator_tune(false); /* an exporter's modules mix modes; it runs for months */
        return probe_serve_main(argc - 1, argv + 1);
    }
    if (!isatty(STDOUT_FILENO)) { /* results are flushed per loop iteration: room for a batch */
        setvbuf(stdout, NULL, _IOFBF, 64u * 1024u);
    }
    probe_overrides_init(&c.ov);
    pthread_mutex_init(&c.lock, NULL);
    c.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    bool nagios = wants_nagios(argc, argv);
    struct capture cp;
    size_t none;
    static struct run run; /* MAX_THREADS loops: not on the stack */
    capture_begin(&cp, nagios);
    int rc = parse_args(&c, argc, argv);
    if (rc == 0) {
        allocator_tune(certificate_mode_only(&c));
        rc = each_target(&c, NULL, 0, &none);
    }
    bool probing = rc == 0 && !c.dry_run;
    if (probing) {
        rc = start_probes(&c, &run);
    }
    rc = capture_end(&cp, rc);
    if (probing) {
        rc = finish_probes(&c, &run, rc);
    }
    probe_targetlist_free(&c.targets);
    for (size_t i = 0; i < c.n_checked; i++) {
        free(c.checked[i]);
    }
    free(c.checked);
    free(c.sums);
    probe_jsonbuf_free(&c.json);
    return rc;
}
