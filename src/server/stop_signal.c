/*
 * stop_signal.c - the stop flag and its self-pipe (stop_signal.h): the
 * handler that sets and writes them, and the emptying of the pipe.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "stop_signal.h"

volatile sig_atomic_t stop_requested;
static int wake[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;

    (void)sig;
    stop_requested = 1;
    if (wake[1] >= 0 && write(wake[1], "", 1) < 0) {
        /* full pipe: a wake-up is already pending */
    }
    errno = saved;
}

int stop_signal_pipe(void)
{
    int i, fds[2];

    if (pipe(fds) == -1)
        return -1;
    for (i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1 ||
            fcntl(fds[i], F_SETFL, O_NONBLOCK) == -1) {
            int err = errno;
            close(fds[0]);
            close(fds[1]);
            errno = err;
            return -1;
        }
    {
        /* After fork: the child's copies of its parent's pipe go. */
        int old0 = wake[0], old1 = wake[1];

        wake[1] = fds[1];
        wake[0] = fds[0];
        if (old0 >= 0)
            close(old0);
        if (old1 >= 0)
            close(old1);
    }
    return wake[0];
}

void stop_signal_forget(void)
{
    wake[0] = wake[1] = -1;
}

int stop_signal_catch(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa, old;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);   /* no SA_RESTART: poll() must wake */
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], NULL, &old) == -1)
            return -1;
        if (sigs[i] != SIGTERM && old.sa_handler == SIG_IGN)
            continue;
        if (sigaction(sigs[i], &sa, NULL) == -1)
            return -1;
    }
    return 0;
}

void stop_signal_drain(int fd)
{
    char sink[64];

    while (read(fd, sink, sizeof sink) > 0)
        ;
}
