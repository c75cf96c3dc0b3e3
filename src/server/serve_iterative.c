/*
 * serve_iterative.c - the "iterative" design: the article's server.
 * accept() one client, serve it to the end, then accept the next.  While
 * one is served the others wait in the listen backlog, their handshakes
 * done by the kernel, unanswered: the lesson of this design.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "serve.h"
#include "serve_loop.h"
#include "server.h"
#include "stop_signal.h"

#define PAUSE_MS      100   /* out of descriptors: try again after this */

int serve_iterative_run(int lfd, const struct server_config *cfg,
                        const volatile sig_atomic_t *stop)
{
    int pause = 0;

    if (sock_set_nonblock(lfd, 1) == -1) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        sock_close(lfd);
        return 1;
    }
    while (!*stop) {
        struct pollfd p[2];
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd;

        p[0].fd = cfg->wake_fd;
        p[1].fd = lfd;
        p[0].events = p[1].events = POLLIN;
        p[0].revents = p[1].revents = 0;
        if (poll(p, 2, pause ? PAUSE_MS : -1) == -1 && errno != EINTR) {
            logq_errorf(cfg->log, "poll: %s\n", strerror(errno));
            sock_close(lfd);
            return 1;
        }
        pause = 0;
        if (p[0].revents & POLLIN)
            stop_signal_drain(cfg->wake_fd);
        if (*stop)
            break;
        fd = sock_accept(lfd, (struct sockaddr *)&ss, &len);
        if (fd == -1) {
            /* EAGAIN: the client left.  Out of descriptors: the queue
             * stays readable, so wait a moment instead of spinning. */
            pause = errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                    errno == ENOMEM;
            continue;
        }
        if (cfg->once) {
            sock_close(lfd);     /* one client, then no more listening */
            return serve_loop_one(fd, (struct sockaddr *)&ss, len, cfg, stop, NULL);
        }
        (void)serve_loop_one(fd, (struct sockaddr *)&ss, len, cfg, stop, NULL);
    }
    server_stop_listening(lfd);
    return 0;
}
