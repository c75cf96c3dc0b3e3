/*
 * own_ns.c - namespaces of the test's own (own_ns.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "env.h"
#include "net.h"
#include "own_ns.h"
#include "netns.h"     /* src/watch/netns.h */

static int failed(char *why, size_t size, const char *step)
{
    int err = errno;

    if (why != NULL && size > 0)
        snprintf(why, size, "%s: %s", step, strerror(err));
    errno = err;
    return -1;
}

/* The namespace steps tcp-watch itself takes (src/watch/netns.c). */
static int enter(int with_net, char *why, size_t size)
{
    struct sock_err err;

    if (netns_unshare(with_net, &err) == -1 ||
        (with_net && netns_lo_up(&err) == -1)) {
        int e = errno;

        if (why != NULL && size > 0)
            snprintf(why, size, "%s", err.msg);
        errno = e;
        return -1;
    }
    return 0;
}

int userns_enter(char *why, size_t size)
{
    return enter(0, why, size);
}

int netns_enter(char *why, size_t size)
{
    return enter(1, why, size);
}

int ns_possible(int userns, char *why, size_t size)
{
    int p[2], st = 0;
    char msg[256];
    pid_t pid;

    if (pipe(p) == -1) {
        failed(why, size, "pipe");
        return 0;
    }
    fflush(NULL);
    pid = fork();
    if (pid == -1) {
        failed(why, size, "fork");
        close(p[0]);
        close(p[1]);
        return 0;
    }
    if (pid == 0) {
        int r = userns ? userns_enter(msg, sizeof msg)
                       : netns_enter(msg, sizeof msg);

        if (r == -1)
            (void)!write(p[1], msg, strlen(msg));
        _exit(r == -1);
    }
    close(p[1]);
    /* The child writes one short message at most, then exits. */
    read_until(p[0], msg, sizeof msg, NULL, 5000);
    close(p[0]);
    {
        long long end = ms_now() + 5000;
        pid_t r;

        while ((r = waitpid(pid, &st, WNOHANG)) == 0 && ms_now() < end)
            sleep_ms(2);
        if (r == 0) {
            kill(pid, SIGKILL);
            r = waitpid(pid, &st, 0);
        }
        if (r != pid) {
            failed(why, size, "waitpid");
            return 0;
        }
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (why != NULL && size > 0)
            snprintf(why, size, "%s", msg[0] ? msg : "the child that tried failed");
        return 0;
    }
    return 1;
}

int before_exec_userns(void)
{
    return userns_enter(NULL, 0);
}
