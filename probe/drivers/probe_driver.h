/* probe/drivers/probe_driver.h: the client drivers the probe emulates, one row each.
 *
 * A row holds everything known about one driver: its name and description, its defaults
 * (Encrypt, TrustServerCertificate, the TLS range its TLS stack offers), the PRELOGIN
 * ENCRYPTION byte it sends for each Encrypt value, where it departs from the MS-TDS 2.2.6.5
 * client table, when it validates the certificate, how it picks and matches the name, the
 * connection-string keywords a fix tells its users to write, and its own words for each
 * diagnosis. Code reads these fields; nothing compares a driver's name except the lookup.
 *
 * The default driver (PROBE_DRIVER_DEFAULT, Microsoft.Data.SqlClient) is the deliberate stand-in
 * wherever a driver is not named (an empty or unknown name) and supplies the words a driver has
 * none of its own for (see probe_driver_text). */
#ifndef PROBE_PROBE_DRIVER_H
#define PROBE_PROBE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe.h"

#define PROBE_DRIVER_DEFAULT "sqlclient"

struct probe_tls_stack; /* probe/drivers/probe_platform.h */

/* What a driver's users write, as a fix prints it. */
struct probe_driver_keywords {
    const char *trust;     /* turns validation off: "TrustServerCertificate=True" */
    const char *hnic_pre;  /* the expected-name override, written around the name; NULL when */
    const char *hnic_post; /* the driver has none (then the name checked is the server name) */
    const char *pin;       /* pins one certificate; NULL = the driver cannot */
    const char *optional;  /* sends OFF: login-only TLS when the server does not force it */
    const char *mandatory; /* sends ON: full TLS, validated */
    const char *strict;    /* TDS 8.0: TLS first, always validated */
};

/* One text: the driver's own words for a diagnosis, as a template (placeholders in braces are
 * filled by probe_diagnose()). variant narrows the text where a driver words one failure
 * several ways ("self_signed", "chain_root", "no_san", "cn_only", "ip"); NULL = any. */
struct probe_driver_text {
    enum probe_diag diag;
    const char *variant;
    const char *text;
};

struct probe_driver_texts {
    const struct probe_driver_text *rows;
    size_t n;
};

/* What a pinned certificate file (kw->pin, --server-certificate) does in a driver. */
enum probe_pin_rule {
    PROBE_PIN_NONE,         /* the driver has no pin: --server-certificate is a usage error */
    PROBE_PIN_WHEN_INVALID, /* read only when the chain or name check fails: a byte-exact match
                               then accepts, a mismatch fails (SqlClient's managed SNI,
                               SniCommon.ValidateSslServerCertificate: policyErrors None returns
                               before the file is compared) */
    PROBE_PIN_ONLY,         /* replaces the chain, name and date checks: a byte-exact match
                               accepts, anything else fails */
    PROBE_PIN_CA_FILE,      /* the file is a trust anchor, not a pin (FreeTDS) */
};

struct probe_driver {
    const char *name; /* "sqlclient": --driver, JSON "client.driver" */
    const char *what; /* for --help and reports */

    /* defaults: what a connection string that names nothing gets */
    enum probe_encrypt encrypt;
    bool trust;           /* TrustServerCertificate */
    int tls_min, tls_max; /* TLS_V1x a parsed connection string starts from; what the client
                             offers is its stack's range (.stack, probe_client_tls_range)
                             unless a bound is named */

    /* PRELOGIN: the ENCRYPTION byte sent for each Encrypt value (a NOT_SUP sender asks for no
     * TLS at all), and what the driver does when it sent ON and the answer refuses encryption
     * or is not in MS-TDS 2.2.6.5 at all: the cells of the client table (tds_enc_client_action)
     * drivers disagree on. TDS_TLS_NONE there means it sends LOGIN7, the password included, in
     * cleartext although it asked for encryption (diagnosis cleartext_login). */
    uint8_t encryption[PROBE_ENCRYPT_STRICT + 1];
    enum tds_tls_scope on_answered_off;
    enum tds_tls_scope on_answered_not_sup;
    enum tds_tls_scope on_answered_unknown; /* a byte other than 0..3 (0x80 flag aside) */

    /* validation, outside strict (which always validates) and TrustServerCertificate */
    bool validates_only_with_ca_file; /* no CA file configured = no validation at all */
    bool validates_login_only;        /* validates the login-only TLS of Encrypt=optional */
    bool validates_forced;            /* validates when Encrypt=optional met a forcing server */

    /* names */
    struct tls_name_rules names;
    bool local_names_as_localhost; /* "", "." and "(local)" are checked as "localhost" */
    bool hnic_or_server_name;      /* the certificate may match either HostNameInCertificate or
                                      the server name */

    /* diagnosis */
    bool dates_before_chain; /* reports OpenSSL's last verification error: an expired
                                certificate, else a weak signature or key, before an
                                untrusted chain */
    const struct probe_driver_keywords *kw;
    const struct probe_driver_texts *texts;
    unsigned sqlclient_words; /* bit per probe_diag among the seed's three errors for which the
                                 driver's own wording is not recorded: SqlClient's stands in */

    /* the TLS stack it runs on, per client OS (probe_platform.h; NULL: OpenSSL 3): what it
     * offers (and so the client's default TLS range), what it accepts, TLS 1.3 in strict */
    const struct probe_tls_stack *stack[PROBE_OS_COUNT];
    /* the pin */
    enum probe_pin_rule pin_rule;
    enum probe_encrypt pin_from;  /* the lowest Encrypt under which the file is read */
    bool pin_despite_trust;       /* read with TrustServerCertificate=true and in login-only TLS
                                     too, so the pin is checked whenever TLS runs */
    bool pin_format_by_extension; /* a ".pem" file must hold PEM, a ".der" one DER, and any
                                     other name is refused */
    bool pin_keeps_dates;         /* with a pin, the chain's dates are still checked (before
                                     the file is compared) */
};

/* The row named name (case-insensitive), or NULL when there is none. */
const struct probe_driver *probe_driver_find(const char *name);

/* The row of PROBE_DRIVER_DEFAULT. */
const struct probe_driver *probe_driver_default(void);

/* The row of c's driver; the default row when c names none or one that does not exist (a
 * caller that filled the name by hand; probe_client_set_driver accepts only real names). */
const struct probe_driver *probe_driver_of(const struct probe_client *c);

/* Every row, in --help order: i < probe_driver_count(). */
size_t probe_driver_count(void);
const struct probe_driver *probe_driver_at(size_t i);

/* "sqlclient, sqlclient-legacy, ...": the names, for messages. Always NUL-terminated. */
void probe_driver_list(char *out, size_t cap);

/* The driver's text for a diagnosis: the variant's, else the plain one; a driver without its
 * own falls back to the default driver's (variant, then plain). The OK text is the probe's
 * own, the same for every driver. Never NULL. */
const char *probe_driver_text(const struct probe_driver *d, enum probe_diag diag,
                              const char *variant);

/* True when the driver has its own text for diag (any variant). */
bool probe_driver_has_text(const struct probe_driver *d, enum probe_diag diag);

/* By name: probe_driver_text / probe_driver_has_text of the named driver (NULL, "" or an
 * unknown name: the default driver's words; probe_client_text_known is then false). */
const char *probe_client_text(const char *driver, enum probe_diag d, const char *variant);
bool probe_client_text_known(const char *driver, enum probe_diag d);

#endif
