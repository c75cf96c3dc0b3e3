/*
 * conn.c - the connection state machine of tcp-server, shared by every
 * design (conn.h): accepting, welcoming, reading lines and answering them
 * (session.h), timeouts, the goodbye (FIN, drain), and the stop.
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
#include "conn.h"

#define DRAIN_MS        1000  /* how long a closing peer may keep sending */
#define LINGER_MS       5000  /* how long a peer may take to read our last reply */
#define STOP_ACCEPTS    4096  /* clients still in the accept queue told at a stop */
#define LINES_PER_TURN    64  /* lines one client may have per turn */
#define ACCEPTS_PER_TURN 256  /* a deep queue (a burst of clients) empties fast */
#define ACCEPT_PAUSE_MS  100  /* no descriptor even for "busy": wait */
#define ERRLINE_ROOM      80  /* room for the longest error line */
#define READ_ROOM      65536  /* bytes one read may bring (see read_room) */

/* A session has ended: it no longer counts against --max-clients. */
static void session_over(struct server *s)
{
    s->open--;
    if (s->hooks != NULL && s->hooks->ended != NULL)
        s->hooks->ended(s->hooks->arg);
}

/* A deadline was set: the drivers look at deadlines from then on. */
static void deadline_set(struct server *s, struct conn *c, long long when)
{
    c->deadline = when;
    if (when < s->next_deadline)
        s->next_deadline = when;
}

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
    if (s->cfg->quiet >= 2)
        return;     /* -q -q: benchmarks do not want the log */
    logq_put(s->cfg->log, LOGQ_OUT, s->shown,
             escape_line(s->shown, c->peer, line, len));
}

void conn_free(struct server *s, size_t i)
{
    struct conn *c = s->conns[i];

    if (c->state == C_OPEN)
        session_over(s);
    say(s, c->session ? "disconnected" : "turned away", c);
    sock_close(c->fd);
    free(c->rd.buf);
    free(c->out);
    free(c);
    s->conns[i] = s->conns[--s->n];
    if (i < s->n)
        s->conns[i]->idx = i;
}

int conn_pending(const struct conn *c)
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

/* How much one read may bring: at least READ_ROOM, so that a client
 * that streams lines costs a read and a write per READ_ROOM bytes, not
 * per line; and at least one longest line. */
static size_t read_room(const struct server *s)
{
    return s->cfg->max_line > READ_ROOM ? s->cfg->max_line : READ_ROOM;
}

/* The replies to the lines of one read (no more bytes than the read
 * brought) and one notice that ends the session: all that is ever
 * queued, as a client is not read meanwhile. */
static size_t out_room(const struct server *s)
{
    return read_room(s) + ERRLINE_ROOM;
}

/* Queue bytes to send.  -1: the session must end at once (no memory,
 * or a reply that does not fit). */
static int conn_queue(struct server *s, struct conn *c, const char *data,
                      size_t len)
{
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
    return conn_queue(s, c, data, len);
}

/* The session is over: finish sending, then half-close and drain.  A
 * peer that will not take the last reply is closed after LINGER_MS. */
static void conn_end(struct server *s, struct conn *c, const char *why)
{
    if (c->why == NULL)
        c->why = why;
    if (c->state == C_OPEN)
        session_over(s);
    c->state = C_CLOSING;
    c->more = 0;
    deadline_set(s, c, s->now + LINGER_MS);
}

/* Reply to an event; end the session if the protocol says so.  With
 * `later`, the reply is only queued: the caller sends the replies of a
 * whole read with one write. */
static int conn_reply(struct server *s, struct conn *c, enum session_event ev,
                      const char *line, size_t len, const char *why,
                      int later)
{
    char errline[ERRLINE_ROOM];
    struct session_reply r;

    session_respond(ev, line, len, s->cfg->max_line, errline, sizeof errline,
                    &r);
    if (r.end)
        conn_end(s, c, why);
    if (r.len == 0)
        return 0;
    return later ? conn_queue(s, c, r.data, r.len)
                 : conn_send(s, c, r.data, r.len);
}

/* Once the queue is empty: FIN, then wait (briefly) for the peer's FIN. */
static int conn_half_close(struct server *s, struct conn *c, long long now)
{
    if (sock_shutdown(c->fd, SHUT_WR) == -1 || c->peer_eof)
        return -1;   /* gone, or both sides done: close now */
    c->state = C_DRAIN;
    deadline_set(s, c, now + DRAIN_MS);
    return 0;
}

/* The line buffer exists only while it holds bytes. */
static int reader_get(struct server *s, struct conn *c)
{
    if (c->rd.buf == NULL) {
        char *b = malloc(read_room(s));
        if (b == NULL)
            return -1;
        sock_line_reader_init(&c->rd, b, read_room(s));
        c->rd.limit = s->cfg->max_line;
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

/* A whole line is buffered: the next sock_read_line() will not read. */
static int reader_has_line(const struct sock_line_reader *lr)
{
    size_t held;

    if (lr->buf == NULL)
        return 0;
    held = lr->end - lr->start;
    return held > lr->scan &&
           memchr(lr->buf + lr->start + lr->scan, '\n', held - lr->scan) != NULL;
}

/*
 * Read and answer lines until the socket is empty or replies wait.  The
 * replies to the lines one read brought are queued, then sent with one
 * write before the socket is read again; while some of them wait for
 * room, the client is not read (backpressure).  Returns -1 when the
 * connection must be dropped at once.
 */
static int conn_read(struct server *s, struct conn *c, long long now)
{
    int budget = LINES_PER_TURN, rc = 0;

    c->more = 0;
    if (reader_get(s, c) == -1) {
        c->why = "out of memory";
        return -1;
    }
    c->rd.drained = 0;
    while (c->state == C_OPEN && rc == 0) {
        size_t held = c->rd.end - c->rd.start;
        const char *line;
        size_t len;
        ssize_t got;

        /* The socket had no more at the last read: answering, not a
         * read that would only meet EAGAIN, ends the turn (the wait
         * reports the next bytes: poll and epoll are level-triggered). */
        if (c->rd.drained && !reader_has_line(&c->rd))
            break;

        if (conn_pending(c) && !reader_has_line(&c->rd)) {
            /* Every line of the last read is answered: send them all. */
            if (conn_flush(s, c) == -1) {
                rc = -1;
                break;
            }
            if (conn_pending(c))
                break;      /* the client reads slower than it writes */
        }
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
            rc = conn_reply(s, c, SESSION_LINE, line, len, "quit", 1);
        } else if (got == SOCK_LINE_PARTIAL) {
            c->peer_eof = 1;
            show_line(s, c, line, len);
            rc = conn_reply(s, c, SESSION_LAST_LINE, line, len,
                            session_is_quit(line, len) ? "quit" : "eof", 1);
        } else if (got == SOCK_LINE_EOF) {
            c->peer_eof = 1;
            rc = conn_reply(s, c, SESSION_EOF, NULL, 0, "eof", 1);
        } else {
            rc = conn_reply(s, c, SESSION_TOO_LONG, NULL, 0, "line too long",
                            1);
        }
    }
    /* What this turn answered goes out now, in one write. */
    if (rc == 0 && conn_pending(c) && conn_flush(s, c) == -1)
        rc = -1;
    /* Replies wait: no reading until they are sent; lines may wait in
     * the reader meanwhile. */
    if (rc == 0 && c->state == C_OPEN && conn_pending(c))
        c->more = 1;
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
void conn_peer_ip(const struct sockaddr *sa, unsigned char ip[16])
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

/* Sessions open now, all (ip NULL) or from ip: here, or in the design
 * the hooks speak for. */
static size_t sessions_open(const struct server *s, const unsigned char *ip)
{
    if (s->hooks != NULL && s->hooks->sessions != NULL)
        return s->hooks->sessions(s->hooks->arg, ip);
    return ip == NULL ? s->open : sessions_from(s, ip);
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

        if (cs == NULL)
            return -1;
        s->conns = cs;
        s->cap = cap;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return -1;
    c->fd = fd;
    c->session = (unsigned char)session;
    conn_peer_ip(sa, c->ip);
    if (sock_addr_text(sa, salen, c->peer, sizeof c->peer) == -1)
        strcpy(c->peer, "?");
    c->idx = s->n;
    s->conns[s->n++] = c;
    if (!session) {
        c->state = C_CLOSING;
        deadline_set(s, c, s->now + LINGER_MS);
        conn_reply(s, c, SESSION_FULL, NULL, 0, "server busy", 0);
        return 0;   /* a failed send ends it on its next turn */
    }
    c->state = C_OPEN;
    s->open++;
    if (s->cfg->idle_ms > 0)
        deadline_set(s, c, s->now + s->cfg->idle_ms);
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
static void close_now_ev(int fd, enum session_event why)
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
        close_now_ev(fd, SESSION_FULL);
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
            close_now_ev(fd, SESSION_FULL);
        s->reserve = open_reserve();
        if (fd >= 0 && s->reserve >= 0)
            return;
    }
    s->accept_paused_until = now + ACCEPT_PAUSE_MS;
}

void server_accept(struct server *s, long long now)
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
            close_now_ev(fd, SESSION_FULL);
            continue;
        }
        conn_peer_ip(sa, ip);
        if (sessions_open(s, NULL) >= s->cfg->max_clients ||
            (s->cfg->max_per_ip > 0 &&
             sessions_open(s, ip) >= s->cfg->max_per_ip)) {
            turn_away(s, fd, sa, len);
            continue;
        }
        if (s->hooks != NULL && s->hooks->hand_off != NULL) {
            if (s->hooks->hand_off(s->hooks->arg, fd, sa, len) == -1)
                turn_away(s, fd, sa, len);
        } else if (add_conn(s, fd, sa, len, 1) == -1) {
            logq_printf(s->cfg->log, LOGQ_ERR, "tcp-server: accept: %s\n",
                        strerror(errno));
            close_now_ev(fd, SESSION_FULL);
            continue;
        }
        if (s->cfg->once && ++s->served == 1) {
            /* The article's server: one client, then no more listening. */
            sock_close(s->lfd);
            s->lfd = -1;
        }
    }
}

void server_stop_listening(int lfd)
{
    int k, fd;

    for (k = 0; k < STOP_ACCEPTS && (fd = sock_accept(lfd, NULL, NULL)) >= 0;
         k++)
        close_now_ev(fd, SESSION_STOPPING);
    sock_close(lfd);
}

/* Signal: no more clients.  Those that finished their handshake and wait
 * in the accept queue are taken and told (closing the listener would
 * reset them), then the listener goes, so new ones are refused.  Every
 * client is told and closed. */
void server_begin_stop(struct server *s)
{
    size_t i;

    if (s->lfd >= 0) {
        server_stop_listening(s->lfd);
        s->lfd = -1;
    }
    for (i = 0; i < s->n; i++) {
        struct conn *c = s->conns[i];

        /* A failed send leaves it CLOSING: freed on its next turn. */
        if (c->state == C_OPEN)
            conn_reply(s, c, SESSION_STOPPING, NULL, 0,
                       "server shutting down", 0);
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
                          "not reading replies", 0);
    }
    return conn_reply(s, c, SESSION_IDLE_OUT, NULL, 0, "idle timeout", 0);
}

int conn_step(struct server *s, struct conn *c, int ev, long long now)
{
    if ((ev & (CONN_OUT | CONN_ERR)) && conn_pending(c) &&
        conn_flush(s, c) == -1)
        return -1;
    if (c->state == C_OPEN && !conn_pending(c) &&
        ((ev & (CONN_IN | CONN_ERR)) || c->more) &&
        conn_read(s, c, now) == -1)
        return -1;
    if (c->state == C_OPEN && s->cfg->idle_ms > 0 && now >= c->deadline &&
        conn_timed_out(s, c) == -1)
        return -1;
    if (c->state == C_CLOSING && !conn_pending(c) &&
        conn_half_close(s, c, now) == -1)
        return -1;
    if (c->state == C_CLOSING && now >= c->deadline)
        return -1;   /* it would not read our last words */
    if (c->state == C_DRAIN &&
        (((ev & (CONN_IN | CONN_ERR)) && conn_drain(c) == -1) ||
         now >= c->deadline))
        return -1;
    return 0;
}

int conn_has_work(const struct conn *c)
{
    /* Not while a reply is queued: then only a writable socket helps. */
    return !conn_pending(c) &&
           ((c->state == C_OPEN && c->more) || c->state == C_CLOSING);
}

int conn_wants(const struct conn *c)
{
    return conn_pending(c) ? CONN_OUT : c->state != C_CLOSING ? CONN_IN : 0;
}

int conn_timed(const struct server *s, const struct conn *c)
{
    return c->state != C_OPEN || s->cfg->idle_ms > 0;
}

/* Lower *timeout to reach `deadline` (poll's -1 means none yet). */
void wake_by(int *timeout, long long deadline, long long now)
{
    long long left = deadline - now;
    int t = left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;

    if (*timeout < 0 || t < *timeout)
        *timeout = t;
}


void drain_wake(int fd)
{
    char sink[64];

    while (read(fd, sink, sizeof sink) > 0)
        ;
}

void close_now(int fd, int shutting_down)
{
    close_now_ev(fd, shutting_down ? SESSION_STOPPING : SESSION_FULL);
}

int server_add(struct server *s, int fd, const struct sockaddr *sa,
               socklen_t salen)
{
    return add_conn(s, fd, sa, salen, 1);
}

int server_init(struct server *s, const struct server_config *cfg, int lfd)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->lfd = lfd;
    s->emfile_said = -1000000;
    s->next_deadline = CONN_NEVER;
    s->now = sock_clock_ms();
    s->reserve = lfd >= 0 ? open_reserve() : -1;
    s->shown = malloc(ESCAPE_LINE_MAX(SOCK_ADDR_TEXT_MAX, cfg->max_line));
    if (s->shown == NULL || (lfd >= 0 && sock_set_nonblock(lfd, 1) == -1))
        return -1;
    return 0;
}

void server_fini(struct server *s)
{
    while (s->n > 0)
        conn_free(s, s->n - 1);
    if (s->lfd >= 0)
        sock_close(s->lfd);
    s->lfd = -1;
    if (s->reserve >= 0)
        close(s->reserve);
    free(s->conns);
    free(s->shown);
}
