/* probe_engine_cancel on a real libuv loop: a target cancelled in each state of its job
 * (queued, resolving, asking SQL Server Browser, connecting, exchanging, the follow-up
 * handshake, the audit in a step and in a pause) gets no result, gives its slot at once to the
 * next target (concurrency 1: the second target's result comes long before the first's
 * deadline), and leaves no handle behind (uv_loop_close succeeds). Cancelling a target whose
 * result was delivered is a no-op.
 *
 * The first target's server is a TCP listener in this test that speaks just enough TDS to put
 * the job where the test wants it: silence, a PRELOGIN reply of ENCRYPT_NOT_SUP (the client's
 * own connection ends: the audit starts), or ENCRYPT_ON and a close after the ClientHello (the
 * follow-up handshake starts). The Browser is a UDP socket that never answers. The second
 * target is a bound socket that does not listen: its connect is refused at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <uv.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"
#include "probe/engine/probe_engine.h"
#include "tds/tds_packet.h"
#include "tds/tds_prelogin.h"

#define DEADLINE_S 30.0 /* the first target's own deadline: never reached in these tests */
#define SOON_MS 5000    /* "at once", generously: far below DEADLINE_S */
#define MAX_PEERS 4

/* What the fake server does on its n-th accepted connection. */
enum peer_script {
    PEER_SILENT,       /* reads, never answers */
    PEER_NOT_SUP,      /* answers PRELOGIN with ENCRYPT_NOT_SUP */
    PEER_ON_THEN_CLOSE /* answers ENCRYPT_ON, closes when the ClientHello comes */
};

/* Where the test cancels the first target. */
enum cancel_at {
    AT_ADD,          /* right after probe_engine_add (resolving or connecting) */
    AT_PEER_DATA,    /* the first bytes on connection `peer` */
    AT_PEER_EOF,     /* the client closed connection `peer` */
    AT_BROWSER_ASKED /* the Browser request arrived */
};

struct fx;

struct peer {
    struct fx *fx;
    uv_tcp_t tcp;
    int index;
    int reads;
    bool closing;
};

struct fx {
    uv_loop_t loop;
    struct probe_engine *e;
    uv_tcp_t listener;
    uint16_t port;
    uv_udp_t browser;
    uint16_t browser_port;
    int refused_fd; /* bound, not listening */
    uint16_t refused_port;
    uv_timer_t watchdog;
    struct peer *peers[MAX_PEERS];
    int accepted;
    size_t data_bytes; /* bytes the server read on any connection */
    enum peer_script script[MAX_PEERS];
    enum cancel_at at;
    int at_peer;
    bool cancelled;
    int results_first, results_second, results_third;
    bool cancel_in_result; /* the second target's on_result cancels the first */
    uint64_t t_cancel, t_next; /* the cancel; the last result of a target after the first */
    char second_text[64];
};

static char tag_first, tag_second, tag_third;

/* ---- the fake server ---- */

static void on_peer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void peer_close(struct peer *p)
{
    if (p->closing) {
        return;
    }
    p->closing = true;
    p->fx->peers[p->index] = NULL;
    uv_close((uv_handle_t *)&p->tcp, on_peer_closed);
}

static void cancel_first(struct fx *fx)
{
    if (fx->cancelled) {
        return;
    }
    fx->cancelled = true;
    fx->t_cancel = uv_hrtime();
    assert_int_equal(probe_engine_cancel(fx->e, &tag_first), 1);
    /* the slot went to the next target at once: it is in flight, nothing waits (inside the
     * second target's on_result, that one still holds its slot until on_result returns) */
    assert_int_equal(probe_engine_pending(fx->e), 1 + fx->cancel_in_result);
    assert_int_equal(probe_engine_cancel(fx->e, &tag_first), 0); /* twice: a no-op */
}

static void on_reply_written(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

/* A PRELOGIN reply (one packet) with the given ENCRYPTION byte. */
static void send_prelogin_reply(struct peer *p, uint8_t enc)
{
    struct tds_prelogin_server s = { .version = { 16, 0, 1000, 0 }, .encryption = enc };
    uint8_t payload[128];
    size_t n = tds_prelogin_build_server(&s, payload, sizeof(payload));
    struct { uv_write_t w; uint8_t b[256]; } *out = malloc(sizeof(*out));
    uint8_t id = 1;

    assert_non_null(out);
    assert_true(n > 0);
    size_t len = tds_packetize(TDS_PKT_REPLY, payload, n, TDS_DEFAULT_PACKET, &id, out->b,
                               sizeof(out->b));
    assert_true(len > 0);
    uv_buf_t buf = uv_buf_init((char *)out->b, (unsigned)len);
    assert_int_equal(uv_write(&out->w, (uv_stream_t *)&p->tcp, &buf, 1, on_reply_written), 0);
}

static void peer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char space[65536];

    (void)h;
    (void)suggested;
    *buf = uv_buf_init(space, sizeof(space));
}

static void peer_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct peer *p = s->data;
    struct fx *fx = p->fx;

    (void)buf;
    if (n < 0) {
        if (fx->at == AT_PEER_EOF && fx->at_peer == p->index) {
            cancel_first(fx);
        }
        peer_close(p);
        return;
    }
    if (n == 0) {
        return;
    }
    fx->data_bytes += (size_t)n;
    if (fx->at == AT_PEER_DATA && fx->at_peer == p->index) {
        cancel_first(fx);
        return;
    }
    if (p->reads++ > 0) { /* the PRELOGIN came in the first read; this is the ClientHello */
        if (fx->script[p->index] == PEER_ON_THEN_CLOSE) {
            peer_close(p);
        }
        return;
    }
    if (fx->script[p->index] == PEER_NOT_SUP) {
        send_prelogin_reply(p, TDS_ENC_NOT_SUP);
    } else if (fx->script[p->index] == PEER_ON_THEN_CLOSE) {
        send_prelogin_reply(p, TDS_ENC_ON);
    }
}

static void on_accept(uv_stream_t *l, int status)
{
    struct fx *fx = l->data;
    struct peer *p = calloc(1, sizeof(*p));

    assert_int_equal(status, 0);
    assert_non_null(p);
    assert_true(fx->accepted < MAX_PEERS);
    p->fx = fx;
    p->index = fx->accepted++;
    p->tcp.data = p;
    fx->peers[p->index] = p;
    uv_tcp_init(&fx->loop, &p->tcp);
    assert_int_equal(uv_accept(l, (uv_stream_t *)&p->tcp), 0);
    uv_read_start((uv_stream_t *)&p->tcp, peer_alloc, peer_read);
}

static void browser_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char space[2048];

    (void)h;
    (void)suggested;
    *buf = uv_buf_init(space, sizeof(space));
}

static void browser_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
                         const struct sockaddr *from, unsigned flags)
{
    struct fx *fx = u->data;

    (void)buf;
    (void)from;
    (void)flags;
    if (n > 0 && fx->at == AT_BROWSER_ASKED) {
        cancel_first(fx); /* and never answer */
    }
}

static uint16_t bound_port(const void *h, bool udp)
{
    struct sockaddr_in a;
    int len = sizeof(a);

    if (udp) {
        assert_int_equal(uv_udp_getsockname(h, (struct sockaddr *)&a, &len), 0);
    } else {
        assert_int_equal(uv_tcp_getsockname(h, (struct sockaddr *)&a, &len), 0);
    }
    return ntohs(a.sin_port);
}

static void servers_start(struct fx *fx)
{
    struct sockaddr_in any;
    socklen_t len = sizeof(any);

    uv_ip4_addr("127.0.0.1", 0, &any);
    uv_tcp_init(&fx->loop, &fx->listener);
    fx->listener.data = fx;
    assert_int_equal(uv_tcp_bind(&fx->listener, (const struct sockaddr *)&any, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&fx->listener, 16, on_accept), 0);
    fx->port = bound_port(&fx->listener, false);
    uv_udp_init(&fx->loop, &fx->browser);
    fx->browser.data = fx;
    assert_int_equal(uv_udp_bind(&fx->browser, (const struct sockaddr *)&any, 0), 0);
    assert_int_equal(uv_udp_recv_start(&fx->browser, browser_alloc, browser_recv), 0);
    fx->browser_port = bound_port(&fx->browser, true);
    fx->refused_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fx->refused_fd >= 0);
    assert_int_equal(bind(fx->refused_fd, (const struct sockaddr *)&any, sizeof(any)), 0);
    assert_int_equal(getsockname(fx->refused_fd, (struct sockaddr *)&any, &len), 0);
    fx->refused_port = ntohs(any.sin_port);
}

static void servers_stop(struct fx *fx)
{
    if (!uv_is_closing((uv_handle_t *)&fx->listener)) {
        uv_close((uv_handle_t *)&fx->listener, NULL);
        uv_close((uv_handle_t *)&fx->browser, NULL);
    }
    for (int i = 0; i < MAX_PEERS; i++) {
        if (fx->peers[i]) {
            peer_close(fx->peers[i]);
        }
    }
}

/* ---- the engine ---- */

static void on_result(const struct probe_result *r, void *arg)
{
    struct fx *fx = arg;

    if (r->target->user == &tag_first) {
        fx->results_first++;
        return;
    }
    if (r->target->user == &tag_third) {
        fx->results_third++;
        fx->t_next = uv_hrtime();
        servers_stop(fx);
        return;
    }
    assert_ptr_equal(r->target->user, &tag_second);
    fx->results_second++;
    fx->t_next = uv_hrtime();
    /* delivered: cancelling it now (from its own callback) is a no-op */
    assert_int_equal(probe_engine_cancel(fx->e, &tag_second), 0);
    if (fx->cancel_in_result) {
        cancel_first(fx);
        return; /* the third target, queued, ends the test */
    }
    servers_stop(fx);
}

static void on_watchdog(uv_timer_t *t)
{
    uv_print_all_handles(t->loop, stderr);
    fail_msg("the loop is still alive: a handle was left open");
}

static void add(struct fx *fx, const char *text, void *user)
{
    struct probe_target t;
    char err[200];

    memset(&t, 0, sizeof(t));
    probe_client_default(&t.client);
    assert_int_equal(probe_target_parse(text, &t, err, sizeof(err)), 0);
    t.user = user;
    assert_int_equal(probe_engine_add(fx->e, &t, err, sizeof(err)), 0);
}

static void fx_init(struct fx *fx, const struct probe_engine_opts *extra)
{
    struct probe_engine_opts o = *extra;

    memset(fx, 0, sizeof(*fx));
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    servers_start(fx);
    o.concurrency = o.concurrency ? o.concurrency : 1;
    o.timeout_s = DEADLINE_S;
    o.browser_port = fx->browser_port;
    o.on_result = on_result;
    o.arg = fx;
    assert_int_equal(probe_engine_new(&fx->e, &fx->loop, &o), 0);
    uv_timer_init(&fx->loop, &fx->watchdog);
    uv_timer_start(&fx->watchdog, on_watchdog, 20000, 0);
    uv_unref((uv_handle_t *)&fx->watchdog); /* fires only if something else keeps the loop */
    snprintf(fx->second_text, sizeof(fx->second_text), "127.0.0.1,%u",
             (unsigned)fx->refused_port);
}

/* Runs the loop dry and checks the outcome every case shares. */
static void fx_finish(struct fx *fx)
{
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_true(fx->cancelled);
    assert_int_equal(fx->results_first, 0);
    assert_int_equal(fx->results_second, 1);
    assert_true(fx->t_next >= fx->t_cancel);
    assert_true((fx->t_next - fx->t_cancel) / 1000000u < SOON_MS);
    assert_int_equal(probe_engine_pending(fx->e), 0);
    probe_engine_free(fx->e);
    close(fx->refused_fd);
    uv_close((uv_handle_t *)&fx->watchdog, NULL);
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
}

/* The first target (host, at the fake server's port unless it names an instance), the second
 * queued behind it; cancel where fx->at says. */
static void run_case(struct fx *fx, const char *host)
{
    char first[300];

    if (strchr(host, '\\')) {
        snprintf(first, sizeof(first), "%s", host);
    } else {
        snprintf(first, sizeof(first), "%s,%u", host, (unsigned)fx->port);
    }
    add(fx, first, &tag_first);
    add(fx, fx->second_text, &tag_second);
    assert_int_equal(probe_engine_pending(fx->e), 2);
    if (fx->at == AT_ADD) {
        cancel_first(fx);
    }
    fx_finish(fx);
}

static const struct probe_engine_opts no_audit;

static void test_cancel_resolving(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, &no_audit);
    fx.at = AT_ADD; /* a host name: getaddrinfo runs in libuv's thread pool */
    run_case(&fx, "localhost");
    assert_int_equal(fx.data_bytes, 0);
}

static void test_cancel_connecting(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, &no_audit);
    fx.at = AT_ADD; /* an address resolves at once: the connect is under way */
    run_case(&fx, "127.0.0.1");
    assert_int_equal(fx.data_bytes, 0); /* no PRELOGIN was sent */
}

static void test_cancel_exchanging(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, &no_audit);
    fx.script[0] = PEER_SILENT;
    fx.at = AT_PEER_DATA; /* the PRELOGIN arrived and is never answered */
    fx.at_peer = 0;
    run_case(&fx, "127.0.0.1");
    assert_int_equal(fx.accepted, 1);
}

static void test_cancel_asking_browser(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, &no_audit);
    fx.at = AT_BROWSER_ASKED;
    run_case(&fx, "127.0.0.1\\SQLEXPRESS");
    assert_int_equal(fx.accepted, 0);
}

static void test_cancel_followup(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, &no_audit);
    fx.script[0] = PEER_ON_THEN_CLOSE; /* the ClientHello is turned down: the follow-up */
    fx.script[1] = PEER_SILENT;
    fx.at = AT_PEER_DATA;
    fx.at_peer = 1;
    run_case(&fx, "127.0.0.1");
    assert_int_equal(fx.accepted, 2);
}

static void test_cancel_audit_step(void **state)
{
    static const struct probe_engine_opts audit = { .audit_protocols = true };
    struct fx fx;

    (void)state;
    fx_init(&fx, &audit);
    fx.script[0] = PEER_NOT_SUP; /* the client's own connection ends: the audit starts */
    fx.script[1] = PEER_SILENT;  /* its first step's PRELOGIN is never answered */
    fx.at = AT_PEER_DATA;
    fx.at_peer = 1;
    run_case(&fx, "127.0.0.1");
    assert_int_equal(fx.accepted, 2);
}

static void test_cancel_audit_pause(void **state)
{
    static const struct probe_engine_opts audit = { .audit_protocols = true,
                                                    .audit_pause_ms = 60000 };
    struct fx fx;

    (void)state;
    fx_init(&fx, &audit);
    fx.script[0] = PEER_NOT_SUP;
    fx.at = AT_PEER_EOF; /* the client's own connection closed: the audit waits its pause */
    fx.at_peer = 0;
    run_case(&fx, "127.0.0.1");
    assert_int_equal(fx.accepted, 1); /* no step ran */
}

/* Queued targets are dropped without a packet, the others keep their order; a tag nobody has
 * cancels nothing. */
static void test_cancel_queued(void **state)
{
    struct fx fx;
    char first[64];

    (void)state;
    fx_init(&fx, &no_audit);
    fx.script[0] = PEER_SILENT;
    snprintf(first, sizeof(first), "127.0.0.1,%u", (unsigned)fx.port);
    add(&fx, first, &tag_first);
    add(&fx, first, &tag_third);
    add(&fx, first, &tag_third);
    add(&fx, fx.second_text, &tag_second);
    assert_int_equal(probe_engine_cancel(fx.e, &fx), 0);
    assert_int_equal(probe_engine_cancel(fx.e, &tag_third), 2);
    assert_int_equal(probe_engine_pending(fx.e), 2);
    fx.at = AT_PEER_DATA;
    fx.at_peer = 0;
    fx_finish(&fx);
    assert_int_equal(fx.accepted, 1); /* the third target never connected */
}

/* probe_engine_cancel from inside on_result (the front end reacts to one result by dropping
 * another target): the cancelled target gets no result, the queued one starts once on_result
 * has returned and gets its own. */
static void test_cancel_from_on_result(void **state)
{
    static const struct probe_engine_opts two = { .concurrency = 2 };
    struct fx fx;
    char first[64];

    (void)state;
    fx_init(&fx, &two);
    fx.script[0] = PEER_SILENT;
    fx.cancel_in_result = true;
    snprintf(first, sizeof(first), "127.0.0.1,%u", (unsigned)fx.port);
    add(&fx, first, &tag_first);
    add(&fx, fx.second_text, &tag_second);
    add(&fx, fx.second_text, &tag_third);
    assert_int_equal(probe_engine_pending(fx.e), 3);
    fx_finish(&fx);
    assert_int_equal(fx.results_third, 1);
}

/* A target whose result was delivered: cancelling it is a no-op (0). */
static void test_cancel_after_result(void **state)
{
    struct fx fx;

    (void)state;
    fx_init(&fx, &no_audit);
    add(&fx, fx.second_text, &tag_second);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.results_second, 1);
    assert_int_equal(probe_engine_cancel(fx.e, &tag_second), 0);
    assert_int_equal(probe_engine_pending(fx.e), 0);
    probe_engine_free(fx.e);
    close(fx.refused_fd);
    uv_close((uv_handle_t *)&fx.watchdog, NULL);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_queued),
        cmocka_unit_test(test_cancel_resolving),
        cmocka_unit_test(test_cancel_asking_browser),
        cmocka_unit_test(test_cancel_connecting),
        cmocka_unit_test(test_cancel_exchanging),
        cmocka_unit_test(test_cancel_followup),
        cmocka_unit_test(test_cancel_audit_step),
        cmocka_unit_test(test_cancel_audit_pause),
        cmocka_unit_test(test_cancel_after_result),
        cmocka_unit_test(test_cancel_from_on_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
