/* tests/fakesql/browser.c: SQL Server Browser (MC-SQLR) on UDP.
 *
 * CLNT_UCAST_EX (and the broadcast CLNT_BCAST_EX) get every instance; CLNT_UCAST_INST gets the
 * named instance, and silence when there is no such instance -- that silence is what clients
 * time out on ("instance not found"). Instance i is reached on the TCP port of tcpport entry i
 * (the last one when there are fewer ports than instances), on the same address.
 */
#include "fakesql.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tds/tds_ssrp.h"

#define SSRP_INST_MAX 1024 /* MC-SQLR: RESP_DATA for one instance is at most 1,024 bytes */
#define SSRP_EX_MAX 65535
#define CLNT_BCAST_EX 0x02

struct send_req {
    uv_udp_send_t req;
    size_t len;
    uint8_t data[];
};

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) {
        return false;
    }
    if (a->ss_family == AF_INET) {
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
    }
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* The bound TCP port serving instance i on the browser's address (-1 if none). */
static int instance_port(const struct fsql_browser *b, size_t i)
{
    const struct fsql_server *srv = b->srv;
    int best = -1;
    unsigned best_index = 0;

    for (size_t k = 0; k < srv->n_listeners; k++) {
        const struct fsql_listener *l = &srv->listeners[k];
        unsigned pi = l->ep->port_index;
        bool wildcard = false;
        if (l->addr.ss_family == AF_INET) {
            wildcard = ((const struct sockaddr_in *)&l->addr)->sin_addr.s_addr == 0;
        }
        if (!same_host(&l->addr, &b->addr) && !wildcard) {
            continue;
        }
        /* the listener whose port index is i, else the highest index below i */
        if (pi <= i && (best < 0 || pi >= best_index)) {
            best = fsql_addr_port(&l->addr);
            best_index = pi;
        }
    }
    return best;
}

static void fill_instance(const struct fsql_browser *b, size_t i, struct tds_ssrp_instance *in)
{
    const struct fsql_config *cfg = b->srv->cfg;
    const char *name = cfg->instances[i];
    bool dflt = strcasecmp(name, "MSSQLSERVER") == 0;

    memset(in, 0, sizeof(*in));
    snprintf(in->server, sizeof(in->server), "%s", cfg->servername);
    snprintf(in->instance, sizeof(in->instance), "%s", name);
    snprintf(in->version, sizeof(in->version), "%s", cfg->version_text);
    in->tcp_port = instance_port(b, i);
    if (dflt) {
        snprintf(in->pipe, sizeof(in->pipe), "\\\\%s\\pipe\\sql\\query", cfg->servername);
    } else {
        snprintf(in->pipe, sizeof(in->pipe), "\\\\%s\\pipe\\MSSQL$%s\\sql\\query",
                 cfg->servername, name);
    }
}

static void on_sent(uv_udp_send_t *req, int status)
{
    free(req);
}

static void reply(struct fsql_browser *b, const struct sockaddr *to, const uint8_t *p, size_t n)
{
    struct send_req *s = malloc(sizeof(*s) + n);

    if (s == NULL) {
        return;
    }
    s->len = n;
    memcpy(s->data, p, n);
    uv_buf_t buf = uv_buf_init((char *)s->data, (unsigned)n);
    if (uv_udp_send(&s->req, &b->udp, &buf, 1, to, on_sent) != 0) {
        free(s);
    }
}

/* Index of the instance named by a CLNT_UCAST_INST request, or -1. */
static int find_instance(const struct fsql_config *cfg, const uint8_t *p, size_t n)
{
    char name[TDS_SSRP_MAX_INSTANCE_NAME + 1];
    size_t len = 0;

    while (len < n && p[len] != 0) {
        len++;
    }
    if (len == 0 || len > TDS_SSRP_MAX_INSTANCE_NAME) {
        return -1;
    }
    memcpy(name, p, len);
    name[len] = '\0';
    for (size_t i = 0; i < cfg->n_instances; i++) {
        if (strcasecmp(cfg->instances[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void answer(struct fsql_browser *b, const uint8_t *p, size_t n, const struct sockaddr *to)
{
    const struct fsql_config *cfg = b->srv->cfg;
    struct tds_ssrp_instance in[FSQL_MAX_INSTANCES];
    static uint8_t out[SSRP_EX_MAX + 3];
    size_t count = 0, len;
    const char *what = "ignored";

    if (p[0] == TDS_SSRP_CLNT_UCAST_EX || p[0] == CLNT_BCAST_EX) {
        for (; count < cfg->n_instances; count++) {
            fill_instance(b, count, &in[count]);
        }
        what = "all instances";
    } else if (p[0] == TDS_SSRP_CLNT_UCAST_INST) {
        int i = find_instance(cfg, p + 1, n - 1);
        if (i >= 0) {
            fill_instance(b, (size_t)i, &in[0]);
            count = 1;
            what = cfg->instances[i];
        } else {
            what = "unknown instance: no reply";
        }
    }
    len = count ? tds_ssrp_build_resp(in, count, out, count == 1 && p[0] ==
                                      TDS_SSRP_CLNT_UCAST_INST ? SSRP_INST_MAX + 3 : sizeof(out))
                : 0;
    if (len > 0) {
        reply(b, to, out, len);
    }
    if (!cfg->quiet) {
        char from[80];
        fsql_addr_format((const struct sockaddr_storage *)to, from, sizeof(from));
        fprintf(stderr, "fakesql: browser peer=%s request=0x%02x answer=\"%s\"\n", from, p[0],
                what);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct fsql_browser *b = h->data;
    *buf = uv_buf_init((char *)b->srv->rbuf, sizeof(b->srv->rbuf));
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    struct fsql_browser *b = u->data;

    if (nread <= 0 || from == NULL || (flags & UV_UDP_PARTIAL)) {
        return;
    }
    answer(b, (const uint8_t *)buf->base, (size_t)nread, from);
}

static int start_one(struct fsql_server *srv, struct fsql_browser *b,
                     const struct sockaddr_storage *addr, char *err, size_t cap)
{
    int len = sizeof(b->addr);
    int rc;

    b->srv = srv;
    b->addr = *addr;
    if (addr->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&b->addr)->sin6_port = htons((uint16_t)srv->cfg->browserport);
    } else {
        ((struct sockaddr_in *)&b->addr)->sin_port = htons((uint16_t)srv->cfg->browserport);
    }
    uv_udp_init(srv->loop, &b->udp);
    b->udp.data = b;
    rc = uv_udp_bind(&b->udp, (const struct sockaddr *)&b->addr, 0);
    if (rc == 0) {
        rc = uv_udp_getsockname(&b->udp, (struct sockaddr *)&b->addr, &len);
    }
    if (rc == 0) {
        rc = uv_udp_recv_start(&b->udp, on_alloc, on_recv);
    }
    if (rc != 0) {
        char name[80];
        fsql_addr_format(&b->addr, name, sizeof(name));
        snprintf(err, cap, "cannot listen on udp %s: %s", name, uv_strerror(rc));
    }
    return rc;
}

int fsql_browser_start(struct fsql_server *srv, char *err, size_t cap)
{
    const struct fsql_config *cfg = srv->cfg;

    if (cfg->browserport < 0) {
        return 0;
    }
    srv->browsers = calloc(cfg->n_browser_addrs, sizeof(*srv->browsers));
    if (srv->browsers == NULL && cfg->n_browser_addrs > 0) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_browser_addrs; i++) {
        srv->n_browsers = i + 1;
        if (start_one(srv, &srv->browsers[i], &cfg->browser_addrs[i], err, cap) != 0) {
            return -1;
        }
    }
    return 0;
}
