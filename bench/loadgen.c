/*
 * loadgen.c - the benchmark's load generator: many clients of the
 * article's exchange ("welcome!", then an echo of every line until
 * "quit") in one process, with epoll and non-blocking sockets.  Every
 * byte a server sends back is checked against what it should be: the
 * welcome, and each echo against the line we sent.  A mismatch, a reset,
 * an early close or a timeout is an error, and any error fails the run.
 *
 * Modes (bench/README.md says more):
 *   lockstep   each client sends a line, waits for its echo, N times;
 *   pipelined  each client streams N lines, reading echoes as they come,
 *              with at most --window bytes unanswered;
 *   churn      for --duration seconds: connect, welcome, quit, close;
 *   idle       open N connections and hold them silent; optionally one
 *              more client works meanwhile; then check each still echoes.
 *
 * The exchange runs over TCP (the default), over an AF_LOCAL stream
 * socket (-U PATH: everything after the connect is the same byte stream)
 * or over UDP (-u: one line per datagram; see "UDP" below).
 *
 * It talks to loopback addresses only: it is a flood by design.
 * Output: one line on stdout, "ok ..." or "fail ...", key=value fields.
 * Exit status: 0 ok, 1 errors, 2 usage, 3 the --limit time ran out.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): getopt_long, SOCK_NONBLOCK */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#define WELCOME       "welcome!\n"
#define WELCOME_LEN   (sizeof WELCOME - 1)
#define QUIT          "quit\n"
#define QUIT_LEN      (sizeof QUIT - 1)
#define RBUF_SIZE     (256 * 1024)   /* one shared receive buffer */
#define OUT_MAX       (64 * 1024)    /* a client's send chunk, at most */
#define MAX_LEN       65536          /* longest line we generate */
#define MAX_CLIENTS   100000
#define EVENTS        512
#define TICK_MS       100            /* timeouts are checked this often */
#define TURNS         64             /* sends (or reads) per client per wake-up */
#define SHOWN_ERRORS  5              /* errors described on stderr */
#define FILL_ROT      61             /* distinct line patterns per line number */
#define UDP_MAX       65507          /* the longest datagram IPv4 carries */
#define UDP_MIN_LEN   18             /* a UDP line carries its number and client's */
#define UDP_BATCH     64             /* datagrams per sendmmsg or recvmmsg */
#define UDP_WINDOW    65536          /* datagrams in flight per client, at most */

enum mode { M_LOCKSTEP, M_PIPELINED, M_CHURN, M_IDLE };
static const char *const mode_name[] = { "lockstep", "pipelined", "churn", "idle" };
enum proto { P_TCP, P_UNIX, P_UDP };
static const char *const proto_name[] = { "tcp", "unix", "udp" };

/* Where a client is.  The run moves all its clients through phases
 * (connect, work, check, quit); each client reports when it has done its
 * part of the current phase (phase_done). */
enum state {
    S_FREE,      /* no connection */
    S_CONNECT,   /* non-blocking connect under way */
    S_RETRY,     /* AF_LOCAL: the listen queue was full; connect again */
    S_WELCOME,   /* connected, reading the welcome */
    S_IDLE,      /* welcomed and silent: nothing may arrive */
    S_WORK,      /* sending lines and checking their echoes */
    S_QUIT,      /* quit sent (or half-closed): waiting for the close
                    (UDP: the quit is sent, nothing more may come) */
    S_CLOSED,    /* closed cleanly */
    S_FAILED     /* an error ended it */
};

struct client {
    int fd;
    unsigned id;
    unsigned ev;              /* epoll interest now */
    unsigned char st;         /* enum state */
    unsigned char owes;       /* 1 while it has not finished this phase */
    long long deadline;       /* ms: its current step must end by then */
    size_t got;               /* welcome bytes checked so far */
    unsigned long lines;      /* lines to send in this work */
    unsigned long gen;        /* lines put in the send stream so far */
    unsigned long long rx;    /* echoed bytes checked so far */
    size_t window;            /* unanswered bytes allowed */
    char *out;                /* generated, not yet sent */
    size_t out_cap, out_len, out_off;
    /* UDP: lines are numbered through the session (the first, which
     * opens it, is 0); those of this work are base, base + 1, ... */
    unsigned long seq;        /* the next line's number */
    unsigned long base;       /* the first line of this work */
    unsigned long resolved;   /* lines of this work echoed or lost */
    unsigned long wlost;      /* of them, lost */
    struct slot *ring;        /* the last rl lines, by number modulo rl */
    unsigned wl;              /* lines in flight, at most */
    unsigned rl;              /* 2 wl: those in flight, and as many before */
};

/* UDP: what became of a line sent. */
enum { SL_WAIT, SL_ECHOED, SL_LOST, SL_LATE };
struct slot {
    unsigned long li;         /* its number */
    long long at;             /* ms: when it was sent (0: not yet) */
    unsigned char st;
};

struct lg {
    /* settings */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    enum proto proto;
    char target[128];         /* the server, for messages */
    int port;
    enum mode mode, active;   /* active: the idle mode's working client */
    int has_active;
    unsigned clients, connects;
    unsigned long lines;
    size_t len, window;
    double duration, hold;
    int has_duration;
    int welcome, quit, sync;
    long long op_ms, limit_ms;
    long long lost_ms;        /* UDP: a line not echoed by then is lost */

    /* the run */
    int ep;
    struct client *cl;
    unsigned ncl;
    const char *phase;
    unsigned owing;           /* clients that owe the current phase */
    unsigned connecting;      /* connects in flight (to welcome) */
    unsigned next;            /* next client to connect (connect phase) */
    int relaunch;             /* churn: reconnect a client that finished */
    long long now, t_start, limit_at, churn_end, last_done;
    long long work_end;       /* no new lines after this (0: none) */
    unsigned long long completed;   /* churn: connections done */
    unsigned long long ops;         /* lines echoed in whole works */
    unsigned long long lost, late;  /* UDP: lines lost; echoes after that */
    unsigned long errors;
    char first[240];
    char *rbuf;
    char *fill;               /* the pattern lines are cut from */
    char *vline;              /* the line being checked, cached */
    unsigned vcid;
    unsigned long vli;
    int timed_out;
};

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the lines ------------------------------------------------------ */

/*
 * Line li of client cid, len bytes, the last one '\n': a cut of a
 * repeating alphabet (so it can never read "quit"), starting with the
 * line number and the client's id in hex when there is room, so that a
 * line echoed twice, dropped, reordered or sent to the wrong client is
 * caught by the byte comparison.
 */
static void gen_line(const struct lg *g, unsigned cid, unsigned long li,
                     char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t body = g->len - 1, i;

    memcpy(out, g->fill + (cid + li) % FILL_ROT, body);
    if (body >= 8)
        for (i = 0; i < 8; i++)
            out[i] = hex[(li >> (28 - 4 * i)) & 15];
    if (body >= 17) {
        out[8] = '.';
        for (i = 0; i < 8; i++)
            out[9 + i] = hex[(cid >> (28 - 4 * i)) & 15];
    }
    out[body] = '\n';
}

static int make_fill(struct lg *g)
{
    static const char abc[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
    size_t i, n = g->len + FILL_ROT;

    g->fill = malloc(n);
    g->vline = malloc(g->len);
    if (g->fill == NULL || g->vline == NULL)
        return -1;
    for (i = 0; i < n; i++)
        g->fill[i] = abc[i % (sizeof abc - 1)];
    g->vcid = UINT_MAX;
    return 0;
}

/* ---- errors --------------------------------------------------------- */

static void phase_done(struct lg *g, struct client *c);

/* End a client with an error: counted, the first few described. */
static void fail(struct lg *g, struct client *c, const char *fmt, ...)
{
    char msg[200], *p;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The result stays one line: first="..." holds no quote, no newline. */
    for (p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 32 || *p == '"' || *p == 127)
            *p = '.';
    if (g->errors == 0)
        snprintf(g->first, sizeof g->first, "client %u: %s", c->id, msg);
    if (g->errors < SHOWN_ERRORS)
        fprintf(stderr, "loadgen: client %u: %s (phase %s)\n", c->id, msg,
                g->phase);
    g->errors++;
    if (c->st == S_CONNECT || c->st == S_RETRY || c->st == S_WELCOME)
        g->connecting--;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->st = S_FAILED;
    free(c->out);
    c->out = NULL;
    if (c->owes)
        phase_done(g, c);
}

static const char *errtext(int err)
{
    return err == 0 ? "no error" : strerror(err);
}

/* ---- epoll interest ------------------------------------------------- */

static int want(struct lg *g, struct client *c, unsigned ev)
{
    struct epoll_event e;

    if (c->ev == ev)
        return 0;
    memset(&e, 0, sizeof e);
    e.events = ev;
    e.data.ptr = c;
    if (epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &e) == -1) {
        fail(g, c, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    c->ev = ev;
    return 0;
}

/* ---- phases --------------------------------------------------------- */

static void start_connect(struct lg *g, struct client *c);

static void phase_done(struct lg *g, struct client *c)
{
    c->owes = 0;
    g->owing--;
}

/* Start as many connects as the in-flight cap allows (the connect phase;
 * a no-op after it, when g->next == g->ncl). */
static void connect_more(struct lg *g)
{
    unsigned turns = g->connects;

    while (turns-- > 0 && g->next < g->ncl && g->connecting < g->connects)
        start_connect(g, &g->cl[g->next++]);
}

static void udp_connect(struct lg *g, struct client *c);
static void udp_start_work(struct lg *g, struct client *c, unsigned long lines,
                           size_t window);
static void udp_quit(struct lg *g, struct client *c);

static void start_connect(struct lg *g, struct client *c)
{
    struct epoll_event e;
    int one = 1;

    if (g->proto == P_UDP) {
        udp_connect(g, c);
        return;
    }
    c->got = 0;
    c->ev = 0;
    if (c->st == S_RETRY)
        g->connecting--;   /* counted already, and its deadline stands */
    else
        c->deadline = g->now + g->op_ms;
    g->connecting++;
    c->st = S_CONNECT;
    c->fd = socket(g->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd == -1) {
        fail(g, c, "socket: %s", strerror(errno));
        return;
    }
    /* Our lines go out as we write them: Nagle must not time the test. */
    if (g->proto == P_TCP)
        (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&g->addr, g->addrlen) == -1 &&
        errno != EINPROGRESS) {
        /* An AF_LOCAL connect does not wait: with the listen queue full
         * it says EAGAIN at once.  Again at the next tick, until the
         * deadline. */
        if (errno == EAGAIN && g->proto == P_UNIX) {
            close(c->fd);
            c->fd = -1;
            c->st = S_RETRY;
            return;
        }
        fail(g, c, "connect %s: %s", g->target, strerror(errno));
        return;
    }
    memset(&e, 0, sizeof e);
    e.events = EPOLLOUT;
    e.data.ptr = c;
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &e) == -1) {
        fail(g, c, "epoll_ctl: %s", strerror(errno));
        return;
    }
    c->ev = EPOLLOUT;
}

static void start_quit(struct lg *g, struct client *c);

/* Welcomed: the connect phase is done for it (in churn it quits). */
static void welcomed(struct lg *g, struct client *c)
{
    g->connecting--;
    c->st = S_IDLE;
    if (want(g, c, EPOLLIN) == -1)
        return;
    if (g->mode == M_CHURN) {
        start_quit(g, c);
        return;
    }
    phase_done(g, c);
}

static int pump(struct lg *g, struct client *c);

/* Begin sending `lines` lines with at most `window` bytes unanswered
 * (lockstep: one line). */
static void start_work(struct lg *g, struct client *c, unsigned long lines,
                       size_t window)
{
    if (g->proto == P_UDP) {
        udp_start_work(g, c, lines, window);
        return;
    }
    c->owes = 1;
    g->owing++;
    c->st = S_WORK;
    c->lines = lines;
    c->gen = 0;
    c->rx = 0;
    c->window = window;
    c->out_cap = window < OUT_MAX ? window : OUT_MAX;
    if (c->out_cap < g->len)
        c->out_cap = g->len;
    c->out_len = c->out_off = 0;
    c->deadline = g->now + g->op_ms;
    c->out = malloc(c->out_cap);
    if (c->out == NULL) {
        fail(g, c, "out of memory");
        return;
    }
    (void)pump(g, c);
}

/* End the session: "quit", or a half-close for peers without quit. */
static void start_quit(struct lg *g, struct client *c)
{
    if (g->proto == P_UDP) {
        udp_quit(g, c);
        return;
    }
    c->st = S_QUIT;
    c->deadline = g->now + g->op_ms;
    if (!g->quit) {
        if (shutdown(c->fd, SHUT_WR) == -1)
            fail(g, c, "shutdown: %s", strerror(errno));
        return;
    }
    /* Five bytes into an empty socket buffer: a short send would be a
     * broken kernel, and is reported as such. */
    if (send(c->fd, QUIT, QUIT_LEN, MSG_NOSIGNAL) != (ssize_t)QUIT_LEN)
        fail(g, c, "send quit: %s", errtext(errno));
}

/* ---- the work: send lines, check echoes ----------------------------- */

/* Bytes sent so far (generated minus not yet sent). */
static unsigned long long sent_bytes(const struct lg *g, const struct client *c)
{
    return (unsigned long long)c->gen * g->len - (c->out_len - c->out_off);
}

/* Fill the send chunk with whole lines, as far as the window allows;
 * past --duration, no more lines: the work ends with those sent. */
static void refill(struct lg *g, struct client *c)
{
    unsigned long long unanswered = (unsigned long long)c->gen * g->len - c->rx;

    if (g->work_end > 0 && g->now >= g->work_end)
        c->lines = c->gen;
    c->out_len = c->out_off = 0;
    while (c->gen < c->lines && unanswered + g->len <= c->window &&
           c->out_len + g->len <= c->out_cap) {
        gen_line(g, c->id, c->gen, c->out + c->out_len);
        c->out_len += g->len;
        c->gen++;
        unanswered += g->len;
    }
}

/* Send what we may; ask for EPOLLOUT only while bytes wait for room. */
static int pump(struct lg *g, struct client *c)
{
    int turns;

    for (turns = 0; turns < TURNS; turns++) {
        ssize_t n;

        if (c->out_off == c->out_len) {
            refill(g, c);
            if (c->out_len == 0)
                break;   /* all sent, or the window is full */
        }
        n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                 MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        fail(g, c, "send after %llu bytes: %s", sent_bytes(g, c), errtext(errno));
        return -1;
    }
    return want(g, c, EPOLLIN | (c->out_off < c->out_len ? EPOLLOUT : 0u));
}

/* Check n echoed bytes against the lines sent. */
static int check_echo(struct lg *g, struct client *c, const char *p, size_t n)
{
    if (c->rx + n > sent_bytes(g, c)) {
        fail(g, c, "%zu bytes came back, only %llu were sent and not yet echoed",
             n, sent_bytes(g, c) - c->rx);
        return -1;
    }
    while (n > 0) {
        unsigned long li = (unsigned long)(c->rx / g->len);
        size_t pos = (size_t)(c->rx % g->len);
        size_t m = g->len - pos < n ? g->len - pos : n;

        if (g->vcid != c->id || g->vli != li) {
            gen_line(g, c->id, li, g->vline);
            g->vcid = c->id;
            g->vli = li;
        }
        if (memcmp(p, g->vline + pos, m) != 0) {
            size_t k = 0;

            while (p[k] == g->vline[pos + k])
                k++;
            fail(g, c, "echo of line %lu differs at byte %zu: sent 0x%02x, got 0x%02x",
                 li, pos + k, (unsigned char)g->vline[pos + k],
                 (unsigned char)p[k]);
            return -1;
        }
        p += m;
        n -= m;
        c->rx += m;
    }
    return 0;
}

static void work_readable(struct lg *g, struct client *c)
{
    int turns;

    for (turns = 0; turns < TURNS; turns++) {
        ssize_t n = recv(c->fd, g->rbuf, RBUF_SIZE, 0);

        if (n > 0) {
            c->deadline = g->now + g->op_ms;
            if (check_echo(g, c, g->rbuf, (size_t)n) == -1 || pump(g, c) == -1)
                return;
            if (c->rx == (unsigned long long)c->lines * g->len) {
                free(c->out);
                c->out = NULL;
                c->st = S_IDLE;
                g->ops += c->lines;
                phase_done(g, c);
                return;
            }
            /* Lockstep: the echo is whole, the next line just went out;
             * a read now would only say EAGAIN. */
            if (c->window == g->len)
                return;
            continue;
        }
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n == 0)
            fail(g, c, "server closed after %llu of %llu echoed bytes",
                 c->rx, (unsigned long long)c->lines * g->len);
        else
            fail(g, c, "recv after %llu echoed bytes: %s", c->rx, strerror(errno));
        return;
    }
}

/* A session is over, cleanly: churn counts it and starts the next. */
static void session_ended(struct lg *g, struct client *c)
{
    if (g->mode == M_CHURN) {
        g->completed++;
        g->last_done = g->now;
        if (g->relaunch && g->now < g->churn_end) {
            start_connect(g, c);
            return;
        }
    }
    phase_done(g, c);
}

/* ---- UDP: one line per datagram ------------------------------------- */

/*
 * Each client is a UDP socket connected to the server, so the kernel
 * gives it the server's datagrams only.  Its first datagram, line 0,
 * opens its session: the server answers with the welcome datagram, then
 * the echo.  Every line carries its number and its client's (lines are
 * at least UDP_MIN_LEN bytes), so each datagram says which line it
 * echoes, and it must be that line byte for byte.
 *
 * Nothing is sent again.  A line is lost when the echo of a later line
 * comes first (loopback keeps the order: it was dropped, or if merely
 * overtaken it is counted lost, then late), or when --loss-timeout has
 * passed since it went out.  Lost lines are counted (lost=N), are not
 * ops, and do not fail the run: losing datagrams is what UDP may do.  The
 * echo of a lost line that comes after all counts as late=N; so does
 * one older than the lines remembered (the last 2 wl: those in flight
 * and as many before them), whose fate is forgotten.  An error, as over TCP: a datagram that is not the welcome
 * where the welcome is due, not exactly a line sent, or an echo of a
 * line echoed already; the first line left unanswered; no datagram at
 * all for --timeout while lines wait.
 */

static unsigned long udp_unsent(const struct lg *g, const struct client *c)
{
    return (unsigned long)((c->out_len - c->out_off) / g->len);
}

static struct slot *slot_of(const struct client *c, unsigned long li)
{
    return &c->ring[li % c->rl];
}

/* A ring for wl lines in flight, and as many before them (so that an
 * echo that comes twice in a row is told, even once its line's place in
 * the window is taken).  A new session forgets every line; a new work
 * keeps what the old ring knew of the latest lines. */
static int udp_ring(struct client *c, unsigned wl, int keep)
{
    unsigned i, rl = 2 * wl;
    struct slot *r;

    if (keep && c->wl == wl)
        return 0;
    r = malloc(rl * sizeof *r);
    if (r == NULL)
        return -1;
    for (i = 0; i < rl; i++) {
        r[i].li = ULONG_MAX;
        r[i].at = 0;
        r[i].st = SL_ECHOED;
    }
    for (i = 0; keep && i < c->rl; i++) {
        struct slot *o = &c->ring[i], *n = &r[o->li % rl];

        if (o->li != ULONG_MAX && (n->li == ULONG_MAX || n->li < o->li))
            *n = *o;
    }
    free(c->ring);
    c->ring = r;
    c->wl = wl;
    c->rl = rl;
    return 0;
}

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
    gen_line(g, c->id, 0, g->vline);
    g->vcid = c->id;
    g->vli = 0;
    if (send(c->fd, g->vline, g->len, 0) != (ssize_t)g->len) {
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

/* Every line of this work before line li is lost. */
static void udp_lose_upto(struct lg *g, struct client *c, unsigned long li)
{
    while (c->base + c->resolved < li) {
        slot_of(c, c->base + c->resolved)->st = SL_LOST;
        c->resolved++;
        c->wlost++;
        g->lost++;
    }
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

static void udp_start_work(struct lg *g, struct client *c, unsigned long lines,
                           size_t window)
{
    unsigned long wl = window / g->len;

    c->owes = 1;
    g->owing++;
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

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* The number of the line a datagram claims to echo: its first 8 hex
 * digits are the low 32 bits; the rest is taken from the latest line
 * with those bits.  ULONG_MAX: not a number. */
static unsigned long udp_line_number(const struct client *c, const char *p)
{
    unsigned long last = c->seq - 1, low = 0;
    int i;

    for (i = 0; i < 8; i++) {
        int d = hexval(p[i]);

        if (d < 0)
            return ULONG_MAX;
        low = low << 4 | (unsigned long)d;
    }
    return last - ((last - low) & 0xffffffffUL);
}

/* One datagram from the server: -1 when it ended the client. */
static int udp_datagram(struct lg *g, struct client *c, const char *p, size_t n,
                        int truncated)
{
    const char *when = c->st == S_WELCOME ? "for the first line"
                       : c->st == S_WORK  ? "while lines wait"
                       : c->st == S_QUIT  ? "before the quit"
                                          : "while silent";
    unsigned long li, sent;
    struct slot *s;

    if (c->st == S_WELCOME && g->welcome && c->got == 0) {
        if (truncated || n != WELCOME_LEN || memcmp(p, WELCOME, n) != 0) {
            fail(g, c, "the first datagram is not the welcome: %zu bytes '%.*s'",
                 n, (int)(n < 60 ? n : 60), p);
            return -1;
        }
        c->got = n;
        c->deadline = g->now + g->op_ms;
        return 0;
    }
    if (truncated || n != g->len) {
        fail(g, c, "a datagram of %zu bytes%s %s, lines are %zu: '%.*s'", n,
             truncated ? " or more" : "", when, g->len, (int)(n < 60 ? n : 60), p);
        return -1;
    }
    sent = c->seq - udp_unsent(g, c);
    li = udp_line_number(c, p);
    if (li >= sent) {
        fail(g, c, "a datagram %s that echoes no line sent: '%.*s'", when,
             (int)(n < 60 ? n : 60), p);
        return -1;
    }
    if (g->vcid != c->id || g->vli != li) {
        gen_line(g, c->id, li, g->vline);
        g->vcid = c->id;
        g->vli = li;
    }
    if (memcmp(p, g->vline, n) != 0) {
        size_t k = 0;

        while (p[k] == g->vline[k])
            k++;
        fail(g, c, "the echo of line %lu differs at byte %zu: sent 0x%02x, got 0x%02x",
             li, k, (unsigned char)g->vline[k], (unsigned char)p[k]);
        return -1;
    }
    s = slot_of(c, li);
    if (c->st == S_WORK && li >= c->base + c->resolved) {
        udp_lose_upto(g, c, li);   /* those before it: dropped */
        s->st = SL_ECHOED;
        c->resolved++;
        c->deadline = g->now + g->op_ms;
        return 0;
    }
    if (c->st == S_WELCOME) {
        s->st = SL_ECHOED;
        welcomed(g, c);
        return 0;
    }
    /* An older line: late if it was lost or is forgotten. */
    if (s->li == li && s->st != SL_LOST) {
        fail(g, c, "line %lu echoed twice", li);
        return -1;
    }
    if (s->li == li)
        s->st = SL_LATE;
    g->late++;
    c->deadline = g->now + g->op_ms;   /* the server is there */
    return 0;
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
static void udp_tick(struct lg *g, struct client *c)
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

/* ---- one client, one event ------------------------------------------ */

static void on_connected(struct lg *g, struct client *c)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
        err = errno;
    if (err != 0) {
        fail(g, c, "connect %s: %s", g->target, strerror(err));
        return;
    }
    c->deadline = g->now + g->op_ms;
    if (!g->welcome) {
        welcomed(g, c);
        return;
    }
    c->st = S_WELCOME;
    (void)want(g, c, EPOLLIN);
}

/* The welcome, byte by byte as it comes: exactly "welcome!\n". */
static void on_welcome(struct lg *g, struct client *c)
{
    char b[WELCOME_LEN];
    ssize_t n = recv(c->fd, b, WELCOME_LEN - c->got, 0);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        fail(g, c, "%s after %zu bytes of the welcome",
             n == 0 ? "server closed" : strerror(errno), c->got);
        return;
    }
    if (memcmp(b, &WELCOME[c->got], (size_t)n) != 0) {
        fail(g, c, "welcome differs: got '%.*s' at byte %zu", (int)n, b, c->got);
        return;
    }
    c->got += (size_t)n;
    c->deadline = g->now + g->op_ms;
    if (c->got == WELCOME_LEN)
        welcomed(g, c);
}

/* Nothing may arrive for a silent client, nor after quit but the close. */
static void on_unexpected(struct lg *g, struct client *c)
{
    char b[64];
    ssize_t n = recv(c->fd, b, sizeof b, 0);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n > 0) {
        fail(g, c, "%zd unexpected bytes %s: '%.*s'", n,
             c->st == S_QUIT ? "after quit" : "while silent", (int)n, b);
        return;
    }
    if (c->st == S_QUIT && n == 0) {
        close(c->fd);
        c->fd = -1;
        c->st = S_CLOSED;
        session_ended(g, c);
        return;
    }
    if (n == 0)
        fail(g, c, "server closed a silent connection");
    else
        fail(g, c, "recv %s: %s", c->st == S_QUIT ? "after quit" : "while silent",
             strerror(errno));
}

static void on_event(struct lg *g, struct client *c, unsigned ev)
{
    if (g->proto == P_UDP) {
        udp_event(g, c, ev);
        return;
    }
    switch (c->st) {
    case S_CONNECT:
        on_connected(g, c);
        break;
    case S_WELCOME:
        on_welcome(g, c);
        break;
    case S_WORK:
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
            work_readable(g, c);
        if (c->st == S_WORK && (ev & EPOLLOUT))
            (void)pump(g, c);
        break;
    case S_IDLE:
    case S_QUIT:
        on_unexpected(g, c);
        break;
    default:
        break;
    }
}

/* ---- the loop ------------------------------------------------------- */

static const char *waiting_for(const struct client *c)
{
    switch (c->st) {
    case S_CONNECT: return "the connection";
    case S_RETRY:   return "room in the listen queue";
    case S_WELCOME: return "the welcome";
    case S_QUIT:    return "the close after quit";
    default:        return "nothing";
    }
}

static void check_timeouts(struct lg *g)
{
    unsigned i;

    for (i = 0; i < g->ncl; i++) {
        struct client *c = &g->cl[i];

        if (g->proto == P_UDP && c->st == S_WORK)
            udp_tick(g, c);
        else if (c->st == S_WORK && g->now >= c->deadline)
            fail(g, c, "no progress for %lld s waiting for an echo "
                 "(%llu bytes sent, %llu echoed)", g->op_ms / 1000,
                 sent_bytes(g, c), c->rx);
        else if ((c->st == S_CONNECT || c->st == S_RETRY || c->st == S_WELCOME ||
                  c->st == S_QUIT) && g->now >= c->deadline)
            fail(g, c, "no progress for %lld s waiting for %s", g->op_ms / 1000,
                 waiting_for(c));
        else if (c->st == S_RETRY)
            start_connect(g, c);
    }
}

/* Serve events until every client has done its part of the phase and
 * `until` (ms, 0: none) has passed, or the time limit comes. */
static int run_phase(struct lg *g, const char *phase, long long until)
{
    struct epoll_event evs[EVENTS];
    long long next_tick = g->now + TICK_MS;

    g->phase = phase;
    for (;;) {
        int n, i;
        long long wait;

        g->now = mono_ms();
        if (g->now >= g->limit_at) {
            g->timed_out = 1;
            return -1;
        }
        if (g->owing == 0 && g->now >= until)
            return 0;
        if (g->now >= next_tick) {
            check_timeouts(g);
            next_tick = g->now + TICK_MS;
            continue;
        }
        wait = next_tick - g->now;
        n = epoll_wait(g->ep, evs, EVENTS, (int)wait);
        if (n == -1 && errno != EINTR) {
            fprintf(stderr, "loadgen: epoll_wait: %s\n", strerror(errno));
            g->errors++;
            return -1;
        }
        g->now = mono_ms();
        for (i = 0; i < n; i++)
            on_event(g, evs[i].data.ptr, evs[i].events);
        connect_more(g);   /* the connect phase: refill the slots freed */
    }
}

/* --sync: say where we are on stdout and wait for a line on stdin, so a
 * runner can look at the server at this point (its memory, its CPU):
 * "start" before the first connect, "held" (idle mode) once every client
 * is welcomed, "end" once the work is done, before the sessions end. */
static void sync_point(struct lg *g, const char *name)
{
    char b[64];

    if (!g->sync)
        return;
    printf("sync %s\n", name);
    fflush(stdout);
    for (;;) {
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        long long left = g->limit_at - mono_ms();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            g->timed_out = 1;
            return;
        }
        n = read(STDIN_FILENO, b, sizeof b);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0 || memchr(b, '\n', (size_t)n) != NULL)
            return;   /* a line (or no runner any more): go on */
    }
}

static int connect_all(struct lg *g)
{
    unsigned i;

    for (i = 0; i < g->ncl; i++) {
        g->cl[i].owes = 1;
        g->owing++;
    }
    g->next = 0;
    g->now = mono_ms();
    connect_more(g);
    return run_phase(g, "connect", 0);
}

static int quit_all(struct lg *g)
{
    unsigned i;

    g->now = mono_ms();
    for (i = 0; i < g->ncl; i++) {
        struct client *c = &g->cl[i];

        if (c->st != S_IDLE)
            continue;
        c->owes = 1;
        g->owing++;
        start_quit(g, c);
    }
    return run_phase(g, "quit", 0);
}

/* Clients from..to-1 send `lines` lines each; a timed work stops
 * adding lines after --duration. */
static int work_all(struct lg *g, unsigned from, unsigned to,
                    unsigned long lines, size_t window, int timed,
                    const char *phase)
{
    unsigned i;

    g->now = mono_ms();
    g->ops = 0;
    g->work_end = timed && g->has_duration
                      ? g->now + (long long)(g->duration * 1000) : 0;
    for (i = from; i < to; i++)
        if (g->cl[i].st == S_IDLE)
            start_work(g, &g->cl[i], lines, window);
    return run_phase(g, phase, 0);
}

static size_t window_for(const struct lg *g, enum mode m)
{
    return m == M_LOCKSTEP ? g->len : g->window;
}

/* ---- setup ---------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: loadgen {-p PORT [-H ADDR] [-u] | -U PATH} [-m MODE] [-c N]\n"
          "               [-n LINES] [-l LEN] [-d SECS] [-C N] [-w BYTES] [-a MODE]\n"
          "               [--hold SECS] [--no-welcome] [--no-quit] [--sync]\n"
          "               [--loss-timeout SECS] [-t SECS] [-T SECS]\n"
          "\n"
          "Clients of the welcome/echo/quit exchange, every byte checked.\n"
          "\n"
          "  -H, --host ADDR      loopback address of the server (default 127.0.0.1)\n"
          "  -p, --port PORT      its port\n"
          "  -u, --udp            over UDP: one line per datagram\n"
          "  -U, --unix PATH      over an AF_LOCAL stream socket (@NAME: abstract)\n"
          "  -m, --mode MODE      lockstep, pipelined, churn or idle (default lockstep)\n"
          "  -c, --clients N      clients (churn: connections at a time) (default 1)\n"
          "  -n, --lines N        lines per client (idle: the active client's) (default 1000)\n"
          "  -l, --len BYTES      bytes per line, newline included (default 64)\n"
          "  -d, --duration SECS  churn: how long to open connections (default 5);\n"
          "                       otherwise: no new lines after this long (default: none)\n"
          "  -C, --connects N     connects in flight at most (default 200)\n"
          "  -w, --window BYTES   pipelined: unanswered bytes per client (default 262144)\n"
          "  -a, --active MODE    idle: one more client works, lockstep or pipelined\n"
          "      --hold SECS      idle: hold the clients this long before going on\n"
          "      --no-welcome     the server sends no welcome\n"
          "      --no-quit        end sessions by half-closing, not with \"quit\"\n"
          "      --sync           at each phase print \"sync NAME\", wait for a line on stdin\n"
          "      --loss-timeout SECS  UDP: a line not echoed after this long is lost\n"
          "                       (default 0.5)\n"
          "  -t, --timeout SECS   longest wait for any one step (default 10)\n"
          "  -T, --limit SECS     the whole run, at most (default 60); exit 3 past it\n",
          f);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A numeric loopback address only: this tool is a flood. */
static int set_host(struct lg *g, const char *host)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)&g->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&g->addr;
    const char *udp = g->proto == P_UDP ? "udp:" : "";

    memset(&g->addr, 0, sizeof g->addr);
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)g->port);
        g->addrlen = sizeof *a4;
        snprintf(g->target, sizeof g->target, "%s%s:%d", udp, host, g->port);
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)g->port);
        g->addrlen = sizeof *a6;
        snprintf(g->target, sizeof g->target, "%s[%s]:%d", udp, host, g->port);
        return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ? 0 : -1;
    }
    return -1;
}

/* An AF_LOCAL path, or with a leading '@' a Linux abstract name (the
 * '@' stands for the NUL byte that starts it; the address is as long
 * as the name, no NUL after it). */
static int set_unix(struct lg *g, const char *path)
{
    struct sockaddr_un *u = (struct sockaddr_un *)&g->addr;
    size_t n = strlen(path);

    memset(&g->addr, 0, sizeof g->addr);
    if (n == 0 || n >= sizeof u->sun_path)
        return -1;
    u->sun_family = AF_UNIX;
    memcpy(u->sun_path, path, n);
    if (path[0] == '@') {
        u->sun_path[0] = '\0';
        g->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        g->addrlen = (socklen_t)sizeof *u;
    }
    snprintf(g->target, sizeof g->target, "unix:%s", path);
    return 0;
}

static int parse_mode(const char *s, enum mode *m)
{
    unsigned i;

    for (i = 0; i < sizeof mode_name / sizeof mode_name[0]; i++)
        if (strcmp(s, mode_name[i]) == 0) {
            *m = (enum mode)i;
            return 0;
        }
    return -1;
}

static int parse_args(struct lg *g, int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", 1, NULL, 'H' },     { "port", 1, NULL, 'p' },
        { "mode", 1, NULL, 'm' },     { "clients", 1, NULL, 'c' },
        { "lines", 1, NULL, 'n' },    { "len", 1, NULL, 'l' },
        { "duration", 1, NULL, 'd' }, { "connects", 1, NULL, 'C' },
        { "window", 1, NULL, 'w' },   { "active", 1, NULL, 'a' },
        { "udp", 0, NULL, 'u' },      { "unix", 1, NULL, 'U' },
        { "loss-timeout", 1, NULL, 'L' + 256 },
        { "hold", 1, NULL, 'h' + 256 },
        { "no-welcome", 0, NULL, 'W' + 256 },
        { "no-quit", 0, NULL, 'Q' + 256 },
        { "sync", 0, NULL, 'S' + 256 },
        { "timeout", 1, NULL, 't' },  { "limit", 1, NULL, 'T' },
        { "help", 0, NULL, '?' + 256 },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL, *path = NULL;
    double v;
    int o;

    g->mode = M_LOCKSTEP;
    g->clients = 1;
    g->connects = 200;
    g->lines = 1000;
    g->len = 64;
    g->window = 256 * 1024;
    g->duration = 5;
    g->welcome = g->quit = 1;
    g->op_ms = 10000;
    g->limit_ms = 60000;
    g->lost_ms = 500;
    g->port = -1;
    while ((o = getopt_long(argc, argv, "H:p:uU:m:c:n:l:d:C:w:a:t:T:", opts, NULL)) != -1) {
        int bad = 0;

        switch (o) {
        case 'H': host = optarg; break;
        case 'u': g->proto = P_UDP; break;
        case 'U': path = optarg; break;
        case 'p': bad = parse_num(optarg, 1, 65535, &v); g->port = (int)v; break;
        case 'm': bad = parse_mode(optarg, &g->mode); break;
        case 'c': bad = parse_num(optarg, 1, MAX_CLIENTS, &v); g->clients = (unsigned)v; break;
        case 'n': bad = parse_num(optarg, 1, 1e12, &v); g->lines = (unsigned long)v; break;
        case 'l': bad = parse_num(optarg, 1, MAX_LEN, &v); g->len = (size_t)v; break;
        case 'd':
            bad = parse_num(optarg, 0.001, 86400, &g->duration);
            g->has_duration = 1;
            break;
        case 'C': bad = parse_num(optarg, 1, MAX_CLIENTS, &v); g->connects = (unsigned)v; break;
        case 'w': bad = parse_num(optarg, 1, 1 << 30, &v); g->window = (size_t)v; break;
        case 'a':
            bad = parse_mode(optarg, &g->active) ||
                  (g->active != M_LOCKSTEP && g->active != M_PIPELINED);
            g->has_active = 1;
            break;
        case 'h' + 256: bad = parse_num(optarg, 0, 86400, &g->hold); break;
        case 'W' + 256: g->welcome = 0; break;
        case 'Q' + 256: g->quit = 0; break;
        case 'S' + 256: g->sync = 1; break;
        case 'L' + 256:
            bad = parse_num(optarg, 0.001, 86400, &v);
            g->lost_ms = (long long)(v * 1000);
            break;
        case 't': bad = parse_num(optarg, 0.001, 86400, &v); g->op_ms = (long long)(v * 1000); break;
        case 'T': bad = parse_num(optarg, 0.001, 86400, &v); g->limit_ms = (long long)(v * 1000); break;
        case '?' + 256: usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (bad) {
            fprintf(stderr, "loadgen: bad value for -%c: '%s'\n", o < 256 ? o : '-', optarg);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "loadgen: unexpected argument\n");
        usage(stderr);
        return -1;
    }
    if (path != NULL) {
        if (host != NULL || g->port >= 0 || g->proto == P_UDP) {
            fprintf(stderr, "loadgen: -U PATH goes with none of -H, -p and -u\n");
            return -1;
        }
        g->proto = P_UNIX;
        if (set_unix(g, path) == -1) {
            fprintf(stderr, "loadgen: %s: not an AF_LOCAL address (1 to %zu bytes)\n",
                    path, sizeof ((struct sockaddr_un *)0)->sun_path - 1);
            return -1;
        }
    } else {
        if (g->port < 0) {
            fprintf(stderr, "loadgen: -p PORT (or -U PATH) is required\n");
            usage(stderr);
            return -1;
        }
        if (host == NULL)
            host = "127.0.0.1";
        if (set_host(g, host) == -1) {
            fprintf(stderr, "loadgen: %s: not a numeric loopback address (127.0.0.0/8, ::1)\n", host);
            return -1;
        }
    }
    /* A datagram holds one line: at most what IPv4 can carry. */
    if (g->proto == P_UDP && g->len > UDP_MAX) {
        fprintf(stderr, "loadgen: a UDP line is at most %d bytes\n", UDP_MAX);
        return -1;
    }
    if (g->proto == P_UDP && g->len < UDP_MIN_LEN) {
        fprintf(stderr, "loadgen: a UDP line is at least %d bytes\n", UDP_MIN_LEN);
        return -1;
    }
    if (g->window < g->len)
        g->window = g->len;
    return 0;
}

/* Every client is a descriptor: raise the soft limit to what we need. */
static int raise_nofile(unsigned need)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
        return -1;
    if (rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        fprintf(stderr, "loadgen: open-file limit %llu is below the %u needed\n",
                (unsigned long long)rl.rlim_max, need);
        return -1;
    }
    rl.rlim_cur = need;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

static double cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) == -1)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- main ----------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct lg g;
    double t0 = 0, t1 = 0, c0 = 0, c1 = 0;
    unsigned long long ops = 0;
    unsigned i, checked = 0;
    int rc = 0;

    memset(&g, 0, sizeof g);
    if (parse_args(&g, argc, argv) == -1)
        return 2;
    g.ncl = g.clients + (g.mode == M_IDLE && g.has_active ? 1 : 0);
    if (raise_nofile(g.ncl + 16) == -1) {
        fprintf(stderr, "loadgen: cannot open %u connections\n", g.ncl);
        return 2;
    }
    g.cl = calloc(g.ncl, sizeof *g.cl);
    g.rbuf = malloc(RBUF_SIZE);
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    if (g.cl == NULL || g.rbuf == NULL || g.ep == -1 || make_fill(&g) == -1) {
        fprintf(stderr, "loadgen: %s\n", strerror(errno));
        return 1;
    }
    for (i = 0; i < g.ncl; i++) {
        g.cl[i].fd = -1;
        g.cl[i].id = i;
    }
    g.phase = "start";
    g.t_start = mono_ms();
    g.limit_at = g.t_start + g.limit_ms;

    switch (g.mode) {
    case M_LOCKSTEP:
    case M_PIPELINED:
        sync_point(&g, "start");
        t0 = mono_s();
        if (connect_all(&g) == -1 || g.errors)
            break;
        t1 = mono_s();
        fprintf(stderr, "loadgen: %u clients connected in %.3f s\n", g.ncl, t1 - t0);
        c0 = cpu_s();
        t0 = mono_s();
        if (work_all(&g, 0, g.ncl, g.lines, window_for(&g, g.mode), 1, "work") == -1)
            break;
        t1 = mono_s();
        c1 = cpu_s();
        ops = g.ops;
        sync_point(&g, "end");
        (void)quit_all(&g);
        break;
    case M_CHURN:
        sync_point(&g, "start");
        c0 = cpu_s();
        g.now = mono_ms();
        g.churn_end = g.now + (long long)(g.duration * 1000);
        g.relaunch = 1;
        g.last_done = g.now;
        t0 = (double)g.now / 1000;
        for (i = 0; i < g.ncl; i++) {
            g.cl[i].owes = 1;
            g.owing++;
            start_connect(&g, &g.cl[i]);
        }
        g.next = g.ncl;   /* all started: a closed one restarts itself */
        (void)run_phase(&g, "churn", 0);
        t1 = (double)g.last_done / 1000;   /* the last close seen */
        c1 = cpu_s();
        ops = g.completed;
        sync_point(&g, "end");
        break;
    case M_IDLE:
        sync_point(&g, "start");
        t0 = mono_s();
        if (connect_all(&g) == -1 || g.errors)
            break;
        fprintf(stderr, "loadgen: holding %u clients (connected in %.3f s)\n",
                g.ncl, mono_s() - t0);
        sync_point(&g, "held");
        if (g.hold > 0 &&
            run_phase(&g, "hold", mono_ms() + (long long)(g.hold * 1000)) == -1)
            break;
        if (g.has_active) {
            c0 = cpu_s();
            t0 = mono_s();
            if (work_all(&g, g.clients, g.ncl, g.lines,
                         window_for(&g, g.active), 1, "active") == -1)
                break;
            t1 = mono_s();
            c1 = cpu_s();
            ops = g.ops;
            sync_point(&g, "end");
        }
        if (g.errors)
            break;
        if (work_all(&g, 0, g.clients, 1, g.len, 0, "check") == -1)
            break;
        for (i = 0; i < g.clients; i++)
            checked += g.cl[i].st == S_IDLE;
        (void)quit_all(&g);
        break;
    }

    if (g.timed_out && g.errors == 0)
        snprintf(g.first, sizeof g.first, "time limit of %.0f s reached in phase %s",
                 (double)g.limit_ms / 1000, g.phase);
    rc = g.timed_out ? 3 : g.errors ? 1 : 0;
    if (t1 < t0)
        t1 = t0;   /* the work never ended */
    printf("%s mode=%s proto=%s clients=%u", rc ? "fail" : "ok", mode_name[g.mode],
           proto_name[g.proto], g.clients);
    if (g.mode == M_CHURN)
        printf(" duration=%g", g.duration);
    else
        printf(" lines=%lu len=%zu", g.lines, g.len);
    if (g.mode == M_IDLE)
        printf(" active=%s checked=%u", g.has_active ? mode_name[g.active] : "none",
               checked);
    printf(" ops=%llu secs=%.6f rate=%.0f cpu=%.3f errors=%lu", ops, t1 - t0,
           t1 > t0 ? (double)ops / (t1 - t0) : 0.0, c1 - c0, g.errors);
    if (g.proto == P_UDP)
        printf(" lost=%llu late=%llu", g.lost, g.late);
    if (rc)
        printf(" first=\"%s\"", g.first);
    printf("\n");
    fflush(stdout);
    for (i = 0; i < g.ncl; i++) {
        if (g.cl[i].fd >= 0)
            close(g.cl[i].fd);
        free(g.cl[i].out);
        free(g.cl[i].ring);
    }
    free(g.cl);
    free(g.rbuf);
    free(g.fill);
    free(g.vline);
    close(g.ep);
    return rc;
}
