/* probe/engine/probe_browser.h: one SQL Server Browser lookup (MC-SQLR CLNT_UCAST_INST over UDP) with
 * a timeout and retries. The Browser stays silent for an instance it does not have, so
 * silence is an answer too: "not found (or nobody listening)". */
#ifndef PROBE_PROBE_BROWSER_H
#define PROBE_PROBE_BROWSER_H

#include <stdint.h>
#include <uv.h>

#include "tds/tds_error.h"

struct probe_browser;

/* status: 0 = the instance has a TCP port (tcp_port set); UV_ENOENT = the Browser answered but
 * without this instance or without a tcp section; UV_ETIMEDOUT = no answer to any try;
 * UV_EPROTO = a malformed reply (err says why); other negative libuv codes = send/recv failed.
 * Called exactly once unless cancelled. */
typedef void (*probe_browser_fn)(void *arg, int status, uint16_t tcp_port,
                                 const struct tds_error *err);

int probe_browser_start(struct probe_browser **out, uv_loop_t *loop, const struct sockaddr *addr,
                        uint16_t port, const char *instance, unsigned try_ms, unsigned tries,
                        probe_browser_fn cb, void *arg);
/* No callback after this; the handles are closed and freed asynchronously. */
void probe_browser_cancel(struct probe_browser *b);

#endif
