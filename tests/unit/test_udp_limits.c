/*
 * test_udp_limits.c - udp_limits.c: a token bucket lets a burst of RATE
 * through, then one per 1/RATE s, never more than RATE after any pause,
 * and RATE 0 means no limit; the 3x budget to an unverified source,
 * worked through the case (an empty datagram, 28 bytes at IP
 * level, may draw the welcome and the empty echo, 65 bytes, but not the
 * idle goodbye as well, 113 > 84); the ports never answered.
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

#include "udp_limits.h"

static int takes(struct udp_bucket *b, long rate, long long now, int tries)
{
    int n = 0;

    while (tries-- > 0)
        n += udp_bucket_take(b, rate, now);
    return n;
}

static void bucket_burst_then_rate(void **state)
{
    struct udp_bucket b;

    (void)state;
    udp_bucket_init(&b, 10, 1000);
    assert_int_equal(takes(&b, 10, 1000, 20), 10);   /* the burst */
    assert_int_equal(takes(&b, 10, 1050, 5), 0);     /* half a token */
    assert_int_equal(takes(&b, 10, 1100, 5), 1);     /* 1/10 s: one */
    assert_int_equal(takes(&b, 10, 1400, 5), 3);
    /* A long pause refills the burst, and no more. */
    assert_int_equal(takes(&b, 10, 100000, 50), 10);
    assert_int_equal(takes(&b, 10, 101000, 5), 5);   /* 5 left ... */
    assert_int_equal(takes(&b, 10, 200000, 50), 10); /* ... still 10 */
    /* A rate under one a millisecond still refills: 1 a second. */
    udp_bucket_init(&b, 1, 0);
    assert_int_equal(takes(&b, 1, 0, 3), 1);
    assert_int_equal(takes(&b, 1, 999, 3), 0);
    assert_int_equal(takes(&b, 1, 1000, 3), 1);
    /* 0: no limit. */
    udp_bucket_init(&b, 0, 0);
    assert_int_equal(takes(&b, 0, 0, 100000), 100000);
}

static void budget_three_times(void **state)
{
    unsigned long long in = UDP_HDR_V4;          /* one empty datagram */
    unsigned long long out = 0;

    (void)state;
    assert_int_equal(udp_header_bytes(AF_INET), 28);
    assert_int_equal(udp_header_bytes(AF_INET6), 48);
    assert_true(udp_budget_allows(in, out, 9 + 28));      /* welcome!\n */
    out += 9 + 28;
    assert_true(udp_budget_allows(in, out, 0 + 28));      /* its echo */
    out += 28;
    assert_int_equal(out, 65);
    assert_false(udp_budget_allows(in, out, 20 + 28));    /* idle goodbye */
    assert_true(udp_budget_allows(in, out, 84 - 65));     /* the edge: 3x */
    assert_false(udp_budget_allows(in, out, 84 - 65 + 1));
    /* Over IPv6 an empty datagram is 48 bytes: welcome and echo fit. */
    assert_true(udp_budget_allows(UDP_HDR_V6, 0, 9 + 48 + 48));
}

static struct sockaddr_storage port4(unsigned port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;

    memset(&ss, 0, sizeof ss);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    return ss;
}

static void ports_never_answered(void **state)
{
    static const unsigned no[] = { 0, 7, 13, 17, 19, 37 };
    static const unsigned yes[] = { 1, 8, 53, 123, 1024, 8080, 65535 };
    struct sockaddr_storage ss;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof no / sizeof no[0]; i++) {
        ss = port4(no[i]);
        assert_true(udp_port_refused(&ss));
    }
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        ss = port4(yes[i]);
        assert_false(udp_port_refused(&ss));
    }
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_INET6;
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons(19);
    assert_true(udp_port_refused(&ss));
    ((struct sockaddr_in6 *)&ss)->sin6_port = htons(8080);
    assert_false(udp_port_refused(&ss));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_burst_then_rate),
        cmocka_unit_test(budget_three_times),
        cmocka_unit_test(ports_never_answered),
    };

    return cmocka_run_group_tests_name("udp_limits", tests, NULL, NULL);
}
