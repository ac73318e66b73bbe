/* probe/drivers/probe_client.h: what the emulated client does (notes/clients.md §2.3): the PRELOGIN
 * ENCRYPTION byte it sends, what it does with the server's answer, whether it validates the
 * certificate, and which name it checks. Driver profiles beyond SqlClient come later; the
 * functions take the client so they can switch on it. */
#ifndef PROBE_PROBE_CLIENT_H
#define PROBE_PROBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"

/* The default client: SqlClient >= 4.0: Encrypt=Mandatory, TrustServerCertificate=False,
 * system trust store, TLS 1.0-1.2 in TDS 7.x. */
void probe_client_default(struct probe_client *c);

/* Applies a driver profile's defaults (Encrypt, TrustServerCertificate, TLS range). Drivers:
 * probe_client_driver_list(). Returns -1 for an unknown name. */
int probe_client_set_driver(struct probe_client *c, const char *name);
const char *probe_client_driver_list(void);
const char *probe_client_driver_what(const char *name);
/* The TLS range the driver's TLS stack offers by default. */
void probe_client_driver_tls(const struct probe_client *c, int *min, int *max);
/* A second name the certificate may match instead (ODBC 18 with HostnameInCertificate), or
 * NULL. */
const char *probe_client_alt_name(const struct probe_client *c, const char *host);

uint8_t probe_client_encryption_byte(const struct probe_client *c);

/* The TLS scope after the server answered `reply`, and whether the certificate is validated. */
enum tds_tls_scope probe_client_scope(const struct probe_client *c, uint8_t reply, bool *validates);

/* The name the client checks: HostNameInCertificate, else the host with ".", "(local)", "" and
 * "localhost" normalised to "localhost" (managed SqlClient), lower-cased. */
void probe_client_check_name(const struct probe_client *c, const char *host, char *out, size_t cap);

/* How the client matches names. */
struct tls_name_rules probe_client_name_rules(const struct probe_client *c);

/* The client's own text for a diagnosis, as a template: driver is a profile name ("sqlclient",
 * "odbc18", "odbc17", "jdbc", "go-mssqldb", "tedious", "freetds"); variant narrows the text
 * where a driver words one failure several ways ("self_signed", "chain_root", "no_san",
 * "cn_only", "ip"), or NULL. Falls back to the driver's plain text, then to SqlClient's.
 * Placeholders in braces ({host}, {port}, {name}, ...) are filled by probe_diagnose().
 * Never returns NULL. Defined in probe_client_text.c. */
const char *probe_client_text(const char *driver, enum probe_diag d, const char *variant);

/* True when the driver has its own text for d (not a SqlClient fallback). */
bool probe_client_text_known(const char *driver, enum probe_diag d);

#endif
