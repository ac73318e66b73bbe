/* probe/drivers/probe_connstr_sqlcmd.c: a sqlcmd command line, read as the tool it was written
 * for reads its options. Two tools are called sqlcmd, and they differ where TLS is concerned:
 *
 * - ODBC sqlcmd (mssql-tools18; docs/tools/sqlcmd/sqlcmd-utility.md) is ODBC Driver 18: it
 *   encrypts and validates by default; -N[s|m|o] takes its value attached (-Ns strict, -Nm or a
 *   bare -N mandatory, -No optional), -C trusts the certificate, -F names the host name in the
 *   certificate. It has no pin. Read into the "odbc18" driver.
 * - go-sqlcmd (microsoft/go-sqlcmd, cmd/sqlcmd/sqlcmd.go) hands its settings to go-mssqldb
 *   (pkg/sqlcmd/connect.go ConnectionString): without -N no encrypt key at all, so login-only
 *   TLS, not validated; -N VALUE or --encrypt-connection VALUE (a bare -N is "true",
 *   checkDefaultValue), -C, -F, and -J FILE, the server certificate pin. Read into the
 *   "go-mssqldb" driver.
 *
 * A line is go-sqlcmd's when it uses a form only go-sqlcmd has (-N with its value apart, an -N
 * value other than s, m or o, -J, one of its long options), ODBC sqlcmd's otherwise (and
 * always when the program is under mssql-tools). */
#include "probe/drivers/probe_connstr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLCMD_MAX_WORDS 256

struct word {
    const char *w;
    size_t from, to; /* where it was written */
};

enum tool { TOOL_ODBC, TOOL_GO };

struct line {
    struct cs *c;
    struct word w[SQLCMD_MAX_WORDS];
    size_t n;
    enum tool tool;
    const char *encrypt; /* go-sqlcmd: -N's value as given; NULL = none ("default") */
    bool trust, hnic, pin;
};

/* The next word: blanks separate, '…' and "…" group (quotes removed). Backslashes are
 * literal, since host\instance and Windows paths are pasted as written. 1 at the end. */
static int sqlcmd_word(struct cs *c, size_t *pos, struct word *out)
{
    const char *s = c->text;
    size_t i = *pos;
    char *w;

    while (probe_cs_is_ws((unsigned char)s[i])) {
        i++;
    }
    if (s[i] == '\0') {
        return 1;
    }
    out->from = i;
    w = probe_cs_sb_begin(c);
    while (s[i] != '\0' && !probe_cs_is_ws((unsigned char)s[i])) {
        if (s[i] == '\'' || s[i] == '"') {
            const char *close = strchr(s + i + 1, s[i]);

            if (!close) {
                return probe_cs_fail(c, "sqlcmd: unmatched %c at index %zu", s[i], i);
            }
            probe_cs_sb_putn(c, s + i + 1, (size_t)(close - s - i - 1));
            i = (size_t)(close - s) + 1;
        } else {
            probe_cs_sb_putc(c, s[i++]);
        }
    }
    out->w = probe_cs_sb_end(c, w);
    out->to = *pos = i;
    return 0;
}

static int split_words(struct line *l)
{
    size_t pos = 0;
    int rc;

    while ((rc = sqlcmd_word(l->c, &pos, &l->w[l->n])) == 0) {
        if (++l->n == SQLCMD_MAX_WORDS) {
            return probe_cs_fail(l->c, "sqlcmd: more than %d words", SQLCMD_MAX_WORDS - 1);
        }
    }
    return rc < 0 ? -1 : 0;
}

/* ODBC sqlcmd's options (sqlcmd-utility.md): those in with_arg take a value (attached or the
 * next word), those in no_arg take none; -k -L -p -r -X take an optional attached digit or
 * letter. go-sqlcmd's short options are the same letters, plus -J FILE and -N VALUE. */
static const char sqlcmd_with_arg[] = "acdfFhHiKlmoPqQsStUvVwyYzZ";
static const char sqlcmd_no_arg[] = "AbCeEgGIjMRuWx?";
static const char sqlcmd_opt_attached[] = "kLprX";

/* go-sqlcmd's long options that change the TLS outcome or carry a secret, as their short
 * letters (sqlcmd.go, the flag definitions in setFlags); the rest are not read here. */
static const struct go_long {
    const char *name;
    char flag;
    bool value;
} go_longs[] = {
    { "server", 'S', true },
    { "trust-server-certificate", 'C', false },
    { "host-name-in-certificate", 'F', true },
    { "server-certificate", 'J', true },
    { "encrypt-connection", 'N', true },
    { "user-name", 'U', true },
    { "password", 'P', true },
    { "database-name", 'd', true },
    { "query", 'Q', true },
    { "initial-query", 'q', true },
    { "change-password", 'z', true },
    { "change-password-exit", 'Z', true },
    { "use-trusted-connection", 'E', false },
};

/* Secret options (sqlcmd-utility.md, go-sqlcmd's flags): the password and the new passwords.
 * Compared without case like every table's names: -p takes no value, so it never gets here. */
static const struct cs_secret sqlcmd_secrets[] = {
    { "-P|-z|-Z|--password|--change-password|--change-password-exit", CS_SECRET_WHOLE },
};

/* go-sqlcmd's -N values (normalizeFlags, compared lower-cased) and those that enable TLS, so
 * allow -J (encryptConnectionAllowsTLS). */
static const char go_n_values[] = "mandatory|yes|1|t|true|disable|optional|no|0|f|false|strict|"
                                  "m|s|o";
static const char go_n_tls[] = "s|strict|m|mandatory|true|t|yes|1";

static const struct go_long *go_long_of(const char *w, size_t *name_len)
{
    const char *eq = strchr(w + 2, '=');
    size_t n = eq ? (size_t)(eq - w - 2) : strlen(w + 2);

    for (size_t i = 0; i < ARRAY_LEN(go_longs); i++) {
        if (strlen(go_longs[i].name) == n && strncmp(go_longs[i].name, w + 2, n) == 0) {
            *name_len = n;
            return &go_longs[i];
        }
    }
    return NULL;
}

/* Which tool the line is for (see the top of the file). */
static enum tool which_tool(const struct line *l)
{
    size_t n;

    if (strstr(l->w[0].w, "mssql-tools") != NULL) {
        return TOOL_ODBC;
    }
    for (size_t i = 1; i < l->n; i++) {
        const char *w = l->w[i].w;
        bool next = i + 1 < l->n && l->w[i + 1].w[0] != '-';

        if ((w[0] == '-' && w[1] == '-' && go_long_of(w, &n) != NULL) ||
            (w[0] == '-' && w[1] == 'J') || (strcmp(w, "-N") == 0 && next) ||
            (w[0] == '-' && w[1] == 'N' && w[2] != '\0' &&
             probe_cs_in_list_ci(w + 2 + (w[2] == '='), go_n_values) &&
             strcmp(w, "-Ns") != 0 && strcmp(w, "-Nm") != 0 && strcmp(w, "-No") != 0)) {
            return TOOL_GO;
        }
        if (w[0] == '-' && w[1] != '\0' && strchr(sqlcmd_with_arg, w[1]) && w[2] == '\0') {
            i++; /* its value, whatever it looks like */
        }
    }
    return TOOL_ODBC;
}

static int sqlcmd_unknown(struct cs *c, const char *w)
{
    return probe_cs_fail(c, "Sqlcmd: '%s': Unknown Option. Enter '-?' for help.", w);
}

/* ODBC sqlcmd 18: -N, -Nm: mandatory; -No: optional; -Ns: strict. */
static int odbc_encrypt(struct cs *c, const char *w)
{
    enum probe_encrypt *e = &c->t->client.encrypt;

    if (strcmp(w, "-N") == 0 || strcmp(w, "-Nm") == 0) {
        *e = PROBE_ENCRYPT_MANDATORY;
    } else if (strcmp(w, "-No") == 0) {
        *e = PROBE_ENCRYPT_OPTIONAL;
    } else if (strcmp(w, "-Ns") == 0) {
        *e = PROBE_ENCRYPT_STRICT;
    } else {
        return sqlcmd_unknown(c, w);
    }
    return 0;
}

/* One option's value. m: where the secret sits, as probe_cs_mask_secret takes it. */
static int sqlcmd_value(struct line *l, const char *key, char flag, const char *v,
                        struct cs_mask m)
{
    struct cs *c = l->c;
    struct probe_client *cl = &c->t->client;

    if (probe_cs_mask_secret(c, key, m)) {
        return -1;
    }
    switch (flag) {
    case 'S':
        return probe_cs_parse_data_source(c, "-S", v);
    case 'F':
        l->hnic = true;
        return probe_cs_set_field(c, "-F", cl->host_name_in_certificate,
                                  sizeof(cl->host_name_in_certificate), v);
    case 'J':
        l->pin = true;
        return probe_cs_set_field(c, "-J", cl->server_certificate,
                                  sizeof(cl->server_certificate), v);
    case 'N':
        l->encrypt = v;
        return 0;
    default:
        return 0; /* -U, -d, the secrets and the rest do not change the TLS outcome */
    }
}

/* A value written apart: the next word, consumed. */
static int next_value(struct line *l, size_t *i, const char *opt, const struct word **v)
{
    if (*i + 1 >= l->n) {
        if (l->tool == TOOL_GO && opt[1] == '-') {
            return probe_cs_fail(l->c, "flag needs an argument: %s", opt); /* pflag */
        }
        return probe_cs_fail(l->c, "Sqlcmd: '%s': Missing argument. Enter '-?' for help.", opt);
    }
    *v = &l->w[++*i];
    return 0;
}

/* A go-sqlcmd long option: --name VALUE or --name=VALUE. */
static int go_long_option(struct line *l, size_t *i)
{
    const struct word *w = &l->w[*i], *v;
    size_t n;
    const struct go_long *g = go_long_of(w->w, &n);
    char key[40];

    if (g == NULL) {
        return sqlcmd_unknown(l->c, w->w);
    }
    snprintf(key, sizeof(key), "--%s", g->name);
    if (!g->value) {
        l->trust |= g->flag == 'C';
        return 0;
    }
    if (w->w[2 + n] == '=') {
        size_t at = w->from + 3 + n; /* the value after "--name=", when written plainly */
        bool plain = strncmp(l->c->text + w->from, w->w, 3 + n) == 0;
        return sqlcmd_value(l, key, g->flag, w->w + 3 + n,
                            (struct cs_mask){ plain ? at : w->from, w->to, '\0', '\0' });
    }
    if (next_value(l, i, key, &v) != 0) {
        return -1;
    }
    return sqlcmd_value(l, key, g->flag, v->w, (struct cs_mask){ v->from, v->to, '\0', '\0' });
}

/* go-sqlcmd's -N: attached (-Nm, -N=m), apart (-N strict), or bare: "true" (checkDefaultValue:
 * at the end, or before another option). */
static int go_encrypt_option(struct line *l, size_t *i)
{
    const char *w = l->w[*i].w;

    if (w[2] != '\0') {
        l->encrypt = w + 2 + (w[2] == '=');
    } else if (*i + 1 < l->n && l->w[*i + 1].w[0] != '-') {
        l->encrypt = l->w[++*i].w;
    } else {
        l->encrypt = "true";
    }
    return 0;
}

/* One option word (w starts with '-'); may consume the next word as its value. */
static int sqlcmd_option(struct line *l, size_t *i)
{
    const struct word *word = &l->w[*i], *v;
    const char *w = word->w;
    char f = w[1];
    const char key[] = { '-', f, '\0' };

    if (f == '-' && l->tool == TOOL_GO) {
        return go_long_option(l, i);
    }
    if (f == 'N') {
        return l->tool == TOOL_GO ? go_encrypt_option(l, i) : odbc_encrypt(l->c, w);
    }
    if (f == 'D') {
        return probe_cs_fail(l->c, "Sqlcmd: '-D': -S then names an odbc.ini DSN, which tdsprobe "
                                   "cannot read; give -S host[,port]");
    }
    if (f != '\0' && strchr(sqlcmd_no_arg, f) && w[2] == '\0') {
        l->trust |= f == 'C';
        return 0;
    }
    if (f != '\0' && strchr(sqlcmd_opt_attached, f)) {
        return 0;
    }
    if (f == '\0' || !(strchr(sqlcmd_with_arg, f) || (f == 'J' && l->tool == TOOL_GO))) {
        return sqlcmd_unknown(l->c, w);
    }
    if (w[2] != '\0') { /* attached: -Sdb1; a secret is masked with its option, as "-P***" */
        return sqlcmd_value(l, key, f, w + 2, (struct cs_mask){ word->from, word->to, f, '\0' });
    }
    if (next_value(l, i, key, &v) != 0) {
        return -1;
    }
    return sqlcmd_value(l, key, f, v->w, (struct cs_mask){ v->from, v->to, '\0', '\0' });
}

/* go-sqlcmd's checks, in its order: cobra's flag groups (MarkFlagsMutuallyExclusive),
 * SQLCmdArguments.Validate, normalizeFlags; then the settings go to go-mssqldb
 * (connect.go: -N s/o/m become strict/optional/mandatory, other values pass as written, and
 * no -N means no encrypt key; -C adds TrustServerCertificate=true). */
static int go_finish(struct line *l)
{
    struct cs *c = l->c;
    const char *e = l->encrypt;

    if (l->hnic && l->pin) {
        return probe_cs_fail(c, "Error: if any flags in the group [host-name-in-certificate "
                                "server-certificate] are set none of the others can be; "
                                "[host-name-in-certificate server-certificate] were all set");
    }
    if (l->pin && (e == NULL || !probe_cs_in_list_ci(e, go_n_tls))) {
        return probe_cs_fail(c, "Sqlcmd: The -J parameter requires encryption to be enabled (-N "
                                "true, -N mandatory, or -N strict).");
    }
    if (e != NULL && !probe_cs_in_list_ci(e, go_n_values)) {
        return probe_cs_fail(c, "Sqlcmd: '-N %s': Unexpected argument. Argument value has to be "
                                "one of [m[andatory] yes 1 t[rue] disable o[ptional] no 0 "
                                "f[alse] s[trict]].", e);
    }
    if (e != NULL) {
        const char *full = strcmp(e, "s") == 0   ? "strict"
                           : strcmp(e, "o") == 0 ? "optional"
                           : strcmp(e, "m") == 0 ? "mandatory"
                                                 : e;
        if (probe_cs_go_encrypt(c, full) != 0) {
            return -1;
        }
    }
    c->t->client.trust_server_certificate |= l->trust;
    return 0;
}

/* Defaults: ODBC sqlcmd 18 encrypts and validates without -N (it is ODBC Driver 18 with its
 * Encrypt=yes default); go-sqlcmd is go-mssqldb without an encrypt key. */
int probe_cs_parse_sqlcmd(struct cs *c)
{
    struct line *l = calloc(1, sizeof(*l));
    int rc = 0;

    if (l == NULL) {
        return probe_cs_fail(c, "out of memory");
    }
    l->c = c;
    c->secrets = sqlcmd_secrets;
    c->n_secrets = ARRAY_LEN(sqlcmd_secrets);
    if (split_words(l) != 0) {
        free(l);
        return -1;
    }
    l->tool = which_tool(l); /* detect() saw the program name, so w[0] is there */
    if (l->tool == TOOL_GO) {
        probe_cs_go_defaults(&c->t->client);
    } else {
        snprintf(c->t->client.driver, sizeof(c->t->client.driver), "odbc18");
    }
    for (size_t i = 1; i < l->n && rc == 0; i++) {
        if (l->w[i].w[0] != '-') {
            rc = probe_cs_fail(c, "Sqlcmd: '%s': Unexpected argument. Enter '-?' for help.",
                               l->w[i].w);
        } else {
            rc = sqlcmd_option(l, &i);
        }
    }
    if (rc == 0 && l->tool == TOOL_GO) {
        rc = go_finish(l);
    } else if (rc == 0) {
        c->t->client.trust_server_certificate |= l->trust;
    }
    free(l);
    if (rc != 0) {
        return -1;
    }
    return c->t->host[0] ? 0 : probe_cs_set_host(c, "-S", "", 0);
}
