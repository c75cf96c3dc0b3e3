/*
 * test_sock_calls.c - the eight thin wrappers: each passes the call's
 * result and errno through, and applies its EINTR policy (retry read,
 * write and accept; accept also on ECONNABORTED; never retry close or
 * connect).  Error paths are scripted with --wrap; happy paths use real
 * sockets.
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

/* socket: a failure comes back as -1 with the kernel's errno. */
static void socket_failure_keeps_errno(void **state)
{
    (void)state;
    mock_script(MOCK_SOCKET);
    will_return(__wrap_socket, -1);
    will_return(__wrap_socket, EMFILE);
    errno = 0;
    assert_int_equal(sock_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, EMFILE);
}

static void socket_real_gives_descriptor(void **state)
{
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(sock_close(fd), 0);
}

/* bind: a port that another listener holds is EADDRINUSE, for real. */
static void bind_port_in_use(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = sock_socket(AF_INET, SOCK_STREAM, 0);
    int two = sock_socket(AF_INET, SOCK_STREAM, 0);

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(sock_bind(one, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(sock_listen(one, 1), 0);
    assert_int_equal(getsockname(one, (struct sockaddr *)&a, &len), 0);
    errno = 0;
    assert_int_equal(sock_bind(two, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, EADDRINUSE);
    sock_close(one);
    sock_close(two);
}

static void listen_failure_keeps_errno(void **state)
{
    (void)state;
    mock_script(MOCK_LISTEN);
    will_return(__wrap_listen, -1);
    will_return(__wrap_listen, EOPNOTSUPP);
    assert_int_equal(sock_listen(3, 5), -1);
    assert_int_equal(errno, EOPNOTSUPP);
}

/* accept: EINTR and ECONNABORTED are retried, the next result returned. */
static void accept_retries_eintr_and_econnaborted(void **state)
{
    (void)state;
    mock_script(MOCK_ACCEPT);
    will_return(mock_accept, -1);
    will_return(mock_accept, EINTR);
    will_return(mock_accept, -1);
    will_return(mock_accept, ECONNABORTED);
    will_return(mock_accept, 7);
    assert_int_equal(sock_accept(3, NULL, NULL), 7);
    assert_int_equal(mock_count[MOCK_ACCEPT], 3);
}

/* accept: EAGAIN on a non-blocking listener is reported, not retried. */
static void accept_reports_eagain(void **state)
{
    (void)state;
    mock_script(MOCK_ACCEPT);
    will_return(mock_accept, -1);
    will_return(mock_accept, EAGAIN);
    assert_int_equal(sock_accept(3, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(mock_count[MOCK_ACCEPT], 1);
}

/* connect: never retried, not even after EINTR. */
static void connect_not_retried_on_eintr(void **state)
{
    struct sockaddr_in a;

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    mock_script(MOCK_CONNECT);
    will_return(__wrap_connect, -1);
    will_return(__wrap_connect, EINTR);
    assert_int_equal(sock_connect(3, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(mock_count[MOCK_CONNECT], 1);
}

/* read: EINTR retried; the bytes that then arrive are returned. */
static void read_retries_eintr(void **state)
{
    char buf[16];

    (void)state;
    mock_script(MOCK_RECV);
    mock_recv_feed("hi\n", 3);
    will_return(__wrap_recv, -1);
    will_return(__wrap_recv, EINTR);
    will_return(__wrap_recv, 3);
    assert_int_equal(sock_read(3, buf, sizeof buf), 3);
    assert_memory_equal(buf, "hi\n", 3);
    assert_int_equal(mock_count[MOCK_RECV], 2);
}

static void read_reports_econnreset_and_eagain(void **state)
{
    char buf[4];

    (void)state;
    mock_script(MOCK_RECV);
    will_return(__wrap_recv, -1);
    will_return(__wrap_recv, ECONNRESET);
    will_return(__wrap_recv, -1);
    will_return(__wrap_recv, EAGAIN);
    assert_int_equal(sock_read(3, buf, sizeof buf), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(sock_read(3, buf, sizeof buf), -1);
    assert_int_equal(errno, EAGAIN);
}

/* write: EINTR retried; a short write is returned as it is. */
static void write_retries_eintr_returns_short_count(void **state)
{
    (void)state;
    mock_script(MOCK_SEND);
    will_return(__wrap_send, -1);
    will_return(__wrap_send, EINTR);
    will_return(__wrap_send, 4);
    assert_int_equal(sock_write(3, "abcdefghij", 10), 4);
    assert_int_equal(mock_send_calls, 2);
    assert_memory_equal(mock_sent, "abcd", 4);
}

/* write to a peer that has gone: EPIPE, and the process is still here. */
static void write_to_closed_peer_is_epipe(void **state)
{
    int sv[2];
    ssize_t n;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sock_close(sv[1]);
    errno = 0;
    n = sock_write(sv[0], "x", 1);   /* no SIGPIPE: MSG_NOSIGNAL */
    assert_int_equal(n, -1);
    assert_int_equal(errno, EPIPE);
    sock_close(sv[0]);
}

/* close: called once, even when it says EINTR, and the errno kept. */
static void close_never_retried(void **state)
{
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);

    (void)state;
    assert_true(fd >= 0);
    mock_script(MOCK_CLOSE);
    will_return(__wrap_close, -1);
    will_return(__wrap_close, EINTR);
    assert_int_equal(sock_close(fd), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(mock_count[MOCK_CLOSE], 1);
    mock_reset();
    sock_close(fd);
}

static void close_bad_descriptor(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(sock_close(mock_lowest_free_fd()), -1);
    assert_int_equal(errno, EBADF);
}

/* A connected pair over loopback: *lfd listening, *cfd the client's
 * end, returned the server's end from sock_accept. */
static int loopback_pair(int *lfd, int *cfd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int sfd;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *lfd = sock_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*lfd >= 0);
    assert_int_equal(sock_bind(*lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(sock_listen(*lfd, 4), 0);
    assert_int_equal(getsockname(*lfd, (struct sockaddr *)&a, &len), 0);
    *cfd = sock_socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(sock_connect(*cfd, (struct sockaddr *)&a, sizeof a), 0);
    sfd = sock_accept(*lfd, NULL, NULL);
    assert_true(sfd >= 0);
    return sfd;
}

/* accept: the new descriptor is close-on-exec from the start, so that a
 * program the server starts never inherits a client. */
static void accept_gives_close_on_exec(void **state)
{
    int lfd, cfd, sfd;

    (void)state;
    sfd = loopback_pair(&lfd, &cfd);
    assert_true(fcntl(sfd, F_GETFD) & FD_CLOEXEC);
    sock_close(sfd);
    sock_close(cfd);
    sock_close(lfd);
}

/* shutdown(SHUT_WR): the peer reads EOF, yet both ends still carry
 * bytes the other way: the half of close the article leaves out. */
static void shutdown_half_closes(void **state)
{
    int lfd, cfd, sfd;
    char buf[16];

    (void)state;
    sfd = loopback_pair(&lfd, &cfd);
    assert_int_equal(sock_shutdown(cfd, SHUT_WR), 0);
    assert_int_equal(sock_read(sfd, buf, sizeof buf), 0);      /* EOF */
    assert_int_equal(sock_write(sfd, "still\n", 6), 6);
    assert_int_equal(sock_read(cfd, buf, sizeof buf), 6);
    assert_memory_equal(buf, "still\n", 6);
    errno = 0;
    assert_int_equal(sock_write(cfd, "x", 1), -1);             /* our half */
    assert_int_equal(errno, EPIPE);
    sock_close(sfd);
    sock_close(cfd);
    sock_close(lfd);
}

/* shutdown on a socket that is not connected: ENOTCONN, as the call says. */
static void shutdown_not_connected(void **state)
{
    int fd = sock_socket(AF_INET, SOCK_STREAM, 0);

    (void)state;
    errno = 0;
    assert_int_equal(sock_shutdown(fd, SHUT_WR), -1);
    assert_int_equal(errno, ENOTCONN);
    sock_close(fd);
}

/* The article's whole sequence over loopback, port chosen by the kernel. */
static void eight_calls_over_loopback(void **state)
{
    struct sockaddr_in a, peer;
    socklen_t len = sizeof a, plen = sizeof peer;
    char buf[16];
    int lfd, cfd, sfd;

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = sock_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(sock_bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(sock_listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    assert_true(ntohs(a.sin_port) != 0);

    cfd = sock_socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(sock_connect(cfd, (struct sockaddr *)&a, sizeof a), 0);
    sfd = sock_accept(lfd, (struct sockaddr *)&peer, &plen);
    assert_true(sfd >= 0);
    assert_int_equal(plen, sizeof peer);
    assert_int_equal(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

    assert_int_equal(sock_write(sfd, "welcome!\n", 9), 9);
    assert_int_equal(sock_read(cfd, buf, sizeof buf), 9);
    assert_memory_equal(buf, "welcome!\n", 9);
    assert_int_equal(sock_close(cfd), 0);
    assert_int_equal(sock_read(sfd, buf, sizeof buf), 0);   /* EOF */
    assert_int_equal(sock_close(sfd), 0);
    assert_int_equal(sock_close(lfd), 0);
}

/* recvfrom and sendto, UDP's pair: EINTR retried as read and write do. */
static void datagram_calls_retry_eintr(void **state)
{
    char buf[16];
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    struct sockaddr_in to;

    (void)state;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    mock_script(MOCK_RECVFROM);
    mock_recv_feed("dgram\n", 6);
    will_return(__wrap_recvfrom, -1);
    will_return(__wrap_recvfrom, EINTR);
    will_return(__wrap_recvfrom, 6);
    assert_int_equal(sock_recvfrom(3, buf, sizeof buf, (struct sockaddr *)&ss,
                                   &len), 6);
    assert_memory_equal(buf, "dgram\n", 6);
    assert_int_equal(mock_count[MOCK_RECVFROM], 2);

    mock_script(MOCK_SENDTO);
    will_return(__wrap_sendto, -1);
    will_return(__wrap_sendto, EINTR);
    will_return(__wrap_sendto, 6);
    will_return(__wrap_sendto, -1);
    will_return(__wrap_sendto, EMSGSIZE);
    assert_int_equal(sock_sendto(3, "dgram\n", 6, (struct sockaddr *)&to,
                                 sizeof to), 6);
    assert_int_equal(mock_count[MOCK_SENDTO], 2);
    assert_memory_equal(mock_sent, "dgram\n", 6);
    errno = 0;
    assert_int_equal(sock_sendto(3, "x", 1, (struct sockaddr *)&to, sizeof to),
                     -1);
    assert_int_equal(errno, EMSGSIZE);
    assert_int_equal(mock_count[MOCK_SENDTO], 3);   /* not retried */
}

/* A real UDP pair: one datagram each way, with the sender's address. */
static void datagram_calls_on_loopback(void **state)
{
    struct sockaddr_in a, from;
    socklen_t len = sizeof a, flen = sizeof from;
    char buf[8];
    int s = sock_udp_open("127.0.0.1", "0", AF_INET, NULL), c;
    char port[16];

    (void)state;
    assert_true(s >= 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    c = sock_udp_connect("127.0.0.1", port, AF_INET, NULL);
    assert_true(c >= 0);
    assert_int_equal(sock_write(c, "one", 3), 3);
    /* One byte of room: the rest of the datagram is lost, not kept. */
    assert_int_equal(sock_recvfrom(s, buf, 1, (struct sockaddr *)&from,
                                   &flen), 1);
    assert_int_equal(buf[0], 'o');
    assert_int_equal(sock_sendto(s, "two", 3, (struct sockaddr *)&from, flen),
                     3);
    assert_int_equal(sock_read(c, buf, sizeof buf), 3);
    assert_memory_equal(buf, "two", 3);
    sock_close(c);
    sock_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(socket_failure_keeps_errno),
        mock_unit_test(socket_real_gives_descriptor),
        mock_unit_test(bind_port_in_use),
        mock_unit_test(listen_failure_keeps_errno),
        mock_unit_test(accept_retries_eintr_and_econnaborted),
        mock_unit_test(accept_reports_eagain),
        mock_unit_test(connect_not_retried_on_eintr),
        mock_unit_test(read_retries_eintr),
        mock_unit_test(read_reports_econnreset_and_eagain),
        mock_unit_test(write_retries_eintr_returns_short_count),
        mock_unit_test(write_to_closed_peer_is_epipe),
        mock_unit_test(close_never_retried),
        mock_unit_test(close_bad_descriptor),
        mock_unit_test(accept_gives_close_on_exec),
        mock_unit_test(shutdown_half_closes),
        mock_unit_test(shutdown_not_connected),
        mock_unit_test(eight_calls_over_loopback),
        mock_unit_test(datagram_calls_retry_eintr),
        mock_unit_test(datagram_calls_on_loopback),
    };

    return cmocka_run_group_tests_name("sock_calls", tests, NULL, NULL);
}
