/*
 * test_sock_io_write.c - sock_io.c's first half, sock_write_all: short
 * writes, EINTR, EAGAIN, EPIPE, ECONNRESET, a zero-byte write.  Error
 * paths are scripted with --wrap; the happy path uses a real socketpair.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "libsock.h"
#include "mock_syscalls.h"

/* ---------------------------------------------------------------- */
/* sock_write_all                                                   */
/* ---------------------------------------------------------------- */

/* A kernel taking one byte per send: every byte still goes, in order,
 * and each send is asked for exactly what is left. */
static void write_all_one_byte_at_a_time(void **state)
{
    const char msg[] = "hello, world";
    const size_t n = sizeof msg - 1;
    size_t written = 0, i;

    (void)state;
    mock_script(MOCK_SEND);
    for (i = 0; i < n; i++)
        will_return(__wrap_send, 1);
    assert_int_equal(sock_write_all(NOFD, msg, n, &written), 0);
    assert_int_equal(written, n);
    assert_int_equal(mock_sent_len, n);
    assert_memory_equal(mock_sent, msg, n);
    assert_int_equal(mock_send_calls, n);
    for (i = 0; i < n; i++)
        assert_int_equal(mock_send_asked[i], n - i);
}

/* EINTR between two short writes is retried, not reported. */
static void write_all_retries_eintr_midway(void **state)
{
    size_t written = 0;

    (void)state;
    mock_script(MOCK_SEND);
    will_return(__wrap_send, 3);
    FAIL_WITH(__wrap_send, EINTR);
    will_return(__wrap_send, 7);
    assert_int_equal(sock_write_all(NOFD, "0123456789", 10, &written), 0);
    assert_int_equal(written, 10);
    assert_memory_equal(mock_sent, "0123456789", 10);
    assert_int_equal(mock_send_calls, 3);
    assert_int_equal(mock_send_asked[1], 7);   /* the retry asks for the rest */
    assert_int_equal(mock_send_asked[2], 7);
}

/* A full non-blocking socket: EAGAIN, and *written says how far we got. */
static void write_all_eagain_reports_progress(void **state)
{
    size_t written = 99;

    (void)state;
    mock_script(MOCK_SEND);
    will_return(__wrap_send, 4);
    FAIL_WITH(__wrap_send, EAGAIN);
    errno = 0;
    assert_int_equal(sock_write_all(NOFD, "0123456789", 10, &written), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(written, 4);
    assert_int_equal(mock_send_calls, 2);
}

static void write_all_epipe_keeps_errno(void **state)
{
    size_t written = 99;

    (void)state;
    mock_script(MOCK_SEND);
    will_return(__wrap_send, 2);
    FAIL_WITH(__wrap_send, EPIPE);
    errno = 0;
    assert_int_equal(sock_write_all(NOFD, "abcdef", 6, &written), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(written, 2);
}

static void write_all_econnreset_keeps_errno(void **state)
{
    size_t written = 99;

    (void)state;
    mock_script(MOCK_SEND);
    FAIL_WITH(__wrap_send, ECONNRESET);
    errno = 0;
    assert_int_equal(sock_write_all(NOFD, "abcdef", 6, &written), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(written, 0);
    assert_int_equal(mock_send_calls, 1);
}

/* send() taking nothing without an error is EIO, and not spun on: a second
 * send would find the queue empty and fail the test. */
static void write_all_zero_send_is_eio(void **state)
{
    size_t written = 99;

    (void)state;
    mock_script(MOCK_SEND);
    will_return(__wrap_send, 5);
    will_return(__wrap_send, 0);
    errno = 0;
    assert_int_equal(sock_write_all(NOFD, "0123456789", 10, &written), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(written, 5);
    assert_int_equal(mock_send_calls, 2);
}

/* `written` is optional, on success and on failure. */
static void write_all_written_may_be_null(void **state)
{
    (void)state;
    mock_script(MOCK_SEND);
    will_return(__wrap_send, 3);
    FAIL_WITH(__wrap_send, EPIPE);
    assert_int_equal(sock_write_all(NOFD, "abc", 3, NULL), 0);
    assert_int_equal(sock_write_all(NOFD, "abc", 3, NULL), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(mock_send_calls, 2);
}

/* Nothing to write: no send at all (the send queue is empty). */
static void write_all_zero_length(void **state)
{
    size_t written = 99;

    (void)state;
    mock_script(MOCK_SEND);
    assert_int_equal(sock_write_all(NOFD, "", 0, &written), 0);
    assert_int_equal(written, 0);
    assert_int_equal(mock_count[MOCK_SEND], 0);
}

/* Real sockets: everything arrives, and a gone peer is EPIPE (no signal). */
static void write_all_over_socketpair(void **state)
{
    char out[4096], in[4096];
    size_t written = 0, got = 0, i;
    int sv[2];

    (void)state;
    for (i = 0; i < sizeof out; i++)
        out[i] = (char)(i * 7 + 1);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(sock_write_all(sv[0], out, sizeof out, &written), 0);
    assert_int_equal(written, sizeof out);
    for (i = 0; i < 64 && got < sizeof in; i++) {
        ssize_t n = sock_read(sv[1], in + got, sizeof in - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(got, sizeof in);
    assert_memory_equal(in, out, sizeof out);

    sock_close(sv[1]);
    errno = 0;
    assert_int_equal(sock_write_all(sv[0], "x", 1, &written), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(written, 0);
    sock_close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(write_all_one_byte_at_a_time),
        mock_unit_test(write_all_retries_eintr_midway),
        mock_unit_test(write_all_eagain_reports_progress),
        mock_unit_test(write_all_epipe_keeps_errno),
        mock_unit_test(write_all_econnreset_keeps_errno),
        mock_unit_test(write_all_zero_send_is_eio),
        mock_unit_test(write_all_written_may_be_null),
        mock_unit_test(write_all_zero_length),
        mock_unit_test(write_all_over_socketpair),
    };

    return cmocka_run_group_tests_name("sock_io write_all", tests, NULL, NULL);
}
