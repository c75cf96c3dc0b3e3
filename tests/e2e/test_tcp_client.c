/*
 * test_tcp_client.c - tcp-client end to end: against the real tcp-server,
 * and against scripted servers played by the test itself (a welcome with
 * no newline, a server that closes first, one that reads to EOF), all on
 * ports the kernel picks.  A silent server is given up on (-w), and a
 * hostile one cannot drive the terminal: the client's stdout on a
 * pseudo-terminal gets control bytes escaped, a pipe gets them exact.
 *
 * SPDX-License-Identifier: MIT
 */
/* posix_openpt(), grantpt(), unlockpt(), ptsname(): the pseudo-terminal
 * calls are X/Open's. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
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
#include <sys/un.h>
#include <termios.h>
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

/* tcp-client with one option (and its value, or NULL) before 127.0.0.1
 * PORT; stdin a pipe of the test's (cli.in). */
static void start_client_opt(const char *opt, const char *val, int port)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), (char *)opt,
                     (char *)(val != NULL ? val : "127.0.0.1"),
                     (char *)(val != NULL ? "127.0.0.1" : ps),
                     val != NULL ? ps : NULL, NULL };

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

/* The one line a client that gives up on a silent server prints. */
static void expect_gave_up(const char *server, int secs)
{
    char err[256], want[200];

    read_until(cli.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-client: %s: nothing received for %d s; giving up\n",
             server, secs);
    assert_string_equal(err, want);
}

/*
 * A server that never says a word, its input still open: a listener that
 * never accepts (the kernel finishes the handshake, so the client is
 * connected and waits).  --idle-timeout 1: exit 1, one line naming the
 * server and the wait, nothing on stdout.  The bound is generous: the
 * promise is that it ends, not when to the millisecond.
 */
static void idle_timeout_with_input_open(void **state)
{
    char out[64], name[64];
    int port = fake_server();

    (void)state;
    start_client_opt("--idle-timeout", "1", port);
    assert_int_equal(proc_wait(&cli, 15000), 1);
    snprintf(name, sizeof name, "127.0.0.1:%d", port);
    expect_gave_up(name, 1);
    assert_int_equal(read_until(cli.out, out, sizeof out, NULL, T_MS), 0);
}

/* The same after the input has ended: the client has half-closed and
 * waits for the rest; a server that neither answers nor closes is given
 * up on (-w 1).  It got the line and the FIN first. */
static void idle_timeout_after_input_ended(void **state)
{
    char got[64], name[64];
    int port = fake_server(), fd;

    (void)state;
    start_client_opt("-w", "1", port);
    fd = sock_accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    type("anyone?\n");
    proc_close_in(&cli);
    assert_int_equal(read_until(fd, got, sizeof got, NULL, T_MS), 8);
    assert_string_equal(got, "anyone?\n");
    assert_int_equal(proc_wait(&cli, 15000), 1);
    snprintf(name, sizeof name, "127.0.0.1:%d", port);
    expect_gave_up(name, 1);
    close(fd);
}

/* A server that keeps talking, a line every 300 ms for well past the
 * limit (-w 2): the client is not cut, shows every line and ends with
 * the server's close, exit 0. */
static void idle_timeout_spares_a_talking_server(void **state)
{
    char line[32];
    int port = fake_server(), fd, i;

    (void)state;
    start_client_opt("-w", "2", port);
    fd = sock_accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    for (i = 0; i < 12; i++) {          /* 3.6 s in all */
        struct timespec pause = { 0, 300000000 };
        int k = snprintf(line, sizeof line, "tick %d\n", i);

        assert_int_equal(write_full(fd, line, (size_t)k, T_MS), 0);
        expect_out(line);
        nanosleep(&pause, NULL);
    }
    close(fd);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
}

/* -U: a local listener that never accepts is given up on the same way,
 * named unix:PATH. */
static void idle_timeout_local(void **state)
{
    char path[] = "/tmp/tcp-client-idle-XXXXXX";
    char sock[64], name[96];
    struct sockaddr_un a;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    snprintf(sock, sizeof sock, "%s.sock", path);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-w", "1", "-U", sock,
                         NULL };
        proc_start(&cli, argv, 1);
    }
    assert_int_equal(proc_wait(&cli, 15000), 1);
    snprintf(name, sizeof name, "unix:%s", sock);
    expect_gave_up(name, 1);
    unlink(sock);
}

/*
 * What a hostile server sends to trick a terminal: OSC 52 (write the
 * clipboard), OSC 0 (the title), CSI 2J (clear the screen), NUL, C1
 * controls in UTF-8 and as raw bytes, a right-to-left override, a bare
 * CR that draws a fake prompt, a backslash; with Chinese text, a tab and
 * a CR LF, which pass.  The last character is cut between two writes.
 */
static const char hostile_1[] =
    "\x1b]52;c;cHduZWQ=\x07\x1b]0;owned\x07\x1b[2J"
    "a\0b\xc2\x9b" "1m\x9d\xe2\x80\xae" "gpj.exe\n"
    "\xe4\xbd\xa0\xe5\xa5\xbd\tok\r\nfine\r$ sudo \\ \xe5\xa5";
static const char hostile_2[] = "\xbd\n";
static const char hostile_shown[] =
    "\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;owned\\x07\\x1b[2J"
    "a\\x00b\\xc2\\x9b" "1m\\x9d\\xe2\\x80\\xae" "gpj.exe\n"
    "\xe4\xbd\xa0\xe5\xa5\xbd\tok\r\nfine\\r$ sudo \\\\ \xe5\xa5\xbd\n";

static char pty_slave[128];

/* Run in the client just before its exec: stdout on the terminal. */
static int stdout_to_pty(void)
{
    int fd = open(pty_slave, O_RDWR | O_NOCTTY);

    if (fd == -1 || dup2(fd, STDOUT_FILENO) == -1)
        return -1;
    close(fd);
    return 0;
}

/* A pseudo-terminal whose slave passes output as written (no \n to
 * \r\n: OPOST off).  Returns the master; *slave is kept open so the
 * master never reads EIO while the test reads it. */
static int open_pty(int *slave)
{
    struct termios t;
    int m = posix_openpt(O_RDWR | O_NOCTTY);

    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    snprintf(pty_slave, sizeof pty_slave, "%s", ptsname(m));
    *slave = open(pty_slave, O_RDWR | O_NOCTTY);
    assert_true(*slave >= 0);
    assert_int_equal(tcgetattr(*slave, &t), 0);
    t.c_oflag &= ~(tcflag_t)OPOST;
    assert_int_equal(tcsetattr(*slave, TCSANOW, &t), 0);
    return m;
}

/* The client against the test's server with stdout on a terminal
 * (`raw`: --raw given): the hostile bytes are sent, the server closes,
 * and what reached the terminal is returned in got (its length). */
static size_t hostile_on_terminal(int raw, char *got, size_t cap, size_t want)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), "127.0.0.1", ps, NULL,
                     NULL };
    int port = fake_server(), slave, m = open_pty(&slave), fd;
    struct pollfd p;
    size_t n, first;

    if (raw) {
        argv[1] = "--raw";
        argv[2] = "127.0.0.1";
        argv[3] = ps;
    }
    snprintf(ps, sizeof ps, "%d", port);
    proc_start_with(&cli, argv, 1, stdout_to_pty);
    fd = sock_accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    assert_int_equal(write_full(fd, hostile_1, sizeof hostile_1 - 1, T_MS), 0);
    /* The cut character's first part reaches the client on its own: all
     * but it is shown at once, and it waits, neither raw nor escaped, for
     * its last byte (--raw: all of it at once). */
    first = raw ? sizeof hostile_1 - 1 : strlen(hostile_shown) - 4;
    n = read_n(m, got, first, T_MS);
    assert_int_equal(n, first);
    assert_int_equal(write_full(fd, hostile_2, sizeof hostile_2 - 1, T_MS), 0);
    close(fd);
    n += read_n(m, got + n, want - n, T_MS);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    /* It has exited: all it wrote is there; nothing more may be. */
    p.fd = m;
    p.events = POLLIN;
    p.revents = 0;
    if (n < cap && poll(&p, 1, 0) == 1 && read(m, got + n, 1) == 1)
        n++;
    close(slave);
    close(m);
    return n;
}

/* On a terminal the client shows every control byte escaped, as the
 * server's log does; text, tabs and line ends stay as they are. */
static void terminal_gets_control_bytes_escaped(void **state)
{
    char got[512];
    size_t want = strlen(hostile_shown), n;

    (void)state;
    n = hostile_on_terminal(0, got, sizeof got, want);
    if (n != want || memcmp(got, hostile_shown, want) != 0)
        fail_msg("terminal got %zu bytes \"%.*s\"", n, (int)n, got);
}

/* --raw: the terminal gets the bytes exactly. */
static void terminal_raw_gets_bytes_exactly(void **state)
{
    char got[512], want[512];
    size_t n, wlen = sizeof hostile_1 - 1 + sizeof hostile_2 - 1;

    (void)state;
    memcpy(want, hostile_1, sizeof hostile_1 - 1);
    memcpy(want + sizeof hostile_1 - 1, hostile_2, sizeof hostile_2 - 1);
    n = hostile_on_terminal(1, got, sizeof got, wlen);
    assert_int_equal(n, wlen);
    assert_memory_equal(got, want, wlen);
}

/* Into a pipe the same bytes arrive exactly, escaping or not. */
static void pipe_gets_bytes_exactly(void **state)
{
    char got[512], want[512];
    int port = fake_server(), fd;
    size_t n, wlen = sizeof hostile_1 - 1 + sizeof hostile_2 - 1;

    (void)state;
    memcpy(want, hostile_1, sizeof hostile_1 - 1);
    memcpy(want + sizeof hostile_1 - 1, hostile_2, sizeof hostile_2 - 1);
    fd = start_client_accepted(port);
    assert_int_equal(write_full(fd, want, wlen, T_MS), 0);
    close(fd);
    n = read_n(cli.out, got, sizeof got, T_MS);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    assert_int_equal(n, wlen);
    assert_memory_equal(got, want, wlen);
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
        cmocka_unit_test_setup_teardown(idle_timeout_with_input_open, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_timeout_after_input_ended, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_timeout_spares_a_talking_server, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_timeout_local, setup, teardown),
        cmocka_unit_test_setup_teardown(terminal_gets_control_bytes_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(terminal_raw_gets_bytes_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(pipe_gets_bytes_exactly, setup, teardown),
    };

    return cmocka_run_group_tests_name("tcp-client", tests, NULL, NULL);
}
