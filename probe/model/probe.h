/* probe/model/probe.h: the data every layer shares: a target and its client profile in, the
 * facts the engine gathers, one result per target out. Nothing here prints or exits. */
#ifndef PROBE_PROBE_H
#define PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/model/probe_diag.h"

struct probe_audit;
#include "tds/tds_prelogin.h"
#include "tls/tls_config.h"
#include "tls/tls_info.h"
#include "tls/tls_policy.h"
#include "tls/tls_version.h"

enum probe_encrypt { PROBE_ENCRYPT_OPTIONAL, PROBE_ENCRYPT_MANDATORY, PROBE_ENCRYPT_STRICT };
const char *probe_encrypt_name(enum probe_encrypt e); /* "optional","mandatory","strict" */

/* The client's operating system, which picks its driver's TLS stack (probe/drivers/
 * probe_platform.h). HOST, the zero value, is the OS tdsprobe runs on. WINDOWS is Windows 10 /
 * Server 2019, WINDOWS11 Windows 11 24H2+ / Server 2025 (--client-os windows11). */
enum probe_os {
    PROBE_OS_HOST, PROBE_OS_WINDOWS, PROBE_OS_LINUX, PROBE_OS_MACOS, PROBE_OS_WINDOWS11,
    PROBE_OS_COUNT
};

/* What the emulated client is and does: its driver (a row of probe/drivers/probe_driver.h) and
 * the connection-string keywords that change what the driver does by default. */
struct probe_client {
    char driver[24];                  /* "sqlclient" */
    enum probe_encrypt encrypt;
    bool trust_server_certificate;
    char host_name_in_certificate[256]; /* "" = none */
    char ca_file[1024];               /* "" = the system trust store */
    char server_certificate[1024];    /* pin file, "" = none */
    int tls_min;                      /* TLS_V10.. */
    int tls_max;
    enum tls_handshake_mode handshake;
    bool encrypt_disable; /* go-mssqldb encrypt=disable, tedious encrypt=false: sends NOT_SUP */
    double audit_timeout_s; /* --audit-timeout: the TLS policy audit's whole time (0: the
                               engine's default, 3 x its timeout) */
    /* How far the engine probes this target, when a front end sets it per target (tdsprobe
     * serve: a module's keys and the scrape's own timeout) rather than for the whole run. */
    double timeout_s;     /* the target's deadline (0: the engine's timeout_s) */
    bool audit_protocols; /* the TLS policy audit, as the engine's own flags of that name */
    bool audit_ciphers;
    enum probe_os os;       /* --client-os */
    unsigned tls_named;     /* PROBE_TLS_NAMED_*: tls_min / tls_max set by an option or a
                               connection string; a bound not named is the TLS stack's
                               (probe_client_tls_range, probe/drivers/probe_platform.h) */
};
#define PROBE_TLS_NAMED_MIN 1u
#define PROBE_TLS_NAMED_MAX 2u

/* One target as the user wrote it, resolved into parts. */
struct probe_target {
    char text[1024];     /* as given (a connection string with the password removed) */
    char host[256];
    uint16_t port;       /* 0 = not given (1433 unless an instance is resolved) */
    char instance[33];   /* "" = default instance */
    struct probe_client client; /* the profile for this target */
    void *user;          /* the front end's own tag, handed back in result->target->user */
};

enum probe_status { PROBE_STATUS_OK, PROBE_STATUS_FAIL, PROBE_STATUS_ERROR };
const char *probe_status_name(enum probe_status s); /* "ok","fail","error" */

/* tdsprobe's version, "0.1.0": the project version in CMakeLists.txt (one home; the build
 * passes it in). */
const char *probe_version(void);

/* The phase a probe is in; a timeout names it. */
#define PROBE_PHASES(X)            \
    X(RESOLVE, "resolve")          \
    X(BROWSER, "browser")          \
    X(CONNECT, "connect")          \
    X(PRELOGIN, "prelogin")        \
    X(HANDSHAKE, "handshake")      \
    X(DONE, "done")
enum probe_phase {
#define PROBE_X_(name, str) PROBE_PHASE_##name,
    PROBE_PHASES(PROBE_X_)
#undef PROBE_X_
        PROBE_PHASE_COUNT
};
const char *probe_phase_name(enum probe_phase p);

/* Every finding of one result: the TLS policy's (TLS_MAX_FINDINGS), the diagnosis's own and
 * the TLS policy audit's (probe/diagnose/probe_findings.c checks the sum). */
#define PROBE_MAX_FINDINGS 48

struct probe_finding {
    char code[32];       /* probe/diagnose/probe_finding_codes.h, or the diagnosis code */
    enum tls_severity severity;
    int cert;            /* chain index or -1 */
    char message[400];
};

/* A network error as the engine saw it (resolve, connect, read), classified so that diagnosis
 * needs no socket library. The engine fills it (probe_net_error_from_uv, engine/probe_neterr.h). */
enum probe_net_kind {
    PROBE_NET_NONE,     /* no error */
    PROBE_NET_DNS,      /* the name did not resolve (getaddrinfo's EAI_* family) */
    PROBE_NET_REFUSED,  /* TCP RST to the SYN: nothing listens */
    PROBE_NET_RESET,    /* an established connection was reset */
    PROBE_NET_CLOSED,   /* end of stream, broken pipe, connection aborted */
    PROBE_NET_TIMEDOUT, /* the operating system's own timeout */
    /* the probe's own machine, not the target (diagnosis local_limit / no_route): */
    PROBE_NET_LOCAL_FDS,     /* out of file descriptors (EMFILE per process, ENFILE system) */
    PROBE_NET_LOCAL_MEMORY,  /* no socket buffer or memory (ENOBUFS, ENOMEM) */
    PROBE_NET_LOCAL_ADDRESS, /* no local address or port to connect from (EADDRNOTAVAIL) */
    PROBE_NET_NO_ROUTE,      /* no route from this machine (ENETUNREACH, EHOSTUNREACH) */
    PROBE_NET_OTHER,
};

struct probe_net_error {
    enum probe_net_kind kind;
    int code;           /* the event library's code (negative), 0 if none */
    const char *name;   /* "ECONNREFUSED"; static storage, NULL when kind is NONE */
    const char *text;   /* "connection refused"; static storage, NULL when kind is NONE */
};

/* What the engine learns while a probe is in flight: small, because thousands are in flight at
 * once. The verdict (diagnosis, findings, policy) is built around it only when the probe ends,
 * in one scratch probe_result per engine that embeds these facts. */
struct probe_facts {
    char address[64];         /* the address connected to, "" if none */
    uint16_t port;            /* the TCP port connected to (after SQL Browser), 0 = unknown:
                                 the report then falls back to target->port, else 1433 */
    bool tds8;                /* "mode": "tds8" when strict */
    uint16_t browser_port;    /* UDP port the SQL Server Browser was asked on, 0 = not asked */

    /* what the client does, derived from the profile and the server's answer */
    uint8_t sent_encryption;  /* PRELOGIN ENCRYPTION byte sent */
    bool validates;           /* the client validates the certificate in this situation */
    enum tds_tls_scope scope; /* none / login_only / full / terminate */

    enum probe_phase phase;   /* phase reached (where it stopped) */
    struct probe_net_error net; /* from resolve/connect/read; kind NONE if none */
    bool timed_out;
    bool got_prelogin;
    struct tds_prelogin prelogin; /* views are NOT valid after the callback */
    char server_version[32];  /* "16.0.1000" */
    char server_product[64];
    struct tds_error tds_err; /* when the reply was not a valid PRELOGIN */
    bool not_tds;             /* the first reply bytes were not TDS at all */
    const struct tls_info *tls; /* NULL if no handshake ran; valid only during the callback */
    bool server_closed_after_prelogin; /* closed/reset before any TLS */
    bool server_reset;        /* the close was a TCP reset (Schannel style), not a FIN */
    size_t prelogin_have;     /* bytes of a PRELOGIN reply that never completed (0 = none) */
    size_t prelogin_want;     /* the length its TDS header announced (0 = no whole header) */
    unsigned noise_packets;   /* handshake packets that carried nothing the handshake needs: */
    unsigned noise_alerts;    /* empty ones, and TLS warning alerts (counted here) */
    uint8_t noise_alert;      /* the last warning alert's description (RFC 5246 7.2) */
    bool noise_stopped;       /* the probe stopped reading them (PROBE_NOISE_MAX) */
    bool strict_refused;      /* strict: the server answered the ClientHello with a PRELOGIN
                                 reply, garbage, or a close (it does not speak TDS 8.0) */
    bool tls13_refused;       /* strict: the TLS 1.3 ClientHello got a fatal alert and no
                                 ServerHello (the facts above are the TLS 1.2 retry's) */
    uint8_t tls13_refused_alert; /* its description (RFC 8446 6.2) */

    /* Follow-up handshake, run after the server rejected the client's handshake, to rank the
     * causes: the same client but offering TLS 1.0-1.2 and every suite mbedTLS has. */
    bool followup_ran;
    bool followup_ok;         /* the server completed that handshake */
    int followup_version;     /* TLS_V1x it chose */
    char followup_cipher[64]; /* IANA name it chose */

    /* timings in milliseconds; negative when the phase did not run */
    double t_resolve, t_browser, t_connect, t_prelogin, t_handshake, t_total;

    /* --protocols / --ciphers: per-version and per-suite results (probe/model/probe_audit.h),
     * NULL when no audit ran; valid only during the callback. */
    const struct probe_audit *audit;
};

/* One target's outcome: the engine's facts and the verdict built on them (probe_diagnose). */
struct probe_result {
    const struct probe_target *target;
    struct probe_facts facts;

    struct tls_verdict verdict; /* policy findings over facts.tls->chain */
    enum probe_status status;
    enum probe_diag diag;
    char message[512];        /* the client's own words */
    char cause[1024];         /* why, with the concrete values */
    char fix[4096];           /* what to do next */
    size_t n_findings;
    struct probe_finding findings[PROBE_MAX_FINDINGS];
    char other_platforms[512]; /* how the verdict differs on another client OS, "" = it does
                                  not (or is not known to) */
};

/* Empties r for the next target: every field zero, each text "" and no findings, without
 * clearing the 37 KiB of text and finding slots (a fleet's engine reuses one result per
 * probe, and clearing it whole was 2 % of a certificate-mode probe's instructions). */
void probe_result_reset(struct probe_result *r);

/* Handshake packets in a row that move nothing (empty 0x12 packets, TLS warning alerts) after
 * which the probe stops instead of spinning until the timeout. A real server sends none. */
#define PROBE_NOISE_MAX 64u

/* SQL Server's default TCP port: a default instance listens there unless configured otherwise. */
#define PROBE_DEFAULT_PORT 1433u

/* The port to connect to for t when no SQL Server Browser answer says otherwise: the one asked
 * for, else PROBE_DEFAULT_PORT. */
uint16_t probe_target_port(const struct probe_target *t);
/* The same rule for a port kept apart from its probe_target (the engine's jobs). */
uint16_t probe_port_or_default(uint16_t asked);

/* The port a report shows: the one connected to, else the one asked for, else 1433 (0 for a
 * named instance whose SQL Server Browser lookup did not happen). */
uint16_t probe_result_port(const struct probe_result *r);

#endif
