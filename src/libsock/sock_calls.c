/*
 * sock_calls.c - the article's eight calls, one thin wrapper each, in the
 * article's order: socket, bind, listen, accept, connect, read, write,
 * close; shutdown, the half of close the article leaves out; and UDP's
 * recvfrom and sendto.  Each
 * adds only what every caller would otherwise repeat (the
 * EINTR policy, no SIGPIPE) and reports itself to the trace seam.
 *
 * SPDX-License-Identifier: MIT
 */
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
    defined(__OpenBSD__) || defined(__DragonFly__)
/* accept4() in glibc's <sys/socket.h>; the name is the libc's to define. */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#define HAVE_ACCEPT4 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include "sock_internal.h"

int sock_socket(int domain, int type, int protocol)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int fd = socket(domain, type, protocol);

    if (SOCK__TRACING())
        sock__trace_emit(&t0, "socket", NULL, -1, NULL, 0, fd, errno, NULL, 0,
                         "%s, %s, %s", sock__family_name(domain),
                         sock__type_name(type), sock__protocol_name(protocol));
    return fd;
}

int sock_bind(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int r = bind(fd, addr, addrlen);

    if (SOCK__TRACING())
        sock__trace_emit(&t0, "bind", NULL, fd, NULL, 0, r, errno, addr,
                         addrlen, "%s", "");
    return r;
}

int sock_listen(int fd, int backlog)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int r = listen(fd, backlog);

    if (SOCK__TRACING())
        sock__trace_emit(&t0, "listen", NULL, fd, NULL, 0, r, errno, NULL, 0,
                         "backlog=%d", backlog);
    return r;
}

/* accept, with the new descriptor close-on-exec from its first moment
 * where accept4() exists; elsewhere (or on a kernel older than its libc:
 * ENOSYS) plain accept() and one fcntl() after it.  *sys names the call
 * made, for the trace. */
static int accept_cloexec(int fd, struct sockaddr *addr, socklen_t *addrlen,
                          const char **sys)
{
    int r;

#ifdef HAVE_ACCEPT4
    *sys = "accept4";
    r = accept4(fd, addr, addrlen, SOCK_CLOEXEC);
    if (r >= 0 || errno != ENOSYS)
        return r;
#endif
    *sys = NULL;
    r = accept(fd, addr, addrlen);
    if (r >= 0)
        (void)fcntl(r, F_SETFD, FD_CLOEXEC);   /* best effort, as before */
    return r;
}

int sock_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int r;
    const char *sys = NULL;

    for (;;) {
        r = accept_cloexec(fd, addr, addrlen, &sys);
        if (r >= 0 || (errno != EINTR && errno != ECONNABORTED))
            break;
        if (SOCK__TRACING())
            sock__trace_emit(&t0, "accept", sys, fd, NULL, 0, r, errno, NULL, 0,
                             "%s", "");
    }
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "accept", sys, fd, NULL, 0, r, errno,
                         r >= 0 ? addr : NULL,
                         r >= 0 && addrlen != NULL ? *addrlen : 0, "%s", "");
    return r;
}

int sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int r = connect(fd, addr, addrlen);

    if (SOCK__TRACING())
        sock__trace_emit(&t0, "connect", NULL, fd, NULL, 0, r, errno, addr,
                         addrlen, "%s", "");
    return r;
}

ssize_t sock_read(int fd, void *buf, size_t count)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    ssize_t n;

    for (;;) {
        n = recv(fd, buf, count, 0);
        if (n != -1 || errno != EINTR)
            break;
        if (SOCK__TRACING())
            sock__trace_emit(&t0, "read", "recv", fd, NULL, 0, n, errno, NULL,
                             0, "%zu", count);
    }
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "read", "recv", fd, n > 0 ? buf : NULL,
                         n > 0 ? (size_t)n : 0, (long)n, errno, NULL, 0, "%zu",
                         count);
    return n;
}

ssize_t sock_read_msg(int fd, void *buf, size_t count)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    ssize_t n;

    /* MSG_TRUNC: the length of the whole message, not of what fitted. */
    for (;;) {
        n = recv(fd, buf, count, MSG_TRUNC);
        if (n != -1 || errno != EINTR)
            break;
        if (SOCK__TRACING())
            sock__trace_emit(&t0, "read", "recv", fd, NULL, 0, n, errno, NULL,
                             0, "%zu, MSG_TRUNC", count);
    }
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "read", "recv", fd, n > 0 ? buf : NULL,
                         n > 0 ? ((size_t)n < count ? (size_t)n : count) : 0,
                         (long)n, errno, NULL, 0, "%zu, MSG_TRUNC", count);
    return n;
}

ssize_t sock_write(int fd, const void *buf, size_t count)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    ssize_t n;
#ifdef MSG_NOSIGNAL
    const int flags = MSG_NOSIGNAL;  /* a gone peer is EPIPE, not a signal */
#else
    const int flags = 0;             /* callers ignore SIGPIPE themselves */
#endif

    for (;;) {
        n = send(fd, buf, count, flags);
        if (n != -1 || errno != EINTR)
            break;
        if (SOCK__TRACING())
            sock__trace_emit(&t0, "write", "send", fd, buf, count, n, errno,
                             NULL, 0, "%zu", count);
    }
    /* The bytes offered are shown; the result says how many were taken. */
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "write", "send", fd, buf, count, (long)n, errno,
                         NULL, 0, "%zu", count);
    return n;
}

static const char *shutdown_name(int how)
{
    switch (how) {
    case SHUT_RD:   return "SHUT_RD";
    case SHUT_WR:   return "SHUT_WR";
    case SHUT_RDWR: return "SHUT_RDWR";
    default:        return "SHUT_?";
    }
}

int sock_shutdown(int fd, int how)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int r = shutdown(fd, how);

    if (SOCK__TRACING())
        sock__trace_emit(&t0, "shutdown", NULL, fd, NULL, 0, r, errno, NULL, 0,
                         "%s", shutdown_name(how));
    return r;
}

int sock_close(int fd)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    int r;

    /* Before: the socket still exists, so a tracer can ask for its state. */
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "close-before", NULL, fd, NULL, 0, 0, 0, NULL, 0,
                         "%s", "");
    r = close(fd);
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "close", NULL, fd, NULL, 0, r, errno, NULL, 0,
                         "%s", "");
    return r;
}

/* UDP's pair, which the eight calls do not cover: a datagram in, with
 * who sent it; a datagram out, to whom it names. */
ssize_t sock_recvfrom(int fd, void *buf, size_t count, struct sockaddr *addr,
                      socklen_t *addrlen)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    ssize_t n;

    for (;;) {
        n = recvfrom(fd, buf, count, 0, addr, addrlen);
        if (n != -1 || errno != EINTR)
            break;
        if (SOCK__TRACING())
            sock__trace_emit(&t0, "recvfrom", NULL, fd, NULL, 0, n, errno, NULL,
                             0, "%zu", count);
    }
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "recvfrom", NULL, fd, n > 0 ? buf : NULL,
                         n > 0 ? (size_t)n : 0, (long)n, errno,
                         n >= 0 ? addr : NULL,
                         n >= 0 && addrlen != NULL ? *addrlen : 0, "%zu",
                         count);
    return n;
}

ssize_t sock_sendto(int fd, const void *buf, size_t count,
                    const struct sockaddr *addr, socklen_t addrlen)
{
    struct timespec t0 = SOCK__TRACE_BEGIN();
    ssize_t n;
#ifdef MSG_NOSIGNAL
    const int flags = MSG_NOSIGNAL;
#else
    const int flags = 0;
#endif

    for (;;) {
        n = sendto(fd, buf, count, flags, addr, addrlen);
        if (n != -1 || errno != EINTR)
            break;
        if (SOCK__TRACING())
            sock__trace_emit(&t0, "sendto", NULL, fd, buf, count, n, errno,
                             addr, addrlen, "%zu", count);
    }
    if (SOCK__TRACING())
        sock__trace_emit(&t0, "sendto", NULL, fd, buf, count, (long)n, errno,
                         addr, addrlen, "%zu", count);
    return n;
}
