/*
 * test_sock_err.c - the internal error-holder writers sock__err_addr and
 * sock__err_text: "STEP ADDRESS: REASON" with and without an address, a
 * NULL holder, errno left as the given error, safe truncation.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "sock_internal.h"
#include "mock_syscalls.h"
#include "net.h"

/* A holder followed by bytes that must never be written: a write past
 * msg[] would show here (and under ASan as an overflow). */
struct guarded {
    struct sock_err why;
    char canary[32];
};

static void guard(struct guarded *g)
{
    memset(g, 0x5a, sizeof *g);
}

static void assert_guard_intact(const struct guarded *g)
{
    size_t i;

    for (i = 0; i < sizeof g->canary; i++)
        assert_int_equal((unsigned char)g->canary[i], 0x5a);
}

/* With an IPv4 address: "connect 127.0.0.1:8080: Connection refused";
 * gai is cleared (this is no resolver error) and errno is the error. */
static void err_addr_ipv4(void **state)
{
    struct sockaddr_in a = v4("127.0.0.1", 8080);
    struct guarded g;
    char want[SOCK_ERR_MAX];

    (void)state;
    guard(&g);
    g.why.gai = EAI_NONAME;
    errno = 0;
    sock__err_addr(&g.why, "connect", (struct sockaddr *)&a, sizeof a,
                   ECONNREFUSED);
    assert_int_equal(errno, ECONNREFUSED);
    assert_int_equal(g.why.gai, 0);
    snprintf(want, sizeof want, "connect 127.0.0.1:8080: %s",
             strerror(ECONNREFUSED));
    assert_string_equal(g.why.msg, want);
    assert_guard_intact(&g);
}

static void err_addr_ipv6(void **state)
{
    struct sockaddr_in6 a;
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(8080);
    a.sin6_addr = in6addr_any;
    sock__err_addr(&why, "bind", (struct sockaddr *)&a, sizeof a, EADDRINUSE);
    snprintf(want, sizeof want, "bind [::]:8080: %s", strerror(EADDRINUSE));
    assert_string_equal(why.msg, want);
    assert_int_equal(errno, EADDRINUSE);
}

/* No address: "STEP: REASON", no stray space. */
static void err_addr_without_address(void **state)
{
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    sock__err_addr(&why, "listen", NULL, 0, EOPNOTSUPP);
    snprintf(want, sizeof want, "listen: %s", strerror(EOPNOTSUPP));
    assert_string_equal(why.msg, want);
    assert_int_equal(errno, EOPNOTSUPP);
}

/* An address that cannot be shown is named by its family instead. */
static void err_addr_unprintable_address(void **state)
{
    struct sockaddr_storage ss;
    struct sockaddr_in a = v4("127.0.0.1", 80);
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNSPEC;
    sock__err_addr(&why, "bind", (struct sockaddr *)&ss, sizeof ss, EACCES);
    snprintf(want, sizeof want, "bind (AF_UNSPEC address): %s", strerror(EACCES));
    assert_string_equal(why.msg, want);

    /* Too short a length for AF_INET. */
    sock__err_addr(&why, "bind", (struct sockaddr *)&a, 4, EACCES);
    snprintf(want, sizeof want, "bind (AF_INET address): %s", strerror(EACCES));
    assert_string_equal(why.msg, want);
    assert_int_equal(errno, EACCES);
}

/* No holder: nothing written, but errno is still the error. */
static void err_addr_null_holder(void **state)
{
    struct sockaddr_in a = v4("127.0.0.1", 80);

    (void)state;
    errno = 0;
    sock__err_addr(NULL, "connect", (struct sockaddr *)&a, sizeof a, EPIPE);
    assert_int_equal(errno, EPIPE);
    errno = 0;
    sock__err_addr(NULL, "listen", NULL, 0, EMFILE);
    assert_int_equal(errno, EMFILE);
}

/* An errno the C library has no text for still gives a line: its own
 * text if strerror_r has one, else "error N". */
static void err_addr_unknown_errno(void **state)
{
    struct guarded g;
    char sys[128], want[SOCK_ERR_MAX];
    const int err = 123456;

    (void)state;
    guard(&g);
    sock__err_addr(&g.why, "bind", NULL, 0, err);
    if (strerror_r(err, sys, sizeof sys) == 0)
        snprintf(want, sizeof want, "bind: %s", sys);
    else
        snprintf(want, sizeof want, "bind: error %d", err);
    assert_string_equal(g.why.msg, want);
    assert_int_equal(errno, err);
    assert_guard_intact(&g);
}

/* sock__err_text: with, without (NULL or ""), and with a NULL holder. */
static void err_text_formats(void **state)
{
    struct sock_err why;

    (void)state;
    sock__err_text(&why, "resolve", "example.invalid:80", "Name unknown");
    assert_string_equal(why.msg, "resolve example.invalid:80: Name unknown");
    sock__err_text(&why, "resolve", NULL, "Name unknown");
    assert_string_equal(why.msg, "resolve: Name unknown");
    sock__err_text(&why, "resolve", "", "Name unknown");
    assert_string_equal(why.msg, "resolve: Name unknown");
    sock__err_text(NULL, "resolve", "x", "y");   /* must not crash */
}

/* A text longer than the holder is cut at SOCK_ERR_MAX - 1 with a NUL,
 * never written past msg[]. */
static void err_text_truncated_safely(void **state)
{
    char what[400];
    struct guarded g;

    (void)state;
    memset(what, 'x', sizeof what - 1);
    what[sizeof what - 1] = '\0';
    guard(&g);
    sock__err_text(&g.why, "resolve", what, "too long");
    assert_int_equal(g.why.msg[SOCK_ERR_MAX - 1], '\0');
    assert_int_equal(strlen(g.why.msg), SOCK_ERR_MAX - 1);
    assert_int_equal(strncmp(g.why.msg, "resolve xxx", 11), 0);
    assert_int_equal(g.why.msg[SOCK_ERR_MAX - 2], 'x');
    assert_guard_intact(&g);
}

/* The same through sock__err_addr, with an over-long step. */
static void err_addr_truncated_safely(void **state)
{
    char step[300];
    struct sockaddr_in a = v4("127.0.0.1", 80);
    struct guarded g;

    (void)state;
    memset(step, 's', sizeof step - 1);
    step[sizeof step - 1] = '\0';
    guard(&g);
    sock__err_addr(&g.why, step, (struct sockaddr *)&a, sizeof a, EPIPE);
    assert_int_equal(strlen(g.why.msg), SOCK_ERR_MAX - 1);
    assert_int_equal(g.why.msg[0], 's');
    assert_int_equal(errno, EPIPE);
    assert_guard_intact(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(err_addr_ipv4),
        mock_unit_test(err_addr_ipv6),
        mock_unit_test(err_addr_without_address),
        mock_unit_test(err_addr_unprintable_address),
        mock_unit_test(err_addr_null_holder),
        mock_unit_test(err_addr_unknown_errno),
        mock_unit_test(err_text_formats),
        mock_unit_test(err_text_truncated_safely),
        mock_unit_test(err_addr_truncated_safely),
    };

    return cmocka_run_group_tests_name("sock_err", tests, NULL, NULL);
}
