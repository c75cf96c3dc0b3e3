/*
 * test_serve_udp.c - serve_udp.c in this process, for what the real
 * program cannot be made to meet on loopback: a reply the socket will not
 * take (sendto's EAGAIN, scripted with --wrap) is dropped and counted,
 * never waited for, and the server goes on answering.
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
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "libsock.h"
#include "logq.h"
#include "serve.h"
#include "mock_syscalls.h"
#include "net.h"

static volatile sig_atomic_t stop;
static int wake[2];

/* What a signal does in tcp-server: set the flag, wake the loop. */
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    (void)write(wake[1], "", 1);
}

/* The peer, in a child process (cmocka's scripts answer only the thread
 * that runs the test, which here is the server): two lines, then the
 * only echo that can come, then the signal, then the notice. */
static int peer(const char *port)
{
    char buf[64];
    int c = sock_udp_connect("127.0.0.1", port, AF_INET, NULL);

    if (c < 0 || sock_write(c, "lost\n", 5) != 5 ||
        sock_write(c, "kept\n", 5) != 5)
        return 2;
    /* The server did not wait on the full socket: the second line's echo
     * is the first datagram to come. */
    if (read_n(c, buf, 5, 5000) != 5 || memcmp(buf, "kept\n", 5) != 0)
        return 3;
    kill(getppid(), SIGUSR1);
    if (read_n(c, buf, 28, 5000) != 28 ||
        memcmp(buf, "error: server shutting down\n", 28) != 0)
        return 4;
    return 0;
}

static void dropped_replies_are_counted(void **state)
{
    struct server_config cfg;
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int errp[2], fd, status;
    char port[16], err[1024];
    pid_t pid;

    (void)state;
    mock_reset();
    stop = 0;
    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(pipe(wake), 0);
    assert_int_equal(pipe(errp), 0);
    assert_ptr_not_equal(signal(SIGUSR1, on_signal), SIG_ERR);
    fd = sock_udp_open("127.0.0.1", "0", AF_INET, NULL);
    assert_true(fd >= 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(peer(port));

    cfg.max_line = 64;
    cfg.max_clients = 4;
    cfg.quiet = 2;
    cfg.wake_fd = wake[0];
    cfg.log = logq_open(errp[1], errp[1], 4096, "tcp-server");
    assert_non_null(cfg.log);
    /* The welcome and the first echo find the socket full; then room. */
    mock_script(MOCK_SENDTO);
    will_return(__wrap_sendto, -1);
    will_return(__wrap_sendto, EAGAIN);
    will_return(__wrap_sendto, -1);
    will_return(__wrap_sendto, EAGAIN);
    will_return_always(__wrap_sendto, MOCK_REAL);
    alarm(10);   /* a bound on the whole run, should the peer be lost */
    assert_int_equal(serve_udp_run(fd, &cfg, &stop), 0);
    alarm(0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    (void)logq_close(cfg.log, 1000);
    close(errp[1]);
    read_until(errp[0], err, sizeof err, NULL, 5000);
    assert_string_equal(err, "tcp-server: 2 replies dropped: the socket's "
                             "send buffer was full\n");
    close(errp[0]);
    close(wake[0]);
    close(wake[1]);
    signal(SIGUSR1, SIG_DFL);
    mock_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dropped_replies_are_counted),
    };

    return cmocka_run_group_tests_name("serve_udp", tests, NULL, NULL);
}
