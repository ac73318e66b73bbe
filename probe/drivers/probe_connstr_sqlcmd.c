/* probe/drivers/probe_connstr_sqlcmd.c: an ODBC sqlcmd (mssql-tools18) command line, read as
 * sqlcmd reads its options into the "odbc18" driver. */
#include "probe/drivers/probe_connstr_int.h"

#include <stdio.h>
#include <string.h>

/* ---- ODBC sqlcmd (mssql-tools18) command line ---- */

/* The next word: blanks separate, '…' and "…" group (quotes removed). Backslashes are
 * literal, since host\instance and Windows paths are pasted as written. 1 at the end. */
static int sqlcmd_word(struct cs *c, size_t *pos, const char **word, size_t *from)
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
    *from = i;
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
    *word = probe_cs_sb_end(c, w);
    *pos = i;
    return 0;
}

/* ODBC sqlcmd's options (docs/tools/sqlcmd/sqlcmd-utility.md): those in with_arg take a
 * value (attached or the next word), those in no_arg take none; -k -L -p -r -X take an
 * optional attached digit or letter. */
static const char sqlcmd_with_arg[] = "acdfFhHiKlmoPqQsStUvVwyYzZ";
static const char sqlcmd_no_arg[] = "AbCeEgGIjMRuWx?";
static const char sqlcmd_opt_attached[] = "kLprX";

/* Secret options (sqlcmd-utility.md): -P the password, -z and -Z the new password. Compared
 * without case like every table's names: -p takes no value, so it never gets here. */
static const struct cs_secret sqlcmd_secrets[] = {
    { "-P|-z|-Z", CS_SECRET_WHOLE },
};

static int sqlcmd_unknown(struct cs *c, const char *w)
{
    return probe_cs_fail(c, "Sqlcmd: '%s': Unknown Option. Enter '-?' for help.", w);
}

/* -N, -Nm: mandatory; -No: optional; -Ns: strict (sqlcmd 18's -N[s|m|o]). */
static int sqlcmd_encrypt(struct cs *c, const char *w)
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

/* from/to: where the value was written; for an attached value (-Psecret), the whole word. */
static int sqlcmd_value(struct cs *c, char flag, const char *v, size_t from, size_t to,
                        bool attached)
{
    struct probe_client *cl = &c->t->client;
    const char key[] = { '-', flag, '\0' };

    /* an attached secret is masked with its option, as "-P***" */
    if (probe_cs_mask_secret(c, key, (struct cs_mask){ from, to, attached ? flag : '\0', '\0' })) {
        return -1;
    }
    switch (flag) {
    case 'S':
        return probe_cs_parse_data_source(c, "-S", v);
    case 'F':
        return probe_cs_set_field(c, "-F", cl->host_name_in_certificate,
                         sizeof(cl->host_name_in_certificate), v);
    default:
        return 0; /* -U, -d, the secrets and the rest do not change the TLS outcome */
    }
}

/* One option word (w starts with '-'); may consume the next word as its value. */
static int sqlcmd_option(struct cs *c, const char *w, size_t wfrom, size_t *pos)
{
    char f = w[1];
    size_t vfrom;
    const char *v;

    if (f == 'N') {
        return sqlcmd_encrypt(c, w);
    }
    if (f == 'D') {
        return probe_cs_fail(c, "Sqlcmd: '-D': -S then names an odbc.ini DSN, which tdsprobe "
                                "cannot read; give -S host[,port]");
    }
    if (f != '\0' && strchr(sqlcmd_no_arg, f) && w[2] == '\0') {
        c->t->client.trust_server_certificate |= f == 'C';
        return 0;
    }
    if (f != '\0' && strchr(sqlcmd_opt_attached, f)) {
        return 0;
    }
    if (f == '\0' || !strchr(sqlcmd_with_arg, f)) {
        return sqlcmd_unknown(c, w);
    }
    if (w[2] != '\0') { /* attached: -Sdb1 */
        return sqlcmd_value(c, f, w + 2, wfrom, *pos, true);
    }
    int rc = sqlcmd_word(c, pos, &v, &vfrom);
    if (rc < 0) {
        return -1;
    }
    if (rc > 0) {
        return probe_cs_fail(c, "Sqlcmd: '-%c': Missing argument. Enter '-?' for help.", f);
    }
    return sqlcmd_value(c, f, v, vfrom, *pos, false);
}

/* Defaults: ODBC sqlcmd 18 encrypts and validates without -N (it is ODBC Driver 18 with its
 * Encrypt=yes default; -C trusts the certificate). */
int probe_cs_parse_sqlcmd(struct cs *c)
{
    size_t pos = 0, from;
    const char *w;
    int rc;

    c->secrets = sqlcmd_secrets;
    c->n_secrets = ARRAY_LEN(sqlcmd_secrets);
    snprintf(c->t->client.driver, sizeof(c->t->client.driver), "odbc18");
    if (sqlcmd_word(c, &pos, &w, &from) != 0) {
        return -1; /* detect() saw the program name, so it is there */
    }
    while ((rc = sqlcmd_word(c, &pos, &w, &from)) == 0) {
        if (w[0] != '-') {
            return probe_cs_fail(c, "Sqlcmd: '%s': Unexpected argument. Enter '-?' for help.", w);
        }
        if (sqlcmd_option(c, w, from, &pos)) {
            return -1;
        }
    }
    if (rc < 0) {
        return -1;
    }
    return c->t->host[0] ? 0 : probe_cs_set_host(c, "-S", "", 0);
}
