/* probe/drivers/probe_connstr_int.h: private to the connection-string readers
 * (probe_connstr*.c): one parse's state, and the pieces every syntax shares.
 *   probe_connstr.c         shared pieces (errors, the decoded-string buffer, secret masks,
 *                           the {braced} value, the Data Source form), detection, the entry
 *   probe_connstr_adonet.c  ADO.NET (Microsoft.Data.SqlClient)
 *   probe_connstr_odbc.c    ODBC Driver 17/18
 *   probe_connstr_jdbc.c    the JDBC URL (mssql-jdbc)
 *   probe_connstr_go.c      the go-mssqldb URL
 *   probe_connstr_sqlcmd.c  an ODBC sqlcmd command line
 * Every syntax is split into (key, value) pairs first, then the pairs are applied through the
 * driver's keyword table. Keys and decoded values live in one buffer inside struct cs, so
 * nothing is allocated. Secret values (passwords, tokens, client secrets: each syntax's table
 * of secret keywords, struct cs_secret) are never copied into the target: their spans in the
 * original text are recorded and replaced by "***" when t->text is written. */
#ifndef PROBE_PROBE_CONNSTR_INT_H
#define PROBE_PROBE_CONNSTR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"

#define CS_MAX_PAIRS 256
#define CS_MAX_MASKS 32
#define CS_TEXT_MAX sizeof(((struct probe_target *)0)->text)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NOT_SET SIZE_MAX

/* One keyword=value as the driver split it. */
struct cs_pair {
    const char *key;  /* decoded, in c->buf */
    const char *val;  /* decoded, in c->buf; NULL when the key had no value */
    size_t raw_from;  /* the value as written: text[raw_from, raw_to) */
    size_t raw_to;
};

/* A secret as written, text[from, to), shown as "***" ("-P***" when flag is 'P': an
 * attached sqlcmd value is masked with its whole word, so no quote is left unbalanced;
 * "***;" when tail is ';': a go query pair that url.ParseQuery drops must stay dropped). */
struct cs_mask {
    size_t from;
    size_t to;
    char flag;
    char tail;
};

/* Where a secret keyword's secret sits in its value. */
enum cs_secret_part {
    CS_SECRET_WHOLE,         /* the whole value */
    CS_SECRET_FILE_PASSWORD, /* "file:PATH,password:SECRET": what follows the first ','; the
                              * path and the "password:" label stay readable */
};

/* One row of a syntax's table of secret keywords (each probe_connstr_<syntax>.c has one). */
struct cs_secret {
    const char *names; /* '|'-separated, compared case-insensitively */
    enum cs_secret_part part;
};

/* One parse. */
struct cs {
    const char *text;
    const struct cs_secret *secrets; /* the syntax's table, set by its reader first thing */
    size_t n_secrets;
    struct probe_target *t;
    char *err;
    size_t errlen;
    struct cs_mask mask[CS_MAX_MASKS];
    size_t n_mask;
    char buf[2 * CS_TEXT_MAX + 2 * CS_MAX_PAIRS + 64]; /* decoded keys and values */
    size_t used;
    struct cs_pair pairs[CS_MAX_PAIRS];
    size_t n_pairs;
};

/* ---- errors and words ---- */

/* Writes the sentence into c->err; returns -1. */
__attribute__((format(printf, 2, 3))) int probe_cs_fail(struct cs *c, const char *fmt, ...);
bool probe_cs_is_ws(unsigned char ch);
bool probe_cs_starts_ci(const char *s, const char *prefix);
bool probe_cs_eq_ci(const char *a, const char *b);
/* True when name is one of the '|'-separated words of list (case-insensitive). */
bool probe_cs_in_list_ci(const char *name, const char *list);

/* ---- decoded strings, appended to c->buf ---- */

char *probe_cs_sb_begin(struct cs *c);
void probe_cs_sb_putc(struct cs *c, char ch);
void probe_cs_sb_putn(struct cs *c, const char *s, size_t n);
const char *probe_cs_sb_end(struct cs *c, char *start);
/* text[from, to) trimmed of whitespace, copied into c->buf. */
const char *probe_cs_sb_trimmed(struct cs *c, size_t from, size_t to);
/* A "{...}" value (ODBC and JDBC): "}}" is a literal '}'. Returns the index after the closing
 * '}', or 0 when the value never closes. */
size_t probe_cs_braced_value(struct cs *c, size_t open, const char **val);

/* ---- pairs and secret masks ---- */

/* The one masking rule: when key is a secret keyword (the syntax's table, c->secrets, or the
 * rule every syntax shares: "pwd", or a name containing "password" or "secret"), records the
 * secret part of its value, m = text[m.from, m.to) as written, to be shown as "***". A key
 * that is no secret, or an empty secret, records nothing. Returns 0, or -1 with c->err set
 * when there are more than CS_MAX_MASKS secrets. */
int probe_cs_mask_secret(struct cs *c, const char *key, struct cs_mask m);
/* A pair; a secret key's value (text[from, to)) is masked (probe_cs_mask_secret). */
int probe_cs_add_pair(struct cs *c, const char *key, const char *val, size_t from, size_t to);
/* t->text = the input with every recorded secret span replaced by "***". */
void probe_cs_write_masked_text(struct cs *c);

/* ---- the target ---- */

int probe_cs_set_field(struct cs *c, const char *kw, char *dst, size_t cap, const char *s);
/* A decimal TCP port, 1-65535, surrounding blanks allowed. */
bool probe_cs_parse_port(const char *s, size_t n, uint16_t *port);
/* The host part as written; "[v6]" loses its brackets; empty means "localhost". */
int probe_cs_set_host(struct cs *c, const char *kw, const char *h, size_t n);
/* [tcp:|admin:]host[\instance][,port] */
int probe_cs_parse_data_source(struct cs *c, const char *kw, const char *v);

/* ---- the syntaxes: each sets t->client.driver and applies its keywords ---- */

int probe_cs_parse_adonet(struct cs *c);
int probe_cs_parse_odbc(struct cs *c);
int probe_cs_parse_jdbc(struct cs *c);
int probe_cs_parse_go_url(struct cs *c);
int probe_cs_parse_sqlcmd(struct cs *c);

/* go-mssqldb's own rules, shared with go-sqlcmd, which hands its settings to go-mssqldb:
 * the client a string without TLS keywords gets, and an encrypt value (msdsn parseTLS; any
 * encrypt key turns TrustServerCertificate off). */
void probe_cs_go_defaults(struct probe_client *cl);
int probe_cs_go_encrypt(struct cs *c, const char *v);

#endif
