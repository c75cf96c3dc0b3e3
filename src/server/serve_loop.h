/*
 * serve_loop.h - the one loop behind four designs (serve_loop.c): poll()
 * over the wake pipe, the listener and every connection, each stepped
 * through conn.h's state machine.  With a listener it is the poll design
 * itself, and the accepting parent of the fork and thread designs; with
 * one connected client and no listener, it serves that client to the
 * end: the iterative design (the article's server: accept one, serve it,
 * accept the next), a fork child, a client's thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SERVE_LOOP_H
#define SERVE_LOOP_H

#include <signal.h>
#include <sys/socket.h>

#include "serve.h"
#include "server.h"

/*
 * serve_loop_accept - accept on lfd and serve until the stop (or --once)
 * is over; lfd is closed.  hooks (may be NULL: the poll design) let the
 * fork and thread designs take the clients within the limits; those
 * beyond them get the same busy notice and goodbye as under poll.
 * Returns 0, or 1 after a runtime error reported on cfg->log.
 */
int serve_loop_accept(int lfd, const struct server_config *cfg,
                      const volatile sig_atomic_t *stop,
                      const struct server_hooks *hooks);

/*
 * serve_loop_one - serve the one connected client fd (its address sa)
 * until its session and goodbye are over, or the stop is; fd is closed.
 * What the iterative, fork and thread designs run for each client.
 * hooks (may be NULL) hear when the session ends.  Returns 0, or 1 after
 * a runtime error reported on cfg->log.
 */
int serve_loop_one(int fd, const struct sockaddr *sa, socklen_t salen,
                   const struct server_config *cfg,
                   const volatile sig_atomic_t *stop,
                   const struct server_hooks *hooks);

#endif /* SERVE_LOOP_H */
