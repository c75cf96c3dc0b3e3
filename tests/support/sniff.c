/*
 * sniff.c - the test's own packet socket (sniff.h).  The kernel keeps
 * only the port's TCP segments (a classic BPF filter attached before the
 * socket is bound), so that a busy loopback, other suites' storms
 * included, cannot fill its buffer.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): Linux's packet API */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "env.h"
#include "sniff.h"

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

int sniff_open(struct sniff *s, unsigned port)
{
    /* IPv4 carrying TCP with `port` at either end; the bytes begin at
     * the IP header (SOCK_DGRAM). */
    struct sock_filter code[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),          /* protocol */
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 5),     /* TCP, else 7 */
        /* 2 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),         /* X = IHL * 4 */
        /* 3 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),          /* source port */
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 3, 0),  /* 8 */
        /* 5 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),          /* destination */
        /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 1, 0),  /* 8 */
        /* 7 */ BPF_STMT(BPF_RET | BPF_K, 0),
        /* 8 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),
    };
    struct sock_fprog prog = { sizeof code / sizeof code[0], code };
    struct sockaddr_ll sll;
    int big = 1 << 20, err;

    memset(s, 0, sizeof *s);
    s->port = port;
    /* Protocol 0: it hears nothing until bound, after the filter. */
    s->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd == -1)
        return -1;
    (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_IP);
    sll.sll_ifindex = (int)if_nametoindex("lo");
    if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == -1 ||
        sll.sll_ifindex == 0 ||
        bind(s->fd, (struct sockaddr *)&sll, sizeof sll) == -1) {
        err = errno;
        close(s->fd);
        s->fd = -1;
        errno = err;
        return -1;
    }
    return 0;
}

/* One frame, IP header first: kept if it is a whole TCP header. */
static void take(struct sniff *s, const unsigned char *p, size_t n)
{
    struct sniffed *g;
    size_t ihl, thl, total;

    if (n < 20 || p[0] >> 4 != 4 || p[9] != 6 || s->n >= SNIFF_MAX)
        return;
    ihl = (size_t)(p[0] & 0x0f) * 4;
    total = get16(p + 2);
    if (ihl < 20 || n < ihl + 20 || total > n)
        return;
    thl = (size_t)(p[ihl + 12] >> 4) * 4;
    if (thl < 20 || ihl + thl > total)
        return;
    g = &s->seg[s->n++];
    g->sport = get16(p + ihl);
    g->dport = get16(p + ihl + 2);
    g->seq = get32(p + ihl + 4);
    g->ack = get32(p + ihl + 8);
    g->flags = p[ihl + 13] & 0x3f;
    g->len = total - ihl - thl;
}

void sniff_read(struct sniff *s, int timeout_ms)
{
    unsigned char buf[2048];
    int frames;

    if (s->fd < 0)
        return;
    if (timeout_ms > 0) {
        struct pollfd p = { s->fd, POLLIN, 0 };
        (void)poll(&p, 1, timeout_ms);
    }
    /* Bounded: at most what the table can hold, twice over (on lo each
     * frame passes going out and coming in). */
    for (frames = 0; frames < 2 * SNIFF_MAX; frames++) {
        struct sockaddr_ll from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s->fd, buf, sizeof buf, MSG_DONTWAIT,
                             (struct sockaddr *)&from, &len);

        if (n < 0)
            break;
        if (from.sll_pkttype != PACKET_OUTGOING)
            take(s, buf, (size_t)n);
    }
}

static int matches(const struct sniffed *g, unsigned mask, unsigned flags,
                   unsigned sport, unsigned dport)
{
    return (g->flags & mask) == flags && (sport == 0 || g->sport == sport) &&
           (dport == 0 || g->dport == dport);
}

const struct sniffed *sniff_find(struct sniff *s, size_t from, unsigned mask,
                                 unsigned flags, unsigned sport,
                                 unsigned dport, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;

    for (;;) {
        size_t i;
        long long left;

        sniff_read(s, 0);
        for (i = from; i < s->n; i++)
            if (matches(&s->seg[i], mask, flags, sport, dport))
                return &s->seg[i];
        left = end - ms_now();
        if (left <= 0 || s->fd < 0)
            return NULL;
        sniff_read(s, left < 20 ? (int)left : 20);
    }
}

size_t sniff_count(const struct sniff *s, unsigned mask, unsigned flags,
                   unsigned sport, unsigned dport)
{
    size_t i, k = 0;

    for (i = 0; i < s->n; i++)
        k += matches(&s->seg[i], mask, flags, sport, dport);
    return k;
}

void sniff_close(struct sniff *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
