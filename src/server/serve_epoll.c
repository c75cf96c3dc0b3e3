/*
 * serve_epoll.c - the "epoll" design (Linux): one thread, and the kernel
 * keeps the list of descriptors to watch.  Each is registered once, and
 * again only when what it waits for changes (input, or room to send);
 * epoll_wait() returns the ready ones alone.  So a turn costs what the
 * busy clients cost, however many idle ones are held: the difference
 * from poll, whose every turn hands over and looks at every descriptor.
 *
 * The state machine is conn.c's, as for poll.  What poll finds by looking
 * at every client each turn is kept here on the side: a short list of the
 * clients with work that needs no event (lines already buffered, a
 * goodbye to begin), and the earliest deadline any client may have, so
 * that all clients are looked at only when a deadline may be due.  What
 * this design alone knows of a client (on that list or not, the interest
 * registered) lives here, in a struct epoll_conn around its struct conn.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "serve.h"
#include "server.h"
#include "stop_signal.h"

#ifdef __linux__
#include <sys/epoll.h>

#define EVENTS 256          /* ready descriptors taken per wait */

/* The two descriptors that are not clients, told apart by these. */
static char wake_tag, listen_tag;

/* A client as this design sees it: the state machine's conn, and what
 * only epoll needs to know of it.  conn_add() allocates this much
 * (server.conn_size), so every conn of this loop is one of these. */
struct epoll_conn {
    struct conn c;              /* first: a conn's address is this one's */
    unsigned char on_work_list; /* on the list of work without events */
    unsigned char want;         /* the interest registered (CONN_*) */
};

static struct epoll_conn *ep_conn(struct conn *c)
{
    return (struct epoll_conn *)c;
}

struct epoll_loop {
    struct server *s;
    int ep;
    struct conn **work;     /* clients with work that needs no event */
    size_t nwork, work_cap;
    int listening;          /* the listener is registered for input */
};

static unsigned ep_events(int want)
{
    return ((want & CONN_IN) ? EPOLLIN : 0u) | ((want & CONN_OUT) ? EPOLLOUT : 0u);
}

static int conn_events(unsigned ev)
{
    return ((ev & EPOLLIN) ? CONN_IN : 0) | ((ev & EPOLLOUT) ? CONN_OUT : 0) |
           ((ev & (EPOLLERR | EPOLLHUP)) ? CONN_ERR : 0);
}

static int ep_ctl(int ep, int op, int fd, unsigned events, void *ptr)
{
    struct epoll_event e;

    memset(&e, 0, sizeof e);
    e.events = events;
    e.data.ptr = ptr;
    return epoll_ctl(ep, op, fd, &e);
}

/* Put c on the work list (once). */
static int work_add(struct epoll_loop *l, struct conn *c)
{
    if (ep_conn(c)->on_work_list)
        return 0;
    if (l->nwork == l->work_cap) {
        size_t cap = l->work_cap ? l->work_cap * 2 : 64;
        struct conn **w = realloc(l->work, cap * sizeof(struct conn *));

        if (w == NULL)
            return -1;
        l->work = w;
        l->work_cap = cap;
    }
    l->work[l->nwork++] = c;
    ep_conn(c)->on_work_list = 1;
    return 0;
}

static void work_remove(struct epoll_loop *l, struct conn *c)
{
    size_t i;

    for (i = 0; ep_conn(c)->on_work_list && i < l->nwork; i++)
        if (l->work[i] == c) {
            l->work[i] = l->work[--l->nwork];
            ep_conn(c)->on_work_list = 0;
        }
}

/* After a step: free c, or tell the kernel what it now waits for (if
 * that changed) and note work it can do without an event. */
static int settle(struct epoll_loop *l, struct conn *c, int step)
{
    int want;

    if (step == -1) {
        work_remove(l, c);
        conn_free(l->s, c->idx);     /* close() unregisters it */
        return 0;
    }
    want = conn_wants(c);
    if (want != ep_conn(c)->want) {
        if (ep_ctl(l->ep, EPOLL_CTL_MOD, c->fd, ep_events(want), c) == -1)
            return -1;
        ep_conn(c)->want = (unsigned char)want;
    }
    if (conn_has_work(c))
        return work_add(l, c);
    return 0;
}

/* Register the clients added since `from` (server_accept, stop). */
static int register_new(struct epoll_loop *l, size_t from)
{
    size_t i;

    for (i = from; i < l->s->n; i++) {
        struct conn *c = l->s->conns[i];
        int want = conn_wants(c);

        if (ep_ctl(l->ep, EPOLL_CTL_ADD, c->fd, ep_events(want), c) == -1)
            return -1;
        ep_conn(c)->want = (unsigned char)want;
        if (conn_has_work(c) && work_add(l, c) == -1)
            return -1;
    }
    return 0;
}

/* A deadline may be due: look at every client (the only walk over all
 * of them), step those whose time has come, and find the next one. */
static int sweep(struct epoll_loop *l, long long now)
{
    struct server *s = l->s;
    long long next = CONN_NEVER;
    size_t i;

    for (i = s->n; i-- > 0;) {
        struct conn *c = s->conns[i];

        if (!conn_timed(s, c))
            continue;
        if (now >= c->deadline && settle(l, c, conn_step(s, c, 0, now)) == -1)
            return -1;
        /* Slot i holds c, or the client moved into it: see it again next
         * time rather than lose its deadline now. */
        if (i < s->n && conn_timed(s, s->conns[i]) &&
            s->conns[i]->deadline < next)
            next = s->conns[i]->deadline;
    }
    s->next_deadline = next;
    return 0;
}

/* The listener is watched while it exists and accepting is not paused. */
static int watch_listener(struct epoll_loop *l, long long now)
{
    struct server *s = l->s;
    int want = s->lfd >= 0 && now >= s->accept_paused_until;

    if (want == l->listening)
        return 0;
    if (s->lfd >= 0 &&
        ep_ctl(l->ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->lfd, EPOLLIN,
               &listen_tag) == -1)
        return -1;
    l->listening = want;
    return 0;
}

static int run(struct epoll_loop *l, const volatile sig_atomic_t *stop)
{
    struct server *s = l->s;
    const struct server_config *cfg = s->cfg;
    struct epoll_event ev[EVENTS];
    long long stop_at = -1;

    while (s->lfd >= 0 || s->n > 0) {
        long long now = s->now = sock_clock_ms();
        int timeout = -1, ready, i;
        size_t k, nwork;

        if (*stop && stop_at < 0) {
            size_t j;

            if (l->listening && s->lfd >= 0)
                (void)epoll_ctl(l->ep, EPOLL_CTL_DEL, s->lfd, NULL);
            l->listening = 0;
            server_begin_stop(s);
            stop_at = now + STOP_MS;
            for (j = s->n; j-- > 0;)   /* every one was told: a turn each */
                if (settle(l, s->conns[j], 0) == -1 ||
                    work_add(l, s->conns[j]) == -1)
                    return -1;
        }
        if (stop_at >= 0 && now >= stop_at)
            break;
        if (watch_listener(l, now) == -1)
            return -1;

        if (l->nwork > 0)
            timeout = 0;
        if (s->next_deadline < CONN_NEVER)
            server_wake_by(&timeout, s->next_deadline, now);
        if (s->lfd >= 0 && !l->listening)
            server_wake_by(&timeout, s->accept_paused_until, now);
        if (stop_at >= 0)
            server_wake_by(&timeout, stop_at, now);

        ready = epoll_wait(l->ep, ev, EVENTS, timeout);
        if (ready == -1) {
            if (errno == EINTR)
                continue;   /* a signal: the loop top checks *stop */
            logq_errorf(cfg->log, "epoll_wait: %s\n", strerror(errno));
            return -1;
        }
        now = s->now = sock_clock_ms();

        for (i = 0; i < ready; i++) {
            void *p = ev[i].data.ptr;

            if (p == &wake_tag) {
                if (!cfg->wake_keep)
                    stop_signal_drain(cfg->wake_fd);
                if (stop_at < 0 && *stop)
                    continue;       /* the loop top begins the stop */
            } else if (p == &listen_tag) {
                size_t before = s->n;

                if (*stop)
                    continue;
                server_accept(s, now);
                if (s->lfd < 0)
                    l->listening = 0;   /* --once: closed, unregistered */
                if (register_new(l, before) == -1)
                    return -1;
            } else {
                struct conn *c = p;

                if (settle(l, c, conn_step(s, c, conn_events(ev[i].events),
                                           now)) == -1)
                    return -1;
            }
        }

        /* Work that needs no event; what it leads to waits a turn. */
        nwork = l->nwork;
        for (k = 0; k < nwork && k < l->nwork; k++) {
            struct conn *c = l->work[0];

            l->work[0] = l->work[--l->nwork];
            ep_conn(c)->on_work_list = 0;
            if (settle(l, c, conn_step(s, c, 0, now)) == -1)
                return -1;
        }
        if (now >= s->next_deadline && sweep(l, now) == -1)
            return -1;
    }
    return 0;
}

int serve_epoll_run(int lfd, const struct server_config *cfg,
                    const volatile sig_atomic_t *stop)
{
    struct server s;
    struct epoll_loop l;
    int rc = 0, ok;

    memset(&l, 0, sizeof l);
    l.s = &s;
    l.ep = -1;
    ok = server_init(&s, cfg, lfd) == 0;
    s.conn_size = sizeof(struct epoll_conn);    /* before any client */
    if (!ok ||
        (l.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
        (cfg->wake_fd >= 0 &&
         ep_ctl(l.ep, EPOLL_CTL_ADD, cfg->wake_fd, EPOLLIN, &wake_tag) == -1)) {
        logq_errorf(cfg->log, "epoll: %s\n", strerror(errno));
        rc = 1;
    } else if (run(&l, stop) == -1) {
        if (errno != 0)
            logq_errorf(cfg->log, "epoll: %s\n", strerror(errno));
        rc = 1;
    }
    if (l.ep >= 0)
        close(l.ep);
    free(l.work);
    server_fini(&s);
    return rc;
}

#else   /* no epoll: the portable design does the job */

int serve_epoll_run(int lfd, const struct server_config *cfg,
                    const volatile sig_atomic_t *stop)
{
    return serve_poll_run(lfd, cfg, stop);
}

#endif
