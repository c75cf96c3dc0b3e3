/*
 * udp_errq.h - what the kernel learned from ICMP about tcp-server -u's
 * replies (udp_errq.c): a peer whose reply drew "port unreachable" has
 * gone (or never was: a forged source), and its slot is better freed
 * than kept for --idle-timeout.  Linux's IP_RECVERR and IPV6_RECVERR
 * queue such errors on the socket with the address they concern; where
 * they do not exist, nothing is learned and idle peers still expire.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef UDP_ERRQ_H
#define UDP_ERRQ_H

#include <sys/socket.h>

/* Ask the kernel to queue ICMP errors on fd with their addresses.
 * Returns 0, or -1 with errno where it cannot (not an error to report:
 * the server works without). */
int udp_errq_enable(int fd);

/*
 * Take the next error off fd's queue.  Returns 1 when it says a datagram
 * to *ss (len bytes) found no one listening (port unreachable), 0 for an
 * error of another kind (taken and ignored), -1 when the queue is empty.
 */
int udp_errq_next(int fd, struct sockaddr_storage *ss, socklen_t *len);

#endif /* UDP_ERRQ_H */
