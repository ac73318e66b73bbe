/* probe/serve/probe_modules.h: the exporter's modules, named client profiles a scrape picks with
 * &module=NAME. Module "default" is the command line's client options; `--config FILE` adds
 * more, in sections of 'key = value' lines (the keys of probe_options[], and allow_targets):
 *
 *     # comments start with # or ;
 *     [module odbc]
 *     driver = odbc18
 *     handshake = certificate
 *     allow_targets = 10.20.0.0/16, *.db.example.com
 *
 * Each module starts from the command line (its client options and --allow-targets), then its
 * own lines on top: a module's allow_targets replaces the command line's list for it. */
#ifndef PROBE_PROBE_MODULES_H
#define PROBE_PROBE_MODULES_H

#include <stddef.h>
#include <stdio.h>

#include "probe/drivers/probe_overrides.h"
#include "probe/serve/probe_allow.h"

#define PROBE_MODULES_MAX 32

struct probe_module {
    char name[64]; /* letters, digits, '_', '-', '.'; never "default" */
    struct probe_overrides o;
    struct probe_allow allow; /* the targets it may probe (off: any) */
};

struct probe_modules {
    struct probe_overrides defaults; /* module "default": the command line */
    struct probe_allow allow;        /* and its --allow-targets */
    struct probe_module mods[PROBE_MODULES_MAX];
    size_t n;
};

/* Reads a modules file (name: how errors call it) into m, after m->defaults and m->allow are
 * complete.
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

#endif
