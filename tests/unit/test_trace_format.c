/*
 * test_trace_format.c - trace mode's lines (libsock(3), Trace) and the TCP
 * states behind them: sock_trace_format() writes each event the way the
 * article writes its C calls, with errno by name, payloads escaped and
 * cut, the real system call named; sock_tcp_state() reports LISTEN (with
 * the accept queue), ESTABLISHED, FIN_WAIT, CLOSE_WAIT as the kernel
 * moves a real loopback connection through them.
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
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "env.h"
#include "net.h"

static char line[SOCK_TRACE_LINE_MAX];

/* Format ev into `line` and return it. */
static const char *fmt(const struct sock_trace_event *ev)
{
    size_t n = sock_trace_format(ev, line, sizeof line);

    assert_int_equal(n, strlen(line));
    return line;
}

static struct sock_trace_event event(const char *call, int fd,
                                     const char *args, long result, int err)
{
    struct sock_trace_event ev;

    memset(&ev, 0, sizeof ev);
    ev.call = call;
    ev.fd = fd;
    ev.args = args;
    ev.result = result;
    ev.err = err;
    return ev;
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Poll the state of fd until it is `want` (the peer's packets take a
 * moment), at most 2 s; returns the last state's name. */
static const char *state_becomes(int fd, const char *want)
{
    static struct sock_tcp_info ti;
    long long end = ms_now() + 2000;

    do {
        assert_int_equal(sock_tcp_state(fd, &ti), 0);
        if (strcmp(ti.name, want) == 0)
            break;
        sleep_ms(5);
    } while (ms_now() < end);
    return ti.name;
}

static void socket_line(void **state)
{
    struct sock_trace_event ev = event("socket", -1,
                                       "AF_INET6, SOCK_STREAM, IPPROTO_TCP", 3, 0);

    (void)state;
    assert_string_equal(fmt(&ev), "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = 3");
    ev.result = -1;
    ev.err = EMFILE;
    assert_string_equal(fmt(&ev),
                        "socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP) = -1 "
                        "EMFILE (Too many open files)");
}

/* A hook that keeps the last line formatted. */
static void capture(const struct sock_trace_event *ev, void *arg)
{
    (void)arg;
    if (strcmp(ev->call, "close-before") != 0)
        (void)sock_trace_format(ev, line, sizeof line);
}

/* The protocol is named in words when the wrapper is traced for real. */
static void socket_traced_in_words(void **state)
{
    struct addrinfo *ai;
    int fd;

    (void)state;
    ai = sock_resolve("127.0.0.1", "0", AF_INET, 0, NULL);
    assert_non_null(ai);
    sock_trace_set(capture, NULL);
    fd = sock_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    sock_trace_set(NULL, NULL);
    freeaddrinfo(ai);
    assert_true(fd >= 0);
    close(fd);
    {
        char want[80];
        snprintf(want, sizeof want, "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = %d", fd);
        assert_string_equal(line, want);
    }
}

static void bind_and_errno_names(void **state)
{
    struct sockaddr_in a = loopback(8080);
    struct sock_trace_event ev = event("bind", 3, "", 0, 0);

    (void)state;
    ev.addr = (struct sockaddr *)&a;
    ev.addrlen = sizeof a;
    assert_string_equal(fmt(&ev), "bind(3, 127.0.0.1:8080) = 0");
    ev.result = -1;
    ev.err = EADDRINUSE;
    assert_string_equal(fmt(&ev), "bind(3, 127.0.0.1:8080) = -1 EADDRINUSE "
                                  "(Address already in use)");
    ev = event("connect", 9, "", -1, ECONNREFUSED);
    ev.addr = (struct sockaddr *)&a;
    ev.addrlen = sizeof a;
    assert_string_equal(fmt(&ev), "connect(9, 127.0.0.1:8080) = -1 "
                                  "ECONNREFUSED (Connection refused)");
    /* An errno without a name here still says what it is. */
    ev.err = EDOM;
    assert_non_null(strstr(fmt(&ev), " = -1 errno "));
}

static void read_write_lines(void **state)
{
    struct sock_trace_event ev = event("read", 4, "8192", 6, 0);

    (void)state;
    ev.data = "hello\n";
    ev.len = 6;
    ev.sys = "recv";
    assert_string_equal(fmt(&ev), "read(4, 8192) = 6 \"hello\\n\"  (recv)");

    ev = event("write", 4, "9", 9, 0);
    ev.data = "welcome!\n";
    ev.len = 9;
    ev.sys = "send";
    assert_string_equal(fmt(&ev), "write(4, \"welcome!\\n\", 9) = 9  (send)");

    /* A short write: the bytes offered, and how many were taken. */
    ev.result = 4;
    assert_string_equal(fmt(&ev), "write(4, \"welcome!\\n\", 9) = 4  (send)");

    ev = event("read", 4, "8192", 0, 0);
    assert_string_equal(fmt(&ev), "read(4, 8192) = 0 end of file: the peer sent FIN");

    ev = event("read", 4, "8192", -1, EAGAIN);
    assert_string_equal(fmt(&ev), "read(4, 8192) = -1 EAGAIN (nothing to do "
                                  "now: the socket is non-blocking)");

    /* A call the wrapper repeats by itself says so. */
    ev = event("read", 4, "8192", -1, EINTR);
    ev.sys = "recv";
    assert_string_equal(fmt(&ev), "read(4, 8192) = -1 EINTR (Interrupted "
                                  "system call), retrying  (recv)");
    ev = event("accept", 3, "", -1, ECONNABORTED);
    assert_non_null(strstr(fmt(&ev), "ECONNABORTED"));
    assert_non_null(strstr(line, ", retrying"));
}

/* Bytes that could drive a terminal are escaped; long payloads cut. */
static void payload_escaped_and_cut(void **state)
{
    struct sock_trace_event ev = event("read", 4, "8192", 7, 0);
    char big[300];

    (void)state;
    ev.data = "a\x01\x1b\"\\\t\xe4";
    ev.len = 7;
    assert_string_equal(fmt(&ev), "read(4, 8192) = 7 \"a\\x01\\x1b\\\"\\\\\\t\\xe4\"");
    ev.data = "\0\r\n";
    ev.len = 3;
    ev.result = 3;
    assert_string_equal(fmt(&ev), "read(4, 8192) = 3 \"\\x00\\r\\n\"");

    memset(big, 'x', sizeof big);
    ev.data = big;
    ev.len = sizeof big;
    ev.result = sizeof big;
    fmt(&ev);
    {
        char want[120];
        snprintf(want, sizeof want, "read(4, 8192) = 300 \"%.40s\"...", big);
        assert_string_equal(line, want);
    }
    /* Even the worst bytes fit a line of SOCK_TRACE_LINE_MAX. */
    memset(big, 0xff, sizeof big);
    assert_true(sock_trace_format(&ev, line, sizeof line) < sizeof line);
}

/* A small buffer gets a cut, NUL-terminated line, never an overflow. */
static void small_buffer_cut(void **state)
{
    struct sock_trace_event ev = event("socket", -1,
                                       "AF_INET6, SOCK_STREAM, IPPROTO_TCP", 3, 0);
    char small[12];
    size_t n;

    (void)state;
    memset(small, '#', sizeof small);
    n = sock_trace_format(&ev, small, 8);
    assert_int_equal(n, 7);
    assert_string_equal(small, "socket(");
    assert_int_equal(small[8], '#');
    assert_int_equal(sock_trace_format(&ev, small, 0), 0);
}

static void close_lines(void **state)
{
    struct sock_trace_event ev = event("close-before", 4, "", 0, 0);

    (void)state;
    assert_int_equal(sock_trace_format(&ev, line, sizeof line), 0);
    assert_string_equal(line, "");
    ev = event("close", 4, "", 0, 0);
    assert_string_equal(fmt(&ev), "close(4) = 0");
    ev = event("shutdown", 99999, "SHUT_WR", -1, EBADF);
    assert_string_equal(fmt(&ev), "shutdown(99999, SHUT_WR) = -1 EBADF "
                                  "(Bad file descriptor)");
}

/* LISTEN with its accept queue; the kernel finishes handshakes without
 * accept() and counts them there. */
static void listener_state_and_queue(void **state)
{
    struct sock_tcp_info ti;
    struct sock_trace_event ev;
    int port, lfd = loopback_listener(3, &port), c1, c2;
    char want[80];

    (void)state;
    assert_int_equal(sock_tcp_state(lfd, &ti), 0);
    assert_string_equal(ti.name, "LISTEN");
    assert_int_equal(ti.queued, 0);
    assert_int_equal(ti.backlog, 3);

    ev = event("listen", lfd, "backlog=3", 0, 0);
    snprintf(want, sizeof want, "listen(%d, backlog=3) = 0  state LISTEN  queue 0/3", lfd);
    assert_string_equal(fmt(&ev), want);

    c1 = connect_port("127.0.0.1", port);
    c2 = connect_port("127.0.0.1", port);
    assert_int_equal(sock_tcp_state(lfd, &ti), 0);
    assert_int_equal(ti.queued, 2);      /* nobody called accept */
    assert_int_equal(sock_tcp_state(c1, &ti), 0);
    assert_string_equal(ti.name, "ESTABLISHED");
    close(c1);
    close(c2);
    close(lfd);
}

/* A connection through its life: ESTABLISHED on both ends after accept,
 * FIN_WAIT on the side that shuts down first, CLOSE_WAIT on the side
 * that read its FIN; and the trace lines that show it. */
static void connection_states(void **state)
{
    struct sock_trace_event ev;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int port, lfd = loopback_listener(4, &port), c, s;
    char buf[8], want[320], local[SOCK_ADDR_TEXT_MAX];
    const char *st;

    (void)state;
    c = connect_port("127.0.0.1", port);
    s = accept(lfd, (struct sockaddr *)&peer, &plen);
    assert_true(s >= 0);

    ev = event("accept", lfd, "", s, 0);
    ev.addr = (struct sockaddr *)&peer;
    ev.addrlen = plen;
    ev.sys = "accept4";
    local_name(c, local, sizeof local);
    snprintf(want, sizeof want,
             "accept(%d) = %d  peer %s  local 127.0.0.1:%d  state ESTABLISHED  (accept4)",
             lfd, s, local, port);
    assert_string_equal(fmt(&ev), want);

    /* Nothing new to say while ESTABLISHED after a read or write. */
    assert_int_equal(write(s, "hi", 2), 2);
    ev = event("write", s, "2", 2, 0);
    ev.data = "hi";
    ev.len = 2;
    snprintf(want, sizeof want, "write(%d, \"hi\", 2) = 2", s);
    assert_string_equal(fmt(&ev), want);

    assert_int_equal(shutdown(s, SHUT_WR), 0);
    ev = event("shutdown", s, "SHUT_WR", 0, 0);
    fmt(&ev);
    assert_true(strstr(line, "  state FIN_WAIT1") != NULL ||
                strstr(line, "  state FIN_WAIT2") != NULL);
    st = state_becomes(s, "FIN_WAIT2");
    assert_string_equal(st, "FIN_WAIT2");     /* the peer ACKed our FIN */

    assert_int_equal(read(c, buf, sizeof buf), 2);
    assert_int_equal(read(c, buf, sizeof buf), 0);
    ev = event("read", c, "8", 0, 0);
    snprintf(want, sizeof want,
             "read(%d, 8) = 0 end of file: the peer sent FIN  state CLOSE_WAIT", c);
    assert_string_equal(fmt(&ev), want);

    /* A write after the peer's FIN: the state is news, so it is shown. */
    assert_int_equal(write(c, "x", 1), 1);
    ev = event("write", c, "1", 1, 0);
    ev.data = "x";
    ev.len = 1;
    snprintf(want, sizeof want, "write(%d, \"x\", 1) = 1  state CLOSE_WAIT", c);
    assert_string_equal(fmt(&ev), want);

    close(c);
    close(s);
    close(lfd);
}

/* A socket with no TCP state: the line leaves the state out. */
static void no_state_for_other_sockets(void **state)
{
    struct sock_tcp_info ti;
    struct sock_trace_event ev;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    errno = 0;
    assert_int_equal(sock_tcp_state(sv[0], &ti), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    ev = event("shutdown", sv[0], "SHUT_WR", 0, 0);
    assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
    {
        char want[40];
        snprintf(want, sizeof want, "shutdown(%d, SHUT_WR) = 0", sv[0]);
        assert_string_equal(fmt(&ev), want);
    }
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(sock_tcp_state(sv[0], &ti), -1);
    assert_int_equal(errno, EBADF);
}

/* The words that differ by family and type: end of file on a local
 * stream (no FIN), an empty datagram (no end of file at all), and a
 * connect with no handshake. */
static void local_and_udp_words(void **state)
{
    struct sock_trace_event ev;
    struct sockaddr_in to = loopback(9);
    int sv[2], u;
    char want[200];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev = event("read", sv[0], "8", 0, 0);
    snprintf(want, sizeof want,
             "read(%d, 8) = 0 end of file: the peer closed its side", sv[0]);
    assert_string_equal(fmt(&ev), want);
    ev = event("connect", sv[0], "", 0, 0);
    ev.addr = (struct sockaddr *)&to;   /* any address: the words matter */
    ev.addrlen = sizeof to;
    snprintf(want, sizeof want,
             "connect(%d, 127.0.0.1:9) = 0  local unix:(unnamed)  "
             "no handshake: the kernel joined the two sockets", sv[0]);
    assert_string_equal(fmt(&ev), want);
    close(sv[0]);
    close(sv[1]);

    u = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(u >= 0);
    assert_int_equal(connect(u, (struct sockaddr *)&to, sizeof to), 0);
    ev = event("read", u, "8", 0, 0);
    snprintf(want, sizeof want, "read(%d, 8) = 0 an empty datagram", u);
    assert_string_equal(fmt(&ev), want);
    ev = event("connect", u, "", 0, 0);
    ev.addr = (struct sockaddr *)&to;
    ev.addrlen = sizeof to;
    fmt(&ev);
    assert_non_null(strstr(line, "  no handshake: UDP's connect only fixes the peer"));
    assert_null(strstr(line, "state"));

    /* recvfrom names the sender; sendto names the peer it sends to. */
    ev = event("recvfrom", u, "8193", 6, 0);
    ev.data = "hello\n";
    ev.len = 6;
    ev.addr = (struct sockaddr *)&to;
    ev.addrlen = sizeof to;
    snprintf(want, sizeof want,
             "recvfrom(%d, 8193) = 6 \"hello\\n\"  from 127.0.0.1:9", u);
    assert_string_equal(fmt(&ev), want);
    ev = event("sendto", u, "9", 9, 0);
    ev.data = "welcome!\n";
    ev.len = 9;
    ev.addr = (struct sockaddr *)&to;
    ev.addrlen = sizeof to;
    snprintf(want, sizeof want,
             "sendto(%d, \"welcome!\\n\", 9, 127.0.0.1:9) = 9", u);
    assert_string_equal(fmt(&ev), want);
    ev = event("recvfrom", u, "8193", -1, EAGAIN);
    snprintf(want, sizeof want,
             "recvfrom(%d, 8193) = -1 EAGAIN (nothing to do now: the socket is non-blocking)", u);
    assert_string_equal(fmt(&ev), want);
    close(u);
}

/* After a reset, read() returns -1 ECONNRESET once, then 0 (end of
 * file) though no FIN came: the line says the connection was reset, on
 * TCP (state CLOSE) as on a local stream; a FIN is still a FIN; and a
 * descriptor closed and handed out again starts afresh. */
static void end_of_file_after_reset(void **state)
{
    struct sock_trace_event ev;
    struct linger lg = {1, 0};
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    int port, lfd = loopback_listener(4, &port), c, s, sv[2];
    char want[200], buf[8];

    (void)state;
    c = connect_port("127.0.0.1", port);
    s = accept(lfd, (struct sockaddr *)&peer, &plen);
    assert_true(s >= 0);
    /* A close with SO_LINGER 0 sends RST instead of FIN. */
    assert_int_equal(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(s);
    assert_string_equal(state_becomes(c, "CLOSE"), "CLOSE");
    errno = 0;
    assert_int_equal(read(c, buf, sizeof buf), -1);
    assert_int_equal(errno, ECONNRESET);
    ev = event("read", c, "8", -1, ECONNRESET);
    fmt(&ev);
    assert_int_equal(read(c, buf, sizeof buf), 0);
    ev = event("read", c, "8", 0, 0);
    snprintf(want, sizeof want,
             "read(%d, 8) = 0 end of file: the connection was reset, no FIN came"
             "  state CLOSE", c);
    assert_string_equal(fmt(&ev), want);
    ev = event("close", c, "", 0, 0);
    fmt(&ev);
    close(c);

    /* The same number, a new connection closed with a FIN. */
    c = connect_port("127.0.0.1", port);
    s = accept(lfd, (struct sockaddr *)&peer, &plen);
    assert_true(s >= 0);
    ev = event("socket", -1, "AF_INET, SOCK_STREAM, IPPROTO_TCP", c, 0);
    fmt(&ev);
    close(s);
    assert_int_equal(read(c, buf, sizeof buf), 0);
    ev = event("read", c, "8", 0, 0);
    snprintf(want, sizeof want,
             "read(%d, 8) = 0 end of file: the peer sent FIN  state CLOSE_WAIT", c);
    assert_string_equal(fmt(&ev), want);
    close(c);
    close(lfd);

    /* A local stream closed with bytes unread is reset too. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], "x", 1), 1);
    close(sv[1]);
    errno = 0;
    assert_int_equal(read(sv[0], buf, sizeof buf), -1);
    assert_int_equal(errno, ECONNRESET);
    ev = event("read", sv[0], "8", -1, ECONNRESET);
    fmt(&ev);
    assert_int_equal(read(sv[0], buf, sizeof buf), 0);
    ev = event("read", sv[0], "8", 0, 0);
    snprintf(want, sizeof want,
             "read(%d, 8) = 0 end of file: the connection was reset", sv[0]);
    assert_string_equal(fmt(&ev), want);
    ev = event("close", sv[0], "", 0, 0);
    fmt(&ev);
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(socket_line),
        cmocka_unit_test(socket_traced_in_words),
        cmocka_unit_test(bind_and_errno_names),
        cmocka_unit_test(read_write_lines),
        cmocka_unit_test(payload_escaped_and_cut),
        cmocka_unit_test(small_buffer_cut),
        cmocka_unit_test(close_lines),
        cmocka_unit_test(listener_state_and_queue),
        cmocka_unit_test(connection_states),
        cmocka_unit_test(no_state_for_other_sockets),
        cmocka_unit_test(local_and_udp_words),
        cmocka_unit_test(end_of_file_after_reset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
