/* tests/fakesql/server.c: start-up, listeners, readiness, and a clean exit.
 *
 * Usage: fakesql --config FILE [--ready-file PATH] [--quiet]
 *
 * Readiness: once every listener is bound, one line per listener goes to stdout
 * ("fakesql: listening tcp 127.0.0.1:NNNN", "... udp ...") and, with --ready-file, the same
 * lines are written to PATH atomically (a temporary file renamed into place), so a test can
 * wait for the file instead of racing the port.
 */
#include "fakesql.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <openssl/err.h>

#define EXIT_USAGE 64
#define EXIT_CONFIG 2
#define BACKLOG 1024

static const char usage[] =
    "usage: fakesql --config FILE [--ready-file PATH] [--quiet]\n"
    "\n"
    "A SQL Server stand-in for tests and labs: answers TDS PRELOGIN, runs TLS inside TDS\n"
    "(or first, TDS 8.0 strict), and fails every LOGIN7 with error 18456.\n"
    "\n"
    "  --config FILE      mssql.conf-style settings: [network] tlscert, tlskey, tlsprotocols,\n"
    "                     tlsciphers, forceencryption, tcpport, ipaddress; [fakesql] lab\n"
    "                     settings (see samples/lab/README.md)\n"
    "  --ready-file PATH  once listening, write the 'listening' lines to PATH (atomically)\n"
    "  --quiet            no per-connection log lines on stderr\n"
    "  --help             this text\n"
    "\n"
    "stdout: 'fakesql: listening tcp ADDR:PORT' per listener (and udp for the browser).\n"
    "stderr: one line per connection with its outcome. SIGTERM/SIGINT: clean exit.\n";

void fsql_addr_format(const struct sockaddr_storage *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)a;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(buf, cap, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
        return;
    }
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)a;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
    snprintf(buf, cap, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
}

uint16_t fsql_addr_port(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET6) {
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    }
    return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

/* Thousands of listeners (address ranges) need thousands of descriptors. */
static void raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            fprintf(stderr, "fakesql: cannot raise RLIMIT_NOFILE: %s\n", strerror(errno));
        }
    }
}

static void on_connection(uv_stream_t *s, int status)
{
    struct fsql_listener *l = s->data;

    if (status == 0 && !l->srv->stopping) {
        fsql_conn_accept(l);
    }
}

static int bind_one(struct fsql_server *srv, struct fsql_listener *l, char *err, size_t cap)
{
    char name[80];
    int len = sizeof(l->addr);
    int rc;

    l->srv = srv;
    fsql_addr_format(&l->ep->addr, name, sizeof(name));
    uv_tcp_init(srv->loop, &l->tcp);
    l->tcp.data = l;
    rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&l->ep->addr, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&l->tcp, BACKLOG, on_connection);
    }
    if (rc == 0) {
        rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&l->addr, &len);
    }
    if (rc != 0) {
        snprintf(err, cap, "cannot listen on tcp %s: %s", name, uv_strerror(rc));
    }
    return rc;
}

static int bind_all(struct fsql_server *srv, char *err, size_t cap)
{
    const struct fsql_config *cfg = srv->cfg;

    srv->listeners = calloc(cfg->n_endpoints, sizeof(*srv->listeners));
    if (srv->listeners == NULL) {
        snprintf(err, cap, "out of memory for %zu listeners", cfg->n_endpoints);
        return -1;
    }
    for (size_t i = 0; i < cfg->n_endpoints; i++) {
        srv->listeners[i].ep = &cfg->endpoints[i];
        srv->n_listeners = i + 1;
        if (bind_one(srv, &srv->listeners[i], err, cap) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The readiness lines: the ready file first (renamed into place), then stdout, so whoever
 * sees either can rely on both. */
static int announce(struct fsql_server *srv, const char *ready_file)
{
    char tmp[4096 + 8];
    FILE *f = NULL;
    char name[80];

    if (ready_file != NULL) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", ready_file);
        f = fopen(tmp, "w");
        if (f == NULL) {
            fprintf(stderr, "fakesql: --ready-file %s: %s\n", tmp, strerror(errno));
            return -1;
        }
    }
    for (int pass = f != NULL ? 0 : 1; pass < 2; pass++) {
        FILE *out = pass == 0 ? f : stdout;
        for (size_t i = 0; i < srv->n_listeners + srv->n_browsers; i++) {
            bool tcp = i < srv->n_listeners;
            fsql_addr_format(tcp ? &srv->listeners[i].addr
                                 : &srv->browsers[i - srv->n_listeners].addr,
                             name, sizeof(name));
            fprintf(out, "fakesql: listening %s %s\n", tcp ? "tcp" : "udp", name);
        }
        if (pass == 0 && (fclose(f) != 0 || rename(tmp, ready_file) != 0)) {
            fprintf(stderr, "fakesql: --ready-file %s: %s\n", ready_file, strerror(errno));
            return -1;
        }
    }
    fflush(stdout);
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) {
        uv_close(h, NULL);
    }
}

static void stop(struct fsql_server *srv)
{
    if (srv->stopping) {
        return;
    }
    srv->stopping = true;
    fsql_conn_close_all(srv);
    /* listeners, browsers and signal handles have no per-handle memory to free */
    uv_walk(srv->loop, close_walk, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
    stop(s->data);
}

static void describe(const struct fsql_server *srv)
{
    const struct fsql_config *cfg = srv->cfg;
    const struct fsql_tls *t = &srv->tls;
    char versions[64];

    if (cfg->quiet) {
        return;
    }
    if (cfg->not_supported) {
        fprintf(stderr, "fakesql: encryption not supported (no certificate)\n");
        return;
    }
    fprintf(stderr, "fakesql: certificate %s%s; protocols %s; security level %d\n", t->subject,
            t->fallback ? " (self-signed fallback, made at start-up)" : "",
            fsql_tls_version_list(cfg->protocols, versions, sizeof(versions)), cfg->seclevel);
    if (!t->usable) {
        fprintf(stderr, "fakesql: warning: %s; PRELOGIN is answered, handshakes will fail\n",
                t->why);
    }
}

static int run(struct fsql_server *srv, const char *ready_file)
{
    char err[512];

    if (fsql_tls_init(&srv->tls, srv->cfg, err, sizeof(err)) != 0 ||
        bind_all(srv, err, sizeof(err)) != 0 || fsql_browser_start(srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "fakesql: %s\n", err);
        stop(srv);
        uv_run(srv->loop, UV_RUN_DEFAULT);
        return EXIT_CONFIG;
    }
    describe(srv);
    uv_signal_init(srv->loop, &srv->sig_term);
    uv_signal_init(srv->loop, &srv->sig_int);
    srv->sig_term.data = srv->sig_int.data = srv;
    uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
    uv_signal_start(&srv->sig_int, on_signal, SIGINT);
    if (announce(srv, ready_file) != 0) {
        stop(srv);
        uv_run(srv->loop, UV_RUN_DEFAULT);
        return EXIT_CONFIG;
    }
    uv_run(srv->loop, UV_RUN_DEFAULT);
    return 0;
}

struct args {
    const char *config;
    const char *ready_file;
    bool quiet;
};

static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            a->config = argv[++i];
        } else if (strcmp(argv[i], "--ready-file") == 0 && i + 1 < argc) {
            a->ready_file = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->quiet = true;
        } else {
            fprintf(stderr, "fakesql: unknown or incomplete option '%s'\n%s", argv[i], usage);
            return -1;
        }
    }
    if (a->config == NULL) {
        fprintf(stderr, "fakesql: --config FILE is required\n%s", usage);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct args a = { 0 };
    struct fsql_config cfg;
    char err[1200];
    int rc;

    if (parse_args(argc, argv, &a) != 0) {
        return EXIT_USAGE;
    }
    fsql_config_defaults(&cfg);
    if (fsql_config_load(&cfg, a.config, err, sizeof(err)) != 0) {
        fprintf(stderr, "fakesql: %s\n", err);
        fsql_config_free(&cfg);
        return EXIT_CONFIG;
    }
    cfg.quiet = cfg.quiet || a.quiet;
    signal(SIGPIPE, SIG_IGN); /* a client that resets mid-write must not kill the server */
    raise_nofile();
    /* The settings come from the config file alone, not from the system's openssl.cnf. */
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

    struct fsql_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        fsql_config_free(&cfg);
        return EXIT_CONFIG;
    }
    srv->loop = uv_default_loop();
    srv->cfg = &cfg;
    rc = run(srv, a.ready_file);
    fsql_tls_free(&srv->tls);
    uv_loop_close(srv->loop);
    free(srv->listeners);
    free(srv->browsers);
    free(srv);
    fsql_config_free(&cfg);
    return rc;
}
