/*
 * promptly.c - promises of time (promptly.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "promptly.h"

#define STEP_MS 5000   /* the longest one step may take, on any machine */

void promise_of_time(const char *what, long long took_ms, long limit_ms)
{
    const char *ci = getenv("CI");

    if (took_ms < limit_ms)
        return;
    if (ci != NULL && strcmp(ci, "true") == 0)
        fail_msg("%s took %lld ms; promised: under %ld ms", what, took_ms,
                 limit_ms);
    print_message("%s took %lld ms, not under %ld ms: on a busy machine "
                  "that says more about the machine than the program; "
                  "asserted only under CI=true\n", what, took_ms, limit_ms);
    skip();
}

void echo_promptly(int fd, const char *line, long limit_ms)
{
    long long t0 = ms_now();

    send_str(fd, line);
    expect_str(fd, line);
    promise_of_time("an echo", ms_now() - t0, limit_ms);
}

void stopped_promptly(struct proc *p, long long t0)
{
    assert_int_equal(proc_wait(p, STEP_MS), 0);
    promise_of_time("the stop", ms_now() - t0, stop_limit_ms());
}

void exits_promptly(struct proc *p, long limit_ms)
{
    long long t0 = ms_now();

    assert_int_equal(proc_wait(p, limit_ms > STEP_MS ? (int)limit_ms : STEP_MS),
                     0);
    promise_of_time("the exit", ms_now() - t0, limit_ms);
}
