/*
 * udp_limits.h - what tcp-server -u may send (udp_limits.c), so that no
 * forged source can turn it against anyone:
 *
 *   a token bucket   replies to one peer at most RATE a second (a burst
 *                    of RATE); the ones over it are dropped, not
 *                    delayed, and one dropped datagram ends a loop
 *                    between two echo services; the busy notices share
 *                    one bucket of their own
 *   a byte budget    a source not yet shown to receive gets at most 3x
 *                    the bytes it sent, IP and UDP headers counted
 *                    (QUIC's rule for an unverified address, RFC 9000
 *                    section 8)
 *   the ports        datagrams from port 0, which no reply can reach,
 *                    and from the classic echo, daytime, qotd, chargen
 *                    and time services, which answer anything (inetd's
 *                    loop check), are not answered
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef UDP_LIMITS_H
#define UDP_LIMITS_H

#include <stddef.h>
#include <sys/socket.h>

#define UDP_AMPLIFICATION 3      /* bytes out per byte in, unverified */
#define UDP_HDR_V4 28            /* IPv4 header (20) and UDP header (8) */
#define UDP_HDR_V6 48            /* IPv6 header (40) and UDP header (8) */
#define UDP_BUSY_RATE 10         /* busy notices a second, all peers */

/* A token bucket: room for `burst` datagrams, refilled at `rate` a
 * second.  Counted in thousandths of a datagram, so that a rate below
 * one per millisecond still refills. */
struct udp_bucket {
    long long milli;    /* what is left, in thousandths */
    long long at;       /* when it was last refilled (ms) */
};

/* A full bucket at now. */
void udp_bucket_init(struct udp_bucket *b, long rate, long long now);

/* Take one datagram from b at now (rate a second, a burst of rate):
 * 1 when it may go, 0 when it is over the rate.  rate 0: no limit. */
int udp_bucket_take(struct udp_bucket *b, long rate, long long now);

/* The headers a datagram of family carries on the wire: 28 or 48. */
size_t udp_header_bytes(int family);

/* May `len` more bytes (headers included) go to a source that sent
 * `in` bytes and was sent `out` so far, unverified?  1 or 0. */
int udp_budget_allows(unsigned long long in, unsigned long long out,
                      size_t len);

/* Is ss's source port one no reply should go to: 0, 7, 13, 17, 19, 37?
 * 1 or 0. */
int udp_port_refused(const struct sockaddr_storage *ss);

#endif /* UDP_LIMITS_H */
