/* probe/serve/probe_serve_main.c: `tdsprobe serve`'s command line and start-up
 * (probe/serve/probe_serve.h); the server itself is probe_serve.c. */
#include "probe/serve/probe_serve.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "probe/drivers/probe_options.h"
#include "probe/drivers/probe_overrides.h"
#include "probe/engine/probe_fds.h"
#include "probe/serve/probe_allow.h"
#include "probe/serve/probe_serve_int.h"

#define PROG "tdsprobe serve"
#define SERVE_BACKLOG 511 /* nginx's default: connects queue here while idle ones are evicted */
#define SERVE_FD_SPARE 64 /* descriptors for the loop, its thread pool, the modules file, ... */

/* Unix time in seconds. */
static double wall_time(void)
{
    uv_timeval64_t now;

    return uv_gettimeofday(&now) == 0 ? (double)now.tv_sec + (double)now.tv_usec / 1e6 : 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
    char err[800];

    if (signum == SIGHUP) {
        serve_reload(h->data, err, sizeof(err));
        return;
    }
    serve_stop(h->data);
}

int serve_reload(struct server *srv, char *err, size_t errlen)
{
    struct probe_modules *fresh = probe_modules_fresh(srv->modules);
    int rc = fresh ? 0 : -1;

    if (!fresh) {
        snprintf(err, errlen, "out of memory");
    } else if (srv->config && probe_modules_load(fresh, srv->config, err, errlen) != 0) {
        rc = -1;
    }
    srv->reload_ok = rc == 0;
    if (rc != 0) {
        free(fresh);
        fprintf(stderr, "tdsprobe serve: reload failed, the running modules stay: %s\n", err);
        return -1;
    }
    free(srv->modules);
    srv->modules = fresh;
    srv->reload_time = wall_time();
    fprintf(stderr, "tdsprobe serve: reloaded %s: %zu module%s\n",
            srv->config ? srv->config : "(no --config)", fresh->n, fresh->n == 1 ? "" : "s");
    return 0;
}

/* tdsprobe serve --help: the client options are listed from probe_options[]. */
static const char usage_head[] =
    "Usage: tdsprobe serve [OPTIONS]\n"
    "\n"
    "A Prometheus exporter: each scrape of /probe?target=TARGET[&module=NAME] probes one SQL\n"
    "Server and answers with the metrics of tdsprobe --format prometheus. Let Prometheus do the\n"
    "scheduling (multi-target exporter pattern; samples/monitoring/prometheus.yml).\n"
    "\n"
    "  --listen ADDR:PORT             where to listen (default 127.0.0.1:9717; [v6addr]:PORT;\n"
    "                                 port 0 picks one); the address is printed on stdout\n"
    "  --allow-targets LIST           probe only these targets, refuse the rest with 403 before\n"
    "                                 anything is sent: comma-separated networks (10.0.0.0/8,\n"
    "                                 2001:db8::/32, 192.0.2.7) and host-name globs\n"
    "                                 (*.db.example.com); a name no glob matches must resolve\n"
    "                                 only to addresses inside the networks. Without it anyone\n"
    "                                 who reaches the exporter can probe any host and port\n"
    "  --config FILE                  modules: [module NAME] sections of 'key = value' lines; a\n"
    "                                 module starts from the command line and sets its own\n"
    "                                 (read again on SIGHUP or POST /-/reload; a bad file keeps\n"
    "                                 the running modules); keys: allow_targets, timeout,\n"
    "                                 protocols, ciphers, require_tls12_only, ignore,\n"
    "                                 warn_days, crit_days,\n";

static const char usage_limits[] =
    "  --max-concurrency N            probes in flight at once; more scrapes get 503 (default 64)\n"
    "  --timeout SECONDS              deadline per probe (default 10); a scrape's\n"
    "                                 X-Prometheus-Scrape-Timeout-Seconds shortens it, less\n"
    "                                 0.5 s, so a slow target is tdsprobe_success 0\n"
    "  --protocols, --ciphers         the TLS policy audit, as in tdsprobe (module keys\n"
    "                                 protocols, ciphers)\n"
    "  --require-tls12-only, --ignore FINDING, --warn-days N, --crit-days N\n"
    "                                 the policy tdsprobe_policy_state judges by, as tdsprobe\n"
    "                                 --format nagios does (tdsprobe --list-findings lists\n"
    "                                 the finding codes --ignore takes)\n";

static const char usage_tail[] =
    "                                 the client settings of module 'default', as in tdsprobe\n"
    "  -h, --help                     this help;   --version   the version\n"
    "\n"
    "Targets come from scrapers: they may not name files on this host (a connection string's\n"
    "ServerCertificate=, trustStore=, certificate=). /probe?...&debug=true answers with the\n"
    "text report, the metrics and the module. Stops on SIGTERM or SIGINT; SIGHUP reloads\n"
    "--config.\n";

static void print_usage(void)
{
    fputs(usage_head, stdout);
    probe_options_list(stdout, PROBE_SPELL_KEY, 33, 93);
    fputs(usage_limits, stdout);
    probe_options_list(stdout, PROBE_SPELL_OPTION, 2, 80);
    fputs(usage_tail, stdout);
}

enum {
    OPT_LISTEN = 256, OPT_CONFIG, OPT_MAXC, OPT_TIMEOUT, OPT_ALLOW, OPT_VERSION, OPT_PROTOCOLS,
    OPT_CIPHERS, OPT_REQUIRE, OPT_IGNORE, OPT_WARN, OPT_CRIT,
};

/* The options of this front end; the client options come from probe_options[]. */
static const struct option serve_opts[] = {
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "max-concurrency", required_argument, NULL, OPT_MAXC },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "allow-targets", required_argument, NULL, OPT_ALLOW },
    { "protocols", no_argument, NULL, OPT_PROTOCOLS },
    { "ciphers", no_argument, NULL, OPT_CIPHERS },
    { "require-tls12-only", no_argument, NULL, OPT_REQUIRE },
    { "ignore", required_argument, NULL, OPT_IGNORE },
    { "warn-days", required_argument, NULL, OPT_WARN },
    { "crit-days", required_argument, NULL, OPT_CRIT },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

struct serve_args {
    struct server *srv;
    const char *listen;
};

/* Options that set a run key of module "default" (probe_module_run_set): the key is the
 * option's name with '_' for '-'. */
static const struct {
    int id;
    const char *key;
} run_options[] = {
    { OPT_PROTOCOLS, "protocols" },   { OPT_CIPHERS, "ciphers" },
    { OPT_REQUIRE, "require_tls12_only" }, { OPT_IGNORE, "ignore" },
    { OPT_WARN, "warn_days" },        { OPT_CRIT, "crit_days" },
};

/* Returns 1 when id is one of run_options (set, or a usage error in *rc), else 0. */
static int run_option(struct serve_args *a, int id, const char *val, int *rc)
{
    char err[300];

    for (size_t i = 0; i < sizeof(run_options) / sizeof(run_options[0]); i++) {
        if (run_options[i].id != id) {
            continue;
        }
        *rc = 0;
        if (probe_module_run_set(&a->srv->modules->run, run_options[i].key, val ? val : "true",
                                 err, sizeof(err)) != 0) {
            *rc = probe_usage_error(PROG, "%s", err);
        }
        return 1;
    }
    return 0;
}

/* Every option but the client options (probe_overrides_getopt takes those). */
static int serve_option(void *arg, int id, const char *val)
{
    struct serve_args *a = arg;
    char err[600];
    double n;
    int rc;

    if (run_option(a, id, val, &rc)) {
        return rc;
    }
    switch (id) {
    case 'h':
        print_usage();
        exit(0);
    case OPT_VERSION:
        printf("tdsprobe %s\n", probe_version());
        exit(0);
    case OPT_LISTEN:
        a->listen = val;
        return 0;
    case OPT_CONFIG:
        a->srv->config = val;
        return 0;
    case OPT_MAXC:
        rc = probe_option_number(PROG, "max-concurrency", val, &n);
        a->srv->max_concurrency = rc == 0 ? (unsigned)n : a->srv->max_concurrency;
        return rc;
    case OPT_TIMEOUT:
        return probe_option_timeout(PROG, val, &a->srv->modules->run.timeout_s);
    case OPT_ALLOW:
        if (probe_allow_parse(&a->srv->modules->allow, val, err, sizeof(err)) != 0) {
            return probe_usage_error(PROG, "--allow-targets: %s", err);
        }
        return 0;
    default:
        return probe_usage_error(PROG, "%s", "unknown option");
    }
}

static int serve_parse_args(struct serve_args *a, int argc, char **argv)
{
    struct probe_modules *m = a->srv->modules;
    char err[800];
    int rc = probe_overrides_getopt(&m->defaults, PROG, argc, argv, "h", serve_opts,
                                    serve_option, a);

    if (rc != 0) {
        return rc;
    }
    if (optind < argc) {
        return probe_usage_error(PROG, "unexpected argument '%s' (targets come from scrapers)",
                                 argv[optind]);
    }
    if (a->srv->config && probe_modules_load(m, a->srv->config, err, sizeof(err)) != 0) {
        return probe_usage_error(PROG, "%s", err);
    }
    return 0;
}

/* "127.0.0.1:9717", "[::1]:9717", ":9717" (every IPv4 address). */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
    const char *colon = strrchr(s, ':');
    char host[64];

    if (!colon || (size_t)(colon - s) >= sizeof(host)) {
        return -1;
    }
    double port;
    if (probe_number_parse(probe_number_by_name("listen"), colon + 1, &port) != 0) {
        return -1;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host[n - 1] = '\0';
        return uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss) ? -1 : 0;
    }
    return uv_ip4_addr(n ? host : "0.0.0.0", (int)port, (struct sockaddr_in *)ss) ? -1 : 0;
}

static void print_listening(uv_tcp_t *tcp)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char name[64] = "?";
    unsigned port = 0;

    uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len);
    if (ss.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&ss, name, sizeof(name));
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        printf("tdsprobe serve: listening on http://[%s]:%u/\n", name, port);
    } else {
        uv_ip4_name((struct sockaddr_in *)&ss, name, sizeof(name));
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        printf("tdsprobe serve: listening on http://%s:%u/\n", name, port);
    }
    fflush(stdout);
}

static int server_listen(struct server *srv, const char *addr)
{
    struct sockaddr_storage ss;
    int rc;

    memset(&ss, 0, sizeof(ss));
    if (parse_listen(addr, &ss) != 0) {
        char takes[128];
        return probe_usage_error(PROG, "--listen takes %s, not '%s'",
                                 probe_number_takes(probe_number_by_name("listen"), takes,
                                                    sizeof(takes)), addr);
    }
    uv_tcp_init(&srv->loop, &srv->listener);
    srv->listener.data = srv;
    rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&srv->listener, SERVE_BACKLOG, serve_on_connection);
    }
    if (rc != 0) {
        fprintf(stderr, "tdsprobe serve: cannot listen on %s: %s\n", addr, uv_strerror(rc));
        uv_close((uv_handle_t *)&srv->listener, NULL);
        return PROBE_EXIT_SERVE_FAILED;
    }
    print_listening(&srv->listener);
    return 0;
}

/* The connection limits, within the descriptors this process may open: the soft limit is
 * raised to the hard one (probe_fds_raise), and each probe in flight keeps a socket and maybe a
 * UDP one (SQL Server Browser). A peer may hold every probe slot and SERVE_PEER_SPARE more. */
static void fit_limits(struct server *srv)
{
    size_t spare = (size_t)srv->max_concurrency * 2 + SERVE_FD_SPARE;
    size_t need = SERVE_MAX_CONNS + spare;
    size_t have = probe_fds_raise();

    srv->max_conns = SERVE_MAX_CONNS;
    if (have != 0 && have < need) {
        srv->max_conns = have > spare + 16 ? have - spare : 16;
    }
    srv->soft_conns = srv->max_conns - srv->max_conns / 8;
    size_t per_peer = (size_t)srv->max_concurrency + SERVE_PEER_SPARE;
    srv->peer_max = per_peer < srv->soft_conns ? per_peer : srv->soft_conns;
}

/* Says so on stderr when anyone beyond this host may reach an exporter that probes anything. */
static void warn_if_open(const struct server *srv, const char *addr)
{
    bool loopback = strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]:", 6) == 0;
    bool limited = srv->modules->allow.on;

    for (size_t i = 0; i < srv->modules->n && limited; i++) {
        limited = srv->modules->mods[i].allow.on;
    }
    if (!loopback && !limited) {
        fprintf(stderr, "tdsprobe serve: warning: listening on %s with no --allow-targets: "
                "whoever reaches it can make it probe any host and port\n", addr);
    }
}

static int server_run(struct server *srv, const char *addr)
{
    struct probe_engine_opts eo = { .concurrency = srv->max_concurrency,
                                    .timeout_s = srv->modules->run.timeout_s,
                                    .on_result = serve_on_result, .arg = srv };
    int rc;

    if (probe_engine_new(&srv->engine, &srv->loop, &eo) != 0) {
        fputs("tdsprobe serve: out of memory\n", stderr);
        return PROBE_EXIT_SERVE_FAILED;
    }
    fit_limits(srv);
    rc = server_listen(srv, addr);
    if (rc == 0) {
        warn_if_open(srv, addr);
        uv_signal_init(&srv->loop, &srv->sig_term);
        uv_signal_init(&srv->loop, &srv->sig_int);
        uv_signal_init(&srv->loop, &srv->sig_hup);
        srv->sig_term.data = srv->sig_int.data = srv->sig_hup.data = srv;
        uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
        uv_signal_start(&srv->sig_int, on_signal, SIGINT);
        uv_signal_start(&srv->sig_hup, on_signal, SIGHUP);
        uv_prepare_init(&srv->loop, &srv->ticker);
        srv->ticker.data = srv;
        uv_prepare_start(&srv->ticker, serve_on_tick);
        uv_unref((uv_handle_t *)&srv->ticker);
        srv->t_start = uv_hrtime();
        srv->reload_ok = true;
        srv->reload_time = wall_time();
    }
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    probe_engine_free(srv->engine);
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    return rc;
}

int probe_serve_main(int argc, char **argv)
{
    struct server *srv = calloc(1, sizeof(*srv));
    struct serve_args a = { .srv = srv, .listen = "127.0.0.1:9717" };
    struct sigaction ign = { .sa_handler = SIG_IGN };
    int rc;

    if (srv) {
        srv->modules = calloc(1, sizeof(*srv->modules));
    }
    if (!srv || !srv->modules) {
        free(srv);
        fputs("tdsprobe serve: out of memory\n", stderr);
        return PROBE_EXIT_SERVE_FAILED;
    }
    probe_overrides_init(&srv->modules->defaults);
    probe_module_run_init(&srv->modules->run);
    srv->max_concurrency = 64;
    rc = serve_parse_args(&a, argc, argv);
    if (rc == 0) {
        sigaction(SIGPIPE, &ign, NULL); /* a scraper gone mid-write is an error code, not death */
        /* getaddrinfo runs on libuv's thread pool: size it so resolution never starves. */
        setenv("UV_THREADPOOL_SIZE", "64", 0);
        uv_loop_init(&srv->loop);
        rc = server_run(srv, a.listen);
        if (uv_loop_close(&srv->loop) != 0) {
            fputs("tdsprobe serve: handles left open at exit\n", stderr);
            rc = PROBE_EXIT_SERVE_FAILED;
        }
    }
    free(srv->modules);
    free(srv);
    return rc;
}
