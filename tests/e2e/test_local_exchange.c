/*
 * test_local_exchange.c - the exchange over an AF_LOCAL stream socket
 * (-U PATH), end to end: the real programs on a path in a fresh
 * directory, driven by plain local sockets, OpenBSD nc -U and socat.
 * The socket file's life is checked too: a stale one is replaced, a live
 * one refused, a path that cannot be a socket is one clear line, and the
 * server removes its own file, and only its own, when it exits.  make
 * test runs this suite against every server design (TCP_MODEL).
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "peer_wait.h"
#include "promptly.h"
#include "scratch.h"
#include "testutil.h"

#define T_MS 5000   /* the longest any single step may take */

static char dir[64], path[128];

static int setup(void **state)
{
    procs_setup(state);
    if (scratch_make("test_local", dir, sizeof dir, path,
                     sizeof path) == -1)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    procs_teardown(state);
    return scratch_remove(dir);
}

/* A client on the local socket at p that has read its welcome. */
static int lclient(const char *p)
{
    struct sock_err why;
    int fd = sock_connect_local(p, T_MS, &why);

    if (fd == -1)
        fail_msg("connect %s: %s", p, why.msg);
    expect_str(fd, "welcome!\n");
    return fd;
}

static int is_socket_file(const char *p)
{
    struct stat st;

    return lstat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* A socket file nobody listens on: what a killed server leaves. */
static void make_stale(const char *p)
{
    struct sockaddr_un sun;
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(sock_local_addr(p, &sun, &len), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
    close(fd);
    assert_true(is_socket_file(p));
}

/* The article's exchange over a path, byte for byte, and the lines the
 * server prints: where it listens, and its peers as unix:(unnamed). */
static void exchange_over_a_path(void **state)
{
    static const char odd[] = "a\0b\x1b[2J\xff\r\n";
    char out[1024], want[300];
    int fd;

    (void)state;
    server_start(&srv, NULL, "-U", path, NULL);
    snprintf(want, sizeof want, "listening on unix:%s\n", path);
    assert_string_equal(server_said, want);
    assert_true(is_socket_file(path));

    fd = lclient(path);
    send_str(fd, "hello\n");
    expect_str(fd, "hello\n");
    send_mem(fd, odd, sizeof odd - 1);
    expect_mem(fd, odd, sizeof odd - 1);
    send_str(fd, "QUIT\r\n");
    expect_clean_close(fd);
    close(fd);
    read_until(srv.out, out, sizeof out, "\\xff", T_MS);
    assert_non_null(strstr(out, "unix:(unnamed): hello\n"));
}

/* EOF: the rest is echoed, then the server closes. */
static void eof_echoes_the_rest(void **state)
{
    int fd;

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, NULL);
    fd = lclient(path);
    send_str(fd, "one\nlast");
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    expect_str(fd, "one\nlast");
    expect_fin(fd);
    close(fd);
}

/* --max-line and --max-clients hold over a path as over TCP. */
static void limits_over_a_path(void **state)
{
    int a, b;

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, "--max-line", "16",
                 "--max-clients", "1", NULL);
    a = lclient(path);
    send_str(a, "0123456789abcdefXYZ\n");
    expect_str(a, "error: line too long (max 16 bytes)\n");
    expect_fin(a);
    close(a);

    skip_if_one_at_a_time();
    {
        long long end = ms_now() + T_MS;
        char buf[64];

        /* The first session's goodbye may still hold the slot a moment. */
        for (;;) {
            a = sock_connect_local(path, T_MS, NULL);
            assert_true(a >= 0);
            memset(buf, 0, sizeof buf);
            read_n(a, buf, 9, T_MS);
            if (strcmp(buf, "welcome!\n") == 0)
                break;
            close(a);
            assert_true(ms_now() < end);
            sleep_ms(50);
        }
    }
    b = sock_connect_local(path, T_MS, NULL);
    assert_true(b >= 0);
    expect_str(b, "error: server busy\n");
    expect_fin(b);
    close(b);
    echo_within(a, "still served\n", T_MS);   /* the first noticed nothing */
    close(a);
}

/* SIGTERM: every client hears it, the server exits 0 and its socket
 * file is gone. */
static void sigterm_tells_clients_and_removes_the_file(void **state)
{
    int a, b = -1;

    (void)state;
    server_start(&srv, "/dev/null", "-U", path, NULL);
    a = lclient(path);
    if (!one_at_a_time())
        b = lclient(path);
    echo_within(a, "ping\n", T_MS);
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    expect_str(a, "error: server shutting down\n");
    if (b >= 0)
        expect_str(b, "error: server shutting down\n");
    exits_promptly(&srv, stop_limit_ms() + 500);
    assert_false(is_socket_file(path));
    assert_int_equal(access(path, F_OK), -1);
    close(a);
    if (b >= 0)
        close(b);
}

/* A socket file left by a server that died is replaced. */
static void stale_file_is_replaced(void **state)
{
    int fd;

    (void)state;
    make_stale(path);
    server_start(&srv, "/dev/null", "-U", path, NULL);
    fd = lclient(path);
    echo_within(fd, "on the new socket\n", T_MS);
    close(fd);
}

/* A second server on a path in use is refused with one line, exit 1;
 * the first goes on serving and keeps its file. */
static void live_file_is_refused(void **state)
{
    char err[512], want[300];
    int fd;

    (void)state;
    server_start(&srv, "/dev/null", "-q", "-U", path, NULL);
    {
        char *argv[] = { (char *)bin_path("tcp-server"), "-U", path, NULL };

        proc_start(&srv2, argv, 0);
    }
    assert_int_equal(proc_wait(&srv2, T_MS), 1);
    read_until(srv2.err, err, sizeof err, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-server: bind unix:%s: %s: a server is listening there\n",
             path, strerror(EADDRINUSE));
    assert_string_equal(err, want);
    assert_true(is_socket_file(path));
    fd = lclient(path);
    echo_within(fd, "first server\n", T_MS);
    close(fd);
}

/* The server removes its own file only: one put there since stays. */
static void only_its_own_file_is_removed(void **state)
{
    (void)state;
    server_start(&srv, "/dev/null", "-U", path, NULL);
    assert_int_equal(unlink(path), 0);
    make_stale(path);     /* someone else's socket at the path now */
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    assert_true(is_socket_file(path));
}

/* Run tcp-server with argv; it must exit 1 with one line on stderr that
 * contains `words`.  As another user (nobody) when `as_nobody`. */
static void refused_with(char *const argv[], int as_nobody, const char *words)
{
    char err[1024];
    int pipefd[2], status;
    pid_t pid;
    size_t n;

    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char counts[200];

        dup2(pipefd[1], 2);
        /* A coverage build writes its counts at exit, which nobody may
         * not do in the build tree: it would say so on stderr, line
         * after line.  Its counts go to a place of its own here (any
         * other build ignores GCOV_PREFIX). */
        snprintf(counts, sizeof counts, "%s/gcov", dir);
        if (as_nobody && geteuid() == 0 &&
            ((mkdir(counts, 0700) == -1 && errno != EEXIST) ||
             chown(counts, 65534, 65534) == -1 ||
             setenv("GCOV_PREFIX", counts, 1) == -1 ||
             setgid(65534) == -1 || setuid(65534) == -1))
            _exit(125);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    n = read_until(pipefd[0], err, sizeof err, NULL, T_MS);
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fail_msg("want exit 1 and '%s', got status %d and '%s'", words,
                 status, err);
    assert_true(n > 0 && err[n - 1] == '\n');
    assert_ptr_equal(strchr(err, '\n'), err + n - 1);   /* one line */
    if (strstr(err, words) == NULL)
        fail_msg("want '%s' in '%s'", words, err);
}

/* Paths that cannot be a server's socket: one clear line, exit 1. */
static void bad_paths(void **state)
{
    char longp[256], sub[160], ro[160];
    char *server = (char *)bin_path("tcp-server");

    (void)state;
    /* Too long for sun_path. */
    snprintf(longp, sizeof longp, "%s/%0150d", dir, 0);
    {
        char *argv[] = { server, "-U", longp, NULL };
        refused_with(argv, 0, "File name too long (");
    }
    /* A directory is there: not a socket, and it stays. */
    snprintf(sub, sizeof sub, "%s/d", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    {
        char *argv[] = { server, "-U", sub, NULL };
        refused_with(argv, 0, ": not a socket, left alone");
    }
    assert_int_equal(access(sub, F_OK), 0);
    /* A directory that does not exist. */
    snprintf(sub, sizeof sub, "%s/none/s.sock", dir);
    {
        char *argv[] = { server, "-U", sub, NULL };
        refused_with(argv, 0, strerror(ENOENT));
    }
    /* A directory we may not write in (root is made nobody for this). */
    snprintf(ro, sizeof ro, "%s/ro", dir);
    assert_int_equal(mkdir(ro, 0555), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(sub, sizeof sub, "%s/ro/s.sock", dir);
    {
        char *argv[] = { server, "-U", sub, NULL };
        refused_with(argv, 1, strerror(EACCES));
    }
    assert_int_equal(access(sub, F_OK), -1);
}

/* tcp-client -U: the exchange from stdin; no server, or a stale file,
 * is one line and exit 1. */
static void client_over_a_path(void **state)
{
    char out[256], err[512], want[300];
    char *client = (char *)bin_path("tcp-client");

    (void)state;
    {
        char *argv[] = { client, "-U", path, NULL };

        proc_start(&cli, argv, 0);
        assert_int_equal(proc_wait(&cli, T_MS), 1);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        snprintf(want, sizeof want, "tcp-client: connect unix:%s: %s\n", path,
                 strerror(ENOENT));
        assert_string_equal(err, want);
        proc_kill(&cli);
    }
    make_stale(path);
    {
        char *argv[] = { client, "-U", path, NULL };

        proc_start(&cli, argv, 0);
        assert_int_equal(proc_wait(&cli, T_MS), 1);
        read_until(cli.err, err, sizeof err, NULL, T_MS);
        snprintf(want, sizeof want, "tcp-client: connect unix:%s: %s\n", path,
                 strerror(ECONNREFUSED));
        assert_string_equal(err, want);
        proc_kill(&cli);
    }
    server_start(&srv, "/dev/null", "-U", path, NULL);
    {
        char *argv[] = { client, "-U", path, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "hello\nquit\nnot sent\n", 20, T_MS),
                         0);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nhello\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
}

#ifdef __linux__
/* A Linux abstract name: no file at all, and the same exchange. */
static void abstract_name(void **state)
{
    char name[64], want[128], out[256];
    int fd;

    (void)state;
    snprintf(name, sizeof name, "@test_local.%ld", (long)getpid());
    server_start(&srv, "/dev/null", "-U", name, NULL);
    snprintf(want, sizeof want, "listening on unix:%s\n", name);
    assert_string_equal(server_said, want);
    assert_int_equal(access(name, F_OK), -1);
    fd = lclient(name);
    echo_within(fd, "abstract\n", T_MS);
    close(fd);
    {
        char *argv[] = { (char *)bin_path("tcp-client"), "-U", name, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "hi\n", 3, T_MS), 0);
        proc_close_in(&cli);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nhi\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
}
#endif

/* Trace mode names the family and the path, and shows no TCP state. */
static void trace_shows_af_local(void **state)
{
    char err[4096], want[300];
    int fd;

    (void)state;
    server_start(&srv, "/dev/null", "-t", "-U", path, NULL);
    assert_non_null(strstr(server_early, "socket(AF_LOCAL, SOCK_STREAM, 0) = 3\n"));
    snprintf(want, sizeof want, "bind(3, unix:%s) = 0\n", path);
    assert_non_null(strstr(server_early, want));
    assert_non_null(strstr(server_early, "listen(3, backlog="));
    assert_null(strstr(server_early, "state"));
    fd = lclient(path);
    close(fd);
    snprintf(want, sizeof want, "peer unix:(unnamed)  local unix:%s", path);
    read_until(srv.err, err, sizeof err, want, T_MS);
    assert_non_null(strstr(err, want));
}

/* OpenBSD nc -U and socat against tcp-server -U, and tcp-client -U
 * against nc -lU. */

static void peers_nc_and_socat(void **state)
{
    char out[256], target[160], nc_path[256], socat_path[256];

    (void)state;
    peer_need_openbsd_nc(nc_path, sizeof nc_path);
    need_tool("socat", socat_path, sizeof socat_path);
    server_start(&srv, "/dev/null", "-U", path, NULL);
    {
        char *argv[] = { nc_path, "-N", "-U", path, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "from nc\n", 8, T_MS), 0);
        proc_close_in(&cli);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nfrom nc\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        proc_kill(&cli);
    }
    snprintf(target, sizeof target, "UNIX-CONNECT:%s", path);
    {
        char *argv[] = { socat_path, "-", target, NULL };

        proc_start(&cli, argv, 1);
        assert_int_equal(write_full(cli.in, "from socat\nquit\n", 16, T_MS), 0);
        read_until(cli.out, out, sizeof out, NULL, T_MS);
        assert_string_equal(out, "welcome!\nfrom socat\n");
        assert_int_equal(proc_wait(&cli, T_MS), 0);
        proc_kill(&cli);
    }
    proc_kill(&srv);

    /* tcp-client against nc -lU: both directions. */
    {
        char *nc[] = { nc_path, "-N", "-lU", path, NULL };
        char *cl[] = { (char *)bin_path("tcp-client"), "-U", path, NULL };

        proc_start(&srv2, nc, 1);
        if (peer_wait_unix_listening(&srv2, path, T_MS) != 1)
            fail_msg("nc -lU did not listen at %s", path);
        proc_start(&cli, cl, 1);
        assert_int_equal(write_full(cli.in, "to nc\n", 6, T_MS), 0);
        read_until(srv2.out, out, sizeof out, "\n", T_MS);
        assert_string_equal(out, "to nc\n");
        assert_int_equal(write_full(srv2.in, "from nc\n", 8, T_MS), 0);
        read_until(cli.out, out, sizeof out, "\n", T_MS);
        assert_string_equal(out, "from nc\n");
        proc_close_in(&srv2);
        proc_close_in(&cli);
        assert_int_equal(proc_wait(&cli, T_MS), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exchange_over_a_path, setup, teardown),
        cmocka_unit_test_setup_teardown(eof_echoes_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_over_a_path, setup, teardown),
        cmocka_unit_test_setup_teardown(sigterm_tells_clients_and_removes_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_file_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(live_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(only_its_own_file_is_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(client_over_a_path, setup, teardown),
#ifdef __linux__
        cmocka_unit_test_setup_teardown(abstract_name, setup, teardown),
#endif
        cmocka_unit_test_setup_teardown(trace_shows_af_local, setup, teardown),
        cmocka_unit_test_setup_teardown(peers_nc_and_socat, setup, teardown),
    };

    return cmocka_run_group_tests_name("tcp-server -U", tests, NULL, NULL);
}
