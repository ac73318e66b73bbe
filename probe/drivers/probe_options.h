/* probe/drivers/probe_options.h: the vocabulary the two front ends (tdsprobe and tdsprobe serve)
 * share: the client options, their exit codes and how they report a usage error.
 *
 * The client options are one table, probe_options[]. Everything that names them is made from
 * it: the getopt_long entries of both command lines (probe_options_getopt), the help lines
 * (probe_options_help, probe_options_list), the keys of an exporter module and the dispatch of
 * probe_overrides_set (probe_option_by_key, probe_option_apply). */
#ifndef PROBE_PROBE_OPTIONS_H
#define PROBE_PROBE_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "probe/model/probe.h"
#include "probe/model/probe_diag.h"

/* Which fields of a probe_client an option sets (struct probe_overrides.set). */
enum {
    PROBE_SET_ENCRYPT = 1 << 0,
    PROBE_SET_TSC = 1 << 1,
    PROBE_SET_HNIC = 1 << 2,
    PROBE_SET_CA = 1 << 3,
    PROBE_SET_TLS_MIN = 1 << 4,
    PROBE_SET_TLS_MAX = 1 << 5,
    PROBE_SET_HANDSHAKE = 1 << 6,
    PROBE_SET_DRIVER = 1 << 7,
    PROBE_SET_AUDIT_TIMEOUT = 1 << 8,
    PROBE_SET_CLIENT_OS = 1 << 9,
    PROBE_SET_SCERT = 1 << 10,
};

enum probe_option_kind {
    PROBE_OPTION_FLAG,   /* no argument on the command line (it means true); a module's key
                            takes true/false, yes/no or 1/0 */
    PROBE_OPTION_CHOICE, /* one of choices[] */
    PROBE_OPTION_TEXT,   /* free text, called metavar in the help */
};

/* The section of `tdsprobe --help` an option is listed in. */
enum probe_option_group {
    PROBE_OPTION_CLIENT, /* "Client settings": the connection-string keywords */
    PROBE_OPTION_PROBE,  /* "Probe settings": how far the probe goes */
};

/* How an option is spelled: "--tls-min" on a command line, "tls_min" in a module. */
enum probe_option_spelling { PROBE_SPELL_OPTION, PROBE_SPELL_KEY };

struct probe_option {
    const char *name;            /* command line, without the dashes: "tls-min" */
    const char *key;             /* module key and probe_overrides_set key: "tls_min" */
    enum probe_option_kind kind;
    const char *const *choices;  /* CHOICE: the values, in the order apply() numbers them */
    bool fold_case;              /* CHOICE: compared ignoring case */
    const char *metavar;         /* TEXT: "FILE" */
    enum probe_option_group group;
    const char *help;            /* the help text, lines separated by '\n' */
    unsigned bit;                /* PROBE_SET_* */
    /* FLAG and CHOICE: stores a checked value, 1 or 0 (FLAG) or the index into choices. */
    void (*store)(struct probe_client *c, int choice);
    /* TEXT: checks and stores the value. Returns 0, or -1 with a sentence in err. */
    int (*set_text)(struct probe_client *c, const char *value, char *err, size_t errlen);
};

extern const struct probe_option probe_options[];
extern const size_t probe_options_count;

/* getopt_long's val for probe_options[i] (above every character and every front end's own
 * option ids). */
#define PROBE_OPTION_ID0 0x1000
#define PROBE_OPTION_ID(i) (PROBE_OPTION_ID0 + (int)(i))

const struct probe_option *probe_option_by_key(const char *key);
const struct probe_option *probe_option_by_bit(unsigned bit);
/* The option getopt_long reported as id, or NULL when id is a front end's own. */
const struct probe_option *probe_option_by_id(int id);

/* Checks value against the option's vocabulary and stores it in c. Returns 0, or -1 with a
 * sentence in err ("tls_min takes 1.0, 1.1 or 1.2, not '1.3'"). */
int probe_option_apply(const struct probe_option *o, const char *value, struct probe_client *c,
                       char *err, size_t errlen);

/* "--tls-min" or "tls_min" into buf. */
const char *probe_option_spell(const struct probe_option *o, enum probe_option_spelling sp,
                               char *buf, size_t cap);

/* A front end's getopt_long table: every client option, then own (up to and including its
 * all-zero end). Returns 0, or -1 when out (cap entries) is too small. */
int probe_options_getopt(struct option *out, size_t cap, const struct option *own);

/* The help lines of one group, as tdsprobe --help shows them: "  --NAME ARG", padded to column
 * 33 where the help text starts (on the next line when the name is longer). */
void probe_options_help(FILE *f, enum probe_option_group g);

/* Every option's name, comma-separated, in lines of at most width columns that start with
 * indent spaces. */
void probe_options_list(FILE *f, enum probe_option_spelling sp, size_t indent, size_t width);

/* The exit status of both front ends. A run's status is the verdict class of its worst target
 * (probe_diag_class): 0 every target would connect, 1 at least one would fail for a TLS or
 * certificate reason, 2 at least one could not be probed (also for a limit of this machine or
 * of the probe, class LOCAL); 64 is a usage error (EX_USAGE in
 * sysexits.h). tdsprobe serve exits 1 when it cannot listen or shut down cleanly. */
enum probe_exit {
    PROBE_EXIT_OK = 0,
    PROBE_EXIT_FAIL = 1,
    PROBE_EXIT_ERROR = 2,
    PROBE_EXIT_USAGE = 64,
    PROBE_EXIT_SERVE_FAILED = 1,
};

enum probe_exit probe_exit_for_class(enum probe_diag_class cls);

/* "PROG: <message>" and "Try 'PROG --help' for the options." on stderr; returns
 * PROBE_EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) int probe_usage_error(const char *prog, const char *fmt,
                                                            ...);

/* The numeric options of both front ends, one table: what each takes, and how a refusal says
 * it. Every value is plain decimal digits (seconds may have a fraction): no sign, no space, no
 * exponent, no hex, no "nan" or "inf"; it must fit its range, which leaves out zero where zero
 * means nothing (a timeout, a concurrency). */
enum probe_number_kind {
    PROBE_NUMBER_INTEGER, /* digits */
    PROBE_NUMBER_SECONDS, /* digits, optionally '.' and more digits */
};

struct probe_number {
    const char *name; /* as on the command line, without the dashes ("listen": its port) */
    enum probe_number_kind kind;
    double lo, hi;    /* the range, both ends included */
    const char *unit; /* what a refusal calls the values ("seconds"), or NULL */
};

extern const struct probe_number probe_numbers[];
extern const size_t probe_numbers_count;

/* The entry for --name, or NULL. */
const struct probe_number *probe_number_by_name(const char *name);

/* s as option n takes it. Returns 0 with the value in *out, or -1. */
int probe_number_parse(const struct probe_number *n, const char *s, double *out);

/* "seconds (0.001..3600)": the values n takes, for a refusal. */
const char *probe_number_takes(const struct probe_number *n, char *buf, size_t cap);

/* --name VALUE of either front end: probe_number_parse() on the entry for name, or a usage
 * error naming the option ("PROG: --timeout takes seconds (0.001..3600), not 'nan'"). Returns 0
 * with the value in *out, or PROBE_EXIT_USAGE (printed). */
int probe_option_number(const char *prog, const char *name, const char *val, double *out);

/* --timeout's rule (probe_number_parse on its entry). Returns 0, or -1. */
int probe_parse_seconds(const char *s, double *out);

/* --timeout of either front end: probe_option_number() for "timeout". */
int probe_option_timeout(const char *prog, const char *val, double *out);

/* Decimal digits only, in [lo, hi]. Returns 0, or -1. */
int probe_parse_int(const char *s, long lo, long hi, long *out);

#endif
