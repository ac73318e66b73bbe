/* probe/drivers/probe_overrides.h: how a TARGET text plus client settings given outside it (command-line
 * options, an exporter module) become a probe_target. Shared by the CLI and `tdsprobe serve`. */
#ifndef PROBE_PROBE_OVERRIDES_H
#define PROBE_PROBE_OVERRIDES_H

#include <stddef.h>

#include "probe/model/probe.h"

/* Which fields of probe_overrides.client were given explicitly (they win over a connection
 * string's keywords). */
enum {
    PROBE_SET_ENCRYPT = 1 << 0,
    PROBE_SET_TSC = 1 << 1,
    PROBE_SET_HNIC = 1 << 2,
    PROBE_SET_CA = 1 << 3,
    PROBE_SET_TLS_MIN = 1 << 4,
    PROBE_SET_TLS_MAX = 1 << 5,
    PROBE_SET_HANDSHAKE = 1 << 6,
    PROBE_SET_DRIVER = 1 << 7,
};

/* Client settings given outside the target: command-line options, or an exporter module. */
struct probe_overrides {
    struct probe_client client; /* the explicit values; only the fields named in set count */
    unsigned set;               /* PROBE_SET_* */
};

/* Starts empty: probe_client_default() values, nothing set. */
void probe_overrides_init(struct probe_overrides *o);

/* Sets one setting by its option name, without the dashes and with '_' for '-': "encrypt",
 * "driver", "ca_file", "handshake", "trust_server_certificate" (value "true"/"false"),
 * "host_name_in_certificate", "tls_min", "tls_max". Returns 0, or -1 with a sentence in err
 * (unknown key, bad value, unreadable CA file). */
int probe_overrides_set(struct probe_overrides *o, const char *key, const char *value, char *err,
                        size_t errlen);

/* Reject targets that name a file on this host (a connection string's ServerCertificate=,
 * trustStore=, certificate=): a remote scraper must not choose files for the exporter. */
#define PROBE_TARGET_NO_FILES 1u

/* One TARGET text: a connection string (parsed as its driver parses it, the driver's TLS range
 * when it names none) or a host form on the default client with o's driver; then o's explicit
 * settings on top. Returns 0, or -1 with a sentence in err. t is overwritten. */
int probe_make_target(const struct probe_overrides *o, const char *text, unsigned flags,
                      struct probe_target *t, char *err, size_t errlen);

#endif
