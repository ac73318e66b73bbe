/* probe/engine/probe_browser.c: CLNT_UCAST_INST, then wait for SVR_RESP; resend on silence. */
#include "probe/engine/probe_browser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tds/tds_ssrp.h"

#define MAX_INSTANCES 16

struct probe_browser {
    uv_udp_t udp;
    uv_timer_t timer;
    struct sockaddr_storage dest;
    uint8_t req[64];
    size_t req_len;
    char instance[TDS_SSRP_MAX_INSTANCE_NAME + 1];
    unsigned try_ms;
    unsigned tries_left;
    probe_browser_fn cb;
    void *arg;
    bool done;
    int open;
    char rbuf[2048]; /* CLNT_UCAST_INST replies are at most 1,024 + 3 bytes (MC-SQLR 2.2.5) */
    uv_udp_send_t sreq;
};

static void on_closed(uv_handle_t *h)
{
    struct probe_browser *b = h->data;

    if (--b->open == 0) {
        free(b);
    }
}

static void finish(struct probe_browser *b, int status, uint16_t port, const struct tds_error *e)
{
    if (b->done) {
        return;
    }
    b->done = true;
    uv_udp_recv_stop(&b->udp);
    uv_close((uv_handle_t *)&b->udp, on_closed);
    uv_close((uv_handle_t *)&b->timer, on_closed);
    if (b->cb) {
        b->cb(b->arg, status, port, e);
    }
}

static void on_sent(uv_udp_send_t *req, int status)
{
    struct probe_browser *b = req->data;

    if (status < 0 && status != UV_ECANCELED) {
        finish(b, status, 0, NULL);
    }
}

static void send_query(struct probe_browser *b)
{
    uv_buf_t buf = uv_buf_init((char *)b->req, (unsigned)b->req_len);

    b->tries_left--;
    b->sreq.data = b;
    int rc = uv_udp_send(&b->sreq, &b->udp, &buf, 1, (const struct sockaddr *)&b->dest, on_sent);
    if (rc < 0) {
        finish(b, rc, 0, NULL);
    }
}

static void on_timer(uv_timer_t *t)
{
    struct probe_browser *b = t->data;

    if (b->tries_left == 0) {
        finish(b, UV_ETIMEDOUT, 0, NULL);
        return;
    }
    send_query(b);
    uv_timer_start(&b->timer, on_timer, b->try_ms, 0);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct probe_browser *b = h->data;

    (void)suggested;
    *buf = uv_buf_init(b->rbuf, sizeof(b->rbuf));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    struct probe_browser *b = u->data;
    struct tds_ssrp_instance inst[MAX_INSTANCES];
    struct tds_error e;
    size_t count = 0, total = 0;

    if (n == 0 && from == NULL) {
        return; /* nothing more to read right now */
    }
    if (n < 0) {
        finish(b, (int)n, 0, NULL);
        return;
    }
    if (flags & UV_UDP_PARTIAL) {
        tds_error_clear(&e);
        tds_error_set(&e, TDS_ERR_SSRP_BAD_SIZE, 0, -1, "reply larger than %zu bytes",
                      sizeof(b->rbuf));
        finish(b, UV_EPROTO, 0, &e);
        return;
    }
    tds_error_clear(&e);
    if (tds_ssrp_parse((const uint8_t *)buf->base, (size_t)n, inst, MAX_INSTANCES, &count, &total,
                       &e) != TDS_ERR_OK) {
        finish(b, UV_EPROTO, 0, &e);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(inst[i].instance, b->instance) == 0 && inst[i].tcp_port > 0) {
            finish(b, 0, (uint16_t)inst[i].tcp_port, NULL);
            return;
        }
    }
    finish(b, UV_ENOENT, 0, NULL);
}

static int init_handles(struct probe_browser *b, uv_loop_t *loop)
{
    int rc = uv_udp_init(loop, &b->udp);

    if (rc < 0) {
        return rc;
    }
    b->udp.data = b;
    b->open++;
    uv_timer_init(loop, &b->timer);
    b->timer.data = b;
    b->open++;
    return 0;
}

int probe_browser_start(struct probe_browser **out, uv_loop_t *loop, const struct sockaddr *addr,
                        uint16_t port, const char *instance, unsigned try_ms, unsigned tries,
                        probe_browser_fn cb, void *arg)
{
    struct probe_browser *b = calloc(1, sizeof(*b));

    if (!b) {
        return UV_ENOMEM;
    }
    b->req_len = tds_ssrp_build_ucast_inst(instance, b->req, sizeof(b->req));
    if (b->req_len == 0 || init_handles(b, loop) < 0) {
        free(b);
        return UV_EINVAL;
    }
    memcpy(&b->dest, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                       : sizeof(struct sockaddr_in));
    if (b->dest.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&b->dest)->sin6_port = htons(port);
    } else {
        ((struct sockaddr_in *)&b->dest)->sin_port = htons(port);
    }
    snprintf(b->instance, sizeof(b->instance), "%s", instance);
    b->try_ms = try_ms;
    b->tries_left = tries ? tries : 1;
    b->cb = cb;
    b->arg = arg;
    uv_udp_recv_start(&b->udp, alloc_cb, on_recv);
    send_query(b);
    if (!b->done) {
        uv_timer_start(&b->timer, on_timer, try_ms, 0);
    }
    *out = b;
    return 0;
}

void probe_browser_cancel(struct probe_browser *b)
{
    if (!b) {
        return;
    }
    b->cb = NULL;
    finish(b, UV_ECANCELED, 0, NULL);
}
