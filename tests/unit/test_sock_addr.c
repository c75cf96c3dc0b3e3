/*
 * test_sock_addr.c - sock_resolve (real numeric literals; failures from a
 * scripted getaddrinfo, never real DNS) and sock_addr_text (formatting
 * only, no traffic).
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
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "mock_syscalls.h"
#include "net.h"

/* ---------------------------------------------------------------- */
/* sock_resolve                                                     */
/* ---------------------------------------------------------------- */

/* Every entry must be a stream: without the hints getaddrinfo would also
 * return SOCK_DGRAM and SOCK_RAW entries. */
static void assert_all_stream(const struct addrinfo *list)
{
    const struct addrinfo *ai;

    for (ai = list; ai != NULL; ai = ai->ai_next)
        assert_int_equal(ai->ai_socktype, SOCK_STREAM);
}

static void resolve_ipv4_literal(void **state)
{
    struct addrinfo *list;
    const struct sockaddr_in *sin;

    (void)state;
    list = sock_resolve("127.0.0.1", "80", AF_UNSPEC, 0, NULL);
    assert_non_null(list);
    assert_int_equal(list->ai_family, AF_INET);
    assert_int_equal(list->ai_addrlen, sizeof(struct sockaddr_in));
    sin = (const struct sockaddr_in *)list->ai_addr;
    assert_int_equal(ntohs(sin->sin_port), 80);
    assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    assert_all_stream(list);
    freeaddrinfo(list);
}

static void resolve_ipv6_literal(void **state)
{
    struct addrinfo *list;
    const struct sockaddr_in6 *sin6;

    (void)state;
    list = sock_resolve("::1", "8080", AF_UNSPEC, 0, NULL);
    assert_non_null(list);
    assert_int_equal(list->ai_family, AF_INET6);
    sin6 = (const struct sockaddr_in6 *)list->ai_addr;
    assert_int_equal(ntohs(sin6->sin6_port), 8080);
    assert_memory_equal(&sin6->sin6_addr, &in6addr_loopback,
                        sizeof in6addr_loopback);
    assert_all_stream(list);
    freeaddrinfo(list);
}

/* The flags reach getaddrinfo: AI_PASSIVE with no host is the wildcard. */
static void resolve_passive_wildcard(void **state)
{
    struct addrinfo *list;
    const struct sockaddr_in *sin;

    (void)state;
    list = sock_resolve(NULL, "80", AF_INET, AI_PASSIVE, NULL);
    assert_non_null(list);
    assert_int_equal(list->ai_family, AF_INET);
    sin = (const struct sockaddr_in *)list->ai_addr;
    assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_ANY));
    freeaddrinfo(list);
}

/* The family reaches getaddrinfo: an IPv6 literal is no IPv4 address. */
static void resolve_family_is_pinned(void **state)
{
    struct sock_err why;
    const char prefix[] = "resolve [::1]:80: ";

    (void)state;
    memset(&why, 0, sizeof why);
    assert_null(sock_resolve("::1", "80", AF_INET, 0, &why));
    assert_true(why.gai != 0);
    assert_int_equal(strncmp(why.msg, prefix, sizeof prefix - 1), 0);
}

/* An unknown name: ENOENT, the EAI code, and getaddrinfo's own words. */
static void resolve_noname_message(void **state)
{
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_NONAME);
    memset(&why, 0, sizeof why);
    errno = 0;
    assert_null(sock_resolve("nosuch.invalid", "8080", AF_UNSPEC, 0, &why));
    assert_int_equal(errno, ENOENT);
    assert_int_equal(why.gai, EAI_NONAME);
    snprintf(want, sizeof want, "resolve nosuch.invalid:8080: %s",
             gai_strerror(EAI_NONAME));
    assert_string_equal(why.msg, want);
    assert_int_equal(mock_count[MOCK_FREEADDRINFO], 0);
}

/* An IPv6 literal is bracketed so the port stays readable. */
static void resolve_ipv6_literal_bracketed(void **state)
{
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_SERVICE);
    memset(&why, 0, sizeof why);
    errno = 0;
    assert_null(sock_resolve("fe80::1", "nosuchservice", AF_UNSPEC, 0, &why));
    assert_int_equal(errno, EINVAL);   /* "anything else" */
    assert_int_equal(why.gai, EAI_SERVICE);
    snprintf(want, sizeof want, "resolve [fe80::1]:nosuchservice: %s",
             gai_strerror(EAI_SERVICE));
    assert_string_equal(why.msg, want);
}

/*
 * EAI_SYSTEM: the errno getaddrinfo left is kept, and its text is the
 * reason.  The rig only queues an errno after a -1 result (which for
 * getaddrinfo is EAI_BADFLAGS), so errno is planted before the call; the
 * scripted wrap does not touch it.
 */
static void resolve_eai_system_keeps_errno(void **state)
{
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_SYSTEM);
    memset(&why, 0, sizeof why);
    errno = EMFILE;
    assert_null(sock_resolve("localhost", "80", AF_UNSPEC, 0, &why));
    assert_int_equal(errno, EMFILE);
    assert_int_equal(why.gai, EAI_SYSTEM);
    snprintf(want, sizeof want, "resolve localhost:80: %s", strerror(EMFILE));
    assert_string_equal(why.msg, want);
}

static void resolve_eai_again_is_eagain(void **state)
{
    struct sock_err why;

    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_AGAIN);
    memset(&why, 0, sizeof why);
    errno = 0;
    assert_null(sock_resolve("example.invalid", "80", AF_UNSPEC, 0, &why));
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(why.gai, EAI_AGAIN);
}

static void resolve_eai_memory_is_enomem(void **state)
{
    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_MEMORY);
    errno = 0;
    assert_null(sock_resolve("example.invalid", "80", AF_UNSPEC, 0, NULL));
    assert_int_equal(errno, ENOMEM);
}

/* why == NULL: the failure is still NULL with errno set. */
static void resolve_why_may_be_null(void **state)
{
    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_NONAME);
    errno = 0;
    assert_null(sock_resolve("nosuch.invalid", "80", AF_UNSPEC, 0, NULL));
    assert_int_equal(errno, ENOENT);
}

/* ---------------------------------------------------------------- */
/* sock_addr_text                                                   */
/* ---------------------------------------------------------------- */

static struct sockaddr_in6 v6(const char *ip, unsigned port)
{
    struct sockaddr_in6 a;

    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return a;
}

static void addr_text_ipv4(void **state)
{
    struct sockaddr_in a = v4("127.0.0.1", 80);
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof out), 0);
    assert_string_equal(out, "127.0.0.1:80");
}

static void addr_text_ipv6_bracketed(void **state)
{
    struct sockaddr_in6 a = v6("::1", 8080);
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof out), 0);
    assert_string_equal(out, "[::1]:8080");
}

/* A v4 client of a dual-stack socket reads as plain IPv4. */
static void addr_text_v4_mapped_as_ipv4(void **state)
{
    struct sockaddr_in6 a = v6("::ffff:10.1.2.3", 5);
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof out), 0);
    assert_string_equal(out, "10.1.2.3:5");
}

static void addr_text_port_zero(void **state)
{
    struct sockaddr_in a = v4("0.0.0.0", 0);
    struct sockaddr_in6 b = v6("::", 0);
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof out), 0);
    assert_string_equal(out, "0.0.0.0:0");
    assert_int_equal(sock_addr_text((struct sockaddr *)&b, sizeof b, out,
                                    sizeof out), 0);
    assert_string_equal(out, "[::]:0");
}

/* A link-local scope is kept as "%name" (the header's example form). */
static void addr_text_keeps_scope(void **state)
{
    struct sockaddr_in6 a = v6("fe80::1", 80);
    char out[SOCK_ADDR_TEXT_MAX];
    unsigned lo = if_nametoindex("lo");

    (void)state;
    if (lo == 0)
        skip();
    a.sin6_scope_id = lo;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof out), 0);
    assert_string_equal(out, "[fe80::1%lo]:80");
}

/* A local address: the path, an abstract name, or "(unnamed)"; bytes
 * that could act on a terminal are shown as '?'. */
static void addr_text_local(void **state)
{
    struct sockaddr_un sun;
    struct sockaddr_storage ss;
    socklen_t len;
    char out[SOCK_ADDR_TEXT_MAX] = "junk";
    size_t off = offsetof(struct sockaddr_un, sun_path);

    (void)state;
    assert_int_equal(sock_local_addr("/tmp/s.sock", &sun, &len), 0);
    assert_int_equal(len, off + sizeof "/tmp/s.sock");
    assert_int_equal(sock_addr_text((struct sockaddr *)&sun, len, out,
                                    sizeof out), 0);
    assert_string_equal(out, "unix:/tmp/s.sock");

    /* What getpeername() gives for a client that never bound: the family. */
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_int_equal(sock_addr_text((struct sockaddr *)&ss,
                                    (socklen_t)sizeof(sa_family_t), out,
                                    sizeof out), 0);
    assert_string_equal(out, "unix:(unnamed)");
    /* ... or, elsewhere, a whole address of NULs. */
    assert_int_equal(sock_addr_text((struct sockaddr *)&ss, sizeof ss, out,
                                    sizeof out), 0);
    assert_string_equal(out, "unix:(unnamed)");

    memcpy(sun.sun_path, "a\033[2Jb", 7);
    assert_int_equal(sock_addr_text((struct sockaddr *)&sun,
                                    (socklen_t)(off + 7), out, sizeof out), 0);
    assert_string_equal(out, "unix:a?[2Jb");

#ifdef __linux__
    assert_int_equal(sock_local_addr("@lesson", &sun, &len), 0);
    assert_int_equal(len, off + 7);   /* NUL and "lesson": no NUL after */
    assert_int_equal(sun.sun_path[0], '\0');
    assert_int_equal(sock_addr_text((struct sockaddr *)&sun, len, out,
                                    sizeof out), 0);
    assert_string_equal(out, "unix:@lesson");
#endif

    /* Too small an out: ENOSPC and "", as for IP addresses. */
    assert_int_equal(sock_local_addr("/tmp/s.sock", &sun, &len), 0);
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&sun, len, out, 10),
                     -1);
    assert_int_equal(errno, ENOSPC);
    assert_string_equal(out, "");
}

/* The longest path that fits sun_path, and one byte more. */
static void local_addr_limits(void **state)
{
    struct sockaddr_un sun;
    socklen_t len;
    char name[SOCK_LOCAL_PATH_MAX + 2], out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    memset(name, 'p', sizeof name);
    name[SOCK_LOCAL_PATH_MAX] = '\0';
    assert_int_equal(sock_local_addr(name, &sun, &len), 0);
    assert_int_equal(sock_addr_text((struct sockaddr *)&sun, len, out,
                                    sizeof out), 0);
    assert_int_equal(strlen(out), 5 + SOCK_LOCAL_PATH_MAX);
    name[SOCK_LOCAL_PATH_MAX] = 'p';
    name[SOCK_LOCAL_PATH_MAX + 1] = '\0';
    errno = 0;
    assert_int_equal(sock_local_addr(name, &sun, &len), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    errno = 0;
    assert_int_equal(sock_local_addr("", &sun, &len), -1);
    assert_int_equal(errno, EINVAL);
}

/* Another family still cannot be shown. */
static void addr_text_other_family_is_eafnosupport(void **state)
{
    struct sockaddr_storage ss;
    char out[SOCK_ADDR_TEXT_MAX] = "junk";

    (void)state;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNSPEC;
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&ss, sizeof ss, out,
                                    sizeof out), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    assert_string_equal(out, "");
}

/* A len shorter than the family's address is EINVAL, never a read past
 * what the caller gave. */
static void addr_text_short_len_is_einval(void **state)
{
    struct sockaddr_in a = v4("127.0.0.1", 80);
    struct sockaddr_in6 b = v6("::1", 80);
    struct sockaddr_in6 m = v6("::ffff:10.1.2.3", 80);
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a - 1, out,
                                    sizeof out), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&b,
                                    sizeof(struct sockaddr_in), out,
                                    sizeof out), -1);
    assert_int_equal(errno, EINVAL);
    /* A v4-mapped address is rewritten as IPv4 before formatting: its
     * length must still be checked as IPv6 first. */
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&m,
                                    sizeof(struct sockaddr_in), out,
                                    sizeof out), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, 1, out, sizeof out),
                     -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(sock_addr_text(NULL, sizeof a, out, sizeof out), -1);
    assert_int_equal(errno, EINVAL);
}

/* Too small an output: ENOSPC and "", not a truncated address. */
static void addr_text_small_buffer_is_enospc(void **state)
{
    struct sockaddr_in a = v4("127.0.0.1", 80);   /* 12 characters */
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    memset(out, 'x', sizeof out);
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out, 12),
                     -1);
    assert_int_equal(errno, ENOSPC);
    assert_string_equal(out, "");
    assert_int_equal(out[12], 'x');   /* nothing written past size */

    /* 13 = the text and its NUL: just enough. */
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out, 13),
                     0);
    assert_string_equal(out, "127.0.0.1:80");
}

/* SOCK_ADDR_TEXT_MAX holds the longest IPv6 text, and the limit is exact
 * at strlen + 1. */
static void addr_text_max_is_enough(void **state)
{
    static const char want[] = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";
    struct sockaddr_in6 a = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
    char out[SOCK_ADDR_TEXT_MAX];

    (void)state;
    assert_true(sizeof want <= SOCK_ADDR_TEXT_MAX);
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof out), 0);
    assert_string_equal(out, want);
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof want), 0);
    assert_string_equal(out, want);
    errno = 0;
    assert_int_equal(sock_addr_text((struct sockaddr *)&a, sizeof a, out,
                                    sizeof want - 1), -1);
    assert_int_equal(errno, ENOSPC);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(resolve_ipv4_literal),
        mock_unit_test(resolve_ipv6_literal),
        mock_unit_test(resolve_passive_wildcard),
        mock_unit_test(resolve_family_is_pinned),
        mock_unit_test(resolve_noname_message),
        mock_unit_test(resolve_ipv6_literal_bracketed),
        mock_unit_test(resolve_eai_system_keeps_errno),
        mock_unit_test(resolve_eai_again_is_eagain),
        mock_unit_test(resolve_eai_memory_is_enomem),
        mock_unit_test(resolve_why_may_be_null),
        mock_unit_test(addr_text_ipv4),
        mock_unit_test(addr_text_ipv6_bracketed),
        mock_unit_test(addr_text_v4_mapped_as_ipv4),
        mock_unit_test(addr_text_port_zero),
        mock_unit_test(addr_text_keeps_scope),
        mock_unit_test(addr_text_local),
        mock_unit_test(local_addr_limits),
        mock_unit_test(addr_text_other_family_is_eafnosupport),
        mock_unit_test(addr_text_short_len_is_einval),
        mock_unit_test(addr_text_small_buffer_is_enospc),
        mock_unit_test(addr_text_max_is_enough),
    };

    return cmocka_run_group_tests_name("sock_addr", tests, NULL, NULL);
}
