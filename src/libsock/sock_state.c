/*
 * sock_state.c - where a TCP connection is in its life: the states of the
 * article's handshake and close (SYN_SENT, ESTABLISHED, FIN_WAIT1, ...),
 * read from the kernel with Linux's TCP_INFO.  Elsewhere the answer is
 * "unknown" (ENOPROTOOPT) and trace lines simply leave the state out.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef __linux__
/* struct tcp_info is a Linux extension, outside strict POSIX. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#endif
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sock_internal.h"

#if defined(__linux__) && defined(TCP_INFO)
/* Linux's numbering (include/net/tcp_states.h), the order of RFC 793. */
static const char *const state_names[] = {
    "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
    "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
};
#define LISTEN_STATE 10

int sock_tcp_state(int fd, struct sock_tcp_info *out)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;

    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1) {
        /* A Unix-domain or UDP socket has no TCP state to tell. */
        if (errno == EOPNOTSUPP)
            errno = ENOPROTOOPT;
        return -1;
    }
    if (ti.tcpi_state == 0 ||
        ti.tcpi_state >= sizeof state_names / sizeof state_names[0]) {
        errno = ENOPROTOOPT;
        return -1;
    }
    out->state = ti.tcpi_state;
    out->name = state_names[ti.tcpi_state];
    /* For a listener the kernel reuses these two fields for its accept
     * queue: finished handshakes waiting, and the limit (the backlog). */
    out->queued = ti.tcpi_state == LISTEN_STATE ? ti.tcpi_unacked : 0;
    out->backlog = ti.tcpi_state == LISTEN_STATE ? ti.tcpi_sacked : 0;
    return 0;
}
#else
int sock_tcp_state(int fd, struct sock_tcp_info *out)
{
    (void)fd;
    (void)out;
    errno = ENOPROTOOPT;
    return -1;
}
#endif
