/*
 * phases.c - loadgen's run: the phases every client goes through
 * (connect, work, quit), the epoll loop that serves them, the ticks
 * that enforce the timeouts, and the errors that end a client.  What
 * goes over the wire is the transport's (g->tp): nothing here knows
 * TCP from UDP.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "loadgen.h"

/* ---- errors --------------------------------------------------------- */

/* End a client with an error: counted, the first few described. */
void fail(struct lg *g, struct client *c, const char *fmt, ...)
{
    char msg[200], *p;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The result stays one line: first="..." holds no quote, no newline. */
    for (p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 32 || *p == '"' || *p == 127)
            *p = '.';
    if (g->errors == 0)
        snprintf(g->first, sizeof g->first, "client %u: %s", c->id, msg);
    if (g->errors < SHOWN_ERRORS)
        fprintf(stderr, "loadgen: client %u: %s (phase %s)\n", c->id, msg,
                g->phase);
    g->errors++;
    if (c->st == S_CONNECT || c->st == S_RETRY || c->st == S_WELCOME)
        g->connecting--;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->st = S_FAILED;
    free(c->out);
    c->out = NULL;
    if (c->owes)
        phase_done(g, c);
}

const char *errtext(int err)
{
    return err == 0 ? "no error" : strerror(err);
}

/* ---- epoll interest ------------------------------------------------- */

int want(struct lg *g, struct client *c, unsigned ev)
{
    struct epoll_event e;

    if (c->ev == ev)
        return 0;
    memset(&e, 0, sizeof e);
    e.events = ev;
    e.data.ptr = c;
    if (epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &e) == -1) {
        fail(g, c, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    c->ev = ev;
    return 0;
}

/* ---- phases --------------------------------------------------------- */

void phase_done(struct lg *g, struct client *c)
{
    c->owes = 0;
    g->owing--;
}

/* Start as many connects as the in-flight cap allows (the connect phase;
 * a no-op after it, when g->next == g->ncl). */
static void connect_more(struct lg *g)
{
    unsigned turns = g->connects;

    while (turns-- > 0 && g->next < g->ncl && g->connecting < g->connects)
        g->tp->connect(g, &g->cl[g->next++]);
}

/* Welcomed: the connect phase is done for it (in churn it quits). */
void welcomed(struct lg *g, struct client *c)
{
    g->connecting--;
    c->st = S_IDLE;
    if (want(g, c, EPOLLIN) == -1)
        return;
    if (g->mode == M_CHURN) {
        g->tp->quit(g, c);
        return;
    }
    phase_done(g, c);
}

/* A session is over, cleanly: churn counts it and starts the next. */
void session_ended(struct lg *g, struct client *c)
{
    if (g->mode == M_CHURN) {
        g->completed++;
        g->last_done = g->now;
        if (g->relaunch && g->now < g->churn_end) {
            g->tp->connect(g, c);
            return;
        }
    }
    phase_done(g, c);
}

/* ---- the loop ------------------------------------------------------- */

static const char *waiting_for(const struct client *c)
{
    switch (c->st) {
    case S_CONNECT: return "the connection";
    case S_RETRY:   return "room in the listen queue";
    case S_WELCOME: return "the welcome";
    case S_QUIT:    return "the close after quit";
    default:        return "nothing";
    }
}

/* A working client's timeouts are its transport's; a step of a
 * session's start or end has --timeout, whatever the transport. */
static void check_timeouts(struct lg *g)
{
    unsigned i;

    for (i = 0; i < g->ncl; i++) {
        struct client *c = &g->cl[i];

        if (c->st == S_WORK)
            g->tp->work_tick(g, c);
        else if ((c->st == S_CONNECT || c->st == S_RETRY || c->st == S_WELCOME ||
                  c->st == S_QUIT) && g->now >= c->deadline)
            fail(g, c, "no progress for %lld s waiting for %s", g->op_ms / 1000,
                 waiting_for(c));
        else if (c->st == S_RETRY)
            g->tp->connect(g, c);
    }
}

/* Serve events until every client has done its part of the phase and
 * `until` (ms, 0: none) has passed, or the time limit comes. */
int run_phase(struct lg *g, const char *phase, long long until)
{
    struct epoll_event evs[EVENTS];
    long long next_tick = g->now + TICK_MS;

    g->phase = phase;
    for (;;) {
        int n, i;
        long long wait;

        g->now = mono_ms();
        if (g->now >= g->limit_at) {
            g->timed_out = 1;
            return -1;
        }
        if (g->owing == 0 && g->now >= until)
            return 0;
        if (g->now >= next_tick) {
            check_timeouts(g);
            next_tick = g->now + TICK_MS;
            continue;
        }
        wait = next_tick - g->now;
        n = epoll_wait(g->ep, evs, EVENTS, (int)wait);
        if (n == -1 && errno != EINTR) {
            fprintf(stderr, "loadgen: epoll_wait: %s\n", strerror(errno));
            g->errors++;
            return -1;
        }
        g->now = mono_ms();
        for (i = 0; i < n; i++)
            g->tp->event(g, evs[i].data.ptr, evs[i].events);
        connect_more(g);   /* the connect phase: refill the slots freed */
    }
}

/* --sync: say where we are on stdout and wait for a line on stdin, so a
 * runner can look at the server at this point (its memory, its CPU):
 * "start" before the first connect, "held" (idle mode) once every client
 * is welcomed, "end" once the work is done, before the sessions end. */
void sync_point(struct lg *g, const char *name)
{
    char b[64];

    if (!g->sync)
        return;
    printf("sync %s\n", name);
    fflush(stdout);
    for (;;) {
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        long long left = g->limit_at - mono_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            g->timed_out = 1;
            return;
        }
        n = read(STDIN_FILENO, b, sizeof b);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0 || memchr(b, '\n', (size_t)n) != NULL)
            return;   /* a line (or no runner any more): go on */
    }
}

int connect_all(struct lg *g)
{
    unsigned i;

    for (i = 0; i < g->ncl; i++) {
        g->cl[i].owes = 1;
        g->owing++;
    }
    g->next = 0;
    g->now = mono_ms();
    connect_more(g);
    return run_phase(g, "connect", 0);
}

int quit_all(struct lg *g)
{
    unsigned i;

    g->now = mono_ms();
    for (i = 0; i < g->ncl; i++) {
        struct client *c = &g->cl[i];

        if (c->st != S_IDLE)
            continue;
        c->owes = 1;
        g->owing++;
        g->tp->quit(g, c);
    }
    return run_phase(g, "quit", 0);
}

/* Clients from..to-1 send `lines` lines each; a timed work stops
 * adding lines after --duration. */
int work_all(struct lg *g, unsigned from, unsigned to, unsigned long lines,
             size_t window, int timed, const char *phase)
{
    unsigned i;

    g->now = mono_ms();
    g->ops = 0;
    g->work_end = timed && g->has_duration
                      ? g->now + (long long)(g->duration * 1000) : 0;
    for (i = from; i < to; i++) {
        struct client *c = &g->cl[i];

        if (c->st != S_IDLE)
            continue;
        c->owes = 1;
        g->owing++;
        g->tp->work(g, c, lines, window);
    }
    return run_phase(g, phase, 0);
}

size_t window_for(const struct lg *g, enum mode m)
{
    return m == M_LOCKSTEP ? g->len : g->window;
}
