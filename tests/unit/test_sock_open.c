/*
 * test_sock_open.c - the opening sequences: sock_listen_on (dual stack,
 * v6-only, every failing step), sock_connect_to (loopback success,
 * refusal, fallback to the next address, timeout, SO_ERROR, EINTR) and
 * sock_set_nonblock.  Real sockets on 127.0.0.1 / ::1 with kernel-chosen
 * ports; failures scripted with --wrap.
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

/* A loopback socket of `family` on a kernel-chosen port, listening or
 * not; *ss receives its address.  Bound but not listening, it reserves a
 * port where connections are refused. */
static int loopback_socket(int family, int do_listen,
                           struct sockaddr_storage *ss, socklen_t *len)
{
    int fd = socket(family, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        *len = sizeof *a;
    }
    assert_int_equal(bind(fd, (struct sockaddr *)ss, *len), 0);
    if (do_listen)
        assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)ss, len), 0);
    return fd;
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET
               ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
               : ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static unsigned fd_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    return port_of(&ss);
}

static void port_text(unsigned port, char *out, size_t size)
{
    snprintf(out, size, "%u", port);
}

/* Can this machine bind ::1 at all? */
static int ipv6_available(void)
{
    struct sockaddr_in6 a;
    int fd = socket(AF_INET6, SOCK_STREAM, 0), ok;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
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

/* The contract for every descriptor these helpers return: blocking,
 * close-on-exec, urgent bytes kept in the stream. */
static void assert_blocking_cloexec(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;

    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, &len), 0);
    assert_true(on);
}

static void expect_msg(const struct sock_err *why, const char *step,
                       const char *where, int err)
{
    char want[SOCK_ERR_MAX];

    snprintf(want, sizeof want, "%s %s: %s", step, where, strerror(err));
    assert_string_equal(why->msg, want);
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
    expect_msg(&why, "bind", where, EADDRINUSE);
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
    expect_msg(&why, "bind", where, EADDRINUSE);
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
    expect_msg(&why, "socket", "127.0.0.1:0", EMFILE);
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
    expect_msg(&why, "setsockopt SO_REUSEADDR", "127.0.0.1:0", ENOBUFS);
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
    expect_msg(&why, "setsockopt SO_OOBINLINE", "127.0.0.1:0", ENOPROTOOPT);
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
    expect_msg(&why, "setsockopt IPV6_V6ONLY", "[::1]:0", ENOPROTOOPT);
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
    expect_msg(&why, "bind", "127.0.0.1:0", EACCES);
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
    expect_msg(&why, "listen", "127.0.0.1:0", EADDRINUSE);
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
    expect_msg(&why, "bind", "127.0.0.1:0", EACCES);
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
    expect_msg(&why, "bind", "127.0.0.1:0", EACCES);
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

/* ---------------------------------------------------------------- */
/* sock_connect_to                                                  */
/* ---------------------------------------------------------------- */

/* A real handshake; the result is connected, blocking and close-on-exec. */
static void connect_to_loopback(int family, const char *host)
{
    struct sockaddr_storage ss, peer;
    socklen_t len, plen = sizeof peer;
    struct sock_err why;
    char port[16], buf[4];
    int lfd, fd, s;

    lfd = loopback_socket(family, 1, &ss, &len);
    port_text(port_of(&ss), port, sizeof port);
    fd = sock_connect_to(host, port, AF_UNSPEC, 5000, &why);
    assert_true(fd >= 0);
    assert_blocking_cloexec(fd);
    assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &plen), 0);
    assert_int_equal(peer.ss_family, family);
    assert_int_equal(port_of(&peer), port_of(&ss));

    s = accept(lfd, NULL, NULL);
    assert_true(s >= 0);
    assert_int_equal(sock_write_all(fd, "hi!", 3, NULL), 0);
    assert_int_equal(sock_read(s, buf, sizeof buf), 3);
    assert_memory_equal(buf, "hi!", 3);
    close(s);
    close(fd);
    close(lfd);
}

static void connect_to_ipv4(void **state)
{
    (void)state;
    connect_to_loopback(AF_INET, "127.0.0.1");
}

static void connect_to_ipv6(void **state)
{
    (void)state;
    if (!ipv6_available())
        skip();
    connect_to_loopback(AF_INET6, "::1");
}

/* Nobody listens: ECONNREFUSED, the message, and no descriptor left. */
static void connect_to_refused(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct sock_err why;
    char port[16], where[64];
    int reserve, before;

    (void)state;
    reserve = loopback_socket(AF_INET, 0, &ss, &len);
    port_text(port_of(&ss), port, sizeof port);
    before = mock_lowest_free_fd();
    why.gai = 77;
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, &why), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_int_equal(why.gai, 0);
    snprintf(where, sizeof where, "127.0.0.1:%s", port);
    expect_msg(&why, "connect", where, ECONNREFUSED);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* Two addresses: the first refuses, the second answers.  The first
 * attempt's socket is closed; only the result stays open. */
static void connect_to_second_address(void **state)
{
    struct sockaddr_storage closed, listening, peer;
    socklen_t clen, olen, plen = sizeof peer;
    int reserve, lfd, before, fd, s;

    (void)state;
    reserve = loopback_socket(AF_INET, 0, &closed, &clen);
    lfd = loopback_socket(AF_INET, 1, &listening, &olen);
    before = mock_lowest_free_fd();
    mock_reset();   /* count only the calls sock_connect_to makes */
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, 0);
    mock_gai_add((struct sockaddr *)&closed, clen);
    mock_gai_add((struct sockaddr *)&listening, olen);

    fd = sock_connect_to("localhost", "0", AF_UNSPEC, 5000, NULL);
    assert_true(fd >= 0);
    assert_int_equal(mock_count[MOCK_SOCKET], 2);
    assert_int_equal(mock_count[MOCK_CONNECT], 2);
    assert_int_equal(mock_count[MOCK_FREEADDRINFO], 1);
    assert_int_equal(getpeername(fd, (struct sockaddr *)&peer, &plen), 0);
    assert_int_equal(port_of(&peer), port_of(&listening));
    assert_blocking_cloexec(fd);
    s = accept(lfd, NULL, NULL);
    assert_true(s >= 0);
    close(s);
    close(fd);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(lfd);
    close(reserve);
}

/* Every address fails: errno and message are the last failure's. */
static void connect_to_errno_from_last_address(void **state)
{
    struct sockaddr_storage closed;
    socklen_t clen;
    struct sock_err why;
    char where[64];
    int reserve, before;

    (void)state;
    reserve = loopback_socket(AF_INET, 0, &closed, &clen);
    before = mock_lowest_free_fd();
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, 0);
    mock_gai_add((struct sockaddr *)&closed, clen);
    mock_gai_add((struct sockaddr *)&closed, clen);
    mock_script(MOCK_SOCKET);
    FAIL_WITH(__wrap_socket, EMFILE);
    will_return(__wrap_socket, MOCK_REAL);

    errno = 0;
    assert_int_equal(sock_connect_to("localhost", "0", AF_UNSPEC, 5000, &why),
                     -1);
    assert_int_equal(errno, ECONNREFUSED);
    snprintf(where, sizeof where, "127.0.0.1:%u", port_of(&closed));
    expect_msg(&why, "connect", where, ECONNREFUSED);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* Connect steps below are scripted against a reserved (non-listening)
 * loopback port, so a real connect could only be refused. */
static int reserve_port(char *port, size_t size, char *where, size_t wsize)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = loopback_socket(AF_INET, 0, &ss, &len);

    port_text(port_of(&ss), port, size);
    snprintf(where, wsize, "127.0.0.1:%s", port);
    return fd;
}

/* The handshake outlasts the timeout (poll says 0): ETIMEDOUT. */
static void connect_to_timeout(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, EINPROGRESS);
    mock_script(MOCK_POLL);
    will_return(__wrap_poll, 0);
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 100, &why), -1);
    assert_int_equal(errno, ETIMEDOUT);
    expect_msg(&why, "connect", where, ETIMEDOUT);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* Writable, but SO_ERROR says the handshake failed. */
static void connect_to_so_error(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, EINPROGRESS);
    mock_script(MOCK_POLL);
    will_return(__wrap_poll, 1);
    mock_script(MOCK_GETSOCKOPT);
    will_return(__wrap_getsockopt, 0);
    will_return(__wrap_getsockopt, ECONNREFUSED);   /* the SO_ERROR value */
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, &why),
                     -1);
    assert_int_equal(errno, ECONNREFUSED);
    expect_msg(&why, "connect", where, ECONNREFUSED);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* getsockopt itself failing is a failure too, with its errno. */
static void connect_to_getsockopt_failure(void **state)
{
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, EINPROGRESS);
    mock_script(MOCK_POLL);
    will_return(__wrap_poll, 1);
    mock_script(MOCK_GETSOCKOPT);
    FAIL_WITH(__wrap_getsockopt, ENOBUFS);
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, NULL),
                     -1);
    assert_int_equal(errno, ENOBUFS);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* A signal during the wait: poll is called again, and the connection
 * that then completes is returned, blocking again. */
static void connect_to_poll_eintr_then_ready(void **state)
{
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int fd;

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, EINPROGRESS);
    mock_script(MOCK_POLL);
    FAIL_WITH(__wrap_poll, EINTR);
    will_return(__wrap_poll, 1);
    mock_script(MOCK_GETSOCKOPT);
    will_return(__wrap_getsockopt, 0);
    will_return(__wrap_getsockopt, 0);   /* SO_ERROR: connected */
    fd = sock_connect_to("127.0.0.1", port, AF_INET, 5000, NULL);
    assert_true(fd >= 0);
    assert_int_equal(mock_count[MOCK_POLL], 2);
    mock_reset();                        /* real getsockopt to check fd */
    assert_blocking_cloexec(fd);
    close(fd);
    close(reserve);
}

/* poll failing otherwise is reported, not retried. */
static void connect_to_poll_failure(void **state)
{
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, EINPROGRESS);
    mock_script(MOCK_POLL);
    FAIL_WITH(__wrap_poll, ENOMEM);
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, NULL),
                     -1);
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(mock_count[MOCK_POLL], 1);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* connect interrupted: the handshake goes on, so it is waited for with
 * poll, never started again with a second connect. */
static void connect_to_connect_eintr_waits(void **state)
{
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int fd;

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, EINTR);
    mock_script(MOCK_POLL);
    will_return(__wrap_poll, 1);
    mock_script(MOCK_GETSOCKOPT);
    will_return(__wrap_getsockopt, 0);
    will_return(__wrap_getsockopt, 0);
    fd = sock_connect_to("127.0.0.1", port, AF_INET, 5000, NULL);
    assert_true(fd >= 0);
    assert_int_equal(mock_count[MOCK_CONNECT], 1);
    assert_int_equal(mock_count[MOCK_POLL], 1);
    close(fd);
    close(reserve);
}

/* An immediate failure (not EINPROGRESS) is not waited for. */
static void connect_to_immediate_failure(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, ENETUNREACH);
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, &why),
                     -1);
    assert_int_equal(errno, ENETUNREACH);
    expect_msg(&why, "connect", where, ENETUNREACH);
    assert_int_equal(mock_count[MOCK_POLL], 0);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* The cleanup close failing too: errno is still the connect error. */
static void connect_to_close_failure_keeps_errno(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, ENETUNREACH);
    mock_script(MOCK_CLOSE);
    FAIL_WITH(__wrap_close, EIO);
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, &why),
                     -1);
    assert_int_equal(errno, ENETUNREACH);
    expect_msg(&why, "connect", where, ENETUNREACH);
    assert_int_equal(mock_count[MOCK_CLOSE], 1);
    mock_reset();
    assert_int_equal(close(before), 0);   /* the socket the script kept */
    close(reserve);
}

static void connect_to_socket_failure(void **state)
{
    struct sock_err why;
    char port[16], where[64];
    int reserve = reserve_port(port, sizeof port, where, sizeof where);
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_SOCKET);
    FAIL_WITH(__wrap_socket, EMFILE);
    errno = 0;
    assert_int_equal(sock_connect_to("127.0.0.1", port, AF_INET, 5000, &why),
                     -1);
    assert_int_equal(errno, EMFILE);
    expect_msg(&why, "socket", where, EMFILE);
    assert_int_equal(mock_count[MOCK_CONNECT], 0);
    assert_int_equal(mock_lowest_free_fd(), before);
    close(reserve);
}

/* A resolve failure passes its text, code and errno through. */
static void connect_to_resolve_failure(void **state)
{
    struct sock_err why;
    char want[SOCK_ERR_MAX];
    int before = mock_lowest_free_fd();

    (void)state;
    mock_script(MOCK_GETADDRINFO);
    will_return(__wrap_getaddrinfo, EAI_NONAME);
    errno = 0;
    assert_int_equal(sock_connect_to("nosuch.invalid", "8080", AF_UNSPEC, 5000,
                                     &why), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(why.gai, EAI_NONAME);
    snprintf(want, sizeof want, "resolve nosuch.invalid:8080: %s",
             gai_strerror(EAI_NONAME));
    assert_string_equal(why.msg, want);
    assert_int_equal(mock_count[MOCK_SOCKET], 0);
    assert_int_equal(mock_lowest_free_fd(), before);
}

/* ---------------------------------------------------------------- */
/* sock_set_nonblock                                                */
/* ---------------------------------------------------------------- */

static void set_nonblock_toggles(void **state)
{
    int sv[2], base;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    base = fcntl(sv[0], F_GETFL);
    assert_int_equal(base & O_NONBLOCK, 0);

    assert_int_equal(sock_set_nonblock(sv[0], 1), 0);
    assert_int_equal(fcntl(sv[0], F_GETFL), base | O_NONBLOCK);
    assert_int_equal(sock_set_nonblock(sv[0], 1), 0);   /* idempotent */
    assert_int_equal(fcntl(sv[0], F_GETFL), base | O_NONBLOCK);
    assert_int_equal(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);   /* one end only */

    assert_int_equal(sock_set_nonblock(sv[0], 0), 0);
    assert_int_equal(fcntl(sv[0], F_GETFL), base);
    close(sv[0]);
    close(sv[1]);
}

static void set_nonblock_bad_fd(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(sock_set_nonblock(mock_lowest_free_fd(), 1), -1);
    assert_int_equal(errno, EBADF);
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
        cmocka_unit_test_setup_teardown(connect_to_ipv4, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_ipv6, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_refused, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_second_address, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_errno_from_last_address, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_timeout, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_so_error, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_getsockopt_failure, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_poll_eintr_then_ready, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_poll_failure, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_connect_eintr_waits, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_immediate_failure, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_close_failure_keeps_errno, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_socket_failure, reset, reset),
        cmocka_unit_test_setup_teardown(connect_to_resolve_failure, reset, reset),
        cmocka_unit_test_setup_teardown(set_nonblock_toggles, reset, reset),
        cmocka_unit_test_setup_teardown(set_nonblock_bad_fd, reset, reset),
    };

    return cmocka_run_group_tests_name("sock_open", tests, NULL, NULL);
}
