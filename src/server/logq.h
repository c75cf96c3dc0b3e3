/*
 * logq.h - the server's log, written so that it can never stall serving.
 *
 * A reader of the server's stdout or stderr that stops (a paused pager, a
 * pipe nobody reads) would block a plain write(), and with it every
 * client.  Here the serving loop only appends to a bounded queue in
 * memory; a writer thread of its own does the blocking writes, in order,
 * stdout and stderr interleaved as they were queued.  When the queue is
 * full, lines are dropped and counted, and the count is reported on the
 * error stream once there is room again ("PROG: N log lines dropped").
 * The descriptors are never switched to non-blocking mode: they may be a
 * terminal shared with the shell.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LOGQ_H
#define LOGQ_H

#include <stddef.h>

enum logq_stream { LOGQ_OUT, LOGQ_ERR };

struct logq;

/*
 * logq_open - start a queue holding at most `cap` bytes, written to
 * out_fd (LOGQ_OUT) and err_fd (LOGQ_ERR); `prog` names the program in
 * the drop notice.  Returns NULL with errno set.
 */
struct logq *logq_open(int out_fd, int err_fd, size_t cap, const char *prog);

/*
 * logq_open_relay - a queue with no buffer and no writer of its own, for
 * a process of the fork design: every put is sent at once, without
 * waiting, as one message (at most LOGQ_RELAY_MAX bytes: a byte naming
 * the stream, then the bytes) on the SOCK_SEQPACKET socket sock, whose
 * other end the parent reads (log_relay.h) and queues on its own log.
 * One writer, the parent's, then writes every process's lines, each
 * whole.  A put the socket has no room for is dropped and counted, and
 * the count is sent once there is room again.  sock stays the caller's.
 * Returns NULL with errno set.
 */
struct logq *logq_open_relay(int sock, const char *prog);

/* The longest message logq_open_relay's queue sends: a longer log line
 * is cut to fit and ends in " [cut]". */
#define LOGQ_RELAY_MAX (64 * 1024)

/*
 * logq_put - queue `len` bytes (one or more whole lines) for a stream.
 * Never waits for the descriptor.  Returns 0, or -1 when there was no
 * room and the bytes were dropped (and counted as one line).  Run by
 * tcp-watch (TCP_WATCH_STAMPS=1, trace_out.h), the bytes go after a
 * stamp of when they were queued, so that the watcher can put the line
 * where it happened.
 */
int logq_put(struct logq *q, enum logq_stream stream, const char *bytes,
             size_t len);

/* logq_put_as_is - the same, never stamped: for lines that carry their
 * own stamps (trace lines, trace_log.c). */
int logq_put_as_is(struct logq *q, enum logq_stream stream, const char *bytes,
                   size_t len);

/* logq_printf - format one line (at most 512 bytes) and queue it. */
int logq_printf(struct logq *q, enum logq_stream stream, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * logq_errorf - format one line the program says itself, and queue it on
 * the error stream after its name: "PROG: " and the line, at most 512
 * bytes in all ("tcp-server: poll: Bad file descriptor").  The name is
 * said once, to logq_open, not at every call.
 */
int logq_errorf(struct logq *q, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* logq_prog - the program's name the queue was opened with. */
const char *logq_prog(const struct logq *q);

/* logq_dropped - how many lines were dropped so far. */
unsigned long logq_dropped(struct logq *q);

/*
 * logq_close - let the writer finish what is queued, for at most
 * timeout_ms (a reader that never reads must not keep the program from
 * exiting), then stop it.  Returns the number of lines dropped in all.
 * If the writer is still blocked in write() when the time is up, it is
 * left to finish alone (and free the queue) or to end with the process;
 * q must not be used after this call either way.
 */
unsigned long logq_close(struct logq *q, int timeout_ms);

#endif /* LOGQ_H */
