/* probe/engine/probe_neterr.c: libuv error code -> probe_net_error. */
#include "probe/engine/probe_neterr.h"

#include <uv.h>

static enum probe_net_kind net_kind(int e)
{
    switch (e) {
    case 0:
        return PROBE_NET_NONE;
    /* getaddrinfo's failures, as libuv names them */
    case UV_EAI_ADDRFAMILY:
    case UV_EAI_AGAIN:
    case UV_EAI_FAIL:
    case UV_EAI_FAMILY:
    case UV_EAI_NODATA:
    case UV_EAI_NONAME:
    case UV_EAI_SERVICE:
    case UV_EAI_SOCKTYPE:
    case UV_EAI_BADHINTS:
    case UV_EAI_PROTOCOL:
    case UV_EAI_OVERFLOW:
    case UV_EAI_BADFLAGS:
    case UV_EAI_CANCELED:
        return PROBE_NET_DNS;
    case UV_ECONNREFUSED:
        return PROBE_NET_REFUSED;
    case UV_ECONNRESET:
        return PROBE_NET_RESET;
    case UV_EOF:
    case UV_EPIPE:
    case UV_ECONNABORTED:
        return PROBE_NET_CLOSED;
    case UV_ETIMEDOUT:
        return PROBE_NET_TIMEDOUT;
    /* This machine's limits: connect(2) and socket(2) fail with these before any packet
     * leaves, so the server never saw the attempt. */
    case UV_EMFILE:
    case UV_ENFILE:
        return PROBE_NET_LOCAL_FDS;
    case UV_ENOBUFS:
    case UV_ENOMEM:
    case UV_EAI_MEMORY:
        return PROBE_NET_LOCAL_MEMORY;
    case UV_EADDRNOTAVAIL:
        return PROBE_NET_LOCAL_ADDRESS;
    /* The routing table has no way there (connect(2) fails at once), or a router on the way
     * said so (ICMP unreachable, RFC 1122 3.2.2.1): not the target refusing. */
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH:
        return PROBE_NET_NO_ROUTE;
    default:
        return PROBE_NET_OTHER;
    }
}

struct probe_net_error probe_net_error_from_uv(int code)
{
    struct probe_net_error n = {.kind = net_kind(code), .code = code};

    if (n.kind != PROBE_NET_NONE) {
        n.name = uv_err_name(code);
        n.text = uv_strerror(code);
    }
    return n;
}
