/*
 * command.c - starting the watched command (command.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): setgroups, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "trace_out.h"

/* Under sudo: the user who asked, for the command (never root's
 * privileges for a program that only needs to be watched). */
static void drop_to_sudo_user(void)
{
    const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
    long uid, gid;
    char *end;

    if (geteuid() != 0 || u == NULL || g == NULL)
        return;
    uid = strtol(u, &end, 10);
    if (*end != '\0' || uid <= 0)
        return;
    gid = strtol(g, &end, 10);
    if (*end != '\0' || gid < 0)
        return;
    if (setgroups(0, NULL) == -1 || setgid((gid_t)gid) == -1 ||
        setuid((uid_t)uid) == -1) {
        fprintf(stderr, "tcp-watch: cannot become user %ld: %s\n", uid,
                strerror(errno));
        _exit(127);
    }
}

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
        /* tcp-watch ignores SIGINT (the command is to end its own way)
         * and SIGPIPE; an ignored signal stays ignored across exec, so
         * give the command the defaults, or Ctrl-C would never stop it. */
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        drop_to_sudo_user();
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
