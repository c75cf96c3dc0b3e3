/*
 * trace_out.h - where trace mode's lines go (docs/tutorial.md, section 3;
 * tcp-server(1), TRACE MODE).  libsock reports every socket call through
 * its trace seam and formats it (sock_trace_format); this module only
 * installs the hook and hands each line to a sink: straight to a
 * descriptor for tcp-client, through the server's log queue for
 * tcp-server (server/trace_log.c), so a slow terminal never stalls
 * serving and trace lines stay in order with the log.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TRACE_OUT_H
#define TRACE_OUT_H

#include <stddef.h>

/*
 * With TRACE_STAMPS_ENV=1 in the environment (tcp-watch sets it for the
 * command it runs), every line starts with when its call began and
 * ended, CLOCK_REALTIME, "@SEC.NSEC SEC.NSEC ", so that the watcher can
 * put it among the kernel-stamped segments in the order they happened.
 * A line written by a forked child or another thread than the one that
 * turned trace on carries "[pid N] " or "[thread N] " before the call.
 */
#define TRACE_STAMPS_ENV "TCP_WATCH_STAMPS"
/* Room for the stamps and the pid or thread before a line. */
#define TRACE_PREFIX_MAX 80

/* Takes one trace line of len bytes, '\n' included (not NUL-terminated). */
typedef void trace_sink_fn(const char *line, size_t len, void *arg);

/* Trace every socket call to fn, which gets arg with each line. */
void trace_to(trace_sink_fn *fn, void *arg);

/* Trace every socket call to fd (tcp-client: stderr). */
void trace_to_fd(int fd);

/* True when trace mode is on. */
int trace_on(void);

#endif /* TRACE_OUT_H */
