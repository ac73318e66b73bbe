/* probe/serve/probe_serve.h: `tdsprobe serve`, the Prometheus exporter front end of the engine
 * (design.md "Who uses it" §3): Prometheus schedules, the exporter probes one target per scrape
 * (the multi-target exporter pattern of blackbox_exporter, notes/peers.md §3.7):
 *
 *     GET /probe?target=<TARGET, URL-encoded>[&module=<NAME>]  one target's exposition
 *     GET /metrics                                             the exporter's own metrics
 *     GET /                                                    a usage page
 */
#ifndef PROBE_PROBE_SERVE_H
#define PROBE_PROBE_SERVE_H

#include <stddef.h>

#include "probe/drivers/probe_overrides.h"

/* `tdsprobe serve [OPTIONS]`; argv[0] is "serve". Runs until SIGTERM/SIGINT; returns the exit
 * status (0 after a clean shutdown, 64 usage error, 1 cannot listen or unclean loop). */
int probe_serve_main(int argc, char **argv);

#endif
