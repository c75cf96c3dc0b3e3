/*
 * serve_thread.c - the "thread" design: a POSIX thread per client.  The
 * main thread accepts with the shared loop (serve_loop_accept(),
 * serve_loop.c), so clients beyond the limits get the same busy notice
 * and goodbye; each client within them gets a thread of its own that
 * runs the shared state machine for that one connection
 * (serve_loop_one()): blocking-style simplicity, for the price of a
 * thread (its stack, its creation) per client.
 *
 * The threads' slots are counted under a lock: a session that has ended
 * no longer counts against --max-clients while its goodbye goes on.  At
 * a stop, a pipe that nobody drains wakes every thread at once.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "serve.h"
#include "serve_loop.h"
#include "server.h"

#define STACK_BYTES ((size_t)256 * 1024)   /* serve_loop_one needs a few KiB */

struct slot {
    unsigned char used;     /* a thread has it */
    unsigned char open;     /* its session is on */
    unsigned char ip[16];
};

struct pool {
    pthread_mutex_t mu;
    struct slot *slots;
    size_t nslots, running;
    struct server_config wcfg;      /* the threads': the stop pipe to wake */
    const volatile sig_atomic_t *stop;
    int wake[2];
    int told;
};

struct job {
    struct pool *pool;
    size_t slot;
    int fd;
    struct sockaddr_storage ss;
    socklen_t len;
};

/* The job's session has ended (serve_loop_one's hook). */
static void job_ended(void *arg)
{
    struct job *j = arg;

    pthread_mutex_lock(&j->pool->mu);
    j->pool->slots[j->slot].open = 0;
    pthread_mutex_unlock(&j->pool->mu);
}

static void *client_thread(void *arg)
{
    struct job *j = arg;
    struct pool *p = j->pool;
    struct server_hooks hooks;

    memset(&hooks, 0, sizeof hooks);
    hooks.ended = job_ended;
    hooks.arg = j;
    (void)serve_loop_one(j->fd, (struct sockaddr *)&j->ss, j->len, &p->wcfg,
                    p->stop, &hooks);
    pthread_mutex_lock(&p->mu);
    p->slots[j->slot].used = 0;
    p->slots[j->slot].open = 0;
    p->running--;
    pthread_mutex_unlock(&p->mu);
    free(j);
    return NULL;
}

static size_t sessions(void *arg, const unsigned char *ip)
{
    struct pool *p = arg;
    size_t i, k = 0;

    pthread_mutex_lock(&p->mu);
    for (i = 0; i < p->nslots; i++)
        if (p->slots[i].open &&
            (ip == NULL || memcmp(p->slots[i].ip, ip, 16) == 0))
            k++;
    pthread_mutex_unlock(&p->mu);
    return k;
}

static int hand_off(void *arg, int fd, const struct sockaddr *sa,
                    socklen_t len)
{
    struct pool *p = arg;
    pthread_attr_t attr;
    pthread_t t;
    struct job *j = malloc(sizeof *j);
    size_t slot;
    int err;

    if (j == NULL)
        return -1;
    pthread_mutex_lock(&p->mu);
    for (slot = 0; slot < p->nslots && p->slots[slot].used; slot++)
        ;
    if (slot < p->nslots) {
        p->slots[slot].used = 1;
        p->slots[slot].open = 1;
        conn_peer_ip(sa, p->slots[slot].ip);
        p->running++;
    }
    pthread_mutex_unlock(&p->mu);
    if (slot == p->nslots) {
        free(j);
        return -1;      /* as many goodbyes as sessions under way: busy */
    }
    j->pool = p;
    j->slot = slot;
    j->fd = fd;
    memcpy(&j->ss, sa, len);
    j->len = len;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, STACK_BYTES);
    err = pthread_create(&t, &attr, client_thread, j);
    pthread_attr_destroy(&attr);
    if (err == 0)
        return 0;
    logq_errorf(p->wcfg.log, "thread: %s\n", strerror(err));
    pthread_mutex_lock(&p->mu);
    p->slots[slot].used = p->slots[slot].open = 0;
    p->running--;
    pthread_mutex_unlock(&p->mu);
    free(j);
    return -1;
}

/* At a stop: one byte, never read, wakes every thread's wait at once. */
static void tell_threads(struct pool *p)
{
    if (!p->told && write(p->wake[1], "", 1) < 0) {
        /* the threads also see *stop at their next wake-up */
    }
    p->told = 1;
}

static void tick(void *arg, long long now)
{
    struct pool *p = arg;

    (void)now;
    if (*p->stop)
        tell_threads(p);
}

int serve_thread_run(int lfd, const struct server_config *cfg,
                     const volatile sig_atomic_t *stop)
{
    struct pool p;
    struct server_hooks hooks;
    long long end = CONN_NEVER;
    int rc;

    memset(&p, 0, sizeof p);
    p.stop = stop;
    p.wake[0] = p.wake[1] = -1;
    p.nslots = SERVER_MAX_CONNS(cfg->max_clients);
    p.slots = calloc(p.nslots, sizeof *p.slots);
    if (p.slots == NULL || pipe(p.wake) == -1) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        free(p.slots);
        sock_close(lfd);
        return 1;
    }
    pthread_mutex_init(&p.mu, NULL);
    p.wcfg = *cfg;
    p.wcfg.wake_fd = p.wake[0];
    p.wcfg.wake_keep = 1;
    memset(&hooks, 0, sizeof hooks);
    hooks.hand_off = hand_off;
    hooks.sessions = sessions;
    hooks.tick = tick;
    hooks.arg = &p;
    hooks.tick_ms = 0;

    rc = serve_loop_accept(lfd, cfg, stop, &hooks);
    /* The listener is closed.  After a stop the threads have the rest of
     * the second; after --once the one client is served to its end. */
    for (;;) {
        struct timespec ts = { 0, 5000000L };
        size_t left;

        pthread_mutex_lock(&p.mu);
        left = p.running;
        pthread_mutex_unlock(&p.mu);
        if (left == 0)
            break;
        if (*stop && end == CONN_NEVER) {
            tell_threads(&p);
            end = sock_clock_ms() + STOP_MS + 250;
        }
        if (sock_clock_ms() >= end)
            return rc;  /* threads still busy: they end with the process */
        nanosleep(&ts, NULL);
    }
    pthread_mutex_destroy(&p.mu);
    close(p.wake[0]);
    close(p.wake[1]);
    free(p.slots);
    return rc;
}
