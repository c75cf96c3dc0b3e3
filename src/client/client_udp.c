/*
 * client_udp.c - tcp-client -u: the client's half of the exchange over
 * UDP.  The socket is connected, which sends nothing: it only fixes the
 * server as the one peer, so replies from anyone else are dropped by the
 * kernel and an ICMP "port unreachable" comes back as ECONNREFUSED.
 * Each input line goes out as one datagram; each datagram that comes
 * back is written out as it is.
 *
 * There is no FIN to say "that was all", so at the end of input (or
 * after quit) the client waits for the replies still owed, and no longer
 * than the timeout: the server answers every line but quit with exactly
 * one datagram, after a welcome for a new session, so counting them says
 * when the last one is in.  A lost datagram is only noticed by the
 * timeout, and said.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsock.h"
#include "fd_io.h"
#include "session.h"
#include "client_loop.h"

#define DATAGRAM_MAX 65507   /* the most one IPv4 UDP datagram carries */
#define RECV_ROOM    65536

struct udp_client {
    int fd, in, out;
    const char *server;
    FILE *log;
    char *line;          /* input being gathered into one datagram */
    size_t len;
    char *reply;
    unsigned long owed;  /* lines sent and not yet answered */
    int want_welcome;    /* the next "welcome!\n" opens a session */
    int in_open;
};

static int fail(struct udp_client *c, const char *step, int err)
{
    if (err == ECONNREFUSED)
        /* The ICMP answer to a datagram nobody was there to receive. */
        fprintf(c->log, "tcp-client: %s: %s: nothing receives on that UDP port\n",
                c->server, strerror(err));
    else
        fprintf(c->log, "tcp-client: %s %s: %s\n", step, c->server,
                strerror(err));
    return 1;
}

/* Send the line gathered so far as one datagram.  Returns 0, or -1 with
 * errno. */
static int send_line(struct udp_client *c)
{
    int quit = session_is_quit(c->line, c->len);

    if (sock_write(c->fd, c->line, c->len) == -1)
        return -1;
    if (quit)
        c->in_open = 0;   /* nothing comes back for quit; input ends */
    else
        c->owed++;
    c->len = 0;
    return 0;
}

/* Read input and send every whole line in it; at its end, the rest.
 * Returns 0, -1 when reading input failed, -2 when sending did (errno
 * set). */
static int from_input(struct udp_client *c)
{
    char chunk[4096];
    ssize_t n = read(c->in, chunk, sizeof chunk);
    ssize_t i;

    if (n == -1)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) {
        c->in_open = 0;
        /* An unterminated last line is a line too, as over TCP. */
        return c->len > 0 && send_line(c) == -1 ? -2 : 0;
    }
    for (i = 0; i < n && c->in_open; i++) {
        c->line[c->len++] = chunk[i];
        /* A line longer than a datagram goes out in datagram-sized parts. */
        if ((chunk[i] == '\n' || c->len == DATAGRAM_MAX) &&
            send_line(c) == -1)
            return -2;
    }
    return 0;
}

/* Server error lines that end a session without answering a line. */
static int unasked(const char *p, size_t n)
{
    return (n == sizeof SESSION_IDLE - 1 && memcmp(p, SESSION_IDLE, n) == 0) ||
           (n == sizeof SESSION_SHUTDOWN - 1 &&
            memcmp(p, SESSION_SHUTDOWN, n) == 0);
}

/* One datagram from the server: show it, and count it off what is owed.
 * Returns 0, or -1 with errno (ECONNREFUSED: nobody at that port). */
static int from_server(struct udp_client *c)
{
    ssize_t n = sock_read(c->fd, c->reply, RECV_ROOM);
    size_t len;

    if (n == -1)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    len = (size_t)n;
    if (fd_write_all(c->out, c->reply, len) == -1)
        return -1;
    if (c->want_welcome && len == sizeof SESSION_WELCOME - 1 &&
        memcmp(c->reply, SESSION_WELCOME, len) == 0) {
        c->want_welcome = 0;
    } else if (unasked(c->reply, len)) {
        c->want_welcome = 1;      /* the server forgot us */
    } else {
        if (c->owed > 0)
            c->owed--;
        /* Busy or too long: that session is over; the next line opens
         * another. */
        if (len > 7 && memcmp(c->reply, "error: ", 7) == 0)
            c->want_welcome = 1;
    }
    return 0;
}

static int run(struct udp_client *c, int linger_ms)
{
    long long deadline = -1;

    for (;;) {
        struct pollfd p[2];
        int timeout = -1, r;

        if (!c->in_open && c->owed == 0)
            return 0;
        if (!c->in_open && linger_ms >= 0) {
            long long now = sock_clock_ms();

            if (deadline < 0)
                deadline = now + linger_ms;
            if (now >= deadline) {
                fprintf(c->log, "tcp-client: %s: no reply to %lu line%s "
                        "within %d s: lost (UDP does not resend)\n",
                        c->server, c->owed, c->owed == 1 ? "" : "s",
                        linger_ms / 1000);
                return 1;
            }
            timeout = (int)(deadline - now);
        }
        p[0].fd = c->fd;
        p[0].events = POLLIN;
        p[1].fd = c->in_open ? c->in : -1;
        p[1].events = POLLIN;
        p[0].revents = p[1].revents = 0;
        r = poll(p, 2, timeout);
        if (r == -1 && errno != EINTR)
            return fail(c, "poll", errno);
        if (r <= 0)
            continue;
        if (p[0].revents != 0 && from_server(c) == -1)
            return fail(c, "read from", errno);
        if (p[1].revents != 0 && (r = from_input(c)) < 0)
            return fail(c, r == -2 ? "write to" : "read input for", errno);
    }
}

int client_run_udp(int fd, int in, int out, const char *server, FILE *log,
                   int linger_ms)
{
    struct udp_client c;
    int rc;

    memset(&c, 0, sizeof c);
    c.fd = fd;
    c.in = in;
    c.out = out;
    c.server = server;
    c.log = log;
    c.in_open = 1;
    c.want_welcome = 1;
    c.line = malloc(DATAGRAM_MAX);
    c.reply = malloc(RECV_ROOM);
    if (c.line == NULL || c.reply == NULL)
        rc = fail(&c, "memory for", ENOMEM);
    else
        rc = run(&c, linger_ms);
    free(c.line);
    free(c.reply);
    sock_close(fd);
    return rc;
}
