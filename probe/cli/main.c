/* probe/cli/main.c: the tdsprobe command line, one front end of the engine. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_connstr.h"
#include "probe/engine/probe_engine.h"
#include "probe/output/probe_monitor.h"
#include "probe/drivers/probe_overrides.h"
#include "probe/output/probe_report.h"
#include "probe/serve/probe_serve.h"
#include "probe/output/probe_summary.h"
#include "probe/drivers/probe_target.h"
#include "probe/drivers/probe_targetlist.h"
#include "tls/tls_suites.h"
#include "tls/tls_version.h"

#define EXIT_USAGE 64

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_NAGIOS, FORMAT_PROMETHEUS };

struct cli {
    struct probe_overrides ov; /* client options given here: they win over a connection string */
    enum format format;
    double timeout_s;
    unsigned concurrency;
    unsigned browser_port;
    bool protocols, ciphers;
    bool dry_run;
    unsigned audit_max, audit_pause_ms;
    int warn_days, crit_days;
    bool color;
    bool progress;           /* a progress line on stderr (a terminal) */
    uv_timer_t progress_timer;
    struct probe_targetlist targets;
    size_t n_ok, n_fail, n_error, n_done;
    struct probe_summary *sums; /* for the end-of-run table, Nagios and Prometheus */
    size_t n_sums;
    unsigned threads;        /* event loops, one engine each (0 = automatic) */
    pthread_mutex_t lock;    /* results arrive from every loop's thread */
};

#define MAX_THREADS 16

static const char usage_text[] =
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
    "Client settings (named after the connection-string keywords):\n"
    "  --encrypt optional|mandatory|strict|disable\n"
    "                                 Encrypt= (default mandatory: SqlClient 4+, ODBC 18, JDBC);\n"
    "                                 optional sends ENCRYPTION=OFF: login-only TLS, not\n"
    "                                 validated; strict is TDS 8.0: TLS first (ALPN tds/8.0),\n"
    "                                 always validated; disable sends ENCRYPTION=NOT_SUP\n"
    "                                 (go-mssqldb encrypt=disable, FreeTDS encryption = off)\n"
    "  --trust-server-certificate     TrustServerCertificate=True: skip every certificate check\n"
    "  --host-name-in-certificate N   check the certificate against N instead of the host\n"
    "  --ca-file FILE                 trust these CAs instead of the system trust store\n"
    "  --tls-min 1.0|1.1|1.2          lowest TLS version the client offers (default 1.0)\n"
    "  --tls-max 1.0|1.1|1.2          highest TLS version the client offers (default 1.2)\n"
    "  --driver NAME                  the client to emulate: sqlclient (default),\n"
    "                                 sqlclient-legacy, odbc18, odbc17, jdbc, go-mssqldb,\n"
    "                                 tedious, freetds (inferred from a connection string)\n"
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
    "Probe settings:\n"
    "  --handshake full|certificate   full handshake, or stop once the server's certificate\n"
    "                                 flight has been read and checked (cheaper)\n"
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
    "                                 expiry in the chain is N days away (default 20 / 15)\n"
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
    "plugin codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
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

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "tdsprobe: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tdsprobe --help' for the options.\n");
    return EXIT_USAGE;
}

static int parse_seconds(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return (*s == '\0' || *end != '\0' || errno || *out <= 0 || *out > 3600) ? -1 : 0;
}

static int parse_count(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v == 0 || v > 100000)
        return -1;
    *out = (unsigned)v;
    return 0;
}

enum opt_id {
    OPT_JSON = 256, OPT_FORMAT, OPT_CA, OPT_ENCRYPT, OPT_TSC, OPT_HNIC, OPT_TLS_MIN, OPT_TLS_MAX,
    OPT_TIMEOUT, OPT_CONC, OPT_HANDSHAKE, OPT_DRIVER, OPT_NO_COLOR, OPT_VERSION, OPT_WARN,
    OPT_CRIT, OPT_BROWSER_PORT, OPT_PROTOCOLS, OPT_CIPHERS, OPT_AUDIT_MAX, OPT_AUDIT_PAUSE,
    OPT_LIST_SUITES, OPT_DRY_RUN, OPT_THREADS,
};

static const struct option long_opts[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "ca-file", required_argument, NULL, OPT_CA },
    { "encrypt", required_argument, NULL, OPT_ENCRYPT },
    { "trust-server-certificate", no_argument, NULL, OPT_TSC },
    { "host-name-in-certificate", required_argument, NULL, OPT_HNIC },
    { "tls-min", required_argument, NULL, OPT_TLS_MIN },
    { "tls-max", required_argument, NULL, OPT_TLS_MAX },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "concurrency", required_argument, NULL, OPT_CONC },
    { "handshake", required_argument, NULL, OPT_HANDSHAKE },
    { "driver", required_argument, NULL, OPT_DRIVER },
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
    return usage_error("--format takes text, json, nagios or prometheus, not '%s'", v);
}

static int parse_days(const char *s, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno || v < 0 || v > 36500)
        return -1;
    *out = (int)v;
    return 0;
}

static int read_targets(struct cli *c, const char *path)
{
    char err[512];
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    int rc;

    if (!f)
        return usage_error("cannot open --targets file '%s': %s", path, strerror(errno));
    rc = probe_targetlist_read(&c->targets, f, is_stdin ? "stdin" : path, err, sizeof(err));
    if (!is_stdin)
        fclose(f);
    return rc ? usage_error("%s", err) : 0;
}

/* Client options: one setter shared with the exporter's modules (probe/drivers/probe_overrides.h). */
static const struct {
    int id;
    const char *key;
} client_opts[] = {
    { OPT_CA, "ca_file" }, { OPT_ENCRYPT, "encrypt" }, { OPT_TSC, "trust_server_certificate" },
    { OPT_HNIC, "host_name_in_certificate" }, { OPT_TLS_MIN, "tls_min" },
    { OPT_TLS_MAX, "tls_max" }, { OPT_HANDSHAKE, "handshake" }, { OPT_DRIVER, "driver" },
};

/* 1 when id is a client option (applied, or a usage error in *rc), 0 otherwise. */
static int apply_client_option(struct cli *c, int id, const char *arg, int *rc)
{
    char err[400];

    for (size_t i = 0; i < sizeof(client_opts) / sizeof(client_opts[0]); i++) {
        if (client_opts[i].id != id)
            continue;
        char opt[40];
        snprintf(opt, sizeof(opt), "--%s", client_opts[i].key);
        for (char *p = opt; *p; p++)
            *p = *p == '_' ? '-' : *p;
        *rc = 0;
        if (probe_overrides_set(&c->ov, client_opts[i].key, id == OPT_TSC ? "true" : arg, err,
                                sizeof(err)) != 0)
            *rc = usage_error("%s: %s", opt, err);
        return 1;
    }
    return 0;
}

static int apply_option(struct cli *c, int id, const char *arg)
{
    int rc;

    if (apply_client_option(c, id, arg, &rc))
        return rc;
    switch (id) {
    case OPT_JSON:
        c->format = FORMAT_JSON;
        return 0;
    case OPT_FORMAT:
        return apply_format(c, arg);
    case 'f':
        return read_targets(c, arg);
    case OPT_WARN:
    case OPT_CRIT:
        return parse_days(arg, id == OPT_WARN ? &c->warn_days : &c->crit_days)
                   ? usage_error("--%s takes a number of days, not '%s'",
                                 id == OPT_WARN ? "warn-days" : "crit-days", arg) : 0;
    case OPT_TIMEOUT:
        return parse_seconds(arg, &c->timeout_s)
                   ? usage_error("--timeout takes seconds (0 < s <= 3600), not '%s'", arg) : 0;
    case OPT_CONC:
        return parse_count(arg, &c->concurrency)
                   ? usage_error("--concurrency takes 1..100000, not '%s'", arg) : 0;
    case OPT_THREADS:
        return parse_count(arg, &c->threads) || c->threads > MAX_THREADS
                   ? usage_error("--threads takes 1..%d, not '%s'", MAX_THREADS, arg) : 0;
    case OPT_DRY_RUN:
        c->dry_run = true;
        return 0;
    case OPT_PROTOCOLS:
        c->protocols = true;
        return 0;
    case OPT_CIPHERS:
        c->ciphers = true;
        return 0;
    case OPT_AUDIT_MAX:
        return parse_count(arg, &c->audit_max)
                   ? usage_error("--audit-max-connections takes 1..100000, not '%s'", arg) : 0;
    case OPT_AUDIT_PAUSE:
        return parse_count(arg, &c->audit_pause_ms) || c->audit_pause_ms > 60000
                   ? usage_error("--audit-pause takes milliseconds (1..60000), not '%s'", arg)
                   : 0;
    case OPT_BROWSER_PORT:
        return parse_count(arg, &c->browser_port) || c->browser_port > 65535
                   ? usage_error("--browser-port takes a UDP port, not '%s'", arg) : 0;
    case OPT_NO_COLOR:
        c->color = false;
        return 0;
    }
    return usage_error("%s", "unknown option");
}

static void keep_summary(struct cli *c, const struct probe_result *r)
{
    if ((c->n_sums & (c->n_sums - 1)) == 0) { /* grow at powers of two */
        size_t cap = c->n_sums ? c->n_sums * 2 : 16;
        struct probe_summary *s = realloc(c->sums, cap * sizeof(*s));
        if (!s)
            return;
        c->sums = s;
    }
    probe_summary_from_result(&c->sums[c->n_sums++], r);
}

static void clear_progress(const struct cli *c)
{
    if (c->progress)
        fputs("\r\033[K", stderr);
}

static void on_result(const struct probe_result *r, void *arg)
{
    struct cli *c = arg;

    pthread_mutex_lock(&c->lock);
    clear_progress(c);
    if (c->format == FORMAT_JSON) {
        probe_report_json(stdout, r);
    } else if (c->format == FORMAT_TEXT) {
        if (c->n_done > 0)
            fputc('\n', stdout);
        probe_report_text(stdout, r, c->color);
    }
    if (c->format != FORMAT_JSON)
        keep_summary(c, r);
    fflush(stdout);
    c->n_done++;
    if (r->status == PROBE_STATUS_OK)
        c->n_ok++;
    else if (r->status == PROBE_STATUS_FAIL)
        c->n_fail++;
    else
        c->n_error++;
    pthread_mutex_unlock(&c->lock);
}

/* --list-suites: what --ciphers can test, in offer order. */
static int list_suites(void)
{
    uint16_t ids[256];
    size_t n = tls_default_suites(ids, sizeof(ids) / sizeof(ids[0]));

    if (n > sizeof(ids) / sizeof(ids[0]))
        n = sizeof(ids) / sizeof(ids[0]);
    for (size_t i = 0; i < n; i++) {
        struct tls_suite_info si;
        if (!tls_suite_info(ids[i], &si))
            continue;
        printf("0x%04x  %-50s %s+%s%s%s%s%s\n", ids[i], si.name, tls_version_name(si.min_version),
               si.weak_3des ? "  SWEET32" : "", si.weak_rc4 ? "  RC4" : "",
               si.cbc_sha1 ? "  CBC-SHA1" : "", si.no_forward_secrecy ? "  no-FS" : "",
               si.null_cipher ? "  NULL" : "");
    }
    return 0;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
    int id;

    opterr = 0;
    while ((id = getopt_long(argc, argv, "hf:", long_opts, NULL)) != -1) {
        if (id == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (id == OPT_LIST_SUITES)
            exit(list_suites());
        if (id == OPT_VERSION) {
            printf("tdsprobe 0.1.0\n");
            exit(0);
        }
        if (id == '?' || id == ':')
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        int rc = apply_option(c, id, optarg);
        if (rc)
            return rc;
    }
    if ((c->ov.set & PROBE_SET_TLS_MIN) && (c->ov.set & PROBE_SET_TLS_MAX) &&
        c->ov.client.tls_min > c->ov.client.tls_max)
        return usage_error("%s", "--tls-min is above --tls-max");
    for (int i = optind; i < argc; i++) {
        if (probe_targetlist_add(&c->targets, argv[i]) < 0)
            return usage_error("%s", "out of memory");
    }
    if (c->targets.n == 0)
        return usage_error("%s", "no TARGET given (a host name, host,port, ... or -f FILE)");
    return 0;
}

/* --dry-run: one line per target: where it goes and what the client will do. */
static void print_dry_run(const struct probe_target *t)
{
    const struct probe_client *cl = &t->client;

    char port[48];

    if (t->port || !t->instance[0])
        snprintf(port, sizeof(port), "port %u", (unsigned)probe_target_port(t));
    else
        snprintf(port, sizeof(port), "port from SQL Server Browser");
    printf("%s\n  -> host %s, %s%s%s; driver %s, Encrypt=%s, TrustServerCertificate=%s, "
           "sends ENCRYPTION=%s, TLS %s-%s%s%s\n",
           t->text, t->host, port, t->instance[0] ? ", instance " : "", t->instance, cl->driver,
           probe_encrypt_name(cl->encrypt),
           cl->trust_server_certificate ? "true" : "false",
           tds_enc_name(probe_client_encryption_byte(cl)), tls_version_name(cl->tls_min),
           tls_version_name(cl->tls_max),
           cl->host_name_in_certificate[0] ? ", HostNameInCertificate=" : "",
           cl->host_name_in_certificate);
}

/* Every target is parsed before any is probed, so a typo on line 900 of a fleet file is a
 * usage error up front rather than a surprise at the end. */
static int add_targets(struct cli *c, struct probe_engine **engines, unsigned n_engines)
{
    char err[600];
    struct probe_target *t = malloc(sizeof(*t));

    if (!t)
        return usage_error("%s", "out of memory");
    int rc = 0;
    for (size_t i = 0; i < c->targets.n && rc == 0; i++) {
        if (probe_make_target(&c->ov, c->targets.items[i], 0, t, err, sizeof(err)) != 0)
            rc = usage_error("bad target: %s", err);
        else if (c->dry_run)
            print_dry_run(t);
        else if (probe_engine_add(engines[i % n_engines], t, err, sizeof(err)) != 0)
            rc = usage_error("%s", err);
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
    if (all) /* the timer lives on loop 0: only its own thread may close it */
        uv_close((uv_handle_t *)timer, NULL);
}

/* Output that needs every result: the text summary table, Nagios, Prometheus. */
static int finish_output(struct cli *c)
{
    int rc = c->n_error ? 2 : c->n_fail ? 1 : 0;

    if (c->format == FORMAT_TEXT && c->n_sums > 1) {
        fputc('\n', stdout);
        probe_report_summary_table(stdout, c->sums, c->n_sums, c->color);
    } else if (c->format == FORMAT_NAGIOS) {
        rc = probe_report_nagios(stdout, c->sums, c->n_sums, c->warn_days, c->crit_days);
    } else if (c->format == FORMAT_PROMETHEUS) {
        probe_report_prometheus(stdout, c->sums, c->n_sums);
    }
    return rc;
}

/* How many loops: one per core for big runs (the client's TLS work is the bottleneck, and one
 * thread cannot use the second core), one for small ones. */
static unsigned pick_threads(const struct cli *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = c->threads;

    if (n == 0)
        n = c->targets.n >= 256 && cores > 1 ? (unsigned)cores : 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (n > c->targets.n)
        n = c->targets.n ? (unsigned)c->targets.n : 1;
    return n;
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
        if (pthread_create(&tid[i], NULL, run_loop, &loops[i]) != 0)
            break;
        started = i;
    }
    uv_run(&loops[0], UV_RUN_DEFAULT);
    for (unsigned i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    for (unsigned i = started + 1; i < n; i++) /* a thread that could not start: run it here */
        uv_run(&loops[i], UV_RUN_DEFAULT);
}

int main(int argc, char **argv)
{
    struct cli c = { .timeout_s = 10, .concurrency = 256, .warn_days = -1, .crit_days = -1 };
    struct probe_engine *engines[MAX_THREADS] = { 0 };
    uv_loop_t loops[MAX_THREADS];

    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return probe_serve_main(argc - 1, argv + 1);
    probe_overrides_init(&c.ov);
    pthread_mutex_init(&c.lock, NULL);
    c.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
    int rc = parse_args(&c, argc, argv);
    if (rc)
        return rc;
    /* getaddrinfo runs on libuv's thread pool: size it so resolution never starves. */
    setenv("UV_THREADPOOL_SIZE", "64", 0);
    unsigned n = pick_threads(&c);
    struct probe_engine_opts eo = { .concurrency = (c.concurrency + n - 1) / n,
                                    .timeout_s = c.timeout_s,
                                    .browser_port = (uint16_t)c.browser_port,
                                    .audit_protocols = c.protocols,
                                    .audit_ciphers = c.ciphers,
                                    .audit_max_connections = c.audit_max,
                                    .audit_pause_ms = c.audit_pause_ms,
                                    .on_result = on_result, .arg = &c };
    for (unsigned i = 0; i < n; i++) {
        uv_loop_init(&loops[i]);
        if (probe_engine_new(&engines[i], &loops[i], &eo) != 0)
            return 2;
    }
    /* Targets are queued (and the first ones started) before any thread runs a loop. */
    rc = add_targets(&c, engines, n);
    c.progress = rc == 0 && !c.dry_run && c.targets.n > 1 && isatty(STDERR_FILENO);
    if (c.progress) {
        uv_timer_init(&loops[0], &c.progress_timer);
        c.progress_timer.data = &c;
        uv_timer_start(&c.progress_timer, on_progress, 250, 250);
    }
    if (rc == 0 && !c.dry_run)
        run_loops(loops, n);
    clear_progress(&c);
    for (unsigned i = 0; i < n; i++) {
        probe_engine_free(engines[i]);
        uv_run(&loops[i], UV_RUN_DEFAULT);
        uv_loop_close(&loops[i]);
    }
    if (rc == 0 && !c.dry_run)
        rc = finish_output(&c);
    probe_targetlist_free(&c.targets);
    free(c.sums);
    return rc;
}
