/* probe/drivers/probe_client.h: what the emulated client does, read from its driver's row
 * (probe_driver.h): the PRELOGIN ENCRYPTION byte it sends, what it does with the server's
 * answer (MS-TDS 2.2.6.5 and the driver's departures from it), whether it validates the
 * certificate, and which name it checks and how. */
#ifndef PROBE_PROBE_CLIENT_H
#define PROBE_PROBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/drivers/probe_driver.h"
#include "probe/drivers/probe_platform.h"
#include "probe/model/probe.h"

/* The default client: SqlClient >= 4.0: Encrypt=Mandatory, TrustServerCertificate=False,
 * system trust store, on the OS tdsprobe runs on (its TLS stack's range). */
void probe_client_default(struct probe_client *c);

/* Applies a driver's defaults (Encrypt, TrustServerCertificate, TLS range). Drivers:
 * probe_driver_list(). Returns -1 for an unknown name. */
int probe_client_set_driver(struct probe_client *c, const char *name);
/* The driver row's tls_min/tls_max (where a connection string's range starts; the client's
 * offer is probe_client_tls_range). */
void probe_client_driver_tls(const struct probe_client *c, int *min, int *max);
/* A second name the certificate may match instead (ODBC 18 with HostnameInCertificate), or
 * NULL. */
const char *probe_client_alt_name(const struct probe_client *c, const char *host);

uint8_t probe_client_encryption_byte(const struct probe_client *c);

/* Whether the client validates the certificate before any server answer is known (the probe
 * stopped at DNS, the Browser or TCP): strict always; otherwise as against the usual SQL Server,
 * one with a certificate that does not force encryption (MS-TDS 2.2.6.5's "server OFF"
 * column). The PRELOGIN reply, when one comes, decides instead (probe_client_scope). */
bool probe_client_expected_validates(const struct probe_client *c);

/* The TLS scope after the server answered `reply`, and whether the certificate is validated. */
enum tds_tls_scope probe_client_scope(const struct probe_client *c, uint8_t reply, bool *validates);

/* The name the client checks: HostNameInCertificate (for a driver that has it), else the host
 * with ".", "(local)" and "" as "localhost" (for a driver that does so), lower-cased. */
void probe_client_check_name(const struct probe_client *c, const char *host, char *out, size_t cap);

/* How the client matches names. */
struct tls_name_rules probe_client_name_rules(const struct probe_client *c);

/* The TLS stack of c's driver on c's OS. Never NULL. */
const struct probe_tls_stack *probe_client_stack(const struct probe_client *c);

/* The stack the driver row named `driver` runs on under os (HOST resolved). Never NULL. */
const struct probe_tls_stack *probe_driver_stack(const char *driver, enum probe_os os);

/* The TLS versions c offers, min..max (TLS_V1x): a bound named by an option or a connection
 * string (c->tls_named), else its stack's default; in TDS 7.x (strict false) at most TLS 1.2.
 * A named bound beyond the stack's other one moves that one too. */
void probe_client_tls_range(const struct probe_client *c, bool strict, int *min, int *max);

/* Strict (TDS 8.0): does the client offer TLS 1.3? Its stack must have it, and its TLS range
 * (--tls-max, a connection string's TLS keywords) must reach it. The engine starts a strict
 * probe with the TLS 1.3 client exactly when this is true. */
bool probe_client_offers_tls13(const struct probe_client *c);
/* The client checks the pinned certificate file (server_certificate) in this setting: its
 * driver has a pin and reads it under this Encrypt (and, unless the driver reads it despite
 * TrustServerCertificate, validates at all). */
bool probe_client_pins(const struct probe_client *c);

/* Settles what the files of c mean to its driver: a driver whose ServerCertificate is a CA
 * file (FreeTDS) gets it as ca_file unless ca_file_set (an explicit --ca-file wins). Returns 0,
 * or -1 with a sentence in err when the driver cannot pin at all. */
int probe_client_settle_files(struct probe_client *c, bool ca_file_set, char *err, size_t errlen);

/* Loads c's pin file as its driver reads it (tls/tls_pin.h, plus the driver's file-name rule).
 * Returns 0 (p filled, or left empty when c has no pin file), or -1 with a sentence naming
 * the file in err. */
struct tls_pin;
int probe_client_load_pin(const struct probe_client *c, struct tls_pin *p, char *err,
                          size_t errlen);

#endif
