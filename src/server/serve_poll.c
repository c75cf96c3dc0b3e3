/*
 * serve_poll.c - the "poll" design: one thread, poll() over every
 * descriptor, every turn.  Portable (POSIX), and the default where there
 * is no epoll.  It is the loop of serve_loop.c with nobody to hand
 * clients to: the same loop the fork and thread designs accept with, and
 * the iterative design serves each client with.
 *
 * SPDX-License-Identifier: MIT
 */
#include "serve.h"
#include "serve_loop.h"

int serve_poll_run(int lfd, const struct server_config *cfg,
                   const volatile sig_atomic_t *stop)
{
    return serve_loop_accept(lfd, cfg, stop, NULL);
}
