/* probe/drivers/probe_connstr.h: a connection string, parsed the way its driver parses it, into
 * a target and the client profile that driver would use.
 *
 * Syntaxes: ADO.NET (Microsoft.Data.SqlClient >= 4.0), ODBC Driver 17/18, the JDBC URL, the
 * go-mssqldb URL, and an ODBC sqlcmd command line. A string the driver would reject is rejected
 * here, in the driver's own words where they are known (exit code 64). */
#ifndef PROBE_PROBE_CONNSTR_H
#define PROBE_PROBE_CONNSTR_H

#include <stddef.h>

#include "probe/model/probe.h"

enum probe_connstr_kind {
    PROBE_CS_NONE,   /* a plain host target (host, host:port, host,port, host\inst, [v6]:port) */
    PROBE_CS_ADONET, /* key=value; ...                         -> driver "sqlclient" */
    PROBE_CS_ODBC,   /* Driver={...}; or a {braced} value      -> "odbc18" / "odbc17" */
    PROBE_CS_JDBC,   /* jdbc:sqlserver://host[\inst][:port];.. -> "jdbc" */
    PROBE_CS_GO_URL, /* sqlserver://user:pass@host:port/inst?. -> "go-mssqldb" */
    PROBE_CS_SQLCMD, /* sqlcmd -S host -N ...                   -> "odbc18" (mssql-tools18) */
};

/* Which syntax text has, by its shape alone (leading spaces ignored). Never fails: anything
 * without '=' that is not a URL or a sqlcmd command line is PROBE_CS_NONE. */
enum probe_connstr_kind probe_connstr_detect(const char *text);

/* Parses text into t. t is reset first; the client starts from the driver's Encrypt and
 * TrustServerCertificate defaults (probe_driver.h) and the string's keywords apply on top:
 * t->host (as written, "tcp:" and IPv6 brackets stripped), t->port (0 = none), t->instance,
 * t->client (driver, encrypt, trust_server_certificate, host_name_in_certificate,
 * server_certificate, ca_file, tls_min, tls_max, encrypt_disable). t->text is the string with
 * every secret replaced by "***": each syntax's secret keywords (passwords, access tokens,
 * client secrets, key-store secrets, the password part of ODBC's ClientCertificate and
 * ClientKey; the tables in probe_connstr_<syntax>.c) and any key named "pwd" or containing
 * "password" or "secret". No secret is stored anywhere else in t, and every writer of the
 * target (reports, Nagios, Prometheus labels, serve) prints t->text only.
 * A PROBE_CS_NONE text is not a connection string:
 * use probe_target_parse for it (this function then fails).
 * Returns 0, or -1 with a sentence in err (always NUL-terminated when errlen > 0) that names
 * the offending keyword, in the driver's own words where they are known; t->text is then "". */
int probe_connstr_parse(const char *text, struct probe_target *t, char *err, size_t errlen);

/* "ado.net", "odbc", "jdbc", "go-url", "sqlcmd", "none": for messages. */
const char *probe_connstr_kind_name(enum probe_connstr_kind k);

#endif
