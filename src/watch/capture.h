/*
 * capture.h - reading an interface's frames through a packet socket:
 * socket(AF_PACKET, SOCK_RAW, ETH_P_ALL), the article's SOCK_RAW (its
 * SOCK_PACKET, as Linux has it now), bound to one interface and read
 * through a ring of blocks the kernel fills and this process empties
 * (TPACKET_V3, as libpcap reads it): no copy and no system call a
 * frame, so a fast exchange is kept up with.  Only reads: nothing is
 * ever sent on it.  Linux only; needs CAP_NET_RAW in the network
 * namespace's user namespace.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "libsock.h"
#include "frame.h"

struct capture {
    int fd;
    unsigned char *ring;       /* the blocks, mapped from the kernel */
    size_t ring_len;
    unsigned block_size, block_nr, next_block;
    enum frame_link link;      /* how this interface's frames begin */
    int loopback;              /* the interface is a loopback */
    int ignore_outgoing;       /* the kernel skips the outgoing copy of a
                                * loopback frame (else capture_read does) */
    unsigned long seen;        /* frames handed over */
    unsigned long kernel_drops;/* PACKET_STATISTICS' drops, summed */
    struct timespec opened;    /* when it began to hear (CLOCK_REALTIME,
                                * the frames' clock): times count from here */
};

/* One frame: its bytes (n captured of wire_len on the wire) and the
 * kernel's time stamp, taken when the frame passed (CLOCK_REALTIME). */
typedef void capture_fn(const unsigned char *p, size_t n, size_t wire_len,
                        const struct timespec *stamp, void *arg);

/*
 * capture_open - a packet socket on interface `ifname` ("lo"), reading
 * TCP and UDP to or from `port` (the kernel filters the rest out, so a
 * busy interface costs little).  Returns 0, or -1 with errno set and the
 * step in `why` ("packet socket: Operation not permitted").
 */
int capture_open(struct capture *c, const char *ifname, uint16_t port,
                 struct sock_err *why);

/*
 * capture_read - wait up to timeout_ms (-1: no limit) for frames, then
 * hand each one ready to fn, in the order the kernel saw them.  Returns
 * how many, 0 when the wait ended with none (or a signal came), -1 on
 * error with errno set.
 */
int capture_read(struct capture *c, int timeout_ms, capture_fn *fn,
                 void *arg);

/* Add what the kernel counted since the last call (frames it had to
 * drop: a full ring) into c->kernel_drops.  Returns 0, or -1. */
int capture_stats(struct capture *c);

void capture_close(struct capture *c);

#endif /* CAPTURE_H */
