/*
 * trace_log.c - trace lines into the server's log queue (trace_log.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "logq.h"
#include "trace_log.h"

static void put_log(const char *line, size_t len, void *arg)
{
    (void)logq_put_as_is(arg, LOGQ_ERR, line, len);
}

void trace_to_log(struct logq *q)
{
    trace_to(put_log, q);
}
