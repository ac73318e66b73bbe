/* probe/serve/probe_peers (connections per client, for the exporter's limits): the key of an
 * IPv4, IPv6, IPv4-mapped and unknown address, counting up and down, a full table, and removal
 * in any order keeping every other count reachable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "probe/serve/probe_peers.h"

static struct probe_peer_key key_v4(const char *s)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct probe_peer_key k;

    assert_int_equal(inet_pton(AF_INET, s, &sin.sin_addr), 1);
    probe_peer_key_of((struct sockaddr *)&sin, &k);
    return k;
}

static struct probe_peer_key key_v6(const char *s)
{
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
    struct probe_peer_key k;

    assert_int_equal(inet_pton(AF_INET6, s, &sin6.sin6_addr), 1);
    probe_peer_key_of((struct sockaddr *)&sin6, &k);
    return k;
}

static bool same(struct probe_peer_key a, struct probe_peer_key b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

static void test_keys(void **state)
{
    struct probe_peer_key unknown, other;
    struct sockaddr sa = { .sa_family = AF_UNIX };

    (void)state;
    assert_true(same(key_v4("192.0.2.1"), key_v6("::ffff:192.0.2.1")));
    assert_false(same(key_v4("192.0.2.1"), key_v4("192.0.2.2")));
    assert_true(same(key_v6("2001:db8:1:2::1"), key_v6("2001:db8:1:2:ffff:1:2:3"))); /* a /64 */
    assert_false(same(key_v6("2001:db8:1:2::1"), key_v6("2001:db8:1:3::1")));
    assert_false(same(key_v6("::"), key_v4("0.0.0.0")));
    probe_peer_key_of(NULL, &unknown);
    probe_peer_key_of(&sa, &other);
    assert_true(same(unknown, other));
    assert_false(same(unknown, key_v6("ffff:ffff:ffff:ffff::")));
    assert_false(same(unknown, key_v6("::1")));
}

static void test_counting(void **state)
{
    struct probe_peers *p = calloc(1, sizeof(*p));
    struct probe_peer_key a = key_v4("127.0.0.1"), b = key_v6("::1");

    (void)state;
    assert_non_null(p);
    assert_int_equal(probe_peers_count(p, &a), 0);
    assert_int_equal(probe_peers_add(p, &a), 1);
    assert_int_equal(probe_peers_add(p, &a), 2);
    assert_int_equal(probe_peers_add(p, &b), 1);
    assert_int_equal(p->used, 2);
    probe_peers_remove(p, &a);
    assert_int_equal(probe_peers_count(p, &a), 1);
    probe_peers_remove(p, &a);
    assert_int_equal(probe_peers_count(p, &a), 0);
    assert_int_equal(probe_peers_count(p, &b), 1);
    assert_int_equal(p->used, 1);
    probe_peers_remove(p, &a); /* none left: nothing happens */
    assert_int_equal(p->used, 1);
    free(p);
}

/* Half the table's slots in peers, then removed in a scrambled order: after each removal every
 * peer still in the table is found with its count (backward-shift deletion moved the right
 * entries), and a full table refuses one more. */
static void test_full_table_and_removal(void **state)
{
    enum { N = PROBE_PEERS_SLOTS / 2 };
    struct probe_peers *p = calloc(1, sizeof(*p));
    static struct probe_peer_key keys[N];
    static size_t order[N];
    char text[32];

    (void)state;
    assert_non_null(p);
    for (size_t i = 0; i < N; i++) {
        snprintf(text, sizeof(text), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
        keys[i] = key_v4(text);
        assert_int_equal(probe_peers_add(p, &keys[i]), 1);
        if (i % 3 == 0) {
            assert_int_equal(probe_peers_add(p, &keys[i]), 2);
        }
        order[i] = (i * 7919) % N; /* 7919 is prime, N a power of two: a permutation */
    }
    struct probe_peer_key extra = key_v4("192.0.2.1");
    assert_int_equal(probe_peers_add(p, &extra), 0);
    assert_int_equal(probe_peers_add(p, &keys[1]), 2); /* a known peer still counts */
    probe_peers_remove(p, &keys[1]);
    for (size_t r = 0; r < N; r++) {
        size_t i = order[r];
        if (i % 3 == 0) {
            probe_peers_remove(p, &keys[i]);
        }
        probe_peers_remove(p, &keys[i]);
        for (size_t q = r + 1; q < N && q < r + 200; q++) {
            size_t k = order[q];
            assert_int_equal(probe_peers_count(p, &keys[k]), k % 3 == 0 ? 2 : 1);
        }
        assert_int_equal(probe_peers_count(p, &keys[i]), 0);
    }
    assert_int_equal(p->used, 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_counting),
        cmocka_unit_test(test_full_table_and_removal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
