/*
 * test_udp_peers.c - udp_peers.c, tcp-server -u's table: a peer is found
 * by its family, address, port and scope and by nothing less; the list
 * gives the peer heard from longest ago, in the order they were heard;
 * the count per address follows adds and removals; 60,000 peers from one
 * address on consecutive ports (what one host can send from) land in
 * chains no longer than a few, so a lookup among them costs what it
 * costs among a handful; and no two runs draw the same key.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "udp_peers.h"

static struct udp_peers t;

static struct sockaddr_storage v4(const char *ip, unsigned port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;

    memset(&ss, 0, sizeof ss);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *ip, unsigned port,
                                  unsigned scope)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

    memset(&ss, 0, sizeof ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    a->sin6_scope_id = scope;
    assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
    return ss;
}

static struct udp_peer *add(struct sockaddr_storage ss, long long now)
{
    struct udp_peer *p = udp_peers_add(&t, &ss, sizeof ss, now);

    assert_non_null(p);
    return p;
}

static int setup(void **state)
{
    unsigned char key[16];

    (void)state;
    udp_peers_random_key(key);
    return udp_peers_init(&t, key);
}

static int teardown(void **state)
{
    (void)state;
    udp_peers_fini(&t);
    return 0;
}

static void found_by_all_four(void **state)
{
    struct sockaddr_storage a = v4("127.0.0.1", 4000);
    struct sockaddr_storage l = v6("fe80::1", 4000, 2);
    struct sockaddr_storage q;
    struct udp_peer *pa, *pl;

    (void)state;
    pa = add(a, 1);
    pl = add(l, 1);
    assert_ptr_equal(udp_peers_find(&t, &a), pa);
    assert_ptr_equal(udp_peers_find(&t, &l), pl);
    q = v4("127.0.0.1", 4001);
    assert_null(udp_peers_find(&t, &q));
    q = v4("127.0.0.2", 4000);
    assert_null(udp_peers_find(&t, &q));
    q = v6("fe80::1", 4000, 3);            /* another link */
    assert_null(udp_peers_find(&t, &q));
    q = v6("::ffff:127.0.0.1", 4000, 0);   /* another family */
    assert_null(udp_peers_find(&t, &q));
    assert_int_equal(t.n, 2);
}

static void oldest_first(void **state)
{
    struct udp_peer *a, *b, *c;

    (void)state;
    a = add(v4("127.0.0.1", 1001), 10);
    b = add(v4("127.0.0.1", 1002), 20);
    c = add(v4("127.0.0.1", 1003), 30);
    assert_ptr_equal(udp_peers_oldest(&t), a);
    udp_peers_touch(&t, a, 40);            /* heard again: now the newest */
    assert_int_equal(a->last, 40);
    assert_ptr_equal(udp_peers_oldest(&t), b);
    udp_peers_remove(&t, b);
    assert_ptr_equal(udp_peers_oldest(&t), c);
    udp_peers_touch(&t, a, 50);            /* the newest already */
    udp_peers_remove(&t, c);
    assert_ptr_equal(udp_peers_oldest(&t), a);
    udp_peers_remove(&t, a);
    assert_null(udp_peers_oldest(&t));
    assert_int_equal(t.n, 0);
}

static void counted_per_address(void **state)
{
    struct sockaddr_storage one = v4("127.0.0.1", 1), two = v4("127.0.0.2", 1);
    struct sockaddr_storage six = v6("::1", 1, 0);
    struct udp_peer *p[3];
    int i;

    (void)state;
    for (i = 0; i < 3; i++)
        p[i] = add(v4("127.0.0.1", 2000 + (unsigned)i), i);
    (void)add(two, 5);
    assert_int_equal(udp_peers_from_ip(&t, &one), 3);
    assert_int_equal(udp_peers_from_ip(&t, &two), 1);
    assert_int_equal(udp_peers_from_ip(&t, &six), 0);
    udp_peers_remove(&t, p[1]);
    assert_int_equal(udp_peers_from_ip(&t, &one), 2);
    udp_peers_remove(&t, p[0]);
    udp_peers_remove(&t, p[2]);
    assert_int_equal(udp_peers_from_ip(&t, &one), 0);
    assert_int_equal(t.nip, 1);
}

/* The longest chain among the peer buckets. */
static size_t longest_chain(void)
{
    size_t i, most = 0;

    for (i = 0; i < t.nb; i++) {
        size_t n = 0;
        const struct udp_peer *p;

        for (p = t.bucket[i]; p != NULL; p = p->chain)
            n++;
        if (n > most)
            most = n;
    }
    return most;
}

static void sixty_thousand_in_short_chains(void **state)
{
    struct sockaddr_storage ss;
    unsigned port;

    (void)state;
    for (port = 1024; port < 61024; port++)
        (void)add(v4("127.0.0.1", port), port);
    assert_int_equal(t.n, 60000);
    assert_true(t.nb >= t.n);
    /* Uniform hashing puts at most about 8 in one of 65,536 buckets;
     * a hash an attacker could steer would put them all in one. */
    assert_true(longest_chain() <= 16);
    /* Every other one goes, from the middle of chains too; the rest are
     * found, the ones gone are not. */
    for (port = 1024; port < 61024; port += 2) {
        ss = v4("127.0.0.1", port);
        udp_peers_remove(&t, udp_peers_find(&t, &ss));
    }
    for (port = 1024; port < 61024; port++) {
        ss = v4("127.0.0.1", port);
        if (port % 2 == 0)
            assert_null(udp_peers_find(&t, &ss));
        else
            assert_non_null(udp_peers_find(&t, &ss));
    }
    assert_int_equal(udp_peers_from_ip(&t, &ss), 30000);
    assert_int_equal(udp_peers_oldest(&t)->last, 1025);
}

static void keys_differ(void **state)
{
    unsigned char a[16], b[16];

    (void)state;
    udp_peers_random_key(a);
    udp_peers_random_key(b);
    assert_memory_not_equal(a, b, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(found_by_all_four, setup, teardown),
        cmocka_unit_test_setup_teardown(oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(counted_per_address, setup, teardown),
        cmocka_unit_test_setup_teardown(sixty_thousand_in_short_chains, setup,
                                        teardown),
        cmocka_unit_test(keys_differ),
    };

    return cmocka_run_group_tests_name("udp_peers", tests, NULL, NULL);
}
