/*
 * test_sock_io_lines.c - sock_io.c's second half, the line reader:
 * lines split and glued, CRLF, NUL, the length limit, EOF, errors,
 * compaction; what it holds, whether a line is held, whether the socket
 * was drained.  Error paths are scripted with --wrap; the happy path
 * uses a real socketpair.
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
/* The line reader                                                  */
/* ---------------------------------------------------------------- */

/* Feed `len` bytes that one scripted recv() hands out. */
static void recv_gives(const char *bytes, size_t len)
{
    mock_recv_feed(bytes, len);
    will_return(__wrap_recv, (long)len);
}

static void recv_eof(void)
{
    will_return(__wrap_recv, 0);
}

static void line_reader_init_sets_fields(void **state)
{
    char buf[16];
    struct sock_line_reader lr;

    (void)state;
    memset(&lr, 0x5a, sizeof lr);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_ptr_equal(lr.buf, buf);
    assert_int_equal(lr.cap, sizeof buf);
    assert_int_equal(lr.start, 0);
    assert_int_equal(lr.end, 0);
    assert_int_equal(lr.scan, 0);
    assert_int_equal(lr.skipping, 0);
    assert_int_equal(lr.drained, 0);
}

/* drained says whether the last read took all the socket had: fewer
 * bytes than there was room for, or EAGAIN; not after a read that
 * filled the room. */
static void drained_after_a_short_read(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("ab\n", 3);                  /* 3 of 8: short */
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_int_equal(lr.drained, 1);
    recv_gives("cdefgh\nx", 8);             /* the whole room */
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 7);
    assert_int_equal(lr.drained, 0);
    will_return(__wrap_recv, -1);
    will_return(__wrap_recv, EAGAIN);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_ERROR);
    assert_int_equal(lr.drained, 1);
}

/* A buffer bigger than the limit: one read brings many lines; a line of
 * exactly the limit passes, one over it is too long (the first limit
 * bytes, the rest skipped) whether its '\n' came in the same read or
 * not; an unterminated line of exactly the limit before EOF is whole. */
static void limit_below_the_buffer(void **state)
{
    static const char in[] = "abcd\nabcdef\nxy\nabcdefgh";
    char buf[64];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives(in, sizeof in - 1);
    sock_line_reader_init(&lr, buf, sizeof buf);
    lr.limit = 5;
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 5);
    assert_memory_equal(line, "abcd\n", 5);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_TOO_LONG);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "abcde", 5);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_memory_equal(line, "xy\n", 3);
    /* "abcdefgh": 8 held, no '\n', over the limit: too long at once. */
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_TOO_LONG);
    assert_memory_equal(line, "abcde", 5);
    assert_int_equal(mock_count[MOCK_RECV], 1);
    recv_gives("ij\nwxyz", 7);              /* the rest of it, then 4 bytes */
    recv_gives("v", 1);                       /* 5: exactly the limit ... */
    recv_eof();                               /* ... and EOF: a last line */
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_PARTIAL);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "wxyzv", 5);
}

/* One line in three pieces: assembled, with one recv per piece. */
static void line_split_across_reads(void **state)
{
    char buf[32];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("hel", 3);
    recv_gives("lo wo", 5);
    recv_gives("rld\n", 4);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 12);
    assert_int_equal(len, 12);
    assert_memory_equal(line, "hello world\n", 12);
    assert_true(line >= buf && line + len <= buf + sizeof buf);
    assert_int_equal(mock_count[MOCK_RECV], 3);
}

/* Three lines in one read come out one per call without reading again;
 * "\r\n" is kept as it came. */
static void lines_glued_in_one_read(void **state)
{
    static const char in[] = "one\ntwo\r\nthree\n";
    char buf[32];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives(in, sizeof in - 1);
    sock_line_reader_init(&lr, buf, sizeof buf);

    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 4);
    assert_memory_equal(line, "one\n", 4);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 5);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "two\r\n", 5);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 6);
    assert_memory_equal(line, "three\n", 6);
    assert_int_equal(mock_count[MOCK_RECV], 1);

    /* Only now is the buffer empty, and the next call reads: EOF. */
    recv_eof();
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_EOF);
    assert_int_equal(mock_count[MOCK_RECV], 2);
}

/* A line of exactly cap bytes, '\n' included, fits. */
static void line_exactly_at_limit(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("abcdefg\n", 8);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 8);
    assert_int_equal(len, 8);
    assert_memory_equal(line, "abcdefg\n", 8);
}

/* One byte more: TOO_LONG with the cap bytes (a 1-byte read finds the
 * '\n' that makes it one too many), and the next line reads normally. */
static void line_one_over_limit_is_too_long(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("abcdefgh", 8);
    recv_gives("\n", 1);
    recv_gives("ok\n", 3);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_TOO_LONG);
    assert_int_equal(len, sizeof buf);
    assert_memory_equal(line, "abcdefgh", 8);

    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_memory_equal(line, "ok\n", 3);
}

/* Exactly cap bytes and then EOF: not too long, a last line of the limit. */
static void unterminated_line_of_exactly_the_limit(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("abcd", 4);
    recv_gives("efgh", 4);
    recv_eof();
    recv_eof();
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_PARTIAL);
    assert_int_equal(len, 8);
    assert_memory_equal(line, "abcdefgh", 8);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_EOF);
}

/* A line far over the limit: TOO_LONG once, its tail (over several reads)
 * is dropped up to its '\n', and the line after it comes whole. */
static void too_long_line_tail_is_skipped(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("01234567", 8);
    recv_gives("8", 1);              /* the 1-byte look: more of the line */
    recv_gives("9abcdefg", 8);       /* all tail */
    recv_gives("hij\nnext", 8);      /* tail end, then the next line */
    recv_gives("\n", 1);
    recv_eof();
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_TOO_LONG);
    assert_memory_equal(line, "01234567", 8);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 5);
    assert_memory_equal(line, "next\n", 5);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_EOF);
}

/* EOF while the tail of a too long line is being dropped: just EOF. */
static void eof_while_skipping_is_eof(void **state)
{
    char buf[4];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("abcd", 4);
    recv_gives("e", 1);
    recv_gives("fg", 2);
    recv_eof();
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_TOO_LONG);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_EOF);
    assert_null(line);
}

/* EAGAIN on the 1-byte look keeps the full buffer; the next call looks
 * again and decides. */
static void eagain_on_full_buffer_is_retried(void **state)
{
    char buf[4];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("abcd", 4);
    FAIL_WITH(__wrap_recv, EAGAIN);
    recv_eof();
    sock_line_reader_init(&lr, buf, sizeof buf);
    errno = 0;
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_ERROR);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_PARTIAL);
    assert_int_equal(len, 4);
    assert_memory_equal(line, "abcd", 4);
}

/* EOF after an unterminated line: PARTIAL with its bytes, then EOF. */
static void eof_mid_line_is_partial_then_eof(void **state)
{
    char buf[16];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("ab", 2);
    recv_gives("c", 1);
    recv_eof();
    recv_eof();
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_PARTIAL);
    assert_int_equal(len, 3);
    assert_memory_equal(line, "abc", 3);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_EOF);
    assert_int_equal(len, 0);
    assert_null(line);
}

static void clean_eof(void **state)
{
    char buf[16];
    struct sock_line_reader lr;
    const char *line = buf;
    size_t len = 99;

    (void)state;
    mock_script(MOCK_RECV);
    recv_eof();
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_EOF);
    assert_int_equal(len, 0);
    assert_null(line);
}

/* Lines are bytes: NULs inside are kept and counted. */
static void nul_bytes_kept_in_line(void **state)
{
    static const char in[] = { 'a', '\0', 'b', '\0', '\0', '\n' };
    char buf[16];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives(in, sizeof in);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), (ssize_t)sizeof in);
    assert_int_equal(len, sizeof in);
    assert_memory_equal(line, in, sizeof in);
}

static void recv_error_is_line_error(void **state)
{
    char buf[16];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, ECONNRESET);
    sock_line_reader_init(&lr, buf, sizeof buf);
    errno = 0;
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_ERROR);
    assert_int_equal(errno, ECONNRESET);
    assert_null(line);
    assert_int_equal(len, 0);
}

/* EAGAIN in the middle of a line: the held bytes survive, and the next
 * call completes the line with them. */
static void eagain_keeps_partial_line(void **state)
{
    char buf[16];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("abc", 3);
    FAIL_WITH(__wrap_recv, EAGAIN);
    recv_gives("def\nxy", 6);
    sock_line_reader_init(&lr, buf, sizeof buf);
    errno = 0;
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_ERROR);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 7);
    assert_memory_equal(line, "abcdef\n", 7);
    assert_int_equal(mock_count[MOCK_RECV], 3);
}

/* The buffer end is reached with a partial line not at the front
 * (start > 0): it must be moved down to make room.  Without the move the
 * reader would ask recv for 0 bytes and the script (2 bytes) would not
 * fit. */
static void partial_line_moved_to_front(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("ab\ncdef", 7);   /* one line and the start of the next */
    recv_gives("g", 1);          /* fills the buffer to its end */
    recv_gives("h\n", 2);        /* only fits after the move */
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_memory_equal(line, "ab\n", 3);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 7);
    assert_memory_equal(line, "cdefgh\n", 7);
    assert_ptr_equal(line, buf);
    assert_int_equal(mock_count[MOCK_RECV], 3);
}

/* The same move, then the line keeps growing past cap: TOO_LONG with the
 * cap bytes that came, in order. */
static void moved_partial_line_then_too_long(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    recv_gives("a\nbcdefg", 8);
    recv_gives("hi", 2);
    recv_gives("\n", 1);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 2);
    assert_memory_equal(line, "a\n", 2);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_TOO_LONG);
    assert_int_equal(len, 8);
    assert_memory_equal(line, "bcdefghi", 8);
}

/* held counts what no call has handed out: a partial line, whole
 * lines, nothing once all were taken. */
static void held_counts_bytes_not_handed_out(void **state)
{
    char buf[16];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_line_reader_held(&lr), 0);
    recv_gives("ab\ncd\nef", 8);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_int_equal(sock_line_reader_held(&lr), 5);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_int_equal(sock_line_reader_held(&lr), 2);
    will_return(__wrap_recv, -1);          /* "ef" searched, still held */
    will_return(__wrap_recv, EAGAIN);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_ERROR);
    assert_int_equal(sock_line_reader_held(&lr), 2);
    recv_gives("\n", 1);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_int_equal(sock_line_reader_held(&lr), 0);
}

/* has_line says the next call will not read: true while a whole line is
 * held, false for a partial one; the '\n' that ends a skipped too long
 * line is not a line. */
static void has_line_means_no_read(void **state)
{
    char buf[16];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    sock_line_reader_init(&lr, buf, sizeof buf);
    lr.limit = 4;
    assert_int_equal(sock_line_reader_has_line(&lr), 0);
    recv_gives("ab\ncd", 5);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_int_equal(sock_line_reader_has_line(&lr), 0);   /* "cd" */
    recv_gives("efg\nh\n", 6);          /* "cdefg\n": too long */
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_TOO_LONG);
    /* Held: "g\n", the tail of the long line, then "h\n". */
    assert_int_equal(sock_line_reader_has_line(&lr), 1);
    assert_int_equal(mock_count[MOCK_RECV], 2);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 2);
    assert_memory_equal(line, "h\n", 2);
    assert_int_equal(mock_count[MOCK_RECV], 2);            /* no read */
    assert_int_equal(sock_line_reader_has_line(&lr), 0);
    /* Skipping, and only the long line's own '\n' held: no line. */
    recv_gives("abcdefg\nh", 9);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len),
                     SOCK_LINE_TOO_LONG);
    assert_int_equal(sock_line_reader_held(&lr), 5);        /* "efg\nh" */
    assert_int_equal(sock_line_reader_has_line(&lr), 0);
    recv_gives("\n", 1);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 2);
    assert_memory_equal(line, "h\n", 2);
}

/* drained() tells what the drained field holds: 0 before any read, then
 * the verdict of the last read. */
static void drained_reports_the_last_read(void **state)
{
    char buf[8];
    struct sock_line_reader lr;
    const char *line;
    size_t len;

    (void)state;
    mock_script(MOCK_RECV);
    sock_line_reader_init(&lr, buf, sizeof buf);
    assert_int_equal(sock_line_reader_drained(&lr), 0);
    recv_gives("ab\n", 3);                  /* 3 of 8: short */
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 3);
    assert_int_equal(sock_line_reader_drained(&lr), 1);
    recv_gives("cdefgh\nx", 8);             /* the whole room */
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), 7);
    assert_int_equal(sock_line_reader_drained(&lr), 0);
    will_return(__wrap_recv, -1);
    will_return(__wrap_recv, EAGAIN);
    assert_int_equal(sock_read_line(NOFD, &lr, &line, &len), SOCK_LINE_ERROR);
    assert_int_equal(sock_line_reader_drained(&lr), 1);
}

/* Real sockets, non-blocking: EAGAIN, then the line, then EOF. */
static void line_reader_over_socketpair(void **state)
{
    char buf[32];
    struct sock_line_reader lr;
    const char *line;
    size_t len;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(sock_set_nonblock(sv[1], 1), 0);
    sock_line_reader_init(&lr, buf, sizeof buf);

    assert_int_equal(sock_write_all(sv[0], "hel", 3, NULL), 0);
    errno = 0;
    assert_int_equal(sock_read_line(sv[1], &lr, &line, &len), SOCK_LINE_ERROR);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

    assert_int_equal(sock_write_all(sv[0], "lo\nwor", 6, NULL), 0);
    assert_int_equal(sock_read_line(sv[1], &lr, &line, &len), 6);
    assert_memory_equal(line, "hello\n", 6);

    assert_int_equal(sock_write_all(sv[0], "ld\n", 3, NULL), 0);
    sock_close(sv[0]);
    assert_int_equal(sock_read_line(sv[1], &lr, &line, &len), 6);
    assert_memory_equal(line, "world\n", 6);
    assert_int_equal(sock_read_line(sv[1], &lr, &line, &len), SOCK_LINE_EOF);
    sock_close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(line_reader_init_sets_fields),
        mock_unit_test(drained_after_a_short_read),
        mock_unit_test(limit_below_the_buffer),
        mock_unit_test(line_split_across_reads),
        mock_unit_test(lines_glued_in_one_read),
        mock_unit_test(line_exactly_at_limit),
        mock_unit_test(line_one_over_limit_is_too_long),
        mock_unit_test(unterminated_line_of_exactly_the_limit),
        mock_unit_test(too_long_line_tail_is_skipped),
        mock_unit_test(eof_while_skipping_is_eof),
        mock_unit_test(eagain_on_full_buffer_is_retried),
        mock_unit_test(eof_mid_line_is_partial_then_eof),
        mock_unit_test(clean_eof),
        mock_unit_test(nul_bytes_kept_in_line),
        mock_unit_test(recv_error_is_line_error),
        mock_unit_test(eagain_keeps_partial_line),
        mock_unit_test(partial_line_moved_to_front),
        mock_unit_test(moved_partial_line_then_too_long),
        mock_unit_test(line_reader_over_socketpair),
        mock_unit_test(held_counts_bytes_not_handed_out),
        mock_unit_test(has_line_means_no_read),
        mock_unit_test(drained_reports_the_last_read),
    };

    return cmocka_run_group_tests_name("sock_io lines", tests, NULL, NULL);
}
