/*
 * serve_loop.c - the loop the poll, iterative, fork and thread designs
 * share (serve_loop.h): one thread, poll() over every descriptor.  Each
 * turn hands the kernel the whole list (the wake pipe, the listener,
 * every client) and then looks at every entry for what happened: the
 * cost grows with the number of clients, busy or idle.  Portable
 * (POSIX).
 *
 * With a listener it accepts (server.c decides whom to keep); with one
 * client and no listener (serve_loop_one) it is how the iterative, fork
 * and thread designs serve each client.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "server.h"
#include "serve_loop.h"
#include "stop_signal.h"

#define FIRST_CONN 2  /* poll slots: wake pipe, listener, then clients */

static short poll_events(int want)
{
    return (short)(((want & CONN_IN) ? POLLIN : 0) |
                   ((want & CONN_OUT) ? POLLOUT : 0));
}

static int conn_events(short rev)
{
    return ((rev & POLLIN) ? CONN_IN : 0) | ((rev & POLLOUT) ? CONN_OUT : 0) |
           ((rev & (POLLERR | POLLHUP | POLLNVAL)) ? CONN_ERR : 0);
}

/* Fill the poll set: the wake pipe, the listener, then one slot per
 * client (poll ignores negative descriptors).  Returns the timeout. */
static int prepare_poll(struct server *s, struct pollfd *pfd, long long now,
                        long long stop_at)
{
    int timeout = -1;
    size_t i;

    pfd[0].fd = s->cfg->wake_fd;
    pfd[1].fd = s->lfd;
    if (s->lfd >= 0 && now < s->accept_paused_until) {
        pfd[1].fd = -1;
        server_wake_by(&timeout, s->accept_paused_until, now);
    }
    for (i = 0; i < FIRST_CONN; i++) {
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
    }
    for (i = 0; i < s->n; i++) {
        struct conn *c = s->conns[i];
        struct pollfd *p = &pfd[FIRST_CONN + i];

        p->fd = c->fd;
        p->events = poll_events(conn_wants(c));
        p->revents = 0;
        if (conn_has_work(c))
            timeout = 0;
        if (conn_timed(s, c))
            server_wake_by(&timeout, c->deadline, now);
    }
    if (stop_at >= 0)
        server_wake_by(&timeout, stop_at, now);
    return timeout;
}

/* The loop, for a server with a listener or with one client (lfd -1):
 * until the listener is gone and no client is left, or the stop is over. */
static int run(struct server *s, const volatile sig_atomic_t *stop)
{
    const struct server_config *cfg = s->cfg;
    size_t room = FIRST_CONN;
    struct pollfd *pfd = malloc(room * sizeof *pfd);
    long long stop_at = -1;
    int rc = 0;

    if (pfd == NULL) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        return 1;
    }

    while (s->lfd >= 0 || s->n > 0) {
        long long now = s->now = sock_clock_ms();
        int timeout, ready;
        size_t i;

        if (*stop && stop_at < 0) {
            server_begin_stop(s);
            stop_at = now + (cfg->stop_ms > 0 ? cfg->stop_ms : STOP_MS);
        }
        if (stop_at >= 0 && now >= stop_at)
            break;
        /* Nobody left to say goodbye to (and no design's sessions
         * elsewhere): the stop is done now, not at stop_at. */
        if (stop_at >= 0 && s->hooks == NULL && s->lfd < 0 && s->n == 0)
            break;
        if (room < FIRST_CONN + s->cap) {
            struct pollfd *p = realloc(pfd, (FIRST_CONN + s->cap) * sizeof *p);

            if (p == NULL) {
                logq_errorf(cfg->log, "%s\n", strerror(errno));
                rc = 1;
                break;
            }
            pfd = p;
            room = FIRST_CONN + s->cap;
        }

        if (s->hooks != NULL && s->hooks->tick != NULL) {
            s->hooks->tick(s->hooks->arg, now);
            if (s->lfd < 0 && s->n == 0)
                break;
        }
        timeout = prepare_poll(s, pfd, now, stop_at);
        if (s->hooks != NULL && s->hooks->tick_ms > 0)
            server_wake_by(&timeout, now + s->hooks->tick_ms, now);
        if (stop_at >= 0)
            pfd[0].fd = -1;     /* seen: a shared wake pipe stays readable */
        ready = poll(pfd, (nfds_t)(FIRST_CONN + s->n), timeout);
        if (ready == -1) {
            if (errno == EINTR)
                continue;   /* a signal: the loop top checks *stop */
            logq_errorf(cfg->log, "poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        now = s->now = sock_clock_ms();

        /* Every client is looked at, every turn: poll's price.  Walk
         * backwards: conn_free() moves the last one into slot i. */
        for (i = s->n; i-- > 0;) {
            if (conn_step(s, s->conns[i], conn_events(pfd[FIRST_CONN + i].revents),
                          now) == -1)
                conn_free(s, i);
        }
        if ((pfd[0].revents & POLLIN) && !cfg->wake_keep)
            stop_signal_drain(cfg->wake_fd);   /* the loop top sees *stop */
        /* A signal that came with the poll: nobody more is welcomed; the
         * loop top tells those waiting (server_begin_stop). */
        if (s->lfd >= 0 && !*stop && (pfd[1].revents & POLLIN))
            server_accept(s, now);
    }
    free(pfd);
    return rc;
}

int serve_loop_accept(int lfd, const struct server_config *cfg,
                      const volatile sig_atomic_t *stop,
                      const struct server_hooks *hooks)
{
    struct server s;
    int rc;

    if (server_init(&s, cfg, lfd) == -1) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        server_fini(&s);
        return 1;
    }
    s.hooks = hooks;
    rc = run(&s, stop);
    server_fini(&s);
    return rc;
}

int serve_loop_one(int fd, const struct sockaddr *sa, socklen_t salen,
                   const struct server_config *cfg,
                   const volatile sig_atomic_t *stop,
                   const struct server_hooks *hooks)
{
    struct server s;
    int rc;

    if (server_init(&s, cfg, -1) == 0)
        s.hooks = hooks;    /* before conn_add: it counts the session */
    if (s.shown == NULL || sock_set_nonblock(fd, 1) == -1 ||
        conn_add(&s, fd, sa, salen, 1) == -1) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        if (s.n == 0)
            server_close_now(fd, SESSION_FULL);
        server_fini(&s);
        return 1;
    }
    rc = run(&s, stop);
    server_fini(&s);
    return rc;
}
