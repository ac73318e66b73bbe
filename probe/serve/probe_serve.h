/* probe/serve/probe_serve.h: `tdsprobe serve`, the Prometheus exporter front end of the engine.
 * Prometheus schedules and the exporter probes one target per scrape, as blackbox_exporter does
 * in its multi-target exporter pattern (the scrape config relabels each target into the
 * target parameter):
 *
 *     GET /probe?target=<TARGET, URL-encoded>[&module=<NAME>]  one target's exposition
 *     GET /metrics                                             the exporter's own metrics
 *     GET /                                                    a usage page
 */
#ifndef PROBE_PROBE_SERVE_H
#define PROBE_PROBE_SERVE_H

/* `tdsprobe serve [OPTIONS]`; argv[0] is "serve". Runs until SIGTERM/SIGINT; returns the exit
 * status (probe/drivers/probe_options.h: 0 after a clean shutdown, PROBE_EXIT_USAGE,
 * PROBE_EXIT_SERVE_FAILED when it cannot listen or its loop did not close cleanly). */
int probe_serve_main(int argc, char **argv);

#endif
