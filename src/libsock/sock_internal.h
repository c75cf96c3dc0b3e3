/*
 * sock_internal.h - what the libsock sources share and users do not see:
 * the trace seam's fast test and the error-holder writers.  They ship in
 * libsock.a, so their names say they are not the API: sock__ (two
 * underscores) is internal, sock_ (one) is libsock.h's.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SOCK_INTERNAL_H
#define SOCK_INTERNAL_H

#include <time.h>

#include "libsock.h"

/* The installed trace hook; NULL (the default) means tracing is off. */
extern sock_trace_fn *sock__trace_hook;

/* True when a trace hook is installed: the only cost of the seam when off. */
#define SOCK__TRACING() (sock__trace_hook != NULL)

/* When a traced call began, for its event's `began` (CLOCK_REALTIME, the
 * clock of the kernel's stamps on packets); zero when tracing is off, so
 * an untraced call still pays only the pointer test. */
#define SOCK__TRACE_BEGIN() \
    (SOCK__TRACING() ? sock__trace_now() : (struct timespec){0, 0})
struct timespec sock__trace_now(void);

/*
 * Report one call to the hook.  `began` is when the call was entered
 * (SOCK__TRACE_BEGIN()); the event's end is stamped here.  `sys` names the system call really made
 * when it is not `call` (NULL otherwise).  `fmt` formats the arguments; errno is
 * saved and restored so tracing never changes what the caller sees.
 */
void sock__trace_emit(const struct timespec *began, const char *call, const char *sys, int fd,
                      const void *data, size_t len, long result, int err,
                      const struct sockaddr *addr, socklen_t addrlen,
                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 11, 12)))
#endif
    ;

/* sock_resolve() for a socket type of the caller's choice: SOCK_STREAM
 * (TCP) or SOCK_DGRAM (UDP). */
struct addrinfo *sock__resolve_type(const char *host, const char *port,
                                    int family, int socktype, int flags,
                                    struct sock_err *why);

/* Names for the numbers the article's calls take, for traces and messages. */
const char *sock__family_name(int domain);
const char *sock__type_name(int type);
const char *sock__protocol_name(int protocol);

/*
 * The error holder's writers.  Each fills `why` (if not NULL) with one
 * line, "STEP WHAT: REASON"; the last two leave errno as `err`.  They
 * call downward only: sock_err.c needs no other file of the library.
 *
 *   sock__err_text   REASON as given (sock_err.c)
 *   sock__err_errno  REASON is strerror(err) (sock_err.c)
 *   sock__err_addr   WHAT is the address sa as text, or nothing when sa
 *                    is NULL (sock_addr.c, which formats addresses)
 */
void sock__err_text(struct sock_err *why, const char *step, const char *what,
                    const char *reason);
void sock__err_errno(struct sock_err *why, const char *step, const char *what,
                     int err);
void sock__err_addr(struct sock_err *why, const char *step,
                    const struct sockaddr *sa, socklen_t salen, int err);

/*
 * The lock file beside a local socket's path (sock_local_lock.c):
 * sock__local_lock() opens or creates "PATH.lock" (never through a
 * symbolic link) and takes its flock(), trying for up to wait_ms while
 * another server holds it.  Returns the descriptor that holds the lock,
 * or -1 with errno set: EWOULDBLOCK when the wait ran out (why left for
 * the caller to word), else why says what failed.  sock__local_unlock()
 * gives the lock up (closes fd; errno kept).  sock_local.c holds it
 * while it looks at, removes or creates what is at PATH.
 */
int sock__local_lock(const struct sockaddr_un *sun, socklen_t len,
                     int wait_ms, struct sock_err *why);
void sock__local_unlock(int fd);

#endif /* SOCK_INTERNAL_H */
