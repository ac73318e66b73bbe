/* tds/tds_ssrp.h: SQL Server Browser (MC-SQLR) requests and SVR_RESP parsing. No I/O.
 * Reply: 0x05, RESP_SIZE (u16 LE) == datagram length - 3, then "key;value;...;;" per instance. */
#ifndef TDS_TDS_SSRP_H
#define TDS_TDS_SSRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tds/tds_error.h"

#define TDS_SSRP_PORT 1434
#define TDS_SSRP_CLNT_UCAST_EX 0x03
#define TDS_SSRP_CLNT_UCAST_INST 0x04
#define TDS_SSRP_SVR_RESP 0x05
#define TDS_SSRP_MAX_INSTANCE_NAME 32 /* MC-SQLR: at most 32 bytes */

/* Returns bytes written or 0 (no space, or an instance name longer than 32 bytes / empty). */
size_t tds_ssrp_build_ucast_inst(const char *instance, uint8_t *out, size_t cap);
size_t tds_ssrp_build_ucast_ex(uint8_t *out, size_t cap);

struct tds_ssrp_instance {
    char server[256];
    char instance[TDS_SSRP_MAX_INSTANCE_NAME + 1];
    char version[32];
    bool clustered;
    int tcp_port; /* -1 when the reply has no tcp section */
    char pipe[256];
};

/* Parses a whole SVR_RESP datagram into up to max instances (*count set; more instances than max
 * are counted in *total but not stored). Errors name the offset. Unknown keys are skipped.
 * ServerName, InstanceName, IsClustered, Version are required (else SSRP_BAD_SYNTAX); IsClustered
 * is true only for "Yes"; a tcp value that is not 1..65535 is SSRP_BAD_SYNTAX; a value longer
 * than its field is SSRP_FIELD_TOO_LONG (never cut); a NUL byte is SSRP_BAD_SYNTAX; an empty
 * RESP_DATA is OK with *total 0. out may be NULL when max is 0. */
int tds_ssrp_parse(const uint8_t *p, size_t n, struct tds_ssrp_instance *out, size_t max,
                   size_t *count, size_t *total, struct tds_error *e);

/* Builds a SVR_RESP for fakesql: 0x05, size, then the instances' key/value text. Returns bytes
 * written or 0. */
size_t tds_ssrp_build_resp(const struct tds_ssrp_instance *in, size_t n, uint8_t *out, size_t cap);

#endif
