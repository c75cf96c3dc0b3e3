/*
 * trace_out.c - trace mode's output: each libsock event formatted as one
 * line and handed to the program's sink (trace_out.h).
 *
 * SPDX-License-Identifier: MIT
 */
#if defined(__linux__)
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): gettid's syscall */
#include <sys/syscall.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsock.h"
#include "fd_io.h"
#include "trace_out.h"

static trace_sink_fn *sink;        /* where each line goes, or NULL: off */
static void *sink_arg;
static pid_t owner;                /* the process that turned trace on */
static long owner_thread;          /* and its thread */
static int stamped;                /* TRACE_STAMPS_ENV was set */

/* The calling thread's id, as /proc/PID/task/ lists it (Linux), else 0. */
static long thread_id(void)
{
#if defined(__linux__) && defined(SYS_gettid)
    return syscall(SYS_gettid);
#else
    return 0;
#endif
}

/*
 * What goes before the call: the time stamps a watcher orders lines by,
 * when asked for, and whose call it is when it is not the process that
 * turned trace on: "[pid N] " in a forked child (the fork design),
 * "[thread N] " in another thread (the thread design), so that a reader
 * can tell whose close() it was.
 */
static size_t prefix(const struct sock_trace_event *ev, char *out,
                     size_t size)
{
    size_t n = 0;
    pid_t pid = getpid();
    long tid = thread_id();
    int r;

    if (stamped) {
        r = snprintf(out, size, "@%lld.%09ld %lld.%09ld ",
                     (long long)ev->began.tv_sec, ev->began.tv_nsec,
                     (long long)ev->ended.tv_sec, ev->ended.tv_nsec);
        n = r > 0 && (size_t)r < size ? (size_t)r : 0;
    }
    if (pid != owner)
        r = snprintf(out + n, size - n, "[pid %ld] ", (long)pid);
    else if (tid != owner_thread)
        r = snprintf(out + n, size - n, "[thread %ld] ", tid);
    else
        r = 0;
    if (r > 0 && (size_t)r < size - n)
        n += (size_t)r;
    return n;
}

static void hook(const struct sock_trace_event *ev, void *arg)
{
    char line[TRACE_PREFIX_MAX + SOCK_TRACE_LINE_MAX + 1];
    size_t p = prefix(ev, line, TRACE_PREFIX_MAX);
    size_t n = sock_trace_format(ev, line + p, SOCK_TRACE_LINE_MAX);

    (void)arg;
    if (n > 0 && sink != NULL) {
        n += p;
        line[n++] = '\n';
        sink(line, n, sink_arg);
    }
}

void trace_to(trace_sink_fn *fn, void *arg)
{
    const char *env = getenv(TRACE_STAMPS_ENV);

    /* Whose lines need no name is settled when trace is turned on: a
     * forked child that sends its lines elsewhere (the fork design's own
     * log queue) stays a child, and its lines still say "[pid N]". */
    if (sink == NULL) {
        owner = getpid();
        owner_thread = thread_id();
    }
    sink = fn;
    sink_arg = arg;
    stamped = env != NULL && strcmp(env, "1") == 0;
    sock_trace_set(hook, NULL);
}

static void put_fd(const char *line, size_t len, void *arg)
{
    (void)fd_write_all(*(const int *)arg, line, len);
}

void trace_to_fd(int fd)
{
    static int trace_fd;

    trace_fd = fd;
    trace_to(put_fd, &trace_fd);
}

int trace_on(void)
{
    return sink != NULL;
}
