/*
 * udp.c - loadgen's UDP transport: the exchange one line per datagram
 * (udp.h says how a session goes and what counts as lost).  A client's
 * session: a connected socket, line 0 to open it, lines numbered and
 * sent in batches as far as the window allows, every datagram that comes
 * back read in batches and told to udp_echo.c, then "quit" and close.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): sendmmsg, recvmmsg, SOCK_NONBLOCK */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "udp.h"

static void udp_connect(struct lg *g, struct client *c)
{
    struct epoll_event e;

    c->got = 0;
    c->ev = 0;
    c->seq = c->base = c->resolved = c->wlost = 0;
    c->out_len = c->out_off = 0;
    c->deadline = g->now + g->op_ms;
    g->connecting++;
    c->st = S_WELCOME;
    c->fd = socket(g->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd == -1) {
        fail(g, c, "socket: %s", strerror(errno));
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&g->addr, g->addrlen) == -1) {
        fail(g, c, "connect %s: %s", g->target, strerror(errno));
        return;
    }
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.ptr = c;
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &e) == -1) {
        fail(g, c, "epoll_ctl: %s", strerror(errno));
        return;
    }
    c->ev = EPOLLIN;
    if (udp_ring(c, 1, 0) == -1) {
        fail(g, c, "out of memory");
        return;
    }
    /* Line 0 opens the session; a new socket's buffer takes it whole. */
    if (send(c->fd, expected_line(g, c->id, 0), g->len, 0) != (ssize_t)g->len) {
        fail(g, c, "send the first line: %s", errtext(errno));
        return;
    }
    slot_of(c, 0)->li = 0;
    slot_of(c, 0)->at = g->now;
    slot_of(c, 0)->st = SL_WAIT;
    c->seq = 1;
}

/* Number the next lines into the send chunk, as far as the window
 * allows; past --duration, no more lines. */
static void udp_refill(struct lg *g, struct client *c)
{
    if (g->work_end > 0 && g->now >= g->work_end)
        c->lines = c->gen;
    c->out_len = c->out_off = 0;
    while (c->gen < c->lines && c->gen - c->resolved < c->wl &&
           c->out_len + g->len <= c->out_cap) {
        struct slot *s = slot_of(c, c->seq);

        gen_line(g, c->id, c->seq, c->out + c->out_len);
        s->li = c->seq;
        s->at = 0;
        s->st = SL_WAIT;
        c->out_len += g->len;
        c->gen++;
        c->seq++;
    }
}

/* Send what the window allows, a datagram per line, a batch per call. */
static int udp_pump(struct lg *g, struct client *c)
{
    struct mmsghdr m[UDP_BATCH];
    struct iovec v[UDP_BATCH];
    int turns;

    for (turns = 0; turns < TURNS; turns++) {
        unsigned long k, i, first;
        int n;

        if (c->out_off == c->out_len) {
            udp_refill(g, c);
            if (c->out_len == 0)
                break;   /* all sent, or the window is full */
        }
        k = udp_unsent(g, c);
        first = c->seq - k;
        memset(m, 0, k * sizeof m[0]);
        for (i = 0; i < k; i++) {
            v[i].iov_base = c->out + c->out_off + i * g->len;
            v[i].iov_len = g->len;
            m[i].msg_hdr.msg_iov = &v[i];
            m[i].msg_hdr.msg_iovlen = 1;
        }
        n = sendmmsg(c->fd, m, (unsigned)k, 0);
        if (n > 0) {
            for (i = 0; i < (unsigned long)n; i++)
                slot_of(c, first + i)->at = g->now;
            c->out_off += (size_t)n * g->len;
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        fail(g, c, "send after %lu lines: %s", c->gen - k, errtext(errno));
        return -1;
    }
    return want(g, c, EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0u));
}

/* The work is over when every line is sent and echoed or lost. */
static int udp_done(struct lg *g, struct client *c)
{
    if (c->st != S_WORK || c->gen < c->lines || c->resolved < c->lines)
        return 0;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    c->st = S_IDLE;
    g->ops += c->lines - c->wlost;
    phase_done(g, c);
    (void)want(g, c, EPOLLIN);
    return 1;
}

static void udp_work(struct lg *g, struct client *c, unsigned long lines,
                     size_t window)
{
    unsigned long wl = window / g->len;

    c->st = S_WORK;
    c->lines = lines;
    c->gen = c->resolved = c->wlost = 0;
    c->base = c->seq;
    if (wl > lines)
        wl = lines;
    if (wl > UDP_WINDOW)
        wl = UDP_WINDOW;
    if (wl < 1)
        wl = 1;
    c->out_cap = (wl < UDP_BATCH ? wl : UDP_BATCH) * g->len;
    c->out_len = c->out_off = 0;
    c->deadline = g->now + g->op_ms;
    c->out = malloc(c->out_cap);
    if (c->out == NULL || udp_ring(c, (unsigned)wl, 1) == -1) {
        fail(g, c, "out of memory");
        return;
    }
    if (udp_pump(g, c) == 0)
        (void)udp_done(g, c);
}

/* Read every datagram waiting, a batch per call, then send what that
 * made room for. */
static void udp_readable(struct lg *g, struct client *c)
{
    struct mmsghdr m[UDP_BATCH];
    struct iovec v[UDP_BATCH];
    size_t room = g->len + 64;   /* a longer datagram shows as longer */
    unsigned k = RBUF_SIZE / room < UDP_BATCH ? (unsigned)(RBUF_SIZE / room) : UDP_BATCH;
    int turns;

    for (turns = 0; turns < TURNS; turns++) {
        unsigned i;
        int n;

        memset(m, 0, k * sizeof m[0]);
        for (i = 0; i < k; i++) {
            v[i].iov_base = g->rbuf + i * room;
            v[i].iov_len = room;
            m[i].msg_hdr.msg_iov = &v[i];
            m[i].msg_hdr.msg_iovlen = 1;
        }
        n = recvmmsg(c->fd, m, k, MSG_DONTWAIT, NULL);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n == -1) {
            fail(g, c, "recv from %s: %s", g->target, strerror(errno));
            return;
        }
        for (i = 0; i < (unsigned)n; i++)
            if (udp_datagram(g, c, g->rbuf + i * room, m[i].msg_len,
                             (m[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) == -1)
                return;
        if (c->st == S_WORK && (udp_pump(g, c) == -1 || udp_done(g, c)))
            return;
        if ((unsigned)n < k)
            return;
    }
}

/* Each tick: lines unanswered for --loss-timeout are lost, which frees
 * the window; no datagram at all for --timeout is an error. */
static void udp_work_tick(struct lg *g, struct client *c)
{
    unsigned long sent = c->gen - udp_unsent(g, c);

    while (c->resolved < sent &&
           slot_of(c, c->base + c->resolved)->at + g->lost_ms <= g->now)
        udp_lose_upto(g, c, c->base + c->resolved + 1);
    if (udp_pump(g, c) == -1 || udp_done(g, c))
        return;
    if (g->now >= c->deadline)
        fail(g, c, "no datagram for %lld s (%lu lines sent, %lu echoed, %lu lost)",
             g->op_ms / 1000, sent, c->resolved - c->wlost, c->wlost);
}

/* The quit datagram ends the session: the server forgets us and says
 * nothing.  What came before it is checked, then the socket closed. */
static void udp_quit(struct lg *g, struct client *c)
{
    c->st = S_QUIT;
    if (g->quit && send(c->fd, QUIT, QUIT_LEN, 0) != (ssize_t)QUIT_LEN) {
        fail(g, c, "send quit: %s", errtext(errno));
        return;
    }
    udp_readable(g, c);
    if (c->st != S_QUIT)
        return;   /* failed */
    close(c->fd);
    c->fd = -1;
    c->st = S_CLOSED;
    session_ended(g, c);
}

static void udp_event(struct lg *g, struct client *c, unsigned ev)
{
    if ((c->st == S_WELCOME || c->st == S_WORK || c->st == S_IDLE) &&
        (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        udp_readable(g, c);
    if (c->st == S_WORK && (ev & EPOLLOUT) && udp_pump(g, c) == 0)
        (void)udp_done(g, c);
}

/* Losses are UDP's own figures. */
static void udp_report(const struct lg *g, FILE *f)
{
    fprintf(f, " lost=%llu late=%llu", g->lost, g->late);
}

const struct transport udp_transport = {
    udp_connect, udp_work, udp_quit, udp_event, udp_work_tick, udp_report
};
