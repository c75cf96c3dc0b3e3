/*
 * stream.c - loadgen's stream transport: the exchange over a TCP or an
 * AF_LOCAL stream socket.  A non-blocking connect, the welcome read byte
 * by byte as it comes, lines sent as fast as the window allows and the
 * echoes checked as a byte stream, "quit" (or a half-close) and the
 * server's close.  After the connect both socket kinds are the same.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): SOCK_NONBLOCK */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "loadgen.h"

static void stream_connect(struct lg *g, struct client *c)
{
    struct epoll_event e;
    int one = 1;

    c->got = 0;
    c->ev = 0;
    if (c->st == S_RETRY)
        g->connecting--;   /* counted already, and its deadline stands */
    else
        c->deadline = g->now + g->op_ms;
    g->connecting++;
    c->st = S_CONNECT;
    c->fd = socket(g->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd == -1) {
        fail(g, c, "socket: %s", strerror(errno));
        return;
    }
    /* Our lines go out as we write them: Nagle must not time the test. */
    if (g->proto == P_TCP)
        (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&g->addr, g->addrlen) == -1 &&
        errno != EINPROGRESS) {
        /* An AF_LOCAL connect does not wait: with the listen queue full
         * it says EAGAIN at once.  Again at the next tick, until the
         * deadline. */
        if (errno == EAGAIN && g->proto == P_UNIX) {
            close(c->fd);
            c->fd = -1;
            c->st = S_RETRY;
            return;
        }
        fail(g, c, "connect %s: %s", g->target, strerror(errno));
        return;
    }
    memset(&e, 0, sizeof e);
    e.events = EPOLLOUT;
    e.data.ptr = c;
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &e) == -1) {
        fail(g, c, "epoll_ctl: %s", strerror(errno));
        return;
    }
    c->ev = EPOLLOUT;
}

/* End the session: "quit", or a half-close for peers without quit. */
static void stream_quit(struct lg *g, struct client *c)
{
    c->st = S_QUIT;
    c->deadline = g->now + g->op_ms;
    if (!g->quit) {
        if (shutdown(c->fd, SHUT_WR) == -1)
            fail(g, c, "shutdown: %s", strerror(errno));
        return;
    }
    /* Five bytes into an empty socket buffer: a short send would be a
     * broken kernel, and is reported as such. */
    if (send(c->fd, QUIT, QUIT_LEN, MSG_NOSIGNAL) != (ssize_t)QUIT_LEN)
        fail(g, c, "send quit: %s", errtext(errno));
}

/* ---- the work: send lines, check echoes ----------------------------- */

/* Bytes sent so far (generated minus not yet sent). */
static unsigned long long sent_bytes(const struct lg *g, const struct client *c)
{
    return (unsigned long long)c->gen * g->len - (c->out_len - c->out_off);
}

/* Fill the send chunk with whole lines, as far as the window allows;
 * past --duration, no more lines: the work ends with those sent. */
static void refill(struct lg *g, struct client *c)
{
    unsigned long long unanswered = (unsigned long long)c->gen * g->len - c->rx;

    if (g->work_end > 0 && g->now >= g->work_end)
        c->lines = c->gen;
    c->out_len = c->out_off = 0;
    while (c->gen < c->lines && unanswered + g->len <= c->window &&
           c->out_len + g->len <= c->out_cap) {
        gen_line(g, c->id, c->gen, c->out + c->out_len);
        c->out_len += g->len;
        c->gen++;
        unanswered += g->len;
    }
}

/* Send what we may; ask for EPOLLOUT only while bytes wait for room. */
static int pump(struct lg *g, struct client *c)
{
    int turns;

    for (turns = 0; turns < TURNS; turns++) {
        ssize_t n;

        if (c->out_off == c->out_len) {
            refill(g, c);
            if (c->out_len == 0)
                break;   /* all sent, or the window is full */
        }
        n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                 MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        fail(g, c, "send after %llu bytes: %s", sent_bytes(g, c), errtext(errno));
        return -1;
    }
    return want(g, c, EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0u));
}

/* Begin sending `lines` lines with at most `window` bytes unanswered
 * (lockstep: one line). */
static void stream_work(struct lg *g, struct client *c, unsigned long lines,
                        size_t window)
{
    c->st = S_WORK;
    c->lines = lines;
    c->gen = 0;
    c->rx = 0;
    c->window = window;
    c->out_cap = window < OUT_MAX ? window : OUT_MAX;
    if (c->out_cap < g->len)
        c->out_cap = g->len;
    c->out_len = c->out_off = 0;
    c->deadline = g->now + g->op_ms;
    c->out = malloc(c->out_cap);
    if (c->out == NULL) {
        fail(g, c, "out of memory");
        return;
    }
    (void)pump(g, c);
}

/* Check n echoed bytes against the lines sent. */
static int check_echo(struct lg *g, struct client *c, const char *p, size_t n)
{
    if (c->rx + n > sent_bytes(g, c)) {
        fail(g, c, "%zu bytes came back, only %llu were sent and not yet echoed",
             n, sent_bytes(g, c) - c->rx);
        return -1;
    }
    while (n > 0) {
        unsigned long li = (unsigned long)(c->rx / g->len);
        size_t pos = (size_t)(c->rx % g->len);
        size_t m = g->len - pos < n ? g->len - pos : n;
        const char *line = expected_line(g, c->id, li);

        if (memcmp(p, line + pos, m) != 0) {
            size_t k = 0;

            while (p[k] == line[pos + k])
                k++;
            fail(g, c, "echo of line %lu differs at byte %zu: sent 0x%02x, got 0x%02x",
                 li, pos + k, (unsigned char)line[pos + k], (unsigned char)p[k]);
            return -1;
        }
        p += m;
        n -= m;
        c->rx += m;
    }
    return 0;
}

static void work_readable(struct lg *g, struct client *c)
{
    int turns;

    for (turns = 0; turns < TURNS; turns++) {
        ssize_t n = recv(c->fd, g->rbuf, RBUF_SIZE, 0);

        if (n > 0) {
            c->deadline = g->now + g->op_ms;
            if (check_echo(g, c, g->rbuf, (size_t)n) == -1 || pump(g, c) == -1)
                return;
            if (c->rx == (unsigned long long)c->lines * g->len) {
                free(c->out);
                c->out = NULL;
                c->st = S_IDLE;
                g->ops += c->lines;
                phase_done(g, c);
                return;
            }
            /* Lockstep: the echo is whole, the next line just went out;
             * a read now would only say EAGAIN. */
            if (c->window == g->len)
                return;
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n == 0)
            fail(g, c, "server closed after %llu of %llu echoed bytes",
                 c->rx, (unsigned long long)c->lines * g->len);
        else
            fail(g, c, "recv after %llu echoed bytes: %s", c->rx, strerror(errno));
        return;
    }
}

/* No echo for --timeout: the server stalled. */
static void stream_work_tick(struct lg *g, struct client *c)
{
    if (g->now >= c->deadline)
        fail(g, c, "no progress for %lld s waiting for an echo "
             "(%llu bytes sent, %llu echoed)", g->op_ms / 1000,
             sent_bytes(g, c), c->rx);
}

/* ---- the session's other steps -------------------------------------- */

static void on_connected(struct lg *g, struct client *c)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
        err = errno;
    if (err != 0) {
        fail(g, c, "connect %s: %s", g->target, strerror(err));
        return;
    }
    c->deadline = g->now + g->op_ms;
    if (!g->welcome) {
        welcomed(g, c);
        return;
    }
    c->st = S_WELCOME;
    (void)want(g, c, EPOLLIN);
}

/* The welcome, byte by byte as it comes: exactly "welcome!\n". */
static void on_welcome(struct lg *g, struct client *c)
{
    char b[WELCOME_LEN];
    ssize_t n = recv(c->fd, b, WELCOME_LEN - c->got, 0);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        fail(g, c, "%s after %zu bytes of the welcome",
             n == 0 ? "server closed" : strerror(errno), c->got);
        return;
    }
    if (memcmp(b, &WELCOME[c->got], (size_t)n) != 0) {
        fail(g, c, "welcome differs: got '%.*s' at byte %zu", (int)n, b, c->got);
        return;
    }
    c->got += (size_t)n;
    c->deadline = g->now + g->op_ms;
    if (c->got == WELCOME_LEN)
        welcomed(g, c);
}

/* Nothing may arrive for a silent client, nor after quit but the close. */
static void on_unexpected(struct lg *g, struct client *c)
{
    char b[64];
    ssize_t n = recv(c->fd, b, sizeof b, 0);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n > 0) {
        fail(g, c, "%zd unexpected bytes %s: '%.*s'", n,
             c->st == S_QUIT ? "after quit" : "while silent", (int)n, b);
        return;
    }
    if (c->st == S_QUIT && n == 0) {
        close(c->fd);
        c->fd = -1;
        c->st = S_CLOSED;
        session_ended(g, c);
        return;
    }
    if (n == 0)
        fail(g, c, "server closed a silent connection");
    else
        fail(g, c, "recv %s: %s", c->st == S_QUIT ? "after quit" : "while silent",
             strerror(errno));
}

static void stream_event(struct lg *g, struct client *c, unsigned ev)
{
    switch (c->st) {
    case S_CONNECT:
        on_connected(g, c);
        break;
    case S_WELCOME:
        on_welcome(g, c);
        break;
    case S_WORK:
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
            work_readable(g, c);
        if (c->st == S_WORK && (ev & EPOLLOUT))
            (void)pump(g, c);
        break;
    case S_IDLE:
    case S_QUIT:
        on_unexpected(g, c);
        break;
    default:
        break;
    }
}

const struct transport stream_transport = {
    stream_connect, stream_work, stream_quit, stream_event, stream_work_tick,
    NULL
};
