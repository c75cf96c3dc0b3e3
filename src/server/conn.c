/*
 * conn.c - one connection of tcp-server as a state machine, shared by
 * every design (conn.h): welcoming, reading lines and answering them
 * (session.h), timeouts, the goodbye (FIN, drain).  Who gets a conn at
 * all, and when the server stops, is server.c's.
 *
 * Over SOCK_SEQPACKET (cfg->seqpacket) the kernel keeps messages: each
 * message read is one line (conn_read_msgs()), and each reply goes out
 * as one message, never joined to the next one queued (out_cut).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "libsock.h"
#include "escape.h"
#include "session.h"
#include "conn.h"
#include "server.h"

#define DRAIN_MS        1000  /* how long a closing peer may keep sending */
#define LINGER_MS       5000  /* how long a peer may take to read our last reply */
#define LINES_PER_TURN    64  /* lines one client may have per turn */
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
        /* A message ends at the cut: one write each. */
        size_t end = c->out_cut > c->out_off ? c->out_cut : c->out_len;
        ssize_t n = sock_write(c->fd, c->out + c->out_off, end - c->out_off);

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
    c->out_off = c->out_len = c->out_cut = 0;
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
    /* Messages: a reply behind one still queued keeps its own message.
     * At most two wait (one reply, then a notice that ends the session:
     * a client is not read while a reply waits), so one cut is enough. */
    if (s->cfg->seqpacket && conn_pending(c)) {
        if (c->out_cut > c->out_off) {
            c->why = "reply queue full";
            return -1;
        }
        c->out_cut = c->out_len;
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
    if (c->rd.buf != NULL && sock_line_reader_held(&c->rd) == 0) {
        free(c->rd.buf);
        c->rd.buf = NULL;
    }
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
    int drained = 0;    /* a read of this turn found the socket empty */

    c->more = 0;
    if (reader_get(s, c) == -1) {
        c->why = "out of memory";
        return -1;
    }
    while (c->state == C_OPEN && rc == 0) {
        size_t held = sock_line_reader_held(&c->rd);
        int has_line = sock_line_reader_has_line(&c->rd);
        const char *line;
        size_t len;
        ssize_t got;

        /* The socket had no more at this turn's last read: answering,
         * not a read that would only meet EAGAIN, ends the turn (the
         * wait reports the next bytes: poll and epoll are
         * level-triggered).  A read of an earlier turn does not count:
         * bytes may have come since. */
        if (drained && !has_line)
            break;

        if (conn_pending(c) && !has_line) {
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
        if (!has_line)      /* it read: its verdict on the socket holds */
            drained = sock_line_reader_drained(&c->rd);
        /* Any byte counts as speaking, half a line too (one a second). */
        if (s->cfg->idle_ms > 0 &&
            (got != SOCK_LINE_ERROR || sock_line_reader_held(&c->rd) > held))
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

/*
 * conn_read() over SOCK_SEQPACKET: each message is a line, read whole
 * (one read, one message); one longer than --max-line is cut by the
 * kernel, which MSG_TRUNC reveals, and is answered as a line too long.
 * A reply goes out before the next message is read, so it is a message
 * of its own.  Read 0 is end of file.
 */
static int conn_read_msgs(struct server *s, struct conn *c, long long now)
{
    int budget = LINES_PER_TURN, rc = 0;

    c->more = 0;
    if (reader_get(s, c) == -1) {
        c->why = "out of memory";
        return -1;
    }
    while (c->state == C_OPEN && rc == 0) {
        ssize_t got;

        if (conn_pending(c)) {
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
        got = sock_read_msg(c->fd, c->rd.buf, s->cfg->max_line);
        if (got == -1) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                c->why = "reset";
                rc = -1;
            }
            break;
        }
        if (s->cfg->idle_ms > 0)
            c->deadline = now + s->cfg->idle_ms;
        if (got == 0) {
            c->peer_eof = 1;
            rc = conn_reply(s, c, SESSION_EOF, NULL, 0, "eof", 1);
        } else if ((size_t)got > s->cfg->max_line) {
            rc = conn_reply(s, c, SESSION_TOO_LONG, NULL, 0, "line too long",
                            1);
        } else {
            show_line(s, c, c->rd.buf, (size_t)got);
            rc = conn_reply(s, c, SESSION_LINE, c->rd.buf, (size_t)got,
                            "quit", 1);
        }
    }
    if (rc == 0 && conn_pending(c) && conn_flush(s, c) == -1)
        rc = -1;
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

int conn_add(struct server *s, int fd, const struct sockaddr *sa,
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
    c = calloc(1, s->conn_size);
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
        (s->cfg->seqpacket ? conn_read_msgs(s, c, now)
                           : conn_read(s, c, now)) == -1)
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

void conn_stop(struct server *s, struct conn *c)
{
    if (c->state == C_OPEN)
        conn_reply(s, c, SESSION_STOPPING, NULL, 0, "server shutting down", 0);
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

