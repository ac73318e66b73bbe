/* probe/drivers/probe_overrides.h: how a TARGET text plus client settings given outside it
 * (command-line options, an exporter module) become a probe_target. Shared by the CLI and
 * `tdsprobe serve`; the settings themselves are the table in probe_options.h. */
#ifndef PROBE_PROBE_OVERRIDES_H
#define PROBE_PROBE_OVERRIDES_H

#include <stddef.h>

#include "probe/drivers/probe_options.h"
#include "probe/model/probe.h"

/* Client settings given outside the target: command-line options, or an exporter module. */
struct probe_overrides {
    struct probe_client client; /* the explicit values; only the fields named in set count */
    unsigned set;               /* PROBE_SET_* */
};

/* Starts empty: probe_client_default() values, nothing set. */
void probe_overrides_init(struct probe_overrides *o);

/* Sets one setting by its key in probe_options[] ("encrypt", "tls_min", ...; a FLAG's value
 * is "true"/"false"). Returns 0, or -1 with a sentence in err (unknown key, bad value,
 * unreadable CA file). */
int probe_overrides_set(struct probe_overrides *o, const char *key, const char *value, char *err,
                        size_t errlen);

/* The rules the settings obey together, checked once all are given: tls_min is not above
 * tls_max. Returns 0, or -1 with a sentence in err naming the settings as sp spells them
 * ("--tls-min is above --tls-max", "tls_min is above tls_max"). */
int probe_overrides_check(const struct probe_overrides *o, enum probe_option_spelling sp,
                          char *err, size_t errlen);

/* A front end's command line (prog: "tdsprobe", "tdsprobe serve"): getopt_long over the client
 * options, which land in o, and the front end's own options (own, ending with an all-zero
 * entry; shortopts as for getopt_long), each of which goes to apply(arg, id, val); apply
 * returns 0 or an exit status. An unknown option or a bad client option is a usage error, and
 * so is a failed probe_overrides_check once every option is read. Returns 0 (optind is then
 * the first operand), or the exit status (a usage error is printed: probe_usage_error). */
int probe_overrides_getopt(struct probe_overrides *o, const char *prog, int argc, char **argv,
                           const char *shortopts, const struct option *own,
                           int (*apply)(void *arg, int id, const char *val), void *arg);

/* Reject targets that name a file on this host (a connection string's ServerCertificate=,
 * trustStore=, certificate=): a remote scraper must not choose files for the exporter. */
#define PROBE_TARGET_NO_FILES 1u

/* One TARGET text: a connection string (parsed as its driver parses it, the driver's TLS range
 * when it names none) or a host form on the default client with o's driver; then o's explicit
 * settings on top. Returns 0, or -1 with a sentence in err. t is overwritten. */
int probe_make_target(const struct probe_overrides *o, const char *text, unsigned flags,
                      struct probe_target *t, char *err, size_t errlen);

#endif
