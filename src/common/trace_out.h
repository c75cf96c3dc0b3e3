/*
 * trace_out.h - where trace mode's lines go (SPEC section 6).  libsock
 * reports every socket call through its trace seam and formats it
 * (sock_trace_format); this module only installs the hook and writes each
 * line out: straight to a descriptor for tcp-client, through the server's
 * log queue for tcp-server, so a slow terminal never stalls serving and
 * trace lines stay in order with the log.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TRACE_OUT_H
#define TRACE_OUT_H

struct logq;

/* Trace every socket call to fd (tcp-client: stderr). */
void trace_to_fd(int fd);

/* Trace every socket call into q's error stream (tcp-server). */
void trace_to_log(struct logq *q);

/* True when trace mode is on. */
int trace_on(void);

#endif /* TRACE_OUT_H */
