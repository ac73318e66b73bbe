/* probe/serve/probe_modules.h: the exporter's modules, named client profiles a scrape picks with
 * &module=NAME. Module "default" is the command line's client options; `--config FILE` adds
 * more, in sections of 'key = value' lines (the keys of probe_options[]):
 *
 *     # comments start with # or ;
 *     [module odbc]
 *     driver = odbc18
 *     handshake = certificate
 *
 * Each module starts from the command-line client options, then its own lines on top. */
#ifndef PROBE_PROBE_MODULES_H
#define PROBE_PROBE_MODULES_H

#include <stddef.h>
#include <stdio.h>

#include "probe/drivers/probe_overrides.h"

#define PROBE_MODULES_MAX 32

struct probe_module {
    char name[64]; /* letters, digits, '_', '-', '.'; never "default" */
    struct probe_overrides o;
};

struct probe_modules {
    struct probe_overrides defaults; /* module "default": the command line */
    struct probe_module mods[PROBE_MODULES_MAX];
    size_t n;
};

/* Reads a modules file (name: how errors call it) into m, after m->defaults is complete.
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

#endif
