/*
 * test_tcp_server.c - tcp-server end to end: the real program on a port
 * the kernel picks, driven by plain sockets, with the exact bytes of the
 * exchange checked (welcome, echo, quit, EOF, many clients, errors).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
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
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "promptly.h"
#include "testutil.h"

#define T_MS 5000   /* the longest any single step may take */

/* The article's exchange, byte for byte. */
static void welcome_echo_quit(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "hello\n");
    expect_str(fd, "hello\n");
    send_str(fd, "second line\n");
    expect_str(fd, "second line\n");
    send_str(fd, "quit\n");
    expect_clean_close(fd);   /* quit is never echoed */
    close(fd);
}

/* Echo is byte-exact: CRLF, NUL, escape sequences, non-UTF-8. */
static void echo_is_byte_exact(void **state)
{
    static const char odd[] = "a\0b\x1b[2J\xff\xfe\r\n";
    int port = server_start(&srv, "/dev/null", NULL);
    int fd = client(port);

    (void)state;
    send_mem(fd, odd, sizeof odd - 1);
    expect_mem(fd, odd, sizeof odd - 1);
    send_str(fd, "telnet style\r\n");
    expect_str(fd, "telnet style\r\n");
    send_str(fd, "\n");
    expect_str(fd, "\n");          /* an empty line is a line */
    close(fd);
}

/* Lines on stdout name the peer; bytes that could drive a terminal are
 * escaped; connects and disconnects go to stderr. */
static void stdout_names_peer_and_escapes(void **state)
{
    char path[] = "/tmp/tcp-server-out-XXXXXX";
    char out[1024], err[1024];
    char peer[SOCK_ADDR_TEXT_MAX], want[512];
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int tmp = mkstemp(path), port, fd;

    (void)state;
    assert_true(tmp >= 0);
    close(tmp);
    port = server_start(&srv, path, "--once", NULL);
    fd = client(port);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(sock_addr_text((struct sockaddr *)&ss, len, peer,
                                    sizeof peer), 0);
    send_str(fd, "hi there\n");
    expect_str(fd, "hi there\n");
    send_mem(fd, "a\x1b[2Jb\0c\\\r\n", 11);
    expect_mem(fd, "a\x1b[2Jb\0c\\\r\n", 11);
    send_str(fd, "quit\n");
    expect_clean_close(fd);
    close(fd);
    assert_int_equal(proc_wait(&srv, T_MS), 0);   /* --once: exits 0 */

    (void)read_file(path, out, sizeof out, 1);
    snprintf(want, sizeof want,
             "%s: hi there\n%s: a\\x1b[2Jb\\x00c\\\\\\r\n%s: quit\n",
             peer, peer, peer);
    assert_string_equal(out, want);

    read_until(srv.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want, "connected %s\n", peer);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof want, "disconnected %s (quit)\n", peer);
    assert_non_null(strstr(err, want));
}

/* -q keeps connects and disconnects off stderr. */
static void quiet_silences_chatter(void **state)
{
    char err[512];
    int port = server_start(&srv, "/dev/null", "-q", "--once", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "quit\n");
    expect_clean_close(fd);
    close(fd);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    read_until(srv.err, err, sizeof err, NULL, T_MS);
    assert_null(strstr(err, "connected"));
}

/* Every spelling of quit ends the session without an echo. */
static void quit_variants(void **state)
{
    static const char *const quits[] = { "QUIT\n", "Quit\r\n", "qUiT\n" };
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    size_t i;

    (void)state;
    for (i = 0; i < sizeof quits / sizeof quits[0]; i++) {
        int fd = client(port);
        send_str(fd, "x\n");
        expect_str(fd, "x\n");
        send_str(fd, quits[i]);
        expect_clean_close(fd);
        close(fd);
    }
}

/* Near misses are ordinary lines and are echoed. */
static void near_quits_are_echoed(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, " quit\n");
    expect_str(fd, " quit\n");
    send_str(fd, "quit now\n");
    expect_str(fd, "quit now\n");
    send_str(fd, "quitquit\n");
    expect_str(fd, "quitquit\n");
    close(fd);
}

/* Client EOF: what is held is echoed, the last unterminated line too. */
static void eof_echoes_rest_then_closes(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "one\ntwo\nthree");     /* no newline on the last */
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_str(fd, "one\ntwo\nthree");
    expect_fin(fd);
    close(fd);
}

/* An unterminated "quit" before EOF is still quit: nothing echoed. */
static void unterminated_quit_at_eof(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "quit");
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_fin(fd);
    close(fd);
}

/* After one client leaves, the next one gets the same service. */
static void second_client_after_first(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int a, b;

    (void)state;
    a = client(port);
    send_str(a, "first\nquit\n");
    expect_str(a, "first\n");
    expect_clean_close(a);
    close(a);
    b = client(port);
    send_str(b, "second\n");
    expect_str(b, "second\n");
    close(b);
}

/* N clients connected at once, interleaved, every echo checked. */
static void many_clients(int n)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int *fd = calloc((size_t)n, sizeof *fd);
    char line[64];
    int i, round;

    assert_non_null(fd);
    for (i = 0; i < n; i++)
        fd[i] = client(port);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < n; i++) {
            snprintf(line, sizeof line, "client %d round %d\n", i, round);
            send_str(fd[i], line);
        }
        for (i = n; i-- > 0;) {
            snprintf(line, sizeof line, "client %d round %d\n", i, round);
            expect_str(fd[i], line);
        }
    }
    for (i = 0; i < n; i++) {
        send_str(fd[i], "quit\n");
        expect_fin(fd[i]);
        close(fd[i]);
    }
    free(fd);
}

static void two_clients_at_once(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    (void)state;
    many_clients(2);
}

static void fifty_clients_at_once(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    (void)state;
    many_clients(50);
}

/* A line over --max-line gets the error line, then the close. */
static void line_too_long(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--max-line", "16", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "exactly 16 byte\n");          /* at the limit: fine */
    expect_str(fd, "exactly 16 byte\n");
    send_str(fd, "this line is far too long\n");
    expect_str(fd, "error: line too long (max 16 bytes)\n");
    expect_clean_close(fd);
    close(fd);
}

/* An unterminated last line of exactly the limit is not too long: it is
 * echoed before the close (EOF decides, not the full buffer). */
static void last_line_of_exactly_the_limit(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--max-line", "16", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "sixteen bytes!!!");              /* 16, no newline */
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_str(fd, "sixteen bytes!!!");
    expect_fin(fd);
    close(fd);

    fd = client(port);                             /* 17: too long */
    send_str(fd, "seventeen bytes!!");
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_str(fd, "error: line too long (max 16 bytes)\n");
    expect_fin(fd);
    close(fd);
}

/* By default 1024 clients are served at once and the next is told busy. */
static void default_client_limit(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    enum { N = 1024 };
    int *fd = malloc((N + 1) * sizeof *fd), port, i, extra;

    (void)state;
    assert_non_null(fd);
    want_fds(N + 64);
    port = server_start(&srv, "/dev/null", "-q", NULL);
    /* All connected first (the kernel queues them in order), then every
     * welcome read: the server works on them side by side. */
    for (i = 0; i < N; i++)
        fd[i] = connect_port("127.0.0.1", port);
    for (i = 0; i < N; i++)
        expect_str(fd[i], "welcome!\n");
    extra = connect_port("127.0.0.1", port);
    expect_str(extra, "error: server busy\n");
    expect_fin(extra);
    close(extra);
    echo_promptly(fd[N - 1], "the 1024th\n", 1000);
    for (i = 0; i < N; i++)
        close(fd[i]);
    free(fd);
}

/* Refused for sure: nobody listens on that family's side of the port. */
static void expect_refused(const char *host, int port)
{
    char ps[16];
    struct sock_err why;

    snprintf(ps, sizeof ps, "%d", port);
    assert_int_equal(sock_connect_to(host, ps, AF_UNSPEC, T_MS, &why), -1);
    assert_int_equal(errno, ECONNREFUSED);
}

/* -4 and -6 without -b: every interface of that family only, and the
 * listening line in each family's form. */
static void families_without_bind(void **state)
{
    char want[128];
    int port, fd;

    (void)state;
    port = server_start(&srv, "/dev/null", "-q", "-4", NULL);
    snprintf(want, sizeof want, "listening on 0.0.0.0:%d\n", port);
    assert_string_equal(server_said, want);
    fd = client(port);
    close(fd);
    expect_refused("::1", port);
    proc_kill(&srv);

    port = server_start(&srv, "/dev/null", "-q", "-6", NULL);
    snprintf(want, sizeof want, "listening on [::]:%d\n", port);
    assert_string_equal(server_said, want);
    fd = connect_port("::1", port);
    expect_str(fd, "welcome!\n");
    close(fd);
    expect_refused("127.0.0.1", port);     /* IPv6 only: no v4-mapped */
}

/* The listening line: IPv6 as [ADDR]:PORT, the real port; dual stack by
 * default; -b takes an IPv6 address in brackets too. */
static void listening_line_forms(void **state)
{
    char want[128];
    int port;

    (void)state;
    port = server_start_dual(&srv, "/dev/null", "-q", NULL);
    snprintf(want, sizeof want, "listening on [::]:%d\n", port);
    assert_string_equal(server_said, want);
    proc_kill(&srv);

    port = server_start(&srv, "/dev/null", "-q", "-b", "::1", NULL);
    snprintf(want, sizeof want, "listening on [::1]:%d\n", port);
    assert_string_equal(server_said, want);
    proc_kill(&srv);

    port = server_start(&srv, "/dev/null", "-q", "-b", "[::1]", NULL);
    snprintf(want, sizeof want, "listening on [::1]:%d\n", port);
    assert_string_equal(server_said, want);
    proc_kill(&srv);

    port = server_start(&srv, "/dev/null", "-q", NULL);
    snprintf(want, sizeof want, "listening on 127.0.0.1:%d\n", port);
    assert_string_equal(server_said, want);
}

/* --once: one client, then exit 0; the port is closed afterwards. */
static void once_serves_one_client(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--once", NULL);
    int fd = client(port);
    char ps[16];
    struct sock_err why;

    (void)state;
    send_str(fd, "only\n");
    expect_str(fd, "only\n");
    close(fd);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    snprintf(ps, sizeof ps, "%d", port);
    assert_int_equal(sock_connect_to("127.0.0.1", ps, AF_INET, T_MS, &why), -1);
    assert_int_equal(errno, ECONNREFUSED);
}

/* SIGTERM: every client is told, the server exits 0 within a second. */
static void sigterm_tells_clients(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int a = client(port), b = client(port);
    long long t0;

    (void)state;
    send_str(a, "busy\n");
    expect_str(a, "busy\n");
    t0 = ms_now();
    kill(srv.pid, SIGTERM);
    expect_str(a, "error: server shutting down\n");
    expect_str(b, "error: server shutting down\n");
    expect_clean_close(a);
    expect_fin(b);
    stopped_promptly(&srv, t0);             /* tcp-server(1): within a second */
    close(a);
    close(b);
}

/* A second server on a taken port: exit 1, naming address and reason. */
static void port_in_use(void **state)
{
    char ps[16], err[512], want[128];
    char *argv[] = { NULL, "-b", "127.0.0.1", ps, NULL };
    int port = server_start(&srv, "/dev/null", "-q", NULL);

    (void)state;
    snprintf(ps, sizeof ps, "%d", port);
    argv[0] = (char *)bin_path("tcp-server");
    proc_start(&srv2, argv, 0);
    assert_int_equal(proc_wait(&srv2, T_MS), 1);
    read_until(srv2.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-server: bind 127.0.0.1:%d: Address already in use\n", port);
    assert_string_equal(err, want);
}

/* Usage errors exit 2 and say which argument is wrong. */
static void bad_arguments(void **state)
{
    static const struct {
        const char *arg1, *arg2, *says;
    } bad[] = {
        { "70000", NULL, "PORT" },
        { "http", NULL, "PORT" },
        { "--bogus", NULL, "'--bogus'" },
        { "-x", NULL, "'-x'" },
        { "-4", "-6", "'-4' and '-6'" },
        { "--max-line", "abc", "'--max-line'" },
        { "--max-line", NULL, "'--max-line' needs a value" },
        { "1", "2", "one PORT" },
        { "--max-clients", "0", "'--max-clients'" },
        { "--max-clients", "many", "'--max-clients'" },
        { "--idle-timeout", "-1", "'--idle-timeout'" },
        { "--idle-timeout", "86401", "'--idle-timeout'" },
        { "--idle-timeout", NULL, "'--idle-timeout' needs a value" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { (char *)bin_path("tcp-server"), (char *)bad[i].arg1,
                         (char *)bad[i].arg2, NULL };
        char err[512];

        proc_start(&srv2, argv, 0);
        assert_int_equal(proc_wait(&srv2, T_MS), 2);
        read_until(srv2.err, err, sizeof err, NULL, T_MS);
        if (strstr(err, bad[i].says) == NULL)
            fail_msg("'%s %s': '%s' lacks '%s'", bad[i].arg1,
                     bad[i].arg2 ? bad[i].arg2 : "", err, bad[i].says);
        assert_non_null(strstr(err, "tcp-server --help"));
        proc_kill(&srv2);
    }
}

static void help_and_version(void **state)
{
    char *help[] = { (char *)bin_path("tcp-server"), "--help", NULL };
    char *version[] = { (char *)bin_path("tcp-server"), "-V", NULL };
    char out[2048];

    (void)state;
    proc_start(&srv2, help, 0);
    read_until(srv2.out, out, sizeof out, NULL, T_MS);
    assert_int_equal(proc_wait(&srv2, T_MS), 0);
    assert_non_null(strstr(out, "usage: tcp-server"));
    assert_non_null(strstr(out, "--once"));
    proc_kill(&srv2);
    proc_start(&srv2, version, 0);
    read_until(srv2.out, out, sizeof out, NULL, T_MS);
    assert_int_equal(proc_wait(&srv2, T_MS), 0);
    assert_string_equal(out, "tcp-server (libsock) " LIBSOCK_VERSION "\n");
}

/* The default listener is dual stack: IPv4 and IPv6 clients both served,
 * the IPv4 one shown as plain IPv4. */
static void dual_stack_v4_and_v6(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    char path[] = "/tmp/tcp-server-out-XXXXXX";
    char out[512];
    int tmp = mkstemp(path), port, a, b;

    (void)state;
    assert_true(tmp >= 0);
    close(tmp);
    port = server_start_dual(&srv, path, "-q", NULL);
    a = client(port);
    b = connect_port("::1", port);
    expect_str(b, "welcome!\n");
    send_str(a, "over v4\n");
    send_str(b, "over v6\n");
    expect_str(a, "over v4\n");
    expect_str(b, "over v6\n");
    close(a);
    close(b);
    kill(srv.pid, SIGTERM);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    (void)read_file(path, out, sizeof out, 1);
    assert_non_null(strstr(out, "127.0.0.1:"));
    assert_non_null(strstr(out, ": over v4\n"));
    assert_non_null(strstr(out, "[::1]:"));
    assert_null(strstr(out, "::ffff:"));
}

/* -b ::1 and -6 listen on IPv6 only; -4 on IPv4; "localhost" works. */
static void families_and_bind(void **state)
{
    char err[256];
    int port, fd;

    (void)state;
    port = server_start(&srv, "/dev/null", "-q", "-b", "::1", NULL);
    fd = connect_port("::1", port);
    expect_str(fd, "welcome!\n");
    close(fd);
    proc_kill(&srv);

    port = server_start(&srv, "/dev/null", "-q", "-4", "-b", "127.0.0.1", NULL);
    fd = connect_port("localhost", port);
    expect_str(fd, "welcome!\n");
    close(fd);
    proc_kill(&srv);

    port = server_start(&srv, "/dev/null", "-q", "-6", "-b", "::1", NULL);
    fd = connect_port("::1", port);
    expect_str(fd, "welcome!\n");
    close(fd);
    proc_kill(&srv);

    /* The listening line names the bound address as [ADDR]:PORT. */
    {
        char *argv[] = { (char *)bin_path("tcp-server"), "-b", "127.0.0.1",
                         "0", NULL };
        proc_start(&srv, argv, 0);
        read_until(srv.err, err, sizeof err, "\n", T_MS);
        assert_memory_equal(err, "listening on 127.0.0.1:", 23);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(welcome_echo_quit),
        proc_test(echo_is_byte_exact),
        proc_test(stdout_names_peer_and_escapes),
        proc_test(quiet_silences_chatter),
        proc_test(quit_variants),
        proc_test(near_quits_are_echoed),
        proc_test(eof_echoes_rest_then_closes),
        proc_test(unterminated_quit_at_eof),
        proc_test(second_client_after_first),
        proc_test(two_clients_at_once),
        proc_test(fifty_clients_at_once),
        proc_test(line_too_long),
        proc_test(last_line_of_exactly_the_limit),
        proc_test(default_client_limit),
        proc_test(families_without_bind),
        proc_test(listening_line_forms),
        proc_test(once_serves_one_client),
        proc_test(sigterm_tells_clients),
        proc_test(port_in_use),
        proc_test(bad_arguments),
        proc_test(help_and_version),
        proc_test(dual_stack_v4_and_v6),
        proc_test(families_and_bind),
    };

    return cmocka_run_group_tests_name("tcp-server", tests, NULL, NULL);
}
