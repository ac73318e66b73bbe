/* probe/output/probe_report.c: JSON Lines and text reports for one probe_result.
 *
 * Field names are the contract's (docs/design.md); extras are added, never renamed. Everything that
 * came from the server goes through one UTF-8 decoder, so a certificate subject cannot break
 * the JSON or drive the terminal. */
#include "probe/output/probe_report.h"

#include "probe/output/probe_audit_report.h"
#include "probe/output/probe_emit.h"
#include "probe/output/probe_jsonbuf.h"
#include "probe/drivers/probe_client.h"
#include "probe/drivers/probe_platform.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* ---- JSON ---- */

static void json_key(struct probe_jsonbuf *b, const char *key, bool *first)
{
    if (!*first) {
        probe_jsonbuf_ch(b, ',');
    }
    *first = false;
    probe_jsonbuf_key(b, key);
}

/* A member whose value is a string, or null when the string is empty or absent. */
static void json_opt(struct probe_jsonbuf *b, const char *lead, const char *s)
{
    probe_jsonbuf_member_str(b, lead, s != NULL && s[0] != '\0' ? s : NULL);
}

/* The ENCRYPTION byte: as sent, or, when the probe stopped before PRELOGIN, as it would be. */
static uint8_t sent_byte(const struct probe_result *r)
{
    if (r->facts.phase >= PROBE_PHASE_PRELOGIN || r->facts.got_prelogin || r->target == NULL) {
        return r->facts.sent_encryption;
    }
    return probe_client_encryption_byte(&r->target->client);
}

static void json_client(struct probe_jsonbuf *b, const struct probe_result *r)
{
    const struct probe_client *cl = r->target != NULL ? &r->target->client : NULL;

    json_opt(b, "{\"driver\":", cl != NULL && cl->driver[0] != '\0' ? cl->driver : "sqlclient");
    probe_jsonbuf_member_str(
        b, ",\"encrypt\":", probe_encrypt_name(cl != NULL ? cl->encrypt : PROBE_ENCRYPT_MANDATORY));
    probe_jsonbuf_member_bool(
        b, ",\"trust_server_certificate\":", cl != NULL && cl->trust_server_certificate);
    json_opt(b, ",\"host_name_in_certificate\":", cl != NULL ? cl->host_name_in_certificate : NULL);
    probe_jsonbuf_member_bool(b, ",\"validates\":", r->facts.validates);
    if (cl != NULL) {
        char name[256];
        probe_client_check_name(cl, r->target->host, name, sizeof(name));
        json_opt(b, ",\"name_checked\":", name);
    } else {
        probe_jsonbuf_lit(b, ",\"name_checked\":null");
    }
    probe_jsonbuf_member_str(b, ",\"sent_encryption\":", tds_enc_name(sent_byte(r)));
    int min = 0, max = 0;
    if (cl != NULL) {
        probe_client_tls_range(cl, r->facts.tds8, &min, &max);
    }
    probe_jsonbuf_member_str(b, ",\"tls_min\":", min > 0 ? tls_version_name(min) : NULL);
    probe_jsonbuf_member_str(b, ",\"tls_max\":", max > 0 ? tls_version_name(max) : NULL);
    probe_jsonbuf_member_str(b, ",\"os\":", cl != NULL ? probe_os_name(cl->os) : NULL);
    const char *stack = cl != NULL ? probe_client_stack(cl)->name : NULL;
    probe_jsonbuf_member_str(b, ",\"tls_stack\":", stack);
    probe_jsonbuf_ch(b, '}');
}

static void json_finding(struct probe_jsonbuf *b, const struct probe_finding *x, bool first)
{
    probe_jsonbuf_lit(b, first ? "{\"code\":" : ",{\"code\":");
    probe_jsonbuf_str(b, x->code);
    probe_jsonbuf_member_str(b, ",\"severity\":", tls_severity_name(x->severity));
    probe_jsonbuf_member_str(b, ",\"message\":", x->message);
    if (x->cert >= 0) {
        probe_jsonbuf_lit(b, ",\"cert\":");
        probe_jsonbuf_int(b, x->cert);
        probe_jsonbuf_ch(b, '}');
    } else {
        probe_jsonbuf_lit(b, ",\"cert\":null}");
    }
}

/* Everything probe_diagnose() found, the TLS policy audit's findings included. */
static void json_findings(struct probe_jsonbuf *b, const struct probe_result *r)
{
    probe_jsonbuf_ch(b, '[');
    for (size_t i = 0; i < r->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        json_finding(b, &r->findings[i], i == 0);
    }
    probe_jsonbuf_ch(b, ']');
}

static void json_server(struct probe_jsonbuf *b, const struct probe_result *r)
{
    const struct tds_prelogin *pl = &r->facts.prelogin;

    if (!r->facts.got_prelogin) {
        probe_jsonbuf_lit(b, "null");
        return;
    }
    json_opt(b, "{\"version\":", r->facts.server_version);
    json_opt(b, ",\"product\":", r->facts.server_product);
    probe_jsonbuf_member_str(
        b, ",\"encryption\":", pl->has_encryption ? tds_enc_name(pl->encryption) : NULL);
    probe_jsonbuf_lit(b, ",\"instance\":null,\"mars\":");
    if (pl->has_mars) {
        probe_jsonbuf_bool(b, pl->mars != 0);
    } else {
        probe_jsonbuf_lit(b, "null");
    }
    probe_jsonbuf_lit(b, ",\"fedauth_required\":");
    if (pl->has_fedauth) {
        probe_jsonbuf_bool(b, pl->fedauth != 0);
    } else {
        probe_jsonbuf_lit(b, "null");
    }
    probe_jsonbuf_ch(b, '}');
}

static void json_names(struct probe_jsonbuf *b, const char **names, size_t n)
{
    probe_jsonbuf_ch(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            probe_jsonbuf_ch(b, ',');
        }
        probe_jsonbuf_str(b, names[i]);
    }
    probe_jsonbuf_ch(b, ']');
}

static void json_san(struct probe_jsonbuf *b, const struct tls_cert *c)
{
    probe_jsonbuf_ch(b, '[');
    for (size_t i = 0; i < c->n_san && c->san != NULL; i++) {
        probe_jsonbuf_lit(b, i > 0 ? ",\"" : "\"");
        probe_jsonbuf_lit(b, c->san[i].type == TLS_SAN_IP ? "IP:" : "DNS:");
        probe_jsonbuf_quoted(b, c->san[i].value);
        probe_jsonbuf_ch(b, '"');
    }
    probe_jsonbuf_ch(b, ']');
}

static long days_left(time_t not_after)
{
    double d = difftime(not_after, time(NULL)) / 86400.0;

    return (long)floor(d);
}

static void json_cert_dates(struct probe_jsonbuf *b, const struct tls_cert *c)
{
    char t[21];

    tls_time_format(c->not_before, t);
    probe_jsonbuf_member_str(b, ",\"not_before\":", t);
    tls_time_format(c->not_after, t);
    probe_jsonbuf_member_str(b, ",\"not_after\":", t);
    probe_jsonbuf_lit(b, ",\"days_left\":");
    probe_jsonbuf_int(b, days_left(c->not_after));
}

static void json_cert_usage(struct probe_jsonbuf *b, const struct tls_cert *c)
{
    const char *names[16];

    probe_jsonbuf_lit(b, ",\"eku\":");
    if (c->has_eku) {
        json_names(b, names, tls_cert_eku_names(c, names, 16));
    } else {
        probe_jsonbuf_lit(b, "null");
    }
    probe_jsonbuf_lit(b, ",\"key_usage\":");
    if (c->has_key_usage) {
        json_names(b, names, tls_cert_key_usage_names(c, names, 16));
    } else {
        probe_jsonbuf_lit(b, "null");
    }
}

static void json_cert(struct probe_jsonbuf *b, const struct tls_cert *c)
{
    if (!c->parsed) {
        probe_jsonbuf_lit(b, "{\"subject\":null,\"issuer\":null,\"serial\":null,\"san\":[],"
              "\"not_before\":null,\"not_after\":null,\"days_left\":null,"
              "\"signature_algorithm\":null,\"key_type\":null,\"key_bits\":null,\"eku\":null,"
              "\"key_usage\":null,\"self_signed\":null,\"sha256\":");
        json_opt(b, "", c->sha256);
        json_opt(b, ",\"parse_error\":", c->parse_error);
        probe_jsonbuf_ch(b, '}');
        return;
    }
    probe_jsonbuf_member_str(b, "{\"subject\":", c->subject);
    probe_jsonbuf_member_str(b, ",\"issuer\":", c->issuer);
    probe_jsonbuf_member_str(b, ",\"serial\":", c->serial);
    probe_jsonbuf_lit(b, ",\"san\":");
    json_san(b, c);
    json_cert_dates(b, c);
    json_opt(b, ",\"signature_algorithm\":", c->signature_algorithm);
    json_opt(b, ",\"key_type\":", c->key_type);
    probe_jsonbuf_lit(b, ",\"key_bits\":");
    probe_jsonbuf_int(b, c->key_bits);
    json_cert_usage(b, c);
    probe_jsonbuf_member_bool(b, ",\"self_signed\":", c->self_signed);
    json_opt(b, ",\"sha256\":", c->sha256);
    json_opt(b, ",\"key_curve\":", c->key_curve);
    probe_jsonbuf_member_bool(b, ",\"is_ca\":", c->is_ca);
    probe_jsonbuf_member_bool(b, ",\"serial_negative\":", c->serial_negative);
    probe_jsonbuf_ch(b, '}');
}

static void json_tls(struct probe_jsonbuf *b, const struct probe_result *r)
{
    const struct tls_info *t = r->facts.tls;

    if (t == NULL) {
        probe_jsonbuf_lit(b, "null");
        return;
    }
    probe_jsonbuf_member_str(
        b, "{\"version\":", t->version != 0 ? tls_version_name(t->version) : NULL);
    json_opt(b, ",\"cipher\":", t->cipher);
    json_opt(b, ",\"alpn\":", t->alpn);
    json_opt(b, ",\"group\":", t->group);
    json_opt(b, ",\"signature_scheme\":", t->sig_scheme);
    json_opt(b, ",\"hello_retry\":", t->hello_retry);
    probe_jsonbuf_member_str(b, ",\"stage\":", tls_stage_name(t->stage));
    probe_jsonbuf_member_str(
        b, ",\"alert\":", t->alert_received ? tls_alert_name(t->alert_description) : NULL);
    probe_jsonbuf_lit(b, ",\"chain\":[");
    for (size_t i = 0; i < t->chain_len && t->chain != NULL; i++) {
        if (i > 0) {
            probe_jsonbuf_ch(b, ',');
        }
        json_cert(b, &t->chain[i]);
    }
    probe_jsonbuf_lit(b, "]}");
}

static void json_ms(struct probe_jsonbuf *b, const char *lead, double ms)
{
    probe_jsonbuf_lit(b, lead);
    probe_jsonbuf_ms(b, ms);
}

static void json_timing(struct probe_jsonbuf *b, const struct probe_result *r)
{
    json_ms(b, "{\"resolve\":", r->facts.t_resolve);
    json_ms(b, ",\"connect\":", r->facts.t_connect);
    json_ms(b, ",\"prelogin\":", r->facts.t_prelogin);
    json_ms(b, ",\"handshake\":", r->facts.t_handshake);
    json_ms(b, ",\"total\":", r->facts.t_total);
    json_ms(b, ",\"browser\":", r->facts.t_browser);
    probe_jsonbuf_ch(b, '}');
}

static void json_followup(struct probe_jsonbuf *b, const struct probe_result *r)
{
    if (!r->facts.followup_ran) {
        probe_jsonbuf_lit(b, "null");
        return;
    }
    probe_jsonbuf_member_bool(b, "{\"ok\":", r->facts.followup_ok);
    const char *version = tls_version_name(r->facts.followup_version);
    probe_jsonbuf_member_str(b, ",\"version\":", r->facts.followup_ok ? version : NULL);
    json_opt(b, ",\"cipher\":", r->facts.followup_ok ? r->facts.followup_cipher : NULL);
    probe_jsonbuf_ch(b, '}');
}

static void json_target(struct probe_jsonbuf *b, const struct probe_result *r, bool *first)
{
    const struct probe_target *t = r->target;
    unsigned port = probe_result_port(r);

    json_key(b, "target", first);
    probe_jsonbuf_str(b, t != NULL ? t->text : "");
    json_key(b, "host", first);
    probe_jsonbuf_str(b, t != NULL ? t->host : "");
    json_key(b, "port", first);
    if (port != 0) {
        probe_jsonbuf_uint(b, port);
    } else {
        probe_jsonbuf_lit(b, "null");
    }
    json_key(b, "instance", first);
    json_opt(b, "", t != NULL ? t->instance : NULL);
    json_key(b, "address", first);
    json_opt(b, "", r->facts.address);
    json_key(b, "mode", first);
    probe_jsonbuf_str(b, r->facts.tds8 ? "tds8" : "tds7");
}

static void json_diagnosis(struct probe_jsonbuf *b, const struct probe_result *r)
{
    probe_jsonbuf_member_str(b, "{\"code\":", probe_diag_name(r->diag));
    probe_jsonbuf_member_str(b, ",\"message\":", r->message);
    probe_jsonbuf_member_str(b, ",\"cause\":", r->cause);
    probe_jsonbuf_member_str(b, ",\"fix\":", r->fix);
    json_opt(b, ",\"other_platforms\":", r->other_platforms);
    probe_jsonbuf_ch(b, '}');
}

/* What makes a record self-describing in an archive: the schema it follows
 * (docs/tdsprobe.schema.json), the program that wrote it, and when (RFC 3339, UTC; the record
 * is written as the probe of its target ends). */
static void json_record_head(struct probe_jsonbuf *b, bool *first)
{
    char now[21];

    tls_time_format(time(NULL), now);
    json_key(b, "schema_version", first);
    probe_jsonbuf_int(b, PROBE_JSON_SCHEMA_VERSION);
    json_key(b, "tdsprobe_version", first);
    probe_jsonbuf_str(b, probe_version());
    json_key(b, "probed_at", first);
    probe_jsonbuf_str(b, now);
}

static void json_record(struct probe_jsonbuf *b, const struct probe_result *r)
{
    const struct probe_client *cl = r->target != NULL ? &r->target->client : NULL;
    bool first = true;

    probe_jsonbuf_ch(b, '{');
    json_record_head(b, &first);
    json_target(b, r, &first);
    json_key(b, "client", &first);
    json_client(b, r);
    json_key(b, "status", &first);
    probe_jsonbuf_str(b, probe_status_name(r->status));
    json_key(b, "diagnosis", &first);
    json_diagnosis(b, r);
    json_key(b, "findings", &first);
    json_findings(b, r);
    json_key(b, "server", &first);
    json_server(b, r);
    json_key(b, "tls", &first);
    json_tls(b, r);
    probe_audit_report_json(b, r->facts.audit); /* protocols, protocols_detail, tls12_enforced... */
    json_key(b, "timing_ms", &first);
    json_timing(b, r);
    json_key(b, "phase", &first);
    probe_jsonbuf_str(b, probe_phase_name(r->facts.phase));
    json_key(b, "tls_scope", &first);
    probe_jsonbuf_str(b, tds_tls_scope_name(r->facts.scope));
    json_key(b, "handshake", &first);
    probe_jsonbuf_str(b, cl != NULL && cl->handshake == TLS_HANDSHAKE_CERTIFICATE ? "certificate"
                                                                                  : "full");
    json_key(b, "followup", &first);
    json_followup(b, r);
    probe_jsonbuf_lit(b, "}\n");
}

int probe_report_json_line(FILE *f, struct probe_jsonbuf *b, const struct probe_result *r)
{
    probe_jsonbuf_reset(b);
    json_record(b, r);
    if (b->failed) {
        return -1;
    }
    fwrite(b->p, 1, b->len, f);
    return 0;
}

int probe_report_json(FILE *f, const struct probe_result *r)
{
    struct probe_jsonbuf b = {0};
    int rc = probe_report_json_line(f, &b, r);

    probe_jsonbuf_free(&b);
    return rc;
}

/* ---- text ---- */

static void text_target(const struct probe_text_out *o, const struct probe_result *r)
{
    const struct probe_target *t = r->target;
    unsigned port = probe_result_port(r);

    probe_emit_label(o, "Target");
    probe_text_safe(o->f, t != NULL ? t->host : "?", false);
    if (t != NULL && t->instance[0] != '\0') {
        fputc('\\', o->f);
        probe_text_safe(o->f, t->instance, false);
    }
    if (port != 0) {
        fprintf(o->f, ":%u", port);
    }
    if (r->facts.address[0] != '\0') {
        fputs(" (", o->f);
        probe_text_safe(o->f, r->facts.address, false);
        fputc(')', o->f);
    }
    fprintf(o->f, ", %s\n", r->facts.tds8 ? "TDS 8.0 (strict: TLS first)" : "TDS 7.x");
    if (t != NULL && strcmp(t->text, t->host) != 0) {
        probe_emit_label(o, "");
        fputs("as given: ", o->f);
        probe_text_safe(o->f, t->text, false);
        fputc('\n', o->f);
    }
}

static void text_server(const struct probe_text_out *o, const struct probe_result *r)
{
    const struct tds_prelogin *pl = &r->facts.prelogin;

    if (!r->facts.got_prelogin) {
        return;
    }
    probe_emit_label(o, "Server");
    probe_text_safe(
        o->f, r->facts.server_product[0] != '\0' ? r->facts.server_product : "SQL Server", false);
    if (r->facts.server_version[0] != '\0') {
        fputs(" (", o->f);
        probe_text_safe(o->f, r->facts.server_version, false);
        fputc(')', o->f);
    }
    if (pl->has_encryption) {
        fprintf(o->f, ", encryption: %s", tds_enc_name(pl->encryption));
    }
    if (pl->has_mars) {
        fprintf(o->f, ", MARS %s", pl->mars ? "on" : "off");
    }
    if (pl->has_fedauth) {
        fprintf(o->f, ", FEDAUTHREQUIRED %u", (unsigned)pl->fedauth);
    }
    fputc('\n', o->f);
}

static void text_client(const struct probe_text_out *o, const struct probe_result *r)
{
    const struct probe_client *cl = r->target != NULL ? &r->target->client : NULL;
    char name[256];

    if (cl == NULL) {
        return;
    }
    probe_client_check_name(cl, r->target->host, name, sizeof(name));
    probe_emit_label(o, "Client");
    probe_text_safe(o->f, cl->driver[0] != '\0' ? cl->driver : "sqlclient", false);
    fprintf(o->f, " on %s (TLS stack: %s)", probe_os_title(cl->os), probe_client_stack(cl)->name);
    fprintf(o->f, ", Encrypt=%s, TrustServerCertificate=%s", probe_encrypt_name(cl->encrypt),
            cl->trust_server_certificate ? "true" : "false");
    if (!r->facts.tds8) {
        fprintf(o->f, "; %s ENCRYPTION=%s",
                r->facts.phase < PROBE_PHASE_PRELOGIN ? "would send" : "sends",
                tds_enc_name(sent_byte(r)));
    }
    if (!r->facts.got_prelogin && !r->facts.tds8) {
        fputs("; stopped before the encryption negotiation\n", o->f);
        return;
    }
    if (!r->facts.tds8 && r->facts.scope == TDS_TLS_TERMINATE) {
        fputs("; gives up after the server's answer\n", o->f);
        return;
    }
    if (!r->facts.tds8 && r->facts.scope == TDS_TLS_NONE) {
        fputs("; no TLS at all\n", o->f);
        return;
    }
    fprintf(o->f, "; TLS scope: %s; ", r->facts.tds8 ? "full" : tds_tls_scope_name(r->facts.scope));
    if (r->facts.validates) {
        fputs("validates the certificate as '", o->f);
        probe_text_safe(o->f, name, false);
        fputs("'\n", o->f);
    } else {
        fputs("does not validate the certificate\n", o->f);
    }
}

static void text_tls(const struct probe_text_out *o, const struct probe_result *r)
{
    const struct tls_info *t = r->facts.tls;

    if (t == NULL) {
        return;
    }
    probe_emit_label(o, "TLS");
    if (t->version != 0 && t->cipher[0] != '\0') {
        fprintf(o->f, "%s, ", tls_version_name(t->version));
        probe_text_safe(o->f, t->cipher, false);
    } else if (t->version != 0) {
        fputs(tls_version_name(t->version), o->f);
    } else {
        fputs("no ServerHello", o->f);
    }
    if (t->alpn[0] != '\0') {
        fputs(", ALPN ", o->f);
        probe_text_safe(o->f, t->alpn, false);
    }
    if (t->group[0] != '\0') { /* TLS 1.3 */
        fputs(", group ", o->f);
        probe_text_safe(o->f, t->group, false);
    }
    if (t->hello_retry[0] != '\0') { /* one more round trip on every connection */
        fputs(" after a HelloRetryRequest for it", o->f);
    }
    if (t->sig_scheme[0] != '\0') {
        fputs(", signed ", o->f);
        probe_text_safe(o->f, t->sig_scheme, false);
    }
    fprintf(o->f, " (reached %s", tls_stage_name(t->stage));
    if (t->alert_received) {
        fprintf(o->f, "; alert %s", tls_alert_name(t->alert_description));
    }
    /* --handshake certificate stops before the client's key exchange: say so, so a reader
     * does not take "ServerHelloDone" for a failure */
    if (r->target != NULL && r->target->client.handshake == TLS_HANDSHAKE_CERTIFICATE) {
        fputs("; certificate mode: stopped after the server's flight, as asked", o->f);
    }
    fputs(")\n", o->f);
}

static void cert_field(const struct probe_text_out *o, const char *name, const char *value)
{
    fprintf(o->f, "%*s  %-11s ", PROBE_LABEL_W, "", name);
    probe_text_safe(o->f, value, false);
    fputc('\n', o->f);
}

static void cert_list(const struct probe_text_out *o, const char *name, const char **names,
                      size_t n)
{
    fprintf(o->f, "%*s  %-11s ", PROBE_LABEL_W, "", name);
    for (size_t i = 0; i < n; i++) {
        fputs(i > 0 ? ", " : "", o->f);
        probe_text_safe(o->f, names[i], false);
    }
    fputs(n == 0 ? "(none)\n" : "\n", o->f);
}

static void cert_sans(const struct probe_text_out *o, const struct tls_cert *c)
{
    fprintf(o->f, "%*s  %-11s ", PROBE_LABEL_W, "", "SAN");
    for (size_t i = 0; i < c->n_san && c->san != NULL; i++) {
        fprintf(o->f, "%s%s:", i > 0 ? ", " : "", c->san[i].type == TLS_SAN_IP ? "IP" : "DNS");
        probe_text_safe(o->f, c->san[i].value, false);
    }
    fputs(c->n_san == 0 ? "(none)\n" : "\n", o->f);
}

static void cert_dates_key(const struct probe_text_out *o, const struct tls_cert *c)
{
    char nb[21], na[21], line[160];
    long left = days_left(c->not_after);

    tls_time_format(c->not_before, nb);
    tls_time_format(c->not_after, na);
    if (left >= 0) {
        snprintf(line, sizeof(line), "%s to %s (%ld days left)", nb, na, left);
    } else {
        snprintf(line, sizeof(line), "%s to %s (expired %ld days ago)", nb, na, -left);
    }
    cert_field(o, "valid", line);
    if (c->key_curve[0] != '\0') {
        snprintf(line, sizeof(line), "%s %d (%s)", c->key_type, c->key_bits, c->key_curve);
    } else {
        snprintf(line, sizeof(line), "%s %d", c->key_type, c->key_bits);
    }
    cert_field(o, "key", line);
    cert_field(o, "signature", c->signature_algorithm);
}

static void text_cert(const struct probe_text_out *o, const struct tls_cert *c, size_t i)
{
    const char *names[16];

    fprintf(o->f, "%*s#%zu ", PROBE_LABEL_W, "", i);
    if (!c->parsed) {
        fputs("(unparsable: ", o->f);
        probe_text_safe(o->f, c->parse_error, false);
        fputs(")\n", o->f);
        cert_field(o, "SHA-256", c->sha256);
        return;
    }
    probe_text_safe(o->f, c->subject, false);
    fputs(c->self_signed ? " (self-signed)\n" : "\n", o->f);
    cert_field(o, "issuer", c->issuer);
    cert_dates_key(o, c);
    cert_sans(o, c);
    if (c->has_eku) {
        cert_list(o, "EKU", names, tls_cert_eku_names(c, names, 16));
    } else {
        cert_field(o, "EKU", "(no extension: any usage)");
    }
    if (c->has_key_usage) {
        cert_list(o, "key usage", names, tls_cert_key_usage_names(c, names, 16));
    }
    cert_field(o, "serial", c->serial);
    cert_field(o, "SHA-256", c->sha256);
}

static void text_chain(const struct probe_text_out *o, const struct probe_result *r)
{
    const struct tls_info *t = r->facts.tls;

    if (t == NULL || t->chain_len == 0 || t->chain == NULL) {
        return;
    }
    probe_emit_label(o, "Chain");
    fprintf(o->f, "%zu certificate%s, as sent by the server\n", t->chain_len,
            t->chain_len == 1 ? "" : "s");
    for (size_t i = 0; i < t->chain_len; i++) {
        text_cert(o, &t->chain[i], i);
    }
}

/* One line per check, from the findings (the policy's and the engine's). */
struct check {
    const char *name;
    const char *codes[2];
    const char *ok_text;
};

static const struct check checks[] = {
    {"trust", {"untrusted_chain", "unparsable_certificate"}, "chain leads to a trusted root"},
    {"name", {"name_mismatch", NULL}, "certificate carries the name the client checks"},
    {"validity", {"expired", "not_yet_valid"}, "within its validity dates"},
    {"EKU", {"no_server_auth_eku", NULL}, "allowed for server authentication"},
    {"key usage", {"bad_key_usage", NULL}, "allows TLS key exchange"},
    {"signature", {"weak_signature", NULL}, "signature hashes strong enough"},
    {"key size", {"weak_key", NULL}, "keys large enough"},
    {"pin", {"pin_mismatch", NULL}, "matches the pinned certificate"},
};

static bool in_checks(const char *code)
{
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        for (size_t j = 0; j < 2; j++) {
            if (checks[i].codes[j] != NULL && strcmp(checks[i].codes[j], code) == 0) {
                return true;
            }
        }
    }
    return false;
}

static const struct probe_finding *find_code(const struct probe_result *r,
                                             const char *const codes[2])
{
    const struct probe_finding *best = NULL;

    for (size_t i = 0; i < r->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        const struct probe_finding *f = &r->findings[i];
        for (size_t j = 0; j < 2; j++) {
            if (codes[j] != NULL && strcmp(codes[j], f->code) == 0 &&
                (best == NULL || f->severity > best->severity)) {
                best = f;
            }
        }
    }
    return best;
}

static void mark(const struct probe_text_out *o, enum tls_severity sev, bool ok)
{
    if (ok) {
        probe_emit_color_on(o, "32");
        fputs("\u2713", o->f);
    } else if (sev == TLS_SEV_ERROR) {
        probe_emit_color_on(o, "31");
        fputs("\u2717", o->f);
    } else if (sev == TLS_SEV_WARNING) {
        probe_emit_color_on(o, "33");
        fputs("!", o->f);
    } else {
        probe_emit_color_on(o, "36");
        fputs("i", o->f);
    }
    probe_emit_color_off(o);
}

static void check_line(const struct probe_text_out *o, const char *name,
                       const struct probe_finding *f, const char *ok_text, bool *first)
{
    probe_emit_label(o, *first ? "Checks" : "");
    *first = false;
    mark(o, f != NULL ? f->severity : TLS_SEV_INFO, f == NULL);
    fprintf(o->f, " %-11s ", name);
    probe_emit_text_line(o, f != NULL ? f->message : ok_text, PROBE_LABEL_W + 14,
                         PROBE_LABEL_W + 14);
}

static void check_version(const struct probe_text_out *o, const struct probe_result *r, bool *first)
{
    const struct tls_info *t = r->facts.tls;
    struct probe_finding f = {.cert = -1};

    if (r->diag == PROBE_DIAG_PROTOCOL_MISMATCH) {
        f.severity = TLS_SEV_ERROR;
        snprintf(f.message, sizeof(f.message), "the server chose %s, which the client refuses",
                 tls_version_name(t->server_hello_version));
        check_line(o, "TLS version", &f, NULL, first);
    } else if (t->version >= TLS_V10 && t->version < TLS_V12) {
        f.severity = TLS_SEV_WARNING;
        snprintf(f.message, sizeof(f.message), "%s negotiated: deprecated (RFC 8996)",
                 tls_version_name(t->version));
        check_line(o, "TLS version", &f, NULL, first);
    } else if (t->version >= TLS_V12) {
        check_line(o, "TLS version", NULL, tls_version_name(t->version), first);
    }
}

static void text_checks(const struct probe_text_out *o, const struct probe_result *r)
{
    const struct probe_client *cl = r->target != NULL ? &r->target->client : NULL;
    bool first = true;

    if (r->facts.tls == NULL) {
        return;
    }
    if (r->facts.tls->chain_len > 0) {
        for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
            const struct check *c = &checks[i];
            if (strcmp(c->name, "pin") == 0 && (cl == NULL || !probe_client_pins(cl))) {
                continue;
            }
            check_line(o, c->name, find_code(r, c->codes), c->ok_text, &first);
        }
    }
    check_version(o, r, &first);
}

static void text_finding(const struct probe_text_out *o, const struct probe_finding *f, bool *first)
{
    int used = PROBE_LABEL_W + 4 + (int)strlen(f->code);

    probe_emit_label(o, *first ? "Findings" : "");
    *first = false;
    mark(o, f->severity, false);
    fputc(' ', o->f);
    probe_text_safe(o->f, f->code, false);
    if (f->cert >= 0) {
        used += fprintf(o->f, " (certificate #%d)", f->cert);
    }
    fputs(": ", o->f);
    probe_emit_text_line(o, f->message, PROBE_LABEL_W + 2, used);
}

static void text_findings(const struct probe_text_out *o, const struct probe_result *r)
{
    bool first = true;

    for (size_t i = 0; i < r->n_findings && i < PROBE_MAX_FINDINGS; i++) {
        const struct probe_finding *f = &r->findings[i];
        /* the check lines and the cause already say these */
        if ((r->facts.tls != NULL && r->facts.tls->chain_len > 0 && in_checks(f->code)) ||
            strcmp(f->code, probe_diag_name(r->diag)) == 0) {
            continue;
        }
        text_finding(o, f, &first);
    }
}

static void text_verdict(const struct probe_text_out *o, const struct probe_result *r)
{
    probe_emit_label(o, "Verdict");
    if (r->status == PROBE_STATUS_OK) {
        probe_emit_color_on(o, "1;32");
        fputs("OK", o->f);
    } else {
        probe_emit_color_on(o, r->status == PROBE_STATUS_FAIL ? "1;31" : "1;33");
        fprintf(o->f, "%s %s", r->status == PROBE_STATUS_FAIL ? "FAIL" : "ERROR",
                probe_diag_name(r->diag));
    }
    probe_emit_color_off(o);
    fputs(": \"", o->f);
    probe_text_safe(o->f, r->message, false);
    fputs("\"\n", o->f);
    if (r->cause[0] != '\0') {
        probe_emit_block(o, "Cause", r->cause);
    }
    if (r->fix[0] != '\0') {
        probe_emit_block(o, "Fix", r->fix);
    }
    if (r->other_platforms[0] != '\0') {
        probe_emit_block(o, "Other OS", r->other_platforms);
    }
}

void probe_report_text(FILE *f, const struct probe_result *r, bool color)
{
    const struct probe_text_out o = {.f = f, .color = color};

    text_target(&o, r);
    text_server(&o, r);
    text_client(&o, r);
    text_tls(&o, r);
    text_chain(&o, r);
    text_checks(&o, r);
    probe_audit_report_text(f, r->facts.audit, color); /* --protocols / --ciphers */
    text_findings(&o, r);
    text_verdict(&o, r);
}
