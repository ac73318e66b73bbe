/* tests/unit/test_tls13_openssl.c: the TLS 1.3 client against a real, independent TLS 1.3
 * server: `openssl s_server -tls1_3 -alpn tds/8.0` (OpenSSL 3.0 on Debian bookworm) with the
 * certificate kit (tests/certs/make-certs.sh), over a loopback socket that this test drives
 * while the client stays sans-I/O. RSA (RSA-PSS) and ECDSA leaves, the three suites, a
 * HelloRetryRequest, a chain over 4 KB and one over 16 KB (several records per message). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls/tls13_client.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_version.h"

struct server {
    pid_t pid;
    uint16_t port;
    char log[64]; /* s_server's stdout */
    int stdin_w;  /* s_server ends the connection when its stdin ends: held open until stop */
};

static uint16_t free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Starts s_server for one connection with a certificate, its key, the chain file sent after it,
 * and extra s_server arguments (NULL-terminated). */
static void start(struct server *s, const char *cert, const char *key, const char *chain,
                  const char *const *extra)
{
    char port[16], accept_arg[32];
    const char *argv[32];
    size_t n = 0;

    s->port = free_port();
    snprintf(port, sizeof(port), "%u", s->port);
    snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%s", port);
    argv[n++] = "openssl";
    argv[n++] = "s_server";
    argv[n++] = "-accept";
    argv[n++] = accept_arg;
    argv[n++] = "-tls1_3";
    argv[n++] = "-alpn";
    argv[n++] = "tds/8.0";
    argv[n++] = "-naccept";
    argv[n++] = "1";
    argv[n++] = "-cert";
    argv[n++] = cert;
    argv[n++] = "-key";
    argv[n++] = key;
    argv[n++] = "-cert_chain";
    argv[n++] = chain;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    int in[2];

    snprintf(s->log, sizeof(s->log), "/tmp/tls13_openssl.XXXXXX");
    close(mkstemp(s->log));
    assert_int_equal(pipe(in), 0);
    s->stdin_w = in[1];
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        close(in[1]);
        if (dup2(in[0], 0) < 0 || freopen(s->log, "w", stdout) == NULL || dup2(1, 2) < 0) {
            _exit(126);
        }
        setenv("OPENSSL_CONF", "/dev/null", 1);
        execvp("openssl", (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
}

static int connect_retry(uint16_t port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

    for (int i = 0; i < 100; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct timespec ts = { 0, 50 * 1000 * 1000 };

        assert_true(fd >= 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            return fd;
        }
        close(fd);
        nanosleep(&ts, NULL);
    }
    fail_msg("openssl s_server did not start on port %u", port);
    return -1;
}

static void flush(struct tls13_client *c, int fd)
{
    size_t n;
    const uint8_t *p = tls13_client_out(c, &n);

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        assert_true(w > 0);
        tls13_client_out_ack(c, (size_t)w);
        p = tls13_client_out(c, &n);
    }
}

/* Runs the handshake over fd until the client stops; returns its last step. */
static enum tls_step drive(struct tls13_client *c, int fd)
{
    enum tls_step st = tls13_client_step(c);

    while (st == TLS_STEP_WANT_INPUT) {
        uint8_t buf[4096];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t r;

        flush(c, fd);
        assert_int_equal(poll(&p, 1, 10000), 1);
        r = read(fd, buf, sizeof(buf));
        if (r <= 0) {
            tls13_client_peer_closed(c, r < 0);
        } else {
            assert_int_equal(tls13_client_feed(c, buf, (size_t)r), 0);
        }
        st = tls13_client_step(c);
    }
    flush(c, fd);
    return st;
}

static void stop(struct server *s)
{
    int status = 0;

    close(s->stdin_w);
    for (int i = 0; i < 100 && waitpid(s->pid, &status, WNOHANG) == 0; i++) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };

        nanosleep(&ts, NULL);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
}

/* What s_server printed (stdout and stderr): "CIPHER is ..." once it accepted the client
 * Finished; "DONE" when the close_notify ended the connection ("ERROR" had it ended without
 * one). */
static void server_log(const struct server *s, char *out, size_t cap)
{
    FILE *f = fopen(s->log, "r");
    size_t n = f != NULL ? fread(out, 1, cap - 1, f) : 0;

    out[n] = '\0';
    if (f != NULL) {
        fclose(f);
    }
    unlink(s->log);
}

struct run {
    struct tls13_client *c;
    struct tls_config *cfg;
    char log[8192];
};

static void kit(char *out, size_t cap, const char *file)
{
    snprintf(out, cap, "%s/%s", TDSPROBE_CERTS, file);
}

/* One handshake against s_server with leaf `name` (kit files name.crt / name.key) and chain
 * file `chain` from the kit. */
static enum tls_step handshake(struct run *r, const char *name, const char *chain,
                               bool x25519_only, const char *const *extra)
{
    char cert[512], key[512], chain_path[512], ca[512], err[200], file[64];
    struct tls_config_opts co = { .min_version = TLS_V12, .max_version = TLS_V12 };
    struct tls13_client_opts o = { .sni = "localhost", .alpn = "tds/8.0",
                                   .x25519_only = x25519_only };
    struct server s;
    enum tls_step st;
    int fd;

    snprintf(file, sizeof(file), "%s.crt", name);
    kit(cert, sizeof(cert), file);
    snprintf(file, sizeof(file), "%s.key", name);
    kit(key, sizeof(key), file);
    kit(chain_path, sizeof(chain_path), chain);
    kit(ca, sizeof(ca), "ca.pem");
    co.ca_file = ca;
    assert_int_equal(tls_config_new(&r->cfg, &co, err, sizeof(err)), 0);
    o.cfg = r->cfg;
    assert_int_equal(tls13_client_new(&r->c, &o, err, sizeof(err)), 0);
    start(&s, cert, key, chain_path, extra);
    fd = connect_retry(s.port);
    st = drive(r->c, fd);
    close(fd);
    stop(&s);
    server_log(&s, r->log, sizeof(r->log));
    return st;
}

static void done(struct run *r)
{
    tls13_client_free(r->c);
    tls_config_free(r->cfg);
}

/* The common checks of a completed handshake with a kit chain that verifies. */
static void assert_verified(const struct run *r, size_t chain_len)
{
    const struct tls_info *info = tls13_client_info(r->c);
    const struct tls13_facts *f = tls13_client_facts(r->c);

    assert_int_equal(info->version, TLS_V13);
    assert_string_equal(info->alpn, "tds/8.0");
    assert_int_equal(info->chain_len, chain_len);
    assert_string_equal(info->chain[0].subject_cn, "localhost");
    assert_true(f->cert_verify_ok);
    assert_true(f->finished_ok);
    assert_true(info->verified_path);
    assert_int_equal(info->verify_result, 0);
    assert_int_equal(info->stage, TLS_STAGE_DONE);
    /* the server took the client Finished and then the close_notify */
    assert_non_null(strstr(r->log, "CIPHER is TLS_"));
    assert_non_null(strstr(r->log, "DONE"));
    assert_null(strstr(r->log, "ERROR"));
    assert_null(strstr(r->log, "error:"));
}

static void test_rsa_pss(void **state)
{
    struct run r;
    (void)state;

    assert_int_equal(handshake(&r, "good", "int.pem", false, NULL), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_int_equal(tls13_client_info(r.c)->cipher_id, 0x1301);
    assert_string_equal(tls13_client_info(r.c)->sig_scheme, "rsa_pss_rsae_sha256");
    assert_string_equal(tls13_client_info(r.c)->group, "x25519");
    assert_string_equal(tls13_client_info(r.c)->sig_scheme, "rsa_pss_rsae_sha256");
    assert_false(tls13_client_facts(r.c)->hello_retry);
    done(&r);
}

static void test_ecdsa(void **state)
{
    struct run r;
    (void)state;

    assert_int_equal(handshake(&r, "ecdsa", "int.pem", false, NULL), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_string_equal(tls13_client_info(r.c)->sig_scheme, "ecdsa_secp256r1_sha256");
    assert_string_equal(tls13_client_info(r.c)->chain[0].key_type, "EC");
    done(&r);
}

static void test_suites(void **state)
{
    static const char *const aes256[] = { "-ciphersuites", "TLS_AES_256_GCM_SHA384", NULL };
    static const char *const chacha[] = { "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256",
                                          NULL };
    struct run r;
    (void)state;

    assert_int_equal(handshake(&r, "good", "int.pem", false, aes256), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_string_equal(tls13_client_info(r.c)->cipher, "TLS_AES_256_GCM_SHA384");
    done(&r);
    assert_int_equal(handshake(&r, "good", "int.pem", false, chacha), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_string_equal(tls13_client_info(r.c)->cipher, "TLS_CHACHA20_POLY1305_SHA256");
    done(&r);
}

/* RFC 8446 4.1.4: the server wants a group the first ClientHello has no share for. */
static void test_hello_retry(void **state)
{
    static const char *const p384[] = { "-groups", "P-384", NULL };
    static const char *const p256[] = { "-groups", "P-256", NULL };
    struct run r;
    (void)state;

    assert_int_equal(handshake(&r, "good", "int.pem", false, p384), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_true(tls13_client_facts(r.c)->hello_retry);
    assert_string_equal(tls13_client_info(r.c)->group, "secp384r1");
    done(&r);
    /* an x25519-only first ClientHello meets a P-256-only server */
    assert_int_equal(handshake(&r, "ecdsa", "int.pem", true, p256), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_true(tls13_client_facts(r.c)->hello_retry);
    assert_string_equal(tls13_client_info(r.c)->group, "secp256r1");
    done(&r);
}

/* RFC 8446 4.3.2 and 4.4.2: the server asks for a client certificate (optional with -verify);
 * the client answers with an empty Certificate before its Finished, and the server takes it. */
static void test_certificate_request(void **state)
{
    static const char *const ask[] = { "-verify", "1", NULL };
    struct run r;
    (void)state;

    assert_int_equal(handshake(&r, "good", "int.pem", false, ask), TLS_STEP_DONE);
    assert_verified(&r, 2);
    assert_true(tls13_client_facts(r.c)->cert_request);
    done(&r);
}

static size_t chain_bytes(const struct tls_info *info)
{
    size_t n = 0;

    for (size_t i = 0; i < info->chain_len; i++) {
        n += info->chain[i].der_len;
    }
    return n;
}

/* The kit's bigchain: RSA-4096 leaf and two intermediates, over 4 KB. */
static void test_chain_over_4k(void **state)
{
    struct run r;
    (void)state;

    assert_int_equal(handshake(&r, "bigchain", "bigchain-int.pem", false, NULL), TLS_STEP_DONE);
    assert_verified(&r, 3);
    assert_true(chain_bytes(tls13_client_info(r.c)) > 4096);
    done(&r);
}

/* Twelve certificates, over 16 KB in the ten the report keeps: the Certificate message spans
 * two records or more. */
static void test_chain_over_16k(void **state)
{
    struct run r;
    const struct tls_info *info;
    (void)state;

    assert_int_equal(handshake(&r, "bigchain", "chain16k.pem", false, NULL), TLS_STEP_DONE);
    info = tls13_client_info(r.c);
    assert_int_equal(info->chain_len, 10);
    assert_true(chain_bytes(info) > 16384);
    assert_true(tls13_client_facts(r.c)->finished_ok);
    done(&r);
}

/* Builds the chain files the kit does not have: bigchain's two intermediates alone, and a
 * 16 KB+ chain (bigchain's intermediates, then its 2.5 KB leaf repeated: s_server sends
 * -cert_chain as given). */
static int make_chain_files(void **state)
{
    static const char *const parts16k[] = { "big2.pem", "big1.pem", "bigchain.crt",
                                            "bigchain.crt", "bigchain.crt", "bigchain.crt",
                                            "bigchain.crt", "bigchain.crt", "bigchain.crt",
                                            "bigchain.crt", "bigchain.crt" };
    char path[512], cmd[2048];
    int off;
    (void)state;

    kit(path, sizeof(path), "");
    snprintf(cmd, sizeof(cmd), "cd '%s' && cat big2.pem big1.pem > bigchain-int.pem", path);
    assert_int_equal(system(cmd), 0);
    off = snprintf(cmd, sizeof(cmd), "cd '%s' && cat", path);
    for (size_t i = 0; i < sizeof(parts16k) / sizeof(parts16k[0]); i++) {
        off += snprintf(cmd + off, sizeof(cmd) - (size_t)off, " %s", parts16k[i]);
    }
    snprintf(cmd + off, sizeof(cmd) - (size_t)off, " > chain16k.pem");
    assert_int_equal(system(cmd), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_pss),
        cmocka_unit_test(test_ecdsa),
        cmocka_unit_test(test_suites),
        cmocka_unit_test(test_hello_retry),
        cmocka_unit_test(test_certificate_request),
        cmocka_unit_test(test_chain_over_4k),
        cmocka_unit_test(test_chain_over_16k),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, make_chain_files, NULL);
}
