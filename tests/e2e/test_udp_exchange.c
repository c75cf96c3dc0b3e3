/*
 * test_udp_exchange.c - the exchange over UDP (-u), end to end:
 * tcp-server -u on a port the kernel picks, driven by the test's own UDP
 * sockets, by tcp-client -u, by OpenBSD nc -u and socat.  Loopback
 * only.  Datagrams on loopback are not lost unless a buffer overflows,
 * which nothing here comes near, so every expected datagram is waited for
 * (5 s at most) and every unexpected one is looked for a while.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
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
#include "fixture.h"
#include "peer_wait.h"
#include "promptly.h"
#include "testutil.h"

#define T_MS 5000
#define QUIET_MS 300   /* how long "nothing comes" is watched for */

/* A UDP socket of the test's, connected to 127.0.0.1:port. */
static int udp_to(int port)
{
    char ps[16];
    int fd;

    snprintf(ps, sizeof ps, "%d", port);
    fd = sock_udp_connect("127.0.0.1", ps, AF_INET, NULL);
    assert_true(fd >= 0);
    return fd;
}

/* A UDP socket bound to 127.0.0.1 on a port the kernel picks. */
static int udp_bound(int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = sock_udp_open("127.0.0.1", "0", AF_INET, NULL);

    assert_true(fd >= 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A UDP socket bound to ip (any 127.0.0.0/8 address is loopback's),
 * connected to 127.0.0.1:port. */
static int udp_from(const char *ip, int port)
{
    struct sockaddr_in to;
    int fd = sock_udp_open(ip, "0", AF_INET, NULL);

    assert_true(fd >= 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    return fd;
}

static void dsend(int fd, const void *buf, size_t len)
{
    assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

/* The next datagram on fd is exactly want (len bytes). */
static void expect_dgram(int fd, const char *want, size_t len)
{
    static char got[70000];
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t n;

    if (poll(&p, 1, T_MS) != 1)
        fail_msg("no datagram within %d ms; wanted \"%.*s\"", T_MS, (int)len,
                 want);
    n = recv(fd, got, sizeof got, 0);
    if (n != (ssize_t)len || memcmp(got, want, len) != 0)
        fail_msg("wanted %zu bytes \"%.*s\", got %zd \"%.*s\"", len,
                 (int)len, want, n, n > 0 ? (int)n : 0, got);
}

static void expect_dstr(int fd, const char *want)
{
    expect_dgram(fd, want, strlen(want));
}

/* Nothing arrives on fd for QUIET_MS. */
static void expect_nothing(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char got[256];

    if (poll(&p, 1, QUIET_MS) == 1) {
        ssize_t n = recv(fd, got, sizeof got, 0);
        fail_msg("wanted nothing, got %zd bytes \"%.*s\"", n,
                 n > 0 ? (int)n : 0, got);
    }
}

/* The exchange, one datagram per line: welcome before the first echo,
 * echoes byte for byte, quit forgets the peer, which is welcomed again. */
static void exchange_over_udp(void **state)
{
    static const char odd[] = "a\0b\x1b[2J\xff\r\n";
    char out[1024];
    int port = server_start(&srv, NULL, "-u", NULL);
    int fd = udp_to(port);
    char want[64];

    (void)state;
    snprintf(want, sizeof want, "listening on udp:127.0.0.1:%d\n", port);
    assert_string_equal(server_said, want);
    dsend(fd, "hello\n", 6);
    expect_dstr(fd, "welcome!\n");
    expect_dstr(fd, "hello\n");
    dsend(fd, odd, sizeof odd - 1);
    expect_dgram(fd, odd, sizeof odd - 1);
    dsend(fd, "", 0);              /* an empty datagram is an empty line */
    expect_dgram(fd, "", 0);
    dsend(fd, "no newline", 10);
    expect_dstr(fd, "no newline");
    dsend(fd, "Quit\r\n", 6);
    expect_nothing(fd);
    dsend(fd, "again\n", 6);       /* forgotten: a new session */
    expect_dstr(fd, "welcome!\n");
    expect_dstr(fd, "again\n");
    close(fd);
    read_until(srv.out, out, sizeof out, "again", T_MS);
    assert_non_null(strstr(out, ": hello\n"));
    assert_non_null(strstr(out, ": a\\x00b\\x1b[2J\\xff\\r\n"));
}

/* Two peers at once are two sessions; the log names each. */
static void peers_are_kept_apart(void **state)
{
    char err[2048], me[SOCK_ADDR_TEXT_MAX], want[SOCK_ADDR_TEXT_MAX + 32];
    int port = server_start(&srv, "/dev/null", "-u", NULL);
    int a = udp_to(port), b = udp_to(port);

    (void)state;
    dsend(a, "from a\n", 7);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "from a\n");
    dsend(b, "from b\n", 7);
    expect_dstr(b, "welcome!\n");
    expect_dstr(b, "from b\n");
    dsend(a, "a again\n", 8);
    expect_dstr(a, "a again\n");   /* no second welcome */
    expect_nothing(b);
    dsend(a, "quit\n", 5);
    local_name(a, me, sizeof me);
    snprintf(want, sizeof want, "forgot peer %s (quit)\n", me);
    read_until(srv.err, err, sizeof err, want, T_MS);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof want, "new peer %s\n", me);
    assert_non_null(strstr(err, want));
    close(a);
    close(b);
}

/* --max-clients bounds the peer table: when it is full, the peer heard
 * from longest ago makes room (and is told nothing: its replies would go
 * to a source that may be forged); it is welcomed anew when it comes
 * back. */
static void full_table_makes_room(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "--max-clients", "1",
                            NULL);
    int a = udp_to(port), b = udp_to(port);
    char err[2048], me[SOCK_ADDR_TEXT_MAX], want[SOCK_ADDR_TEXT_MAX + 60];

    (void)state;
    dsend(a, "first\n", 6);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "first\n");
    dsend(b, "second\n", 7);
    expect_dstr(b, "welcome!\n");
    expect_dstr(b, "second\n");
    local_name(a, me, sizeof me);
    snprintf(want, sizeof want,
             "forgot peer %s (table full: heard from longest ago)\n", me);
    read_until(srv.err, err, sizeof err, want, T_MS);
    assert_non_null(strstr(err, want));
    expect_nothing(a);
    dsend(a, "back\n", 5);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "back\n");
    close(a);
    close(b);
}

/* --max-per-ip applies to -u: a second port of one address is told
 * busy, and the first notices nothing; another address is welcomed. */
static void busy_over_max_per_ip(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "--max-per-ip", "1",
                            NULL);
    int a = udp_to(port), b = udp_to(port), c = udp_from("127.0.0.2", port);

    (void)state;
    dsend(a, "first\n", 6);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "first\n");
    dsend(b, "second\n", 7);
    expect_dstr(b, "error: server busy\n");
    expect_nothing(b);
    {
        char err[2048], me[SOCK_ADDR_TEXT_MAX], want[SOCK_ADDR_TEXT_MAX + 40];

        local_name(b, me, sizeof me);
        snprintf(want, sizeof want, "turned away %s (server busy)\n", me);
        read_until(srv.err, err, sizeof err, want, T_MS);
        assert_non_null(strstr(err, want));
    }
    dsend(a, "still\n", 6);
    expect_dstr(a, "still\n");
    dsend(c, "other\n", 6);
    expect_dstr(c, "welcome!\n");
    expect_dstr(c, "other\n");
    dsend(a, "quit\n", 5);
    expect_nothing(a);
    dsend(b, "now\n", 4);
    expect_dstr(b, "welcome!\n");
    expect_dstr(b, "now\n");
    close(a);
    close(b);
    close(c);
}

/* A source heard from once has not shown it receives: it may be a
 * forged victim.  It gets at most 3x the bytes it sent, IP and UDP
 * headers counted (28 bytes a datagram): an empty datagram (28) draws
 * the welcome and the empty echo (37 + 28 = 65), but neither the idle
 * goodbye (48 more: 113 > 84) nor the shutdown notice (56 more). */
static void unverified_source_gets_at_most_3x(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "--idle-timeout", "1",
                            NULL);
    int a = udp_to(port), b;
    char err[4096], me[SOCK_ADDR_TEXT_MAX], want[SOCK_ADDR_TEXT_MAX + 40];

    (void)state;
    dsend(a, "", 0);
    expect_dstr(a, "welcome!\n");
    expect_dgram(a, "", 0);
    local_name(a, me, sizeof me);
    snprintf(want, sizeof want, "forgot peer %s (idle timeout)\n", me);
    read_until(srv.err, err, sizeof err, want, T_MS);
    assert_non_null(strstr(err, want));
    expect_nothing(a);
    b = udp_to(port);
    dsend(b, "", 0);
    expect_dstr(b, "welcome!\n");
    expect_dgram(b, "", 0);
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    read_until(srv.err, err, sizeof err, NULL, T_MS);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    expect_nothing(b);
    if (strstr(err, "tcp-server: 2 replies withheld: a source heard from "
                    "once gets at most 3x its bytes\n") == NULL)
        fail_msg("no count of the replies withheld in:\n%s", err);
    close(a);
    close(b);
}

/* Busy notices answer whoever the source claims to be: at most 10 a
 * second go out, whatever comes in. */
static void busy_notices_are_rate_limited(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "-q", "--max-per-ip",
                            "1", NULL);
    int a = udp_to(port), b = udp_to(port), k, got = 0;
    long long t0;

    (void)state;
    dsend(a, "in\n", 3);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "in\n");
    t0 = ms_now();
    for (k = 0; k < 40; k++)
        dsend(b, "me too\n", 7);
    for (;;) {
        struct pollfd p = { b, POLLIN, 0 };
        char got_buf[64];
        ssize_t n;

        if (poll(&p, 1, QUIET_MS) != 1)
            break;
        n = recv(b, got_buf, sizeof got_buf, 0);
        assert_int_equal(n, 19);
        assert_memory_equal(got_buf, "error: server busy\n", 19);
        got++;
    }
    /* A burst of 10, then 10 a second for as long as it took. */
    assert_true(got >= 1);
    if (got > 10 + (int)((ms_now() - t0) * 10 / 1000))
        fail_msg("%d busy notices in %lld ms", got, ms_now() - t0);
    close(a);
    close(b);
}

/* --idle-timeout: a silent peer is told and forgotten, then welcomed
 * anew; a peer that keeps talking is kept. */
static void idle_peers_are_forgotten(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "--idle-timeout", "1",
                            NULL);
    int a = udp_to(port);
    long long start;

    (void)state;
    /* Two datagrams: a peer shown to receive gets the goodbye (one
     * heard from once only within its byte budget: test_udp_forged). */
    dsend(a, "hi\n", 3);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "hi\n");
    dsend(a, "hi\n", 3);
    expect_dstr(a, "hi\n");
    start = ms_now();
    expect_dstr(a, "error: idle timeout\n");
    assert_true(ms_now() - start >= 700);   /* not before the second */
    {
        /* A peer that talks every 300 ms for 1.8 s is never idle. */
        int b = udp_to(port), k;

        dsend(b, "tick\n", 5);
        expect_dstr(b, "welcome!\n");
        expect_dstr(b, "tick\n");
        for (k = 0; k < 6; k++) {
            sleep_ms(300);
            dsend(b, "tick\n", 5);
            expect_dstr(b, "tick\n");
        }
        expect_nothing(b);
        close(b);
    }
    dsend(a, "back\n", 5);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "back\n");
    close(a);
}

/* --max-line bounds a datagram: one byte more gets the error line and
 * the peer is forgotten; exactly the limit is echoed. */
static void datagram_too_long(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "--max-line", "16",
                            NULL);
    int a = udp_to(port);

    (void)state;
    dsend(a, "0123456789abcde\n", 16);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "0123456789abcde\n");
    dsend(a, "0123456789abcdef\n", 17);
    expect_dstr(a, "error: line too long (max 16 bytes)\n");
    dsend(a, "ok\n", 3);
    expect_dstr(a, "welcome!\n");   /* it was forgotten */
    expect_dstr(a, "ok\n");
    close(a);
}

/* SIGTERM: every peer in the table that has shown it receives (a
 * second datagram) is told; exit 0 within the limit. */
static void sigterm_tells_peers(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", NULL);
    int a = udp_to(port), b = udp_to(port);

    (void)state;
    dsend(a, "a\n", 2);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "a\n");
    dsend(b, "b\n", 2);
    expect_dstr(b, "welcome!\n");
    expect_dstr(b, "b\n");
    dsend(a, "a\n", 2);
    expect_dstr(a, "a\n");
    dsend(b, "b\n", 2);
    expect_dstr(b, "b\n");
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    expect_dstr(a, "error: server shutting down\n");
    expect_dstr(b, "error: server shutting down\n");
    exits_promptly(&srv, stop_limit_ms());
    close(a);
    close(b);
}

/* --once: the first peer's session, then exit 0. */
static void once_serves_one_peer(void **state)
{
    int port = server_start(&srv, "/dev/null", "-u", "--once", NULL);
    int a = udp_to(port);

    (void)state;
    dsend(a, "only\n", 5);
    expect_dstr(a, "welcome!\n");
    expect_dstr(a, "only\n");
    dsend(a, "quit\n", 5);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    close(a);
}

/* tcp-client -u: lines from stdin as datagrams, every reply shown, and
 * it ends as soon as the replies owed are in, not at the timeout. */
static void client_exchange(void **state)
{
    char out[256], ps[16];
    int port = server_start(&srv, "/dev/null", "-u", NULL);

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "--timeout",
                         "60", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "hello\nworld\nquit\nnot sent\n",
                                    26, T_MS), 0);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nhello\nworld\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        proc_kill(&cli);
    }
    {
        /* At the end of input: the last line has no newline, still a
         * datagram; a new session, so a new welcome. */
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "--timeout",
                         "60", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "one\nlast", 8, T_MS), 0);
        proc_close_in(&cli);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\none\nlast");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
}

/* Nothing receives on the port: the ICMP answer is "Connection
 * refused", one line, exit 1. */
static void client_unreachable(void **state)
{
    char err[512], want[200], ps[16];
    int port, fd = udp_bound(&port);

    (void)state;
    close(fd);       /* the port is free again: nobody receives on it */
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "127.0.0.1",
                         ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "anyone?\n", 8, T_MS), 0);
        assert_int_equal(proc_wait(&cli, T_MS), 1);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        snprintf(want, sizeof want,
                 "tcp-client: 127.0.0.1:%d: %s: nothing receives on that UDP port\n",
                 port, strerror(ECONNREFUSED));
        assert_string_equal(err, want);
    }
}

/* A peer that receives and never answers: the client waits --timeout
 * for the reply owed, then says it was lost, exit 1. */
static void client_lost_reply(void **state)
{
    char err[512], want[200], ps[16], got[64];
    int port, fd = udp_bound(&port);

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "--timeout",
                         "1", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "echo?\n", 6, T_MS), 0);
        proc_close_in(&cli);
        assert_int_equal(read_n(fd, got, 6, T_MS), 6);   /* it came */
        assert_int_equal(proc_wait(&cli, T_MS), 1);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        snprintf(want, sizeof want,
                 "tcp-client: 127.0.0.1:%d: no reply to 1 line within 1 s: "
                 "lost (UDP does not resend)\n", port);
        assert_string_equal(err, want);
    }
    close(fd);
}

/* -w over UDP: input still open, a peer that receives and never
 * answers; nothing received for a second: one line, exit 1. */
static void client_idle_timeout(void **state)
{
    char err[512], want[200], ps[16], got[64];
    int port, fd = udp_bound(&port);

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "-w", "1",
                         "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "echo?\n", 6, T_MS), 0);
        assert_int_equal(read_n(fd, got, 6, T_MS), 6);   /* it came */
        assert_int_equal(proc_wait(&cli, 15000), 1);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        snprintf(want, sizeof want,
                 "tcp-client: 127.0.0.1:%d: nothing received for 1 s; "
                 "giving up\n", port);
        assert_string_equal(err, want);
    }
    close(fd);
}

/*
 * Lines in flight are bounded: against a peer that never answers, with
 * 3000 lines of input still open, the client sends 1024 (and at most
 * one read of input more: 512 lines of 8 bytes), then reads no more
 * input and waits --timeout for an answer, and says how many are lost.
 * (A client that sent them all would wait for more input for ever.)
 */
static void client_bounds_lines_in_flight(void **state)
{
    char err[512], ps[16];
    static char lines[3000 * 8 + 1];   /* + snprintf's last NUL */
    int port, fd = udp_bound(&port), i;
    unsigned long lost = 0;

    (void)state;
    for (i = 0; i < 3000; i++)
        snprintf(lines + 8 * i, 9, "%07d\n", i);
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "--timeout",
                         "1", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        /* The pipe takes 64 KiB: all of it, whatever the client reads. */
        assert_int_equal(write_full(cli.in, lines, 3000 * 8, T_MS), 0);
        assert_int_equal(proc_wait(&cli, 15000), 1);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        if (sscanf(err, "tcp-client: 127.0.0.1:%*d: no reply to %lu lines", &lost)
                != 1 || lost < 1024 || lost >= 1024 + 512)
            fail_msg("stderr: '%s'", err);
    }
    close(fd);
}

/* What the server sends unasked (an idle or shutdown notice) answers no
 * line: the client keeps waiting for the replies still owed.  The server
 * here is the test's own socket, so the order is exact. */
static void client_counts_only_answers(void **state)
{
    char out[256], ps[16], got[16];
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    int port, fd = udp_bound(&port), k;
    /* ... and an error that answers a line ends that session: the next
     * welcome opens another and answers nothing.  The line too long is
     * the one longer than the limit the error names. */
    static const char *const replies[] = {
        "welcome!\n", "a\n", "error: idle timeout\n", "welcome!\n", "b\n",
        "error: line too long (max 8 bytes)\n", "welcome!\n", "d\n",
    };

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "--timeout",
                         "60", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "a\nb\ncccccccccc\nd\n", 17, T_MS),
                         0);
        proc_close_in(&cli);
        for (k = 0; k < 4; k++) {
            struct pollfd p = { fd, POLLIN, 0 };

            assert_int_equal(poll(&p, 1, T_MS), 1);
            flen = sizeof from;
            assert_int_equal(recvfrom(fd, got, sizeof got, 0,
                                      (struct sockaddr *)&from, &flen),
                             k == 2 ? 11 : 2);
        }
        for (k = 0; k < 8; k++)
            assert_int_equal(sendto(fd, replies[k], strlen(replies[k]), 0,
                                    (struct sockaddr *)&from, flen),
                             (ssize_t)strlen(replies[k]));
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\na\nerror: idle timeout\n"
                                 "welcome!\nb\n"
                                 "error: line too long (max 8 bytes)\n"
                                 "welcome!\nd\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
    close(fd);
}

/*
 * A stray datagram, a second copy of an echo and a second welcome come
 * before the real echoes: each is shown, none counts as an answer, so
 * the client does not end (exit 0) until the echo of every line is in.
 * The client's output is exact, in the order the datagrams came; the
 * test's socket plays the server.
 */
static void client_counts_only_echoes(void **state)
{
    char out[256], ps[16], got[16];
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    int port, fd = udp_bound(&port), k;
    static const char *const replies[] = {
        "welcome!\n", "one\n", "one\n", "stray\n", "welcome!\n", "two\n",
        "three\n",
    };

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-u", "--timeout",
                         "60", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "one\ntwo\nthree\n", 14, T_MS), 0);
        proc_close_in(&cli);
        for (k = 0; k < 3; k++) {
            struct pollfd p = { fd, POLLIN, 0 };

            assert_int_equal(poll(&p, 1, T_MS), 1);
            flen = sizeof from;
            assert_true(recvfrom(fd, got, sizeof got, 0,
                                 (struct sockaddr *)&from, &flen) > 0);
        }
        for (k = 0; k < 7; k++)
            assert_int_equal(sendto(fd, replies[k], strlen(replies[k]), 0,
                                    (struct sockaddr *)&from, flen),
                             (ssize_t)strlen(replies[k]));
        /* A client that counted the strays would have ended after
         * "stray", with two and three never shown. */
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\none\none\nstray\nwelcome!\n"
                                 "two\nthree\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
    close(fd);
}

/* Trace mode: no listen, no accept, no handshake, no states. */
static void trace_shows_datagrams(void **state)
{
    char err[4096], ps[16];
    int port = server_start(&srv, "/dev/null", "-t", "-u", NULL);

    (void)state;
    assert_non_null(strstr(server_early,
                           "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 3\n"
                           "bind(3, 127.0.0.1:0) = 0\n"));
    assert_null(strstr(server_early, "listen("));
    snprintf(ps, sizeof ps, "%d", port);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-t", "-u",
                         "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "hi\n", 3, T_MS), 0);
        proc_close_in(&cli);
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        assert_non_null(strstr(err, "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 3\n"));
        assert_non_null(strstr(err, "no handshake: UDP's connect only fixes the peer\n"));
        assert_non_null(strstr(err, "write(3, \"hi\\n\", 3) = 3  (send)\n"));
        assert_null(strstr(err, "state"));
    }
    read_until(srv.err, err, sizeof err, "sendto(3, \"hi\\n\"", T_MS);
    assert_non_null(strstr(err, "recvfrom(3, 8193) = 3 \"hi\\n\"  from 127.0.0.1:"));
    assert_non_null(strstr(err, "sendto(3, \"welcome!\\n\", 9, 127.0.0.1:"));
    assert_null(strstr(err, "accept("));
}

/* Options that mean nothing over UDP are refused, exit 2. */
static void udp_usage_errors(void **state)
{
    static const char *const bad[] = { "--backlog", "--no-accept", "--model",
                                       "-U" };
    static const char *const val[] = { "5", NULL, "poll", "/tmp/x" };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[6];
        char err[512];
        int n = 0;

        argv[n++] = (char *)bin_path("tcp-server");
        argv[n++] = "-u";
        argv[n++] = (char *)bad[i];
        if (val[i] != NULL)
            argv[n++] = (char *)val[i];
        argv[n] = NULL;
        proc_start(&cli, argv, 0);
        assert_int_equal(proc_wait(&cli, T_MS), 2);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        if (strstr(err, bad[i]) == NULL)
            fail_msg("'%s' not named in '%s'", bad[i], err);
        proc_kill(&cli);
    }
}

/* OpenBSD nc -u and socat as clients; tcp-client -u against nc -lu. */

static void peers_nc_and_socat(void **state)
{
    char out[256], ps[16], target[64], nc[256], socat[256];
    int port = server_start(&srv, "/dev/null", "-u", NULL);

    (void)state;
    peer_need_openbsd_nc(nc, sizeof nc);
    need_tool("socat", socat, sizeof socat);
    snprintf(ps, sizeof ps, "%d", port);
    {
        /* nc -u sends what it reads; -q 1: quit a second after EOF. */
        char *argv[] = { nc, "-u", "-q", "1", "127.0.0.1", ps, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "from nc\n", 8, T_MS), 0);
        read_until(cli.out, out, sizeof out, "from nc\n", T_MS);
        assert_string_equal(out, "welcome!\nfrom nc\n");
        proc_close_in(&cli);
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        proc_kill(&cli);
    }
    snprintf(target, sizeof target, "UDP:127.0.0.1:%d", port);
    {
        char *argv[] = { socat, "-", target, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "from socat\n", 11, T_MS), 0);
        read_until(cli.out, out, sizeof out, "from socat\n", T_MS);
        assert_string_equal(out, "welcome!\nfrom socat\n");
        proc_close_in(&cli);
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        proc_kill(&cli);
    }
    {
        /* tcp-client -u against nc -lu: nc echoes the client's line. */
        char *cl[6];
        int tries, r = 0;

        /* On a port that was free a moment ago, until nc has bound it
         * (or, if nc found it taken meanwhile and left, on another). */
        for (tries = 0; tries < 5 && r != 1; tries++) {
            int fd = udp_bound(&port);

            close(fd);
            snprintf(ps, sizeof ps, "%d", port);
            {
                char *argv[] = { nc, "-u", "-l", "127.0.0.1", ps, NULL };
                proc_start(&peer, argv, 1);
            }
            r = peer_wait_bound(&peer, port, 1, T_MS);
            if (r == -1)
                fail_msg("nc -u -l did not bind port %d within %d ms", port,
                         T_MS);
            if (r == 0)
                proc_kill(&peer);   /* it exited: its pipes go */
        }
        if (r != 1)
            fail_msg("nc -u -l exited 5 times before binding its port");
        cl[0] = (char *)bin_path("tcp-client");
        cl[1] = "-u";
        cl[2] = "127.0.0.1";
        cl[3] = ps;
        cl[4] = NULL;
        proc_start(&cli, cl, 1);
        assert_int_equal(write_full(cli.in, "to nc\n", 6, T_MS), 0);
        read_until(peer.out, out, sizeof out, "\n", T_MS);
        assert_string_equal(out, "to nc\n");
        /* The person at nc says something of their own, which is shown
         * and answers nothing, then echoes the line, which answers it
         * (nc sends what one read gives it as one datagram: one line
         * at a time). */
        assert_int_equal(write_full(peer.in, "reply\n", 6, T_MS), 0);
        read_until(cli.out, out, sizeof out, "\n", T_MS);
        assert_string_equal(out, "reply\n");
        assert_int_equal(write_full(peer.in, "to nc\n", 6, T_MS), 0);
        read_until(cli.out, out, sizeof out, "\n", T_MS);
        assert_string_equal(out, "to nc\n");
        proc_close_in(&cli);
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(exchange_over_udp),
        proc_test(peers_are_kept_apart),
        proc_test(full_table_makes_room),
        proc_test(busy_over_max_per_ip),
        proc_test(unverified_source_gets_at_most_3x),
        proc_test(busy_notices_are_rate_limited),
        proc_test(idle_peers_are_forgotten),
        proc_test(datagram_too_long),
        proc_test(sigterm_tells_peers),
        proc_test(once_serves_one_peer),
        proc_test(client_exchange),
        proc_test(client_unreachable),
        proc_test(client_lost_reply),
        proc_test(client_idle_timeout),
        proc_test(client_bounds_lines_in_flight),
        proc_test(client_counts_only_answers),
        proc_test(client_counts_only_echoes),
        proc_test(trace_shows_datagrams),
        proc_test(udp_usage_errors),
        proc_test(peers_nc_and_socat),
    };

    return cmocka_run_group_tests_name("tcp-server -u", tests, NULL, NULL);
}
