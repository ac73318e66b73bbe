/* probe/drivers/probe_target.h: a TARGET as users write it (docs/design.md): host, host:port,
 * host,port, tcp:host,port, host\instance, [v6addr]:port, bare IPv6. */
#ifndef PROBE_PROBE_TARGET_H
#define PROBE_PROBE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/model/probe.h"

/* Parses text into t (host, port, instance; t->text = text). The client profile is left as is.
 * Returns 0, or -1 with a sentence in err naming what is wrong (exit code 64). */
int probe_target_parse(const char *text, struct probe_target *t, char *err, size_t errlen);

/* True when host is an IPv4 or IPv6 literal (no SNI is sent for those; IP SANs are checked). */
bool probe_host_is_ip(const char *host);

/* The value of a hexadecimal digit, or -1 (percent-decoding in URLs: go-mssqldb targets and
 * the exporter's query strings). */
int probe_hex_digit(char ch);

#endif
