/*
 * test_fd_io.c - fd_write_all() on real pipes: every byte through a
 * reader slower than the writer, a descriptor someone made non-blocking
 * (EAGAIN waits instead of failing), and a reader that is gone (EPIPE).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "fd_io.h"
#include "env.h"

#define BIG (1 << 20)

/* A child that sleeps, then reads the pipe to its end and exits with 0
 * if it got exactly `want` bytes of 'x'. */
static pid_t slow_reader(int rd, int wr, size_t want)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        static char buf[65536];
        size_t got = 0;
        ssize_t n, i;

        close(wr);
        sleep_ms(100);
        while ((n = read(rd, buf, sizeof buf)) > 0) {
            for (i = 0; i < n; i++)
                if (buf[i] != 'x')
                    _exit(2);
            got += (size_t)n;
        }
        _exit(got == want ? 0 : 1);
    }
    return pid;
}

static void write_through(int nonblocking)
{
    static char data[BIG];
    int p[2], st;
    pid_t pid;

    memset(data, 'x', sizeof data);
    assert_int_equal(pipe(p), 0);
    if (nonblocking)
        assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    pid = slow_reader(p[0], p[1], sizeof data);
    close(p[0]);
    assert_int_equal(fd_write_all(p[1], data, sizeof data), 0);
    close(p[1]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A megabyte through a 64 KiB pipe whose reader starts late: all of it,
 * in short writes. */
static void every_byte_to_a_slow_reader(void **state)
{
    (void)state;
    write_through(0);
}

/* The same on a descriptor made non-blocking (as a shared terminal can
 * be, by another program): EAGAIN waits for room, it is not an error. */
static void eagain_waits_for_room(void **state)
{
    (void)state;
    write_through(1);
}

/* The reader is gone: -1 with EPIPE (SIGPIPE ignored, as the programs
 * do), not a loop. */
static void reader_gone_is_epipe(void **state)
{
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    errno = 0;
    assert_int_equal(fd_write_all(p[1], "lost\n", 5), -1);
    assert_int_equal(errno, EPIPE);
    close(p[1]);
}

/* Nothing to write: done at once. */
static void zero_bytes(void **state)
{
    (void)state;
    assert_int_equal(fd_write_all(-1, "", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_byte_to_a_slow_reader),
        cmocka_unit_test(eagain_waits_for_room),
        cmocka_unit_test(reader_gone_is_epipe),
        cmocka_unit_test(zero_bytes),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("fd_io", tests, NULL, NULL);
}
