/*
 * yardstick.c - the benchmark's reference server: the article's exchange
 * ("welcome!", an echo of every line, "quit" closes) served by one thread
 * as cheaply as we know how.  Every server design is measured against it.
 *
 *   - epoll, level-triggered; one recv per readable client per wake-up,
 *     into one buffer shared by all clients;
 *   - every complete line of that read echoed with ONE send;
 *   - a client holds memory only while it has half a line or unsent
 *     echo bytes; a silent client costs its descriptor and 40 bytes;
 *   - a client whose echo does not fit in its socket is not read again
 *     until it is sent (backpressure), so memory stays bounded.
 *
 * No log, no limits but the line's (8192 bytes, as tcp-server's default)
 * and the open-file limit.  Loopback addresses only.
 *
 * usage: yardstick [-b ADDR] [PORT]     (default 127.0.0.1, port 0)
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): accept4 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MAX_LINE   8192
#define RBUF_SIZE  (256 * 1024)
#define EVENTS     512
#define ACCEPTS    64          /* accepts per wake-up */
#define PAUSE_MS   100         /* out of descriptors: accept again after */
#define WELCOME    "welcome!\n"
#define TOO_LONG   "error: line too long (max 8192 bytes)\n"

struct conn {
    int fd;
    unsigned held;             /* bytes of a partial line in `hold` */
    char *hold;                /* MAX_LINE bytes while a partial line waits */
    char *out;                 /* unsent echo bytes, when the socket was full */
    unsigned out_len, out_off;
    unsigned char closing;     /* close once `out` is sent */
};

static int ep;
static char rbuf[RBUF_SIZE];

static void conn_close(struct conn *c)
{
    close(c->fd);              /* also leaves the epoll set */
    free(c->hold);
    free(c->out);
    free(c);
}

static int interest(struct conn *c, unsigned ev)
{
    struct epoll_event e;

    memset(&e, 0, sizeof e);
    e.events = ev;
    e.data.ptr = c;
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* Send len bytes of p; keep what the socket does not take and stop
 * reading until it is sent.  -1: the client is gone. */
static int reply(struct conn *c, const char *p, size_t len)
{
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

    if (n == -1) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        n = 0;
    }
    if ((size_t)n == len)
        return 0;
    c->out_len = (unsigned)(len - (size_t)n);
    c->out_off = 0;
    c->out = malloc(c->out_len);
    if (c->out == NULL)
        return -1;
    memcpy(c->out, p + n, c->out_len);
    return interest(c, EPOLLOUT);
}

static void on_writable(struct conn *c)
{
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                     MSG_NOSIGNAL);

    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->out_off += (unsigned)n;
    if (c->out_off < c->out_len)
        return;
    free(c->out);
    c->out = NULL;
    if (c->closing || interest(c, EPOLLIN) == -1)
        conn_close(c);
}

/* "quit", any case, "\r" tolerated, the "\n" absent on a last line. */
static int is_quit(const char *p, size_t len)
{
    if (len > 6)
        return 0;
    if (len > 0 && p[len - 1] == '\n')
        len--;
    if (len > 0 && p[len - 1] == '\r')
        len--;
    return len == 4 && (p[0] | 0x20) == 'q' && (p[1] | 0x20) == 'u' &&
           (p[2] | 0x20) == 'i' && (p[3] | 0x20) == 't';
}

static void on_readable(struct conn *c)
{
    size_t have = c->held, total, start = 0, echo = 0;
    int end = 0;
    ssize_t n;

    if (have > 0)
        memcpy(rbuf, c->hold, have);
    n = recv(c->fd, rbuf + have, sizeof rbuf - have, 0);
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n == -1) {
        conn_close(c);
        return;
    }
    total = have + (size_t)n;
    if (n == 0)
        end = 1;               /* EOF: echo the last, unterminated line */

    /* The complete lines: up to a quit line, a line too long, or the end. */
    while (start < total) {
        const char *nl = memchr(rbuf + start, '\n', total - start);
        size_t len = nl != NULL ? (size_t)(nl - rbuf) + 1 - start : total - start;

        if (len > MAX_LINE) {
            /* Its first bytes give way to the error line, sent with the
             * echoes before it; then the session ends. */
            memcpy(rbuf + start, TOO_LONG, sizeof TOO_LONG - 1);
            echo = start + sizeof TOO_LONG - 1;
            end = 1;
            break;
        }
        if (nl == NULL && !end)
            break;             /* half a line: keep it for the next read */
        if (is_quit(rbuf + start, len)) {
            end = 1;
            break;
        }
        start += len;
        echo = start;
    }

    if (!end && start < total) {
        if (c->hold == NULL && (c->hold = malloc(MAX_LINE)) == NULL) {
            conn_close(c);
            return;
        }
        c->held = (unsigned)(total - start);
        memcpy(c->hold, rbuf + start, c->held);
    } else if (c->hold != NULL) {
        free(c->hold);         /* nothing held: a silent client holds no buffer */
        c->hold = NULL;
        c->held = 0;
    }
    if (echo > 0 && reply(c, rbuf, echo) == -1) {
        conn_close(c);
        return;
    }
    if (end) {
        if (c->out == NULL)
            conn_close(c);
        else
            c->closing = 1;
    }
}

static long long accept_pause;   /* ms left before accepting again */

static void on_listener(int lfd)
{
    int k;

    for (k = 0; k < ACCEPTS; k++) {
        struct epoll_event e;
        struct conn *c;
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                /* The client stays queued; stop looking for a moment. */
                (void)epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
                accept_pause = PAUSE_MS;
            }
            return;            /* EAGAIN: nobody else waiting */
        }
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        memset(&e, 0, sizeof e);
        e.events = EPOLLIN;
        e.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) == -1 ||
            reply(c, WELCOME, sizeof WELCOME - 1) == -1)
            conn_close(c);
    }
}

/* A numeric loopback address and a port, listening; -1 on error. */
static int listen_on(const char *host, const char *port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    char *end;
    long p = strtol(port, &end, 10);
    int fd, one = 1;

    memset(&ss, 0, sizeof ss);
    if (*port == '\0' || *end != '\0' || p < 0 || p > 65535) {
        fprintf(stderr, "yardstick: bad port '%s'\n", port);
        return -1;
    }
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1 &&
        (ntohl(a4->sin_addr.s_addr) >> 24) == 127) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)p);
        len = sizeof *a4;
    } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1 &&
               IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)p);
        len = sizeof *a6;
    } else {
        fprintf(stderr, "yardstick: %s: not a numeric loopback address\n", host);
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
        bind(fd, (struct sockaddr *)&ss, len) == -1 ||
        listen(fd, SOMAXCONN) == -1 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
        fprintf(stderr, "yardstick: listen %s:%s: %s\n", host, port, strerror(errno));
        return -1;
    }
    {
        char text[INET6_ADDRSTRLEN];
        int v6 = ss.ss_family == AF_INET6;

        inet_ntop(ss.ss_family, v6 ? (void *)&a6->sin6_addr : (void *)&a4->sin_addr,
                  text, sizeof text);
        fprintf(stderr, v6 ? "listening on [%s]:%u\n" : "listening on %s:%u\n", text,
                ntohs(v6 ? a6->sin6_port : a4->sin_port));
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = "0";
    struct epoll_event evs[EVENTS], e;
    struct rlimit rl;
    int lfd, i = 1;

    if (argc > 2 && strcmp(argv[1], "-b") == 0) {
        host = argv[2];
        i = 3;
    }
    if (i < argc)
        port = argv[i++];
    if (i < argc) {
        fputs("usage: yardstick [-b ADDR] [PORT]\n", stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Every client is a descriptor: take all the system allows us. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    lfd = listen_on(host, port);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (lfd == -1 || ep == -1)
        return 1;
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.ptr = NULL;         /* NULL: the listener */
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e) == -1) {
        fprintf(stderr, "yardstick: epoll_ctl: %s\n", strerror(errno));
        return 1;
    }
    for (;;) {
        int n = epoll_wait(ep, evs, EVENTS, accept_pause > 0 ? (int)accept_pause : -1);

        if (n == -1 && errno != EINTR) {
            fprintf(stderr, "yardstick: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        if (n <= 0 && accept_pause > 0) {
            accept_pause = 0;  /* a rough pause is enough: look again */
            if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e) == -1)
                return 1;
        }
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;

            if (c == NULL)
                on_listener(lfd);
            else if (c->out != NULL)
                on_writable(c);
            else
                on_readable(c);
        }
    }
}
