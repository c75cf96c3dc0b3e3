/*
 * server_hold.c - tcp-server --no-accept (server_hold.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "libsock.h"
#include "server_hold.h"

/* How often the queue is looked at: quick enough to follow by eye. */
#define LOOK_MS 100

int server_hold(int lfd, const struct server_config *cfg,
                const volatile sig_atomic_t *stop)
{
    struct sock_tcp_info ti;
    long shown = -1;    /* the queue length last reported */
    int rc = 0;

    while (!*stop) {
        struct pollfd p;

        if (!cfg->quiet && sock_tcp_state(lfd, &ti) == 0 &&
            (long)ti.queued != shown) {
            shown = (long)ti.queued;
            logq_printf(cfg->log, LOGQ_ERR,
                        "accept queue %u/%u: handshakes the kernel finished, "
                        "waiting for an accept that never comes\n",
                        ti.queued, ti.backlog);
        }
        p.fd = cfg->wake_fd;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, cfg->wake_fd >= 0 ? 1 : 0, LOOK_MS) == -1 &&
            errno != EINTR) {
            logq_errorf(cfg->log, "poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
    }
    sock_close(lfd);
    return rc;
}
