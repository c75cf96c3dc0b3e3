/*
 * udp.h - what loadgen's two UDP files share: the session and its
 * sending (udp.c), and the fate of every line sent, told from what
 * comes back (udp_echo.c).
 *
 * Each client is a UDP socket connected to the server, so the kernel
 * gives it the server's datagrams only.  Its first datagram, line 0,
 * opens its session: the server answers with the welcome datagram, then
 * the echo.  Every line carries its number and its client's (lines are
 * at least UDP_MIN_LEN bytes), so each datagram says which line it
 * echoes, and it must be that line byte for byte.
 *
 * Nothing is sent again.  A line is lost when the echo of a later line
 * comes first (loopback keeps the order: it was dropped, or if merely
 * overtaken it is counted lost, then late), or when --loss-timeout has
 * passed since it went out.  Lost lines are counted (lost=N), are not
 * ops, and do not fail the run: losing datagrams is what UDP may do.  The
 * echo of a lost line that comes after all counts as late=N; so does
 * one older than the lines remembered (the last 2 wl: those in flight
 * and as many before them), whose fate is forgotten.  An error, as over
 * TCP: a datagram that is not the welcome where the welcome is due, not
 * exactly a line sent, or an echo of a line echoed already; the first
 * line left unanswered; no datagram at all for --timeout while lines
 * wait.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LOADGEN_UDP_H
#define LOADGEN_UDP_H

#include "loadgen.h"

#define UDP_BATCH     64             /* datagrams per sendmmsg or recvmmsg */
#define UDP_WINDOW    65536          /* datagrams in flight per client, at most */

/* What became of a line sent. */
enum { SL_WAIT, SL_ECHOED, SL_LOST, SL_LATE };
struct slot {
    unsigned long li;         /* its number */
    long long at;             /* ms: when it was sent (0: not yet) */
    unsigned char st;
};

/* Lines numbered into the send chunk, not yet sent. */
static inline unsigned long udp_unsent(const struct lg *g, const struct client *c)
{
    return (unsigned long)((c->out_len - c->out_off) / g->len);
}

/* Where the ring keeps line li. */
static inline struct slot *slot_of(const struct client *c, unsigned long li)
{
    return &c->ring[li % c->rl];
}

/* udp_echo.c */
int udp_ring(struct client *c, unsigned wl, int keep);
void udp_lose_upto(struct lg *g, struct client *c, unsigned long li);
int udp_datagram(struct lg *g, struct client *c, const char *p, size_t n,
                 int truncated);

#endif /* LOADGEN_UDP_H */
