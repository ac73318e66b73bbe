/* probe/drivers/probe_driver_text.c: each driver's own words for each diagnosis (the message a
 * user of that driver sees), as templates that probe_diagnose() fills; each driver's row in
 * probe_driver.c points to its list here.
 *
 * Sources: Microsoft.Data.SqlClient's resource strings (Strings.resx: SNI_ERROR_*, and the
 * Schannel SEC_E_* texts SNI passes on), the ODBC driver's "[Microsoft][ODBC Driver N for SQL
 * Server]" prefix with OpenSSL's verify-error strings, mssql-jdbc's SQLServerResource.java
 * (R_sslFailed, R_certNameFailed, ...), Go's crypto/x509 and crypto/tls error strings as
 * go-mssqldb wraps them, and Node's OpenSSL texts as tedious wraps them (src/connection.ts
 * "Failed to connect to"). A driver without a text for a diagnosis uses SqlClient's (see
 * probe_driver_text), so every code always has words. SqlClient rows give the detail part of
 * the exception text (what follows "error: 0 - "), as the seed does.
 *
 * ODBC rows follow the Linux driver (OpenSSL 3 for ODBC 18, OpenSSL 1.x for ODBC 17), since the
 * seed is about SQL Server on Linux and its clients; the Windows ODBC driver prints SqlClient's
 * Schannel texts after "SSL Provider: ". Placeholders: {host} {port} {port_or_instance} {name} (the name the client
 * checks) {encrypt} {tsc} (JDBC property values) {cert_names} (Go's "a, b") {cert_name} (JDBC:
 * the last name seen in the certificate) {cert_altnames} (Node's "DNS:a, DNS:b") {now}
 * {not_before} {not_after} (RFC 3339) {go_version} (hex wire version, "301") {jsse_version}
 * ("TLS10"). A variant named after a TLS stack ("schannel", "openssl", "apple": the stack's
 * .variant, probe_platform.c) holds the driver's words on that stack. */
#include "probe/drivers/probe_driver.h"

#include <string.h>

#include "probe/drivers/probe_driver_int.h"

/* SqlClient's connection-phase contexts (TdsParser.cs ProcessSNIError). */
#define SNIX_CONNECT                                                                        \
    "A network-related or instance-specific error occurred while establishing a connection " \
    "to SQL Server. The server was not found or was not accessible. Verify that the instance " \
    "name is correct and that SQL Server is configured to allow remote connections."
#define SNIX_PRELOGIN                                                                      \
    "A connection was successfully established with the server, but then an error occurred " \
    "during the pre-login handshake."
#define SNIX_LOGIN                                                                         \
    "A connection was successfully established with the server, but then an error occurred " \
    "during the login process."
#define ODBC18 "[Microsoft][ODBC Driver 18 for SQL Server]"
#define ODBC17 "[Microsoft][ODBC Driver 17 for SQL Server]"
#define OSSL3_VERIFY "SSL Provider: [error:0A000086:SSL routines::certificate verify failed:"
#define OSSL11_VERIFY \
    "SSL Provider: [error:1416F086:SSL routines:tls_process_server_certificate:" \
    "certificate verify failed:"
#define JDBC_SSL                                                                         \
    "\"encrypt\" property is set to \"{encrypt}\" and \"trustServerCertificate\" property " \
    "is set to \"{tsc}\" but the driver could not establish a secure connection to SQL "    \
    "Server by using Secure Sockets Layer (SSL) encryption: Error: "
/* tedious names the instance, not the port it found (connection.ts wrapSocketError) */
#define TEDIOUS_FAIL "Failed to connect to {host}{port_or_instance} - "
#define GO_TLS "TLS Handshake failed: "

/* ---- the texts, one list per driver ---- */

#define TEXTS(rows) {(rows), sizeof(rows) / sizeof((rows)[0])}

/* SqlClient (Microsoft.Data.SqlClient, native SNI wording; the seed's texts first) */
static const struct probe_driver_text sqlclient_rows[] = {
    {PROBE_DIAG_OK, NULL, "A client with these settings would connect."},
    {PROBE_DIAG_UNTRUSTED_CHAIN, NULL,
     "The certificate chain was issued by an authority that is not trusted."},
    {PROBE_DIAG_NAME_MISMATCH, NULL, "The target principal name is incorrect."},
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL,
     "An existing connection was forcibly closed by the remote host."},
    /* SEC_E_ALGORITHM_MISMATCH: Schannel's text; not yet seen from SqlClient for this case */
    {PROBE_DIAG_PROTOCOL_MISMATCH, NULL,
     "The client and server cannot communicate, because they do not possess a common "
     "algorithm."},
    /* Linux and macOS: managed SNI wraps SslStream's AuthenticationException (SniTcpHandle
     * EnableSsl: SNI_ERROR_35 "An internal exception was caught"); the inner texts are .NET's
     * net_auth_SSPI and net_ssl_handshake_failed_error with OpenSSL's reason, and Secure
     * Transport's on macOS (dotnet/runtime#1979). Composed from those sources, not captured */
    {PROBE_DIAG_PROTOCOL_MISMATCH, "openssl",
     "An internal exception was caught (Authentication failed, see inner exception. ---> SSL "
     "Handshake failed with OpenSSL error - SSL_ERROR_SSL. ---> error:0A000102:SSL "
     "routines::unsupported protocol)"},
    {PROBE_DIAG_PROTOCOL_MISMATCH, "apple",
     "An internal exception was caught (Authentication failed, see inner exception. ---> "
     "bad protocol version)"},
    {PROBE_DIAG_EXPIRED, NULL, "The received certificate has expired."},
    /* Schannel reports a not-yet-valid certificate with the same SEC_E_CERT_EXPIRED text */
    {PROBE_DIAG_NOT_YET_VALID, NULL, "The received certificate has expired."},
    /* no documented detail text for these: the login-phase context SqlClient wraps them in */
    {PROBE_DIAG_WEAK_SIGNATURE, NULL, SNIX_LOGIN},
    {PROBE_DIAG_WEAK_KEY, NULL, SNIX_LOGIN},
    {PROBE_DIAG_NO_SERVER_AUTH_EKU, NULL, SNIX_LOGIN},
    {PROBE_DIAG_BAD_KEY_USAGE, NULL, SNIX_LOGIN},
    {PROBE_DIAG_PIN_MISMATCH, NULL,
     "The certificate provided by the server does not match the certificate provided by the "
     "ServerCertificate option."},
    {PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED, NULL,
     "The instance of SQL Server you attempted to connect to does not support encryption."},
    {PROBE_DIAG_ENCRYPTION_REQUIRED, NULL,
     "The instance of SQL Server you attempted to connect to requires encryption but this "
     "machine does not support it."},
    {PROBE_DIAG_TDS8_NOT_SUPPORTED, NULL, SNIX_PRELOGIN},
    /* no driver reports this (the one that does it goes on without an error): the probe's words */
    {PROBE_DIAG_CLEARTEXT_LOGIN, NULL,
     "The login, password included, is sent in cleartext although encryption was asked for."},
    {PROBE_DIAG_INSTANCE_NOT_FOUND, NULL,
     SNIX_CONNECT " (provider: SQL Network Interfaces, error: 26 - Error Locating "
                  "Server/Instance Specified)"},
    {PROBE_DIAG_DNS_FAILURE, NULL,
     SNIX_CONNECT " (provider: TCP Provider, error: 0 - No such host is known.)"},
    {PROBE_DIAG_CONNECTION_REFUSED, NULL,
     SNIX_CONNECT " (provider: TCP Provider, error: 0 - No connection could be made because "
                  "the target machine actively refused it.)"},
    {PROBE_DIAG_TIMEOUT, NULL,
     "Timeout expired.  The timeout period elapsed prior to completion of the operation or "
     "the server is not responding."},
    {PROBE_DIAG_NOT_TDS, NULL, SNIX_PRELOGIN},
    {PROBE_DIAG_PROTOCOL_ERROR, NULL, SNIX_PRELOGIN},
    {PROBE_DIAG_USAGE, NULL, "The connection string or an option is not valid."},
    /* class LOCAL: the probe's own words, for every driver (the client never ran into it) */
    {PROBE_DIAG_LOCAL_LIMIT, NULL,
     "The probe could not test this server: the machine running tdsprobe ran out of a "
     "resource. This says nothing about the server."},
    {PROBE_DIAG_NO_ROUTE, NULL,
     "The probe could not test this server: there is no route to it from the machine running "
     "tdsprobe. This says nothing about the server."},
    {PROBE_DIAG_TLS_LIBRARY_LIMIT, NULL,
     "The probe's TLS library could not finish the handshake; the client's TLS library can."},

    
};
const struct probe_driver_texts probe_texts_sqlclient = TEXTS(sqlclient_rows);

/* ODBC Driver 18 on Linux (OpenSSL 3) */
static const struct probe_driver_text odbc18_rows[] = {
    {PROBE_DIAG_UNTRUSTED_CHAIN, "self_signed",
     ODBC18 OSSL3_VERIFY "self-signed certificate]"},
    {PROBE_DIAG_UNTRUSTED_CHAIN, NULL,
     ODBC18 OSSL3_VERIFY "unable to get local issuer certificate]"},
    /* OpenSSL 3's X509_V_ERR_HOSTNAME_MISMATCH text; not yet seen from the driver */
    {PROBE_DIAG_NAME_MISMATCH, NULL,
     ODBC18 OSSL3_VERIFY "subject name does not match host name]"},
    {PROBE_DIAG_EXPIRED, NULL, ODBC18 OSSL3_VERIFY "certificate has expired]"},
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL, ODBC18 "TCP Provider: Error code 0x2746"},
    {PROBE_DIAG_PROTOCOL_MISMATCH, NULL,
     ODBC18 "SSL Provider: [error:0A000102:SSL routines::unsupported protocol]"},
    /* Windows: Schannel's SEC_E_ALGORITHM_MISMATCH after "SSL Provider: " */
    {PROBE_DIAG_PROTOCOL_MISMATCH, "schannel",
     ODBC18 "SSL Provider: The client and server cannot communicate, because they do not "
            "possess a common algorithm."},
    /* OpenSSL 3's X509_V_ERR_CA_MD_TOO_WEAK and X509_V_ERR_EE_KEY_TOO_SMALL texts (x509_txt.c)
     * after the driver's verify prefix; not yet seen from the driver */
    {PROBE_DIAG_WEAK_SIGNATURE, NULL,
     ODBC18 OSSL3_VERIFY "CA signature digest algorithm too weak]"},
    {PROBE_DIAG_WEAK_KEY, NULL, ODBC18 OSSL3_VERIFY "EE certificate key too weak]"},
    {PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED, NULL,
     ODBC18 "Encryption not supported on SQL Server."},
    {PROBE_DIAG_ENCRYPTION_REQUIRED, NULL,
     ODBC18 "Encryption not supported on the client."},

    
};
const struct probe_driver_texts probe_texts_odbc18 = TEXTS(odbc18_rows);

/* ODBC Driver 17 on Linux (OpenSSL 1.x) */
static const struct probe_driver_text odbc17_rows[] = {
    {PROBE_DIAG_UNTRUSTED_CHAIN, "self_signed",
     ODBC17 OSSL11_VERIFY "self signed certificate]"},
    {PROBE_DIAG_UNTRUSTED_CHAIN, NULL,
     ODBC17 OSSL11_VERIFY "unable to get local issuer certificate]"},
    {PROBE_DIAG_NAME_MISMATCH, NULL,
     ODBC17 "SSL Provider: [error:14090086:SSL routines:ssl3_get_server_certificate:"
            "certificate verify failed:subject name does not match host name]"},
    {PROBE_DIAG_EXPIRED, NULL, ODBC17 OSSL11_VERIFY "certificate has expired]"},
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL, ODBC17 "TCP Provider: Error code 0x2746"},
    {PROBE_DIAG_PROTOCOL_MISMATCH, NULL,
     ODBC17 "SSL Provider: [error:1425F102:SSL routines:ssl_choose_client_version:"
            "unsupported protocol]"},
    {PROBE_DIAG_PROTOCOL_MISMATCH, "schannel",
     ODBC17 "SSL Provider: The client and server cannot communicate, because they do not "
            "possess a common algorithm."},
    {PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED, NULL,
     ODBC17 "Encryption not supported on SQL Server."},
    {PROBE_DIAG_ENCRYPTION_REQUIRED, NULL,
     ODBC17 "Encryption not supported on the client."},

    
};
const struct probe_driver_texts probe_texts_odbc17 = TEXTS(odbc17_rows);

/* JDBC (mssql-jdbc >= 12.4 wording of R_sslFailed) */
static const struct probe_driver_text jdbc_rows[] = {
    {PROBE_DIAG_UNTRUSTED_CHAIN, NULL,
     JDBC_SSL "PKIX path building failed: sun.security.provider.certpath."
              "SunCertPathBuilderException: unable to find valid certification path to "
              "requested target."},
    /* the missing space before "in" is in the original (R_certNameFailed) */
    {PROBE_DIAG_NAME_MISMATCH, NULL,
     JDBC_SSL "Failed to validate the server name \"{name}\"in a certificate during Secure "
              "Sockets Layer (SSL) initialization. Name in certificate \"{cert_name}\"."},
    {PROBE_DIAG_EXPIRED, NULL,
     JDBC_SSL "PKIX path validation failed: java.security.cert.CertPathValidatorException: "
              "validity check failed."},
    {PROBE_DIAG_NOT_YET_VALID, NULL,
     JDBC_SSL "PKIX path validation failed: java.security.cert.CertPathValidatorException: "
              "validity check failed."},
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL,
     "SQL Server did not return a response. The connection has been closed."},
    /* JSSE's ServerHello consumer when the chosen version is not enabled (TLSv1 and TLSv1.1
     * are in jdk.tls.disabledAlgorithms) */
    {PROBE_DIAG_PROTOCOL_MISMATCH, NULL,
     JDBC_SSL "The server selected protocol version {jsse_version} is not accepted by client "
              "preferences [TLS13, TLS12]."},
    {PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED, NULL,
     "The driver could not establish a secure connection to SQL Server by using Secure "
     "Sockets Layer (SSL) encryption. The application requested encryption but the server is "
     "not configured to support SSL."},
    {PROBE_DIAG_ENCRYPTION_REQUIRED, NULL,
     "SQL Server login requires an encrypted connection that uses Secure Sockets Layer "
     "(SSL)."},

    
};
const struct probe_driver_texts probe_texts_jdbc = TEXTS(jdbc_rows);

/* go-mssqldb (Go 1.19 crypto/tls texts) */
static const struct probe_driver_text go_rows[] = {
    {PROBE_DIAG_UNTRUSTED_CHAIN, NULL,
     GO_TLS "x509: certificate signed by unknown authority"},
    {PROBE_DIAG_NAME_MISMATCH, "no_san",
     GO_TLS "x509: certificate is not valid for any names, but wanted to match {name}"},
    {PROBE_DIAG_NAME_MISMATCH, "cn_only",
     GO_TLS "x509: certificate relies on legacy Common Name field, use SANs instead"},
    {PROBE_DIAG_NAME_MISMATCH, "ip",
     GO_TLS "x509: cannot validate certificate for {name} because it doesn't contain any IP "
            "SANs"},
    {PROBE_DIAG_NAME_MISMATCH, NULL,
     GO_TLS "x509: certificate is valid for {cert_names}, not {name}"},
    {PROBE_DIAG_EXPIRED, NULL,
     GO_TLS "x509: certificate has expired or is not yet valid: current time {now} is after "
            "{not_after}"},
    {PROBE_DIAG_NOT_YET_VALID, NULL,
     GO_TLS "x509: certificate has expired or is not yet valid: current time {now} is before "
            "{not_before}"},
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL, GO_TLS "cannot read handshake packet: EOF"},
    {PROBE_DIAG_PROTOCOL_MISMATCH, NULL,
     GO_TLS "tls: server selected unsupported protocol version {go_version}"},
    {PROBE_DIAG_ENCRYPTION_NOT_SUPPORTED, NULL,
     "server does not support encryption"},
    {PROBE_DIAG_PIN_MISMATCH, NULL,
     "server certificate doesn't match the provided certificate"},

    
};
const struct probe_driver_texts probe_texts_go = TEXTS(go_rows);

/* tedious (Node >= 17 OpenSSL texts) */
static const struct probe_driver_text tedious_rows[] = {
    {PROBE_DIAG_UNTRUSTED_CHAIN, "self_signed", TEDIOUS_FAIL "self-signed certificate"},
    {PROBE_DIAG_UNTRUSTED_CHAIN, "chain_root",
     TEDIOUS_FAIL "self-signed certificate in certificate chain"},
    /* leaf + intermediate from an unknown CA: what tedious 19.2 printed (agreement test) */
    {PROBE_DIAG_UNTRUSTED_CHAIN, NULL,
     TEDIOUS_FAIL "unable to get local issuer certificate"},
    {PROBE_DIAG_NAME_MISMATCH, "ip",
     TEDIOUS_FAIL "Hostname/IP does not match certificate's altnames: IP: {name} is not in the "
                  "cert's list: {cert_altnames}"},
    {PROBE_DIAG_NAME_MISMATCH, NULL,
     TEDIOUS_FAIL "Hostname/IP does not match certificate's altnames: Host: {name}. is not in "
                  "the cert's altnames: {cert_altnames}"},
    {PROBE_DIAG_EXPIRED, NULL, TEDIOUS_FAIL "certificate has expired"},
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL, "Connection lost - read ECONNRESET"},
    {PROBE_DIAG_PROTOCOL_MISMATCH, NULL,
     TEDIOUS_FAIL "error:0A000102:SSL routines:ssl_choose_client_version:unsupported protocol"},
    /* Node's OpenSSL 3 at security level 1: X509_V_ERR_CA_MD_TOO_WEAK (a SHA-1 signature) and
     * X509_V_ERR_EE_KEY_TOO_SMALL (an RSA key under 1024 bits), as Node reports them */
    {PROBE_DIAG_WEAK_SIGNATURE, NULL, TEDIOUS_FAIL "CA signature digest algorithm too weak"},
    {PROBE_DIAG_WEAK_KEY, NULL, TEDIOUS_FAIL "EE certificate key too weak"},
    /* strict against a pre-2022 server, which resets after reading the ClientHello as a TDS
     * packet (tedious 19.2.2 against fakesql strict = 0, agreement test) */
    {PROBE_DIAG_TDS8_NOT_SUPPORTED, NULL, TEDIOUS_FAIL "read ECONNRESET"},
    {PROBE_DIAG_ENCRYPTION_REQUIRED, NULL,
     "Server requires encryption, set 'encrypt' config option to true."},

    
};
const struct probe_driver_texts probe_texts_tedious = TEXTS(tedious_rows);

/* FreeTDS */
static const struct probe_driver_text freetds_rows[] = {
    {PROBE_DIAG_FORCIBLY_CLOSED, NULL, "Unexpected EOF from the server"},
};
const struct probe_driver_texts probe_texts_freetds = TEXTS(freetds_rows);

static const struct probe_driver_text *find_text(const struct probe_driver_texts *texts,
                                                  enum probe_diag d, const char *variant,
                                                  bool any_variant)
{
    for (size_t i = 0; i < texts->n; i++) {
        const struct probe_driver_text *t = &texts->rows[i];
        if (t->diag != d) {
            continue;
        }
        if (t->variant == NULL) {
            if (any_variant || variant == NULL) {
                return t;
            }
            continue;
        }
        if (variant != NULL && strcmp(t->variant, variant) == 0) {
            return t;
        }
    }
    return NULL;
}

const char *probe_driver_text(const struct probe_driver *d, enum probe_diag diag,
                              const char *variant)
{
    const struct probe_driver_texts *def = probe_driver_default()->texts;
    /* the OK text and those of class LOCAL are the probe's, the same for every driver */
    const struct probe_driver_texts *own =
        diag == PROBE_DIAG_OK || probe_diag_class(diag) == PROBE_CLASS_LOCAL ? def : d->texts;
    const struct probe_driver_text *t = NULL;

    /* exact variant first, then the driver's plain text, then SqlClient's */
    if (variant != NULL) {
        t = find_text(own, diag, variant, false);
    }
    if (t == NULL) {
        t = find_text(own, diag, NULL, false);
    }
    if (t == NULL && variant != NULL) {
        t = find_text(def, diag, variant, false);
    }
    if (t == NULL) {
        t = find_text(def, diag, NULL, false);
    }
    return t != NULL ? t->text : "The connection failed.";
}

bool probe_driver_has_text(const struct probe_driver *d, enum probe_diag diag)
{
    return find_text(d->texts, diag, NULL, true) != NULL;
}

const char *probe_client_text(const char *driver, enum probe_diag d, const char *variant)
{
    const struct probe_driver *drv = probe_driver_find(driver);

    return probe_driver_text(drv != NULL ? drv : probe_driver_default(), d, variant);
}

bool probe_client_text_known(const char *driver, enum probe_diag d)
{
    const struct probe_driver *drv = probe_driver_find(driver);

    return drv != NULL && probe_driver_has_text(drv, d);
}
