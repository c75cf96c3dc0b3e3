/*
 * server_hold.h - tcp-server --no-accept: socket, bind, listen, and then
 * never accept.  The handshake lesson: clients still connect, because the
 * kernel completes three-way handshakes by itself and queues them for an
 * accept() that never comes; once the queue is full, new clients stay in
 * SYN_SENT.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SERVER_HOLD_H
#define SERVER_HOLD_H

#include <signal.h>

#include "serve.h"

/*
 * server_hold - keep the listening socket lfd open without accepting
 * until *stop is set (cfg->wake_fd wakes the wait), reporting on
 * cfg->log, unless cfg->quiet, each change in the length of the accept
 * queue (where the kernel tells it: sock_tcp_state).  Closes lfd, which
 * resets the connections still queued.  Returns 0, or 1 after a runtime
 * error reported on cfg->log.
 */
int server_hold(int lfd, const struct server_config *cfg,
                const volatile sig_atomic_t *stop);

#endif /* SERVER_HOLD_H */
