/*
 * logq.c - the server's log queue and its writer thread (logq.h).
 *
 * The bytes live in one ring buffer; a second small ring records which
 * stream each run of bytes is for, consecutive lines of one stream
 * sharing a run, so the writer hands the kernel as much as it can in one
 * write().  The serving thread holds the lock only to copy bytes in; the
 * writer holds it only to find the next run and to release what it
 * wrote, never across write().
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "fd_io.h"
#include "trace_out.h"
#include "logq.h"

#define RUNS 4096   /* stream changes the queue can hold (64 KiB of them) */

struct run {
    unsigned char stream;
    size_t len;
};

struct logq {
    pthread_mutex_t mu;
    pthread_cond_t more;        /* for the writer: bytes queued, or closing */
    pthread_cond_t idle;        /* for logq_close: the writer is done */
    pthread_t writer;
    int fd[2];                  /* by enum logq_stream */
    const char *prog;
    char *buf;
    size_t cap, head, used;     /* bytes: [head, head + used) mod cap */
    struct run run[RUNS];
    size_t run_head, runs;
    unsigned long dropped;      /* lines, in all */
    unsigned long unreported;   /* lines dropped since the last notice */
    int shedding;               /* dropping until half the room is free */
    int waiting;                /* the writer sleeps on `more` */
    int closing, finished;
    int abandoned;              /* logq_close gave up waiting: the writer
                                   frees the queue when it is done */
    int stamped;                /* TRACE_STAMPS_ENV: lines say when they
                                   were said, for tcp-watch's timeline */
    int relay;                  /* -1, or the socket every put is sent
                                   on as one message (logq_open_relay) */
};

static void report_drops(struct logq *q);

/* Run by tcp-watch, which orders lines by when they were said. */
static int stamps_wanted(void)
{
    const char *env = getenv(TRACE_STAMPS_ENV);

    return env != NULL && strcmp(env, "1") == 0;
}

static void free_queue(struct logq *q)
{
    pthread_cond_destroy(&q->idle);
    pthread_cond_destroy(&q->more);
    pthread_mutex_destroy(&q->mu);
    free(q->buf);
    free(q);
}

static void *writer_main(void *arg)
{
    struct logq *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        struct run *r;
        size_t n;
        const char *p;
        int fd;

        while (q->used == 0 && !q->closing) {
            q->waiting = 1;
            pthread_cond_wait(&q->more, &q->mu);
            q->waiting = 0;
        }
        if (q->used == 0)
            break;
        r = &q->run[q->run_head];
        n = r->len < q->cap - q->head ? r->len : q->cap - q->head;
        p = q->buf + q->head;
        fd = q->fd[r->stream];
        /* The serving thread appends after head + used only: these n bytes
         * stay put while the lock is free. */
        pthread_mutex_unlock(&q->mu);
        /* A reader that is gone (EPIPE, a closed descriptor) just loses
         * the bytes: there is nobody left to tell. */
        (void)fd_write_all(fd, p, n);
        pthread_mutex_lock(&q->mu);
        q->head = (q->head + n) % q->cap;
        q->used -= n;
        r->len -= n;
        if (r->len == 0) {
            q->run_head = (q->run_head + 1) % RUNS;
            q->runs--;
        }
        report_drops(q);    /* the reader is back: say what it missed */
    }
    q->finished = 1;
    if (q->abandoned) {          /* nobody waits for us: clean up */
        pthread_mutex_unlock(&q->mu);
        free_queue(q);
        return NULL;
    }
    pthread_cond_broadcast(&q->idle);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* With the lock held: is there room for len more bytes of `stream`? */
static int fits(const struct logq *q, enum logq_stream stream, size_t len)
{
    int same = q->runs > 0 &&
               q->run[(q->run_head + q->runs - 1) % RUNS].stream == stream;

    return len <= q->cap - q->used && (same || q->runs < RUNS);
}

/* With the lock held and room checked: copy the bytes in. */
static void append(struct logq *q, enum logq_stream stream, const char *bytes,
                   size_t len)
{
    size_t at = (q->head + q->used) % q->cap;
    size_t first = len < q->cap - at ? len : q->cap - at;
    struct run *last = q->runs > 0
                           ? &q->run[(q->run_head + q->runs - 1) % RUNS]
                           : NULL;

    memcpy(q->buf + at, bytes, first);
    memcpy(q->buf, bytes + first, len - first);
    q->used += len;
    if (last != NULL && last->stream == stream) {
        last->len += len;
    } else {
        last = &q->run[(q->run_head + q->runs) % RUNS];
        last->stream = (unsigned char)stream;
        last->len = len;
        q->runs++;
    }
    if (q->waiting)
        pthread_cond_signal(&q->more);
}

/*
 * With the lock held: once a line was dropped, drop every line until half
 * the queue is free again, bytes and runs both, then say how many were
 * lost.  One notice per stall, and no trickle of single lines let through
 * while the reader barely moves.
 */
static void report_drops(struct logq *q)
{
    char note[128];
    int n;

    if (q->shedding && (q->used > q->cap / 2 || q->runs > RUNS / 2))
        return;
    q->shedding = 0;
    if (q->unreported == 0)
        return;
    n = snprintf(note, sizeof note, "%s: %lu log lines dropped\n", q->prog,
                 q->unreported);
    if (n > 0 && (size_t)n < sizeof note && fits(q, LOGQ_ERR, (size_t)n)) {
        append(q, LOGQ_ERR, note, (size_t)n);
        q->unreported = 0;
    }
}

struct logq *logq_open(int out_fd, int err_fd, size_t cap, const char *prog)
{
    struct logq *q = calloc(1, sizeof *q);
    pthread_condattr_t ca;
    sigset_t all, old;
    int err = 0;

    if (q == NULL)
        return NULL;
    q->buf = malloc(cap);
    if (q->buf == NULL) {
        free(q);
        return NULL;
    }
    q->cap = cap;
    q->relay = -1;
    q->fd[LOGQ_OUT] = out_fd;
    q->fd[LOGQ_ERR] = err_fd;
    q->prog = prog;
    q->stamped = stamps_wanted();
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    /* logq_close waits on a clock that never jumps. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->idle, &ca);
    pthread_condattr_destroy(&ca);

    /* Signals are for the serving thread (its poll() must wake): the
     * writer starts with all of them blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&q->writer, NULL, writer_main, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        pthread_cond_destroy(&q->idle);
        pthread_cond_destroy(&q->more);
        pthread_mutex_destroy(&q->mu);
        free(q->buf);
        free(q);
        errno = err;
        return NULL;
    }
    return q;
}

struct logq *logq_open_relay(int sock, const char *prog)
{
    struct logq *q = calloc(1, sizeof *q);

    if (q == NULL)
        return NULL;
    q->relay = sock;
    q->prog = prog;
    q->stamped = stamps_wanted();
    q->finished = 1;            /* no writer: nothing to wait for */
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    pthread_cond_init(&q->idle, NULL);
    return q;
}

/* How many of the first len bytes of escaped text fit in room without
 * cutting an escape ("\x41", "\n") or a UTF-8 sequence in two. */
static size_t whole_units(const char *s, size_t len, size_t room)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t u = c != '\\' ? (c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1)
                  : (i + 1 < len && s[i + 1] == 'x' ? 4 : 2);

        if (i + u > room)
            break;
        i += u;
    }
    return i;
}

/*
 * With the lock held: send one message on the relay, without waiting: a
 * byte for the stream, the stamp, the bytes.  Bytes longer than a message
 * holds (one received line's log line, with --max-line above 16 KiB) are
 * cut at the end of a whole escape and end in " [cut]\n", so the line
 * stays one line.  -1 when the socket has no room (the parent's relay
 * is behind) or is gone.
 */
static int relay_send(struct logq *q, enum logq_stream stream,
                      const char *stamp, size_t stamp_len, const char *bytes,
                      size_t len)
{
    static const char cut[] = " [cut]\n";
    char head = (char)stream;
    struct iovec iov[4];
    struct msghdr m;
    size_t room = LOGQ_RELAY_MAX - 1 - stamp_len;

    iov[0].iov_base = &head;
    iov[0].iov_len = 1;
    iov[1].iov_base = (void *)stamp;
    iov[1].iov_len = stamp_len;
    iov[2].iov_base = (void *)bytes;
    iov[2].iov_len = len;
    iov[3].iov_base = (void *)cut;
    iov[3].iov_len = 0;
    if (len > room) {
        iov[2].iov_len = whole_units(bytes, len, room - (sizeof cut - 1));
        iov[3].iov_len = sizeof cut - 1;
    }
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 4;
    return sendmsg(q->relay, &m, MSG_DONTWAIT | MSG_NOSIGNAL) == -1 ? -1 : 0;
}

/* With the lock held: say how many lines the relay dropped, if it did
 * and there is room now.  0 when nothing is left to say. */
static int relay_notice(struct logq *q)
{
    char note[128];
    int n;

    if (q->unreported == 0)
        return 0;
    n = snprintf(note, sizeof note, "%s: %lu log lines dropped\n", q->prog,
                 q->unreported);
    if (n > 0 && (size_t)n < sizeof note &&
        relay_send(q, LOGQ_ERR, "", 0, note, (size_t)n) == 0)
        q->unreported = 0;
    return q->unreported == 0 ? 0 : -1;
}

/* With the lock held: the notice of earlier drops first, then the bytes;
 * both or the bytes are dropped (counted) while the socket has no room. */
static int relay_put(struct logq *q, enum logq_stream stream,
                     const char *stamp, size_t stamp_len, const char *bytes,
                     size_t len)
{
    if (relay_notice(q) == 0 &&
        relay_send(q, stream, stamp, stamp_len, bytes, len) == 0)
        return 0;
    q->dropped++;
    q->unreported++;
    return -1;
}

/* Queue the stamp (stamp_len bytes, may be 0) and the bytes as one. */
static int put_two(struct logq *q, enum logq_stream stream, const char *stamp,
                   size_t stamp_len, const char *bytes, size_t len)
{
    int r = 0;

    pthread_mutex_lock(&q->mu);
    if (q->relay >= 0) {
        r = relay_put(q, stream, stamp, stamp_len, bytes, len);
        pthread_mutex_unlock(&q->mu);
        return r;
    }
    report_drops(q);
    if (!q->shedding && fits(q, stream, stamp_len + len)) {
        if (stamp_len > 0)
            append(q, stream, stamp, stamp_len);
        append(q, stream, bytes, len);
    } else {
        q->shedding = 1;
        q->dropped++;
        q->unreported++;
        r = -1;
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

/* "@SEC.NSEC SEC.NSEC " for now into buf (room for 64), when the lines
 * are to say when they were said; else nothing.  Returns its length. */
static size_t stamp_now(const struct logq *q, char *buf, size_t size)
{
    struct timespec t = {0, 0};
    int n;

    if (!q->stamped)
        return 0;
    (void)clock_gettime(CLOCK_REALTIME, &t);
    n = snprintf(buf, size, "@%lld.%09ld %lld.%09ld ", (long long)t.tv_sec,
                 t.tv_nsec, (long long)t.tv_sec, t.tv_nsec);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

int logq_put(struct logq *q, enum logq_stream stream, const char *bytes,
             size_t len)
{
    char stamp[64];

    return put_two(q, stream, stamp, stamp_now(q, stamp, sizeof stamp),
                   bytes, len);
}

int logq_put_as_is(struct logq *q, enum logq_stream stream, const char *bytes,
                   size_t len)
{
    return put_two(q, stream, "", 0, bytes, len);
}

/* Format one line after `prefix` (may be NULL) and queue it; a line too
 * long for 512 bytes is cut, but still ends in '\n'. */
static int put_vline(struct logq *q, enum logq_stream stream,
                     const char *prefix, const char *fmt, va_list ap)
{
    char line[512];
    size_t at = 0;
    int n;

    if (prefix != NULL) {
        n = snprintf(line + at, sizeof line - at, "%s: ", prefix);
        if (n < 0)
            return -1;
        at += (size_t)n < sizeof line - at ? (size_t)n : sizeof line - at - 1;
    }
    /* clang-tidy 14's analyzer loses track of va_start here (as in
     * sock_trace.c); the callers start ap. */
    n = vsnprintf(line + at, sizeof line - at, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
    if (n < 0)
        return -1;
    if (at + (size_t)n >= sizeof line) {     /* cut, but still one line */
        at = sizeof line - 1;
        line[at - 1] = '\n';
        return logq_put(q, stream, line, at);
    }
    return logq_put(q, stream, line, at + (size_t)n);
}

int logq_printf(struct logq *q, enum logq_stream stream, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = put_vline(q, stream, NULL, fmt, ap);
    va_end(ap);
    return r;
}

int logq_errorf(struct logq *q, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = put_vline(q, LOGQ_ERR, q->prog, fmt, ap);
    va_end(ap);
    return r;
}

const char *logq_prog(const struct logq *q)
{
    return q->prog;     /* set once by logq_open: no lock needed */
}

unsigned long logq_dropped(struct logq *q)
{
    unsigned long n;

    pthread_mutex_lock(&q->mu);
    n = q->dropped;
    pthread_mutex_unlock(&q->mu);
    return n;
}

unsigned long logq_close(struct logq *q, int timeout_ms)
{
    struct timespec until;
    unsigned long dropped;
    int finished;

    if (clock_gettime(CLOCK_MONOTONIC, &until) != 0)
        timeout_ms = 0;     /* no clock to wait by: do not wait at all */
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->mu);
    if (q->relay >= 0) {
        (void)relay_notice(q);
        dropped = q->dropped;
        pthread_mutex_unlock(&q->mu);
        free_queue(q);
        return dropped;
    }
    report_drops(q);
    q->closing = 1;
    pthread_cond_signal(&q->more);
    while (!q->finished && timeout_ms > 0 &&
           pthread_cond_timedwait(&q->idle, &q->mu, &until) == 0)
        ;
    finished = q->finished;
    dropped = q->dropped;
    if (!finished) {
        /* Stuck in write(): it finishes on its own if the reader comes
         * back (and frees the queue), or ends with the process. */
        q->abandoned = 1;
        pthread_detach(q->writer);
        pthread_mutex_unlock(&q->mu);
        return dropped;
    }
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->writer, NULL);
    free_queue(q);
    return dropped;
}
