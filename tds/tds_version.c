/* tds/tds_version.c: the PRELOGIN VERSION option and SQL Server product names.
 *
 * Real servers send major, minor, build (big-endian u16), then a sub-build they leave at zero
 * (the captured replies in tests/data), whatever the sources say about the spec's ULONG. */
#include "tds/tds_prelogin.h"

#include <stdio.h>

#include "tds/tds_cursor.h"

void tds_version_decode(const uint8_t b[6], struct tds_version *v)
{
    v->major = b[0];
    v->minor = b[1];
    v->build = (uint16_t)((unsigned)b[2] << 8 | b[3]);
    /* Kept as sent, big-endian like nmap and tedious read it; never trusted (captured replies carry 00 00). */
    v->subbuild = (uint16_t)((unsigned)b[4] << 8 | b[5]);
}

void tds_version_encode(const struct tds_version *v, uint8_t out[6])
{
    struct tds_wr w = tds_wr_make(out, 6);

    tds_wr_u8(&w, v->major);
    tds_wr_u8(&w, v->minor);
    tds_wr_u16be(&w, v->build);
    tds_wr_u16be(&w, v->subbuild);
}

int tds_version_format(const struct tds_version *v, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%u.%u.%u", (unsigned)v->major, (unsigned)v->minor,
                    (unsigned)v->build);
}

/* Major version -> release year (nmap nmap-service-probes; 17 is SQL Server 2025). */
static const char *const product_years[] = {
    [8] = "2000", [9] = "2005", [10] = "2008", [11] = "2012", [12] = "2014",
    [13] = "2016", [14] = "2017", [15] = "2019", [16] = "2022", [17] = "2025",
};

const char *tds_product_name(const struct tds_version *v, char *buf, size_t cap)
{
    size_t n = sizeof(product_years) / sizeof(product_years[0]);
    const char *year = v->major < n ? product_years[v->major] : NULL;

    if (cap == 0) {
        return buf;
    }
    if (year == NULL) {
        snprintf(buf, cap, "SQL Server, unknown version %u.%u", (unsigned)v->major,
                 (unsigned)v->minor);
    } else if (v->major == 10 && v->minor == 50) {
        snprintf(buf, cap, "SQL Server %s R2", year);
    } else {
        snprintf(buf, cap, "SQL Server %s", year);
    }
    return buf;
}
