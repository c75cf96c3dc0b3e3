/*
 * trace_out.c - trace mode's output: each libsock event as one line on
 * the program's error stream (trace_out.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

#include "libsock.h"
#include "fd_io.h"
#include "logq.h"
#include "trace_out.h"

static int trace_fd = -1;          /* tcp-client: write here ... */
static struct logq *trace_log;     /* ... tcp-server: queue here */

static void put_line(char *line, size_t len)
{
    line[len++] = '\n';
    if (trace_log != NULL)
        (void)logq_put(trace_log, LOGQ_ERR, line, len);
    else if (trace_fd >= 0)
        (void)fd_write_all(trace_fd, line, len);
}

static void hook(const struct sock_trace_event *ev, void *arg)
{
    char line[SOCK_TRACE_LINE_MAX + 1];
    size_t n = sock_trace_format(ev, line, SOCK_TRACE_LINE_MAX);

    (void)arg;
    if (n > 0)
        put_line(line, n);
}

void trace_to_fd(int fd)
{
    trace_fd = fd;
    trace_log = NULL;
    sock_trace_set(hook, NULL);
}

void trace_to_log(struct logq *q)
{
    trace_log = q;
    trace_fd = -1;
    sock_trace_set(hook, NULL);
}

int trace_on(void)
{
    return trace_log != NULL || trace_fd >= 0;
}
