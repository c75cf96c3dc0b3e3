/*
 * test_seqpacket.c - the exchange over an AF_LOCAL SOCK_SEQPACKET socket
 * (-U PATH --seqpacket), end to end: the real programs on a path in a
 * fresh directory, driven by a plain SOCK_SEQPACKET socket that reads
 * one message at a time, so that every assertion is about messages:
 * the welcome is one, each echo is one (byte-exact, the newline the
 * client sent included), two messages never come back as one, and a
 * message of two lines stays one.  A message longer than --max-line is
 * cut by the kernel and answered as a line too long; quit, end of file
 * and SIGTERM end the session as over a stream.  tcp-client sends each
 * input line as a message of its own.  Options that do not go together
 * are refused with exit 2.  make test runs this suite against every
 * server design (TCP_MODEL).
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
#include <sys/stat.h>
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "promptly.h"
#include "scratch.h"
#include "testutil.h"

#define T_MS 5000   /* the longest any single step may take */

static char dir[64], path[128];

static int setup(void **state)
{
    procs_setup(state);
    if (scratch_make("test_seq", dir, sizeof dir, path,
                     sizeof path) == -1)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    procs_teardown(state);
    return scratch_remove(dir);
}

/* The next message on fd, whole (MSG_TRUNC tells a longer one): its
 * length, 0 at end of file.  Waits T_MS at most. */
static size_t next_msg(int fd, char *buf, size_t cap)
{
    struct pollfd p = { fd, POLLIN, 0 };
    ssize_t n;

    if (poll(&p, 1, T_MS) != 1)
        fail_msg("no message within %d ms", T_MS);
    n = recv(fd, buf, cap, MSG_TRUNC);
    if (n < 0)
        fail_msg("recv: %s", strerror(errno));
    if ((size_t)n > cap)
        fail_msg("a message of %zd bytes, more than the %zu expected", n, cap);
    return (size_t)n;
}

/* The next message is exactly want (len bytes): no more, no less. */
static void expect_msg_mem(int fd, const char *want, size_t len)
{
    char buf[512];
    size_t n = next_msg(fd, buf, sizeof buf);

    if (n != len || memcmp(buf, want, len) != 0)
        fail_msg("want the message '%.*s' (%zu bytes), got '%.*s' (%zu)",
                 (int)len, want, len, (int)n, buf, n);
}

static void expect_msg(int fd, const char *want)
{
    expect_msg_mem(fd, want, strlen(want));
}

static void expect_eof(int fd)
{
    char buf[64];

    assert_int_equal(next_msg(fd, buf, sizeof buf), 0);
}

/* A SOCK_SEQPACKET client on path that has read its welcome message. */
static int sclient(void)
{
    struct sock_err why;
    int fd = sock_connect_local_type(path, SOCK_SEQPACKET, T_MS, &why);

    if (fd == -1)
        fail_msg("connect %s: %s", path, why.msg);
    expect_msg(fd, "welcome!\n");
    return fd;
}

/* Welcome, echo byte-exact, boundaries kept both ways, quit. */
static void messages_keep_their_boundaries(void **state)
{
    static const char odd[] = "a\0b\x1b[2J\xff\r\n";
    char out[1024], want[300];
    int fd;

    (void)state;
    server_start(&srv, NULL, "-U", path, "--seqpacket", NULL);
    snprintf(want, sizeof want, "listening on unix:%s\n", path);
    assert_string_equal(server_said, want);

    fd = sclient();
    send_str(fd, "hello\n");
    expect_msg(fd, "hello\n");
    assert_int_equal(send(fd, odd, sizeof odd - 1, 0), (ssize_t)sizeof odd - 1);
    expect_msg_mem(fd, odd, sizeof odd - 1);
    /* Two messages sent before either is answered: two echoes, never
     * one of both (a stream would give "one\ntwo\n" to one read). */
    send_str(fd, "one\n");
    send_str(fd, "two\n");
    expect_msg(fd, "one\n");
    expect_msg(fd, "two\n");
    /* Two lines in one write are one message: echoed as one. */
    send_str(fd, "a\nb\n");
    expect_msg(fd, "a\nb\n");
    /* No newline: the message is the line, echoed as it came. */
    send_str(fd, "bare");
    expect_msg(fd, "bare");
    send_str(fd, "quit\n");
    expect_eof(fd);
    close(fd);
    read_until(srv.out, out, sizeof out, "bare\n", T_MS);
    assert_non_null(strstr(out, "unix:(unnamed): hello\n"));
    assert_non_null(strstr(out, "unix:(unnamed): a\\nb\n"));
}

/* Longer than --max-line: cut by the kernel, told, the session ends.
 * A message of exactly --max-line bytes is still a line. */
static void too_long_a_message(void **state)
{
    static const char big[] = "0123456789abcdefXYZ\n";
    int fd;

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, "--seqpacket",
                 "--max-line", "16", NULL);
    fd = sclient();
    send_str(fd, "0123456789abcde\n");          /* 16 bytes: fits */
    expect_msg(fd, "0123456789abcde\n");
    send_str(fd, big);
    expect_msg(fd, "error: line too long (max 16 bytes)\n");
    expect_eof(fd);
    close(fd);
}

/* End of file from the client: the server closes its side too. */
static void eof_ends_the_session(void **state)
{
    int fd;

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, "--seqpacket", NULL);
    fd = sclient();
    send_str(fd, "last\n");
    expect_msg(fd, "last\n");
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_eof(fd);
    close(fd);
}

/* SIGTERM: the notice is one message, the server exits 0, the file goes. */
static void sigterm_notice(void **state)
{
    int fd;

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, "--seqpacket", NULL);
    fd = sclient();
    send_str(fd, "ping\n");
    expect_msg(fd, "ping\n");
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    expect_msg(fd, "error: server shutting down\n");
    expect_eof(fd);
    exits_promptly(&srv, stop_limit_ms() + 500);
    assert_int_equal(access(path, F_OK), -1);
    close(fd);
}

/* tcp-client --seqpacket: each input line its own message (the server
 * logs them one by one), each message shown; quit ends it; the last
 * line without a newline goes at the end of input. */
static void client_sends_a_message_per_line(void **state)
{
    char out[256], log[512];
    char *client = (char *)bin_path("tcp-client");

    (void)state;
    server_start(&srv, NULL, "-U", path, "--seqpacket", NULL);
    {
        char *argv[] = { client, "-U", path, "--seqpacket", NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "hello\nworld\nquit\nnot sent\n",
                                    26, T_MS), 0);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nhello\nworld\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        proc_kill(&cli);
    }
    read_until(srv.out, log, sizeof log, "quit\n", T_MS);
    assert_string_equal(log, "unix:(unnamed): hello\nunix:(unnamed): world\n"
                             "unix:(unnamed): quit\n");
    {
        char *argv[] = { client, "-U", path, "--seqpacket", NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "no newline", 10, T_MS), 0);
        proc_close_in(&cli);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nno newline");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
}

/* -t shows the type in socket() and the cut-off check in the read. */
static void trace_names_the_type(void **state)
{
    char err[4096];
    char *client = (char *)bin_path("tcp-client");

    (void)state;
    server_start(&srv, "/dev/null", "-t", "-U", path, "--seqpacket", NULL);
    assert_non_null(strstr(server_early,
                           "socket(AF_LOCAL, SOCK_SEQPACKET, 0) = 3"));
    {
        char *argv[] = { client, "-t", "-U", path, "--seqpacket", NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "hi\n", 3, T_MS), 0);
        proc_close_in(&cli);
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        assert_non_null(strstr(err, "socket(AF_LOCAL, SOCK_SEQPACKET, 0) = 3"));
    }
    read_until(srv.err, err, sizeof err, "MSG_TRUNC) = 3", T_MS);
    assert_non_null(strstr(err, ", 8192, MSG_TRUNC) = 3 \"hi\\n\""));
}

/* A stream client at a SOCK_SEQPACKET server: one line, exit 1. */
static void stream_client_is_refused(void **state)
{
    char err[512], want[300];
    char *argv[] = { (char *)bin_path("tcp-client"), "-U", path, NULL };

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, "--seqpacket", NULL);
    proc_start(&cli, argv, 0);
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want, "tcp-client: connect unix:%s: %s\n", path,
             strerror(EPROTOTYPE));
    assert_string_equal(err, want);
}

/* Run argv; it must exit 2 with a first line that contains words. */
static void usage_error(char *const argv[], const char *words)
{
    char err[512];

    proc_start(&cli, argv, 0);
    assert_int_equal(proc_wait(&cli, T_MS), 2);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    *strchr(err, '\n') = '\0';
    if (strstr(err, words) == NULL)
        fail_msg("want '%s' in '%s'", words, err);
    proc_kill(&cli);
}

/* --seqpacket without -U, or with -u: exit 2, one line saying why. */
static void bad_combinations(void **state)
{
    static const char why[] = "'--seqpacket' applies with '-U PATH' only";
    char *server = (char *)bin_path("tcp-server");
    char *client = (char *)bin_path("tcp-client");

    (void)state;
    {
        char *argv[] = { server, "--seqpacket", "0", NULL };
        usage_error(argv, why);
    }
    {
        char *argv[] = { server, "-u", "--seqpacket", "0", NULL };
        usage_error(argv, why);
    }
    {
        char *argv[] = { client, "--seqpacket", NULL };
        usage_error(argv, why);
    }
    {
        char *argv[] = { client, "-u", "--seqpacket", NULL };
        usage_error(argv, why);
    }
}

#define seq_test(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        seq_test(messages_keep_their_boundaries),
        seq_test(too_long_a_message),
        seq_test(eof_ends_the_session),
        seq_test(sigterm_notice),
        seq_test(client_sends_a_message_per_line),
        seq_test(trace_names_the_type),
        seq_test(stream_client_is_refused),
        seq_test(bad_combinations),
    };

    return cmocka_run_group_tests_name("seqpacket", tests, NULL, NULL);
}
