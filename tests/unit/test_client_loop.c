/*
 * test_client_loop.c - tcp-client's loop (client_run) in this process,
 * on a socketpair standing for the connection and pipes standing for the
 * keyboard and the screen, with the kernel's failures scripted (--wrap):
 * a read or a write on the connection that fails, the server gone in the
 * middle of a write, a half-close that fails, input that cannot be read,
 * a poll() interrupted or failing.  Each says what failed, and the exit
 * status is the one tcp-client(1) gives (EXIT STATUS).
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
#include <sys/socket.h>
#include <cmocka.h>

#include "libsock.h"
#include "client_loop.h"
#include "mock_syscalls.h"

static int conn[2];         /* [0] the client's end, [1] the server's */
static int in[2], out[2];   /* the client's stdin and stdout pipes */
static char *logbuf;
static size_t loglen;
static FILE *log;
/* Wait as long as it takes, show bytes as they are: the loop's tests
 * here are about failures, not time limits. */
static const struct client_opts no_limits = { -1, -1, 0, 0 };

static int setup(void **state)
{
    mock_reset();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    log = open_memstream(&logbuf, &loglen);
    assert_non_null(log);
    (void)state;
    return 0;
}

static int teardown(void **state)
{
    int i;

    (void)state;
    mock_reset();
    for (i = 0; i < 2; i++) {
        if (conn[i] >= 0)
            close(conn[i]);
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    if (log != NULL)
        fclose(log);
    free(logbuf);
    logbuf = NULL;
    log = NULL;
    return 0;
}

/* Run the client on conn[0] (which it closes) and return its status;
 * `input` is what the keyboard types, then EOF unless keep_open. */
static int run(const char *input, int keep_open)
{
    int status;

    if (input != NULL)
        assert_int_equal(write(in[1], input, strlen(input)),
                         (ssize_t)strlen(input));
    if (!keep_open) {
        close(in[1]);
        in[1] = -1;
    }
    status = client_run(conn[0], in[0], out[1], "S:1", log, &no_limits);
    conn[0] = -1;
    fflush(log);
    return status;
}

static void expect_log(const char *want)
{
    assert_non_null(logbuf);
    assert_string_equal(logbuf, want);
}

/* Reading from the server fails for a reason other than its close: one
 * line naming the step and the server, status 1. */
static void read_error_is_reported(void **state)
{
    (void)state;
    assert_int_equal(write(conn[1], "hi\n", 3), 3);
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, ETIMEDOUT);
    assert_int_equal(run(NULL, 1), 1);
    expect_log("tcp-client: read from S:1: Connection timed out\n");
}

/* A wake-up with nothing to read (EAGAIN) is not an error; the bytes
 * that do arrive are shown, and the server's close ends it with 0. */
static void spurious_wakeup_is_ignored(void **state)
{
    char got[8];

    (void)state;
    assert_int_equal(write(conn[1], "hi\n", 3), 3);
    assert_int_equal(shutdown(conn[1], SHUT_WR), 0);
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, EAGAIN);
    will_return(__wrap_recv, MOCK_REAL);  /* "hi\n" */
    will_return(__wrap_recv, MOCK_REAL);  /* EOF: nothing is read after it */
    assert_int_equal(run(NULL, 1), 0);
    assert_int_equal(read(out[0], got, sizeof got), 3);
    assert_memory_equal(got, "hi\n", 3);
    expect_log("tcp-client: server S:1 closed the connection\n");
}

/* Sending fails with EPIPE: the server is gone.  What it sent before is
 * still shown, and that is the end, status 0. */
static void server_gone_mid_write_shows_the_rest(void **state)
{
    char got[16];

    (void)state;
    assert_int_equal(write(conn[1], "last words\n", 11), 11);
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, EAGAIN);       /* not read before the write */
    will_return(__wrap_recv, MOCK_REAL);  /* server_gone() reads it */
    will_return(__wrap_recv, MOCK_REAL);
    mock_script(MOCK_SEND);
    FAIL_WITH(__wrap_send, EPIPE);
    assert_int_equal(run("hello\n", 1), 0);
    assert_int_equal(read(out[0], got, sizeof got), 11);
    assert_memory_equal(got, "last words\n", 11);
    expect_log("tcp-client: server S:1 closed the connection\n");
}

/* The same with a reset, and a screen that cannot take the rest: the
 * reset is still reported, status 0. */
static void server_reset_mid_write(void **state)
{
    (void)state;
    assert_int_equal(write(conn[1], "last words\n", 11), 11);
    close(out[0]);                        /* nobody reads the screen */
    out[0] = -1;
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, EAGAIN);
    will_return(__wrap_recv, MOCK_REAL);
    mock_script(MOCK_SEND);
    FAIL_WITH(__wrap_send, ECONNRESET);
    assert_int_equal(run("hello\n", 1), 0);
    expect_log("tcp-client: server S:1 reset the connection\n");
}

/* Sending fails otherwise: reported, status 1. */
static void write_error_is_reported(void **state)
{
    (void)state;
    mock_script(MOCK_SEND);
    FAIL_WITH(__wrap_send, ENOBUFS);
    assert_int_equal(run("hello\n", 1), 1);
    expect_log("tcp-client: write to S:1: No buffer space available\n");
}

/* At the end of input the client half-closes; if that fails, it says so
 * and ends with status 1. */
static void half_close_failure_is_reported(void **state)
{
    (void)state;
    mock_script(MOCK_SHUTDOWN);
    FAIL_WITH(__wrap_shutdown, EINVAL);
    assert_int_equal(run(NULL, 0), 1);
    expect_log("tcp-client: shutdown S:1: Invalid argument\n");
}

/* ENOTCONN from the half-close means the connection is already gone (a
 * reset came first): not an error of ours.  The server's end is then
 * seen as usual, status 0, no words after our own EOF. */
static void half_close_on_a_gone_connection(void **state)
{
    (void)state;
    assert_int_equal(shutdown(conn[1], SHUT_WR), 0);
    mock_count[MOCK_SHUTDOWN] = 0;       /* count the client's calls only */
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, EAGAIN);      /* input's EOF is seen first */
    will_return(__wrap_recv, MOCK_REAL); /* the server's EOF, the last read */
    mock_script(MOCK_SHUTDOWN);
    FAIL_WITH(__wrap_shutdown, ENOTCONN);
    assert_int_equal(run(NULL, 0), 0);
    assert_int_equal(mock_count[MOCK_SHUTDOWN], 1);
    assert_true(logbuf == NULL || logbuf[0] == '\0');
}

/* Input that cannot be read (a directory as stdin): reported, status 1. */
static void input_error_is_reported(void **state)
{
    int dir = open("/", O_RDONLY);

    (void)state;
    assert_true(dir >= 0);
    close(in[0]);
    in[0] = dir;
    assert_int_equal(run(NULL, 1), 1);
    expect_log("tcp-client: read input: Is a directory\n");
}

/* poll() interrupted by a signal goes on; poll() failing ends it with a
 * line that names poll, status 1. */
static void poll_eintr_then_failure(void **state)
{
    (void)state;
    mock_script(MOCK_POLL);
    FAIL_WITH(__wrap_poll, EINTR);
    FAIL_WITH(__wrap_poll, EINVAL);
    assert_int_equal(run(NULL, 1), 1);
    assert_int_equal(mock_count[MOCK_POLL], 2);
    expect_log("tcp-client: poll: Invalid argument\n");
}

/* The server says its piece and closes first: what it sent is shown, the
 * input read meanwhile went out, the close is remarked on, status 0. */
static void server_closes_first(void **state)
{
    char got[32];

    (void)state;
    assert_int_equal(write(conn[1], "welcome!\n", 9), 9);
    assert_int_equal(shutdown(conn[1], SHUT_WR), 0);
    assert_int_equal(run("one\n", 0), 0);
    assert_int_equal(read(conn[1], got, sizeof got), 4);
    assert_memory_equal(got, "one\n", 4);
    assert_int_equal(read(out[0], got, sizeof got), 9);
    assert_memory_equal(got, "welcome!\n", 9);
    expect_log("tcp-client: server S:1 closed the connection\n");
}

int main(void)
{
    /* As tcp-client itself does: a reader gone is EPIPE, not death. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_error_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(spurious_wakeup_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(server_gone_mid_write_shows_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(server_reset_mid_write, setup, teardown),
        cmocka_unit_test_setup_teardown(write_error_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(half_close_failure_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(half_close_on_a_gone_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(input_error_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(poll_eintr_then_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(server_closes_first, setup, teardown),
    };

    return cmocka_run_group_tests_name("client loop", tests, NULL, NULL);
}
