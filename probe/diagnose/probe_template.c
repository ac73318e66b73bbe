/* probe/diagnose/probe_template.c: the client's own words for the diagnosis. The driver row
 * gives the text (probe_driver_text), narrowed by a variant where the driver words one failure
 * several ways; {placeholders} are filled with the values seen: {host} {port} (the port
 * connected to) {port_or_instance} (":1433", or "\DEV" for a named instance) {name} (the name
 * the client checks) {encrypt} {tsc} {cert_names} {cert_altnames} {cert_name} {now}
 * {not_before} {not_after} {go_version}. An unknown placeholder stays as written. */
#include "probe/diagnose/probe_diagnose_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_target.h"
#include "tls/tls_version.h"


static void join_sans(const struct tls_cert *leaf, bool node, char *out, size_t cap)
{
    struct probe_sb b;
    char v[256];

    probe_sb_init(&b, out, cap);
    for (size_t i = 0; i < leaf->n_san; i++) {
        const char *pre = "";
        probe_text_clean(v, sizeof(v), leaf->san[i].value);
        if (node) {
            pre = leaf->san[i].type == TLS_SAN_IP ? "IP Address:" : "DNS:";
        }
        probe_sb_add(&b, "%s%s%s", i > 0 ? ", " : "", pre, v);
    }
}

static bool var_cert(const struct dctx *c, const char *k, char *out, size_t cap)
{
    const struct tls_cert *leaf = c->leaf;

    if (strcmp(k, "cert_names") == 0 || strcmp(k, "cert_altnames") == 0) {
        join_sans(leaf, strcmp(k, "cert_altnames") == 0, out, cap);
    } else if (strcmp(k, "cert_name") == 0) {
        /* JDBC reports the last name it looked at: the last SAN, else the CN */
        probe_text_clean(out, cap,
                         leaf->n_san > 0 ? leaf->san[leaf->n_san - 1].value : leaf->subject_cn);
    } else if (strcmp(k, "not_before") == 0 && cap >= 21) {
        tls_time_format(leaf->not_before, out);
    } else if (strcmp(k, "not_after") == 0 && cap >= 21) {
        tls_time_format(leaf->not_after, out);
    } else {
        return false;
    }
    return true;
}

/* ":1433", or "\DEV" when the target names an instance: a client that looks the port up
 * itself names the instance, not the port it found (tedious connection.ts wrapSocketError:
 * options.port, else "\" + options.instanceName; the two are mutually exclusive there). */
static void port_or_instance(const struct dctx *c, char *out, size_t cap)
{
    const struct probe_target *t = c->r->target;

    if (t != NULL && t->instance[0] != '\0' && t->port == 0) {
        char in[40];
        probe_text_clean(in, sizeof(in), t->instance);
        snprintf(out, cap, "\\%s", in);
        return;
    }
    uint16_t port = probe_result_port(c->r);
    snprintf(out, cap, ":%u", port != 0 ? (unsigned)port : PROBE_DEFAULT_PORT);
}

static bool var_value(const struct dctx *c, const char *k, char *out, size_t cap)
{
    if (strcmp(k, "host") == 0) {
        probe_text_clean(out, cap, c->host);
    } else if (strcmp(k, "port") == 0) {
        /* the port connected to (the Browser's answer for a named instance); a named instance
         * that was never resolved keeps the default the text has always shown */
        uint16_t port = probe_result_port(c->r);
        snprintf(out, cap, "%u", port != 0 ? (unsigned)port : PROBE_DEFAULT_PORT);
    } else if (strcmp(k, "port_or_instance") == 0) {
        port_or_instance(c, out, cap);
    } else if (strcmp(k, "name") == 0) {
        probe_text_clean(out, cap, c->name);
    } else if (strcmp(k, "encrypt") == 0) {
        snprintf(out, cap, "%s", c->cl->encrypt == PROBE_ENCRYPT_STRICT      ? "strict"
                                 : c->cl->encrypt == PROBE_ENCRYPT_MANDATORY ? "true"
                                                                             : "false");
    } else if (strcmp(k, "tsc") == 0) {
        snprintf(out, cap, "%s", c->cl->trust_server_certificate ? "true" : "false");
    } else if (strcmp(k, "now") == 0 && cap >= 21) {
        tls_time_format(time(NULL), out);
    } else if (strcmp(k, "go_version") == 0 && c->tls != NULL) {
        snprintf(out, cap, "%x", 0x300u + (unsigned)c->tls->server_hello_version);
    } else if (strcmp(k, "jsse_version") == 0 && c->tls != NULL) {
        /* JSSE's ProtocolVersion names: TLS10, TLS11 */
        snprintf(out, cap, "TLS1%u", (unsigned)c->tls->server_hello_version - TLS_V10);
    } else if (c->leaf != NULL) {
        return var_cert(c, k, out, cap);
    } else {
        return false;
    }
    return true;
}

static void expand(const struct dctx *c, const char *t, char *out, size_t cap)
{
    struct probe_sb b;

    probe_sb_init(&b, out, cap);
    while (*t != '\0') {
        const char *open = strchr(t, '{');
        const char *close = open != NULL ? strchr(open, '}') : NULL;
        char key[32], val[512];
        size_t klen;

        if (close == NULL) {
            probe_sb_add(&b, "%s", t);
            break;
        }
        probe_sb_add(&b, "%.*s", (int)(open - t), t);
        klen = (size_t)(close - open - 1);
        if (klen < sizeof(key)) {
            memcpy(key, open + 1, klen);
            key[klen] = '\0';
        }
        if (klen < sizeof(key) && var_value(c, key, val, sizeof(val))) {
            probe_sb_add(&b, "%s", val);
        } else {
            probe_sb_add(&b, "%.*s", (int)(close - open + 1), open);
        }
        t = close + 1;
    }
}

static const char *pick_variant(const struct dctx *c)
{
    const struct tls_cert *leaf = c->leaf;
    bool has_ip_san = false;

    /* what the TLS stack refuses is said in the stack's words */
    if (c->diag == PROBE_DIAG_PROTOCOL_MISMATCH || c->diag == PROBE_DIAG_WEAK_SIGNATURE ||
        c->diag == PROBE_DIAG_WEAK_KEY) {
        return probe_client_stack(c->cl)->variant;
    }
    if (leaf == NULL) {
        return NULL;
    }
    if (c->diag == PROBE_DIAG_UNTRUSTED_CHAIN) {
        const struct tls_cert *top = &c->tls->chain[c->tls->chain_len - 1];
        if (leaf->self_signed) {
            return "self_signed";
        }
        return c->tls->chain_len > 1 && top->self_signed ? "chain_root" : NULL;
    }
    if (c->diag != PROBE_DIAG_NAME_MISMATCH) {
        return NULL;
    }
    for (size_t i = 0; i < leaf->n_san; i++) {
        has_ip_san = has_ip_san || leaf->san[i].type == TLS_SAN_IP;
    }
    if (probe_host_is_ip(c->name) && !has_ip_san) {
        return "ip";
    }
    if (leaf->n_san == 0) {
        return strcasecmp(leaf->subject_cn, c->name) == 0 ? "cn_only" : "no_san";
    }
    return NULL;
}

void probe_template_message(const struct dctx *c, char *out, size_t cap)
{
    expand(c, probe_driver_text(c->drv, c->diag, pick_variant(c)), out, cap);
}
