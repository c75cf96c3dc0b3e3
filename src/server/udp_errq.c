/*
 * udp_errq.c - ICMP errors about tcp-server -u's replies (udp_errq.h).
 * The error queue is Linux's: its names need _DEFAULT_SOURCE, and
 * linux/errqueue.h holds the record the kernel writes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#ifdef __linux__
#include <linux/errqueue.h>
#endif

#include "udp_errq.h"

#if defined(__linux__) && defined(IP_RECVERR) && defined(MSG_ERRQUEUE)

int udp_errq_enable(int fd)
{
    int on = 1, v4, v6;

    /* A dual-stack socket is AF_INET6 and hears IPv4 peers too: ask for
     * both; one of them is enough. */
    v4 = setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    v6 = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    return v4 == 0 || v6 == 0 ? 0 : -1;
}

int udp_errq_next(int fd, struct sockaddr_storage *ss, socklen_t *len)
{
    char data[64];
    union {
        char buf[512];
        struct cmsghdr align;
    } ctl;
    struct iovec iov;
    struct msghdr m;
    struct cmsghdr *c;

    memset(&m, 0, sizeof m);
    iov.iov_base = data;
    iov.iov_len = sizeof data;
    m.msg_name = ss;
    m.msg_namelen = sizeof *ss;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
        return -1;
    *len = m.msg_namelen;
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        struct sock_extended_err ee;

        if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
              (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
            continue;
        memcpy(&ee, CMSG_DATA(c), sizeof ee);
        /* ICMP's port unreachable, and ICMPv6's: the kernel names both
         * ECONNREFUSED.  The address is the datagram's destination. */
        if ((ee.ee_origin == SO_EE_ORIGIN_ICMP ||
             ee.ee_origin == SO_EE_ORIGIN_ICMP6) &&
            ee.ee_errno == ECONNREFUSED)
            return 1;
    }
    return 0;
}

#else

int udp_errq_enable(int fd)
{
    (void)fd;
    errno = ENOPROTOOPT;
    return -1;
}

int udp_errq_next(int fd, struct sockaddr_storage *ss, socklen_t *len)
{
    (void)fd;
    (void)ss;
    (void)len;
    errno = EAGAIN;
    return -1;
}

#endif
