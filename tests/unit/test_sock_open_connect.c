/*
 * test_sock_open_connect.c - the connecting half of the opening
 * sequences (src/libsock/sock_open.c): sock_connect_to (loopback success,
 * refusal, fallback to the next address, timeout, SO_ERROR, EINTR) and
 * sock_set_nonblock.  Real sockets on 127.0.0.1 / ::1 with kernel-chosen
 * ports; failures scripted with --wrap.  The listening half is in
 * test_sock_open_listen.c.
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
    expect_err_msg(&why, "connect", where, ECONNREFUSED);
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
    expect_err_msg(&why, "connect", where, ECONNREFUSED);
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
    expect_err_msg(&why, "connect", where, ETIMEDOUT);
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
    expect_err_msg(&why, "connect", where, ECONNREFUSED);
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
    expect_err_msg(&why, "connect", where, ENETUNREACH);
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
    expect_err_msg(&why, "connect", where, ENETUNREACH);
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
    expect_err_msg(&why, "socket", where, EMFILE);
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
        mock_unit_test(connect_to_ipv4),
        mock_unit_test(connect_to_ipv6),
        mock_unit_test(connect_to_refused),
        mock_unit_test(connect_to_second_address),
        mock_unit_test(connect_to_errno_from_last_address),
        mock_unit_test(connect_to_timeout),
        mock_unit_test(connect_to_so_error),
        mock_unit_test(connect_to_getsockopt_failure),
        mock_unit_test(connect_to_poll_eintr_then_ready),
        mock_unit_test(connect_to_poll_failure),
        mock_unit_test(connect_to_connect_eintr_waits),
        mock_unit_test(connect_to_immediate_failure),
        mock_unit_test(connect_to_close_failure_keeps_errno),
        mock_unit_test(connect_to_socket_failure),
        mock_unit_test(connect_to_resolve_failure),
        mock_unit_test(set_nonblock_toggles),
        mock_unit_test(set_nonblock_bad_fd),
    };

    return cmocka_run_group_tests_name("sock_open connect", tests, NULL, NULL);
}
