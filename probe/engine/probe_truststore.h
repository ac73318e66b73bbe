/* probe/engine/probe_truststore.h: where this OS keeps its trust store. */
#ifndef PROBE_PROBE_TRUSTSTORE_H
#define PROBE_PROBE_TRUSTSTORE_H

/* The system CA bundle: $SSL_CERT_FILE, then Debian/Ubuntu/Alpine, RHEL/Fedora, SUSE, macOS
 * locations, then $SSL_CERT_DIR / /etc/ssl/certs as a directory. NULL when none exists. */
const char *probe_truststore_find(void);

#endif
