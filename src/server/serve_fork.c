/*
 * serve_fork.c - the "fork" design: a process per client.  The parent
 * accepts and forks; the child serves that one client with the shared
 * state machine (serve_loop_one()) and exits.  After fork() both hold the
 * connected socket and the listening one, each through a descriptor of
 * its own: the parent closes the connected socket and the child the
 * listening one.  close() only drops a descriptor, and the connection
 * lives on in the child (the article's reference count: under -t the
 * parent's close(4) = 0 ends nothing).  The child closes every other
 * descriptor it inherited at once (the parent's goodbyes to clients it
 * turned away, its spare descriptor, its pipes), as inetd does before
 * exec: it holds its client's socket, stdio and its log's socket.
 *
 * The parent accepts with the shared loop (serve_loop_accept(),
 * serve_loop.c), so clients beyond --max-clients or --max-per-ip get the
 * same busy notice and goodbye, and so does a client whose process cannot
 * be made (fork fails: a process limit) or cannot start.  A child whose
 * session has ended (its goodbye may take a second more) no longer
 * counts: it says so in a byte of memory shared with the parent, and
 * says there too when it is about to exit, so that the parent reaps it by
 * its PID: waitpid(-1) looks at every child, a cost that grows with them.
 * At a stop each child gets SIGTERM and tells its client, as one process
 * would.  A child's log lines go to the parent, which writes them
 * (log_relay.h): each line whole, as in the designs of one process.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef __linux__
/* MAP_ANONYMOUS: memory shared with the children, no file behind it. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#endif
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "conn.h"
#include "log_relay.h"
#include "serve.h"
#include "serve_loop.h"
#include "server.h"
#include "stop_signal.h"
#include "trace_log.h"

#define REAP_MS 100   /* children are reaped at least this often */
#define CHILD_STOP_MS 450   /* a child's goodbye after a signal */
#define FORK_SAY_MS 1000    /* a failing fork is reported this often at most */

/* A slot's byte in the memory shared with its child. */
#define KID_GOODBYE 0   /* the session is over (or was never begun) */
#define KID_SESSION 1   /* the session is on: it counts for the limits */
#define KID_EXITING 2   /* about to exit: reap it by its PID */

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
    int log_tx;                     /* the children's end of the log relay */
    struct child *kids;             /* slots: sessions and goodbyes */
    volatile unsigned char *open;   /* shared: KID_* */
    volatile unsigned char *handed; /* shared: the parent closed its copy */
    size_t slots, n;
    int told;                       /* the children were sent SIGTERM */
    long long reaped_all;           /* the last waitpid(-1) round */
    long long fork_said;            /* a failed fork was last reported */
};

/* In a child: which slot says its session is on. */
static volatile unsigned char *my_flag;

static void child_ended(void *arg)
{
    (void)arg;
    if (my_flag != NULL)
        *my_flag = KID_GOODBYE;
}

static void slot_free(struct parent *pa, size_t i)
{
    pa->kids[i].pid = 0;
    pa->open[i] = KID_GOODBYE;
    pa->n--;
}

/*
 * Collect the children that have exited, freeing their slots: those that
 * said they were exiting, each by its PID (a look at one process), and at
 * least every REAP_MS (or with `all`) any other (one that crashed, or was
 * killed): waitpid(-1) looks at every child the parent has.
 */
static void reap(struct parent *pa, int all)
{
    long long now = sock_clock_ms();
    size_t i;
    pid_t pid;

    for (i = 0; i < pa->slots; i++)
        if (pa->kids[i].pid != 0 && pa->open[i] == KID_EXITING &&
            waitpid(pa->kids[i].pid, NULL, WNOHANG) == pa->kids[i].pid)
            slot_free(pa, i);
    if (!all && now - pa->reaped_all < REAP_MS)
        return;
    pa->reaped_all = now;
    while (pa->n > 0 && (pid = waitpid(-1, NULL, WNOHANG)) > 0)
        for (i = 0; i < pa->slots; i++)
            if (pa->kids[i].pid == pid) {
                slot_free(pa, i);
                break;
            }
}

static size_t sessions(void *arg, const unsigned char *ip)
{
    struct parent *pa = arg;
    size_t i, k = 0;

    for (i = 0; i < pa->slots; i++)
        if (pa->kids[i].pid != 0 && pa->open[i] == KID_SESSION &&
            (ip == NULL || memcmp(pa->kids[i].ip, ip, 16) == 0))
            k++;
    return k;
}

/* The stop: SIGTERM to every child, which tells its client. */
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
    reap(pa, 0);
    if (*pa->stop && !pa->told)
        tell_children(pa);
}

/* Close every descriptor from lo to hi (both included, hi >= lo). */
static void close_span(int lo, int hi)
{
#if defined(__linux__) && defined(SYS_close_range)
    /* One call (Linux 5.9), however high the open-file limit. */
    if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) == 0)
        return;
#endif
    for (; lo <= hi; lo++)
        (void)close(lo);
}

/*
 * In a child just forked: close every descriptor it inherited but stdio
 * and the `n` in keep (sorted, each above 2).  What it inherited are the
 * parent's: the sockets of clients being told goodbye, whose connections
 * would stay open as long as the child lives, the spare descriptor, the
 * parent's wake pipe (forgotten, not closed twice), its log relay's end.
 */
static void close_inherited(const int *keep, size_t n)
{
    long max = sysconf(_SC_OPEN_MAX);
    int top = max > 0 && max <= INT_MAX ? (int)max - 1 : 65535;
    int lo = 3;
    size_t i;

    for (i = 0; i < n; i++) {
        if (keep[i] > lo)
            close_span(lo, keep[i] - 1);
        lo = keep[i] + 1;
    }
    if (lo <= top)
        close_span(lo, top);
    stop_signal_forget();
}

/* Sort three descriptors (for close_inherited). */
static void sort3(int *k)
{
    int i, j;

    for (i = 0; i < 3; i++)
        for (j = i + 1; j < 3; j++)
            if (k[j] < k[i]) {
                int t = k[i];

                k[i] = k[j];
                k[j] = t;
            }
}

/*
 * In trace mode, a child waits (100 ms at most) for the parent to close
 * its copy of the connected socket before the child's first call, so
 * that the trace shows the reference count in the order of the lesson:
 * the parent's close(N) = 0, then the child's calls.  Without a trace
 * nobody waits.
 */
static void await_handed(const volatile unsigned char *handed)
{
    int k;

    for (k = 0; k < 100 && !*handed; k++) {
        struct timespec ms = { 0, 1000000 };

        nanosleep(&ms, NULL);
    }
}

/* In the child: only its own descriptors, a log that sends to the
 * parent, a wake pipe and a trace of its own, then the client.  A child
 * that cannot start tells its client the server is busy, as any other
 * refusal does. */
static void child(struct parent *pa, size_t slot, int fd,
                  const struct sockaddr *sa, socklen_t len)
{
    struct server_config mine = *pa->cfg;
    struct server_hooks hooks;
    int keep[3];
    int rc = 1;

    keep[0] = fd;
    keep[1] = pa->lfd;
    keep[2] = pa->log_tx;
    sort3(keep);
    close_inherited(keep, 3);
    memset(&hooks, 0, sizeof hooks);
    hooks.ended = child_ended;
    my_flag = &pa->open[slot];
    /* The parent needs the end of the second to see its children go. */
    mine.stop_ms = CHILD_STOP_MS;
    mine.log = logq_open_relay(pa->log_tx, logq_prog(pa->cfg->log));
    mine.wake_fd = stop_signal_pipe();
    if (mine.log == NULL || mine.wake_fd < 0) {
        if (mine.log != NULL)
            logq_errorf(mine.log, "pipe: %s: turning a client away\n",
                        strerror(errno));
        server_close_now(fd, SESSION_FULL);
    } else {
        if (trace_on()) {
            await_handed(&pa->handed[slot]);
            trace_to_log(mine.log);
        }
        sock_close(pa->lfd);    /* the child does not listen */
        rc = serve_loop_one(fd, sa, len, &mine, &stop_requested, &hooks);
    }
    if (mine.log != NULL)
        (void)logq_close(mine.log, 0);  /* sent already: nothing to wait for */
    *my_flag = KID_EXITING;
    _exit(rc);
}

static int hand_off(void *arg, int fd, const struct sockaddr *sa,
                    socklen_t len)
{
    struct parent *pa = arg;
    size_t slot;
    pid_t pid;

    reap(pa, 0);
    for (slot = 0; slot < pa->slots && pa->kids[slot].pid != 0; slot++)
        ;
    if (slot == pa->slots)
        return -1;      /* as many goodbyes as sessions under way: busy */
    pa->open[slot] = KID_SESSION;
    pa->handed[slot] = 0;
    pid = fork();
    if (pid == 0)
        child(pa, slot, fd, sa, len);
    if (pid == -1) {
        /* A process limit (EAGAIN) or no memory: this client is told
         * busy; said once a second at most, as running out of
         * descriptors is (server.c). */
        long long now = sock_clock_ms();

        if (now - pa->fork_said >= FORK_SAY_MS) {
            logq_errorf(pa->cfg->log, "fork: %s: turning clients away\n",
                        strerror(errno));
            pa->fork_said = now;
        }
        pa->open[slot] = KID_GOODBYE;
        return -1;
    }
    pa->kids[slot].pid = pid;
    conn_peer_ip(sa, pa->kids[slot].ip);
    pa->n++;
    sock_close(fd);         /* the child's now; the connection lives on */
    pa->handed[slot] = 1;
    return 0;
}

/* Wait for every child until `end`; those still there are killed. */
static void wait_children(struct parent *pa, long long end)
{
    size_t i;

    reap(pa, 1);
    while (pa->n > 0 && sock_clock_ms() < end) {
        struct pollfd p = { pa->cfg->wake_fd, POLLIN, 0 };

        (void)poll(&p, 1, 5);
        if (p.revents & POLLIN)
            stop_signal_drain(pa->cfg->wake_fd);
        if (*pa->stop && !pa->told) {
            tell_children(pa);
            end = sock_clock_ms() + STOP_MS + 250;
        }
        reap(pa, 0);
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
    struct log_relay *relay = NULL;
    void *shared;
    int rc;

    memset(&pa, 0, sizeof pa);
    pa.cfg = cfg;
    pa.stop = stop;
    pa.lfd = lfd;
    pa.fork_said = pa.reaped_all = -1000000;
    pa.slots = SERVER_MAX_CONNS(cfg->max_clients);
    pa.kids = calloc(pa.slots, sizeof *pa.kids);
    shared = mmap(NULL, 2 * pa.slots, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pa.kids != NULL && shared != MAP_FAILED)
        relay = log_relay_start(cfg->log, &pa.log_tx);
    if (relay == NULL) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        free(pa.kids);
        if (shared != MAP_FAILED)
            munmap(shared, 2 * pa.slots);
        sock_close(lfd);
        return 1;
    }
    pa.open = shared;
    pa.handed = pa.open + pa.slots;
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
    log_relay_stop(relay);      /* every child is gone: its lines are in */
    munmap(shared, 2 * pa.slots);
    free(pa.kids);
    return rc;
}
