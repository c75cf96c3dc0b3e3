/*
 * command.c - starting the watched command (command.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "command.h"
#include "trace_out.h"

/* What a child that could not exec tells its parent: errno, on a pipe
 * that closes by itself when exec succeeds. */
static int exec_error(int fd)
{
    int err = 0;
    ssize_t n;

    do
        n = read(fd, &err, sizeof err);
    while (n == -1 && errno == EINTR);
    return n == (ssize_t)sizeof err ? err : 0;
}

int command_start(char **argv, pid_t *pid, int *out_fd,
                  struct sock_err *why)
{
    int p[2], e[2], err;
    pid_t child;

    if (pipe2(p, O_CLOEXEC) == -1) {
        snprintf(why->msg, sizeof why->msg, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(e, O_CLOEXEC) == -1) {
        err = errno;
        close(p[0]);
        close(p[1]);
        snprintf(why->msg, sizeof why->msg, "pipe: %s", strerror(err));
        errno = err;
        return -1;
    }
    child = fork();
    if (child == -1) {
        err = errno;
        close(p[0]);
        close(p[1]);
        close(e[0]);
        close(e[1]);
        snprintf(why->msg, sizeof why->msg, "fork: %s", strerror(err));
        errno = err;
        return -1;
    }
    if (child == 0) {
        /* dup2 clears close-on-exec on the copies. */
        if (dup2(p[1], STDOUT_FILENO) != -1 &&
            dup2(p[1], STDERR_FILENO) != -1) {
            /* tcp-watch ignores SIGINT (the command is to end its own
             * way) and SIGPIPE; an ignored signal stays ignored across
             * exec, so give the command the defaults, or Ctrl-C would
             * never stop it. */
            signal(SIGINT, SIG_DFL);
            signal(SIGPIPE, SIG_DFL);
            setenv(TRACE_STAMPS_ENV, "1", 1);
            execvp(argv[0], argv);
        }
        err = errno;
        (void)!write(e[1], &err, sizeof err);
        _exit(127);
    }
    close(p[1]);
    close(e[1]);
    err = exec_error(e[0]);
    close(e[0]);
    if (err != 0) {
        close(p[0]);
        (void)waitpid(child, NULL, 0);
        snprintf(why->msg, sizeof why->msg, "%s", strerror(err));
        errno = err;
        return -1;
    }
    (void)fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    *pid = child;
    *out_fd = p[0];
    return 0;
}
