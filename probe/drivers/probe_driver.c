/* probe/drivers/probe_driver.c: the driver table, one row per driver (see probe_driver.h), and
 * the lookups. The texts each row points to are in probe_driver_text.c. */
#include "probe/drivers/probe_driver.h"

#include <limits.h>
#include <stdio.h>
#include <strings.h>

#include "probe/drivers/probe_driver_int.h"
#include "probe/drivers/probe_platform.h"
#include "tls/tls_version.h"

/* Strict (TDS 8.0) sends PRELOGIN inside TLS that is already up, with ENCRYPTION=NOT_SUP there
 * (Microsoft.Data.SqlClient TdsParser.cs: "encryption has already been negotiated"). */
#define SENDS_OFF_ON                                                                         \
    {                                                                                        \
        [PROBE_ENCRYPT_OPTIONAL] = TDS_ENC_OFF, [PROBE_ENCRYPT_MANDATORY] = TDS_ENC_ON,      \
        [PROBE_ENCRYPT_STRICT] = TDS_ENC_NOT_SUP                                             \
    }

/* The TLS stacks per client OS (probe_platform.c). Microsoft.Data.SqlClient's SNI uses
 * Schannel on Windows, .NET's SslStream on OpenSSL on Linux and on Secure Transport on macOS;
 * the ODBC driver uses Schannel on Windows and links OpenSSL on Linux and macOS (msodbcsql18
 * depends on openssl@3 in Microsoft's Homebrew tap); JDBC, Go and Node bring their own, the
 * same on Windows 10 and 11. */
#define STACKS(win, win11, lin, mac)                                                           \
    {                                                                                          \
        [PROBE_OS_WINDOWS] = (win), [PROBE_OS_WINDOWS11] = (win11), [PROBE_OS_LINUX] = (lin),  \
        [PROBE_OS_MACOS] = (mac)                                                               \
    }
#define STACKS_SQLCLIENT                                                                       \
    STACKS(&probe_stack_schannel, &probe_stack_schannel_win11, &probe_stack_openssl3,          \
           &probe_stack_apple)
#define STACKS_ODBC                                                                            \
    STACKS(&probe_stack_schannel, &probe_stack_schannel_win11, &probe_stack_openssl3,          \
           &probe_stack_openssl3_level1)
#define STACKS_ALL(s) STACKS((s), (s), (s), (s))

#define DIAG_BIT(d) (1u << (d))
_Static_assert(PROBE_DIAG_COUNT <= sizeof(unsigned) * CHAR_BIT,
               "sqlclient_words holds one bit per diagnosis");

/* ---- the keywords each driver's users write ---- */

static const struct probe_driver_keywords kw_sqlclient = {
    "TrustServerCertificate=True", "HostNameInCertificate=", "",
    "ServerCertificate=/path/to/mssql.pem (SqlClient 5.1+)", "Encrypt=Optional",
    "Encrypt=Mandatory", "Encrypt=Strict",
};

static const struct probe_driver_keywords kw_odbc18 = {
    "TrustServerCertificate=yes", "HostNameInCertificate=", "",
    "ServerCertificate=/path/to/mssql.pem (ODBC 18.1+, with Encrypt=strict)", "Encrypt=no",
    "Encrypt=yes", "Encrypt=strict",
};

/* ODBC 17 has neither HostNameInCertificate (18.0) nor ServerCertificate (18.1). */
static const struct probe_driver_keywords kw_odbc17 = {
    "TrustServerCertificate=yes", NULL, NULL, NULL, "Encrypt=no", "Encrypt=yes",
    "Encrypt=strict (needs ODBC 18.1.2.1+)",
};

static const struct probe_driver_keywords kw_jdbc = {
    "trustServerCertificate=true", "hostNameInCertificate=", "",
    "serverCertificate=/path/to/mssql.pem (with encrypt=strict only)", "encrypt=false",
    "encrypt=true", "encrypt=strict",
};

static const struct probe_driver_keywords kw_go = {
    "TrustServerCertificate=true", "hostnameincertificate=", "",
    "serverCertificate=/path/to/mssql.pem", "encrypt=false", "encrypt=true", "encrypt=strict",
};

static const struct probe_driver_keywords kw_tedious = {
    "options.trustServerCertificate: true", "options.serverName: '", "'", NULL,
    "options.encrypt: false", "options.encrypt: true", "options.encrypt: 'strict'",
};

static const struct probe_driver_keywords kw_freetds = {
    "no \"ca file\" in freetds.conf (FreeTDS validates only when one is set)",
    "certificate hostname = ", "", NULL, "encryption = request", "encryption = require",
    "encryption = strict",
};

/* ---- the drivers ----
 *
 * TLS ranges: tls_min/tls_max are where a parsed connection string starts; what the client
 * offers is its TLS stack's range on its OS (.stack, probe_client_tls_range) unless an option
 * or a keyword names a bound. TDS 7.x carries at most TLS 1.2 (MS-TDS 2.1).
 *
 * Sent ON, answered OFF (MS-TDS 2.2.6.5 says the client terminates): Microsoft.Data.SqlClient
 * (TdsParser.cs ConsumePreLoginHandshake) keeps ON and encrypts everything, and so do the ODBC
 * drivers; FreeTDS encrypts the login only (login.c: crypt_flag 0, "after login server continue
 * not encrypted"; tsql 1.3.17 against a canned OFF reply: handshake, then cleartext);
 * mssql-jdbc and go-mssqldb give up; tedious starts TLS only when the server answers ON or REQ
 * (src/connection.ts performTlsNegotiation), so it goes on in cleartext.
 *
 * Sent ON, answered NOT_SUP (the table: "connection terminated"): SqlClient throws
 * EncryptionNotSupportedByServer (ConsumePreLoginHandshake, the default: branch of the client
 * option switch); mssql-jdbc terminates with R_sslRequiredNoServerSupport
 * (SQLServerConnection.prelogin); go-mssqldb returns "server does not support encryption"
 * (tds.go, after readPrelogin); FreeTDS returns TDS_FAIL when "encryption = require" meets
 * crypt_flag 2 (login.c tds71_do_login); the ODBC drivers fail with "Encryption not supported
 * on SQL Server." (msodbcsql is closed source: its words, not its code, were seen). tedious
 * alone goes on: the same
 * performTlsNegotiation skips TLS and LOGIN7 leaves in cleartext (tedious 19.2.2 against
 * fakesql encryption_mismatch = read_login: "Login failed for user 'sa'.", encrypted false).
 *
 * Sent ON, answered a byte MS-TDS does not define (0x05, 0xFF): SqlClient reads anything but
 * NOT_SUP as "server supports encryption" and does TLS (ConsumePreLoginHandshake:
 * serverSupportsEncryption = serverOption != NOT_SUP); go-mssqldb starts TLS for anything but
 * NOT_SUP (tds.go: if encrypt != encryptNotSup); FreeTDS for anything but 2 (login.c); mssql-jdbc
 * throws "The TDS protocol stream is not valid." (SQLServerConnection.prelogin: "Server returned"
 * an invalid encryption level, throwInvalidTDS); tedious finds no name for it
 * (prelogin-payload.js encryptByValue) and so sends LOGIN7 in cleartext. The ODBC drivers'
 * source is not public: taken to act as SqlClient. */
static const struct probe_driver drivers[] = {
    {
        .name = "sqlclient",
        .what = "Microsoft.Data.SqlClient 4.0+ (.NET): Encrypt=Mandatory by default",
        .encrypt = PROBE_ENCRYPT_MANDATORY, .trust = false, .tls_min = TLS_V10,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_FULL,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_FULL,
        .validates_login_only = false, .validates_forced = true,
        .names = { .cn_fallback = true, .ip_needs_ip_san = true },
        .local_names_as_localhost = true,
        .kw = &kw_sqlclient, .texts = &probe_texts_sqlclient,
        .stack = STACKS_SQLCLIENT,
        /* ServerCertificate (5.1+) is read under Mandatory and Strict, and not at all with
         * TrustServerCertificate=true (SqlConnectionStringBuilder.ServerCertificate docs). */
        .pin_rule = PROBE_PIN_WHEN_INVALID, .pin_from = PROBE_ENCRYPT_MANDATORY,
    },
    {
        /* Forced encryption is validated since 2.0 (SqlClient PR #391); System.Data.SqlClient
         * and Microsoft.Data.SqlClient 1.x did not: not modelled. */
        .name = "sqlclient-legacy",
        .what = "Microsoft.Data.SqlClient 2.x-3.x: Encrypt=False by default; forced encryption "
                "is validated",
        .encrypt = PROBE_ENCRYPT_OPTIONAL, .trust = false, .tls_min = TLS_V10,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_FULL,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_FULL,
        .validates_login_only = false, .validates_forced = true,
        .names = { .cn_fallback = true, .ip_needs_ip_san = true },
        .local_names_as_localhost = true,
        .kw = &kw_sqlclient, .texts = &probe_texts_sqlclient,
        .stack = STACKS_SQLCLIENT,
    },
    {
        /* The certificate may match the server name or HostnameInCertificate. */
        .name = "odbc18",
        .what = "ODBC Driver 18 for SQL Server: Encrypt=yes by default",
        .encrypt = PROBE_ENCRYPT_MANDATORY, .trust = false, .tls_min = TLS_V12,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_FULL,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_FULL,
        .validates_login_only = false, .validates_forced = true,
        .names = { .cn_fallback = true, .ip_needs_ip_san = true },
        .local_names_as_localhost = true, .hnic_or_server_name = true,
        .kw = &kw_odbc18, .texts = &probe_texts_odbc18,
        .stack = STACKS_ODBC,
        /* ServerCertificate (18.1+): exact match, documented for Encrypt=strict only
         * (dsn-connection-string-attribute.md). */
        .pin_rule = PROBE_PIN_ONLY, .pin_from = PROBE_ENCRYPT_STRICT,
    },
    {
        /* ODBC 17 never validates forced encryption when Encrypt=no. */
        .name = "odbc17",
        .what = "ODBC Driver 17 for SQL Server: Encrypt=no by default",
        .encrypt = PROBE_ENCRYPT_OPTIONAL, .trust = false, .tls_min = TLS_V10,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_FULL,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_FULL,
        .validates_login_only = false, .validates_forced = false,
        .names = { .cn_fallback = true, .ip_needs_ip_san = true },
        .local_names_as_localhost = true,
        .kw = &kw_odbc17, .texts = &probe_texts_odbc17,
        .stack = STACKS_ODBC,
    },
    {
        /* JDBC checks the CN even when there are SANs, and keeps a literal "(local)". */
        .name = "jdbc",
        .what = "Microsoft JDBC Driver 10.2+ (JDK 17): encrypt=true by default",
        .encrypt = PROBE_ENCRYPT_MANDATORY, .trust = false, .tls_min = TLS_V12,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_TERMINATE,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_TERMINATE,
        .validates_login_only = false, .validates_forced = true,
        .names = { .cn_fallback = true, .cn_always = true, .ip_needs_ip_san = false },
        .local_names_as_localhost = false,
        .kw = &kw_jdbc, .texts = &probe_texts_jdbc,
        .stack = STACKS_ALL(&probe_stack_jsse),
        /* serverCertificate is read only when encrypt=strict (SQLServerConnection.java, where
         * it is copied for TDS 8.0; IOBuffer.java enableSSL); ServerCertificateX509TrustManager
         * .checkServerTrusted checks every certificate's dates first (R_serverCertExpired),
         * then compares the file, and checks neither trust nor name. */
        .pin_rule = PROBE_PIN_ONLY, .pin_from = PROBE_ENCRYPT_STRICT, .pin_keeps_dates = true,
    },
    {
        /* go-mssqldb (msdsn/conn_str.go parseTLS): no encrypt key = OFF with
         * TrustServerCertificate=true; with trust off it validates even login-only TLS. Go's
         * crypto/tls ignores the CN. */
        .name = "go-mssqldb",
        .what = "go-mssqldb: no encrypt key = login-only TLS and TrustServerCertificate=true",
        .encrypt = PROBE_ENCRYPT_OPTIONAL, .trust = true, .tls_min = TLS_V12,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_TERMINATE,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_FULL,
        .validates_login_only = true, .validates_forced = true,
        .names = { .cn_fallback = false, .ip_needs_ip_san = true },
        .local_names_as_localhost = true,
        .kw = &kw_go, .texts = &probe_texts_go,
        .stack = STACKS_ALL(&probe_stack_go),
        /* serverCertificate: msdsn/conn_str.go setupTLSServerCertificateOnly sets
         * InsecureSkipVerify and compares the raw bytes in VerifyPeerCertificate, which Go runs
         * whatever TrustServerCertificate says, in every TLS the driver starts; readCertificate
         * decodes ".pem" as PEM and ".der" as DER and refuses other extensions. */
        .pin_rule = PROBE_PIN_ONLY, .pin_from = PROBE_ENCRYPT_OPTIONAL,
        .pin_despite_trust = true, .pin_format_by_extension = true,
    },
    {
        /* tedious encrypt=true starts TLS only on an ON or REQ answer: after OFF, NOT_SUP or a
         * byte outside MS-TDS it sends LOGIN7 in cleartext (cleartext_login; agreement test
         * against fakesql encryption_mismatch = close and read_login). tedious
         * encrypt=false sends NOT_SUP: no TLS at all. Node reports OpenSSL's last
         * verification error, and OpenSSL checks the dates after the chain: an expired
         * certificate from an unknown CA is "certificate has expired" there (tedious 19.2
         * against fakesql), where Schannel names the chain first; a SHA-1 signed leaf from an
         * unknown CA is "CA signature digest algorithm too weak" (agreement test). */
        .name = "tedious",
        .what = "tedious (Node.js): encrypt=true by default; encrypt=false sends no TLS at all",
        .encrypt = PROBE_ENCRYPT_MANDATORY, .trust = false, .tls_min = TLS_V12,
        .tls_max = TLS_V12,
        .encryption = { [PROBE_ENCRYPT_OPTIONAL] = TDS_ENC_NOT_SUP,
                        [PROBE_ENCRYPT_MANDATORY] = TDS_ENC_ON,
                        [PROBE_ENCRYPT_STRICT] = TDS_ENC_NOT_SUP },
        .on_answered_off = TDS_TLS_NONE, .on_answered_not_sup = TDS_TLS_NONE,
        .on_answered_unknown = TDS_TLS_NONE,
        .validates_login_only = false, .validates_forced = true,
        .names = { .cn_fallback = true, .ip_needs_ip_san = true },
        .local_names_as_localhost = true, .dates_before_chain = true,
        .kw = &kw_tedious, .texts = &probe_texts_tedious,
        .stack = STACKS_ALL(&probe_stack_openssl3_level1),
    },
    {
        /* Debian's FreeTDS uses GnuTLS and its "enable tls v1" defaults to yes: tsql 1.3.17
         * logs in over TLS 1.0 and 1.1 (agreement test), unlike OpenSSL 3 builds. It validates
         * only with a "ca file"; its wording for a rejected chain or name is not recorded. */
        .name = "freetds",
        .what = "FreeTDS (GnuTLS build): encryption = request by default; validates only with a "
                "CA file",
        .encrypt = PROBE_ENCRYPT_OPTIONAL, .trust = false, .tls_min = TLS_V10,
        .tls_max = TLS_V12, .encryption = SENDS_OFF_ON, .on_answered_off = TDS_TLS_LOGIN_ONLY,
        .on_answered_not_sup = TDS_TLS_TERMINATE, .on_answered_unknown = TDS_TLS_FULL,
        .validates_only_with_ca_file = true, .validates_login_only = false,
        .validates_forced = true,
        .names = { .cn_fallback = true, .ip_needs_ip_san = true },
        .local_names_as_localhost = true,
        .kw = &kw_freetds, .texts = &probe_texts_freetds,
        .sqlclient_words =
            DIAG_BIT(PROBE_DIAG_UNTRUSTED_CHAIN) | DIAG_BIT(PROBE_DIAG_NAME_MISMATCH),
        .stack = STACKS(&probe_stack_openssl3_level1, &probe_stack_openssl3_level1,
                        &probe_stack_gnutls, &probe_stack_openssl3_level1),
        /* ServerCertificate in an ODBC string is "ca file" (src/odbc/connectparams.c). */
        .pin_rule = PROBE_PIN_CA_FILE,
    },
};

#define N_DRIVERS (sizeof(drivers) / sizeof(drivers[0]))

const struct probe_driver *probe_driver_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_DRIVERS; i++) {
        if (strcasecmp(drivers[i].name, name) == 0) {
            return &drivers[i];
        }
    }
    return NULL;
}

const struct probe_driver *probe_driver_default(void)
{
    return probe_driver_find(PROBE_DRIVER_DEFAULT); /* a unit test checks that it exists */
}

const struct probe_driver *probe_driver_of(const struct probe_client *c)
{
    const struct probe_driver *d = probe_driver_find(c->driver);

    return d != NULL ? d : probe_driver_default();
}

size_t probe_driver_count(void)
{
    return N_DRIVERS;
}

const struct probe_driver *probe_driver_at(size_t i)
{
    return i < N_DRIVERS ? &drivers[i] : NULL;
}

void probe_driver_list(char *out, size_t cap)
{
    size_t used = 0;

    if (cap == 0) {
        return;
    }
    out[0] = '\0';
    for (size_t i = 0; i < N_DRIVERS && used < cap; i++) {
        int n = snprintf(out + used, cap - used, "%s%s", i > 0 ? ", " : "", drivers[i].name);
        if (n < 0) {
            return;
        }
        used += (size_t)n;
    }
}
