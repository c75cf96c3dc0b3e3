/*
 * command.c - starting the watched command (command.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "trace_out.h"

int command_start(char **argv, pid_t *pid, int *out_fd,
                  struct sock_err *why)
{
    int p[2];
    pid_t child;

    if (pipe2(p, O_CLOEXEC) == -1) {
        snprintf(why->msg, sizeof why->msg, "pipe: %s", strerror(errno));
        return -1;
    }
    child = fork();
    if (child == -1) {
        int err = errno;

        close(p[0]);
        close(p[1]);
        snprintf(why->msg, sizeof why->msg, "fork: %s", strerror(err));
        errno = err;
        return -1;
    }
    if (child == 0) {
        /* dup2 clears close-on-exec on the copies. */
        if (dup2(p[1], STDOUT_FILENO) == -1 || dup2(p[1], STDERR_FILENO) == -1)
            _exit(127);
        setenv(TRACE_STAMPS_ENV, "1", 1);
        execvp(argv[0], argv);
        fprintf(stderr, "tcp-watch: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    close(p[1]);
    (void)fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    *pid = child;
    *out_fd = p[0];
    return 0;
}
