/*
 * net.c - sockets, descriptors read and written with a deadline, and the
 * exchange with tcp-server (net.h).  Failures inside are test failures
 * (cmocka asserts).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "env.h"
#include "net.h"

size_t read_until(int fd, char *buf, size_t cap, const char *needle,
                  int timeout_ms)
{
    long long end = ms_now() + timeout_ms;
    size_t n = 0;

    buf[0] = '\0';
    while (n + 1 < cap) {
        struct pollfd pf = { fd, POLLIN, 0 };
        long long left = end - ms_now();
        ssize_t r;

        if (needle != NULL && strstr(buf, needle) != NULL)
            break;
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            break;
        r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
    }
    return n;
}

size_t read_n(int fd, char *buf, size_t n, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;
    size_t got = 0;

    while (got < n) {
        struct pollfd pf = { fd, POLLIN, 0 };
        long long left = end - ms_now();
        ssize_t r;

        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            break;
        r = read(fd, buf + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

int read_eof(int fd, int timeout_ms)
{
    struct pollfd pf = { fd, POLLIN, 0 };
    char c;

    if (poll(&pf, 1, timeout_ms) <= 0)
        return 0;
    return read(fd, &c, 1) <= 0;
}

int write_full(int fd, const void *buf, size_t len, int timeout_ms)
{
    const char *b = buf;
    long long end = ms_now() + timeout_ms;

    while (len > 0) {
        struct pollfd pf = { fd, POLLOUT, 0 };
        long long left = end - ms_now();
        ssize_t r;

        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            return -1;
        r = write(fd, b, len);
        if (r <= 0)
            return -1;
        b += r;
        len -= (size_t)r;
    }
    return 0;
}

int loopback_listener(int backlog, int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = sock_listen_on("127.0.0.1", "0", AF_INET, backlog, NULL);

    assert_true(fd >= 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

int connect_port(const char *host, int port)
{
    char ps[16];
    struct sock_err why;
    int fd;

    snprintf(ps, sizeof ps, "%d", port);
    fd = sock_connect_to(host, ps, AF_UNSPEC, 5000, &why);
    if (fd == -1)
        fail_msg("connect %s:%d: %s", host, port, why.msg);
    return fd;
}

int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int refusing_socket(int family, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in);
    int fd = socket(family, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(family == AF_INET6
                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
                      : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

void close_with_reset(int fd)
{
    struct linger lg = { 1, 0 };

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

struct sockaddr_in v4(const char *ip, unsigned port)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

#define STEP_MS 5000   /* the longest one step of an exchange may take */

void expect_mem(int fd, const char *want, size_t len)
{
    char *buf = malloc(len + 1);
    size_t n;

    assert_non_null(buf);
    n = read_n(fd, buf, len, STEP_MS);
    if (n != len || memcmp(buf, want, len) != 0) {
        fail_msg("expected %zu bytes '%.*s', got %zu: '%.*s'", len,
                 (int)(len > 200 ? 200 : len), want, n,
                 (int)(n > 200 ? 200 : n), buf);
    }
    free(buf);
}

void expect_str(int fd, const char *want)
{
    expect_mem(fd, want, strlen(want));
}

void send_mem(int fd, const void *buf, size_t len)
{
    assert_int_equal(write_full(fd, buf, len, STEP_MS), 0);
}

void send_str(int fd, const char *s)
{
    send_mem(fd, s, strlen(s));
}

int client(int port)
{
    int fd = connect_port("127.0.0.1", port);

    expect_str(fd, "welcome!\n");
    return fd;
}

int client_when_free(int port)
{
    long long end = ms_now() + STEP_MS;

    while (ms_now() < end) {
        int fd = connect_port("127.0.0.1", port);
        char buf[9];

        if (read_n(fd, buf, 9, STEP_MS) == 9 &&
            memcmp(buf, "welcome!\n", 9) == 0)
            return fd;
        close(fd);
        sleep_ms(20);
    }
    fail_msg("no free slot within %d ms", STEP_MS);
    return -1;
}

void echo_within(int fd, const char *line, long limit_ms)
{
    long long t0 = ms_now();

    send_str(fd, line);
    expect_str(fd, line);
    if (ms_now() - t0 >= limit_ms)
        fail_msg("echo took %lld ms", ms_now() - t0);
}

void local_name(int fd, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(sock_addr_text((struct sockaddr *)&ss, len, out, size), 0);
}

void expect_fin(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char c;
    ssize_t n;

    if (poll(&p, 1, STEP_MS) != 1)
        fail_msg("the peer did not close within %d ms", STEP_MS);
    n = read(fd, &c, 1);
    if (n == 1)
        fail_msg("expected the end, got the byte 0x%02x", (unsigned char)c);
    if (n == -1)
        fail_msg("expected FIN, got %s", strerror(errno));
}

void expect_clean_close(int fd)
{
    int i, err = 0;
    socklen_t len = sizeof err;

    expect_fin(fd);
    for (i = 0; i < 6; i++) {
        if (send(fd, "x", 1, MSG_NOSIGNAL) == -1)
            fail_msg("reset after the server's FIN: send: %s",
                     strerror(errno));
        sleep_ms(50);
    }
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    if (err != 0)
        fail_msg("reset after the server's FIN: %s", strerror(err));
}

unsigned port_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET
               ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
               : ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

void port_text(unsigned port, char *out, size_t size)
{
    snprintf(out, size, "%u", port);
}

int ipv6_available(void)
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

void assert_blocking_cloexec(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;

    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, &len), 0);
    assert_true(on);
}

void expect_err_msg(const struct sock_err *why, const char *step,
                    const char *where, int err)
{
    char want[SOCK_ERR_MAX];

    snprintf(want, sizeof want, "%s %s: %s", step, where, strerror(err));
    assert_string_equal(why->msg, want);
}
