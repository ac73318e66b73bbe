/* probe/serve/probe_modules.h: the exporter's modules, named client profiles a scrape picks with
 * &module=NAME. Module "default" is the command line's client options; `--config FILE` adds
 * more, in sections of 'key = value' lines: the client keys of probe_options[], allow_targets,
 * and what the probe does (struct probe_module_run: timeout, protocols, ciphers,
 * require_tls12_only, ignore, warn_days, crit_days):
 *
 *     # comments start with # or ;
 *     [module odbc]
 *     driver = odbc18
 *     handshake = certificate
 *     allow_targets = 10.20.0.0/16, *.db.example.com
 *     timeout = 5
 *     require_tls12_only = true
 *     ignore = fallback_certificate, self_signed
 *
 * Each module starts from the command line (its client options, --allow-targets and the
 * options of the same names as the run keys), then its own lines on top: a module's
 * allow_targets replaces the command line's list for it; each ignore line adds codes. */
#ifndef PROBE_PROBE_MODULES_H
#define PROBE_PROBE_MODULES_H

#include <stddef.h>
#include <stdio.h>

#include "probe/drivers/probe_overrides.h"
#include "probe/output/probe_monitor.h"
#include "probe/serve/probe_allow.h"

#define PROBE_MODULES_MAX 32

/* Seconds a probe leaves unused of the scraper's X-Prometheus-Scrape-Timeout-Seconds, for the
 * answer to reach it in time (blackbox_exporter's --timeout-offset default, 0.5 s). */
#define PROBE_SCRAPE_OFFSET_S 0.5

/* What a module's probes do besides the client settings. */
struct probe_module_run {
    double timeout_s;       /* timeout (--timeout): the probe's deadline; with an audit, also
                               each audit connection's */
    bool protocols;         /* protocols (--protocols): the TLS versions audit */
    bool ciphers;           /* ciphers (--ciphers): the cipher suites audit too */
    struct probe_nagios_policy policy; /* require_tls12_only (implies protocols), ignore,
                                          warn_days, crit_days: tdsprobe_policy_state */
};

/* The command line's defaults: 10 s, no audit, the Nagios defaults. */
void probe_module_run_init(struct probe_module_run *r);

/* Sets one run key ("timeout", "protocols", ...; a flag takes true/false, yes/no, 1/0; ignore
 * takes comma-separated finding codes, added to those already ignored; an unknown code is
 * refused as --ignore refuses it, probe_nagios_ignore). Returns 0, 1 when key
 * is not a run key (nothing changed), or -1 with a sentence in err. */
int probe_module_run_set(struct probe_module_run *r, const char *key, const char *value,
                         char *err, size_t errlen);

/* Sets t's deadline and TLS policy audit (t->client.timeout_s, audit_protocols, audit_ciphers,
 * audit_timeout_s) from r. The whole probe - the deadline plus, with an audit, the audit's
 * whole time (the client's audit_timeout_s, else PROBE_AUDIT_BUDGET_TIMEOUTS deadlines) - is
 * fitted within scrape_s - PROBE_SCRAPE_OFFSET_S when scrape_s (the scraper's timeout) is
 * above PROBE_SCRAPE_OFFSET_S and that is shorter: both shrink in proportion. scrape_s 0 means
 * none was given; like blackbox_exporter, a scrape timeout at or below the offset leaves the
 * module's own times. Returns the whole probe's time in seconds. */
double probe_module_apply(const struct probe_module_run *r, double scrape_s,
                          struct probe_target *t);

struct probe_module {
    char name[64]; /* letters, digits, '_', '-', '.'; never "default" */
    struct probe_overrides o;
    struct probe_allow allow; /* the targets it may probe (off: any) */
    struct probe_module_run run;
};

struct probe_modules {
    struct probe_overrides defaults; /* module "default": the command line */
    struct probe_allow allow;        /* and its --allow-targets */
    struct probe_module_run run;     /* and its --timeout, --protocols, ... */
    struct probe_module mods[PROBE_MODULES_MAX];
    size_t n;
};

/* Reads a modules file (name: how errors call it) into m, after m->defaults, m->allow and
 * m->run are complete.
 * Returns 0, or -1 with "NAME:LINE: why" in err (a bad section or line, a name defined twice,
 * more than PROBE_MODULES_MAX modules, a bad setting, tls_min above tls_max). */
int probe_modules_read(struct probe_modules *m, FILE *f, const char *name, char *err,
                       size_t errlen);

/* probe_modules_read() on the file at path; a file that cannot be opened is an error too. */
int probe_modules_load(struct probe_modules *m, const char *path, char *err, size_t errlen);

/* The settings of module name (NULL or "default": the command line's), or NULL when there is
 * no such module. */
const struct probe_overrides *probe_modules_find(const struct probe_modules *m,
                                                 const char *name);

/* The allow list of module name (NULL or "default": --allow-targets), or NULL when there is no
 * such module. */
const struct probe_allow *probe_modules_allow(const struct probe_modules *m, const char *name);

/* The run settings of module name (NULL or "default": the command line's), or NULL when there
 * is no such module. */
const struct probe_module_run *probe_modules_run(const struct probe_modules *m,
                                                 const char *name);

/* A fresh copy of m's command-line part (defaults, allow, run) with no modules, on the heap,
 * for reading a modules file into; NULL when memory runs out. */
struct probe_modules *probe_modules_fresh(const struct probe_modules *m);

#endif
