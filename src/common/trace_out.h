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

/* Takes one trace line of len bytes, '\n' included (not NUL-terminated). */
typedef void trace_sink_fn(const char *line, size_t len, void *arg);

/* Trace every socket call to fn, which gets arg with each line. */
void trace_to(trace_sink_fn *fn, void *arg);

/* Trace every socket call to fd (tcp-client: stderr). */
void trace_to_fd(int fd);

/* True when trace mode is on. */
int trace_on(void);

#endif /* TRACE_OUT_H */
