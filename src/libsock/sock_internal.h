/*
 * sock_internal.h - what the libsock sources share and users do not see:
 * the trace seam's fast test and the error-holder writers.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SOCK_INTERNAL_H
#define SOCK_INTERNAL_H

#include "libsock.h"

/* The installed trace hook; NULL (the default) means tracing is off. */
extern sock_trace_fn *sock_trace_hook;

/* True when a trace hook is installed: the only cost of the seam when off. */
#define SOCK_TRACING() (sock_trace_hook != NULL)

/*
 * Report one call to the hook.  `sys` names the system call really made
 * when it is not `call` (NULL otherwise).  `fmt` formats the arguments; errno is
 * saved and restored so tracing never changes what the caller sees.
 */
void sock_trace_emit(const char *call, const char *sys, int fd,
                     const void *data, size_t len, long result, int err,
                     const struct sockaddr *addr, socklen_t addrlen,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 10, 11)))
#endif
    ;

/* sock_resolve() for a socket type of the caller's choice: SOCK_STREAM
 * (TCP) or SOCK_DGRAM (UDP). */
struct addrinfo *sock_resolve_type(const char *host, const char *port,
                                   int family, int socktype, int flags,
                                   struct sock_err *why);

/* Names for the numbers the article's calls take, for traces and messages. */
const char *sock_family_name(int domain);
const char *sock_type_name(int type);
const char *sock_protocol_name(int protocol);

/*
 * Fill `why` (if not NULL) with "STEP ADDRESS: strerror(err)".  `sa` may
 * be NULL, then `what` names the object instead.  errno is left as `err`.
 */
void sock_err_addr(struct sock_err *why, const char *step,
                   const struct sockaddr *sa, socklen_t salen, int err);
void sock_err_text(struct sock_err *why, const char *step, const char *what,
                   const char *reason);

#endif /* SOCK_INTERNAL_H */
