/*
 * testutil.h - all the helpers of the end-to-end suites in one include:
 * proc.h (running the real programs), net.h (sockets, reads and writes
 * with a deadline, the exchange with tcp-server), procfs.h (what /proc
 * says about a process or a port) and env.h (the clock, TCP_MODEL, tools
 * on PATH).  Every wait in them is bounded.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include "env.h"
#include "net.h"
#include "proc.h"
#include "procfs.h"

#endif /* TESTUTIL_H */
