/*
 * promptly.h - promises of time: a server stops within a second of a
 * signal (tcp-server(1)), an echo comes back promptly.  What such a
 * bound measures is the machine as much as the program: on a machine
 * busy with other work (a build beside the tests, other suites, CPU
 * hogs) the program may be on time and still not get the processor.
 *
 * So the bound is asserted where the machine is given to the tests: in
 * CI (CI=true).  Elsewhere a bound that is missed makes the test say
 * what it measured and why it is not a failure there, and skip.  What
 * is not a matter of time - the echo comes back, the server exits 0 -
 * is asserted everywhere, with the usual 5 s for a step.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PROMPTLY_H
#define PROMPTLY_H

#include "testutil.h"

/* `what` took took_ms where limit_ms is promised: under CI=true a miss
 * fails the test; elsewhere it skips it, saying so. */
void promise_of_time(const char *what, long long took_ms, long limit_ms);

/* A round trip of `line` on fd comes back (within 5 s), and within
 * limit_ms as a promise_of_time(). */
void echo_promptly(int fd, const char *line, long limit_ms);

/* The server p, sent a stop signal at t0 (ms_now()), exits with status
 * 0 (within 5 s), and within stop_limit_ms() of t0 as a
 * promise_of_time(). */
void stopped_promptly(struct proc *p, long long t0);

/* p exits with status 0 (within 5 s, or limit_ms if longer), and
 * within limit_ms of this call as a promise_of_time(). */
void exits_promptly(struct proc *p, long limit_ms);

#endif /* PROMPTLY_H */
