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
 * Only an answer counts: the echo of a line sent and not yet echoed, or
 * an error line the server sends instead of one (too long, for a line
 * longer than its limit; busy).  A stray datagram, a second copy of an
 * echo, a welcome twice, is shown like any other and answers nothing, so
 * it cannot end the exchange before the real echoes are in.  That needs
 * the lines in flight: at most OWED_MAX of them and OWED_BYTES of their
 * bytes are kept; past that, input waits for answers as at its end.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsock.h"
#include "session.h"
#include "client_loop.h"
#include "client_screen.h"

#define DATAGRAM_MAX 65507   /* the most one IPv4 UDP datagram carries */
#define RECV_ROOM    65536
#define INPUT_CHUNK  4096
#define OWED_MAX     1024       /* lines in flight before input waits */
#define OWED_BYTES   (1 << 20)  /* and their bytes */
/* One read of input may send a line per byte past the mark. */
#define OWED_SLOTS   (OWED_MAX + INPUT_CHUNK)

/* A line sent, kept until its answer comes; line NULL once answered. */
struct owed {
    char *line;
    size_t len;
};

struct udp_client {
    int fd, in;
    const char *server;
    FILE *log;
    const struct client_opts *o;
    struct client_screen screen;
    char *line;          /* input being gathered into one datagram */
    size_t len;
    char *reply;
    struct owed *owed;   /* ring of OWED_SLOTS, oldest at head */
    size_t head, slots;  /* slots in use, answered ones among them */
    unsigned long unanswered;
    size_t owed_bytes;
    long long last_rx;   /* when the last datagram came */
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

static struct owed *slot(struct udp_client *c, size_t i)
{
    return &c->owed[(c->head + i) % OWED_SLOTS];
}

/* Enough lines in flight: input waits for answers. */
static int window_full(const struct udp_client *c)
{
    return c->slots >= OWED_MAX || c->owed_bytes >= OWED_BYTES;
}

/* Remember a line sent until it is answered.  Returns 0, or -1 (ENOMEM). */
static int owe(struct udp_client *c, const char *line, size_t len)
{
    struct owed *o = slot(c, c->slots);

    o->line = malloc(len > 0 ? len : 1);
    if (o->line == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(o->line, line, len);
    o->len = len;
    c->slots++;
    c->unanswered++;
    c->owed_bytes += len;
    return 0;
}

/* Line i of the ring is answered: forget it, and the answered ones at
 * the head with it. */
static void answered(struct udp_client *c, size_t i)
{
    struct owed *o = slot(c, i);

    free(o->line);
    o->line = NULL;
    c->owed_bytes -= o->len;
    c->unanswered--;
    while (c->slots > 0 && slot(c, 0)->line == NULL) {
        c->head = (c->head + 1) % OWED_SLOTS;
        c->slots--;
    }
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
    else if (owe(c, c->line, c->len) == -1)
        return -1;
    c->len = 0;
    return 0;
}

/* Read input and send every whole line in it; at its end, the rest.
 * Returns 0, -1 when reading input failed, -2 when sending did (errno
 * set). */
static int from_input(struct udp_client *c)
{
    char chunk[INPUT_CHUNK];
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

/*
 * The line in flight that a reply answers, or -1 if it answers none.
 * An echo answers a line with the same bytes (the oldest, if several);
 * "error: line too long (max N bytes)" the oldest longer than N;
 * "error: server busy" the oldest, which the server turned away.
 */
static long answers(struct udp_client *c, const char *p, size_t len)
{
    static const char too_long[] = "error: line too long (max ";
    size_t i, tl = sizeof too_long - 1, max = 0;
    int is_busy = len == sizeof SESSION_BUSY - 1 &&
                  memcmp(p, SESSION_BUSY, len) == 0;
    int is_long = len > tl && memcmp(p, too_long, tl) == 0;

    for (i = tl; is_long && i < len && p[i] >= '0' && p[i] <= '9'; i++)
        max = max < (size_t)DATAGRAM_MAX ? max * 10 + (size_t)(p[i] - '0')
                                         : max;
    for (i = 0; i < c->slots; i++) {
        const struct owed *o = slot(c, i);

        if (o->line == NULL)
            continue;
        if ((o->len == len && memcmp(o->line, p, len) == 0) || is_busy ||
            (is_long && o->len > max))
            return (long)i;
    }
    return -1;
}

/* One datagram from the server: show it, and count it off what is owed
 * if it answers a line.  Returns 0, or -1 with errno (ECONNREFUSED:
 * nobody at that port). */
static int from_server(struct udp_client *c)
{
    ssize_t n = sock_read(c->fd, c->reply, RECV_ROOM);
    size_t len;
    long i;

    if (n == -1)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    len = (size_t)n;
    if (screen_write(&c->screen, c->reply, len) == -1)
        return -1;
    c->last_rx = sock_clock_ms();
    if (c->want_welcome && len == sizeof SESSION_WELCOME - 1 &&
        memcmp(c->reply, SESSION_WELCOME, len) == 0) {
        c->want_welcome = 0;
    } else if (unasked(c->reply, len)) {
        c->want_welcome = 1;      /* the server forgot us */
    } else if ((i = answers(c, c->reply, len)) >= 0) {
        answered(c, (size_t)i);
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
        int timeout = -1, r, limit;
        long long now = sock_clock_ms();
        /* Waiting for answers: after the input, or with a full window. */
        int waiting = !c->in_open || window_full(c);

        if (!c->in_open && c->unanswered == 0)
            return 0;
        if (!waiting)
            deadline = -1;
        if (waiting && linger_ms >= 0) {
            if (deadline < 0)
                deadline = now + linger_ms;
            if (now >= deadline) {
                fprintf(c->log, "tcp-client: %s: no reply to %lu line%s "
                        "within %d s: lost (UDP does not resend)\n",
                        c->server, c->unanswered,
                        c->unanswered == 1 ? "" : "s", linger_ms / 1000);
                return 1;
            }
            timeout = (int)(deadline - now);
        }
        limit = c->in_open ? c->o->idle_open_ms : c->o->idle_ms;
        if (limit >= 0) {
            long long left = c->last_rx + limit - now;

            if (left <= 0) {
                client_idle_said(c->log, c->server, limit);
                return 1;
            }
            if (timeout < 0 || left < timeout)
                timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        p[0].fd = c->fd;
        p[0].events = POLLIN;
        p[1].fd = c->in_open && !window_full(c) ? c->in : -1;
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
                   int linger_ms, const struct client_opts *o)
{
    struct udp_client c;
    int rc;

    memset(&c, 0, sizeof c);
    c.fd = fd;
    c.in = in;
    c.server = server;
    c.log = log;
    c.o = o;
    c.in_open = 1;
    c.want_welcome = 1;
    c.last_rx = sock_clock_ms();
    c.line = malloc(DATAGRAM_MAX);
    c.reply = malloc(RECV_ROOM);
    c.owed = calloc(OWED_SLOTS, sizeof *c.owed);
    if (screen_open(&c.screen, out, o->escape, RECV_ROOM) == -1 ||
        c.line == NULL || c.reply == NULL || c.owed == NULL)
        rc = fail(&c, "memory for", ENOMEM);
    else
        rc = run(&c, linger_ms);
    screen_close(&c.screen);
    while (c.owed != NULL && c.slots > 0) {
        free(slot(&c, 0)->line);
        c.head = (c.head + 1) % OWED_SLOTS;
        c.slots--;
    }
    free(c.owed);
    free(c.line);
    free(c.reply);
    sock_close(fd);
    return rc;
}
