/* tests/fuzz/fuzz_tls_pin.c: arbitrary bytes as a pin file (tls_pin_parse): PEM, DER or
 * neither. Oracle: a pin that parses is one whole DER certificate, and its DER bytes parse
 * again as the same pin. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_pin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_pin p, again;
    char why[200];

    if (tls_pin_parse(&p, data, size, why, sizeof(why)) != 0) {
        if (why[0] == '\0' || p.der != NULL) {
            abort(); /* a refusal always says why and keeps nothing */
        }
        return 0;
    }
    if (p.len == 0 || p.der[0] != 0x30 || tls_pin_parse(&again, p.der, p.len, why,
                                                          sizeof(why)) != 0) {
        abort();
    }
    if (again.pem || again.len != p.len || memcmp(again.der, p.der, p.len) != 0 ||
        strcmp(again.sha256, p.sha256) != 0) {
        abort();
    }
    tls_pin_free(&again);
    tls_pin_free(&p);
    return 0;
}
