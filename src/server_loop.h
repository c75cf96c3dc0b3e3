/*
 * server_loop.h - the server's serving loop: many clients at once in one
 * poll() event loop, each speaking the exchange of session.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SERVER_LOOP_H
#define SERVER_LOOP_H

#include <signal.h>
#include <stddef.h>

#include "logq.h"

struct server_config {
    size_t max_line;    /* longest line accepted, '\n' included */
    size_t max_clients; /* sessions at once; more are told "busy" */
    size_t max_per_ip;  /* sessions from one IP address; 0: no limit */
    long idle_ms;       /* cut a client silent this long; 0: never */
    int once;           /* serve one client, then return */
    int quiet;          /* no connect/disconnect lines on the log */
    struct logq *log;   /* received lines (LOGQ_OUT), chatter (LOGQ_ERR) */
    int wake_fd;        /* readable when *stop was set (a self-pipe), or -1 */
};

/*
 * The most connections server_run() holds at once: max_clients sessions,
 * and as many again that are being told goodbye (a busy notice, the last
 * words) and drained.  A program raises its open-file limit to this plus
 * a few.
 */
#define SERVER_MAX_CONNS(max_clients) (2 * (max_clients))

/*
 * server_run - accept and serve clients on the listening socket lfd until
 * `once` is done or *stop becomes non-zero (set from a signal handler,
 * which also writes a byte to cfg->wake_fd so that poll() wakes even if
 * the signal came just before it).
 * On stop the listener is closed at once (new clients are refused), every
 * client gets SESSION_SHUTDOWN and the loop returns within a second.  lfd
 * is closed.  Returns 0, or 1 after a runtime error that was reported on
 * cfg->log.
 */
int server_run(int lfd, const struct server_config *cfg,
               const volatile sig_atomic_t *stop);

#endif /* SERVER_LOOP_H */
