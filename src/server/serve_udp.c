/*
 * serve_udp.c - tcp-server -u: the exchange over UDP, the article's
 * SOCK_DGRAM.  There is no listen and no accept, so no connection to hold
 * a session: one socket receives every peer's datagrams, each with its
 * sender's address (recvfrom), and the server keeps a table of the peers
 * it has welcomed.  The protocol is still session.c's:
 *
 *   a datagram from a peer not in the table  -> "welcome!\n", then its echo
 *   a datagram                               -> the same bytes back
 *   "quit"                                   -> nothing; the peer is forgotten
 *   longer than --max-line                   -> "error: line too long ...",
 *                                               forgotten
 *   silent for --idle-timeout                -> "error: idle timeout",
 *                                               forgotten
 *   the table full (--max-clients)           -> "error: server busy"
 *   a signal                                 -> "error: server shutting down"
 *                                               to every peer, then exit
 *
 * Each datagram is one line.  Nothing is acknowledged: a reply the
 * socket cannot take at once is dropped (and counted), as the network
 * would drop it, so no peer can stall the server.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "escape.h"
#include "libsock.h"
#include "serve.h"
#include "stop_signal.h"
#include "session.h"

#define DATAGRAMS_PER_TURN 64   /* then look at the clock and the signal */
#define UDP_PAYLOAD_MAX 65535   /* no datagram is longer */

struct peer {
    struct sockaddr_storage addr;
    socklen_t len;
    long long last;                 /* when it was last heard from */
    char text[SOCK_ADDR_TEXT_MAX];  /* its address, for the log */
};

struct udp_server {
    const struct server_config *cfg;
    int fd;
    struct peer *peers;     /* the table: n in use, room for cap */
    size_t n, cap;
    char *buf;              /* one datagram, and one byte to spot a longer one */
    size_t room;
    char *shown;            /* a received line, escaped for the log */
    unsigned long dropped;  /* replies the socket could not take */
    long long next_due;     /* no peer falls idle before this; -1: none */
    int forgotten;          /* peers whose session ended (--once) */
};

/* Same IP and port (and IPv6 scope): the same peer. */
static int same_peer(const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;

        return x->sin_port == y->sin_port &&
               x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

        return x->sin6_port == y->sin6_port &&
               x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
    return 0;
}

/* The peer's slot, or NULL.  A scan: the table is --max-clients long at
 * most, and a lookup costs less than the system call that brought the
 * datagram. */
static struct peer *find_peer(struct udp_server *u,
                              const struct sockaddr_storage *ss)
{
    size_t i;

    for (i = 0; i < u->n; i++)
        if (same_peer(&u->peers[i].addr, ss))
            return &u->peers[i];
    return NULL;
}

/* Send one datagram to p; a reply the socket cannot take is dropped. */
static void send_to(struct udp_server *u, const struct peer *p,
                    const char *data, size_t len)
{
    if (sock_sendto(u->fd, data, len, (const struct sockaddr *)&p->addr,
                    p->len) == -1)
        u->dropped++;
}

/* Send what session.c answers to ev; 1 when the session ends with it. */
static int respond(struct udp_server *u, const struct peer *p,
                   enum session_event ev, const char *line, size_t len)
{
    char errline[80];
    struct session_reply r;

    session_respond(ev, line, len, u->cfg->max_line, errline, sizeof errline,
                    &r);
    /* An empty datagram is an empty line: its echo is empty too. */
    if (r.len > 0 || (ev == SESSION_LINE && !r.end))
        send_to(u, p, r.data, r.len);
    return r.end;
}

/* Drop p from the table (the last slot moves into its place). */
static void forget(struct udp_server *u, struct peer *p, const char *why)
{
    if (!u->cfg->quiet)
        logq_printf(u->cfg->log, LOGQ_ERR, "forgot peer %s (%s)\n", p->text,
                    why);
    *p = u->peers[--u->n];
    u->forgotten++;
}

/* Show a received line as "PEER: text", escaped, as every design does. */
static void show_line(struct udp_server *u, const struct peer *p,
                      const char *line, size_t len)
{
    if (u->cfg->quiet >= 2)
        return;
    logq_put(u->cfg->log, LOGQ_OUT, u->shown,
             escape_line(u->shown, p->text, line, len));
}

/* Room for one more peer in the table: 0, or -1 when it is full
 * (--max-clients) or memory is short. */
static int make_room(struct udp_server *u)
{
    size_t cap = u->cap ? u->cap * 2 : 16;
    struct peer *more;

    if (u->n >= u->cfg->max_clients)
        return -1;
    if (u->n < u->cap)
        return 0;
    more = realloc(u->peers, cap * sizeof *more);
    if (more == NULL)
        return -1;
    u->peers = more;
    u->cap = cap;
    return 0;
}

/* A peer not in the table: welcome it if there is room, else say busy.
 * Returns its slot, or NULL when it was turned away. */
static struct peer *new_peer(struct udp_server *u,
                             const struct sockaddr_storage *ss,
                             socklen_t len, long long now)
{
    struct peer *p;

    if (make_room(u) == -1) {
        struct peer busy;

        busy.addr = *ss;
        busy.len = len;
        if (!u->cfg->quiet &&
            sock_addr_text((const struct sockaddr *)ss, len, busy.text,
                           sizeof busy.text) == 0)
            logq_printf(u->cfg->log, LOGQ_ERR, "turned away %s (server busy)\n",
                        busy.text);
        (void)respond(u, &busy, SESSION_FULL, NULL, 0);
        return NULL;
    }
    p = &u->peers[u->n++];
    p->addr = *ss;
    p->len = len;
    p->last = now;
    /* Peers already in the table fall due no later than this one. */
    if (u->cfg->idle_ms > 0 && u->next_due < 0)
        u->next_due = now + u->cfg->idle_ms;
    if (sock_addr_text((const struct sockaddr *)ss, len, p->text,
                       sizeof p->text) == -1)
        strcpy(p->text, "?");
    if (!u->cfg->quiet)
        logq_printf(u->cfg->log, LOGQ_ERR, "new peer %s\n", p->text);
    send_to(u, p, SESSION_WELCOME, sizeof SESSION_WELCOME - 1);
    return p;
}

/* One datagram of n bytes (n > max_line: too long) from ss. */
static void on_datagram(struct udp_server *u,
                        const struct sockaddr_storage *ss, socklen_t len,
                        size_t n, long long now)
{
    struct peer *p = find_peer(u, ss);

    if (p == NULL && (p = new_peer(u, ss, len, now)) == NULL)
        return;
    p->last = now;
    if (n > u->cfg->max_line) {
        (void)respond(u, p, SESSION_TOO_LONG, NULL, 0);
        forget(u, p, "line too long");
        return;
    }
    show_line(u, p, u->buf, n);
    if (respond(u, p, SESSION_LINE, u->buf, n))
        forget(u, p, "quit");
}

/* Read what is queued, DATAGRAMS_PER_TURN at most. */
static void receive(struct udp_server *u, long long now)
{
    int k;

    for (k = 0; k < DATAGRAMS_PER_TURN; k++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        ssize_t n = sock_recvfrom(u->fd, u->buf, u->room, (struct sockaddr *)&ss,
                                  &len);

        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            continue;   /* an ICMP error for an earlier reply: not ours */
        }
        if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
            continue;
        on_datagram(u, &ss, len, (size_t)n, now);
    }
}

/* Forget peers silent for --idle-timeout, telling them so.  Returns the
 * next time one of them may fall due (-1: none).  A peer heard from
 * since only falls due later, so that time is a safe lower bound. */
static long long expire(struct udp_server *u, long long now)
{
    long long next = -1;
    size_t i = 0;

    if (u->cfg->idle_ms <= 0)
        return -1;
    while (i < u->n) {
        struct peer *p = &u->peers[i];
        long long due = p->last + u->cfg->idle_ms;

        if (due <= now) {
            (void)respond(u, p, SESSION_IDLE_OUT, NULL, 0);
            forget(u, p, "idle timeout");
            continue;   /* slot i now holds another peer */
        }
        if (next < 0 || due < next)
            next = due;
        i++;
    }
    return next;
}

int serve_udp_run(int fd, const struct server_config *cfg,
                  const volatile sig_atomic_t *stop)
{
    struct udp_server u;
    int rc = 0;

    memset(&u, 0, sizeof u);
    u.next_due = -1;
    u.cfg = cfg;
    u.fd = fd;
    /* One byte more than the longest line, to see that one is longer. */
    u.room = (cfg->max_line < UDP_PAYLOAD_MAX ? cfg->max_line
                                              : UDP_PAYLOAD_MAX) + 1;
    u.buf = malloc(u.room);
    u.shown = malloc(ESCAPE_LINE_MAX(SOCK_ADDR_TEXT_MAX, u.room));
    if (u.buf == NULL || u.shown == NULL || sock_set_nonblock(fd, 1) == -1) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        rc = 1;
        goto out;
    }
    while (!*stop && !(cfg->once && u.forgotten > 0)) {
        struct pollfd pfd[2];
        long long now = sock_clock_ms();
        int timeout;

        /* The table is swept only when a peer may be due, not per turn. */
        if (u.next_due >= 0 && now >= u.next_due)
            u.next_due = expire(&u, now);
        timeout = u.next_due < 0 ? -1 : (int)(u.next_due - now);

        pfd[0].fd = fd;
        pfd[0].events = POLLIN;
        pfd[1].fd = cfg->wake_fd;
        pfd[1].events = POLLIN;
        pfd[0].revents = pfd[1].revents = 0;
        if (poll(pfd, 2, timeout) == -1) {
            if (errno == EINTR)
                continue;
            logq_errorf(cfg->log, "poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (pfd[1].revents != 0)
            stop_signal_drain(cfg->wake_fd);
        if (pfd[0].revents != 0)
            receive(&u, sock_clock_ms());
    }
    /* Stopping: every peer still in the table hears it. */
    while (*stop && u.n > 0) {
        (void)respond(&u, &u.peers[u.n - 1], SESSION_STOPPING, NULL, 0);
        forget(&u, &u.peers[u.n - 1], "server shutting down");
    }
    if (u.dropped > 0)
        logq_errorf(cfg->log,
                    "%lu replies dropped: the socket's send buffer was full\n",
                    u.dropped);
out:
    sock_close(fd);
    free(u.peers);
    free(u.buf);
    free(u.shown);
    return rc;
}
