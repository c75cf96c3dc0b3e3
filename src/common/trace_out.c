/*
 * trace_out.c - trace mode's output: each libsock event formatted as one
 * line and handed to the program's sink (trace_out.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

#include "libsock.h"
#include "fd_io.h"
#include "trace_out.h"

static trace_sink_fn *sink;        /* where each line goes, or NULL: off */
static void *sink_arg;

static void hook(const struct sock_trace_event *ev, void *arg)
{
    char line[SOCK_TRACE_LINE_MAX + 1];
    size_t n = sock_trace_format(ev, line, SOCK_TRACE_LINE_MAX);

    (void)arg;
    if (n > 0 && sink != NULL) {
        line[n++] = '\n';
        sink(line, n, sink_arg);
    }
}

void trace_to(trace_sink_fn *fn, void *arg)
{
    sink = fn;
    sink_arg = arg;
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
