/*
 * log_relay.h - the fork design's log: every child sends its log lines
 * to the parent, one message each (logq_open_relay(), logq.h), and a
 * thread of the parent queues them on the parent's own log.  So one
 * writer writes every process's lines to stdout and stderr, and a line
 * never mixes with another's, whatever a pipe keeps whole (PIPE_BUF),
 * as in the designs that run in one process.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LOG_RELAY_H
#define LOG_RELAY_H

#include "logq.h"

struct log_relay;

/*
 * log_relay_start - a SOCK_SEQPACKET socket pair and the thread that
 * reads its receiving end into q.  *tx receives the sending end, for
 * the children's logq_open_relay(); both ends are close-on-exec.
 * Returns NULL with errno set.
 */
struct log_relay *log_relay_start(struct logq *q, int *tx);

/*
 * log_relay_stop - once no child is left: close the sending end, let the
 * thread queue what was sent and stop, free everything.
 */
void log_relay_stop(struct log_relay *r);

#endif /* LOG_RELAY_H */
