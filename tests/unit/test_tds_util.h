/* tests/unit/test_tds_util.h: helpers shared by the tds/ and tls/ unit tests (fixtures, hex,
 * guard pages). */
#ifndef TESTS_UNIT_TEST_TDS_UTIL_H
#define TESTS_UNIT_TEST_TDS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The captured TDS fixtures (.hex files in TDSPROBE_TEST_DATA): PRELOGIN requests and replies,
 * and a server TLS flight in TDS packets whose last packet is cut short. */
extern const char *const tds_fixtures[];
extern const size_t tds_n_fixtures;

/* Reads TDSPROBE_TEST_DATA/name, a .hex fixture ('#' lines skipped); fails the test if absent
 * or malformed. Returns a malloc'd buffer and its length. */
uint8_t *load_hex(const char *name, size_t *len);

/* The value of one hex digit, or -1 if c is not one. */
int hex_digit(int c);

/* Parses whitespace-separated hex into out; fails the test on bad input or overflow. */
size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap);

/* A copy of src whose last byte sits right before a PROT_NONE page, so an over-read crashes
 * (picohttpparser's test trick). n may be 0. Free with guarded_free(p, n). */
uint8_t *guarded_copy(const uint8_t *src, size_t n);
void guarded_free(uint8_t *p, size_t n);

/* Deterministic PRNG for chunking tests (xorshift64*), so failures replay. */
uint64_t test_rand(uint64_t *state);

#endif
