/*
 * client_loop.c - the client's half of the exchange.  The article's Java
 * client writes a line, then waits for the reply before reading the next
 * one; that stalls when a reply has no newline and crawls when input is
 * piped.  Here one poll() loop watches both directions, so the server's
 * bytes show the moment they arrive and piped input streams at full
 * speed.  The socket is non-blocking: a full send buffer parks the input,
 * never the reading of replies, so neither side can deadlock the other.
 * A server that says nothing at all is given up on after the idle limit
 * (-w), so it cannot hold the client, or the script that runs it, for
 * ever; what the server sends reaches a terminal escaped
 * (client_screen.c).
 *
 * Over SOCK_SEQPACKET (o->messages) a write is a message: input waits in
 * the buffer until its line is whole, and each line goes with a write of
 * its own (next_message()); each read brings one message of the server.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "libsock.h"
#include "session.h"
#include "client_loop.h"
#include "client_screen.h"

#define CHUNK 65536

struct client {
    int fd, in, out;
    const char *server;
    FILE *log;
    const struct client_opts *o;
    struct client_screen screen;
    long long last_rx;       /* when the server's bytes last came */
    char *buf;               /* the server's bytes on their way out */
    char *pend;              /* input read but not yet sent */
    size_t pend_off, pend_len;
    int in_open;             /* still reading input */
    int quit;                /* a quit line is (being) sent */
    int in_eof;              /* input ended: half-close once sent */
    int shut;                /* FIN sent */
    struct session_quit q;
};

static int fail(struct client *c, const char *step, int err)
{
    fprintf(c->log, "tcp-client: %s %s: %s\n", step, c->server, strerror(err));
    return 1;
}

/*
 * The server has closed (FIN) or reset (RST) the connection: show what
 * it sent before that and is still buffered, and end with status 0, as
 * when the article's server closes after one line.  After our quit or
 * our EOF a close is the expected end and goes unremarked.  `drain`:
 * there may be bytes left to read (not after a read saw end of file).
 */
static int server_gone(struct client *c, int reset, int drain, int *status)
{
    ssize_t n;

    while (drain && (n = sock_read(c->fd, c->buf, CHUNK)) > 0)
        if (screen_write(&c->screen, c->buf, (size_t)n) == -1)
            break;
    if (reset)
        fprintf(c->log, "tcp-client: server %s reset the connection\n",
                c->server);
    else if (!c->quit && !c->in_eof)
        fprintf(c->log, "tcp-client: server %s closed the connection\n",
                c->server);
    *status = 0;
    return 1;
}

/* The server's bytes, to the screen.  1: the server is done. */
static int from_server(struct client *c, int *status)
{
    ssize_t n = sock_read(c->fd, c->buf, CHUNK);

    if (n > 0) {
        if (screen_write(&c->screen, c->buf, (size_t)n) == -1) {
            *status = errno == EPIPE ? 0 : fail(c, "write to output for", errno);
            return 1;
        }
        /* From when they are shown: a slow screen is not a silent server. */
        c->last_rx = sock_clock_ms();
        return 0;
    }
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n == 0 || errno == ECONNRESET)
        return server_gone(c, n != 0, n != 0, status);
    *status = fail(c, "read from", errno);
    return 1;
}

/*
 * How many queued bytes the next write may send: all of them over a
 * stream; over SOCK_SEQPACKET one message, a line with its newline, or
 * at the end of input (or when a line fills the buffer) what is left.
 * 0: nothing to send yet (a line not yet whole waits for the rest).
 */
static size_t next_message(const struct client *c)
{
    size_t left = c->pend_len - c->pend_off;
    const char *nl;

    if (!c->o->messages || left == 0)
        return left;
    nl = memchr(c->pend + c->pend_off, '\n', left);
    if (nl != NULL)
        return (size_t)(nl - (c->pend + c->pend_off)) + 1;
    return !c->in_open || c->pend_len == CHUNK ? left : 0;
}

/* Queued input, to the server.  1: the server is gone. */
static int to_server(struct client *c, int *status)
{
    size_t m;

    while ((m = next_message(c)) > 0) {
        ssize_t n = sock_write(c->fd, c->pend + c->pend_off, m);
        if (n > 0) {
            c->pend_off += (size_t)n;
        } else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
            return server_gone(c, errno == ECONNRESET, 1, status);
        } else {
            *status = fail(c, "write to", n == 0 ? EIO : errno);
            return 1;
        }
    }
    if (c->pend_off < c->pend_len)
        return 0;   /* part of a line: it waits for the rest of it */
    c->pend_off = c->pend_len = 0;
    if (c->in_eof && !c->shut) {
        /* Tell the server we are done talking, but keep listening. */
        if (sock_shutdown(c->fd, SHUT_WR) == -1 && errno != ENOTCONN) {
            *status = fail(c, "shutdown", errno);
            return 1;
        }
        c->shut = 1;
    }
    return 0;
}

/* More input: queue it, cut after a quit line, note the end.  Over
 * SOCK_SEQPACKET it goes after the part of a line still queued. */
static int from_input(struct client *c, int *status)
{
    size_t kept = c->pend_len - c->pend_off;
    ssize_t n;

    memmove(c->pend, c->pend + c->pend_off, kept);
    c->pend_off = 0;
    c->pend_len = kept;
    n = read(c->in, c->pend + kept, CHUNK - kept);
    if (n > 0) {
        size_t q = session_find_quit(&c->q, c->pend + kept, (size_t)n);
        c->pend_len = kept + (q > 0 ? q : (size_t)n);
        if (q > 0) {
            c->quit = 1;        /* send up to quit, then only listen */
            c->in_open = 0;
        }
    } else if (n == 0) {
        c->in_open = 0;
        c->in_eof = 1;
    } else if (errno != EINTR && errno != EAGAIN) {
        fprintf(c->log, "tcp-client: read input: %s\n", strerror(errno));
        *status = 1;
        return 1;
    }
    return 0;
}

void client_idle_said(FILE *log, const char *server, int limit_ms)
{
    fprintf(log, "tcp-client: %s: nothing received for %d s; giving up\n",
            server, limit_ms / 1000);
}

/*
 * The poll timeout that ends at the idle limit: the input's limit while
 * it is read (a person may be typing), the other after.  0 when the
 * limit is reached, -1 when there is none.
 */
static int idle_wait(const struct client *c, int *limit)
{
    long long left;

    *limit = c->in_open ? c->o->idle_open_ms : c->o->idle_ms;
    if (*limit < 0)
        return -1;
    left = c->last_rx + *limit - sock_clock_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

int client_run(int fd, int in, int out, const char *server, FILE *log,
               const struct client_opts *o)
{
    struct client c;
    int status = 1;

    memset(&c, 0, sizeof c);
    c.fd = fd;
    c.in = in;
    c.out = out;
    c.server = server;
    c.log = log;
    c.o = o;
    c.buf = malloc(CHUNK);
    c.pend = malloc(CHUNK);
    c.in_open = 1;
    c.last_rx = sock_clock_ms();
    if (screen_open(&c.screen, out, o->escape, CHUNK) == -1 ||
        c.buf == NULL || c.pend == NULL || sock_set_nonblock(fd, 1) == -1) {
        fprintf(log, "tcp-client: %s\n", strerror(errno));
        goto out;
    }

    for (;;) {
        struct pollfd p[2];
        nfds_t np = 1;
        int pending = next_message(&c) > 0;
        int limit, wait = idle_wait(&c, &limit);

        if (wait == 0) {
            client_idle_said(log, server, limit);
            break;
        }

        p[0].fd = fd;
        p[0].events = (short)(POLLIN | (pending ? POLLOUT : 0));
        p[0].revents = 0;
        if (c.in_open && !pending) {
            p[1].fd = in;
            p[1].events = POLLIN;
            p[1].revents = 0;
            np = 2;
        }
        if (poll(p, np, wait) == -1) {
            if (errno == EINTR)
                continue;
            fprintf(log, "tcp-client: poll: %s\n", strerror(errno));
            break;
        }
        /* Replies first: they are what the user waits to see. */
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) &&
            from_server(&c, &status))
            break;
        if (np == 2 &&
            (p[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) &&
            from_input(&c, &status))
            break;
        if ((next_message(&c) > 0 || (c.in_eof && !c.shut)) &&
            to_server(&c, &status))
            break;
    }
out:
    screen_close(&c.screen);
    sock_close(fd);
    free(c.buf);
    free(c.pend);
    return status;
}
