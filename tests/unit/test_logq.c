/*
 * test_logq.c - the server's log queue (logq.h) on its own, with pipes
 * for stdout and stderr: order kept across the two streams, whole lines
 * dropped when a reader stops, one notice per stall whichever of the
 * queue's two bounds (bytes, stream switches) ran out, and a close that
 * does not wait for ever on a reader that never comes back.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE   /* F_SETPIPE_SZ */
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
#include <cmocka.h>

#include "logq.h"
#include "env.h"
#include "net.h"

static int out[2], err[2];   /* pipes: [0] read by the test, [1] the log's */

static int setup(void **state)
{
    (void)state;
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    return 0;
}

static int teardown(void **state)
{
    int i;

    (void)state;
    for (i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (err[i] >= 0)
            close(err[i]);
        out[i] = err[i] = -1;
    }
    return 0;
}

/* A stdout whose reader has stopped: the pipe is shrunk to one page and
 * filled, so the writer blocks on its first write (one stall, not a race
 * between the writer and the lines it is given).  read_both() empties
 * it; the filler is 'f' lines, which drain() skips. */
static void stuck_stdout(void)
{
    static char fill[4096];
    int size = fcntl(out[0], F_SETPIPE_SZ, 4096);

    if (size < 0 || size > 8192)
        fail_msg("cannot shrink the pipe: %s", strerror(errno));
    memset(fill, 'f', sizeof fill);
    fill[sizeof fill - 1] = '\n';
    assert_int_equal(write(out[1], fill, sizeof fill), (ssize_t)sizeof fill);
}

/* Skip the filler of stuck_stdout() at the start of what was read. */
static const char *drain(const char *o, size_t *on)
{
    assert_true(*on >= 4096);
    *on -= 4096;
    return o + 4096;
}

/* Read both pipes until neither has had anything for 300 ms. */
static void read_both(char *o, size_t osize, size_t *on, char *e,
                      size_t esize, size_t *en)
{
    long long quiet_until = ms_now() + 300, end = ms_now() + 10000;

    *on = *en = 0;
    while (ms_now() < quiet_until && ms_now() < end) {
        struct pollfd pf[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
        ssize_t k;

        if (poll(pf, 2, 50) <= 0)
            continue;
        if ((pf[0].revents & POLLIN) &&
            (k = read(out[0], o + *on, osize - 1 - *on)) > 0) {
            *on += (size_t)k;
            quiet_until = ms_now() + 300;
        }
        if ((pf[1].revents & POLLIN) &&
            (k = read(err[0], e + *en, esize - 1 - *en)) > 0) {
            *en += (size_t)k;
            quiet_until = ms_now() + 300;
        }
        assert_true(*on < osize - 1 && *en < esize - 1);
    }
    o[*on] = '\0';
    e[*en] = '\0';
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (; (hay = strstr(hay, needle)) != NULL; hay++)
        n++;
    return n;
}

/* Both streams into one pipe: the lines come out in the order they were
 * queued, whichever stream each was for. */
static void order_kept_across_streams(void **state)
{
    struct logq *q = logq_open(out[1], out[1], 4096, "t");
    char got[256], want[256];
    size_t n = 0, w = 0;
    int i;

    (void)state;
    assert_non_null(q);
    for (i = 0; i < 8; i++) {
        char line[32];
        int k = snprintf(line, sizeof line, "%s %d\n", i % 3 ? "out" : "err", i);

        assert_int_equal(logq_put(q, i % 3 ? LOGQ_OUT : LOGQ_ERR, line,
                                  (size_t)k), 0);
        memcpy(want + w, line, (size_t)k);
        w += (size_t)k;
    }
    assert_int_equal(logq_close(q, 1000), 0);
    close(out[1]);
    out[1] = -1;
    n = read_n(out[0], got, sizeof got, 1000);
    assert_int_equal(n, w);
    assert_memory_equal(got, want, w);
}

/* A stdout nobody reads: lines beyond the queue are dropped, whole; when
 * the reader comes back, what is kept is whole lines in order, and one
 * line on stderr gives the count, the same logq_dropped() gives. */
static void byte_stall_drops_whole_lines_one_notice(void **state)
{
    static char o[1 << 16], e[4096];
    const char *kept;
    struct logq *q;
    size_t on, en, at;
    unsigned long dropped;
    char note[64];
    int i, last = -1;

    (void)state;
    stuck_stdout();
    q = logq_open(out[1], err[1], 2048, "t");
    assert_non_null(q);
    for (i = 0; i < 2000; i++) {
        char line[32];
        int k = snprintf(line, sizeof line, "line %06d\n", i);

        (void)logq_put(q, LOGQ_OUT, line, (size_t)k);
    }
    dropped = logq_dropped(q);
    assert_true(dropped > 0);
    read_both(o, sizeof o, &on, e, sizeof e, &en);
    kept = drain(o, &on);
    snprintf(note, sizeof note, "t: %lu log lines dropped\n", dropped);
    assert_string_equal(e, note);
    /* Whole lines, in order, numbers rising. */
    for (at = 0; at < on; at += 12) {
        int num;

        if (on - at < 12 || sscanf(kept + at, "line %06d\n", &num) != 1 ||
            kept[at + 11] != '\n' || num <= last)
            fail_msg("stdout at byte %zu: '%.12s'", at, kept + at);
        last = num;
    }
    assert_int_equal(on / 12 + dropped, 2000);
    assert_int_equal(logq_close(q, 1000), dropped);
}

/* A stall that runs out of stream switches before bytes: the queue is
 * large, but stdout and stderr lines alternate.  Still one notice. */
static void run_stall_one_notice(void **state)
{
    static char o[1 << 20], e[1 << 20];
    struct logq *q;
    size_t on, en;
    unsigned long dropped;
    int i;

    (void)state;
    stuck_stdout();
    q = logq_open(out[1], err[1], 1 << 20, "t");
    assert_non_null(q);
    for (i = 0; i < 20000; i++)
        (void)logq_put(q, i % 2 ? LOGQ_OUT : LOGQ_ERR, i % 2 ? "o\n" : "e\n",
                       2);
    dropped = logq_dropped(q);
    assert_true(dropped > 0);
    read_both(o, sizeof o, &on, e, sizeof e, &en);
    (void)drain(o, &on);
    print_message("%lu of 20000 dropped for want of runs; %zu bytes kept\n",
                  dropped, on + en);
    assert_true(on + en < 20000 * 2 / 2);   /* bytes were not the limit */
    assert_int_equal(count(e, " log lines dropped\n"), 1);
    assert_int_equal(logq_close(q, 1000), dropped);
}

/* A record larger than the queue is dropped and counted, never cut; a
 * printf line too long for its buffer still ends in '\n'. */
static void oversized_and_long_lines(void **state)
{
    static char big[5000], o[2048], e[256];
    struct logq *q = logq_open(out[1], err[1], 4096, "t");
    size_t on, en;

    (void)state;
    assert_non_null(q);
    memset(big, 'b', sizeof big);
    assert_int_equal(logq_put(q, LOGQ_OUT, big, sizeof big), -1);
    assert_int_equal(logq_dropped(q), 1);
    memset(big, 'p', 600);
    big[600] = '\0';
    assert_int_equal(logq_printf(q, LOGQ_OUT, "%s\n", big), 0);
    read_both(o, sizeof o, &on, e, sizeof e, &en);
    assert_int_equal(on, 511);
    assert_int_equal(o[510], '\n');
    assert_string_equal(e, "t: 1 log lines dropped\n");
    assert_int_equal(logq_close(q, 1000), 1);
}

/* A reader that never reads cannot hold the close: it returns after its
 * timeout; if the reader comes back later, the writer finishes alone. */
static void close_gives_up_on_a_stuck_reader(void **state)
{
    static char line[1000];
    struct logq *q;
    long long t0;
    int i;

    (void)state;
    stuck_stdout();
    q = logq_open(out[1], err[1], 1 << 16, "t");
    assert_non_null(q);
    memset(line, 's', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (i = 0; i < 40; i++)
        (void)logq_put(q, LOGQ_OUT, line, sizeof line);
    t0 = ms_now();
    alarm(10);          /* a close that waits for ever kills the suite */
    (void)logq_close(q, 200);
    alarm(0);
    if (ms_now() - t0 > 1000)
        fail_msg("close waited %lld ms for a reader that never reads",
                 ms_now() - t0);
    assert_true(ms_now() - t0 >= 150);
    /* The reader goes away: the writer's writes fail, it ends, and it
     * frees the queue itself (LeakSanitizer checks under make check). */
    close(out[0]);
    out[0] = -1;
    sleep_ms(200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(order_kept_across_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(byte_stall_drops_whole_lines_one_notice, setup, teardown),
        cmocka_unit_test_setup_teardown(run_stall_one_notice, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_and_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(close_gives_up_on_a_stuck_reader, setup, teardown),
    };

    /* As tcp-server does: a reader gone is EPIPE for the writer. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("logq", tests, NULL, NULL);
}
