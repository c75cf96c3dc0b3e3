/*
 * main.c - loadgen's main: the settings, the clients set up, the mode's
 * phases run in order and timed, the result reported, everything freed.
 * loadgen.h says what loadgen is.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "loadgen.h"

/* Every client is a descriptor: raise the soft limit to what we need. */
static int raise_nofile(unsigned need)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
        return -1;
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        fprintf(stderr, "loadgen: open-file limit %llu is below the %u needed\n",
                (unsigned long long)rl.rlim_max, need);
        return -1;
    }
    rl.rlim_cur = need;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Lockstep and pipelined: all connect, all work (timed), all quit. */
static void run_work(struct lg *g, struct result *r)
{
    sync_point(g, "start");
    r->t0 = mono_s();
    if (connect_all(g) == -1 || g->errors)
        return;
    r->t1 = mono_s();
    fprintf(stderr, "loadgen: %u clients connected in %.3f s\n", g->ncl, r->t1 - r->t0);
    r->c0 = cpu_s();
    r->t0 = mono_s();
    if (work_all(g, 0, g->ncl, g->lines, window_for(g, g->mode), 1, "work") == -1)
        return;
    r->t1 = mono_s();
    r->c1 = cpu_s();
    r->ops = g->ops;
    sync_point(g, "end");
    (void)quit_all(g);
}

/* Churn: every client connects, is welcomed, quits and starts again
 * until --duration; timed to the last close seen. */
static void run_churn(struct lg *g, struct result *r)
{
    unsigned i;

    sync_point(g, "start");
    r->c0 = cpu_s();
    g->now = mono_ms();
    g->churn_end = g->now + (long long)(g->duration * 1000);
    g->relaunch = 1;
    g->last_done = g->now;
    r->t0 = (double)g->now / 1000;
    for (i = 0; i < g->ncl; i++) {
        g->cl[i].owes = 1;
        g->owing++;
        g->tp->connect(g, &g->cl[i]);
    }
    g->next = g->ncl;   /* all started: a closed one restarts itself */
    (void)run_phase(g, "churn", 0);
    r->t1 = (double)g->last_done / 1000;   /* the last close seen */
    r->c1 = cpu_s();
    r->ops = g->completed;
    sync_point(g, "end");
}

/* Idle: all connect and are held; the active client (if any) works
 * meanwhile, timed; then each held client must still echo a line. */
static void run_idle(struct lg *g, struct result *r)
{
    unsigned i;

    sync_point(g, "start");
    r->t0 = mono_s();
    if (connect_all(g) == -1 || g->errors)
        return;
    fprintf(stderr, "loadgen: holding %u clients (connected in %.3f s)\n",
            g->ncl, mono_s() - r->t0);
    sync_point(g, "held");
    if (g->hold > 0 &&
        run_phase(g, "hold", mono_ms() + (long long)(g->hold * 1000)) == -1)
        return;
    if (g->has_active) {
        r->c0 = cpu_s();
        r->t0 = mono_s();
        if (work_all(g, g->clients, g->ncl, g->lines,
                     window_for(g, g->active), 1, "active") == -1)
            return;
        r->t1 = mono_s();
        r->c1 = cpu_s();
        r->ops = g->ops;
        sync_point(g, "end");
    }
    if (g->errors)
        return;
    if (work_all(g, 0, g->clients, 1, g->len, 0, "check") == -1)
        return;
    for (i = 0; i < g->clients; i++)
        r->checked += g->cl[i].st == S_IDLE;
    (void)quit_all(g);
}

int main(int argc, char **argv)
{
    struct lg g;
    struct result r;
    unsigned i;
    int rc;

    memset(&g, 0, sizeof g);
    memset(&r, 0, sizeof r);
    if (parse_args(&g, argc, argv) == -1)
        return 2;
    /* The transport is chosen once: nothing after this asks which. */
    g.tp = g.proto == P_UDP ? &udp_transport : &stream_transport;
    g.ncl = g.clients + (g.mode == M_IDLE && g.has_active ? 1 : 0);
    if (raise_nofile(g.ncl + 16) == -1) {
        fprintf(stderr, "loadgen: cannot open %u connections\n", g.ncl);
        return 2;
    }
    g.cl = calloc(g.ncl, sizeof *g.cl);
    g.rbuf = malloc(RBUF_SIZE);
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    if (g.cl == NULL || g.rbuf == NULL || g.ep == -1 || make_fill(&g) == -1) {
        fprintf(stderr, "loadgen: %s\n", strerror(errno));
        return 1;
    }
    for (i = 0; i < g.ncl; i++) {
        g.cl[i].fd = -1;
        g.cl[i].id = i;
    }
    g.phase = "start";
    g.t_start = mono_ms();
    g.limit_at = g.t_start + g.limit_ms;

    switch (g.mode) {
    case M_LOCKSTEP:
    case M_PIPELINED:
        run_work(&g, &r);
        break;
    case M_CHURN:
        run_churn(&g, &r);
        break;
    case M_IDLE:
        run_idle(&g, &r);
        break;
    }
    rc = report(&g, &r);

    for (i = 0; i < g.ncl; i++) {
        if (g.cl[i].fd >= 0)
            close(g.cl[i].fd);
        free(g.cl[i].out);
        free(g.cl[i].ring);
    }
    free(g.cl);
    free(g.rbuf);
    free(g.fill);
    free(g.vline);
    close(g.ep);
    return rc;
}
