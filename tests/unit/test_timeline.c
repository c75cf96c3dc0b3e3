/*
 * test_timeline.c - the command's lines and the wire's segments leave
 * the timeline in the order they happened, whatever order they came
 * in: by time, equal times in arrival order, only those before the
 * limit; a traced call whose run spans a segment shows as
 * "call(...) ..." when it began and as its whole line when it ended,
 * with the segment between; the "@SEC.NSEC SEC.NSEC " stamps read, and
 * anything else refused; past TIMELINE_MAX the oldest leaves at once.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "timeline.h"
#include "mock_syscalls.h"

/* What left the timeline: "S3 text" for a segment of connection 3,
 * "L text" for a line. */
#define KEEP 64
static struct {
    char *got[KEEP];
    size_t n;            /* how many left, kept or not */
} rec;

static struct timeline tl;

static void record(enum tl_kind kind, unsigned conn, const char *text,
                   size_t len, void *arg)
{
    char *s;

    assert_ptr_equal(arg, &rec);
    if (rec.n < KEEP) {
        s = malloc(len + 16);
        assert_non_null(s);
        if (kind == TL_SEGMENT)
            snprintf(s, len + 16, "S%u %.*s", conn, (int)len, text);
        else
            snprintf(s, len + 16, "L %.*s", (int)len, text);
        rec.got[rec.n] = s;
    }
    rec.n++;
}

static int timeline_up(void **state)
{
    (void)state;
    mock_reset();
    memset(&rec, 0, sizeof rec);
    timeline_init(&tl);
    return 0;
}

static int timeline_down(void **state)
{
    size_t i;

    (void)state;
    timeline_free(&tl);
    for (i = 0; i < rec.n && i < KEEP; i++)
        free(rec.got[i]);
    mock_reset();
    return 0;
}

#define timeline_test(f) \
    cmocka_unit_test_setup_teardown(f, timeline_up, timeline_down)

static struct timespec at(time_t sec, long nsec)
{
    struct timespec t;

    t.tv_sec = sec;
    t.tv_nsec = nsec;
    return t;
}

static void add_seg(time_t sec, long nsec, unsigned conn, const char *text)
{
    struct timespec t = at(sec, nsec);

    assert_int_equal(timeline_add(&tl, &t, NULL, TL_SEGMENT, conn, text,
                                  strlen(text), record, &rec), 0);
}

static void add_line(struct timespec began, struct timespec ended,
                     const char *text)
{
    assert_int_equal(timeline_add(&tl, &began, &ended, TL_LINE, 0, text,
                                  strlen(text), record, &rec), 0);
}

/* Exactly these left, in this order. */
static void left(size_t n, ...)
{
    va_list ap;
    size_t i;

    va_start(ap, n);
    for (i = 0; i < n && i < rec.n; i++) {
        const char *want = va_arg(ap, const char *);

        if (strcmp(rec.got[i], want) != 0)
            print_error("event %zu: [%s], want [%s]\n", i, rec.got[i], want);
        assert_string_equal(rec.got[i], want);
    }
    va_end(ap);
    assert_int_equal(rec.n, n);
}

static void out_of_order_comes_out_sorted(void **state)
{
    (void)state;
    add_seg(3, 0, 1, "third");
    add_line(at(1, 0), at(1, 0), "first");
    add_seg(2, 999999999, 2, "second");
    add_seg(3, 1, 1, "fourth");
    assert_int_equal(rec.n, 0);          /* nothing leaves on its own */
    timeline_flush(&tl, NULL, record, &rec);
    left(4, "L first", "S2 second", "S1 third", "S1 fourth");
    assert_int_equal(tl.n, 0);
}

static void equal_times_keep_arrival_order(void **state)
{
    (void)state;
    add_seg(1, 500, 1, "x");
    add_line(at(1, 500), at(1, 500), "y");
    add_seg(1, 500, 2, "z");
    add_seg(1, 499, 1, "w");
    add_seg(1, 500, 3, "v");
    timeline_flush(&tl, NULL, record, &rec);
    left(5, "S1 w", "S1 x", "L y", "S2 z", "S3 v");
}

/* Only what happened before the limit leaves; the rest waits. */
static void flush_stops_at_the_limit(void **state)
{
    struct timespec limit = at(2, 0);

    (void)state;
    add_seg(3, 0, 1, "c");
    add_seg(1, 0, 1, "a");
    add_seg(2, 0, 1, "b");
    timeline_flush(&tl, &limit, record, &rec);
    left(1, "S1 a");
    assert_int_equal(tl.n, 2);
    limit = at(2, 1);
    timeline_flush(&tl, &limit, record, &rec);
    left(2, "S1 a", "S1 b");
    timeline_flush(&tl, NULL, record, &rec);
    left(3, "S1 a", "S1 b", "S1 c");
}

/*
 * connect() sends the SYN and returns after the handshake: its line,
 * which came first by the pipe, is shown when the call began (the call
 * and "...") and again, whole, when it ended, with the segments that
 * happened while it ran in between.  A call with no segment inside its
 * run is shown once.
 */
static void call_spanning_segments_is_split(void **state)
{
    (void)state;
    add_line(at(1, 0), at(1, 500000),
             "connect(3, 127.0.0.1:8080) = 0  local 127.0.0.1:47964");
    add_seg(1, 100000, 1, "SYN");
    add_seg(1, 200000, 1, "SYN+ACK");
    add_seg(1, 300000, 1, "ACK");
    add_seg(1, 600000, 1, "PSH+ACK welcome");
    add_line(at(2, 0), at(2, 100), "write(3, \"hi\\n\", 3) = 3");
    add_seg(2, 200, 1, "PSH+ACK hi");
    timeline_flush(&tl, NULL, record, &rec);
    left(8, "L connect(3, 127.0.0.1:8080) ...",
         "S1 SYN", "S1 SYN+ACK", "S1 ACK",
         "L connect(3, 127.0.0.1:8080) = 0  local 127.0.0.1:47964",
         "S1 PSH+ACK welcome",
         "L write(3, \"hi\\n\", 3) = 3",
         "S1 PSH+ACK hi");
}

/* The split with a limit: the call's head leaves when it began, the
 * whole line only once its end is before the limit. */
static void split_waits_for_the_end(void **state)
{
    struct timespec limit = at(1, 250000);

    (void)state;
    add_line(at(1, 0), at(1, 500000), "accept(3) = 4  peer 127.0.0.1:1");
    add_seg(1, 100000, 1, "SYN");
    add_seg(1, 400000, 1, "ACK");
    timeline_flush(&tl, &limit, record, &rec);
    left(2, "L accept(3) ...", "S1 SYN");
    limit = at(1, 450000);
    timeline_flush(&tl, &limit, record, &rec);
    left(3, "L accept(3) ...", "S1 SYN", "S1 ACK");
    timeline_flush(&tl, NULL, record, &rec);
    left(4, "L accept(3) ...", "S1 SYN", "S1 ACK",
         "L accept(3) = 4  peer 127.0.0.1:1");
}

/* A segment at the very nanosecond the call began, or at the one it
 * ended but come after its line, would leave nothing between the two
 * halves: no split.  One at its end that came first (by the faster
 * road) goes between them. */
static void segment_at_the_edges(void **state)
{
    (void)state;
    add_line(at(1, 0), at(1, 500), "close(3) = 0");
    add_seg(1, 0, 1, "FIN at the start");
    add_seg(1, 500, 1, "FIN at the end");
    timeline_flush(&tl, NULL, record, &rec);
    left(3, "L close(3) = 0", "S1 FIN at the start", "S1 FIN at the end");

    add_seg(2, 500, 1, "FIN at the end, first");
    add_line(at(2, 0), at(2, 500), "shutdown(3, SHUT_WR) = 0");
    timeline_flush(&tl, NULL, record, &rec);
    left(6, "L close(3) = 0", "S1 FIN at the start", "S1 FIN at the end",
         "L shutdown(3, SHUT_WR) ...", "S1 FIN at the end, first",
         "L shutdown(3, SHUT_WR) = 0");
}

/* Only a segment splits a call: another line (another thread's call)
 * during its run does not. */
static void line_inside_a_call_does_not_split(void **state)
{
    (void)state;
    add_line(at(1, 0), at(1, 900), "read(3, 100) = 5  \"hi\"");
    add_line(at(1, 300), at(1, 400), "[thread 2] write(1, 3) = 3");
    timeline_flush(&tl, NULL, record, &rec);
    left(2, "L read(3, 100) = 5  \"hi\"", "L [thread 2] write(1, 3) = 3");
}

/* A line without " = " is shown whole, then "...": nothing to cut. */
static void split_without_a_result(void **state)
{
    (void)state;
    add_line(at(1, 0), at(1, 9), "poll");
    add_seg(1, 5, 2, "RST");
    timeline_flush(&tl, NULL, record, &rec);
    left(3, "L poll ...", "S2 RST", "L poll");
}

static void text_is_copied(void **state)
{
    char text[] = "SYN";
    struct timespec t = at(1, 0);

    (void)state;
    assert_int_equal(timeline_add(&tl, &t, NULL, TL_SEGMENT, 1, text, 3,
                                  record, &rec), 0);
    text[0] = 'X';
    timeline_flush(&tl, NULL, record, &rec);
    left(1, "S1 SYN");
}

/* Past TIMELINE_MAX held, the oldest (the earliest held, not the one
 * just added) leaves at once. */
static void overflow_hands_out_the_oldest(void **state)
{
    size_t i;

    (void)state;
    add_seg(5, 0, 1, "oldest");
    for (i = 1; i < TIMELINE_MAX; i++)
        add_seg(10 + (time_t)i, 0, 1, "later");
    assert_int_equal(tl.n, TIMELINE_MAX);
    assert_int_equal(rec.n, 0);
    add_seg(1, 0, 1, "newest, but earliest");
    assert_int_equal(tl.n, TIMELINE_MAX);
    left(1, "S1 oldest");
    add_seg(100000, 0, 2, "one more");
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.got[1], "S1 newest, but earliest");
    timeline_flush(&tl, NULL, record, &rec);
    assert_int_equal(rec.n, TIMELINE_MAX + 2);
    assert_int_equal(tl.n, 0);
}

/* Parse from a buffer of exactly len bytes: no read past it. */
static size_t stamps(const char *line, size_t len, struct timespec *b,
                     struct timespec *e)
{
    char *copy = malloc(len > 0 ? len : 1);
    size_t n;

    assert_non_null(copy);
    memcpy(copy, line, len);
    n = timeline_parse_stamps(copy, len, b, e);
    free(copy);
    return n;
}

static void stamps_read(void **state)
{
    const char *line = "@1.000000001 2.000000002 rest";
    const char *real = "@1700000000.123456789 1700000000.223456789 "
                       "connect(3, 127.0.0.1:8080) = 0";
    struct timespec b, e;

    (void)state;
    assert_int_equal(stamps(line, strlen(line), &b, &e), 25);
    assert_string_equal(line + 25, "rest");
    assert_int_equal(b.tv_sec, 1);
    assert_int_equal(b.tv_nsec, 1);
    assert_int_equal(e.tv_sec, 2);
    assert_int_equal(e.tv_nsec, 2);

    assert_int_equal(stamps(real, strlen(real), &b, &e), 43);
    assert_int_equal(b.tv_sec, 1700000000);
    assert_int_equal(b.tv_nsec, 123456789);
    assert_int_equal(e.tv_sec, 1700000000);
    assert_int_equal(e.tv_nsec, 223456789);

    /* Nothing after the stamps but their space. */
    assert_int_equal(stamps(line, 25, &b, &e), 25);
    /* Eighteen digits of seconds are still a time. */
    line = "@999999999999999999.999999999 0.000000000 x";
    assert_int_equal(stamps(line, strlen(line), &b, &e), 42);
}

static void stamps_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "@",
        "1.000000001 2.000000002 no at sign",
        "#1.000000001 2.000000002 not an at sign",
        "@1.000000001x2.000000002 no space between",
        "@1.000000001 2.000000002",             /* no space after */
        "@1.000000001 2.000000002x rest",
        "@1.00000001 2.000000002 eight digits",
        "@1.0000000012 2.000000002 ten digits",
        "@1.000000001 2.00000002 eight digits",
        "@1.000000001  2.000000002 two spaces",
        "@.000000001 2.000000002 no seconds",
        "@1 2.000000002 no point",
        "@1,000000001 2.000000002 comma",
        "@-1.000000001 2.000000002 negative",
        "@1.000000001 2.0000000x2 letter",
        "@1.000000001",
        "@1.000000001 ",
        " @1.000000001 2.000000002 space first",
        /* Nineteen digits or more would not fit the seconds. */
        "@9999999999999999999.000000000 1.000000000 overflow",
        "@99999999999999999999.000000000 1.000000000 twenty",
    };
    const char *line = "@1.000000001 2.000000002 rest";
    struct timespec b, e;
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = stamps(bad[i], strlen(bad[i]), &b, &e);
        if (n != 0)
            print_error("accepted [%s]\n", bad[i]);
        assert_int_equal(n, 0);
    }
    /* Cut anywhere before the stamps' end: refused, never read past. */
    for (n = 0; n < 25; n++)
        assert_int_equal(stamps(line, n, &b, &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        timeline_test(out_of_order_comes_out_sorted),
        timeline_test(equal_times_keep_arrival_order),
        timeline_test(flush_stops_at_the_limit),
        timeline_test(call_spanning_segments_is_split),
        timeline_test(split_waits_for_the_end),
        timeline_test(segment_at_the_edges),
        timeline_test(line_inside_a_call_does_not_split),
        timeline_test(split_without_a_result),
        timeline_test(text_is_copied),
        timeline_test(overflow_hands_out_the_oldest),
        timeline_test(stamps_read),
        timeline_test(stamps_refused),
    };

    return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
