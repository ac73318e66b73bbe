/* probe/drivers/probe_client.c: the client's decisions, each read from a field of its driver's
 * row (probe_driver.c); nothing here knows a driver by name. */
#include "probe/drivers/probe_client.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tls/tls_version.h"
#include "tls/tls_pin.h"

void probe_client_default(struct probe_client *c)
{
    memset(c, 0, sizeof(*c));
    probe_client_set_driver(c, PROBE_DRIVER_DEFAULT);
    c->handshake = TLS_HANDSHAKE_FULL;
}

int probe_client_set_driver(struct probe_client *c, const char *name)
{
    const struct probe_driver *d = probe_driver_find(name);

    if (d == NULL) {
        return -1;
    }
    snprintf(c->driver, sizeof(c->driver), "%s", d->name);
    c->encrypt = d->encrypt;
    c->trust_server_certificate = d->trust;
    c->tls_min = d->tls_min;
    c->tls_max = d->tls_max;
    c->encrypt_disable = false;
    return 0;
}

void probe_client_driver_tls(const struct probe_client *c, int *min, int *max)
{
    const struct probe_driver *d = probe_driver_of(c);

    *min = d->tls_min;
    *max = d->tls_max;
}

/* encrypt_disable is NOT_SUP for every driver: go-mssqldb encrypt=disable, FreeTDS
 * encryption = off. */
uint8_t probe_client_encryption_byte(const struct probe_client *c)
{
    if (c->encrypt_disable) {
        return TDS_ENC_NOT_SUP;
    }
    if ((unsigned)c->encrypt > PROBE_ENCRYPT_STRICT) {
        return TDS_ENC_ON; /* outside the enum: taken as asking for encryption */
    }
    return probe_driver_of(c)->encryption[c->encrypt];
}

/* Does this driver validate in this scope (outside strict)? */
static bool validates(const struct probe_client *c, const struct probe_driver *d,
                      enum tds_tls_scope s, uint8_t r)
{
    if (s == TDS_TLS_NONE || s == TDS_TLS_TERMINATE) {
        return false;
    }
    if (d->pin_despite_trust && probe_client_pins(c)) {
        return true; /* the pin is compared whenever TLS runs */
    }
    if (c->trust_server_certificate) {
        return false;
    }
    if (d->validates_only_with_ca_file) {
        return c->ca_file[0] != '\0';
    }
    if (s == TDS_TLS_LOGIN_ONLY) {
        return d->validates_login_only;
    }
    bool forced = r == TDS_ENC_REQ && c->encrypt == PROBE_ENCRYPT_OPTIONAL;
    return !forced || d->validates_forced;
}

/* What the driver does after sending ON (the row's departures from MS-TDS 2.2.6.5). */
static enum tds_tls_scope on_answered(const struct probe_driver *d, uint8_t reply)
{
    uint8_t r = reply & (uint8_t)~TDS_ENC_CLIENT_CERT;

    if (r > TDS_ENC_REQ) {
        return d->on_answered_unknown;
    }
    if (r == TDS_ENC_OFF) {
        return d->on_answered_off;
    }
    if (r == TDS_ENC_NOT_SUP) {
        return d->on_answered_not_sup;
    }
    return TDS_TLS_FULL;
}

enum tds_tls_scope probe_client_scope(const struct probe_client *c, uint8_t reply, bool *valid)
{
    const struct probe_driver *d = probe_driver_of(c);
    uint8_t sent = probe_client_encryption_byte(c);
    uint8_t r = reply & TDS_ENC_MASK;
    enum tds_tls_scope scope;

    if (c->encrypt == PROBE_ENCRYPT_STRICT) {
        *valid = true; /* strict ignores TrustServerCertificate */
        return TDS_TLS_FULL;
    }
    if (sent == TDS_ENC_NOT_SUP) {
        /* No TLS, unless a forcing server answers REQ and closes (MS-TDS 2.2.6.5: "REQ
         * (terminated)"): tedious reports EENCRYPT; go-mssqldb and FreeTDS start TLS on a
         * closed connection and fail (tsql: "Unexpected EOF from the server", agreement test) -
         * either way the client cannot connect. */
        scope = r == TDS_ENC_REQ ? TDS_TLS_TERMINATE : TDS_TLS_NONE;
    } else if (sent == TDS_ENC_ON) {
        scope = on_answered(d, reply);
    } else {
        scope = tds_enc_client_action(sent, r);
    }
    *valid = validates(c, d, scope, r);
    return scope;
}

bool probe_client_expected_validates(const struct probe_client *c)
{
    uint8_t sent = probe_client_encryption_byte(c);
    bool v = false;

    (void)probe_client_scope(c, tds_enc_server_answer(sent, TDS_SRV_ENC_OFF).reply, &v);
    return v;
}

void probe_client_check_name(const struct probe_client *c, const char *host, char *out, size_t cap)
{
    const struct probe_driver *d = probe_driver_of(c);
    const char *name = host;

    /* a driver without a HostNameInCertificate keyword checks the server name */
    if (c->host_name_in_certificate[0] != '\0' && d->kw->hnic_pre != NULL) {
        name = c->host_name_in_certificate;
    }
    if (d->local_names_as_localhost &&
        (name[0] == '\0' || strcmp(name, ".") == 0 || strcasecmp(name, "(local)") == 0)) {
        name = "localhost";
    }
    snprintf(out, cap, "%s", name);
    for (char *p = out; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
}

const char *probe_client_alt_name(const struct probe_client *c, const char *host)
{
    if (probe_driver_of(c)->hnic_or_server_name && c->host_name_in_certificate[0] != '\0') {
        return host;
    }
    return NULL;
}

struct tls_name_rules probe_client_name_rules(const struct probe_client *c)
{
    return probe_driver_of(c)->names;
}

static const struct probe_tls_stack *row_stack(const struct probe_driver *d, enum probe_os os)
{
    const struct probe_tls_stack *s = d->stack[probe_os_resolve(os)];

    return s != NULL ? s : &probe_stack_openssl3;
}

const struct probe_tls_stack *probe_client_stack(const struct probe_client *c)
{
    return row_stack(probe_driver_of(c), c->os);
}

const struct probe_tls_stack *probe_driver_stack(const char *driver, enum probe_os os)
{
    const struct probe_driver *d = probe_driver_find(driver);

    return row_stack(d != NULL ? d : probe_driver_default(), os);
}

void probe_client_tls_range(const struct probe_client *c, bool strict, int *min, int *max)
{
    const struct probe_tls_stack *s = probe_client_stack(c);
    bool named_min = (c->tls_named & PROBE_TLS_NAMED_MIN) && c->tls_min > 0;
    bool named_max = (c->tls_named & PROBE_TLS_NAMED_MAX) && c->tls_max > 0;

    *min = named_min ? c->tls_min : s->tls_min;
    *max = named_max ? c->tls_max : s->tls_max;
    /* a named bound beyond the stack's other one moves it: the user configured the stack */
    if (*min > *max) {
        if (named_max && !named_min) {
            *min = *max;
        } else {
            *max = *min;
        }
    }
    /* TDS 7.x: TLS runs inside PRELOGIN packets, where SQL Server has no TLS 1.3 and the
     * drivers leave it out (SqlClient SNI 4.0 "exclude unsupported protocol TLS 1.3",
     * tedious maxVersion TLSv1.2) */
    if (!strict && *max > TLS_V12) {
        *max = TLS_V12;
        *min = *min > *max ? *max : *min;
    }
}

bool probe_client_offers_tls13(const struct probe_client *c)
{
    int min, max;

    if (c->encrypt != PROBE_ENCRYPT_STRICT) {
        return false;
    }
    probe_client_tls_range(c, true, &min, &max);
    return max >= TLS_V13;
}

bool probe_client_pins(const struct probe_client *c)
{
    const struct probe_driver *d = probe_driver_of(c);

    if (c->server_certificate[0] == '\0' || c->encrypt_disable ||
        (d->pin_rule != PROBE_PIN_WHEN_INVALID && d->pin_rule != PROBE_PIN_ONLY)) {
        return false;
    }
    if (c->encrypt < d->pin_from) {
        return false;
    }
    return d->pin_despite_trust || !c->trust_server_certificate ||
           c->encrypt == PROBE_ENCRYPT_STRICT;
}

int probe_client_settle_files(struct probe_client *c, bool ca_file_set, char *err, size_t errlen)
{
    const struct probe_driver *d = probe_driver_of(c);

    if (c->server_certificate[0] == '\0') {
        return 0;
    }
    if (d->pin_rule == PROBE_PIN_NONE) {
        snprintf(err, errlen, "driver %s cannot pin a server certificate (it has no "
                 "ServerCertificate keyword)", d->name);
        return -1;
    }
    if (d->pin_rule == PROBE_PIN_CA_FILE) {
        if (!ca_file_set) {
            memcpy(c->ca_file, c->server_certificate, sizeof(c->ca_file));
        }
        c->server_certificate[0] = '\0';
    }
    return 0;
}

/* go-mssqldb's readCertificate (msdsn/conn_str.go): the extension, lower-cased, picks the
 * decoder, and its errors are wrapped "failed to setup TLS: cannot read server certificate". */
static int check_extension(const char *path, const struct tls_pin *p, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    const char *ext = dot ? dot : "";

    if (strcasecmp(ext, ".pem") == 0 && !p->pem) {
        snprintf(err, errlen, "failed to setup TLS: failed to decode PEM certificate (%s holds "
                 "DER: name it .der)", path);
        return -1;
    }
    if (strcasecmp(ext, ".der") == 0 && p->pem) {
        snprintf(err, errlen, "failed to setup TLS: cannot read server certificate \"%s\": "
                 "x509: malformed certificate (it holds PEM: name it .pem)", path);
        return -1;
    }
    if (strcasecmp(ext, ".pem") != 0 && strcasecmp(ext, ".der") != 0) {
        snprintf(err, errlen, "failed to setup TLS: cannot read server certificate \"%s\": "
                 "certificate type %s is not supported (go-mssqldb reads .pem and .der)",
                 path, ext);
        return -1;
    }
    return 0;
}

int probe_client_load_pin(const struct probe_client *c, struct tls_pin *p, char *err,
                          size_t errlen)
{
    memset(p, 0, sizeof(*p));
    if (c->server_certificate[0] == '\0') {
        return 0;
    }
    if (tls_pin_load(p, c->server_certificate, err, errlen) != 0) {
        return -1;
    }
    if (probe_driver_of(c)->pin_format_by_extension &&
        check_extension(c->server_certificate, p, err, errlen) != 0) {
        tls_pin_free(p);
        return -1;
    }
    return 0;
}
