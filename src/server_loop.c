/*
 * server_loop.c - the serving loop of tcp-server: the article's "accept,
 * read, write, close" for many clients at once, multiplexed with poll().
 *
 * Each connection is non-blocking and moves through three states:
 *   OPEN     a session: reading lines and sending replies (session.h);
 *   CLOSING  the session is over (or never began: a client turned away
 *            as busy): send what is still queued;
 *   DRAIN    half-closed (FIN sent): read and drop until the peer closes
 *            or a short deadline, so that our last words are not destroyed
 *            by a reset when the peer still had bytes in flight.
 * --max-clients counts OPEN connections only; the others are bounded
 * apart, by SERVER_MAX_CONNS.
 *
 * Memory stays bounded whatever clients do:
 *   - while a reply is queued the connection is not read, so a client
 *     that sends without reading stops itself (backpressure): at most one
 *     line and one reply are held per client;
 *   - the line buffer and the reply queue exist only while they hold
 *     something, so an idle client costs its struct conn alone;
 *   - the log is a bounded queue that drops lines rather than wait for a
 *     slow reader of stdout or stderr (logq.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "libsock.h"
#include "escape.h"
#include "session.h"
#include "server_loop.h"
#include "sock_clock.h"

#define DRAIN_MS        1000  /* how long a closing peer may keep sending */
#define LINGER_MS       5000  /* how long a peer may take to read our last reply */
#define STOP_MS          600  /* after a signal, the goodbye (the log then gets 100 ms) */
#define STOP_ACCEPTS    4096  /* clients still in the accept queue told at a stop */
#define LINES_PER_TURN    64  /* lines one client may have per poll round */
#define ACCEPTS_PER_TURN 256  /* a deep queue (a burst of clients) empties fast */
#define ACCEPT_PAUSE_MS  100  /* no descriptor even for "busy": wait */
#define ERRLINE_ROOM      80  /* room for the longest error line */
#define FIRST_CONN         2  /* poll slots: wake pipe, listener, clients */

enum conn_state { C_OPEN, C_CLOSING, C_DRAIN };

struct conn {
    int fd;
    unsigned char state;      /* enum conn_state */
    unsigned char more;       /* lines may be buffered: process w/o POLLIN */
    unsigned char peer_eof;   /* the peer has half-closed */
    unsigned char session;    /* 1: welcomed; 0: turned away as busy */
    long long deadline;       /* OPEN: idle cut-off; CLOSING, DRAIN: close */
    const char *why;          /* reason shown when it disconnects */
    struct sock_line_reader rd; /* rd.buf NULL while nothing is held */
    char *out;                /* queued reply bytes, NULL when none */
    size_t out_len, out_off;
    unsigned char ip[16];     /* the peer's IP (IPv4 as ::ffff:a.b.c.d) */
    char peer[SOCK_ADDR_TEXT_MAX];
};

struct server {
    const struct server_config *cfg;
    int lfd;
    int reserve;              /* a spare descriptor for EMFILE (below) */
    struct conn **conns;
    size_t n, cap;
    size_t open;              /* connections in C_OPEN: the sessions */
    struct pollfd *pfd;
    char *shown;              /* a received line, escaped for the log */
    long long now;            /* this turn's time, in ms */
    long long accept_paused_until;
    long long emfile_said;    /* when EMFILE was last reported */
    int served;               /* clients accepted so far */
};

static void say(struct server *s, const char *what, const struct conn *c)
{
    if (!s->cfg->quiet)
        logq_printf(s->cfg->log, LOGQ_ERR, "%s %s%s%s%s\n", what, c->peer,
                    c->why != NULL ? " (" : "", c->why != NULL ? c->why : "",
                    c->why != NULL ? ")" : "");
}

/* Show a received line as "PEER: text", escaped (escape.h). */
static void show_line(struct server *s, const struct conn *c,
                      const char *line, size_t len)
{
    size_t plen = strlen(c->peer), n;

    if (len > 0 && line[len - 1] == '\n')
        len--;
    memcpy(s->shown, c->peer, plen);
    memcpy(s->shown + plen, ": ", 2);
    n = plen + 2 + escape_text(s->shown + plen + 2, line, len);
    s->shown[n++] = '\n';
    logq_put(s->cfg->log, LOGQ_OUT, s->shown, n);
}

static void conn_free(struct server *s, size_t i)
{
    struct conn *c = s->conns[i];

    if (c->state == C_OPEN)
        s->open--;
    say(s, c->session ? "disconnected" : "turned away", c);
    sock_close(c->fd);
    free(c->rd.buf);
    free(c->out);
    free(c);
    s->conns[i] = s->conns[--s->n];
}

static int conn_pending(const struct conn *c)
{
    return c->out_off < c->out_len;
}

/* Send what is queued; -1 if the peer is gone (c->why says how).  A
 * peer that takes our bytes is not idle, even while we do not read it. */
static int conn_flush(struct server *s, struct conn *c)
{
    while (conn_pending(c)) {
        ssize_t n = sock_write(c->fd, c->out + c->out_off,
                               c->out_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
            if (c->state == C_OPEN && s->cfg->idle_ms > 0)
                c->deadline = s->now + s->cfg->idle_ms;
            continue;
        }
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        c->why = errno == EPIPE ? "gone" : "reset";
        return -1;
    }
    free(c->out);           /* empty: an idle client holds no queue */
    c->out = NULL;
    c->out_off = c->out_len = 0;
    return 0;
}

/* One reply (a line, at most max_line) and one notice that ends the
 * session: all that is ever queued, as a client is not read meanwhile. */
static size_t out_room(const struct server *s)
{
    return s->cfg->max_line + ERRLINE_ROOM;
}

/* Send now what the socket takes; queue the rest.  -1: the session must
 * end at once (peer gone, no memory, or a reply that does not fit). */
static int conn_send(struct server *s, struct conn *c, const char *data,
                     size_t len)
{
    if (!conn_pending(c)) {
        ssize_t n = sock_write(c->fd, data, len);

        if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
            c->why = errno == EPIPE ? "gone" : "reset";
            return -1;
        }
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        }
        if (len == 0)
            return 0;
    }
    /* Checked, not assumed: a broken invariant must cost this one
     * session, never a write past the queue. */
    if (c->out_len > out_room(s) || len > out_room(s) - c->out_len) {
        c->why = "reply queue full";
        return -1;
    }
    if (c->out == NULL) {
        c->out = malloc(out_room(s));
        if (c->out == NULL) {
            c->why = "out of memory";
            return -1;
        }
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/* The session is over: finish sending, then half-close and drain.  A
 * peer that will not take the last reply is closed after LINGER_MS. */
static void conn_end(struct server *s, struct conn *c, const char *why)
{
    if (c->why == NULL)
        c->why = why;
    if (c->state == C_OPEN)
        s->open--;
    c->state = C_CLOSING;
    c->more = 0;
    c->deadline = s->now + LINGER_MS;
}

/* Reply to an event; end the session if the protocol says so. */
static int conn_reply(struct server *s, struct conn *c, enum session_event ev,
                      const char *line, size_t len, const char *why)
{
    char errline[ERRLINE_ROOM];
    struct session_reply r;

    session_respond(ev, line, len, s->cfg->max_line, errline, sizeof errline,
                    &r);
    if (r.end)
        conn_end(s, c, why);
    return r.len > 0 ? conn_send(s, c, r.data, r.len) : 0;
}

/* Once the queue is empty: FIN, then wait (briefly) for the peer's FIN. */
static int conn_half_close(struct conn *c, long long now)
{
    if (sock_shutdown(c->fd, SHUT_WR) == -1 || c->peer_eof)
        return -1;   /* gone, or both sides done: close now */
    c->state = C_DRAIN;
    c->deadline = now + DRAIN_MS;
    return 0;
}

/* The line buffer exists only while it holds bytes. */
static int reader_get(struct server *s, struct conn *c)
{
    if (c->rd.buf == NULL) {
        char *b = malloc(s->cfg->max_line);
        if (b == NULL)
            return -1;
        sock_line_reader_init(&c->rd, b, s->cfg->max_line);
    }
    return 0;
}

static void reader_put(struct conn *c)
{
    if (c->rd.buf != NULL && c->rd.start == c->rd.end) {
        free(c->rd.buf);
        c->rd.buf = NULL;
    }
}

/* Read and answer lines until the socket is empty or a reply is queued.
 * Returns -1 when the connection must be dropped at once. */
static int conn_read(struct server *s, struct conn *c, long long now)
{
    int budget = LINES_PER_TURN, rc = 0;

    c->more = 0;
    if (reader_get(s, c) == -1) {
        c->why = "out of memory";
        return -1;
    }
    while (c->state == C_OPEN && !conn_pending(c) && rc == 0) {
        size_t held = c->rd.end - c->rd.start;
        const char *line;
        size_t len;
        ssize_t got;

        if (budget-- == 0) {
            c->more = 1;    /* be fair: others get a turn first */
            break;
        }
        got = sock_read_line(c->fd, &c->rd, &line, &len);
        /* Any byte counts as speaking, half a line too (one a second). */
        if (s->cfg->idle_ms > 0 &&
            (got != SOCK_LINE_ERROR || c->rd.end - c->rd.start > held))
            c->deadline = now + s->cfg->idle_ms;
        if (got == SOCK_LINE_ERROR) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                c->why = "reset";
                rc = -1;
            }
            break;
        }
        if (got > 0) {
            show_line(s, c, line, len);
            rc = conn_reply(s, c, SESSION_LINE, line, len, "quit");
        } else if (got == SOCK_LINE_PARTIAL) {
            c->peer_eof = 1;
            show_line(s, c, line, len);
            rc = conn_reply(s, c, SESSION_LAST_LINE, line, len,
                            session_is_quit(line, len) ? "quit" : "eof");
        } else if (got == SOCK_LINE_EOF) {
            c->peer_eof = 1;
            rc = conn_reply(s, c, SESSION_EOF, NULL, 0, "eof");
        } else {
            rc = conn_reply(s, c, SESSION_TOO_LONG, NULL, 0, "line too long");
        }
        /* A queued reply stops reading; lines may wait in the reader. */
        if (conn_pending(c))
            c->more = 1;
    }
    reader_put(c);
    return rc;
}

/* Read and drop what a half-closed peer still sends. */
static int conn_drain(struct conn *c)
{
    char sink[4096];
    int turns = 16;

    while (turns-- > 0) {
        ssize_t n = sock_read(c->fd, sink, sizeof sink);
        if (n > 0)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;   /* EOF or error: done */
    }
    return 0;
}

/* The peer's IP as 16 bytes, IPv4 written as IPv4-mapped IPv6, so that
 * one client is one key whichever socket family it came in on. */
static void peer_ip(const struct sockaddr *sa, unsigned char ip[16])
{
    memset(ip, 0, 16);
    if (sa->sa_family == AF_INET6) {
        memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else if (sa->sa_family == AF_INET) {
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    }
}

/* Sessions open from this IP now.  A scan, done only with --max-per-ip:
 * a few microseconds per accept for a thousand clients. */
static size_t sessions_from(const struct server *s, const unsigned char ip[16])
{
    size_t i, k = 0;

    for (i = 0; i < s->n; i++)
        if (s->conns[i]->state == C_OPEN &&
            memcmp(s->conns[i]->ip, ip, 16) == 0)
            k++;
    return k;
}

/* A new connection: a session (welcomed) or, session 0, a client being
 * turned away (told busy, then drained like any goodbye). */
static int add_conn(struct server *s, int fd, const struct sockaddr *sa,
                    socklen_t salen, int session)
{
    struct conn *c;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct conn **cs = realloc(s->conns, cap * sizeof(struct conn *));
        struct pollfd *p;

        if (cs == NULL)
            return -1;
        s->conns = cs;
        p = realloc(s->pfd, (cap + FIRST_CONN) * sizeof *p);
        if (p == NULL)
            return -1;
        s->pfd = p;
        s->cap = cap;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->fd = fd;
    c->session = (unsigned char)session;
    peer_ip(sa, c->ip);
    if (sock_addr_text(sa, salen, c->peer, sizeof c->peer) == -1)
        strcpy(c->peer, "?");
    s->conns[s->n++] = c;
    if (!session) {
        c->state = C_CLOSING;
        conn_reply(s, c, SESSION_FULL, NULL, 0, "server busy");
        return 0;   /* a failed send ends it on its next turn */
    }
    c->state = C_OPEN;
    s->open++;
    c->deadline = s->cfg->idle_ms > 0 ? s->now + s->cfg->idle_ms : 0;
    say(s, "connected", c);
    if (conn_send(s, c, SESSION_WELCOME, sizeof SESSION_WELCOME - 1) == -1)
        conn_end(s, c, NULL);  /* gone already: freed on its next turn */
    return 0;
}

/*
 * No slot, no descriptor or no time to spare for a goodbye: say why (busy,
 * or shutting down), send FIN, drop what the client already sent (unread
 * input would turn our close into a reset that can destroy the line) and
 * close.  A client that sends more after this may still see a reset; that
 * is the price of not holding what we do not have.
 */
static void close_now(int fd, enum session_event why)
{
    struct session_reply r;

    session_respond(why, NULL, 0, 0, NULL, 0, &r);
    if (sock_set_nonblock(fd, 1) == 0 &&
        sock_write(fd, r.data, r.len) == (ssize_t)r.len &&
        sock_shutdown(fd, SHUT_WR) == 0) {
        char sink[512];
        int turns = 16;     /* what it sent so far, not what it goes on sending */

        while (turns-- > 0 && sock_read(fd, sink, sizeof sink) > 0)
            ;
    }
    sock_close(fd);
}

/* Tell a client we cannot serve that we are busy, with the same goodbye
 * as a session's end (FIN, drain) while fewer than max_clients goodbyes
 * are under way (SERVER_MAX_CONNS); past that, at once. */
static void turn_away(struct server *s, int fd, const struct sockaddr *sa,
                      socklen_t salen)
{
    if (s->n - s->open >= s->cfg->max_clients ||
        add_conn(s, fd, sa, salen, 0) == -1)
        close_now(fd, SESSION_FULL);
}

/* The spare descriptor: any cheap file will do. */
static int open_reserve(void)
{
    int fd = open("/dev/null", O_RDONLY);

    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);   /* best effort */
    return fd;
}

/*
 * Out of descriptors (EMFILE/ENFILE): the listener stays readable while
 * the client waits in the queue, so a plain loop would spin.  As libuv
 * and libev advise: give up the spare descriptor kept for this, accept
 * the client, tell it we are busy, close it, and take the spare again.
 * If even that fails, stop polling the listener for a moment.
 */
static void out_of_descriptors(struct server *s, int err, long long now)
{
    if (now - s->emfile_said >= 1000) {   /* say so once a second at most */
        logq_printf(s->cfg->log, LOGQ_ERR,
                    "tcp-server: accept: %s: turning clients away\n",
                    strerror(err));
        s->emfile_said = now;
    }
    if (s->reserve >= 0) {
        int fd;

        close(s->reserve);
        s->reserve = -1;
        fd = sock_accept(s->lfd, NULL, NULL);
        if (fd >= 0)
            close_now(fd, SESSION_FULL);
        s->reserve = open_reserve();
        if (fd >= 0 && s->reserve >= 0)
            return;
    }
    s->accept_paused_until = now + ACCEPT_PAUSE_MS;
}

static void accept_clients(struct server *s, long long now)
{
    int k;

    for (k = 0; k < ACCEPTS_PER_TURN && s->lfd >= 0; k++) {
        struct sockaddr_storage ss;
        struct sockaddr *sa = (struct sockaddr *)&ss;
        socklen_t len = sizeof ss;
        unsigned char ip[16];
        int fd = sock_accept(s->lfd, sa, &len);

        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE)
                out_of_descriptors(s, errno, now);
            else if (errno == ENOBUFS || errno == ENOMEM)
                s->accept_paused_until = now + ACCEPT_PAUSE_MS;
            return;   /* EAGAIN: nobody else waiting */
        }
        if (sock_set_nonblock(fd, 1) == -1) {
            logq_printf(s->cfg->log, LOGQ_ERR, "tcp-server: accept: %s\n",
                        strerror(errno));
            close_now(fd, SESSION_FULL);
            continue;
        }
        peer_ip(sa, ip);
        if (s->open >= s->cfg->max_clients ||
            (s->cfg->max_per_ip > 0 &&
             sessions_from(s, ip) >= s->cfg->max_per_ip)) {
            turn_away(s, fd, sa, len);
            continue;
        }
        if (add_conn(s, fd, sa, len, 1) == -1) {
            logq_printf(s->cfg->log, LOGQ_ERR, "tcp-server: accept: %s\n",
                        strerror(errno));
            close_now(fd, SESSION_FULL);
            continue;
        }
        if (s->cfg->once && ++s->served == 1) {
            /* The article's server: one client, then no more listening. */
            sock_close(s->lfd);
            s->lfd = -1;
        }
    }
}

/* Signal: no more clients.  Those that finished their handshake and wait
 * in the accept queue are taken and told (closing the listener would
 * reset them), then the listener goes, so new ones are refused.  Every
 * client is told and closed. */
static void begin_stop(struct server *s)
{
    size_t i;

    if (s->lfd >= 0) {
        int k, fd;

        for (k = 0; k < STOP_ACCEPTS &&
                    (fd = sock_accept(s->lfd, NULL, NULL)) >= 0; k++)
            close_now(fd, SESSION_STOPPING);
        sock_close(s->lfd);
        s->lfd = -1;
    }
    for (i = 0; i < s->n; i++) {
        struct conn *c = s->conns[i];

        /* A failed send leaves it CLOSING: freed on its next turn. */
        if (c->state == C_OPEN)
            conn_reply(s, c, SESSION_STOPPING, NULL, 0,
                       "server shutting down");
    }
}

/*
 * The session's time is up: silent, or not taking its replies.  A reader
 * that takes our bytes slowly frees room in the socket long before poll()
 * calls it writable (Linux waits for half the send buffer), so first see
 * whether the socket takes some now: that is activity (conn_flush).
 */
static int conn_timed_out(struct server *s, struct conn *c)
{
    if (conn_pending(c)) {
        if (conn_flush(s, c) == -1)
            return -1;
        if (s->now < c->deadline)
            return 0;
        return conn_reply(s, c, SESSION_NOT_READING, NULL, 0,
                          "not reading replies");
    }
    return conn_reply(s, c, SESSION_IDLE_OUT, NULL, 0, "idle timeout");
}

/* One conn after poll: returns -1 to free it. */
static int conn_step(struct server *s, struct conn *c, short rev,
                     long long now)
{
    if ((rev & (POLLOUT | POLLERR | POLLHUP)) && conn_pending(c) &&
        conn_flush(s, c) == -1)
        return -1;
    if (c->state == C_OPEN && !conn_pending(c) &&
        ((rev & (POLLIN | POLLERR | POLLHUP)) || c->more) &&
        conn_read(s, c, now) == -1)
        return -1;
    if (c->state == C_OPEN && s->cfg->idle_ms > 0 && now >= c->deadline &&
        conn_timed_out(s, c) == -1)
        return -1;
    if (c->state == C_CLOSING && !conn_pending(c) &&
        conn_half_close(c, now) == -1)
        return -1;
    if (c->state == C_CLOSING && now >= c->deadline)
        return -1;   /* it would not read our last words */
    if (c->state == C_DRAIN &&
        (((rev & (POLLIN | POLLERR | POLLHUP)) && conn_drain(c) == -1) ||
         now >= c->deadline))
        return -1;
    return 0;
}

/* Lower *timeout to reach `deadline` (poll's -1 means none yet). */
static void wake_by(int *timeout, long long deadline, long long now)
{
    long long left = deadline - now;
    int t = left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;

    if (*timeout < 0 || t < *timeout)
        *timeout = t;
}

/* Fill the poll set: the wake pipe, the listener, then one slot per
 * client (poll ignores negative descriptors).  Returns the timeout. */
static int prepare_poll(struct server *s, long long now, long long stop_at)
{
    int timeout = -1;
    size_t i;

    s->pfd[0].fd = s->cfg->wake_fd;
    s->pfd[1].fd = s->lfd;
    if (s->lfd >= 0 && now < s->accept_paused_until) {
        s->pfd[1].fd = -1;
        wake_by(&timeout, s->accept_paused_until, now);
    }
    for (i = 0; i < FIRST_CONN; i++) {
        s->pfd[i].events = POLLIN;
        s->pfd[i].revents = 0;
    }
    for (i = 0; i < s->n; i++) {
        struct conn *c = s->conns[i];
        struct pollfd *p = &s->pfd[FIRST_CONN + i];

        p->fd = c->fd;
        p->events = (short)(conn_pending(c) ? POLLOUT
                            : c->state != C_CLOSING ? POLLIN : 0);
        p->revents = 0;
        /* Work to do without waiting: buffered lines to answer, or a
         * finished session to half-close.  Not while a reply is queued:
         * then only POLLOUT can move things on. */
        if (!conn_pending(c) &&
            ((c->state == C_OPEN && c->more) || c->state == C_CLOSING))
            timeout = 0;
        if (c->state != C_OPEN || s->cfg->idle_ms > 0)
            wake_by(&timeout, c->deadline, now);
    }
    if (stop_at >= 0)
        wake_by(&timeout, stop_at, now);
    return timeout;
}

/* Empty the wake pipe: its bytes only say "look at *stop". */
static void drain_wake(int fd)
{
    char sink[64];

    while (read(fd, sink, sizeof sink) > 0)
        ;
}

int server_run(int lfd, const struct server_config *cfg,
               const volatile sig_atomic_t *stop)
{
    struct server s;
    long long stop_at = -1;
    int rc = 0;

    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.lfd = lfd;
    s.emfile_said = -1000000;
    s.reserve = open_reserve();
    s.pfd = malloc(FIRST_CONN * sizeof *s.pfd);
    s.shown = malloc(SOCK_ADDR_TEXT_MAX + 2 + ESCAPE_MAX(cfg->max_line) + 1);
    if (s.pfd == NULL || s.shown == NULL || sock_set_nonblock(lfd, 1) == -1) {
        logq_printf(cfg->log, LOGQ_ERR, "tcp-server: %s\n", strerror(errno));
        rc = 1;
        goto out;
    }

    while (s.lfd >= 0 || s.n > 0) {
        long long now = s.now = sock_clock_ms();
        int timeout, ready;
        size_t i;

        if (*stop && stop_at < 0) {
            begin_stop(&s);
            stop_at = now + STOP_MS;
        }
        if (stop_at >= 0 && now >= stop_at)
            break;

        timeout = prepare_poll(&s, now, stop_at);
        ready = poll(s.pfd, (nfds_t)(FIRST_CONN + s.n), timeout);
        if (ready == -1) {
            if (errno == EINTR)
                continue;   /* a signal: the loop top checks *stop */
            logq_printf(cfg->log, LOGQ_ERR, "tcp-server: poll: %s\n",
                        strerror(errno));
            rc = 1;
            break;
        }
        now = s.now = sock_clock_ms();

        /* Walk backwards: conn_free() moves the last one into slot i. */
        for (i = s.n; i-- > 0;) {
            if (conn_step(&s, s.conns[i], s.pfd[FIRST_CONN + i].revents,
                          now) == -1)
                conn_free(&s, i);
        }
        if (s.pfd[0].revents & POLLIN)
            drain_wake(cfg->wake_fd);   /* the loop top sees *stop */
        /* A signal that came with the poll: nobody more is welcomed; the
         * loop top tells those waiting (begin_stop). */
        if (s.lfd >= 0 && !*stop && (s.pfd[1].revents & POLLIN))
            accept_clients(&s, now);
    }

out:
    while (s.n > 0)
        conn_free(&s, s.n - 1);
    if (s.lfd >= 0)
        sock_close(s.lfd);
    if (s.reserve >= 0)
        close(s.reserve);
    free(s.conns);
    free(s.pfd);
    free(s.shown);
    return rc;
}
