/* bench/bench_fakesql.c: how many full TDS 7.x handshakes per second fakesql serves on one core.
 *
 * Starts fakesql pinned to one CPU (taskset), with an ECDSA P-256 certificate from the kit, then
 * drives N parallel clients on another CPU: TCP connect, PRELOGIN (ENCRYPT_ON), the PRELOGIN
 * reply, a full TLS 1.2 handshake inside 0x12 packets (OpenSSL client over memory BIOs), close,
 * repeat. fakesql's CPU time comes from /proc/PID/stat, so the report has both the measured rate
 * and fakesql's CPU per handshake (what one core could do if the clients were faster).
 *
 * Usage: bench_fakesql --fakesql PATH --certs DIR [--seconds S] [--warmup S] [--clients N]
 *                      [--server-cpu C] [--client-cpu C] [--cert NAME] [--min-rate R]
 *                      [--client lite|openssl]
 *
 * --client lite (default) uses bench_fakesql_lite.c, a minimal TLS 1.2 client cheap enough that
 * one client core can saturate one fakesql core; --client openssl uses full OpenSSL clients
 * (certificate parsing and all), which on a two-core machine cannot keep fakesql busy.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "bench_fakesql_lite.h"
#include "tds/tds_packet.h"
#include "tds/tds_prelogin.h"

struct opts {
    const char *fakesql;
    const char *certs;
    const char *cert;
    double seconds;
    double warmup;
    unsigned clients;
    int server_cpu;
    int client_cpu;
    double min_rate;
    bool openssl_client; /* full OpenSSL clients instead of the minimal one */
};

struct bench {
    uv_loop_t *loop;
    const struct opts *o;
    SSL_CTX *ctx;
    struct sockaddr_in addr;
    pid_t pid;
    bool running;
    bool counting;
    unsigned long handshakes;
    unsigned long errors;
    uint8_t rbuf[65536];
};

enum phase { PH_CONNECTING, PH_PRELOGIN, PH_TLS };

struct slot {
    uv_tcp_t tcp;
    uv_connect_t connect;
    struct bench *b;
    enum phase phase;
    SSL *ssl;
    BIO *rbio;
    BIO *wbio;
    struct lite_tls *lite;
    struct tds_reasm reasm;
    uint8_t packet_id;
    bool failed;
};

static void slot_start(struct slot *s);

/* ---- fakesql ---- */

static int write_config(const struct opts *o, const char *path)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        return -1;
    }
    fprintf(f, "[network]\ntlscert = %s/%s.crt\ntlskey = %s/%s.key\ntcpport = 0\n"
               "ipaddress = 127.0.0.1\n[fakesql]\nquiet = %d\n",
            o->certs, o->cert, o->certs, o->cert, getenv("BENCH_FAKESQL_LOG") == NULL);
    return fclose(f);
}

static pid_t spawn_fakesql(const struct opts *o, const char *conf, const char *ready)
{
    char cpu[16];
    pid_t pid;

    snprintf(cpu, sizeof(cpu), "%d", o->server_cpu);
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO); /* its "listening" lines: we read the ready file */
        }
        /* taskset execs fakesql, so this pid is fakesql's */
        execlp("taskset", "taskset", "-c", cpu, o->fakesql, "--config", conf, "--ready-file",
               ready, (char *)NULL);
        perror("bench_fakesql: taskset");
        _exit(127);
    }
    return pid;
}

/* Waits for the ready file and reads the port from its first line. */
static int wait_ready(pid_t pid, const char *ready, uint16_t *port)
{
    char line[256];

    for (int i = 0; i < 3000; i++) {
        FILE *f = fopen(ready, "r");
        if (f != NULL) {
            char *got = fgets(line, sizeof(line), f);
            fclose(f);
            char *colon = got ? strrchr(line, ':') : NULL;
            if (colon == NULL) {
                return -1;
            }
            *port = (uint16_t)strtoul(colon + 1, NULL, 10);
            return 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            return -1;
        }
        usleep(10000);
    }
    return -1;
}

/* utime + stime of pid, in seconds. */
static double cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* fields after the ")" of comm: state is field 3; utime and stime are fields 14 and 15 */
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    for (int field = 2; p != NULL && field < 15; field++) {
        p = strchr(p + 1, ' ');
        if (p != NULL && field == 13) {
            ut = strtoull(p + 1, NULL, 10);
        }
        if (p != NULL && field == 14) {
            st = strtoull(p + 1, NULL, 10);
        }
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- one client ---- */

static void on_closed(uv_handle_t *h)
{
    struct slot *s = h->data;

    SSL_free(s->ssl);
    s->ssl = NULL;
    lite_free(s->lite);
    s->lite = NULL;
    tds_reasm_free(&s->reasm);
    if (s->b->running) {
        slot_start(s);
    }
}

static void slot_end(struct slot *s, bool ok)
{
    if (uv_is_closing((uv_handle_t *)&s->tcp)) {
        return;
    }
    if (s->b->counting) {
        if (ok) {
            s->b->handshakes++;
        } else {
            s->b->errors++;
        }
    }
    uv_close((uv_handle_t *)&s->tcp, on_closed);
}

static void on_written(uv_write_t *w, int status)
{
    free(w);
}

static void send_bytes(struct slot *s, uint8_t type, const uint8_t *p, size_t n)
{
    size_t cap = tds_packetized_size(n, TDS_DEFAULT_PACKET);
    uv_write_t *w = malloc(sizeof(*w) + cap);

    if (w == NULL) {
        slot_end(s, false);
        return;
    }
    uint8_t *out = (uint8_t *)(w + 1);
    size_t len = tds_packetize(type, p, n, TDS_DEFAULT_PACKET, &s->packet_id, out, cap);
    uv_buf_t buf = uv_buf_init((char *)out, (unsigned)len);
    if (uv_write(w, (uv_stream_t *)&s->tcp, &buf, 1, on_written) != 0) {
        free(w);
        slot_end(s, false);
    }
}

static void drive(struct slot *s)
{
    uint8_t out[16384];
    int r = SSL_do_handshake(s->ssl);
    int pending;

    while ((pending = BIO_read(s->wbio, out, sizeof(out))) > 0) {
        send_bytes(s, TDS_PKT_PRELOGIN, out, (size_t)pending);
    }
    if (r == 1) {
        slot_end(s, true);
    } else if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ) {
        slot_end(s, false);
    }
}

static void on_prelogin_reply(struct slot *s, const uint8_t *p, size_t n)
{
    struct tds_prelogin pl;
    struct tds_error e;

    tds_error_clear(&e);
    if (tds_prelogin_parse(p, n, &pl, &e) != TDS_ERR_OK || !pl.has_encryption ||
        pl.encryption != TDS_ENC_ON) {
        slot_end(s, false);
        return;
    }
    s->phase = PH_TLS;
    if (!s->b->o->openssl_client) {
        uint8_t hello[512];
        size_t len;
        s->lite = lite_new();
        len = s->lite ? lite_client_hello(s->lite, hello, sizeof(hello)) : 0;
        if (len == 0) {
            slot_end(s, false);
        } else {
            send_bytes(s, TDS_PKT_PRELOGIN, hello, len);
        }
        return;
    }
    s->ssl = SSL_new(s->b->ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    SSL_set_connect_state(s->ssl);
    drive(s);
}

static void on_packet(struct slot *s)
{
    struct tds_header h;
    size_t len;
    const uint8_t *payload = tds_reasm_packet(&s->reasm, &h, &len);

    if (s->phase == PH_TLS && s->lite != NULL) {
        uint8_t out[1024];
        size_t out_len;
        enum lite_step st = lite_feed(s->lite, payload, len, out, sizeof(out), &out_len);
        tds_reasm_discard(&s->reasm);
        tds_reasm_next(&s->reasm);
        if (st == LITE_SEND) {
            send_bytes(s, TDS_PKT_PRELOGIN, out, out_len);
        } else if (st != LITE_MORE) {
            slot_end(s, st == LITE_DONE);
        }
        return;
    }
    if (s->phase == PH_TLS) {
        BIO_write(s->rbio, payload, (int)len);
        tds_reasm_discard(&s->reasm);
        tds_reasm_next(&s->reasm);
        drive(s);
        return;
    }
    if (tds_reasm_message_ready(&s->reasm)) {
        const uint8_t *msg = tds_reasm_message(&s->reasm, NULL, &len);
        on_prelogin_reply(s, msg, len);
    }
    tds_reasm_next(&s->reasm);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct slot *s = h->data;
    *buf = uv_buf_init((char *)s->b->rbuf, sizeof(s->b->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct slot *s = st->data;
    const uint8_t *p = (const uint8_t *)buf->base;
    size_t n = nread > 0 ? (size_t)nread : 0;

    if (nread < 0) {
        slot_end(s, false);
        return;
    }
    while (n > 0 && !uv_is_closing((uv_handle_t *)&s->tcp)) {
        size_t used;
        if (tds_reasm_feed(&s->reasm, p, n, &used) != TDS_ERR_OK) {
            slot_end(s, false);
            return;
        }
        p += used;
        n -= used;
        if (tds_reasm_packet_ready(&s->reasm)) {
            on_packet(s);
        }
    }
}

static void on_connect(uv_connect_t *c, int status)
{
    struct slot *s = c->data;
    struct tds_prelogin_client pc = {
        .version = { .major = 16, .minor = 0, .build = 1000 },
        .encryption = TDS_ENC_ON,
    };
    uint8_t payload[256];
    size_t n;

    if (status != 0) {
        if (!uv_is_closing((uv_handle_t *)&s->tcp)) {
            slot_end(s, false);
        }
        return;
    }
    uv_tcp_nodelay(&s->tcp, 1);
    n = tds_prelogin_build_client(&pc, payload, sizeof(payload));
    s->phase = PH_PRELOGIN;
    send_bytes(s, TDS_PKT_PRELOGIN, payload, n);
    uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
}

static void slot_start(struct slot *s)
{
    s->phase = PH_CONNECTING;
    s->packet_id = 0;
    tds_reasm_init(&s->reasm, 64 * 1024);
    uv_tcp_init(s->b->loop, &s->tcp);
    s->tcp.data = s->connect.data = s;
    if (uv_tcp_connect(&s->connect, &s->tcp, (const struct sockaddr *)&s->b->addr, on_connect) !=
        0) {
        slot_end(s, false);
    }
}

/* ---- the run ---- */

struct phase_timer {
    uv_timer_t t;
    struct bench *b;
    double cpu0;
    uint64_t t0;
    double cpu;
    double elapsed;
    unsigned long hs;
};

static void on_measure_end(uv_timer_t *t)
{
    struct phase_timer *pt = (struct phase_timer *)t;
    struct bench *b = pt->b;

    pt->elapsed = (double)(uv_hrtime() - pt->t0) / 1e9;
    pt->cpu = cpu_seconds(b->pid) - pt->cpu0;
    pt->hs = b->handshakes;
    b->counting = false;
    b->running = false;
    uv_stop(b->loop);
}

static void on_warm(uv_timer_t *t)
{
    struct phase_timer *pt = (struct phase_timer *)t;
    struct bench *b = pt->b;

    b->counting = true;
    pt->t0 = uv_hrtime();
    pt->cpu0 = cpu_seconds(b->pid);
    uv_timer_start(t, on_measure_end, (uint64_t)(b->o->seconds * 1000), 0);
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        return NULL;
    }
    /* TDS 7.x: TLS 1.2 at most; no resumption, so every handshake is a full one */
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    /* A short offer keeps the client's own cost down (the clients share one CPU, and OpenSSL 3
     * checks every offered suite and group per ClientHello); the server still chooses. */
    if (SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256") != 1 ||
        SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1 ||
        SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void report(const struct bench *b, const struct phase_timer *pt)
{
    double rate = (double)pt->hs / pt->elapsed;
    double per = pt->hs ? pt->cpu / (double)pt->hs : 0;

    printf("bench_fakesql: %s certificate, TLS 1.2 inside TDS 0x12 packets, %u parallel %s "
           "clients\n", b->o->cert, b->o->clients, b->o->openssl_client ? "OpenSSL" : "lite");
    printf("bench_fakesql: fakesql pid %d pinned to CPU %d, clients on CPU %d\n", (int)b->pid,
           b->o->server_cpu, b->o->client_cpu);
    printf("handshakes: %lu in %.2f s = %.0f handshakes/s (errors: %lu)\n", pt->hs, pt->elapsed,
           rate, b->errors);
    printf("fakesql CPU: %.2f s user+sys = %.0f%% of one core, %.3f ms per handshake\n", pt->cpu,
           100.0 * pt->cpu / pt->elapsed, per * 1000);
    if (per > 0) {
        printf("one fully busy core would serve about %.0f handshakes/s\n", 1.0 / per);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_fakesql --fakesql PATH --certs DIR [--seconds 5] [--warmup 1]"
                    " [--clients 64]\n       [--server-cpu 0] [--client-cpu 1] [--cert ecdsa]"
                    " [--min-rate R]\n       [--client lite|openssl]\n");
    return 64;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ .cert = "ecdsa", .seconds = 5, .warmup = 1, .clients = 64,
                        .server_cpu = 0, .client_cpu = 1 };
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--fakesql") == 0) {
            o->fakesql = v;
        } else if (strcmp(k, "--certs") == 0) {
            o->certs = v;
        } else if (strcmp(k, "--cert") == 0) {
            o->cert = v;
        } else if (strcmp(k, "--seconds") == 0) {
            o->seconds = strtod(v, NULL);
        } else if (strcmp(k, "--warmup") == 0) {
            o->warmup = strtod(v, NULL);
        } else if (strcmp(k, "--clients") == 0) {
            o->clients = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--server-cpu") == 0) {
            o->server_cpu = (int)strtol(v, NULL, 10);
        } else if (strcmp(k, "--client-cpu") == 0) {
            o->client_cpu = (int)strtol(v, NULL, 10);
        } else if (strcmp(k, "--min-rate") == 0) {
            o->min_rate = strtod(v, NULL);
        } else if (strcmp(k, "--client") == 0 && strcmp(v, "lite") == 0) {
            o->openssl_client = false;
        } else if (strcmp(k, "--client") == 0 && strcmp(v, "openssl") == 0) {
            o->openssl_client = true;
        } else {
            return -1;
        }
    }
    if (argc % 2 == 0 || o->fakesql == NULL || o->certs == NULL || o->clients == 0 ||
        o->seconds <= 0) {
        return -1;
    }
    return 0;
}

static void pin_self(int cpu)
{
    cpu_set_t set;

    if (cpu < 0) {
        return;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "bench_fakesql: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
    }
}

static int run(struct bench *b, const struct opts *o)
{
    struct slot *slots = calloc(o->clients, sizeof(*slots));
    struct phase_timer pt = { .b = b };

    if (slots == NULL) {
        return 1;
    }
    b->running = true;
    for (unsigned i = 0; i < o->clients; i++) {
        slots[i].b = b;
        slot_start(&slots[i]);
    }
    uv_timer_init(b->loop, &pt.t);
    uv_timer_start(&pt.t, on_warm, (uint64_t)(o->warmup * 1000), 0);
    uv_run(b->loop, UV_RUN_DEFAULT);
    report(b, &pt);
    /* let the in-flight clients finish closing before the slots go away */
    uv_close((uv_handle_t *)&pt.t, NULL);
    uv_run(b->loop, UV_RUN_DEFAULT);
    free(slots);
    return o->min_rate > 0 && (double)pt.hs / pt.elapsed < o->min_rate ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bench b = { 0 };
    char dir[] = "/tmp/bench_fakesql.XXXXXX";
    char conf[64], ready[64];
    uint16_t port;
    int rc = 1;

    if (parse_opts(argc, argv, &o) != 0) {
        return usage();
    }
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    snprintf(conf, sizeof(conf), "%s/mssql.conf", dir);
    snprintf(ready, sizeof(ready), "%s/ready", dir);
    b.o = &o;
    if (write_config(&o, conf) != 0 || (b.pid = spawn_fakesql(&o, conf, ready)) < 0) {
        goto out;
    }
    if (wait_ready(b.pid, ready, &port) != 0) {
        fprintf(stderr, "bench_fakesql: fakesql did not start\n");
        goto out_kill;
    }
    pin_self(o.client_cpu);
    b.loop = uv_default_loop();
    b.ctx = client_ctx();
    uv_ip4_addr("127.0.0.1", port, &b.addr);
    rc = b.ctx ? run(&b, &o) : 1;
    SSL_CTX_free(b.ctx);
    uv_loop_close(b.loop);
out_kill:
    kill(b.pid, SIGTERM);
    waitpid(b.pid, NULL, 0);
out:
    unlink(conf);
    unlink(ready);
    rmdir(dir);
    return rc;
}
