/*
 * test_designs.c - what sets the server designs (--model) apart, run for
 * real over loopback.  What they share (the exchange, the limits, the
 * stop, the trace) is tested by running the other suites against each
 * design (make test: MODEL:SUITE).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
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
#include <cmocka.h>

#include "fixture.h"
#include "promptly.h"
#include "testutil.h"

#define T_MS 5000

/* match for proc_fd_find: the link names `what` (e.g. the epoll one). */
static int names(const char *target, void *what)
{
    return strstr(target, what) != NULL;
}

/* Some descriptor of process pid links to `what`: 1, 0, or -1 (no such
 * process). */
static int holds(pid_t pid, const char *what)
{
    return proc_fd_find(pid, names, (void *)what);
}

/* The article's server: while one client is served, the next one's
 * handshake is done (by the kernel) but nobody welcomes it; when the
 * first leaves, the second is served. */
static void iterative_serves_one_at_a_time(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--model", "iterative",
                            NULL);
    int a = client(port), b = connect_port("127.0.0.1", port);
    char buf[16];

    (void)state;
    assert_int_equal(read_n(b, buf, 1, 300), 0);   /* waits in the backlog */
    echo_promptly(a, "first\n", 1000);
    send_str(a, "quit\n");
    expect_fin(a);
    close(a);
    expect_str(b, "welcome!\n");                   /* now its turn */
    echo_promptly(b, "second\n", 1000);
    close(b);
}

/* A process per client: the parent closes its descriptor of the
 * connected socket right after fork, and the connection goes on in the
 * child (the reference count); the child closes the listener. */
static void fork_parent_close_ends_nothing(void **state)
{
    int port = server_start(&srv, "/dev/null", "-t", "--model", "fork", NULL);
    int c = client(port);
    char got[8192], want[64];
    const char *acc;
    int fd;

    (void)state;
    read_until(srv.err, got, sizeof got, "accept(3) = ", T_MS);
    acc = strstr(got, "accept(3) = ");
    assert_non_null(acc);
    fd = atoi(acc + strlen("accept(3) = "));
    snprintf(want, sizeof want, "close(%d) = 0\n", fd);
    {
        size_t have = strlen(got);
        if (strstr(acc, want) == NULL || strstr(acc, "close(3) = 0\n") == NULL)
            read_until(srv.err, got + have, sizeof got - have, "close(3) = 0\n",
                       T_MS);
    }
    /* Both closes happened (the parent's of fd, the child's of the
     * listener), and the client is still served. */
    assert_non_null(strstr(got, want));
    assert_non_null(strstr(got, "close(3) = 0\n"));
    echo_promptly(c, "still here\n", 1000);
    echo_promptly(c, "and here\n", 1000);
    close(c);
}

/* Each design by name; a wrong name is a usage error naming the five. */
static void model_names(void **state)
{
    static const char *const names[] = { "iterative", "fork", "thread",
                                         "poll", "epoll" };
    char *bad[] = { (char *)bin_path("tcp-server"), "--model", "select", "0",
                    NULL };
    char err[512];
    struct proc p;
    size_t i;

    (void)state;
    for (i = 0; i < 5; i++) {
        int port = server_start(&srv, "/dev/null", "-q", "--model", names[i],
                                NULL);
        int c = client(port);

        echo_promptly(c, "hi\n", 1000);
        close(c);
        proc_kill(&srv);
    }
    proc_start(&p, bad, 0);
    read_until(p.err, err, sizeof err, NULL, T_MS);
    assert_int_equal(proc_wait(&p, T_MS), 2);
    proc_kill(&p);
    assert_non_null(strstr(err, "option '--model' wants iterative, fork, thread, poll or epoll, not 'select'"));
}

/* On Linux the default design is epoll: the server holds an epoll
 * descriptor, and with --model poll it does not.  The server says
 * "listening on" before its loop starts: its descriptors are looked at
 * once it has welcomed a client, from inside the loop. */
static void default_is_epoll_on_linux(void **state)
{
    int c;

    (void)state;
#ifdef __linux__
    c = client(server_start(&srv, "/dev/null", "-q", NULL));
    assert_int_equal(holds(srv.pid, "eventpoll"), 1);
    close(c);
    proc_kill(&srv);
    c = client(server_start(&srv, "/dev/null", "-q", "--model", "poll", NULL));
    assert_int_equal(holds(srv.pid, "eventpoll"), 0);
    close(c);
#else
    (void)c;
    skip();
#endif
}

/* -q: received lines still logged on stdout; -q -q: nothing at all. */
static void quiet_twice_logs_nothing(void **state)
{
    char path[] = "/tmp/tcp-server-qq-XXXXXX", got[256];
    int tmp = mkstemp(path), k;

    (void)state;
    assert_true(tmp >= 0);
    close(tmp);
    for (k = 1; k <= 2; k++) {
        int port = server_start(&srv, path, "-q", k == 2 ? "-q" : NULL, NULL);
        int c = client(port);

        echo_promptly(c, "logged?\n", 1000);
        close(c);
        proc_kill(&srv);
        read_file(path, got, sizeof got, 0);
        if (k == 1)
            assert_non_null(strstr(got, ": logged?\n"));
        else
            assert_string_equal(got, "");
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(iterative_serves_one_at_a_time),
        proc_test(fork_parent_close_ends_nothing),
        proc_test(model_names),
        proc_test(default_is_epoll_on_linux),
        proc_test(quiet_twice_logs_nothing),
    };

    return cmocka_run_group_tests_name("designs", tests, NULL, NULL);
}
