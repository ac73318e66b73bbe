/* probe/drivers/probe_overrides.c: client settings given outside the target (probe_overrides.h). */
#include "probe/drivers/probe_overrides.h"

#include <stdio.h>
#include <string.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_connstr.h"
#include "probe/drivers/probe_target.h"
#include "tls/tls_version.h"

void probe_overrides_init(struct probe_overrides *o)
{
    memset(o, 0, sizeof(*o));
    probe_client_default(&o->client);
}

int probe_overrides_set(struct probe_overrides *o, const char *key, const char *value, char *err,
                        size_t errlen)
{
    const struct probe_option *opt = probe_option_by_key(key);

    if (opt == NULL) {
        snprintf(err, errlen, "unknown setting '%.100s'", key);
        return -1;
    }
    if (probe_option_apply(opt, value, &o->client, err, errlen) != 0) {
        return -1;
    }
    o->set |= opt->bit;
    return 0;
}

int probe_overrides_check(const struct probe_overrides *o, enum probe_option_spelling sp,
                          char *err, size_t errlen)
{
    char lo[40], hi[40];

    if ((o->set & PROBE_SET_TLS_MIN) && (o->set & PROBE_SET_TLS_MAX) &&
        o->client.tls_min > o->client.tls_max) {
        snprintf(err, errlen, "%s is above %s",
                 probe_option_spell(probe_option_by_bit(PROBE_SET_TLS_MIN), sp, lo, sizeof(lo)),
                 probe_option_spell(probe_option_by_bit(PROBE_SET_TLS_MAX), sp, hi, sizeof(hi)));
        return -1;
    }
    return 0;
}

/* A client option from the command line: a flag means "true". */
static int getopt_client(struct probe_overrides *o, const char *prog,
                         const struct probe_option *opt, const char *arg)
{
    char err[600];

    if (probe_overrides_set(o, opt->key, opt->kind == PROBE_OPTION_FLAG ? "true" : arg, err,
                            sizeof(err)) != 0) {
        return probe_usage_error(prog, "--%s: %s", opt->name, err);
    }
    return 0;
}

int probe_overrides_getopt(struct probe_overrides *o, const char *prog, int argc, char **argv,
                           const char *shortopts, const struct option *own,
                           int (*apply)(void *arg, int id, const char *val), void *arg)
{
    struct option opts[64];
    char err[200];
    int id, rc = 0;

    if (probe_options_getopt(opts, sizeof(opts) / sizeof(opts[0]), own) != 0) {
        return probe_usage_error(prog, "%s", "too many options");
    }
    optind = 0; /* glibc and musl: start over, also after an earlier parse */
    opterr = 0;
    while (rc == 0 && (id = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        const struct probe_option *opt = probe_option_by_id(id);
        if (id == '?' || id == ':') {
            rc = probe_usage_error(prog, "unknown or incomplete option '%s'", argv[optind - 1]);
        } else if (opt != NULL) {
            rc = getopt_client(o, prog, opt, optarg);
        } else {
            rc = apply(arg, id, optarg);
        }
    }
    if (rc == 0 && probe_overrides_check(o, PROBE_SPELL_OPTION, err, sizeof(err)) != 0) {
        rc = probe_usage_error(prog, "%s", err);
    }
    return rc;
}

/* The explicit settings on top of a profile (a driver's defaults, or a connection string's). */
static void apply_overrides(const struct probe_overrides *o, struct probe_client *dst)
{
    const struct probe_client *src = &o->client;

    if (o->set & PROBE_SET_ENCRYPT) {
        dst->encrypt = src->encrypt;
        dst->encrypt_disable = src->encrypt_disable;
    }
    if (o->set & PROBE_SET_TSC) {
        dst->trust_server_certificate = src->trust_server_certificate;
    }
    if (o->set & PROBE_SET_HNIC) {
        memcpy(dst->host_name_in_certificate, src->host_name_in_certificate,
               sizeof(dst->host_name_in_certificate));
    }
    if ((o->set & PROBE_SET_CA) || dst->ca_file[0] == '\0') {
        memcpy(dst->ca_file, src->ca_file, sizeof(dst->ca_file));
    }
    if (o->set & PROBE_SET_SCERT) {
        memcpy(dst->server_certificate, src->server_certificate,
               sizeof(dst->server_certificate));
    }
    if (o->set & PROBE_SET_TLS_MIN) {
        dst->tls_min = src->tls_min;
        dst->tls_named |= PROBE_TLS_NAMED_MIN;
    }
    if (o->set & PROBE_SET_TLS_MAX) {
        dst->tls_max = src->tls_max;
        dst->tls_named |= PROBE_TLS_NAMED_MAX;
    }
    if (o->set & PROBE_SET_CLIENT_OS) {
        dst->os = src->os;
    }
    if (o->set & PROBE_SET_HANDSHAKE) {
        dst->handshake = src->handshake;
    }
    if (o->set & PROBE_SET_AUDIT_TIMEOUT) {
        dst->audit_timeout_s = src->audit_timeout_s;
    }
}

static int connstr_target(const struct probe_overrides *o, const char *text, unsigned flags,
                          struct probe_target *t, char *err, size_t errlen)
{
    struct probe_client *c = &t->client;

    if (probe_connstr_parse(text, t, err, errlen) != 0) {
        return -1;
    }
    if ((flags & PROBE_TARGET_NO_FILES) && (c->ca_file[0] || c->server_certificate[0])) {
        snprintf(err, errlen, "'%.200s' names a file on the exporter's host (a certificate or "
                 "trust store): give CA files in a module's ca_file instead", t->text);
        return -1;
    }
    int min, max;
    probe_client_driver_tls(c, &min, &max);
    if (c->tls_named == 0) {
        c->tls_min = min; /* the string named no TLS version: the driver's range */
        c->tls_max = max;
    }
    if (o->set & PROBE_SET_DRIVER) { /* the string's keywords stay; the driver's TLS range */
        snprintf(c->driver, sizeof(c->driver), "%s", o->client.driver);
        probe_client_driver_tls(c, &c->tls_min, &c->tls_max);
        c->tls_named = 0;
    }
    return 0;
}

int probe_make_target(const struct probe_overrides *o, const char *text, unsigned flags,
                      struct probe_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (probe_connstr_detect(text) != PROBE_CS_NONE) {
        if (connstr_target(o, text, flags, t, err, errlen) != 0) {
            return -1;
        }
    } else {
        probe_client_default(&t->client);
        if (o->set & PROBE_SET_DRIVER) { /* the driver's defaults: Encrypt, trust, TLS range */
            probe_client_set_driver(&t->client, o->client.driver);
        }
        if (probe_target_parse(text, t, err, errlen) != 0) {
            return -1;
        }
    }
    apply_overrides(o, &t->client);
    if (probe_client_settle_files(&t->client, (o->set & PROBE_SET_CA) != 0, err, errlen) != 0) {
        return -1;
    }
    if (t->client.tls_min > t->client.tls_max) {
        snprintf(err, errlen, "TLS range is empty for '%.200s' (minimum above maximum)", t->text);
        return -1;
    }
    return 0;
}

