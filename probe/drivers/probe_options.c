/* probe/drivers/probe_options.c: the client options, one table (probe_options.h). */
#include "probe/drivers/probe_options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_driver.h"
#include "tls/tls_pin.h"
#include "tls/tls_version.h"

#define HELP_COLUMN 33 /* where the help text starts in every help line */

/* "disable" (choice 3): the client sends ENCRYPTION=NOT_SUP (go-mssqldb encrypt=disable,
 * FreeTDS encryption = off, tedious encrypt=false): no TLS at all unless the server forces it.
 * The others are enum probe_encrypt in order. */
static void store_encrypt(struct probe_client *c, int choice)
{
    c->encrypt_disable = choice == 3;
    c->encrypt = c->encrypt_disable ? PROBE_ENCRYPT_OPTIONAL : (enum probe_encrypt)choice;
}

static void store_tsc(struct probe_client *c, int choice)
{
    c->trust_server_certificate = choice == 1;
}

static void store_tls_min(struct probe_client *c, int choice)
{
    c->tls_min = TLS_V10 + choice;
    c->tls_named |= PROBE_TLS_NAMED_MIN;
}

static void store_tls_max(struct probe_client *c, int choice)
{
    c->tls_max = TLS_V10 + choice;
    c->tls_named |= PROBE_TLS_NAMED_MAX;
}

/* choices in enum probe_os order, after PROBE_OS_HOST */
static void store_client_os(struct probe_client *c, int choice)
{
    c->os = (enum probe_os)(PROBE_OS_WINDOWS + choice);
}

static void store_handshake(struct probe_client *c, int choice)
{
    c->handshake = choice == 0 ? TLS_HANDSHAKE_FULL : TLS_HANDSHAKE_CERTIFICATE;
}

static int copy_text(char *dst, size_t cap, const char *v, const char *key, char *err,
                     size_t errlen)
{
    size_t n = strlen(v);

    if (n >= cap) {
        snprintf(err, errlen, "%s is too long (at most %zu bytes)", key, cap - 1);
        return -1;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

static int set_hnic(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    return copy_text(c->host_name_in_certificate, sizeof(c->host_name_in_certificate), v,
                     "host_name_in_certificate", err, errlen);
}

static int set_ca(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    if (access(v, R_OK) != 0) {
        snprintf(err, errlen, "cannot read ca_file '%.200s': %s", v, strerror(errno));
        return -1;
    }
    return copy_text(c->ca_file, sizeof(c->ca_file), v, "ca_file", err, errlen);
}

/* The file is read now, so one that is neither PEM nor DER is a usage error naming it; the
 * driver's own file rules are checked per target (probe_client_load_pin). */
static int set_scert(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    struct tls_pin p;

    if (tls_pin_load(&p, v, err, errlen) != 0) {
        return -1;
    }
    tls_pin_free(&p);
    return copy_text(c->server_certificate, sizeof(c->server_certificate), v,
                     "server_certificate", err, errlen);
}

static int set_driver(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    struct probe_client check;
    char names[200];

    if (probe_client_set_driver(&check, v) != 0) {
        probe_driver_list(names, sizeof(names));
        snprintf(err, errlen, "driver takes one of %s, not '%.100s'", names, v);
        return -1;
    }
    snprintf(c->driver, sizeof(c->driver), "%s", check.driver);
    return 0;
}

static int set_audit_timeout(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    double s;

    if (probe_parse_seconds(v, &s) != 0) {
        snprintf(err, errlen, "audit_timeout takes seconds (0 < s <= 3600), not '%.100s'", v);
        return -1;
    }
    c->audit_timeout_s = s;
    return 0;
}

static const char *const encrypt_choices[] = { "optional", "mandatory", "strict", "disable",
                                               NULL };
static const char *const tls_choices[] = { "1.0", "1.1", "1.2", NULL };
static const char *const handshake_choices[] = { "full", "certificate", NULL };
static const char *const os_choices[] = { "windows", "linux", "macos", "windows11", NULL };

const struct probe_option probe_options[] = {
    { .name = "encrypt", .key = "encrypt", .kind = PROBE_OPTION_CHOICE,
      .choices = encrypt_choices, .fold_case = true, .group = PROBE_OPTION_CLIENT,
      .help = "Encrypt= (default mandatory: SqlClient 4+, ODBC 18, JDBC);\n"
              "optional sends ENCRYPTION=OFF: login-only TLS, not\n"
              "validated; strict is TDS 8.0: TLS first (ALPN tds/8.0),\n"
              "always validated; disable sends ENCRYPTION=NOT_SUP\n"
              "(go-mssqldb encrypt=disable, FreeTDS encryption = off)",
      .bit = PROBE_SET_ENCRYPT, .store = store_encrypt },
    { .name = "trust-server-certificate", .key = "trust_server_certificate",
      .kind = PROBE_OPTION_FLAG, .group = PROBE_OPTION_CLIENT,
      .help = "TrustServerCertificate=True: skip every certificate check",
      .bit = PROBE_SET_TSC, .store = store_tsc },
    { .name = "host-name-in-certificate", .key = "host_name_in_certificate",
      .kind = PROBE_OPTION_TEXT, .metavar = "N", .group = PROBE_OPTION_CLIENT,
      .help = "check the certificate against N instead of the host",
      .bit = PROBE_SET_HNIC, .set_text = set_hnic },
    { .name = "ca-file", .key = "ca_file", .kind = PROBE_OPTION_TEXT, .metavar = "FILE",
      .group = PROBE_OPTION_CLIENT, .help = "trust these CAs instead of the system trust store",
      .bit = PROBE_SET_CA, .set_text = set_ca },
    { .name = "server-certificate", .key = "server_certificate", .kind = PROBE_OPTION_TEXT,
      .metavar = "FILE", .group = PROBE_OPTION_CLIENT,
      .help = "ServerCertificate=: pin the certificate in FILE (PEM or\n"
              "DER); the server must present exactly it (FreeTDS:\n"
              "a CA file)",
      .bit = PROBE_SET_SCERT, .set_text = set_scert },
    { .name = "tls-min", .key = "tls_min", .kind = PROBE_OPTION_CHOICE, .choices = tls_choices,
      .group = PROBE_OPTION_CLIENT,
      .help = "lowest TLS version the client offers (default: its\nTLS stack's, see --client-os)",
      .bit = PROBE_SET_TLS_MIN, .store = store_tls_min },
    { .name = "tls-max", .key = "tls_max", .kind = PROBE_OPTION_CHOICE, .choices = tls_choices,
      .group = PROBE_OPTION_CLIENT,
      .help = "highest TLS version the client offers (default: its\n"
              "TLS stack's; 1.2 keeps strict mode off TLS 1.3)",
      .bit = PROBE_SET_TLS_MAX, .store = store_tls_max },
    { .name = "driver", .key = "driver", .kind = PROBE_OPTION_TEXT, .metavar = "NAME",
      .group = PROBE_OPTION_CLIENT,
      .help = "the client to emulate: sqlclient (default),\n"
              "sqlclient-legacy, odbc18, odbc17, jdbc, go-mssqldb,\n"
              "tedious, freetds (inferred from a connection string)",
      .bit = PROBE_SET_DRIVER, .set_text = set_driver },
    { .name = "client-os", .key = "client_os", .kind = PROBE_OPTION_CHOICE,
      .choices = os_choices, .fold_case = true, .group = PROBE_OPTION_CLIENT,
      .help = "the client's OS, which picks its driver's TLS stack\n"
              "(default: the OS tdsprobe runs on; windows means\n"
              "Windows 10 / Server 2019: Schannel without TLS 1.3;\n"
              "windows11 means Windows 11 24H2+ / Server 2025:\n"
              "Schannel with TLS 1.3 and without TLS 1.0/1.1)",
      .bit = PROBE_SET_CLIENT_OS, .store = store_client_os },
    { .name = "handshake", .key = "handshake", .kind = PROBE_OPTION_CHOICE,
      .choices = handshake_choices, .group = PROBE_OPTION_PROBE,
      .help = "full handshake, or stop once the server's certificate\n"
              "flight has been read and checked (cheaper)",
      .bit = PROBE_SET_HANDSHAKE, .store = store_handshake },
    { .name = "audit-timeout", .key = "audit_timeout", .kind = PROBE_OPTION_TEXT,
      .metavar = "SECONDS", .group = PROBE_OPTION_PROBE,
      .help = "--protocols/--ciphers: the whole audit's time per\n"
              "target, pauses not counted (default 3 x --timeout);\n"
              "steps left: \"not tested (audit time budget reached)\"",
      .bit = PROBE_SET_AUDIT_TIMEOUT, .set_text = set_audit_timeout },
};

const size_t probe_options_count = sizeof(probe_options) / sizeof(probe_options[0]);

const struct probe_option *probe_option_by_key(const char *key)
{
    for (size_t i = 0; i < probe_options_count; i++) {
        if (strcmp(probe_options[i].key, key) == 0) {
            return &probe_options[i];
        }
    }
    return NULL;
}

const struct probe_option *probe_option_by_bit(unsigned bit)
{
    for (size_t i = 0; i < probe_options_count; i++) {
        if (probe_options[i].bit == bit) {
            return &probe_options[i];
        }
    }
    return NULL;
}

const struct probe_option *probe_option_by_id(int id)
{
    if (id < PROBE_OPTION_ID0 || id >= PROBE_OPTION_ID(probe_options_count)) {
        return NULL;
    }
    return &probe_options[id - PROBE_OPTION_ID0];
}

/* The index of v in choices, or -1. */
static int find_choice(const struct probe_option *o, const char *v)
{
    for (int i = 0; o->choices[i] != NULL; i++) {
        if ((o->fold_case ? strcasecmp(v, o->choices[i]) : strcmp(v, o->choices[i])) == 0) {
            return i;
        }
    }
    return -1;
}

/* 1 true, 0 false, -1 neither (the spellings connection strings use for a boolean). */
static int parse_bool(const char *v)
{
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0) {
        return 1;
    }
    if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0) {
        return 0;
    }
    return -1;
}

/* "1.0, 1.1 or 1.2": the choices as a sentence says them. */
static void say_choices(const struct probe_option *o, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; o->choices[i] != NULL && len < cap; i++) {
        const char *sep = i == 0 ? "" : o->choices[i + 1] == NULL ? " or " : ", ";
        int n = snprintf(buf + len, cap - len, "%s%s", sep, o->choices[i]);
        len += n > 0 ? (size_t)n : 0;
    }
}

int probe_option_apply(const struct probe_option *o, const char *value, struct probe_client *c,
                       char *err, size_t errlen)
{
    int choice;
    char said[160];

    if (o->kind == PROBE_OPTION_FLAG) {
        choice = parse_bool(value);
        if (choice < 0) {
            snprintf(err, errlen, "%s takes true or false, not '%.100s'", o->key, value);
            return -1;
        }
    } else if (o->kind == PROBE_OPTION_CHOICE) {
        choice = find_choice(o, value);
        if (choice < 0) {
            say_choices(o, said, sizeof(said));
            snprintf(err, errlen, "%s takes %s, not '%.100s'", o->key, said, value);
            return -1;
        }
    } else {
        return o->set_text(c, value, err, errlen);
    }
    o->store(c, choice);
    return 0;
}

const char *probe_option_spell(const struct probe_option *o, enum probe_option_spelling sp,
                               char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s", sp == PROBE_SPELL_OPTION ? "--" : "",
             sp == PROBE_SPELL_OPTION ? o->name : o->key);
    return buf;
}

int probe_options_getopt(struct option *out, size_t cap, const struct option *own)
{
    size_t n = 0;

    for (size_t i = 0; i < probe_options_count; i++) {
        if (n == cap) {
            return -1;
        }
        bool flag = probe_options[i].kind == PROBE_OPTION_FLAG;
        out[n++] = (struct option){ probe_options[i].name, flag ? no_argument : required_argument,
                                    NULL, PROBE_OPTION_ID(i) };
    }
    for (size_t i = 0;; i++) {
        if (n == cap) {
            return -1;
        }
        out[n++] = own[i];
        if (own[i].name == NULL) {
            return 0;
        }
    }
}

/* "--tls-min 1.0|1.1|1.2", "--ca-file FILE", "--trust-server-certificate". */
static void usage_name(const struct probe_option *o, char *buf, size_t cap)
{
    int len = snprintf(buf, cap, "--%s", o->name);

    if (o->kind == PROBE_OPTION_TEXT) {
        snprintf(buf + len, cap - (size_t)len, " %s", o->metavar);
    }
    for (int i = 0; o->kind == PROBE_OPTION_CHOICE && o->choices[i] != NULL; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, cap - at, "%c%s", i == 0 ? ' ' : '|', o->choices[i]);
    }
}

void probe_options_help(FILE *f, enum probe_option_group g)
{
    char name[128];

    for (size_t i = 0; i < probe_options_count; i++) {
        const struct probe_option *o = &probe_options[i];
        if (o->group != g) {
            continue;
        }
        usage_name(o, name, sizeof(name));
        int col = fprintf(f, "  %s", name);
        for (const char *line = o->help; line != NULL;) {
            const char *nl = strchr(line, '\n');
            int n = nl ? (int)(nl - line) : (int)strlen(line);
            if (col >= HELP_COLUMN) {
                fputc('\n', f);
                col = 0;
            }
            fprintf(f, "%*s%.*s\n", HELP_COLUMN - col, "", n, line);
            col = 0;
            line = nl ? nl + 1 : NULL;
        }
    }
}

void probe_options_list(FILE *f, enum probe_option_spelling sp, size_t indent, size_t width)
{
    char word[80];
    size_t col = 0;

    for (size_t i = 0; i < probe_options_count; i++) {
        probe_option_spell(&probe_options[i], sp, word, sizeof(word));
        size_t n = strlen(word) + (i + 1 < probe_options_count ? 1 : 0); /* with its comma */
        if (col > 0 && col + 1 + n > width) {
            fputc('\n', f);
            col = 0;
        }
        if (col == 0) {
            col = (size_t)fprintf(f, "%*s", (int)indent, "");
        } else {
            col += (size_t)fprintf(f, " ");
        }
        col += (size_t)fprintf(f, "%s%s", word, i + 1 < probe_options_count ? "," : "");
    }
    fputc('\n', f);
}

enum probe_exit probe_exit_for_class(enum probe_diag_class cls)
{
    switch (cls) {
    case PROBE_CLASS_OK:
        return PROBE_EXIT_OK;
    case PROBE_CLASS_FAIL:
        return PROBE_EXIT_FAIL;
    case PROBE_CLASS_ERROR:
    case PROBE_CLASS_LOCAL: /* could not probe: not the server's failure, not a usage error */
        return PROBE_EXIT_ERROR;
    default:
        return PROBE_EXIT_USAGE;
    }
}

int probe_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for the options.\n", prog);
    return PROBE_EXIT_USAGE;
}

/* The ranges of the front ends' numbers. tdsprobe runs at most 16 event loops (MAX_THREADS in
 * probe/cli/main.c); a timeout under a millisecond would be a zero libuv timer. */
const struct probe_number probe_numbers[] = {
    { "timeout", PROBE_NUMBER_SECONDS, 0.001, 3600, "seconds" },
    { "concurrency", PROBE_NUMBER_INTEGER, 1, 100000, NULL },
    { "threads", PROBE_NUMBER_INTEGER, 1, 16, NULL },
    { "audit-max-connections", PROBE_NUMBER_INTEGER, 1, 100000, NULL },
    { "audit-pause", PROBE_NUMBER_INTEGER, 1, 60000, "milliseconds" },
    { "browser-port", PROBE_NUMBER_INTEGER, 1, 65535, "a UDP port" },
    { "warn-days", PROBE_NUMBER_INTEGER, 0, 36500, "a number of days" },
    { "crit-days", PROBE_NUMBER_INTEGER, 0, 36500, "a number of days" },
    { "max-concurrency", PROBE_NUMBER_INTEGER, 1, 100000, NULL },
    { "listen", PROBE_NUMBER_INTEGER, 0, 65535, "ADDR:PORT, a numeric address and a port" },
};

const size_t probe_numbers_count = sizeof(probe_numbers) / sizeof(probe_numbers[0]);

const struct probe_number *probe_number_by_name(const char *name)
{
    for (size_t i = 0; i < probe_numbers_count; i++) {
        if (strcmp(probe_numbers[i].name, name) == 0) {
            return &probe_numbers[i];
        }
    }
    return NULL;
}

/* Digits, and for seconds at most one '.' with a digit somewhere: everything strtod and
 * strtol would take beyond that ("nan", "inf", "0x1p3", "1e3", " 5", "+5", "-5") is refused
 * before they see it. */
static bool plain_decimal(const char *s, bool fraction)
{
    size_t digits = strspn(s, "0123456789");
    const char *rest = s + digits;

    if (fraction && *rest == '.') {
        size_t more = strspn(rest + 1, "0123456789");
        digits += more;
        rest += 1 + more;
    }
    return digits > 0 && *rest == '\0';
}

int probe_number_parse(const struct probe_number *n, const char *s, double *out)
{
    char *end;

    if (!plain_decimal(s, n->kind == PROBE_NUMBER_SECONDS)) {
        return -1;
    }
    errno = 0;
    if (n->kind == PROBE_NUMBER_SECONDS) {
        *out = strtod(s, &end);
    } else {
        *out = (double)strtol(s, &end, 10);
    }
    /* errno: out of range (ERANGE), also for a fraction too small to hold */
    return (*end != '\0' || errno || !(*out >= n->lo && *out <= n->hi)) ? -1 : 0;
}

const char *probe_number_takes(const struct probe_number *n, char *buf, size_t cap)
{
    char range[64];

    snprintf(range, sizeof(range), "%g..%g", n->lo, n->hi);
    if (n->unit) {
        snprintf(buf, cap, "%s (%s)", n->unit, range);
    } else {
        snprintf(buf, cap, "%s", range);
    }
    return buf;
}

int probe_option_number(const char *prog, const char *name, const char *val, double *out)
{
    const struct probe_number *n = probe_number_by_name(name);
    char takes[128];

    if (n == NULL) {
        return probe_usage_error(prog, "--%s is not a numeric option", name);
    }
    if (probe_number_parse(n, val, out) != 0) {
        return probe_usage_error(prog, "--%s takes %s, not '%s'", name,
                                 probe_number_takes(n, takes, sizeof(takes)), val);
    }
    return 0;
}

int probe_parse_seconds(const char *s, double *out)
{
    return probe_number_parse(probe_number_by_name("timeout"), s, out);
}

int probe_option_timeout(const char *prog, const char *val, double *out)
{
    return probe_option_number(prog, "timeout", val, out);
}

int probe_parse_int(const char *s, long lo, long hi, long *out)
{
    struct probe_number n = { "", PROBE_NUMBER_INTEGER, (double)lo, (double)hi, NULL };
    double v;

    if (probe_number_parse(&n, s, &v) != 0) {
        return -1;
    }
    *out = (long)v;
    return 0;
}
