/*
 * trace_log.h - tcp-server's trace lines go through its log queue
 * (logq.h), in order with the log and without stalling serving.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TRACE_LOG_H
#define TRACE_LOG_H

#include "trace_out.h"

struct logq;

/* Trace every socket call into q's error stream. */
void trace_to_log(struct logq *q);

#endif /* TRACE_LOG_H */
