/*
 * test_tcp_client.c - tcp-client end to end: against the real tcp-server,
 * and against scripted servers played by the test itself (a welcome with
 * no newline, a server that closes first, one that reads to EOF), all on
 * ports the kernel picks.
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
#include "testutil.h"

#define T_MS 5000

static int lfd = -1;

static int setup(void **state)
{
    lfd = -1;
    return procs_setup(state);
}

static int teardown(void **state)
{
    procs_teardown(state);
    if (lfd >= 0)
        close(lfd);
    return 0;
}

/* The test plays the server: a listener on 127.0.0.1, kernel's port. */
static int fake_server(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    struct sock_err why;

    lfd = sock_listen_on("127.0.0.1", "0", AF_INET, 4, &why);
    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

static void start_client(const char *host, int port)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), (char *)host, ps, NULL };

    snprintf(ps, sizeof ps, "%d", port);
    proc_start(&cli, argv, 1);
}

/* Start tcp-client against the test's own listener (fake_server() on
 * `port`) and return the server's end of its connection. */
static int start_client_accepted(int port)
{
    int fd;

    start_client("127.0.0.1", port);
    fd = sock_accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    return fd;
}

static void type(const char *s)
{
    assert_int_equal(write_full(cli.in, s, strlen(s), T_MS), 0);
}

static void expect_out(const char *want)
{
    char buf[4096];
    size_t n = read_n(cli.out, buf, strlen(want), T_MS);

    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* Typed lines go out, echoes come back, quit ends it: exit 0. */
static void exchange_with_tcp_server(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    char rest[64];

    (void)state;
    start_client("127.0.0.1", port);
    expect_out("welcome!\n");
    type("hello\n");
    expect_out("hello\n");
    type("你好\n");
    expect_out("你好\n");
    type("quit\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    /* Nothing after the last echo, not even for quit. */
    assert_int_equal(read_until(cli.out, rest, sizeof rest, NULL, T_MS), 0);
}

/* Lines after quit are never sent: the client stops reading its input.
 * Everything it sent, from its first byte to its FIN when it exits, is
 * the lines up to quit. */
static void nothing_sent_after_quit(void **state)
{
    int port = fake_server(), fd;
    char got[256];
    size_t n;

    (void)state;
    fd = start_client_accepted(port);
    type("a\nQuit\r\nb\nc\n");
    n = read_n(fd, got, 8, T_MS);         /* "a\nQuit\r\n" is 8 bytes */
    assert_int_equal(n, 8);
    assert_memory_equal(got, "a\nQuit\r\n", 8);
    /* The server may still talk; the client shows it, then exits 0. */
    assert_int_equal(write_full(fd, "late words\n", 11, T_MS), 0);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_out("late words\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    /* The client has exited: what follows its quit line, to its FIN, is
     * nothing at all. */
    n = read_until(fd, got, sizeof got, NULL, T_MS);
    if (n != 0)
        fail_msg("sent after quit: '%.*s'", (int)n, got);
    close(fd);
}

/* Input EOF: half-close, keep showing what the server sends, exit 0. */
static void eof_half_closes_and_shows_rest(void **state)
{
    int port = fake_server(), fd;
    char got[64];

    (void)state;
    fd = start_client_accepted(port);
    type("last");
    proc_close_in(&cli);
    /* The server sees the bytes, then EOF (the client's FIN). */
    assert_int_equal(read_until(fd, got, sizeof got, NULL, T_MS), 4);
    assert_string_equal(got, "last");
    assert_int_equal(write_full(fd, "bye\n", 4, T_MS), 0);
    close(fd);
    expect_out("bye\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
}

/*
 * The article's Java server: "welcome!" with no newline, one line read,
 * then close.  The welcome must show before anything is typed, and the
 * client must notice the close, say so, and exit 0: no deadlock.
 */
static void welcome_without_newline_then_close(void **state)
{
    int port = fake_server(), fd;
    char got[64], err[256];

    (void)state;
    fd = start_client_accepted(port);
    assert_int_equal(write_full(fd, "welcome!", 8, T_MS), 0);
    expect_out("welcome!");                /* shown at once */
    type("hello\n");
    assert_int_equal(read_n(fd, got, 6, T_MS), 6);
    assert_memory_equal(got, "hello\n", 6);
    close(fd);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    assert_non_null(strstr(err, "closed the connection"));
}

/* A server that resets the connection (closing with input unread): what
 * it sent first is shown, the reset is reported, exit 0. */
static void server_resets(void **state)
{
    int port = fake_server(), fd;
    char err[256];

    (void)state;
    fd = start_client_accepted(port);
    assert_int_equal(write_full(fd, "last words\n", 11, T_MS), 0);
    expect_out("last words\n");
    close_with_reset(fd);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    assert_non_null(strstr(err, "reset the connection"));
}

/* A million piped lines stream through and all come back in order. */
static void million_lines_piped(void **state)
{
    char in_path[] = "/tmp/tcp-client-in-XXXXXX";
    char out_path[] = "/tmp/tcp-client-out-XXXXXX";
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), "127.0.0.1", ps, NULL };
    int in_fd = mkstemp(in_path), out_fd = mkstemp(out_path), port, i;
    FILE *f;
    char *want, *got, *w;
    size_t want_len, n;

    (void)state;
    assert_true(in_fd >= 0 && out_fd >= 0);
    close(out_fd);
    f = fdopen(in_fd, "w");
    assert_non_null(f);
    want = malloc(8 * 1000000 + 16);
    assert_non_null(want);
    w = want + sprintf(want, "welcome!\n");
    for (i = 1; i <= 1000000; i++) {
        int k = sprintf(w, "%d\n", i);
        fwrite(w, 1, (size_t)k, f);
        w += k;
    }
    want_len = (size_t)(w - want);
    assert_int_equal(fclose(f), 0);

    port = server_start(&srv, "/dev/null", "-q", NULL);
    snprintf(ps, sizeof ps, "%d", port);
    proc_start_io(&cli, argv, in_path, out_path);
    assert_int_equal(proc_wait(&cli, 60000), 0);

    got = malloc(want_len + 2);
    assert_non_null(got);
    f = fopen(out_path, "r");
    assert_non_null(f);
    n = fread(got, 1, want_len + 1, f);
    fclose(f);
    unlink(in_path);
    unlink(out_path);
    assert_int_equal(n, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    free(want);
}

/* Nobody listening: one line naming HOST:PORT and the reason, exit 1. */
static void connection_refused(void **state)
{
    char err[256], want[128];
    int port, hold = refusing_socket(AF_INET, &port);

    (void)state;
    start_client("127.0.0.1", port);
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-client: connect 127.0.0.1:%d: Connection refused\n", port);
    assert_string_equal(err, want);
    close(hold);
}

/*
 * A listener whose accept queue is full (backlog 0, nobody accepting, one
 * finished connection waiting): the kernel drops new SYNs, so a connect
 * to it stays in SYN_SENT.  Returns its port, or 0 if this kernel
 * completes a handshake anyway (checked with a plain socket that must
 * still be connecting after 300 ms).
 */
static int full_listener(int fill[], int nfill)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    struct pollfd p;
    int i, probe, waiting;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 0), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    for (i = 0; i < nfill; i++) {          /* fill the queue */
        fill[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(sock_set_nonblock(fill[i], 1), 0);
        (void)connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    probe = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(sock_set_nonblock(probe, 1), 0);
    if (connect(probe, (struct sockaddr *)&a, sizeof a) == 0) {
        waiting = 0;
    } else {
        assert_int_equal(errno, EINPROGRESS);
        p.fd = probe;
        p.events = POLLOUT;
        p.revents = 0;
        waiting = poll(&p, 1, 300) == 0;
    }
    close(probe);
    return waiting ? ntohs(a.sin_port) : 0;
}

/*
 * --timeout: against a listener that leaves the handshake unanswered, one
 * line naming the address and "Connection timed out", exit 1, after
 * about the time asked.  A client still running 4 s into a 1 s timeout
 * fails the test.  Skipped only if the kernel cannot make the condition.
 */
static void connect_timeout(void **state)
{
    char ps[16], err[256], want[128];
    char *argv[] = { (char *)bin_path("tcp-client"), "--timeout", "1",
                     "127.0.0.1", ps, NULL };
    int fill[4], port, i, rc;
    long long t0, took;

    (void)state;
    port = full_listener(fill, 4);
    if (port == 0) {
        for (i = 0; i < 4; i++)
            close(fill[i]);
        print_message("this kernel completes handshakes beyond the backlog\n");
        skip();
    }
    snprintf(ps, sizeof ps, "%d", port);
    t0 = ms_now();
    proc_start(&cli, argv, 0);
    rc = proc_wait(&cli, 4000);
    took = ms_now() - t0;
    for (i = 0; i < 4; i++)
        close(fill[i]);
    if (rc == -1)
        fail_msg("tcp-client --timeout 1 was still connecting after 4 s");
    assert_int_equal(rc, 1);
    if (took < 900)
        fail_msg("gave up after %lld ms, before its 1 s", took);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-client: connect 127.0.0.1:%d: Connection timed out\n", port);
    assert_string_equal(err, want);
}

/* An IPv6 address in brackets, as printed in "[::1]:PORT", works as HOST;
 * messages show it in brackets once. */
static void bracketed_ipv6_host(void **state)
{
    char err[256], want[128];
    int port = server_start(&srv, "/dev/null", "-q", "-b", "::1", NULL);
    int hold, closed;

    (void)state;
    start_client("[::1]", port);
    expect_out("welcome!\n");
    type("in brackets\nquit\n");
    expect_out("in brackets\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    proc_kill(&cli);

    /* A port that refuses: the message names [::1]:PORT, once. */
    hold = refusing_socket(AF_INET6, &closed);
    start_client("[::1]", closed);
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-client: connect [::1]:%d: Connection refused\n", closed);
    assert_string_equal(err, want);
    close(hold);
}

/* A link-local address with a zone: accepted in brackets, named once in
 * brackets whatever the outcome (nothing listens there; no traffic
 * leaves the loopback interface). */
static void bracketed_zone_host(void **state)
{
    char err[256];
    const char *at;

    (void)state;
    start_client("[fe80::1%lo]", 80);
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    at = strstr(err, "[fe80::1%lo]:80: ");
    if (strncmp(err, "tcp-client: ", 12) != 0 || at == NULL ||
        strstr(at + 1, "[fe80::1%lo]") != NULL || strstr(err, "[[") != NULL)
        fail_msg("message: '%s'", err);
}

/* A host name that resolves is named first, then the address tried. */
static void name_then_address_in_message(void **state)
{
    char err[256], want[128];
    int port, hold = refusing_socket(AF_INET, &port);

    (void)state;
    {
        char ps[16];
        char *argv[] = { (char *)bin_path("tcp-client"), "-4", "localhost", ps,
                         NULL };
        snprintf(ps, sizeof ps, "%d", port);
        proc_start(&cli, argv, 0);
    }
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-client: localhost:%d: connect 127.0.0.1:%d: Connection refused\n",
             port, port);
    assert_string_equal(err, want);
    close(hold);
}

/* stdout that cannot be written (a full disk): one line saying so, exit 1. */
static void stdout_write_error(void **state)
{
    char ps[16], err[256], want[160];
    char *argv[] = { (char *)bin_path("tcp-client"), "127.0.0.1", ps, NULL };
    int port = server_start(&srv, "/dev/null", "-q", NULL);

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    proc_start_io(&cli, argv, "/dev/null", "/dev/full");
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-client: write to output for 127.0.0.1:%d: No space left on device\n",
             port);
    assert_string_equal(err, want);
}

/* stdout is a pipe whose reader left (| head -1): the client stops
 * quietly, exit 0, as a filter does. */
static void stdout_reader_gone(void **state)
{
    int port = fake_server(), fd;
    char err[256];

    (void)state;
    fd = start_client_accepted(port);
    close(cli.out);
    cli.out = -1;
    assert_int_equal(write_full(fd, "nobody reads this\n", 18, T_MS), 0);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    assert_int_equal(read_until(cli.err, err, sizeof err, NULL, T_MS), 0);
    close(fd);
}

/* The server resets the connection while the client streams input to
 * it: what came before is shown, the reset reported, exit 0. */
static void server_resets_while_client_streams(void **state)
{
    char in_path[] = "/tmp/tcp-client-in-XXXXXX";
    char ps[16], err[256], got[64];
    char *argv[] = { (char *)bin_path("tcp-client"), "127.0.0.1", ps, NULL };
    int in_fd = mkstemp(in_path), port = fake_server(), fd, i;
    static char junk[1 << 16];

    (void)state;
    assert_true(in_fd >= 0);
    memset(junk, 'j', sizeof junk);
    for (i = 0; i < 160; i++)                      /* 10 MB of input */
        assert_int_equal(write(in_fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(in_fd);
    snprintf(ps, sizeof ps, "%d", port);
    proc_start_io(&cli, argv, in_path, NULL);
    fd = sock_accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    assert_int_equal(write_full(fd, "hi\n", 3, T_MS), 0);
    assert_int_equal(read_n(fd, got, sizeof got, T_MS), sizeof got);
    close_with_reset(fd);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    unlink(in_path);
    if (strstr(err, "reset the connection") == NULL)
        fail_msg("stderr: '%s'", err);
    expect_out("hi\n");
}

/* Urgent data from the server is shown in line: every byte. */
static void urgent_data_shown_in_line(void **state)
{
    int port = fake_server(), fd;

    (void)state;
    fd = start_client_accepted(port);
    assert_int_equal(write_full(fd, "ab", 2, T_MS), 0);
    expect_out("ab");
    assert_int_equal(send(fd, "c", 1, MSG_OOB), 1);
    assert_int_equal(write_full(fd, "d\n", 2, T_MS), 0);
    expect_out("cd\n");
    close(fd);
    proc_close_in(&cli);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
}

/* A name that cannot resolve (rejected locally, no DNS traffic). */
static void unknown_host(void **state)
{
    char err[256];

    (void)state;
    start_client("no..such..host", 8080);
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    assert_memory_equal(err, "tcp-client: resolve no..such..host:8080: ", 41);
    /* One line: the only newline is the last byte. */
    assert_non_null(strchr(err, '\n'));
    assert_int_equal(strchr(err, '\n') - err + 1, strlen(err));
}

/* Usage errors exit 2 naming the argument. */
static void bad_arguments(void **state)
{
    static const struct {
        const char *a1, *a2, *a3, *says;
    } bad[] = {
        { "127.0.0.1", "0", NULL, "PORT" },
        { "127.0.0.1", "99999", NULL, "PORT" },
        { "--timeout", "x", NULL, "'--timeout'" },
        { "--timeout", "-1", NULL, "'--timeout'" },
        { "-z", NULL, NULL, "'-z'" },
        { "a", "1", "b", "HOST and PORT only" },
        { "-4", "-6", NULL, "'-4' and '-6'" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { (char *)bin_path("tcp-client"), (char *)bad[i].a1,
                         (char *)bad[i].a2, (char *)bad[i].a3, NULL };
        char err[512];

        proc_start(&cli, argv, 0);
        assert_int_equal(proc_wait(&cli, T_MS), 2);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        if (strstr(err, bad[i].says) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].says);
        proc_kill(&cli);
    }
}

static void help_and_version(void **state)
{
    char *help[] = { (char *)bin_path("tcp-client"), "-h", NULL };
    char *version[] = { (char *)bin_path("tcp-client"), "--version", NULL };
    char out[2048];

    (void)state;
    proc_start(&cli, help, 0);
    read_until(cli.out, out, sizeof out, NULL, T_MS);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    assert_non_null(strstr(out, "usage: tcp-client"));
    assert_non_null(strstr(out, "--timeout"));
    proc_kill(&cli);
    proc_start(&cli, version, 0);
    read_until(cli.out, out, sizeof out, NULL, T_MS);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    assert_string_equal(out, "tcp-client (libsock) " LIBSOCK_VERSION "\n");
}

/* IPv6 literal and "localhost" reach a dual-stack tcp-server. */
static void ipv6_and_localhost(void **state)
{
    int port = server_start_dual(&srv, "/dev/null", "-q", NULL);

    (void)state;
    start_client("::1", port);
    expect_out("welcome!\n");
    type("six\nquit\n");
    expect_out("six\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    proc_kill(&cli);
    start_client("localhost", port);
    expect_out("welcome!\n");
    type("name\n");
    expect_out("name\n");
    proc_close_in(&cli);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
}

/* The server is killed mid-session: the client reports it and ends. */
static void server_dies(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    char err[256];

    (void)state;
    start_client("127.0.0.1", port);
    expect_out("welcome!\n");
    kill(srv.pid, SIGTERM);
    expect_out("error: server shutting down\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    read_until(cli.err, err, sizeof err, NULL, T_MS);
    assert_non_null(strstr(err, "closed the connection"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exchange_with_tcp_server, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_sent_after_quit, setup, teardown),
        cmocka_unit_test_setup_teardown(eof_half_closes_and_shows_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(welcome_without_newline_then_close, setup, teardown),
        cmocka_unit_test_setup_teardown(server_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(million_lines_piped, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(connect_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(bracketed_ipv6_host, setup, teardown),
        cmocka_unit_test_setup_teardown(bracketed_zone_host, setup, teardown),
        cmocka_unit_test_setup_teardown(name_then_address_in_message, setup, teardown),
        cmocka_unit_test_setup_teardown(stdout_write_error, setup, teardown),
        cmocka_unit_test_setup_teardown(stdout_reader_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(server_resets_while_client_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(urgent_data_shown_in_line, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_host, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(help_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(ipv6_and_localhost, setup, teardown),
        cmocka_unit_test_setup_teardown(server_dies, setup, teardown),
    };

    return cmocka_run_group_tests_name("tcp-client", tests, NULL, NULL);
}
