/*
 * sock_trace.c - the seam behind trace mode (libsock(3), section Trace):
 * every one of the eight wrappers reports its call here, and here alone,
 * so a tracer sees the whole "open - read/write - close" life of each
 * socket.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "sock_internal.h"

sock_trace_fn *sock__trace_hook;
static void *sock_trace_arg;

void sock_trace_set(sock_trace_fn *fn, void *arg)
{
    sock_trace_arg = arg;
    sock__trace_hook = fn;
}

struct timespec sock__trace_now(void)
{
    struct timespec t = {0, 0};

    (void)clock_gettime(CLOCK_REALTIME, &t);
    return t;
}

void sock__trace_emit(const struct timespec *began, const char *call, const char *sys, int fd,
                      const void *data, size_t len, long result, int err,
                      const struct sockaddr *addr, socklen_t addrlen,
                      const char *fmt, ...)
{
    int saved = errno;
    char args[160];
    va_list ap;
    struct sock_trace_event ev;

    if (sock__trace_hook == NULL)
        return;
    va_start(ap, fmt);
    /* clang-tidy 14's analyzer loses track of va_start here and calls ap
     * uninitialized; it is initialized on the line above. */
    vsnprintf(args, sizeof args, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
    va_end(ap);

    ev.call = call;
    ev.fd = fd;
    ev.args = args;
    ev.data = data;
    ev.len = len;
    ev.result = result;
    ev.err = result == -1 ? err : 0;
    ev.addr = addr;
    ev.addrlen = addrlen;
    ev.sys = sys;
    ev.ended = sock__trace_now();
    ev.began = began != NULL ? *began : ev.ended;
    sock__trace_hook(&ev, sock_trace_arg);
    errno = saved;
}

const char *sock__family_name(int domain)
{
    switch (domain) {
    case AF_INET:   return "AF_INET";
    case AF_INET6:  return "AF_INET6";
    case AF_UNIX:   return "AF_LOCAL";
    case AF_UNSPEC: return "AF_UNSPEC";
    default:        return "AF_?";
    }
}

const char *sock__protocol_name(int protocol)
{
    switch (protocol) {
    case 0:           return "0";
    case IPPROTO_TCP: return "IPPROTO_TCP";
    case IPPROTO_UDP: return "IPPROTO_UDP";
    default:          return "IPPROTO_?";
    }
}

const char *sock__type_name(int type)
{
    /* Linux lets SOCK_NONBLOCK/SOCK_CLOEXEC ride in the type; name the base. */
    switch (type & 0xf) {
    case SOCK_STREAM:    return "SOCK_STREAM";
    case SOCK_DGRAM:     return "SOCK_DGRAM";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    case SOCK_RAW:       return "SOCK_RAW";
    default:             return "SOCK_?";
    }
}
