/*
 * serve_udp.c - tcp-server -u: the exchange over UDP, the article's
 * SOCK_DGRAM.  There is no listen and no accept, so no connection to hold
 * a session: one socket receives every peer's datagrams, each with its
 * sender's address (recvfrom), and the server keeps a table of the peers
 * it has welcomed (udp_peers.h).  The protocol is still session.c's:
 *
 *   a datagram from a peer not in the table  -> "welcome!\n", then its echo
 *   a datagram                               -> the same bytes back
 *   "quit"                                   -> nothing; the peer is forgotten
 *   longer than --max-line                   -> "error: line too long ...",
 *                                               forgotten
 *   silent for --idle-timeout                -> "error: idle timeout",
 *                                               forgotten
 *   the table full (--max-clients)           -> the peer heard from longest
 *                                               ago is forgotten, untold
 *   --max-per-ip peers from its address      -> "error: server busy"
 *   a reply that drew ICMP port unreachable  -> the peer is forgotten
 *   a signal                                 -> "error: server shutting down"
 *                                               to every peer, then exit
 *
 * A UDP source can be forged, so what the server sends is bounded
 * (udp_limits.h): no reply to port 0, to the classic echo-like services
 * or to this socket itself; at most --udp-rate replies a second to one
 * peer, those over it dropped, which ends any loop with another echo
 * service; to a source heard from only once, at most 3x the bytes it
 * sent; busy notices at most UDP_BUSY_RATE a second in all.
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
#include "udp_errq.h"
#include "udp_limits.h"
#include "udp_peers.h"

#define DATAGRAMS_PER_TURN 64   /* then look at the clock and the signal */
#define UDP_PAYLOAD_MAX 65535   /* no datagram is longer */

/* Replies not sent, by reason; reported once, at exit. */
struct udp_unsent {
    unsigned long full;         /* the socket's send buffer was full */
    unsigned long failed;       /* sendto failed otherwise ... */
    int failed_errno;           /* ... last with this */
    unsigned long over_rate;    /* over --udp-rate to one peer */
    unsigned long over_budget;  /* over 3x an unverified source's bytes */
    unsigned long busy;         /* busy notices over UDP_BUSY_RATE */
    unsigned long ignored;      /* datagrams from a port never answered */
};

struct udp_server {
    const struct server_config *cfg;
    int fd;
    struct sockaddr_storage self;   /* this socket's own address */
    struct udp_peers peers;
    char *buf;              /* one datagram, and one byte to spot a longer one */
    size_t room;
    char *shown;            /* a received line, escaped for the log */
    struct udp_bucket busy; /* busy notices, all peers together */
    struct udp_unsent unsent;
    long long now;          /* this turn's time */
    int forgotten;          /* peers whose session ended (--once) */
};

/* Hand one datagram to the socket; a failure is counted, never waited
 * on. */
static void put(struct udp_server *u, const struct sockaddr_storage *ss,
                socklen_t len, const char *data, size_t n)
{
    if (sock_sendto(u->fd, data, n, (const struct sockaddr *)ss, len) != -1)
        return;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        u->unsent.full++;
    } else {
        u->unsent.failed++;
        u->unsent.failed_errno = errno;
    }
}

/* Send one datagram to p, within its limits: a source heard from once
 * gets at most 3x its bytes, and every peer at most --udp-rate
 * replies a second.  What is over either is dropped. */
static void send_to(struct udp_server *u, struct udp_peer *p,
                    const char *data, size_t len)
{
    size_t wire = len + udp_header_bytes(p->addr.ss_family);

    if (p->heard < 2 && !udp_budget_allows(p->in, p->out, wire)) {
        u->unsent.over_budget++;
        return;
    }
    if (!udp_bucket_take(&p->rate, u->cfg->udp_rate, u->now)) {
        u->unsent.over_rate++;
        return;
    }
    p->out += wire;
    put(u, &p->addr, p->len, data, len);
}

/* Send what session.c answers to ev; 1 when the session ends with it. */
static int respond(struct udp_server *u, struct udp_peer *p,
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

/* Drop p from the table. */
static void forget(struct udp_server *u, struct udp_peer *p, const char *why)
{
    if (!u->cfg->quiet)
        logq_printf(u->cfg->log, LOGQ_ERR, "forgot peer %s (%s)\n", p->text,
                    why);
    udp_peers_remove(&u->peers, p);
    u->forgotten++;
}

/* Show a received line as "PEER: text", escaped, as every design does. */
static void show_line(struct udp_server *u, const struct udp_peer *p,
                      const char *line, size_t len)
{
    if (u->cfg->quiet >= 2)
        return;
    logq_put(u->cfg->log, LOGQ_OUT, u->shown,
             escape_line(u->shown, p->text, line, len));
}

/* Is ss this socket itself: its port, and its address (with a wildcard
 * bind, a loopback address)?  A datagram forged from it would make the
 * server answer itself for ever. */
static int is_self(const struct udp_server *u,
                   const struct sockaddr_storage *ss)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0xff, 0xff };

    if (ss->ss_family != u->self.ss_family)
        return 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        const struct sockaddr_in *s = (const struct sockaddr_in *)&u->self;

        return a->sin_port == s->sin_port &&
               (a->sin_addr.s_addr == s->sin_addr.s_addr ||
                (s->sin_addr.s_addr == htonl(INADDR_ANY) &&
                 (ntohl(a->sin_addr.s_addr) >> 24) == 127));
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&u->self;
        const unsigned char *b = a->sin6_addr.s6_addr;

        return a->sin6_port == s->sin6_port &&
               (memcmp(&a->sin6_addr, &s->sin6_addr, 16) == 0 ||
                (memcmp(&s->sin6_addr, &in6addr_any, 16) == 0 &&
                 (memcmp(b, &in6addr_loopback, 16) == 0 ||
                  (memcmp(b, mapped, 12) == 0 && b[12] == 127))));
    }
}

/* Turn ss away: "error: server busy", if the busy notices' own rate
 * allows it (a notice is 47 bytes for at least 28 received: within 3x). */
static void say_busy(struct udp_server *u, const struct sockaddr_storage *ss,
                     socklen_t len)
{
    char text[SOCK_ADDR_TEXT_MAX];
    struct session_reply r;
    char errline[80];

    if (!u->cfg->quiet &&
        sock_addr_text((const struct sockaddr *)ss, len, text,
                       sizeof text) == 0)
        logq_printf(u->cfg->log, LOGQ_ERR, "turned away %s (server busy)\n",
                    text);
    if (!udp_bucket_take(&u->busy, UDP_BUSY_RATE, u->now)) {
        u->unsent.busy++;
        return;
    }
    session_respond(SESSION_FULL, NULL, 0, u->cfg->max_line, errline,
                    sizeof errline, &r);
    put(u, ss, len, r.data, r.len);
}

/* A peer not in the table: a slot for it, the oldest peer making room
 * when the table is full.  NULL when it is turned away (--max-per-ip,
 * or memory short), told busy. */
static struct udp_peer *admit(struct udp_server *u,
                              const struct sockaddr_storage *ss,
                              socklen_t len)
{
    struct udp_peer *p;

    if (u->cfg->max_per_ip > 0 &&
        udp_peers_from_ip(&u->peers, ss) >= u->cfg->max_per_ip) {
        say_busy(u, ss, len);
        return NULL;
    }
    if (u->peers.n >= u->cfg->max_clients)
        forget(u, udp_peers_oldest(&u->peers),
               "table full: heard from longest ago");
    p = udp_peers_add(&u->peers, ss, len, u->now);
    if (p == NULL) {
        say_busy(u, ss, len);
        return NULL;
    }
    udp_bucket_init(&p->rate, u->cfg->udp_rate, u->now);
    if (sock_addr_text((const struct sockaddr *)ss, len, p->text,
                       sizeof p->text) == -1)
        strcpy(p->text, "?");
    if (!u->cfg->quiet)
        logq_printf(u->cfg->log, LOGQ_ERR, "new peer %s\n", p->text);
    return p;
}

/* One datagram of n bytes (n > max_line: too long) from ss. */
static void on_datagram(struct udp_server *u,
                        const struct sockaddr_storage *ss, socklen_t len,
                        size_t n)
{
    struct udp_peer *p;
    int fresh = 0;

    if (udp_port_refused(ss) || is_self(u, ss)) {
        u->unsent.ignored++;
        return;
    }
    p = udp_peers_find(&u->peers, ss);
    if (p == NULL) {
        if ((p = admit(u, ss, len)) == NULL)
            return;
        fresh = 1;
    }
    udp_peers_touch(&u->peers, p, u->now);
    p->heard++;
    p->in += n + udp_header_bytes(ss->ss_family);
    if (fresh)
        send_to(u, p, SESSION_WELCOME, sizeof SESSION_WELCOME - 1);
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
static void receive(struct udp_server *u)
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
            continue;   /* an ICMP error for an earlier reply: see below */
        }
        if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
            continue;
        on_datagram(u, &ss, len, (size_t)n);
    }
}

/* Forget the peers whose replies found no one listening (ICMP port
 * unreachable): gone, or never there. */
static void read_errors(struct udp_server *u)
{
    int k;

    for (k = 0; k < DATAGRAMS_PER_TURN; k++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        struct udp_peer *p;
        int r;

        memset(&ss, 0, sizeof ss);
        r = udp_errq_next(u->fd, &ss, &len);
        if (r == -1)
            return;
        if (r == 1 && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
            (p = udp_peers_find(&u->peers, &ss)) != NULL)
            forget(u, p, "port unreachable");
    }
}

/* Forget peers silent for --idle-timeout, telling them so: the oldest
 * first, so only those due are looked at.  Returns when the next one
 * falls due (-1: none). */
static long long expire(struct udp_server *u)
{
    struct udp_peer *p;

    if (u->cfg->idle_ms <= 0)
        return -1;
    while ((p = udp_peers_oldest(&u->peers)) != NULL &&
           p->last + u->cfg->idle_ms <= u->now) {
        (void)respond(u, p, SESSION_IDLE_OUT, NULL, 0);
        forget(u, p, "idle timeout");
    }
    return p != NULL ? p->last + u->cfg->idle_ms : -1;
}

/* What was not sent, and why: one line each, at exit. */
static void report_unsent(const struct udp_server *u)
{
    const struct udp_unsent *s = &u->unsent;
    struct logq *log = u->cfg->log;

    if (s->full > 0)
        logq_errorf(log, "%lu replies dropped: the socket's send buffer was "
                    "full\n", s->full);
    if (s->failed > 0)
        logq_errorf(log, "%lu replies not sent: %s\n", s->failed,
                    strerror(s->failed_errno));
    if (s->over_rate > 0)
        logq_errorf(log, "%lu replies dropped: over %ld a second to one peer "
                    "(--udp-rate)\n", s->over_rate, u->cfg->udp_rate);
    if (s->over_budget > 0)
        logq_errorf(log, "%lu replies withheld: a source heard from once gets "
                    "at most %dx its bytes\n", s->over_budget,
                    UDP_AMPLIFICATION);
    if (s->busy > 0)
        logq_errorf(log, "%lu busy notices withheld: at most %d a second\n",
                    s->busy, UDP_BUSY_RATE);
    if (s->ignored > 0)
        logq_errorf(log, "%lu datagrams not answered: from port 0, an echo, "
                    "daytime, qotd, chargen or time port, or this socket\n",
                    s->ignored);
}

int serve_udp_run(int fd, const struct server_config *cfg,
                  const volatile sig_atomic_t *stop)
{
    struct udp_server u;
    unsigned char key[16];
    socklen_t selflen = sizeof u.self;
    int rc = 0, table = -1;

    memset(&u, 0, sizeof u);
    u.cfg = cfg;
    u.fd = fd;
    u.now = sock_clock_ms();
    udp_bucket_init(&u.busy, UDP_BUSY_RATE, u.now);
    /* One byte more than the longest line, to see that one is longer. */
    u.room = (cfg->max_line < UDP_PAYLOAD_MAX ? cfg->max_line
                                              : UDP_PAYLOAD_MAX) + 1;
    u.buf = malloc(u.room);
    u.shown = malloc(ESCAPE_LINE_MAX(SOCK_ADDR_TEXT_MAX, u.room));
    udp_peers_random_key(key);
    if (u.buf != NULL && u.shown != NULL)
        table = udp_peers_init(&u.peers, key);
    if (table == -1 || sock_set_nonblock(fd, 1) == -1 ||
        getsockname(fd, (struct sockaddr *)&u.self, &selflen) == -1) {
        logq_errorf(cfg->log, "%s\n", strerror(errno));
        rc = 1;
        goto out;
    }
    (void)udp_errq_enable(fd);   /* without it, idle peers still expire */
    while (!*stop && !(cfg->once && u.forgotten > 0)) {
        struct pollfd pfd[2];
        long long due;
        int timeout;

        u.now = sock_clock_ms();
        due = expire(&u);
        timeout = due < 0 ? -1 : (int)(due - u.now);

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
        u.now = sock_clock_ms();
        if (pfd[0].revents & POLLERR)
            read_errors(&u);
        if (pfd[0].revents != 0)
            receive(&u);
    }
    /* Stopping: every peer still in the table hears it, within its
     * limits (a source heard from once may not have the budget left). */
    u.now = sock_clock_ms();
    while (*stop && u.peers.n > 0) {
        struct udp_peer *p = udp_peers_oldest(&u.peers);

        (void)respond(&u, p, SESSION_STOPPING, NULL, 0);
        forget(&u, p, "server shutting down");
    }
    report_unsent(&u);
out:
    sock_close(fd);
    if (table == 0)
        udp_peers_fini(&u.peers);
    free(u.buf);
    free(u.shown);
    return rc;
}
