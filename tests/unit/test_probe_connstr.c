/* tests/unit/test_probe_connstr.c: connection strings per driver (probe/drivers/probe_connstr*.c),
 * read as each driver reads them, and the driver defaults they start from.
 *
 * Tables: strings each driver accepts, with the target and profile it would use; strings it
 * rejects, with the exact error text; shapes for probe_connstr_detect. Every string with a
 * secret (password, token, client secret) is also checked for it anywhere in the target's
 * bytes (memmem over the whole struct), and every accepted string is re-parsed at every
 * prefix length (nothing may crash or read past the end under ASan). Every secret keyword of
 * every syntax, in every quoting: test_probe_connstr_secrets.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/drivers/probe_connstr.h"
#include "probe/drivers/probe_target.h"
#include "tests/unit/connstr_check.h"
#include "tls/tls_version.h"

#define M PROBE_ENCRYPT_MANDATORY
#define O PROBE_ENCRYPT_OPTIONAL
#define S PROBE_ENCRYPT_STRICT
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct ok_case {
    const char *text;
    enum probe_connstr_kind kind;
    const char *driver;
    const char *host;
    uint16_t port;
    const char *instance;   /* NULL = "" */
    enum probe_encrypt encrypt;
    bool tsc;
    const char *hnic;       /* NULL = "" */
    const char *scert;      /* NULL = "" */
    const char *ca;         /* NULL = "" */
    const char *masked;     /* expected t->text; NULL = the text itself */
    const char *secret;     /* must appear nowhere in the struct; NULL = none */
    const char *secret2;
    int tls_min;            /* 0 = not checked */
    int tls_max;
    bool disable;
};

/* ---- ADO.NET / Microsoft.Data.SqlClient >= 4.0 (DbConnectionOptions) ---- */
static const struct ok_case ado_ok[] = {
    /* the seed's string */
    { .text = "Server=db1;Encrypt=True; TrustServerCertificate=False;", .host = "db1",
      .encrypt = M },
    { .text = "Data Source=db1,1444", .host = "db1", .port = 1444, .encrypt = M },
    { .text = "Address=tcp:db1,1433;Encrypt=false", .host = "db1", .port = 1433, .encrypt = O },
    { .text = "Addr=db1\\SQLEXPRESS", .host = "db1", .instance = "SQLEXPRESS", .encrypt = M },
    { .text = "Network Address=db1.contoso.com;Encrypt=strict", .host = "db1.contoso.com",
      .encrypt = S },
    { .text = "server=(local)", .host = "(local)", .encrypt = M },
    { .text = "Server=.;Encrypt=Optional", .host = ".", .encrypt = O },
    { .text = "SERVER=localhost;ENCRYPT=MANDATORY", .host = "localhost", .encrypt = M },
    { .text = "Server=db1;Trust Server Certificate=true", .host = "db1", .encrypt = M,
      .tsc = true },
    { .text = "Server=db1;trustservercertificate=YES", .host = "db1", .encrypt = M, .tsc = true },
    { .text = "Server=db1;TrustServerCertificate= no ;Encrypt=no", .host = "db1", .encrypt = O },
    /* the last duplicate wins; the earlier bad value is never converted */
    { .text = "Server=db1;Encrypt=optional;Encrypt=strict", .host = "db1", .encrypt = S },
    { .text = "Server=db1;Encrypt=bogus;Encrypt=no", .host = "db1", .encrypt = O },
    { .text = "Server=db0;Data Source=db1;Addr=db2", .host = "db2", .encrypt = M },
    /* quoting */
    { .text = "Server='db1;x';Encrypt=\"yes\"", .host = "db1;x", .encrypt = M },
    { .text = "Server=\"db1\"  ;Encrypt='Strict'", .host = "db1", .encrypt = S },
    { .text = "Server=db1;Password='p@ss;''word'", .host = "db1", .encrypt = M,
      .masked = "Server=db1;Password=***", .secret = "p@ss;'word", .secret2 = "p@ss;''word" },
    { .text = "Server=db1;PWD=\"s3cr\"\"et\";User ID=sa", .host = "db1", .encrypt = M,
      .masked = "Server=db1;PWD=***;User ID=sa", .secret = "s3cr\"et" },
    { .text = "pwd=Zq9xWv7;Server=db1;password=Kp4mYt2", .host = "db1", .encrypt = M,
      .masked = "pwd=***;Server=db1;password=***", .secret = "Zq9xWv7", .secret2 = "Kp4mYt2" },
    { .text = "Server=db1;Password=;Encrypt=no", .host = "db1", .encrypt = O },
    { .text = "Server=db1;Password='';Encrypt=no", .host = "db1", .encrypt = O,
      .masked = "Server=db1;Password=***;Encrypt=no" },
    { .text = "Server=db1;pWd='Ab3;''c';Authentication=ActiveDirectoryServicePrincipal",
      .host = "db1", .encrypt = M,
      .masked = "Server=db1;pWd=***;Authentication=ActiveDirectoryServicePrincipal",
      .secret = "Ab3;'c", .secret2 = "Ab3;''c" },
    { .text = "Server=db1;HostNameInCertificate=db1.contoso.com;ServerCertificate=/etc/pin.cer",
      .host = "db1", .encrypt = M, .hnic = "db1.contoso.com", .scert = "/etc/pin.cer" },
    { .text = "Server=db1;Host Name In Certificate=x.y;Server Certificate=c:\\p.cer",
      .host = "db1", .encrypt = M, .hnic = "x.y", .scert = "c:\\p.cer" },
    { .text = "  Server = db1 ; Encrypt = no ;", .host = "db1", .encrypt = O },
    { .text = "Server=tcp:[fe80::1],1433", .host = "fe80::1", .port = 1433, .encrypt = M },
    { .text = "Server=db1\\INST,1500", .host = "db1", .port = 1500, .instance = "INST",
      .encrypt = M },
    { .text = "Server=admin:db1", .host = "db1", .port = 1434, .encrypt = M },
    { .text = "Server=db1;Encrypt=", .host = "db1", .encrypt = M },
    { .text = "Encrypt=false", .host = "localhost", .encrypt = O },
    { .text = "Data Source=db1;Initial Catalog=app;Integrated Security=SSPI;Connect Timeout=30;"
              "Application Name=my app;MultipleActiveResultSets=True;Pooling=false;"
              "Failover Partner=db2;Application Intent=ReadOnly;MultiSubnetFailover=yes;"
              "Authentication=ActiveDirectoryDefault;Column Encryption Setting=Enabled;"
              "Packet Size=8000;Workstation ID=ws1;Persist Security Info=False;"
              "Command Timeout=60", .host = "db1", .encrypt = M },
    { .text = "Server=db1;Database=app;UID=sa;Trusted_Connection=no;Timeout= -5 ;App=x;"
              "Connection Timeout=+7;ConnectTimeout=1;WSID=w;user=u;Max Pool Size=10",
      .host = "db1", .encrypt = M },
};

/* ---- ODBC Driver 17/18 (SQLDriverConnect) ---- */
static const struct ok_case odbc_ok[] = {
    /* the seed's string */
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Encrypt=Yes; "
              "TrustServerCertificate=no;", .driver = "odbc18", .host = "db1", .encrypt = M },
    { .text = "Driver={ODBC Driver 17 for SQL Server};Server=db1", .driver = "odbc17",
      .host = "db1", .encrypt = O },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1", .driver = "odbc18",
      .host = "db1", .encrypt = M },
    { .text = "Driver={ODBC Driver 17 for SQL Server};Server=db1;Encrypt=yes;"
              "TrustServerCertificate=yes", .driver = "odbc17", .host = "db1", .encrypt = M,
      .tsc = true },
    { .text = "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:db1,1433;ENCRYPT=strict",
      .driver = "odbc18", .host = "db1", .port = 1433, .encrypt = S },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Encrypt=optional",
      .driver = "odbc18", .host = "db1", .encrypt = O },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Encrypt=Mandatory",
      .driver = "odbc18", .host = "db1", .encrypt = M },
    /* Address overrides Server, whatever the order */
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Address=db2,1500",
      .driver = "odbc18", .host = "db2", .port = 1500, .encrypt = M },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Addr=db3;Server=db1", .driver = "odbc18",
      .host = "db3", .encrypt = M },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;"
              "HostnameInCertificate=db1.contoso.com;ServerCertificate=/tmp/db1.pem",
      .driver = "odbc18", .host = "db1", .encrypt = M, .hnic = "db1.contoso.com",
      .scert = "/tmp/db1.pem" },
    /* 17 does not know HostnameInCertificate / ServerCertificate: ignored */
    { .text = "Driver={ODBC Driver 17 for SQL Server};Server=db1;HostnameInCertificate=x;"
              "ServerCertificate=/p.pem", .driver = "odbc17", .host = "db1", .encrypt = O },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;PWD={p;w}}d};UID=sa",
      .driver = "odbc18", .host = "db1", .encrypt = M,
      .masked = "Driver={ODBC Driver 18 for SQL Server};Server=db1;PWD=***;UID=sa",
      .secret = "p;w}d", .secret2 = "p;w}}d" },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Password=Hu7nter2;",
      .driver = "odbc18", .host = "db1", .encrypt = M,
      .masked = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Password=***;",
      .secret = "Hu7nter2" },
    /* KeystoreSecret is secret whole; ClientCertificate and ClientKey keep their path
     * ("file:<path>[,password:<password>]", a comma in the password written ",,") */
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;ClientCertificate=file:/c.pem;"
              "ClientKey=file:/k.pem,password:Kp9,,x;KeystoreSecret=Vs4cret",
      .driver = "odbc18", .host = "db1", .encrypt = M,
      .masked = "Driver={ODBC Driver 18 for SQL Server};Server=db1;ClientCertificate=file:/c.pem;"
                "ClientKey=file:/k.pem,password:***;KeystoreSecret=***",
      .secret = "Kp9", .secret2 = "Vs4cret" },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;KeystorePrincipalId=app-1;"
              "clientcertificate={file:/c.pfx,PASSWORD:Pf7;x}}y};keystoresecret={Ks;2}",
      .driver = "odbc18", .host = "db1", .encrypt = M,
      .masked = "Driver={ODBC Driver 18 for SQL Server};Server=db1;KeystorePrincipalId=app-1;"
                "clientcertificate={file:/c.pfx,PASSWORD:***};keystoresecret=***",
      .secret = "Pf7", .secret2 = "Ks;2" },
    /* a password without its label, and a ClientCertificate with none */
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;CLIENTKEY=file:/k.der,Bare5;"
              "ClientCertificate=sha1:0a1b", .driver = "odbc18", .host = "db1", .encrypt = M,
      .masked = "Driver={ODBC Driver 18 for SQL Server};Server=db1;CLIENTKEY=file:/k.der,***;"
                "ClientCertificate=sha1:0a1b", .secret = "Bare5" },
    { .text = "Driver=ODBC Driver 18 for SQL Server;Server=db1", .driver = "odbc18",
      .host = "db1", .encrypt = M },
    { .text = "Driver={FreeTDS};Server=db1", .driver = "odbc18", .host = "db1", .encrypt = M },
    { .text = "Driver={ODBC Driver 13 for SQL Server};Server=db1", .driver = "odbc17",
      .host = "db1", .encrypt = O },
    { .text = "Server={db1};Encrypt=no", .driver = "odbc18", .host = "db1", .encrypt = O },
    /* repeated keywords: the first occurrence counts */
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Encrypt=no;Encrypt=yes",
      .driver = "odbc18", .host = "db1", .encrypt = O },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1\\INST;Database=app;Foo=bar;"
              "Trusted_Connection=yes;MultiSubnetFailover", .driver = "odbc18", .host = "db1",
      .instance = "INST", .encrypt = M },
    { .text = " Driver = {ODBC Driver 18 for SQL Server} ; Server = db1 ; ", .driver = "odbc18",
      .host = "db1", .encrypt = M },
    { .text = "driver={ODBC Driver 17 for SQL Server};server=db1;encrypt=True;"
              "trustservercertificate=false", .driver = "odbc17", .host = "db1", .encrypt = M },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;Encrypt=;", .driver = "odbc18",
      .host = "db1", .encrypt = M },
    { .text = "Driver={ODBC Driver 18 for SQL Server};Server=db1;PWD;Password=", .driver = "odbc18",
      .host = "db1", .encrypt = M },
};

/* ---- JDBC (mssql-jdbc Util.parseUrl) ---- */
static const struct ok_case jdbc_ok[] = {
    /* the seed's string */
    { .text = "jdbc:sqlserver://db1:1433;encrypt=true; trustServerCertificate=false;",
      .host = "db1", .port = 1433, .encrypt = M },
    { .text = "jdbc:sqlserver://db1", .host = "db1", .encrypt = M },
    { .text = "jdbc:sqlserver://db1\\SQLEXPRESS;encrypt=false", .host = "db1",
      .instance = "sqlexpress", .encrypt = O },
    { .text = "jdbc:sqlserver://db1\\INST:1500", .host = "db1", .port = 1500, .instance = "inst",
      .encrypt = M },
    { .text = "jdbc:sqlserver://;serverName=db2;portNumber=1600;instanceName=X", .host = "db2",
      .port = 1600, .instance = "x", .encrypt = M },
    { .text = "jdbc:sqlserver://db1:1433;server=db2;port=1444", .host = "db2", .port = 1444,
      .encrypt = M },
    { .text = "jdbc:sqlserver://db1;encrypt=strict;serverCertificate=/pin.cer", .host = "db1",
      .encrypt = S, .scert = "/pin.cer" },
    /* serverCertificate is kept even where the driver ignores it (not strict) */
    { .text = "jdbc:sqlserver://db1;serverCertificate=/pin.cer", .host = "db1", .encrypt = M,
      .scert = "/pin.cer" },
    { .text = "jdbc:sqlserver://db1;ENCRYPT=Mandatory;TrustServerCertificate=TRUE", .host = "db1",
      .encrypt = M, .tsc = true },
    { .text = "jdbc:sqlserver://db1;encrypt=no", .host = "db1", .encrypt = O },
    { .text = "jdbc:sqlserver://db1;encrypt=Optional", .host = "db1", .encrypt = O },
    { .text = "jdbc:sqlserver://db1;hostNameInCertificate=*.contoso.com;"
              "trustStore=/etc/ssl/ts.jks;trustStorePassword=Ch4ngeIt", .host = "db1",
      .encrypt = M, .hnic = "*.contoso.com", .ca = "/etc/ssl/ts.jks",
      .masked = "jdbc:sqlserver://db1;hostNameInCertificate=*.contoso.com;"
                "trustStore=/etc/ssl/ts.jks;trustStorePassword=***", .secret = "Ch4ngeIt" },
    { .text = "jdbc:sqlserver://db1;user=sa;password={p;a}}ss} ;encrypt=false", .host = "db1",
      .encrypt = O, .masked = "jdbc:sqlserver://db1;user=sa;password=*** ;encrypt=false",
      .secret = "p;a}ss", .secret2 = "p;a}}ss" },
    /* secrets beyond passwords (SQLServerDataSource's sensitive properties); identifiers stay */
    { .text = "jdbc:sqlserver://db1;accessToken={eyJ0;x}}y};msiClientId=mi-42;"
              "keyVaultProviderClientId=kv-id;keyVaultProviderClientKey=Kv8Key", .host = "db1",
      .encrypt = M, .masked = "jdbc:sqlserver://db1;accessToken=***;msiClientId=mi-42;"
                              "keyVaultProviderClientId=kv-id;keyVaultProviderClientKey=***",
      .secret = "eyJ0", .secret2 = "Kv8Key" },
    { .text = "jdbc:sqlserver://db1;clientCertificate=/c.pem;clientKey=/k.pem;"
              "CLIENTKEYPASSWORD=Ck5;AADSecurePrincipalId=app;aadsecureprincipalsecret=As6",
      .host = "db1", .encrypt = M,
      .masked = "jdbc:sqlserver://db1;clientCertificate=/c.pem;clientKey=/k.pem;"
                "CLIENTKEYPASSWORD=***;AADSecurePrincipalId=app;aadsecureprincipalsecret=***",
      .secret = "Ck5", .secret2 = "As6" },
    { .text = "jdbc:sqlserver://db1;keyStoreAuthentication=JavaKeyStorePassword;"
              "keyStoreLocation=/ks.jks;KeyStoreSecret= Js7 ", .host = "db1", .encrypt = M,
      .masked = "jdbc:sqlserver://db1;keyStoreAuthentication=JavaKeyStorePassword;"
                "keyStoreLocation=/ks.jks;KeyStoreSecret= *** ", .secret = "Js7" },
    { .text = "jdbc:sqlserver://db1;sslProtocol=TLSv1.2", .host = "db1", .encrypt = M,
      .tls_min = TLS_V10, .tls_max = TLS_V12 },
    { .text = "jdbc:sqlserver://db1;sslProtocol=TLSv1", .host = "db1", .encrypt = M,
      .tls_min = TLS_V10, .tls_max = TLS_V10 },
    { .text = "jdbc:sqlserver://db1;sslProtocol=tlsv1.1", .host = "db1", .encrypt = M,
      .tls_min = TLS_V10, .tls_max = TLS_V11 },
    { .text = "jdbc:sqlserver://db1;sslProtocol=TLSv1.3", .host = "db1", .encrypt = M,
      .tls_min = TLS_V12, .tls_max = TLS_V13 },
    { .text = "jdbc:sqlserver://db1;sslProtocol=TLS", .host = "db1", .encrypt = M,
      .tls_min = TLS_V10, .tls_max = TLS_V12 },
    { .text = "jdbc:sqlserver://db1;databaseName={my;db};loginTimeout=5;foo=bar", .host = "db1",
      .encrypt = M },
    /* later properties win */
    { .text = "jdbc:sqlserver://db1;encrypt=true;Encrypt=false", .host = "db1", .encrypt = O },
    { .text = "jdbc:sqlserver://[::1]:1433;encrypt=true", .host = "::1", .port = 1433,
      .encrypt = M },
    { .text = "jdbc:sqlserver://db1;portNumber=0", .host = "db1", .encrypt = M },
    { .text = "jdbc:sqlserver://;serverName=db1\\INST", .host = "db1", .instance = "inst",
      .encrypt = M },
    { .text = "jdbc:sqlserver://;serverName=db1\\INST;instanceName=other", .host = "db1",
      .instance = "other", .encrypt = M },
    { .text = "jdbc:sqlserver://db1;;encrypt=false;", .host = "db1", .encrypt = O },
    { .text = "jdbc:sqlserver://db1;integratedSecurity=TRUE;authenticationScheme=NTLM",
      .host = "db1", .encrypt = M },
    { .text = "  jdbc:sqlserver:// db1 ;encrypt = strict ", .host = "db1", .encrypt = S },
};

/* ---- go-mssqldb URL (msdsn): no encrypt key = Off + trust ---- */
static const struct ok_case go_ok[] = {
    { .text = "sqlserver://sa:Secr3tPw@db1:1433/INST?encrypt=true&TrustServerCertificate=false",
      .host = "db1", .port = 1433, .instance = "INST", .encrypt = M,
      .masked = "sqlserver://sa:***@db1:1433/INST?encrypt=true&TrustServerCertificate=false",
      .secret = "Secr3tPw" },
    { .text = "sqlserver://db1", .host = "db1", .encrypt = O, .tsc = true, .tls_min = TLS_V12 },
    { .text = "sqlserver://db1?encrypt=false", .host = "db1", .encrypt = O },
    { .text = "sqlserver://db1?encrypt=disable", .host = "db1", .encrypt = O, .disable = true },
    { .text = "sqlserver://db1?encrypt=DISABLE&trustServerCertificate=true", .host = "db1",
      .encrypt = O, .tsc = true, .disable = true },
    { .text = "sqlserver://db1?encrypt=strict&hostNameInCertificate=db1.contoso.com",
      .host = "db1", .encrypt = S, .hnic = "db1.contoso.com" },
    { .text = "sqlserver://db1?encrypt=yes", .host = "db1", .encrypt = M },
    { .text = "sqlserver://db1?encrypt=Mandatory&trustservercertificate=1", .host = "db1",
      .encrypt = M, .tsc = true },
    { .text = "sqlserver://db1?encrypt=0&TrustServerCertificate=T", .host = "db1", .encrypt = O,
      .tsc = true },
    { .text = "sqlserver://db1?TrustServerCertificate=false", .host = "db1", .encrypt = O },
    { .text = "sqlserver://db1?certificate=%2Fetc%2Fssl%2Fca.pem&encrypt=true", .host = "db1",
      .encrypt = M, .ca = "/etc/ssl/ca.pem" },
    { .text = "sqlserver://db1?serverCertificate=/pin.pem&encrypt=true", .host = "db1",
      .encrypt = M, .scert = "/pin.pem" },
    { .text = "sqlserver://db1?tlsmin=1.0", .host = "db1", .encrypt = O, .tsc = true,
      .tls_min = TLS_V10, .tls_max = TLS_V12 },
    { .text = "sqlserver://db1?tlsmin=1.3", .host = "db1", .encrypt = O, .tsc = true,
      .tls_min = TLS_V13, .tls_max = TLS_V13 },
    { .text = "sqlserver://db1?tlsmin=bogus", .host = "db1", .encrypt = O, .tsc = true,
      .tls_min = TLS_V12, .tls_max = TLS_V12 },
    { .text = "sqlserver://[fe80::1]:1500", .host = "fe80::1", .port = 1500, .encrypt = O,
      .tsc = true },
    { .text = "sqlserver://[::1]", .host = "::1", .encrypt = O, .tsc = true },
    { .text = "sqlserver://db1/SQL%20EXPRESS", .host = "db1", .instance = "SQL EXPRESS",
      .encrypt = O, .tsc = true },
    { .text = "sqlserver://us%40er:p%40ss%3Aw@db1?database=x", .host = "db1", .encrypt = O,
      .tsc = true, .masked = "sqlserver://us%40er:***@db1?database=x", .secret = "p%40ss%3Aw",
      .secret2 = "p@ss:w" },
    { .text = "sqlserver://db1?password=Mx9Qw2&user+id=sa", .host = "db1", .encrypt = O,
      .tsc = true, .masked = "sqlserver://db1?password=***&user+id=sa", .secret = "Mx9Qw2" },
    { .text = "sqlserver://db1?server=db2%5Cinst2&port=1600", .host = "db2", .port = 1600,
      .instance = "inst2", .encrypt = O, .tsc = true },
    { .text = "sqlserver://db1:", .host = "db1", .encrypt = O, .tsc = true },
    { .text = "sqlserver://db1?encrypt=true#frag", .host = "db1", .encrypt = M },
    { .text = "sqlserver://db1?a;b=1&encrypt=true&&x=%zz", .host = "db1", .encrypt = M },
    { .text = "sqlserver://db1:0?encrypt=true", .host = "db1", .encrypt = M },
    /* a segment with ';' is dropped by url.ParseQuery, but its password is still masked,
     * as "***;" so that the masked text drops it too */
    { .text = "sqlserver://db1?password=Gh5;Jk6&encrypt=true", .host = "db1", .encrypt = M,
      .masked = "sqlserver://db1?password=***;&encrypt=true", .secret = "Gh5;Jk6" },
    /* fuzz regression (CI, minimized): "secret=;" is dropped, so "secret" is not given twice;
     * masked as "secret=***" it came back and the masked text failed as a duplicate */
    { .text = "sqlserver://?secret&secret=;", .host = "localhost", .encrypt = O, .tsc = true,
      .masked = "sqlserver://?secret&secret=***;" },
    /* the same, readable: dropped for a ';' and for a bad escape, in two cases of one key */
    { .text = "sqlserver://sa@db1?password=Gh5;Jk6&encrypt=true&PASSWORD=Lm7%zz", .host = "db1",
      .encrypt = M, .masked = "sqlserver://sa@db1?password=***;&encrypt=true&PASSWORD=***;",
      .secret = "Gh5", .secret2 = "Lm7" },
    { .text = "sqlserver://db1?password=Ab1cD&encrypt=true&Password=Ef2;gH", .host = "db1",
      .encrypt = M, .masked = "sqlserver://db1?password=***&encrypt=true&Password=***;",
      .secret = "Ab1cD", .secret2 = "Ef2" },
    /* a key with a bad escape is dropped; its value is masked all the same */
    { .text = "sqlserver://db1?password%zz=Hi9dDen&encrypt=true", .host = "db1", .encrypt = M,
      .masked = "sqlserver://db1?password%zz=***;&encrypt=true", .secret = "Hi9dDen" },
    /* secrets beyond passwords (msdsn, azuread); identifiers and paths stay */
    { .text = "sqlserver://db1?fedauth=ActiveDirectoryAzurePipelines&systemtoken=St9&"
              "serviceconnectionid=sc-1", .host = "db1", .encrypt = O, .tsc = true,
      .masked = "sqlserver://db1?fedauth=ActiveDirectoryAzurePipelines&systemtoken=***&"
                "serviceconnectionid=sc-1", .secret = "St9" },
    { .text = "sqlserver://db1?clientAssertion=eyCa1&applicationclientid=app&UserAssertion=eyUa2",
      .host = "db1", .encrypt = O, .tsc = true,
      .masked = "sqlserver://db1?clientAssertion=***&applicationclientid=app&UserAssertion=***",
      .secret = "eyCa1", .secret2 = "eyUa2" },
    { .text = "sqlserver://sa:0ld9@db1?change+password=N%65w8&clientcertpath=/c.pem",
      .host = "db1", .encrypt = O, .tsc = true,
      .masked = "sqlserver://sa:***@db1?change+password=***&clientcertpath=/c.pem",
      .secret = "0ld9", .secret2 = "New8" },
    /* an '@' after a numeric port belongs to the query: nothing is masked */
    { .text = "sqlserver://db1:1433?user+id=a@b.com&encrypt=true", .host = "db1", .port = 1433,
      .encrypt = M },
    /* an empty key is a key ("=a"); an empty segment is not */
    { .text = "sqlserver://db1?=a&&encrypt=true&", .host = "db1", .encrypt = M },
};

/* ---- ODBC sqlcmd (mssql-tools18) -> odbc18 ---- */
static const struct ok_case sqlcmd_ok[] = {
    /* the seed's command line */
    { .text = "sqlcmd -S db1 -N -U sa -P 'secret'", .host = "db1", .encrypt = M,
      .masked = "sqlcmd -S db1 -N -U sa -P ***", .secret = "secret" },
    { .text = "sqlcmd -S db1", .host = "db1", .encrypt = M },
    { .text = "sqlcmd -S tcp:db1,1433 -No", .host = "db1", .port = 1433, .encrypt = O },
    { .text = "sqlcmd -S db1 -Ns -F db1.contoso.com", .host = "db1", .encrypt = S,
      .hnic = "db1.contoso.com" },
    { .text = "sqlcmd -S db1\\INST -C", .host = "db1", .instance = "INST", .encrypt = M,
      .tsc = true },
    { .text = "sqlcmd -Sdb1 -Nm -PSecret2x", .host = "db1", .encrypt = M,
      .masked = "sqlcmd -Sdb1 -Nm -P***", .secret = "Secret2x" },
    { .text = "/opt/mssql-tools18/bin/sqlcmd -S db1 -d master -Q \"select 1\"", .host = "db1",
      .encrypt = M },
    { .text = "sqlcmd.exe -S db1 -E", .host = "db1", .encrypt = M },
    { .text = "SQLCMD -S db1 -No -C", .host = "db1", .encrypt = O, .tsc = true },
    { .text = "sqlcmd -S db1 -P'a b7' \"-ZQu0t3d\" -U sa", .host = "db1", .encrypt = M,
      .masked = "sqlcmd -S db1 -P*** -Z*** -U sa", .secret = "a b7", .secret2 = "Qu0t3d" },
    { .text = "sqlcmd -S \"db1,1500\" -U sa -P \"p w9\" -l 30", .host = "db1", .port = 1500,
      .encrypt = M, .masked = "sqlcmd -S \"db1,1500\" -U sa -P *** -l 30", .secret = "p w9" },
    { .text = "sqlcmd -S db1 -v a=1 -b", .host = "db1", .encrypt = M },
    { .text = "sqlcmd -S admin:db1", .host = "db1", .port = 1434, .encrypt = M },
    { .text = "sqlcmd -S db1 -C -N -W -h -1 -s ,", .host = "db1", .encrypt = M, .tsc = true },
    { .text = "sqlcmd -S db1 -z N3wPass -P 0ldPass", .host = "db1", .encrypt = M,
      .masked = "sqlcmd -S db1 -z *** -P ***", .secret = "N3wPass", .secret2 = "0ldPass" },
    { .text = "sqlcmd -U sa -P x1y2z3 -S db1 -X1 -k2", .host = "db1", .encrypt = M,
      .masked = "sqlcmd -U sa -P *** -S db1 -X1 -k2", .secret = "x1y2z3" },
    { .text = "C:\\Tools\\sqlcmd.exe -S db1\\SQLEXPRESS -N", .host = "db1",
      .instance = "SQLEXPRESS", .encrypt = M },
    { .text = "sqlcmd -S [::1],1433 -No", .host = "::1", .port = 1433, .encrypt = O },
    { .text = "sqlcmd -S db0 -S db2", .host = "db2", .encrypt = M },
};

static void check_ok(const struct ok_case *k, enum probe_connstr_kind kind, const char *driver)
{
    struct probe_target t;
    char err[512] = "";

    assert_int_equal(kind, probe_connstr_detect(k->text));
    if (probe_connstr_parse(k->text, &t, err, sizeof(err)) != 0) {
        fail_msg("'%s' rejected: %s", k->text, err);
    }
    assert_string_equal(k->driver ? k->driver : driver, t.client.driver);
    assert_string_equal(k->host, t.host);
    assert_int_equal(k->port, t.port);
    assert_string_equal(k->instance ? k->instance : "", t.instance);
    if (k->encrypt != t.client.encrypt) {
        fail_msg("'%s': encrypt %s, want %s", k->text, probe_encrypt_name(t.client.encrypt),
                 probe_encrypt_name(k->encrypt));
    }
    assert_int_equal(k->tsc, t.client.trust_server_certificate);
    assert_string_equal(k->hnic ? k->hnic : "", t.client.host_name_in_certificate);
    assert_string_equal(k->scert ? k->scert : "", t.client.server_certificate);
    assert_string_equal(k->ca ? k->ca : "", t.client.ca_file);
    assert_string_equal(k->masked ? k->masked : k->text, t.text);
    assert_int_equal(k->disable, t.client.encrypt_disable);
    if (k->tls_min) {
        assert_int_equal(k->tls_min, t.client.tls_min);
    }
    if (k->tls_max) {
        assert_int_equal(k->tls_max, t.client.tls_max);
    }
    check_secret(&t, k->secret);
    check_secret(&t, k->secret2);
    check_reparse(&t);
}

static void run_ok(const struct ok_case *k, size_t n, enum probe_connstr_kind kind,
                   const char *driver)
{
    for (size_t i = 0; i < n; i++) {
        print_message("  %s\n", k[i].text);
        check_ok(&k[i], kind, driver);
    }
}

static void test_adonet(void **state)
{
    (void)state;
    assert_true(ARRAY_LEN(ado_ok) >= 15);
    run_ok(ado_ok, ARRAY_LEN(ado_ok), PROBE_CS_ADONET, "sqlclient");
}

static void test_odbc(void **state)
{
    (void)state;
    assert_true(ARRAY_LEN(odbc_ok) >= 15);
    run_ok(odbc_ok, ARRAY_LEN(odbc_ok), PROBE_CS_ODBC, "odbc18");
}

static void test_jdbc(void **state)
{
    (void)state;
    assert_true(ARRAY_LEN(jdbc_ok) >= 15);
    run_ok(jdbc_ok, ARRAY_LEN(jdbc_ok), PROBE_CS_JDBC, "jdbc");
}

static void test_go_url(void **state)
{
    (void)state;
    assert_true(ARRAY_LEN(go_ok) >= 15);
    run_ok(go_ok, ARRAY_LEN(go_ok), PROBE_CS_GO_URL, "go-mssqldb");
}

static void test_sqlcmd(void **state)
{
    (void)state;
    assert_true(ARRAY_LEN(sqlcmd_ok) >= 15);
    run_ok(sqlcmd_ok, ARRAY_LEN(sqlcmd_ok), PROBE_CS_SQLCMD, "odbc18");
}

/* ---- go-sqlcmd (microsoft/go-sqlcmd) -> go-mssqldb ----
 * Recognised by a form only it has: -N with its value apart, -N<value> other than s/m/o, -J,
 * its long options. Without -N it sends no encrypt key: login-only TLS, trusted (go-mssqldb's
 * defaults); any -N value turns TrustServerCertificate off unless -C. */
static const struct ok_case gosqlcmd_ok[] = {
    { .text = "sqlcmd -S db1 -N strict", .host = "db1", .encrypt = S },
    { .text = "sqlcmd -S db1 -N s", .host = "db1", .encrypt = S },
    { .text = "sqlcmd -S db1 -N m", .host = "db1", .encrypt = M },
    { .text = "sqlcmd -S db1 -N o", .host = "db1", .encrypt = O },
    { .text = "sqlcmd -S db1 -N true -C", .host = "db1", .encrypt = M, .tsc = true },
    { .text = "sqlcmd -S db1 -N TRUE", .host = "db1", .encrypt = M },
    { .text = "sqlcmd -S db1 -N yes", .host = "db1", .encrypt = M },
    { .text = "sqlcmd -S db1 -N false", .host = "db1", .encrypt = O },
    { .text = "sqlcmd -S db1 -N 0 -C", .host = "db1", .encrypt = O, .tsc = true },
    { .text = "sqlcmd -S db1 -N disable", .host = "db1", .encrypt = O, .disable = true },
    { .text = "sqlcmd -S db1 -Ntrue", .host = "db1", .encrypt = M },
    { .text = "sqlcmd -S db1 -N=s", .host = "db1", .encrypt = S },
    { .text = "sqlcmd -S db1 --encrypt-connection strict", .host = "db1", .encrypt = S },
    { .text = "sqlcmd -S db1 --encrypt-connection=mandatory -F db1.contoso.com", .host = "db1",
      .encrypt = M, .hnic = "db1.contoso.com" },
    { .text = "sqlcmd -S db1 -N s -J /etc/pin.pem", .host = "db1", .encrypt = S,
      .scert = "/etc/pin.pem" },
    { .text = "sqlcmd -S tcp:db1,1500 --server-certificate /p.der -N mandatory", .host = "db1",
      .port = 1500, .encrypt = M, .scert = "/p.der" },
    { .text = "sqlcmd -S db1 -J/p.pem -N 1", .host = "db1", .encrypt = M, .scert = "/p.pem" },
    { .text = "sqlcmd --server db1 --password Qs3cr3t -N t", .host = "db1", .encrypt = M,
      .masked = "sqlcmd --server db1 --password *** -N t", .secret = "Qs3cr3t" },
    { .text = "sqlcmd -S db1 --password=Pw9xq -N s --trust-server-certificate", .host = "db1",
      .encrypt = S, .tsc = true, .masked = "sqlcmd -S db1 --password=*** -N s "
      "--trust-server-certificate", .secret = "Pw9xq" },
    { .text = "sqlcmd -S db1 -N o -C -U sa -PZq7v", .host = "db1", .encrypt = O, .tsc = true,
      .masked = "sqlcmd -S db1 -N o -C -U sa -P***", .secret = "Zq7v" },
};

static void test_gosqlcmd(void **state)
{
    (void)state;
    run_ok(gosqlcmd_ok, ARRAY_LEN(gosqlcmd_ok), PROBE_CS_SQLCMD, "go-mssqldb");
    /* the seed's form reads as ODBC sqlcmd 18, as before: mandatory, validated unless -C */
    struct probe_target t;
    char err[200];
    assert_int_equal(0, probe_connstr_parse("sqlcmd -S host -N -C", &t, err, sizeof(err)));
    assert_string_equal("odbc18", t.client.driver);
    assert_int_equal(PROBE_ENCRYPT_MANDATORY, t.client.encrypt);
    assert_true(t.client.trust_server_certificate);
    /* go-sqlcmd without -N: no encrypt key, so go-mssqldb's login-only TLS, trusted */
    assert_int_equal(0, probe_connstr_parse("sqlcmd -S db1 --user-name sa", &t, err,
                                            sizeof(err)));
    assert_string_equal("go-mssqldb", t.client.driver);
    assert_int_equal(PROBE_ENCRYPT_OPTIONAL, t.client.encrypt);
    assert_true(t.client.trust_server_certificate);
}

/* ---- rejections, with the exact text ---- */

struct bad_case {
    const char *text;
    const char *err;
    const char *secret; /* must be in neither the target nor the error */
};

static const struct bad_case bad[] = {
    /* ADO.NET: SqlClient's own words (Strings.resx) */
    { "Server=db1;xyz=1", "Keyword not supported: 'xyz'.", NULL },
    { "Server=db1;Trust ServerCertificate=true",
      "Keyword not supported: 'trust servercertificate'.", NULL },
    { "Server=db1;Driverx=1;Encrypt=maybe", "Keyword not supported: 'driverx'.", NULL },
    { "Server=db1;a==b=1", "Keyword not supported: 'a=b'.", NULL },
    { "Server=db1;TrustServerCertificate=maybe",
      "Invalid value for key 'Trust Server Certificate'.", NULL },
    { "Server=db1;Trust Server Certificate=1",
      "Invalid value for key 'Trust Server Certificate'.", NULL },
    { "Server=db1;Encrypt=on", "Invalid value for key 'Encrypt'.", NULL },
    { "Server=db1;Encrypt=yes;Encrypt=1", "Invalid value for key 'Encrypt'.", NULL },
    { "Server=db1;Pooling=1", "Invalid value for key 'Pooling'.", NULL },
    { "Server=db1;MultipleActiveResultSets=enabled",
      "Invalid value for key 'Multiple Active Result Sets'.", NULL },
    { "Server=db1;Integrated Security=kerberos",
      "Invalid value for key 'Integrated Security'.", NULL },
    { "Server=db1;Connect Timeout=abc", "Invalid value for key 'Connect Timeout'.", NULL },
    { "Server=db1;Timeout=99999999999", "Invalid value for key 'Connect Timeout'.", NULL },
    { "Server=db1;Encrypt",
      "Format of the initialization string does not conform to specification starting at "
      "index 11.", NULL },
    { "Server='db1",
      "Format of the initialization string does not conform to specification starting at "
      "index 0.", NULL },
    { "Server=db1';",
      "Format of the initialization string does not conform to specification starting at "
      "index 0.", NULL },
    { "Encrypt=no;Server='db1' x;",
      "Format of the initialization string does not conform to specification starting at "
      "index 11.", NULL },
    { "Server=db1;Password=Ab9Cd\x01",
      "Format of the initialization string does not conform to specification starting at "
      "index 25.", "Ab9Cd" },
    { "=db1",
      "Format of the initialization string does not conform to specification starting at "
      "index 0.", NULL },
    { "Server=np:db1", "Data Source: 'np:' is not a TCP address; tdsprobe probes TCP only "
      "(write tcp:host[,port])", NULL },
    { "Server=db1,99999", "Data Source: '99999' is not a TCP port (1-65535)", NULL },
    { "Server=db1,", "Data Source: '' is not a TCP port (1-65535)", NULL },
    /* ODBC */
    { "Driver={ODBC Driver 17 for SQL Server};Server=db1;Encrypt=strict",
      "[Microsoft][ODBC Driver 17 for SQL Server]Invalid value specified for connection string "
      "attribute 'Encrypt'", NULL },
    { "Driver={ODBC Driver 17 for SQL Server};Server=db1;Encrypt=Mandatory",
      "[Microsoft][ODBC Driver 17 for SQL Server]Invalid value specified for connection string "
      "attribute 'Encrypt'", NULL },
    { "Driver={ODBC Driver 18 for SQL Server};Server=db1;TrustServerCertificate=maybe",
      "[Microsoft][ODBC Driver 18 for SQL Server]Invalid value specified for connection string "
      "attribute 'TrustServerCertificate'", NULL },
    { "Driver={x};Server=db1;Encrypt=maybe",
      "[Microsoft][ODBC Driver 18 for SQL Server]Invalid value specified for connection string "
      "attribute 'Encrypt'", NULL },
    { "Driver={ODBC Driver 18 for SQL Server;Server=db1",
      "Driver: the value opens '{' but never closes it", NULL },
    { "Driver={ODBC Driver 18 for SQL Server}x;Server=db1",
      "Driver: unexpected 'x' after the closing '}'", NULL },
    { "Driver={ODBC Driver 18 for SQL Server};PWD={Zx8Yw7", "PWD: the value opens '{' but "
      "never closes it", "Zx8Yw7" },
    { "Driver={ODBC Driver 18 for SQL Server};DSN=prod",
      "DSN: tdsprobe cannot read the data source's odbc.ini entry; add Server=host[,port] to "
      "the string", NULL },
    { "Driver={ODBC Driver 18 for SQL Server};=x",
      "a keyword is missing before '=' at index 39", NULL },
    { "Driver={ODBC Driver 18 for SQL Server};Server=lpc:db1",
      "Server: 'lpc:' is not a TCP address; tdsprobe probes TCP only (write tcp:host[,port])",
      NULL },
    /* JDBC: SQLServerResource texts */
    { "jdbc:sqlserver://db1;encrypt=yes", "The EncryptOption value \"yes\" is not valid.", NULL },
    { "jdbc:sqlserver://db1;encrypt=", "The EncryptOption value \"\" is not valid.", NULL },
    { "jdbc:sqlserver://db1;trustServerCertificate=yes",
      "The property trustServerCertificate does not contain a valid boolean value. Only true or "
      "false can be used.", NULL },
    { "jdbc:sqlserver://db1;integratedsecurity=1",
      "The property integratedSecurity does not contain a valid boolean value. Only true or "
      "false can be used.", NULL },
    { "jdbc:sqlserver://db1;sslProtocol=SSLv3",
      "SSL Protocol SSLv3 label is not valid. Only TLS, TLSv1, TLSv1.1, and TLSv1.2 are "
      "supported.", NULL },
    { "jdbc:sqlserver://db1:abc", "The port number abc is not valid.", NULL },
    { "jdbc:sqlserver://db1:1433\\inst", "The port number 1433\\inst is not valid.", NULL },
    { "jdbc:sqlserver://db1;portNumber=70000", "The port number 70000 is not valid.", NULL },
    { "jdbc:sqlserver://db1;encrypt",
      "The connection string contains a badly formed name or value.", NULL },
    { "jdbc:sqlserver://db1;encrypt;x=1",
      "The connection string contains a badly formed name or value.", NULL },
    { "jdbc:sqlserver://db1;=true",
      "The connection string contains a badly formed name or value.", NULL },
    { "jdbc:sqlserver://db1;password={Qr5Ts6", "The connection string contains a badly formed "
      "name or value.", "Qr5Ts6" },
    { "jdbc:sqlserver://db1;password={Qr5Ts6}x", "The connection string contains a badly formed "
      "name or value.", "Qr5Ts6" },
    { "jdbc:sqlserver://db1;password=ab{Qr5Ts6}", "The connection string contains a badly "
      "formed name or value.", "Qr5Ts6" },
    { "JDBC:sqlserver://db1", "No suitable driver: the URL must start with "
      "\"jdbc:sqlserver://\" in lower case", NULL },
    /* go-mssqldb: msdsn's words */
    { "sqlserver://db1?TrustServerCertificate=yes",
      "invalid trust server certificate 'yes': strconv.ParseBool: parsing \"yes\": invalid "
      "syntax", NULL },
    { "sqlserver://db1?TrustServerCertificate=tRUE",
      "invalid trust server certificate 'tRUE': strconv.ParseBool: parsing \"tRUE\": invalid "
      "syntax", NULL },
    { "sqlserver://db1?encrypt=on", "invalid encrypt 'on'", NULL },
    { "sqlserver://db1?encrypt", "invalid encrypt ''", NULL },
    { "sqlserver://db1?encrypt=true&Encrypt=false", "key Encrypt provided more than once", NULL },
    { "sqlserver://db1?encrypt=true&encrypt=true", "key encrypt provided more than once", NULL },
    { "sqlserver://db1?password=Ab1cD&Password=Ef2gH", "key Password provided more than once",
      "Ab1cD" },
    { "sqlserver://db1?=a&=b", "key  provided more than once", NULL },
    /* a dropped pair does not count, but a kept one after it does */
    { "sqlserver://db1?encrypt=a;b&encrypt=true&ENCRYPT=no",
      "key ENCRYPT provided more than once", NULL },
    { "sqlserver://sa:Hu7nter2@db1:abc?password=Pq1Rs2",
      "parse \"sqlserver://sa:***@db1:abc?password=***\": invalid port \":abc\" after host",
      "Hu7nter2" },
    /* a password with an unescaped '/', '?' or '#' ends the authority early and url.Parse
     * fails on its "port": the error masks it from the ':' to the last '@' */
    { "sqlserver://sa:Pa5/ss9@db1?encrypt=true",
      "parse \"sqlserver://sa:***@db1?encrypt=true\": invalid port \":***\" after host", "Pa5" },
    { "sqlserver://sa:Pa5?ss9@db1", "parse \"sqlserver://sa:***@db1\": invalid port \":***\" "
      "after host", "ss9" },
    { "sqlserver://sa:Pa5#x@y@db1", "parse \"sqlserver://sa:***@db1\": invalid port \":***\" "
      "after host", "Pa5" },
    { "sqlserver://db1?port=99999",
      "invalid tcp port '99999': strconv.ParseUint: parsing \"99999\": value out of range", NULL },
    { "sqlserver://db1?port=x1",
      "invalid tcp port 'x1': strconv.ParseUint: parsing \"x1\": invalid syntax", NULL },
    { "sqlserver://db1?serverCertificate=/a&certificate=/b",
      "serverCertificate cannot be combined with certificate", NULL },
    { "sqlserver://db1?serverCertificate=/a&hostNameInCertificate=x",
      "serverCertificate cannot be combined with hostnameincertificate", NULL },
    { "SQLSERVER://db1", "go-mssqldb reads a URL only when it starts with \"sqlserver://\" in "
      "lower case; otherwise it splits the text as key=value pairs", NULL },
    { "sqlserver://[::1:1433", "parse \"sqlserver://[::1:1433\": missing ']' in host", NULL },
    { "sqlserver://db1\x01", "parse \"sqlserver://db1\x01\": net/url: invalid control character "
      "in URL", NULL },
    /* sqlcmd */
    { "sqlcmd -S db1 -T", "Sqlcmd: '-T': Unknown Option. Enter '-?' for help.", NULL },
    { "sqlcmd -S db1 --encrypt",
      "Sqlcmd: '--encrypt': Unknown Option. Enter '-?' for help.", NULL },
    { "sqlcmd -S db1 -", "Sqlcmd: '-': Unknown Option. Enter '-?' for help.", NULL },
    { "sqlcmd -S", "Sqlcmd: '-S': Missing argument. Enter '-?' for help.", NULL },
    { "sqlcmd -S db1 -Nx", "Sqlcmd: '-Nx': Unknown Option. Enter '-?' for help.", NULL },
    { "sqlcmd -S db1 -Cx", "Sqlcmd: '-Cx': Unknown Option. Enter '-?' for help.", NULL },
    { "sqlcmd -S db1 extra", "Sqlcmd: 'extra': Unexpected argument. Enter '-?' for help.", NULL },
    /* ODBC sqlcmd (its path says so) takes -N's value attached only */
    { "/opt/mssql-tools18/bin/sqlcmd -S db1 -N true",
      "Sqlcmd: 'true': Unexpected argument. Enter '-?' for help.", NULL },
    /* go-sqlcmd: normalizeFlags, Validate and cobra's flag groups, in go-sqlcmd's words */
    { "sqlcmd -S db1 -N bogus", "Sqlcmd: '-N bogus': Unexpected argument. Argument value has "
      "to be one of [m[andatory] yes 1 t[rue] disable o[ptional] no 0 f[alse] s[trict]].", NULL },
    { "sqlcmd -S db1 --encrypt-connection=maybe", "Sqlcmd: '-N maybe': Unexpected argument. "
      "Argument value has to be one of [m[andatory] yes 1 t[rue] disable o[ptional] no 0 "
      "f[alse] s[trict]].", NULL },
    { "sqlcmd -S db1 -J /etc/pin.pem", "Sqlcmd: The -J parameter requires encryption to be "
      "enabled (-N true, -N mandatory, or -N strict).", NULL },
    { "sqlcmd -S db1 -N optional -J /etc/pin.pem", "Sqlcmd: The -J parameter requires "
      "encryption to be enabled (-N true, -N mandatory, or -N strict).", NULL },
    { "sqlcmd -S db1 -N s -F db1.contoso.com -J /etc/pin.pem", "Error: if any flags in the "
      "group [host-name-in-certificate server-certificate] are set none of the others can be; "
      "[host-name-in-certificate server-certificate] were all set", NULL },
    { "sqlcmd -S db1 -N s --encrypt-connection", "flag needs an argument: --encrypt-connection",
      NULL },
    { "sqlcmd -S db1 -N s -J", "Sqlcmd: '-J': Missing argument. Enter '-?' for help.", NULL },
    { "sqlcmd -S db1 --password Wq8Zx -N bogus", "Sqlcmd: '-N bogus': Unexpected argument. "
      "Argument value has to be one of [m[andatory] yes 1 t[rue] disable o[ptional] no 0 "
      "f[alse] s[trict]].", "Wq8Zx" },
    { "sqlcmd -S db1 -P 'Wv3Xy4", "sqlcmd: unmatched ' at index 17", "Wv3Xy4" },
    { "sqlcmd -D -S prod", "Sqlcmd: '-D': -S then names an odbc.ini DSN, which tdsprobe cannot "
      "read; give -S host[,port]", NULL },
    { "sqlcmd -S np:db1", "-S: 'np:' is not a TCP address; tdsprobe probes TCP only "
      "(write tcp:host[,port])", NULL },
    { "odbc:server=db1;encrypt=true", "odbc: go-mssqldb's ODBC form is not supported yet; "
      "give the same settings as a sqlserver:// URL", NULL },
    /* not a connection string at all */
    { "db1,1433",
      "'db1,1433' is not a connection string (no key=value, URL or sqlcmd form)", NULL },
};

static void test_rejections(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct probe_target t;
        char err[512];

        print_message("  %s\n", bad[i].text);
        memset(&t, 0xA5, sizeof(t));
        assert_int_equal(-1, probe_connstr_parse(bad[i].text, &t, err, sizeof(err)));
        assert_string_equal(bad[i].err, err);
        assert_string_equal("", t.text);
        check_secret(&t, bad[i].secret);
        if (bad[i].secret) {
            assert_null(strstr(err, bad[i].secret));
        }
    }
}

static void test_too_long(void **state)
{
    char text[1100], err[200];
    struct probe_target t;

    (void)state;
    memset(text, 'x', sizeof(text) - 1);
    memcpy(text, "Server=", 7);
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(-1, probe_connstr_parse(text, &t, err, sizeof(err)));
    assert_string_equal("the connection string is longer than 1023 characters", err);
    /* a value longer than its field names the keyword */
    memset(text, 'h', 600);
    memcpy(text, "Server=", 7);
    text[600] = '\0';
    assert_int_equal(-1, probe_connstr_parse(text, &t, err, sizeof(err)));
    assert_string_equal("Data Source: the value is longer than 255 characters", err);
    /* a small error buffer is still terminated, and errlen 0 is allowed */
    assert_int_equal(-1, probe_connstr_parse("Server=db1;xyz=1", &t, err, 8));
    assert_string_equal("Keyword", err);
    assert_int_equal(-1, probe_connstr_parse("Server=db1;xyz=1", &t, NULL, 0));
}

/* Passwords that go-mssqldb drops are masked too, so one too many fails the parse rather
 * than leaving the 33rd in t->text. */
static void test_go_mask_limit(void **state)
{
    char text[400] = "sqlserver://db1?";
    struct probe_target t;
    char err[200];
    size_t n = strlen(text);

    (void)state;
    for (int i = 0; i < 32; i++) {
        memcpy(text + n, "pwd=x;&", 7);
        n += 7;
    }
    memcpy(text + n, "pwd=Qz8Leak;", 13);
    assert_int_equal(-1, probe_connstr_parse(text, &t, err, sizeof(err)));
    assert_string_equal("more than 32 secret values", err);
    check_secret(&t, "Qz8Leak");
    text[n] = '\0'; /* 32 are fine, and all stay dropped */
    assert_int_equal(0, probe_connstr_parse(text, &t, err, sizeof(err)));
    assert_null(strstr(t.text, "pwd=x"));
    check_reparse(&t);
}

/* ---- detection by shape ---- */

static void test_detect(void **state)
{
    static const struct {
        const char *text;
        enum probe_connstr_kind kind;
    } d[] = {
        { "db1", PROBE_CS_NONE }, { "db1,1433", PROBE_CS_NONE }, { "db1:1433", PROBE_CS_NONE },
        { "[::1]:1433", PROBE_CS_NONE }, { "db1\\inst", PROBE_CS_NONE },
        { "tcp:db1,1433", PROBE_CS_NONE }, { "::1", PROBE_CS_NONE }, { "", PROBE_CS_NONE },
        { "  db1.contoso.com  ", PROBE_CS_NONE }, { "sqlcmdhost", PROBE_CS_NONE },
        { "Server=db1", PROBE_CS_ADONET }, { "a=b", PROBE_CS_ADONET },
        { "Server=db1;Password='{x}'", PROBE_CS_ADONET },
        { "Driver={x};Server=db1", PROBE_CS_ODBC }, { "Server={db1}", PROBE_CS_ODBC },
        { "server=db1; driver = x", PROBE_CS_ODBC }, { "Server=db1;PWD= {p}", PROBE_CS_ODBC },
        { "jdbc:sqlserver://db1", PROBE_CS_JDBC }, { "JDBC:SQLSERVER://x", PROBE_CS_JDBC },
        { "  jdbc:sqlserver://db1;encrypt=true", PROBE_CS_JDBC },
        { "sqlserver://db1", PROBE_CS_GO_URL }, { "SQLServer://db1?encrypt=true",
                                                    PROBE_CS_GO_URL },
        { "sqlcmd -S x", PROBE_CS_SQLCMD }, { "/usr/bin/sqlcmd -S x", PROBE_CS_SQLCMD },
        { "sqlcmd.exe -S x", PROBE_CS_SQLCMD }, { "sqlcmd", PROBE_CS_SQLCMD },
        { "sqlcmd -S db1 -v a=b", PROBE_CS_SQLCMD },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(d); i++) {
        if (probe_connstr_detect(d[i].text) != d[i].kind) {
            fail_msg("detect('%s') = %s, want %s", d[i].text,
                     probe_connstr_kind_name(probe_connstr_detect(d[i].text)),
                     probe_connstr_kind_name(d[i].kind));
        }
    }
    assert_string_equal("ado.net", probe_connstr_kind_name(PROBE_CS_ADONET));
    assert_string_equal("sqlcmd", probe_connstr_kind_name(PROBE_CS_SQLCMD));
}

/* Every plain target the CLI takes is NONE, and probe_target_parse still owns it. */
static void test_plain_targets_left_to_target_parser(void **state)
{
    static const char *const plain[] = { "db1", "db1,1433", "db1:1433", "[::1]:1433",
                                         "db1\\inst", "tcp:db1,1433" };
    struct probe_target t;
    char err[200];

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
        assert_int_equal(PROBE_CS_NONE, probe_connstr_detect(plain[i]));
        assert_int_equal(0, probe_target_parse(plain[i], &t, err, sizeof(err)));
    }
}

/* Every prefix of every accepted string parses or fails cleanly (ASan catches over-reads,
 * since each prefix is copied into an exactly sized heap block). */
static void prefixes(const struct ok_case *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(k[i].text);

        for (size_t p = 0; p <= len; p++) {
            char *copy = malloc(p + 1);
            struct probe_target t;
            char err[256];

            assert_non_null(copy);
            memcpy(copy, k[i].text, p);
            copy[p] = '\0';
            if (probe_connstr_parse(copy, &t, err, sizeof(err)) == 0) {
                check_secret(&t, k[i].secret);
                check_secret(&t, k[i].secret2);
            } else {
                assert_true(err[0] != '\0');
            }
            free(copy);
        }
    }
}

static void test_prefixes(void **state)
{
    (void)state;
    prefixes(ado_ok, ARRAY_LEN(ado_ok));
    prefixes(odbc_ok, ARRAY_LEN(odbc_ok));
    prefixes(jdbc_ok, ARRAY_LEN(jdbc_ok));
    prefixes(go_ok, ARRAY_LEN(go_ok));
    prefixes(sqlcmd_ok, ARRAY_LEN(sqlcmd_ok));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adonet),
        cmocka_unit_test(test_odbc),
        cmocka_unit_test(test_jdbc),
        cmocka_unit_test(test_go_url),
        cmocka_unit_test(test_sqlcmd),
        cmocka_unit_test(test_gosqlcmd),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_go_mask_limit),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_plain_targets_left_to_target_parser),
        cmocka_unit_test(test_prefixes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
