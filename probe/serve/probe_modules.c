/* probe/serve/probe_modules.c: the exporter's modules file (probe_modules.h). */
#include "probe/serve/probe_modules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool module_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= sizeof(((struct probe_module *)0)->name)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') && !(ch >= '0' && ch <= '9') &&
            ch != '_' && ch != '-' && ch != '.') {
            return false;
        }
    }
    return true;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* "[module NAME]": a new module, starting from the command-line options. */
static int section(struct probe_modules *m, char *line, struct probe_module **cur, char *err,
                   size_t errlen)
{
    size_t n = strlen(line);

    if (n < 2 || line[n - 1] != ']' || strncmp(line, "[module ", 8) != 0) {
        snprintf(err, errlen, "expected '[module NAME]', not '%.100s'", line);
        return -1;
    }
    line[n - 1] = '\0';
    char *name = trim(line + 8);
    if (!module_name_ok(name) || strcmp(name, "default") == 0) {
        snprintf(err, errlen, "bad module name '%.100s' (letters, digits, _ - .; not default)",
                 name);
        return -1;
    }
    if (probe_modules_find(m, name) != NULL) {
        snprintf(err, errlen, "module '%s' is defined twice", name);
        return -1;
    }
    if (m->n == PROBE_MODULES_MAX) {
        snprintf(err, errlen, "more than %d modules", PROBE_MODULES_MAX);
        return -1;
    }
    *cur = &m->mods[m->n++];
    snprintf((*cur)->name, sizeof((*cur)->name), "%s", name);
    (*cur)->o = m->defaults;
    (*cur)->allow = m->allow;
    return 0;
}

static int line_of(struct probe_modules *m, char *line, struct probe_module **cur, char *err,
                   size_t errlen)
{
    line = trim(line);
    if (line[0] == '\0' || line[0] == '#' || line[0] == ';') {
        return 0;
    }
    if (line[0] == '[') {
        return section(m, line, cur, err, errlen);
    }
    char *eq = strchr(line, '=');
    if (!eq || !*cur) {
        snprintf(err, errlen, "expected 'key = value' inside a [module NAME] section");
        return -1;
    }
    *eq = '\0';
    if (strcmp(trim(line), "allow_targets") == 0) {
        return probe_allow_parse(&(*cur)->allow, trim(eq + 1), err, errlen);
    }
    if (probe_overrides_set(&(*cur)->o, trim(line), trim(eq + 1), err, errlen) != 0) {
        return -1;
    }
    return probe_overrides_check(&(*cur)->o, PROBE_SPELL_KEY, err, errlen);
}

int probe_modules_read(struct probe_modules *m, FILE *f, const char *name, char *err,
                       size_t errlen)
{
    struct probe_module *cur = NULL;
    char *line = NULL, why[600];
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;

    while (rc == 0 && getline(&line, &cap, f) != -1) {
        lineno++;
        rc = line_of(m, line, &cur, why, sizeof(why));
        if (rc != 0) {
            snprintf(err, errlen, "%.200s:%u: %.500s", name, lineno, why);
        }
    }
    free(line);
    return rc;
}

int probe_modules_load(struct probe_modules *m, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");

    if (!f) {
        snprintf(err, errlen, "cannot open --config '%.200s': %s", path, strerror(errno));
        return -1;
    }
    int rc = probe_modules_read(m, f, path, err, errlen);
    fclose(f);
    return rc;
}

enum { MODULE_DEFAULT = -1, MODULE_NONE = -2 };

/* The index of module name in m->mods, MODULE_DEFAULT (NULL or "default": the command line's)
 * or MODULE_NONE. */
static long module_index(const struct probe_modules *m, const char *name)
{
    if (name == NULL || strcmp(name, "default") == 0) {
        return MODULE_DEFAULT;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->mods[i].name, name) == 0) {
            return (long)i;
        }
    }
    return MODULE_NONE;
}

const struct probe_overrides *probe_modules_find(const struct probe_modules *m,
                                                 const char *name)
{
    long i = module_index(m, name);

    return i == MODULE_DEFAULT ? &m->defaults : i == MODULE_NONE ? NULL : &m->mods[i].o;
}

const struct probe_allow *probe_modules_allow(const struct probe_modules *m, const char *name)
{
    long i = module_index(m, name);

    return i == MODULE_DEFAULT ? &m->allow : i == MODULE_NONE ? NULL : &m->mods[i].allow;
}
