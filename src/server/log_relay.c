/*
 * log_relay.c - the parent's end of the fork design's log (log_relay.h):
 * a thread that receives each child's log messages and queues them on
 * the parent's log, which never waits (logq.h): the children never wait
 * for it either, as they send without waiting.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "log_relay.h"

#define RELAY_SNDBUF (1024 * 1024)  /* the children's messages in flight */

struct log_relay {
    struct logq *q;
    int rx, tx;
    pthread_t thread;
    char buf[LOGQ_RELAY_MAX];
};

/* Until every sending end is closed (recv gives 0): one message, one
 * put, its first byte naming the stream. */
static void *relay_main(void *arg)
{
    struct log_relay *r = arg;

    for (;;) {
        ssize_t n = recv(r->rx, r->buf, sizeof r->buf, 0);

        if (n > 1)
            (void)logq_put_as_is(r->q, r->buf[0] == LOGQ_ERR ? LOGQ_ERR
                                                              : LOGQ_OUT,
                                 r->buf + 1, (size_t)n - 1);
        else if (n == 0 || (n == -1 && errno != EINTR))
            break;
    }
    return NULL;
}

struct log_relay *log_relay_start(struct logq *q, int *tx)
{
    struct log_relay *r = malloc(sizeof *r);
    int sv[2], size = RELAY_SNDBUF, err;
    sigset_t all, old;

    if (r == NULL)
        return NULL;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1) {
        free(r);
        return NULL;
    }
    (void)fcntl(sv[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(sv[1], F_SETFD, FD_CLOEXEC);
    /* Room for bursts: the kernel caps it (net.core.wmem_max). */
    (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    r->q = q;
    r->rx = sv[0];
    r->tx = sv[1];
    /* Signals are for the serving thread, as for the log's writer. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&r->thread, NULL, relay_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        close(sv[0]);
        close(sv[1]);
        free(r);
        errno = err;
        return NULL;
    }
    *tx = r->tx;
    return r;
}

void log_relay_stop(struct log_relay *r)
{
    close(r->tx);
    /* Every child is reaped, so no other sending end is left and recv
     * gives 0 once the thread has read what is queued.  Shutting the
     * receiving side down says so too, whatever holds a sending end:
     * the messages already queued are still read first. */
    (void)shutdown(r->rx, SHUT_RD);
    pthread_join(r->thread, NULL);
    close(r->rx);
    free(r);
}
