/*
 * sock_open.c - the two opening sequences of the article, whole: the
 * server's socket - bind - listen, and the client's socket - connect with a
 * timeout, each trying every address the name resolves to.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "sock_internal.h"

int sock_set_nonblock(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags == -1)
        return -1;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags) == -1 ? -1 : 0;
}

/* A socket for addrinfo `ai`, close-on-exec so programs we start never
 * inherit our connections: atomically where SOCK_CLOEXEC exists. */
static int open_socket(const struct addrinfo *ai)
{
#ifdef SOCK_CLOEXEC
    return sock_socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                       ai->ai_protocol);
#else
    int fd = sock_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
        int err = errno;
        sock_close(fd);
        errno = err;
        return -1;
    }
    return fd;
#endif
}

/* Urgent (out-of-band) bytes stay in the stream: without this a peer's
 * send(..., MSG_OOB) takes a byte out of what read() returns. */
static int oob_inline(int fd)
{
    const int on = 1;

    return setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);
}

/* Close fd keeping errno, so the caller sees the first failure. */
static void close_keep_errno(int fd)
{
    int err = errno;

    sock_close(fd);
    errno = err;
}

/*
 * socket - setsockopt - bind - listen for one address; -1 leaves none
 * open.  A SOCK_DGRAM address (UDP) stops after bind: no listen, and no
 * SO_REUSEADDR, which for UDP would let a second server share the port.
 */
static int bind_one(const struct addrinfo *ai, int v6only, int backlog,
                    struct sock_err *why)
{
    const int on = 1;
    int stream = ai->ai_socktype == SOCK_STREAM;
    int fd = open_socket(ai);

    if (fd == -1) {
        sock__err_addr(why, "socket", ai->ai_addr, ai->ai_addrlen, errno);
        return -1;
    }
    if (stream &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1) {
        sock__err_addr(why, "setsockopt SO_REUSEADDR", ai->ai_addr,
                       ai->ai_addrlen, errno);
        goto fail;
    }
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) ==
            -1) {
        sock__err_addr(why, "setsockopt IPV6_V6ONLY", ai->ai_addr,
                       ai->ai_addrlen, errno);
        goto fail;
    }
    if (stream && oob_inline(fd) == -1) {
        sock__err_addr(why, "setsockopt SO_OOBINLINE", ai->ai_addr,
                       ai->ai_addrlen, errno);
        goto fail;
    }
    if (sock_bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
        sock__err_addr(why, "bind", ai->ai_addr, ai->ai_addrlen, errno);
        goto fail;
    }
    if (stream && sock_listen(fd, backlog) == -1) {
        sock__err_addr(why, "listen", ai->ai_addr, ai->ai_addrlen, errno);
        goto fail;
    }
    return fd;
fail:
    close_keep_errno(fd);
    return -1;
}

/* The system has no IPv6 at all (kernel built or booted without it). */
static int no_ipv6(int err)
{
    return err == EAFNOSUPPORT || err == EPROTONOSUPPORT ||
           err == EADDRNOTAVAIL;
}

/* sock_listen_on() and sock_udp_open(): a socket of `socktype` bound to
 * host and port, listening when it is a stream. */
static int open_bound(const char *host, const char *port, int family,
                      int socktype, int backlog, struct sock_err *why)
{
    struct addrinfo *list, *ai;
    int fd = -1;
    /* -6 asks for IPv6 alone; otherwise "[::]" takes IPv4 clients too. */
    int v6only = family == AF_INET6;

    if (host == NULL && family == AF_UNSPEC) {
        /* Dual stack: "::" first, then "0.0.0.0" if IPv6 is absent. */
        list = sock__resolve_type("::", port, AF_INET6, socktype,
                                  AI_PASSIVE | AI_NUMERICHOST, why);
        if (list != NULL) {
            int err;

            fd = bind_one(list, 0, backlog, why);
            err = errno;
            freeaddrinfo(list);
            errno = err;
            if (fd >= 0 || !no_ipv6(err))
                return fd;
        }
        family = AF_INET;
    }
    if (host == NULL)
        host = family == AF_INET ? "0.0.0.0" : "::";

    list = sock__resolve_type(host, port, family, socktype, AI_PASSIVE, why);
    if (list == NULL)
        return -1;
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        fd = bind_one(ai, v6only, backlog, why);
        if (fd >= 0)
            break;
    }
    if (fd == -1) {
        int err = errno;
        freeaddrinfo(list);
        errno = err;
        return -1;
    }
    freeaddrinfo(list);
    return fd;
}

int sock_listen_on(const char *host, const char *port, int family, int backlog,
                   struct sock_err *why)
{
    return open_bound(host, port, family, SOCK_STREAM, backlog, why);
}

int sock_udp_open(const char *host, const char *port, int family,
                  struct sock_err *why)
{
    return open_bound(host, port, family, SOCK_DGRAM, 0, why);
}

int sock_udp_connect(const char *host, const char *port, int family,
                     struct sock_err *why)
{
    struct addrinfo *list;
    int fd, err = 0;

    list = sock__resolve_type(host, port, family, SOCK_DGRAM, 0, why);
    if (list == NULL)
        return -1;
    fd = open_socket(list);
    if (fd == -1) {
        err = errno;
        sock__err_addr(why, "socket", list->ai_addr, list->ai_addrlen, err);
    } else if (sock_connect(fd, list->ai_addr, list->ai_addrlen) == -1) {
        err = errno;
        sock__err_addr(why, "connect", list->ai_addr, list->ai_addrlen, err);
        sock_close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd == -1)
        errno = err;
    return fd;
}

int sock_backlog_max(void)
{
    int max = SOMAXCONN;
#ifdef __linux__
    /* The kernel cuts every backlog to this; read it rather than guess. */
    char text[16];
    int fd = open("/proc/sys/net/core/somaxconn", O_RDONLY);

    if (fd >= 0) {
        ssize_t n = read(fd, text, sizeof text - 1);
        long v;
        char *end;

        close(fd);
        if (n > 0) {
            text[n] = '\0';
            v = strtol(text, &end, 10);
            if (end != text && v > 0 && v <= 1L << 30)
                max = (int)v;
        }
    }
#endif
    return max;
}

/* While a traced connect waits, the state is read this often: the
 * handshake a learner watches is the one still in SYN_SENT. */
#define WAIT_REPORT_MS 1000

/* Tell the trace how the handshake ended: "connect-done" with 0 or the
 * error, `gave_up_ms` > 0 when our timeout, not the kernel, ended it. */
static void trace_connect_done(const struct timespec *began, int fd,
                               const struct addrinfo *ai, int err,
                               int gave_up_ms)
{
    if (!SOCK__TRACING())
        return;
    if (gave_up_ms > 0)
        sock__trace_emit(began, "connect-done", "poll", fd, NULL, 0, -1, err,
                         ai->ai_addr, ai->ai_addrlen, "gave up after %d ms",
                         gave_up_ms);
    else
        sock__trace_emit(began, "connect-done", "poll, getsockopt SO_ERROR", fd,
                         NULL, 0, err ? -1 : 0, err, ai->ai_addr,
                         ai->ai_addrlen, "%s", "");
}

/*
 * Wait for a non-blocking connect on fd (to ai) to finish, at most
 * timeout_ms (negative: no limit).  Returns 0 when connected, or -1 with
 * errno.  Traced, it reports the state once a second while it waits.
 */
static int wait_connected(int fd, const struct addrinfo *ai, int timeout_ms)
{
    struct timespec began = SOCK__TRACE_BEGIN();  /* the wait's start */
    long long start = sock_clock_ms();
    long long deadline = start + timeout_ms;
    long long next_report = start + WAIT_REPORT_MS;
    struct pollfd p;
    int err = 0, reports = 0;
    socklen_t len = sizeof err;

    for (;;) {
        int wait = -1, r, report_due = 0;
        long long now = sock_clock_ms();

        if (timeout_ms >= 0) {
            long long left = deadline - now;
            wait = left > 0 ? (int)left : 0;
        }
        if (SOCK__TRACING()) {
            long long to_report = next_report - now;

            if (to_report <= 0) {
                reports++;
                sock__trace_emit(&began, "connect-wait", NULL, fd, NULL, 0, -1,
                                 EINPROGRESS, ai->ai_addr, ai->ai_addrlen,
                                 "%d s so far", reports);
                next_report += WAIT_REPORT_MS;
                to_report = next_report - now;
            }
            if (wait < 0 || to_report < wait) {
                wait = (int)to_report;
                report_due = 1;   /* poll's 0 then means "report" */
            }
        }
        p.fd = fd;
        p.events = POLLOUT;
        p.revents = 0;
        r = poll(&p, 1, wait);
        if (r > 0)
            break;
        if (r == 0 && !report_due) {
            trace_connect_done(&began, fd, ai, ETIMEDOUT, timeout_ms);
            errno = ETIMEDOUT;
            return -1;
        }
        if (r == -1 && errno != EINTR)
            return -1;
        /* A signal, or time to report: the handshake goes on. */
    }
    /* Writable means the handshake ended; SO_ERROR says how. */
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
        return -1;
    trace_connect_done(&began, fd, ai, err, 0);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int sock_connect_to(const char *host, const char *port, int family,
                    int timeout_ms, struct sock_err *why)
{
    struct addrinfo *list, *ai;
    int fd = -1, err = 0;

    list = sock_resolve(host, port, family, 0, why);
    if (list == NULL)
        return -1;
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        fd = open_socket(ai);
        if (fd == -1) {
            err = errno;
            sock__err_addr(why, "socket", ai->ai_addr, ai->ai_addrlen, err);
            continue;
        }
        if (oob_inline(fd) == 0 && sock_set_nonblock(fd, 1) == 0 &&
            (sock_connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
             ((errno == EINPROGRESS || errno == EINTR) &&
              wait_connected(fd, ai, timeout_ms) == 0)) &&
            sock_set_nonblock(fd, 0) == 0)
            break;
        err = errno;
        sock__err_addr(why, "connect", ai->ai_addr, ai->ai_addrlen, err);
        sock_close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd == -1)
        errno = err;
    return fd;
}
