/*
 * serve.h - how tcp-server serves: its configuration and the designs to
 * choose from (--model), one file each (serve_DESIGN.c defines
 * serve_DESIGN_run()), each speaking the exchange of session.h through
 * the one state machine of conn.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SERVE_H
#define SERVE_H

#include <signal.h>
#include <stddef.h>

#include "logq.h"

struct server_config {
    size_t max_line;    /* longest line accepted, '\n' included */
    size_t max_clients; /* sessions at once; more are told "busy" */
    size_t max_per_ip;  /* sessions from one IP address; 0: no limit */
    long idle_ms;       /* cut a client silent this long; 0: never */
    int once;           /* serve one client, then return */
    int quiet;          /* 1: no connect/disconnect lines on the log;
                           2: no received lines either */
    struct logq *log;   /* received lines (LOGQ_OUT), chatter (LOGQ_ERR) */
    int wake_fd;        /* readable when *stop was set (a self-pipe), or -1 */
    int wake_keep;      /* wake_fd is shared by threads: never drain it */
    int stop_ms;        /* the goodbye after a signal; 0: the default */
    long udp_rate;      /* -u: replies a second to one peer; 0: no limit */
    int seqpacket;      /* SOCK_SEQPACKET clients: each message is a line
                           and each reply a message (conn.c) */
};

/*
 * The most connections a design holds at once: max_clients sessions,
 * and as many again that are being told goodbye (a busy notice, the last
 * words) and drained.  A program raises its open-file limit to this plus
 * a few.
 */
#define SERVER_MAX_CONNS(max_clients) (2 * (max_clients))

/*
 * The designs (--model).  Each accepts and serves clients on the
 * listening socket lfd until `once` is done or *stop becomes non-zero
 * (set from a signal handler, which also writes a byte to cfg->wake_fd so
 * that a wait wakes even if the signal came just before it).  On stop the
 * listener is closed (new clients are refused), every client gets the
 * shutdown notice and the call returns within a second.  lfd is closed.
 * They return 0, or 1 after a runtime error reported on cfg->log.
 *
 *   iterative  accept, serve that one client to the end, accept the next:
 *              the article's server; the others wait in the backlog
 *   fork       a process per client
 *   thread     a POSIX thread per client
 *   poll       one thread, poll() over every descriptor
 *   epoll      one thread, epoll's ready list (Linux)
 */
enum server_model { MODEL_ITERATIVE, MODEL_FORK, MODEL_THREAD, MODEL_POLL,
                    MODEL_EPOLL };

#ifdef __linux__
#define SERVER_DEFAULT_MODEL MODEL_EPOLL
#else
#define SERVER_DEFAULT_MODEL MODEL_POLL
#endif

int serve_iterative_run(int lfd, const struct server_config *cfg,
                        const volatile sig_atomic_t *stop);
int serve_fork_run(int lfd, const struct server_config *cfg,
                   const volatile sig_atomic_t *stop);
int serve_thread_run(int lfd, const struct server_config *cfg,
                     const volatile sig_atomic_t *stop);
int serve_poll_run(int lfd, const struct server_config *cfg,
                   const volatile sig_atomic_t *stop);
int serve_epoll_run(int lfd, const struct server_config *cfg,
                    const volatile sig_atomic_t *stop);

/*
 * serve_udp_run - tcp-server -u: the exchange over the bound UDP socket
 * fd, one datagram per line, peers kept in a table bounded by
 * max_clients and forgotten after quit or idle_ms (serve_udp.c).  Stops
 * as the designs do, telling every peer; fd is closed.
 */
int serve_udp_run(int fd, const struct server_config *cfg,
                  const volatile sig_atomic_t *stop);

#endif /* SERVE_H */
