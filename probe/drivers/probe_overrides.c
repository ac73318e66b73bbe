/* probe/drivers/probe_overrides.c: client settings given outside the target (probe_overrides.h). */
#include "probe/drivers/probe_overrides.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_connstr.h"
#include "probe/drivers/probe_target.h"


void probe_overrides_init(struct probe_overrides *o)
{
    memset(o, 0, sizeof(*o));
    probe_client_default(&o->client);
}

static int set_encrypt(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    static const char *const names[] = { "optional", "mandatory", "strict" };

    for (int i = 0; i < 3; i++) {
        if (strcasecmp(v, names[i]) == 0) {
            c->encrypt = (enum probe_encrypt)i;
            c->encrypt_disable = false;
            return 0;
        }
    }
    /* "disable": the client sends ENCRYPTION=NOT_SUP (go-mssqldb encrypt=disable, FreeTDS
     * encryption = off, tedious encrypt=false): no TLS at all unless the server forces it. */
    if (strcasecmp(v, "disable") == 0) {
        c->encrypt = PROBE_ENCRYPT_OPTIONAL;
        c->encrypt_disable = true;
        return 0;
    }
    snprintf(err, errlen, "encrypt takes optional, mandatory, strict or disable, not '%.100s'",
             v);
    return -1;
}

static int set_tsc(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0) {
        c->trust_server_certificate = true;
    } else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0) {
        c->trust_server_certificate = false;
    } else {
        snprintf(err, errlen, "trust_server_certificate takes true or false, not '%.100s'", v);
        return -1;
    }
    return 0;
}

static int set_text(char *dst, size_t cap, const char *v, const char *key, char *err,
                    size_t errlen)
{
    if (strlen(v) >= cap) {
        snprintf(err, errlen, "%s is too long (at most %zu bytes)", key, cap - 1);
        return -1;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int set_hnic(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    return set_text(c->host_name_in_certificate, sizeof(c->host_name_in_certificate), v,
                    "host_name_in_certificate", err, errlen);
}

static int set_ca(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    if (access(v, R_OK) != 0) {
        snprintf(err, errlen, "cannot read ca_file '%.200s': %s", v, strerror(errno));
        return -1;
    }
    return set_text(c->ca_file, sizeof(c->ca_file), v, "ca_file", err, errlen);
}

static int parse_tls(const char *v, int *out, const char *key, char *err, size_t errlen)
{
    static const char *const names[] = { "1.0", "1.1", "1.2" };

    for (int i = 0; i < 3; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = TLS_V10 + i;
            return 0;
        }
    }
    snprintf(err, errlen, "%s takes 1.0, 1.1 or 1.2, not '%.100s'", key, v);
    return -1;
}

static int set_tls_min(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    return parse_tls(v, &c->tls_min, "tls_min", err, errlen);
}

static int set_tls_max(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    return parse_tls(v, &c->tls_max, "tls_max", err, errlen);
}

static int set_handshake(struct probe_client *c, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "full") == 0) {
        c->handshake = TLS_HANDSHAKE_FULL;
    } else if (strcmp(v, "certificate") == 0) {
        c->handshake = TLS_HANDSHAKE_CERTIFICATE;
    } else {
        snprintf(err, errlen, "handshake takes full or certificate, not '%.100s'", v);
        return -1;
    }
    return 0;
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

static const struct {
    const char *key;
    unsigned bit;
    int (*apply)(struct probe_client *c, const char *v, char *err, size_t errlen);
} override_keys[] = {
    { "encrypt", PROBE_SET_ENCRYPT, set_encrypt },
    { "trust_server_certificate", PROBE_SET_TSC, set_tsc },
    { "host_name_in_certificate", PROBE_SET_HNIC, set_hnic },
    { "ca_file", PROBE_SET_CA, set_ca },
    { "tls_min", PROBE_SET_TLS_MIN, set_tls_min },
    { "tls_max", PROBE_SET_TLS_MAX, set_tls_max },
    { "handshake", PROBE_SET_HANDSHAKE, set_handshake },
    { "driver", PROBE_SET_DRIVER, set_driver },
};

int probe_overrides_set(struct probe_overrides *o, const char *key, const char *value, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < sizeof(override_keys) / sizeof(override_keys[0]); i++) {
        if (strcmp(key, override_keys[i].key) != 0)
            continue;
        if (override_keys[i].apply(&o->client, value, err, errlen) != 0)
            return -1;
        o->set |= override_keys[i].bit;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%.100s'", key);
    return -1;
}

/* The explicit settings on top of a profile (a driver's defaults, or a connection string's). */
static void apply_overrides(const struct probe_overrides *o, struct probe_client *dst)
{
    const struct probe_client *src = &o->client;

    if (o->set & PROBE_SET_ENCRYPT) {
        dst->encrypt = src->encrypt;
        dst->encrypt_disable = src->encrypt_disable;
    }
    if (o->set & PROBE_SET_TSC)
        dst->trust_server_certificate = src->trust_server_certificate;
    if (o->set & PROBE_SET_HNIC)
        memcpy(dst->host_name_in_certificate, src->host_name_in_certificate,
               sizeof(dst->host_name_in_certificate));
    if ((o->set & PROBE_SET_CA) || dst->ca_file[0] == '\0')
        memcpy(dst->ca_file, src->ca_file, sizeof(dst->ca_file));
    if (o->set & PROBE_SET_TLS_MIN)
        dst->tls_min = src->tls_min;
    if (o->set & PROBE_SET_TLS_MAX)
        dst->tls_max = src->tls_max;
    if (o->set & PROBE_SET_HANDSHAKE)
        dst->handshake = src->handshake;
}

static int connstr_target(const struct probe_overrides *o, const char *text, unsigned flags,
                          struct probe_target *t, char *err, size_t errlen)
{
    struct probe_client *c = &t->client;

    if (probe_connstr_parse(text, t, err, errlen) != 0)
        return -1;
    if ((flags & PROBE_TARGET_NO_FILES) && (c->ca_file[0] || c->server_certificate[0])) {
        snprintf(err, errlen, "'%.200s' names a file on the exporter's host (a certificate or "
                 "trust store): give CA files in a module's ca_file instead", t->text);
        return -1;
    }
    int min, max;
    probe_client_driver_tls(c, &min, &max);
    if (c->tls_min == TLS_V10 && c->tls_max == TLS_V12) {
        c->tls_min = min; /* the string named no TLS version: the driver's range */
        c->tls_max = max;
    }
    if (o->set & PROBE_SET_DRIVER) { /* the string's keywords stay; the driver's TLS range */
        snprintf(c->driver, sizeof(c->driver), "%s", o->client.driver);
        probe_client_driver_tls(c, &c->tls_min, &c->tls_max);
    }
    return 0;
}

int probe_make_target(const struct probe_overrides *o, const char *text, unsigned flags,
                      struct probe_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (probe_connstr_detect(text) != PROBE_CS_NONE) {
        if (connstr_target(o, text, flags, t, err, errlen) != 0)
            return -1;
    } else {
        probe_client_default(&t->client);
        if (o->set & PROBE_SET_DRIVER) /* the driver's defaults: Encrypt, trust, TLS range */
            probe_client_set_driver(&t->client, o->client.driver);
        if (probe_target_parse(text, t, err, errlen) != 0)
            return -1;
    }
    apply_overrides(o, &t->client);
    if (t->client.tls_min > t->client.tls_max) {
        snprintf(err, errlen, "TLS range is empty for '%.200s' (minimum above maximum)", t->text);
        return -1;
    }
    return 0;
}

