/* probe/engine/probe_truststore.c: the system trust store, found the way OpenSSL-based clients on each
 * OS find theirs (the seed's per-OS trust-store steps put certificates where these files are
 * rebuilt from). */
#include "probe/engine/probe_truststore.h"

#include <stdlib.h>
#include <sys/stat.h>

static const char *const bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Alpine, Gentoo */
    "/etc/pki/tls/certs/ca-bundle.crt",                  /* RHEL, Fedora, CentOS */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ extracted */
    "/etc/ssl/ca-bundle.pem",                            /* SUSE */
    "/var/lib/ca-certificates/ca-bundle.pem",            /* SUSE (newer) */
    "/etc/ssl/cert.pem",                                 /* macOS, Alpine, BSD */
    "/usr/local/etc/openssl/cert.pem",                   /* macOS Homebrew OpenSSL */
    "/opt/homebrew/etc/openssl@3/cert.pem",              /* macOS Homebrew on Apple silicon */
};

static int is_file(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *probe_truststore_find(void)
{
    const char *env = getenv("SSL_CERT_FILE");

    if (is_file(env)) {
        return env;
    }
    for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++) {
        if (is_file(bundles[i])) {
            return bundles[i];
        }
    }
    env = getenv("SSL_CERT_DIR");
    if (is_dir(env)) {
        return env;
    }
    return is_dir("/etc/ssl/certs") ? "/etc/ssl/certs" : NULL;
}
