/*
 * command.h - the command `tcp-watch PORT -- COMMAND` runs: started with
 * its output (stdout and stderr both) on a pipe to tcp-watch, and with
 * TCP_WATCH_STAMPS=1 in its environment, so that a traced program of
 * this project stamps each line with when its call happened
 * (trace_out.h).  Its standard input is tcp-watch's: the reader types
 * into it as into the program itself.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <sys/types.h>

#include "libsock.h"

/*
 * command_start - fork and exec argv[0] (looked up in PATH).  *pid gets
 * the child, *out_fd the pipe's reading end (non-blocking).  It runs as
 * whoever tcp-watch is by then (under sudo, the user who called it:
 * privilege.h).  Returns 0, or -1 with errno set and the reason in
 * `why`: no pipe, no fork, or a command that could not be executed
 * (the child tells the parent before it is reported started).
 */
int command_start(char **argv, pid_t *pid, int *out_fd,
                  struct sock_err *why);

#endif /* COMMAND_H */
