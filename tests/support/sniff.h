/*
 * sniff.h - the test's own look at the wire: a packet socket on lo that
 * keeps the TCP segments to or from one port (IPv4), so that a test can
 * hold what a program says about the wire (tcp-watch) against what was
 * really on it: the first sequence numbers, a SYN sent twice.  Needs
 * CAP_NET_RAW over the network namespace: root, or the root of a
 * namespace of the test's own (netns.h).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_SNIFF_H
#define TEST_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* TCP's flags as in the header's 13th byte. */
#define SNIFF_FIN 0x01
#define SNIFF_SYN 0x02
#define SNIFF_RST 0x04
#define SNIFF_PSH 0x08
#define SNIFF_ACK 0x10

#define SNIFF_MAX 512

struct sniffed {
    unsigned sport, dport;
    uint32_t seq, ack;
    unsigned flags;
    size_t len;            /* payload bytes */
};

struct sniff {
    int fd;
    unsigned port;
    size_t n;
    struct sniffed seg[SNIFF_MAX];
};

/* Start keeping the segments of `port` on lo (each once: as it comes
 * in).  Returns 0, or -1 with errno (EPERM: no CAP_NET_RAW here). */
int sniff_open(struct sniff *s, unsigned port);

/* Take in what has come so far; with timeout_ms > 0, wait that long at
 * most for the first frame. */
void sniff_read(struct sniff *s, int timeout_ms);

/*
 * The first segment from index `from` on whose flags, masked with `mask`,
 * are `flags`, from port sport to port dport (0: any), waiting up to
 * timeout_ms for it to come.  NULL when none came.
 */
const struct sniffed *sniff_find(struct sniff *s, size_t from, unsigned mask,
                                 unsigned flags, unsigned sport,
                                 unsigned dport, int timeout_ms);

/* How many segments so far match the same way. */
size_t sniff_count(const struct sniff *s, unsigned mask, unsigned flags,
                   unsigned sport, unsigned dport);

void sniff_close(struct sniff *s);

#endif /* TEST_SNIFF_H */
