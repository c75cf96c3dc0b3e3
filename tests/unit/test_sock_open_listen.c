/*
 * test_sock_open_listen.c - the listening half of the opening sequences
 * (src/libsock/sock_open.c): sock_listen_on on a dual-stack, an IPv4 and
 * a v6-only address, the next address tried, and every failing step
 * named.  Real sockets on 127.0.0.1 / ::1 with kernel-chosen ports;
 * failures scripted with --wrap.  The connecting half is in
 * test_sock_open_connect.c.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "mock_syscalls.h"
#include "net.h"

static int reset(void **state)
{
    sock_trace_set(NULL, NULL);   /* one test installs a hook */
    return mock_reset_group(state);
}

/* ---------------------------------------------------------------- */
/* Helpers                                                          */
/* ---------------------------------------------------------------- */

static unsigned fd_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    return port_of(&ss);
}

/* Connect a plain blocking client; returns connect's result. */
static int client_to(int family, unsigned port, int *fdp)
{
    struct sockaddr_storage ss;
    socklen_t len;

    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    *fdp = socket(family, SOCK_STREAM, 0);
    assert_true(*fdp >= 0);
    return connect(*fdp, (struct sockaddr *)&ss, len);
}

static int int_opt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;

    assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

/* ---------------------------------------------------------------- */
/* sock_listen_on                                                   */
/* ---------------------------------------------------------------- */

/* No host, no family: "[::]" with IPV6_V6ONLY off takes a v4 client
 * (seen as ::ffff:127.0.0.1) and a v6 client on the same port. */
static void listen_on_dual_stack(void **state)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 peer;
    socklen_t len = sizeof ss, plen;
    struct sock_err why;
    int lfd, c4, c6, a4, a6;
    unsigned port;

    (void)state;
    if (!ipv6_available())
        skip();
    lfd = sock_listen_on(NULL, "0", AF_UNSPEC, 8, &why);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_memory_equal(&((struct sockaddr_in6 *)&ss)->sin6_addr, &in6addr_any,
                        sizeof in6addr_any);
    assert_int_equal(int_opt(lfd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    assert_blocking_cloexec(lfd);
    port = port_of(&ss);
    assert_true(port != 0);

    assert_int_equal(client_to(AF_INET, port, &c4), 0);
    plen = sizeof peer;
    a4 = accept(lfd, (struct sockaddr *)&peer, &plen);
    assert_true(a4 >= 0);
    assert_int_equal(peer.sin6_family, AF_INET6);
    assert_true(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));

    assert_int_equal(client_to(AF_INET6, port, &c6), 0);
    plen = sizeof peer;
    a6 = accept(lfd, (struct sockaddr *)&peer, &plen);
    assert_true(a6 >= 0);
    assert_true(IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr));

    close(a4);
    close(a6);
    close(c4);
    close(c6);
    close(lfd);
}

/* No IPv6 in the kernel: the dual-stack attempt falls back to 0.0.0.0.
 * socket(AF_INET6) is scripted to fail; bind and listen are scripted to
 * succeed so the wildcard is never really bound, and the address handed
 * to bind is caught with the trace hook. */
static struct sockaddr_storage bound_addr;
static int bind_events;

static void catch_bind(const struct sock_trace_event *ev, void *arg)
{
    (void)arg;
    if (strcmp(ev->call, "bind") == 0 && ev->addr != NULL &&
        ev->addrlen <= sizeof bound_addr) {
        memcpy(&bound_addr, ev->addr, ev->addrlen);
        bind_events++;
    }
}

static void listen_on_falls_back_to_ipv4(void **state)
{
    int before = mock_lowest_free_fd(), fd;
    const struct sockaddr_in *a = (const struct sockaddr_in *)&bound_addr;

    (void)state;
    memset(&bound_addr, 0, sizeof bound_addr);
    bind_events = 0;
    sock_trace_set(catch_bind, NULL);
    mock_script(MOCK_SOCKET);
    FAIL_WITH(__wrap_socket, EAFNOSUPPORT);
    will_return(__wrap_socket, MOCK_REAL);
    mock_script(MOCK_BIND);
    will_return(__wrap_bind, 0);
    mock_script(MOCK_LISTEN);
    will_return(__wrap_listen, 0);

    fd = sock_listen_on(NULL, "0", AF_UNSPEC, 8, NULL);
    sock_trace_set(NULL, NULL);
    assert_true(fd >= 0);
    assert_int_equal(bind_events, 1);
    assert_int_equal(a->sin_family, AF_INET);
    assert_int_equal(a->sin_addr.s_addr, htonl(INADDR_ANY));
    assert_int_equal(mock_count[MOCK_SOCKET], 2);
    close(fd);
    assert_int_equal(mock_lowest_free_fd(), before);
}

static void listen_on_ipv4(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int lfd, c, s;

    (void)state;
    lfd = sock_listen_on("127.0.0.1", "0", AF_INET, 8, NULL);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(((struct sockaddr_in *)&ss)->sin_addr.s_addr,
                     htonl(INADDR_LOOPBACK));
    assert_true(port_of(&ss) != 0);
    assert_int_equal(int_opt(lfd, SOL_SOCKET, SO_REUSEADDR), 1);
    assert_blocking_cloexec(lfd);

    assert_int_equal(client_to(AF_INET, port_of(&ss), &c), 0);
    s = accept(lfd, NULL, NULL);
    assert_true(s >= 0);
    close(s);
    close(c);
    close(lfd);
}

/* A port another socket listens on: EADDRINUSE, the message names the
 * step and the address, and nothing is left open. */
static void listen_on_port_in_use(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int first, before;

    (void)state;
    first = sock_listen_on("127.0.0.1", "0", AF_INET, 8, NULL);
    assert_true(first >= 0);
    port_text(fd_port(first), port, sizeof port);
    before = mock_lowest_free_fd();

    memset(&why, 0, sizeof why);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", port, AF_INET, 8, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    assert_int_equal(why.gai, 0);
    snprintf(where, sizeof where, "127.0.0.1:%s", port);
    expect_err_msg(&why, "bind", where, EADDRINUSE);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(first);
}

/* The same on the dual-stack path: "bind [::]:PORT", and a real error is
 * not mistaken for "no IPv6" (no second try on 0.0.0.0). */
static void listen_on_dual_stack_port_in_use(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int first, before;

    (void)state;
    if (!ipv6_available())
        skip();
    first = sock_listen_on(NULL, "0", AF_UNSPEC, 8, NULL);
    assert_true(first >= 0);
    port_text(fd_port(first), port, sizeof port);
    before = mock_lowest_free_fd();
    mock_reset();

    errno = 0;
    assert_int_equal(sock_listen_on(NULL, port, AF_UNSPEC, 8, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    snprintf(where, sizeof where, "[::]:%s", port);
    expect_err_msg(&why, "bind", where, EADDRINUSE);
    assert_int_equal(mock_count[MOCK_SOCKET], 1);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(first);
}

static void listen_on_socket_failure(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_SOCKET);
    FAIL_WITH(__wrap_socket, EMFILE);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why), -1);
    assert_int_equal(errno, EMFILE);
    expect_err_msg(&why, "socket", "127.0.0.1:0", EMFILE);
    assert_int_equal(mock_lowest_free_fd(), before);
    assert_int_equal(mock_count[MOCK_FREEADDRINFO], 1);
}

static void listen_on_setsockopt_failure(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_SETSOCKOPT);
    FAIL_WITH(__wrap_setsockopt, ENOBUFS);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why), -1);
    assert_int_equal(errno, ENOBUFS);
    expect_err_msg(&why, "setsockopt SO_REUSEADDR", "127.0.0.1:0", ENOBUFS);
    assert_int_equal(mock_lowest_free_fd(), before);
    assert_int_equal(mock_count[MOCK_BIND], 0);
}

/* SO_OOBINLINE failing: named, nothing left open, nothing bound. */
static void listen_on_oobinline_failure(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_SETSOCKOPT);
    will_return(__wrap_setsockopt, MOCK_REAL);   /* SO_REUSEADDR */
    FAIL_WITH(__wrap_setsockopt, ENOPROTOOPT);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    expect_err_msg(&why, "setsockopt SO_OOBINLINE", "127.0.0.1:0", ENOPROTOOPT);
    assert_int_equal(mock_lowest_free_fd(), before);
    assert_int_equal(mock_count[MOCK_BIND], 0);
}

/* A connection accepted from sock_listen_on()'s socket inherits
 * SO_OOBINLINE: an urgent byte arrives in line. */
static void accepted_sockets_keep_urgent_bytes(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    struct sock_err why;
    char port[16], buf[8];
    int lfd, cfd, sfd, on = 0;
    socklen_t olen = sizeof on;

    (void)state;
    lfd = sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    port_text(port_of(&ss), port, sizeof port);
    cfd = sock_connect_to("127.0.0.1", port, AF_INET, 5000, &why);
    assert_true(cfd >= 0);
    sfd = sock_accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);
    assert_int_equal(getsockopt(sfd, SOL_SOCKET, SO_OOBINLINE, &on, &olen), 0);
    assert_true(on);
    assert_int_equal(send(cfd, "a", 1, 0), 1);
    assert_int_equal(send(cfd, "b", 1, MSG_OOB), 1);
    assert_int_equal(send(cfd, "c", 1, 0), 1);
    assert_int_equal(read_n(sfd, buf, 3, 5000), 3);
    assert_memory_equal(buf, "abc", 3);
    close(sfd);
    close(cfd);
    close(lfd);
}

/* The backlog the kernel honours: net.core.somaxconn on Linux. */
static void backlog_max_is_the_systems(void **state)
{
#ifdef __linux__
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    int want = 0;

    (void)state;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &want), 1);
    fclose(f);
    assert_int_equal(sock_backlog_max(), want);
#else
    (void)state;
    assert_true(sock_backlog_max() >= SOMAXCONN);
#endif
}

/* The second option, IPV6_V6ONLY, failing on a v6 address. */
static void listen_on_v6only_option_failure(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    if (!ipv6_available())
        skip();
    mock_script(MOCK_SETSOCKOPT);
    will_return(__wrap_setsockopt, MOCK_REAL);   /* SO_REUSEADDR */
    FAIL_WITH(__wrap_setsockopt, ENOPROTOOPT);
    errno = 0;
    assert_int_equal(sock_listen_on("::1", "0", AF_INET6, 8, &why), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    expect_err_msg(&why, "setsockopt IPV6_V6ONLY", "[::1]:0", ENOPROTOOPT);
    assert_int_equal(mock_lowest_free_fd(), before);
}

static void listen_on_bind_failure(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_BIND);
    FAIL_WITH(__wrap_bind, EACCES);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why), -1);
    assert_int_equal(errno, EACCES);
    expect_err_msg(&why, "bind", "127.0.0.1:0", EACCES);
    assert_int_equal(mock_lowest_free_fd(), before);
    assert_int_equal(mock_count[MOCK_LISTEN], 0);
}

static void listen_on_listen_failure(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_LISTEN);
    FAIL_WITH(__wrap_listen, EADDRINUSE);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    expect_err_msg(&why, "listen", "127.0.0.1:0", EADDRINUSE);
    assert_int_equal(mock_lowest_free_fd(), before);
}

/* The cleanup close failing too: the caller still sees the bind error.
 * A scripted close does not really close, so the test closes it after. */
static void listen_on_close_failure_keeps_errno(void **state)
{
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_BIND);
    FAIL_WITH(__wrap_bind, EACCES);
    mock_script(MOCK_CLOSE);
    FAIL_WITH(__wrap_close, EIO);
    errno = 0;
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, &why), -1);
    assert_int_equal(errno, EACCES);
    expect_err_msg(&why, "bind", "127.0.0.1:0", EACCES);
    assert_int_equal(mock_count[MOCK_CLOSE], 1);
    mock_reset();
    assert_int_equal(close(before), 0);   /* the socket the script kept */
}

/* Name resolution failing: its message and errno come through. */
static void listen_on_resolve_failure(void **state)
{
    struct sock_err why;
    char want[SOCK_ERR_MAX];

    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_NONAME);
    errno = 0;
    assert_int_equal(sock_listen_on("nosuch.invalid", "8080", AF_INET, 8, &why),
                     -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(why.gai, EAI_NONAME);
    snprintf(want, sizeof want, "resolve nosuch.invalid:8080: %s",
             gai_strerror(EAI_NONAME));
    assert_string_equal(why.msg, want);
    assert_int_equal(mock_count[MOCK_SOCKET], 0);
}

/* Every resolved address is tried until one binds; the failed attempt's
 * socket is closed. */
static void listen_on_tries_next_address(void **state)
{
    struct sockaddr_in a;
    int before = mock_lowest_free_fd(), fd;

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, 0);
    mock_gai_add((struct sockaddr *)&a, sizeof a);
    mock_gai_add((struct sockaddr *)&a, sizeof a);
    mock_script(MOCK_BIND);
    FAIL_WITH(__wrap_bind, EADDRNOTAVAIL);
    will_return(__wrap_bind, MOCK_REAL);

    fd = sock_listen_on("localhost", "0", AF_UNSPEC, 8, NULL);
    assert_true(fd >= 0);
    assert_int_equal(mock_count[MOCK_SOCKET], 2);
    assert_int_equal(mock_count[MOCK_LISTEN], 1);
    assert_int_equal(mock_count[MOCK_FREEADDRINFO], 1);
    assert_true(fd_port(fd) != 0);
    close(fd);
    assert_int_equal(mock_lowest_free_fd(), before);
}

/* All addresses fail: errno and message are the last one's. */
static void listen_on_all_addresses_fail(void **state)
{
    struct sockaddr_in a;
    struct sock_err why;
    int before = mock_lowest_free_fd();

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, 0);
    mock_gai_add((struct sockaddr *)&a, sizeof a);
    mock_gai_add((struct sockaddr *)&a, sizeof a);
    mock_script(MOCK_BIND);
    FAIL_WITH(__wrap_bind, EADDRNOTAVAIL);
    FAIL_WITH(__wrap_bind, EACCES);

    errno = 0;
    assert_int_equal(sock_listen_on("localhost", "0", AF_UNSPEC, 8, &why), -1);
    assert_int_equal(errno, EACCES);
    expect_err_msg(&why, "bind", "127.0.0.1:0", EACCES);
    assert_int_equal(mock_count[MOCK_FREEADDRINFO], 1);
    assert_int_equal(mock_lowest_free_fd(), before);
}

/* -6: IPv6 only.  IPV6_V6ONLY is on and a v4 client is refused, while a
 * v6 client gets in. */
static void listen_on_ipv6_only(void **state)
{
    int lfd, c4, c6, s;
    unsigned port;

    (void)state;
    if (!ipv6_available())
        skip();
    lfd = sock_listen_on(NULL, "0", AF_INET6, 8, NULL);
    assert_true(lfd >= 0);
    assert_int_equal(int_opt(lfd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    port = fd_port(lfd);

    errno = 0;
    assert_int_equal(client_to(AF_INET, port, &c4), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(c4);

    assert_int_equal(client_to(AF_INET6, port, &c6), 0);
    s = accept(lfd, NULL, NULL);
    assert_true(s >= 0);
    close(s);
    close(c6);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(listen_on_dual_stack, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_falls_back_to_ipv4, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_ipv4, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_port_in_use, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_dual_stack_port_in_use, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_socket_failure, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_setsockopt_failure, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_oobinline_failure, reset, reset),
        cmocka_unit_test_setup_teardown(accepted_sockets_keep_urgent_bytes, reset, reset),
        cmocka_unit_test_setup_teardown(backlog_max_is_the_systems, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_v6only_option_failure, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_bind_failure, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_listen_failure, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_close_failure_keeps_errno, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_resolve_failure, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_tries_next_address, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_all_addresses_fail, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_ipv6_only, reset, reset),
    };

    return cmocka_run_group_tests_name("sock_open listen", tests, NULL, NULL);
}
