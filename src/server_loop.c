/*
 * server_loop.c - the serving loop of tcp-server: the article's "accept,
 * read, write, close" for many clients at once, multiplexed with poll().
 *
 * Each connection is non-blocking and moves through three states:
 *   OPEN     reading lines and sending replies (session.h);
 *   CLOSING  the session is over: send what is still queued;
 *   DRAIN    half-closed (FIN sent): read and drop until the peer closes
 *            or a short deadline, so that our last words are not destroyed
 *            by a reset when the peer still had bytes in flight.
 * While a reply is queued the connection is not read: a client that
 * sends without reading stops itself, not the server (backpressure).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "libsock.h"
#include "escape.h"
#include "session.h"
#include "server_loop.h"

#define DRAIN_MS        1000  /* how long a closing peer may keep sending */
#define STOP_MS          800  /* after a signal, the whole goodbye */
#define LINES_PER_TURN    64  /* lines one client may have per poll round */
#define ACCEPTS_PER_TURN  16
#define ACCEPT_PAUSE_MS  100  /* out of descriptors: wait before retrying */
#define ERRLINE_ROOM      80  /* room for the longest error line */

enum conn_state { C_OPEN, C_CLOSING, C_DRAIN };

struct conn {
    int fd;
    enum conn_state state;
    int more;                 /* lines may be buffered: process w/o POLLIN */
    int peer_eof;             /* the peer has half-closed */
    long long deadline;       /* C_DRAIN: close at this time */
    const char *why;          /* reason shown when it disconnects */
    char peer[SOCK_ADDR_TEXT_MAX];
    struct sock_line_reader rd;
    char *out;                /* queued reply bytes */
    size_t out_len, out_off;
    char errline[ERRLINE_ROOM];
};

struct server {
    const struct server_config *cfg;
    int lfd;
    struct conn **conns;
    size_t n, cap;
    struct pollfd *pfd;
    long long accept_paused_until;
    int served;               /* clients accepted so far */
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(struct server *s, const char *what, const struct conn *c)
{
    if (!s->cfg->quiet)
        fprintf(s->cfg->log, "%s %s%s%s%s\n", what, c->peer,
                c->why != NULL ? " (" : "", c->why != NULL ? c->why : "",
                c->why != NULL ? ")" : "");
}

/* Show a received line as "PEER: text", escaped (escape.h). */
static void show_line(struct server *s, const struct conn *c,
                      const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    fputs(c->peer, s->cfg->out);
    fputs(": ", s->cfg->out);
    escape_write(s->cfg->out, line, len);
    putc('\n', s->cfg->out);
}

static void conn_free(struct server *s, size_t i)
{
    struct conn *c = s->conns[i];

    say(s, "disconnected", c);
    sock_close(c->fd);
    free(c->rd.buf);
    free(c->out);
    free(c);
    s->conns[i] = s->conns[--s->n];
}

/* Send what is queued; -1 if the peer is gone (c->why says how). */
static int conn_flush(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = sock_write(c->fd, c->out + c->out_off,
                               c->out_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        c->why = errno == EPIPE ? "gone" : "reset";
        return -1;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

/* Queue bytes and send what the socket takes now. */
static int conn_send(struct conn *c, const char *data, size_t len,
                     size_t room)
{
    if (c->out_len + len > room)   /* cannot happen: one reply at a time */
        len = room - c->out_len;
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return conn_flush(c);
}

static int conn_pending(const struct conn *c)
{
    return c->out_off < c->out_len;
}

/* The session is over: finish sending, then half-close and drain. */
static void conn_end(struct conn *c, const char *why)
{
    if (c->why == NULL)
        c->why = why;
    c->state = C_CLOSING;
}

/* Once the queue is empty: FIN, then wait (briefly) for the peer's FIN. */
static int conn_half_close(struct conn *c, long long now)
{
    shutdown(c->fd, SHUT_WR);
    if (c->peer_eof)
        return -1;   /* both sides done: close now */
    c->state = C_DRAIN;
    c->deadline = now + DRAIN_MS;
    return 0;
}

static size_t out_room(const struct server *s)
{
    return s->cfg->max_line + ERRLINE_ROOM;
}

/* Read and answer lines until the socket is empty or a reply is queued.
 * Returns -1 when the connection must be dropped at once. */
static int conn_read(struct server *s, struct conn *c)
{
    int budget = LINES_PER_TURN;

    c->more = 0;
    while (c->state == C_OPEN && !conn_pending(c)) {
        const char *line;
        size_t len;
        struct session_reply r;
        ssize_t got;

        if (budget-- == 0) {
            c->more = 1;    /* be fair: others get a turn first */
            return 0;
        }
        got = sock_read_line(c->fd, &c->rd, &line, &len);
        if (got > 0) {
            show_line(s, c, line, len);
            session_respond(SESSION_LINE, line, len, s->cfg->max_line,
                            c->errline, sizeof c->errline, &r);
            if (r.end)
                conn_end(c, "quit");
        } else if (got == SOCK_LINE_PARTIAL) {
            c->peer_eof = 1;
            show_line(s, c, line, len);
            session_respond(SESSION_LAST_LINE, line, len, s->cfg->max_line,
                            c->errline, sizeof c->errline, &r);
            conn_end(c, session_is_quit(line, len) ? "quit" : "eof");
        } else if (got == SOCK_LINE_EOF) {
            c->peer_eof = 1;
            session_respond(SESSION_EOF, NULL, 0, s->cfg->max_line,
                            c->errline, sizeof c->errline, &r);
            conn_end(c, "eof");
        } else if (got == SOCK_LINE_TOO_LONG) {
            session_respond(SESSION_TOO_LONG, NULL, 0, s->cfg->max_line,
                            c->errline, sizeof c->errline, &r);
            conn_end(c, "line too long");
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        } else {
            c->why = "reset";
            return -1;
        }
        if (r.len > 0 && conn_send(c, r.data, r.len, out_room(s)) == -1)
            return -1;
        /* A queued reply stops reading; lines may wait in the reader. */
        if (conn_pending(c))
            c->more = 1;
    }
    return 0;
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

static int add_conn(struct server *s, int fd, const struct sockaddr *sa,
                    socklen_t salen)
{
    struct conn *c;

    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct conn **cs = realloc(s->conns, cap * sizeof *cs);
        struct pollfd *p = realloc(s->pfd, (cap + 1) * sizeof *p);

        if (cs != NULL)
            s->conns = cs;
        if (p != NULL)
            s->pfd = p;
        if (cs == NULL || p == NULL)
            return -1;
        s->cap = cap;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->rd.buf = malloc(s->cfg->max_line);
    c->out = malloc(out_room(s));
    if (c->rd.buf == NULL || c->out == NULL) {
        free(c->rd.buf);
        free(c->out);
        free(c);
        return -1;
    }
    sock_line_reader_init(&c->rd, c->rd.buf, s->cfg->max_line);
    c->fd = fd;
    c->state = C_OPEN;
    if (sock_addr_text(sa, salen, c->peer, sizeof c->peer) == -1)
        strcpy(c->peer, "?");
    s->conns[s->n++] = c;
    say(s, "connected", c);
    if (conn_send(c, SESSION_WELCOME, sizeof SESSION_WELCOME - 1,
                  out_room(s)) == -1)
        c->state = C_CLOSING;   /* gone already: flush fails, it is freed */
    return 0;
}

static void accept_clients(struct server *s, long long now)
{
    int k;

    for (k = 0; k < ACCEPTS_PER_TURN && s->lfd >= 0; k++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = sock_accept(s->lfd, (struct sockaddr *)&ss, &len);

        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                /* Out of descriptors or memory: the pending client stays
                 * queued; pause instead of spinning on a ready listener. */
                fprintf(s->cfg->log, "tcp-server: accept: %s\n",
                        strerror(errno));
                s->accept_paused_until = now + ACCEPT_PAUSE_MS;
            }
            return;   /* EAGAIN: nobody else waiting */
        }
        if (sock_set_nonblock(fd, 1) == -1 ||
            add_conn(s, fd, (struct sockaddr *)&ss, len) == -1) {
            fprintf(s->cfg->log, "tcp-server: accept: %s\n",
                    strerror(errno));
            sock_close(fd);
            continue;
        }
        if (s->cfg->once && ++s->served == 1) {
            /* The article's server: one client, then no more listening. */
            sock_close(s->lfd);
            s->lfd = -1;
        }
    }
}

/* Signal: no more clients; every client is told and closed. */
static void begin_stop(struct server *s)
{
    size_t i;

    if (s->lfd >= 0) {
        sock_close(s->lfd);
        s->lfd = -1;
    }
    for (i = 0; i < s->n; i++) {
        struct conn *c = s->conns[i];

        if (c->state != C_OPEN)
            continue;
        conn_end(c, "server shutting down");
        if (conn_send(c, SESSION_SHUTDOWN, sizeof SESSION_SHUTDOWN - 1,
                      out_room(s)) == -1)
            c->state = C_CLOSING;
    }
}

/* One conn after poll: returns -1 to free it. */
static int conn_step(struct server *s, struct conn *c, short rev,
                     long long now)
{
    if ((rev & (POLLOUT | POLLERR | POLLHUP)) && conn_pending(c) &&
        conn_flush(c) == -1)
        return -1;
    if (c->state == C_OPEN && !conn_pending(c) &&
        ((rev & (POLLIN | POLLERR | POLLHUP)) || c->more) &&
        conn_read(s, c) == -1)
        return -1;
    if (c->state == C_CLOSING && !conn_pending(c) &&
        conn_half_close(c, now) == -1)
        return -1;
    if (c->state == C_DRAIN &&
        (((rev & (POLLIN | POLLERR | POLLHUP)) && conn_drain(c) == -1) ||
         now >= c->deadline))
        return -1;
    return 0;
}

int server_run(int lfd, const struct server_config *cfg,
               volatile sig_atomic_t *stop)
{
    struct server s;
    long long stop_at = -1;
    int rc = 0;

    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.lfd = lfd;
    if (sock_set_nonblock(lfd, 1) == -1) {
        fprintf(cfg->log, "tcp-server: listening socket: %s\n",
                strerror(errno));
        sock_close(lfd);
        return 1;
    }
    s.pfd = malloc(sizeof *s.pfd);
    if (s.pfd == NULL) {
        sock_close(lfd);
        return 1;
    }

    while (s.lfd >= 0 || s.n > 0) {
        long long now = now_ms();
        int timeout = -1, ready;
        size_t i, np = 0, first = 0;

        if (*stop && stop_at < 0) {
            begin_stop(&s);
            stop_at = now + STOP_MS;
        }
        if (stop_at >= 0 && now >= stop_at)
            break;

        if (s.lfd >= 0) {
            if (now >= s.accept_paused_until) {
                s.pfd[0].fd = s.lfd;
                s.pfd[0].events = POLLIN;
            } else {
                s.pfd[0].fd = -1;   /* poll ignores negative descriptors */
                timeout = (int)(s.accept_paused_until - now);
            }
            np = first = 1;
        }
        for (i = 0; i < s.n; i++) {
            struct conn *c = s.conns[i];
            short ev = 0;

            if (conn_pending(c))
                ev = POLLOUT;
            else if (c->state != C_CLOSING)
                ev = POLLIN;
            if (c->more || (c->state == C_CLOSING && !conn_pending(c)))
                timeout = 0;
            if (c->state == C_DRAIN) {
                long long left = c->deadline - now;
                int t = left > 0 ? (int)left : 0;
                if (timeout < 0 || t < timeout)
                    timeout = t;
            }
            s.pfd[first + i].fd = c->fd;
            s.pfd[first + i].events = ev;
            s.pfd[first + i].revents = 0;
            np++;
        }
        if (stop_at >= 0) {
            int t = (int)(stop_at - now);
            if (timeout < 0 || t < timeout)
                timeout = t;
        }

        fflush(cfg->out);
        ready = poll(s.pfd, (nfds_t)np, timeout);
        if (ready == -1) {
            if (errno == EINTR)
                continue;   /* a signal: the loop top checks *stop */
            fprintf(cfg->log, "tcp-server: poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        now = now_ms();

        /* Walk backwards: conn_free() moves the last one into slot i. */
        for (i = s.n; i-- > 0;) {
            if (conn_step(&s, s.conns[i], s.pfd[first + i].revents, now) == -1)
                conn_free(&s, i);
        }
        if (s.lfd >= 0 && first == 1 && (s.pfd[0].revents & POLLIN))
            accept_clients(&s, now);
    }

    while (s.n > 0)
        conn_free(&s, s.n - 1);
    if (s.lfd >= 0)
        sock_close(s.lfd);
    fflush(cfg->out);
    free(s.conns);
    free(s.pfd);
    return rc;
}
