/*
 * serve_fork.c - the "fork" design: a process per client.  The parent
 * accepts and forks; the child serves that one client with the shared
 * state machine (serve_loop_one()) and exits.  After fork() both hold the
 * connected socket and the listening one, each through a descriptor of
 * its own: the parent closes the connected socket and the child the
 * listening one.  close() only drops a descriptor, and the connection
 * lives on in the child (the article's reference count: under -t the
 * parent's close(4) = 0 ends nothing).
 *
 * The parent accepts with the shared loop (serve_loop_accept(),
 * serve_loop.c), so clients beyond --max-clients or --max-per-ip get the
 * same busy notice and goodbye.  A child whose session has ended (its goodbye may
 * take a second more) no longer counts: it says so in a byte of memory
 * shared with the parent.  Children are reaped as they exit; at a stop
 * each gets SIGTERM and tells its client, as one process would.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef __linux__
/* MAP_ANONYMOUS: memory shared with the children, no file behind it. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "conn.h"
#include "serve.h"
#include "serve_loop.h"
#include "server.h"
#include "stop_signal.h"
#include "trace_log.h"

#define REAP_MS 100   /* children are reaped at least this often */
#define CHILD_STOP_MS 450   /* a child's goodbye after a signal */

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif

struct child {
    pid_t pid;              /* 0: a free slot */
    unsigned char ip[16];
};

struct parent {
    const struct server_config *cfg;
    const volatile sig_atomic_t *stop;
    int lfd;                        /* for the child to close */
    struct child *kids;             /* slots: sessions and goodbyes */
    volatile unsigned char *open;   /* shared: the child's session is on */
    size_t slots, n;
    int told;                       /* the children were sent SIGTERM */
};

/* In a child: which slot says its session is on. */
static volatile unsigned char *my_flag;

static void child_ended(void *arg)
{
    (void)arg;
    if (my_flag != NULL)
        *my_flag = 0;
}

/* Collect the children that have exited, freeing their slots. */
static void reap(struct parent *pa)
{
    pid_t pid;

    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
        size_t i;

        for (i = 0; i < pa->slots; i++)
            if (pa->kids[i].pid == pid) {
                pa->kids[i].pid = 0;
                pa->open[i] = 0;
                pa->n--;
                break;
            }
    }
}

static size_t sessions(void *arg, const unsigned char *ip)
{
    struct parent *pa = arg;
    size_t i, k = 0;

    for (i = 0; i < pa->slots; i++)
        if (pa->kids[i].pid != 0 && pa->open[i] &&
            (ip == NULL || memcmp(pa->kids[i].ip, ip, 16) == 0))
            k++;
    return k;
}

static void tell_children(struct parent *pa)
{
    size_t i;

    for (i = 0; i < pa->slots; i++)
        if (pa->kids[i].pid != 0)
            kill(pa->kids[i].pid, SIGTERM);
    pa->told = 1;
}

static void tick(void *arg, long long now)
{
    struct parent *pa = arg;

    (void)now;
    reap(pa);
    if (*pa->stop && !pa->told)
        tell_children(pa);
}

/* In the child: a log, a wake pipe and a trace of its own (the parent's
 * log thread does not exist here), then the client. */
static void child(struct parent *pa, size_t slot, int fd,
                  const struct sockaddr *sa, socklen_t len)
{
    struct server_config mine = *pa->cfg;
    struct server_hooks hooks;
    int rc = 1;

    memset(&hooks, 0, sizeof hooks);
    hooks.ended = child_ended;
    my_flag = &pa->open[slot];
    /* The parent needs the end of the second to see its children go. */
    mine.stop_ms = CHILD_STOP_MS;
    mine.log = logq_open(1, 2, (size_t)64 * 1024, logq_prog(pa->cfg->log));
    mine.wake_fd = stop_signal_pipe();
    if (mine.log != NULL && mine.wake_fd >= 0) {
        if (trace_on())
            trace_to_log(mine.log);
        sock_close(pa->lfd);    /* the child does not listen */
        rc = serve_loop_one(fd, sa, len, &mine, &stop_requested, &hooks);
    }
    /* Short: the parent may be waiting for this child to exit. */
    if (mine.log != NULL)
        (void)logq_close(mine.log, stop_requested ? 50 : 200);
    _exit(rc);
}

static int hand_off(void *arg, int fd, const struct sockaddr *sa,
                    socklen_t len)
{
    struct parent *pa = arg;
    size_t slot;
    pid_t pid;

    reap(pa);
    for (slot = 0; slot < pa->slots && pa->kids[slot].pid != 0; slot++)
        ;
    if (slot == pa->slots)
        return -1;      /* as many goodbyes as sessions under way: busy */
    pa->open[slot] = 1;
    pid = fork();
    if (pid == 0)
        child(pa, slot, fd, sa, len);
    if (pid == -1) {
        logq_errorf(pa->cfg->log, "fork: %s\n", strerror(errno));
        pa->open[slot] = 0;
        return -1;
    }
    pa->kids[slot].pid = pid;
    conn_peer_ip(sa, pa->kids[slot].ip);
    pa->n++;
    sock_close(fd);         /* the child's now; the connection lives on */
    return 0;
}

/* Wait for every child until `end`; those still there are killed. */
static void wait_children(struct parent *pa, long long end)
{
    size_t i;

    reap(pa);
    while (pa->n > 0 && sock_clock_ms() < end) {
        struct pollfd p = { pa->cfg->wake_fd, POLLIN, 0 };

        (void)poll(&p, 1, 5);
        if (p.revents & POLLIN)
            stop_signal_drain(pa->cfg->wake_fd);
        if (*pa->stop && !pa->told) {
            tell_children(pa);
            end = sock_clock_ms() + STOP_MS + 250;
        }
        reap(pa);
    }
    for (i = 0; pa->n > 0 && i < pa->slots; i++)
        if (pa->kids[i].pid != 0)
            kill(pa->kids[i].pid, SIGKILL);
    while (pa->n > 0 && waitpid(-1, NULL, 0) > 0)
        pa->n--;
}

int serve_fork_run(int lfd, const struct server_config *cfg,
                   const volatile sig_atomic_t *stop)
{
    struct parent pa;
    struct server_hooks hooks;
    void *shared;
    int rc;

    memset(&pa, 0, sizeof pa);
    pa.cfg = cfg;
    pa.stop = stop;
    pa.lfd = lfd;
    pa.slots = SERVER_MAX_CONNS(cfg->max_clients);
    pa.kids = calloc(pa.slots, sizeof *pa.kids);
    shared = mmap(NULL, pa.slots, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pa.kids == NULL || shared == MAP_FAILED) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        free(pa.kids);
        if (shared != MAP_FAILED)
            munmap(shared, pa.slots);
        sock_close(lfd);
        return 1;
    }
    pa.open = shared;
    memset(&hooks, 0, sizeof hooks);
    hooks.hand_off = hand_off;
    hooks.sessions = sessions;
    hooks.tick = tick;
    hooks.arg = &pa;
    hooks.tick_ms = REAP_MS;

    rc = serve_loop_accept(lfd, cfg, stop, &hooks);
    /* The listener is closed.  After a stop the children have the rest
     * of the second; after --once the one client is served to its end. */
    wait_children(&pa, *stop ? sock_clock_ms() + STOP_MS + 250
                             : (long long)CONN_NEVER);
    munmap(shared, pa.slots);
    free(pa.kids);
    return rc;
}
