/* probe/serve/probe_modules.c: the exporter's modules file (probe_modules.h). */
#include "probe/serve/probe_modules.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe/engine/probe_engine.h"

/* ---- what a module's probes do ---------------------------------------------------------- */

void probe_module_run_init(struct probe_module_run *r)
{
    memset(r, 0, sizeof(*r));
    r->timeout_s = 10;
    r->policy.warn_days = r->policy.crit_days = -1;
}

/* true/false, yes/no, 1/0 (as the client keys' flags take them) into *out. */
static int flag(const char *key, const char *v, bool *out, char *err, size_t errlen)
{
    bool yes = strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0;
    bool no = strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0;

    if (!yes && !no) {
        snprintf(err, errlen, "%s takes true or false, not '%.100s'", key, v);
        return -1;
    }
    *out = yes;
    return 0;
}

/* A number as the option of the same name takes it (probe_numbers[]: "warn-days"). */
static int number(const char *key, const char *option, const char *v, double *out, char *err,
                  size_t errlen)
{
    const struct probe_number *n = probe_number_by_name(option);
    char takes[128];

    if (probe_number_parse(n, v, out) != 0) {
        snprintf(err, errlen, "%s takes %s, not '%.100s'", key,
                 probe_number_takes(n, takes, sizeof(takes)), v);
        return -1;
    }
    return 0;
}

/* "code1, code2": each added to the ignored finding codes. */
static int ignore_list(struct probe_nagios_policy *p, const char *v, char *err, size_t errlen)
{
    char code[64];

    for (const char *s = v;; s++) {
        size_t n = strcspn(s, ","), a = 0;
        while (a < n && (s[a] == ' ' || s[a] == '\t')) {
            a++;
        }
        while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        snprintf(code, sizeof(code), "%.*s", (int)(n - a), s + a);
        if (probe_nagios_ignore(p, code, err, errlen) != 0) {
            return -1;
        }
        s += strcspn(s, ",");
        if (*s == '\0') {
            return 0;
        }
    }
}

int probe_module_run_set(struct probe_module_run *r, const char *key, const char *value,
                         char *err, size_t errlen)
{
    double d;

    if (strcmp(key, "timeout") == 0) {
        return number(key, "timeout", value, &r->timeout_s, err, errlen);
    }
    if (strcmp(key, "protocols") == 0) {
        return flag(key, value, &r->protocols, err, errlen);
    }
    if (strcmp(key, "ciphers") == 0) {
        return flag(key, value, &r->ciphers, err, errlen);
    }
    if (strcmp(key, "require_tls12_only") == 0) {
        int rc = flag(key, value, &r->policy.require_tls12_only, err, errlen);
        r->protocols = r->protocols || r->policy.require_tls12_only; /* as --require-tls12-only */
        return rc;
    }
    if (strcmp(key, "ignore") == 0) {
        return ignore_list(&r->policy, value, err, errlen);
    }
    bool warn = strcmp(key, "warn_days") == 0;
    if (warn || strcmp(key, "crit_days") == 0) {
        int rc = number(key, warn ? "warn-days" : "crit-days", value, &d, err, errlen);
        *(warn ? &r->policy.warn_days : &r->policy.crit_days) = rc == 0 ? (int)d : -1;
        return rc;
    }
    return 1;
}

double probe_module_apply(const struct probe_module_run *r, double scrape_s,
                          struct probe_target *t)
{
    bool audit = r->protocols || r->ciphers;
    double deadline = r->timeout_s, set = t->client.audit_timeout_s;
    double budget = !audit ? 0 : set > 0 ? set : PROBE_AUDIT_BUDGET_TIMEOUTS * deadline;
    double limit = scrape_s - PROBE_SCRAPE_OFFSET_S;

    if (scrape_s > 0 && limit > 0 && limit < deadline + budget) {
        double k = limit / (deadline + budget);
        deadline *= k;
        budget *= k;
    }
    t->client.timeout_s = deadline;
    t->client.audit_protocols = r->protocols;
    t->client.audit_ciphers = r->ciphers;
    if (audit) {
        t->client.audit_timeout_s = budget;
    }
    return deadline + budget;
}

/* ---- the modules file ------------------------------------------------------------------- */

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
    (*cur)->run = m->run;
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
    int rc = probe_module_run_set(&(*cur)->run, line, trim(eq + 1), err, errlen);
    if (rc <= 0) {
        return rc;
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

const struct probe_module_run *probe_modules_run(const struct probe_modules *m,
                                                 const char *name)
{
    long i = module_index(m, name);

    return i == MODULE_DEFAULT ? &m->run : i == MODULE_NONE ? NULL : &m->mods[i].run;
}

struct probe_modules *probe_modules_fresh(const struct probe_modules *m)
{
    struct probe_modules *f = malloc(sizeof(*f));

    if (f) {
        f->defaults = m->defaults;
        f->allow = m->allow;
        f->run = m->run;
        f->n = 0;
    }
    return f;
}
