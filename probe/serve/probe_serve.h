/* probe/serve/probe_serve.h: `tdsprobe serve`, the Prometheus exporter front end of the engine.
 * Prometheus schedules and the exporter probes one target per scrape, as blackbox_exporter does
 * in its multi-target exporter pattern (the scrape config relabels each target into the
 * target parameter):
 *
 *     GET /probe?target=<TARGET, URL-encoded>[&module=<NAME>]  one target's exposition,
 *         within the request's X-Prometheus-Scrape-Timeout-Seconds less 0.5 s
 *     GET /probe?...&debug=true        the text report, the exposition and the module, as text
 *     GET /metrics                     the exporter's own metrics (tdsprobe_build_info, ...)
 *     POST /-/reload                   read --config again (as SIGHUP)
 *     GET /                            a usage page
 */
#ifndef PROBE_PROBE_SERVE_H
#define PROBE_PROBE_SERVE_H

/* `tdsprobe serve [OPTIONS]`; argv[0] is "serve". Runs until SIGTERM/SIGINT (SIGHUP reloads
 * --config); returns the exit status (probe/drivers/probe_options.h: 0 after a clean shutdown
 * or --version, PROBE_EXIT_USAGE, PROBE_EXIT_SERVE_FAILED when it cannot listen or its loop did
 * not close cleanly). */
int probe_serve_main(int argc, char **argv);

#endif
