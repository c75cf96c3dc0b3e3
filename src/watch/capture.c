/*
 * capture.c - a packet socket and its ring (capture.h).
 *
 * The socket is made with protocol 0, so that it hears nothing until it
 * is ready: the ring is set up and the filter attached first, then it is
 * bound to the interface with ETH_P_ALL.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): Linux's packet API */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "capture.h"

/* 16 MiB in 256 blocks of 64 KiB.  A block is handed over when full or
 * after BLOCK_TOV_MS, so at a lockstep exchange's rate a block holds a
 * few hundred frames: many small blocks ride out a stall of ~1 s (a slow
 * terminal), few big ones only ~0.15 s (docs/performance.md). */
#define BLOCK_SIZE   (1u << 16)
#define BLOCK_NR     256
#define FRAME_SIZE   2048
#define BLOCK_TOV_MS 10          /* a block is handed over after 10 ms
                                  * even when not full: lines stay prompt */
#define SNAP_LEN     512         /* bytes kept a frame: every header, and
                                  * more payload than a line shows */

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* A classic BPF instruction with absolute jump targets, made relative
 * below: easier to read and to check than counted offsets. */
struct insn {
    unsigned short code;
    unsigned jt, jf;
    unsigned k;
};

enum { ACCEPT = 25, DROP = 26 };

/*
 * The kernel's filter: Ethernet frames carrying IPv4 or IPv6, with TCP
 * or UDP to or from `port` (first fragments only); IPv6 with extension
 * headers is let through for the parser to judge.  What tcpdump would
 * compile from "port PORT", written out.
 */
static int attach_filter(int fd, uint16_t port)
{
    const unsigned short LDH = BPF_LD | BPF_H | BPF_ABS;
    const unsigned short LDB = BPF_LD | BPF_B | BPF_ABS;
    const unsigned short LDHX = BPF_LD | BPF_H | BPF_IND;
    const unsigned short JEQ = BPF_JMP | BPF_JEQ | BPF_K;
    const struct insn prog[] = {
        /*  0 */ {LDH, 0, 0, 12},                  /* ethertype */
        /*  1 */ {JEQ, 2, 12, 0x0800},
        /*  2 */ {LDB, 0, 0, 14 + 9},              /* IPv4: protocol */
        /*  3 */ {JEQ, 5, 4, 6},
        /*  4 */ {JEQ, 5, DROP, 17},
        /*  5 */ {LDH, 0, 0, 14 + 6},              /* fragment offset */
        /*  6 */ {BPF_JMP | BPF_JSET | BPF_K, DROP, 7, 0x1fff},
        /*  7 */ {BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14},  /* X = IHL * 4 */
        /*  8 */ {LDHX, 0, 0, 14},                 /* source port */
        /*  9 */ {JEQ, ACCEPT, 10, 0},
        /* 10 */ {LDHX, 0, 0, 16},                 /* destination port */
        /* 11 */ {JEQ, ACCEPT, DROP, 0},
        /* 12 */ {JEQ, 13, DROP, 0x86dd},
        /* 13 */ {LDB, 0, 0, 14 + 6},              /* IPv6: next header */
        /* 14 */ {JEQ, 16, 15, 6},
        /* 15 */ {JEQ, 16, 20, 17},
        /* 16 */ {LDH, 0, 0, 14 + 40},
        /* 17 */ {JEQ, ACCEPT, 18, 0},
        /* 18 */ {LDH, 0, 0, 14 + 42},
        /* 19 */ {JEQ, ACCEPT, DROP, 0},
        /* 20 */ {JEQ, ACCEPT, 21, 0},             /* hop-by-hop */
        /* 21 */ {JEQ, ACCEPT, 22, 43},            /* routing */
        /* 22 */ {JEQ, ACCEPT, 23, 44},            /* fragment */
        /* 23 */ {JEQ, ACCEPT, 24, 60},            /* destination opts */
        /* 24 */ {JEQ, ACCEPT, DROP, 51},          /* authentication */
        /* 25 */ {BPF_RET | BPF_K, 0, 0, SNAP_LEN},
        /* 26 */ {BPF_RET | BPF_K, 0, 0, 0},
    };
    struct sock_filter code[sizeof prog / sizeof prog[0]];
    struct sock_fprog fprog;
    unsigned i;

    for (i = 0; i < sizeof prog / sizeof prog[0]; i++) {
        unsigned short c = prog[i].code;
        int is_jump = BPF_CLASS(c) == BPF_JMP;

        code[i].code = c;
        code[i].jt = (unsigned char)(is_jump ? prog[i].jt - i - 1 : 0);
        code[i].jf = (unsigned char)(is_jump ? prog[i].jf - i - 1 : 0);
        /* The port comparisons' k is the port. */
        code[i].k = (c == JEQ && (i == 9 || i == 11 || i == 17 || i == 19))
                        ? port : prog[i].k;
    }
    fprog.len = (unsigned short)(sizeof code / sizeof code[0]);
    fprog.filter = code;
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog);
}

/* How the interface's frames begin, from its hardware type; and
 * whether it is a loopback, where each frame passes twice. */
static enum frame_link link_of(int fd, const char *ifname, int *loopback)
{
    struct ifreq ifr;

    *loopback = 0;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, ifname, sizeof ifr.ifr_name - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
        *loopback = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
        switch (ifr.ifr_hwaddr.sa_family) {
        case ARPHRD_NONE:
#ifdef ARPHRD_RAWIP
        case ARPHRD_RAWIP:
#endif
        case ARPHRD_TUNNEL:
        case ARPHRD_TUNNEL6:
        case ARPHRD_SIT:
            return FRAME_LINK_IP;
        default:
            break;
        }
    }
    return FRAME_LINK_ETHER;
}

static int fail(struct capture *c, struct sock_err *why, const char *step)
{
    int err = errno;

    if (why != NULL) {
        snprintf(why->msg, sizeof why->msg, "%s: %s", step, strerror(err));
        why->gai = 0;
    }
    capture_close(c);
    errno = err;
    return -1;
}

int capture_open(struct capture *c, const char *ifname, uint16_t port,
                 struct sock_err *why)
{
    int v = TPACKET_V3, on = 1, loopback;
    struct tpacket_req3 req;
    struct sockaddr_ll sll;
    unsigned ifindex;

    memset(c, 0, sizeof *c);
    c->fd = -1;
    ifindex = if_nametoindex(ifname);
    if (ifindex == 0) {
        if (why != NULL)
            snprintf(why->msg, sizeof why->msg, "interface %s: %s", ifname,
                     strerror(errno));
        return -1;
    }
    c->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (c->fd == -1)
        return fail(c, why, "packet socket");
    c->link = link_of(c->fd, ifname, &loopback);
    if (setsockopt(c->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) == -1)
        return fail(c, why, "packet socket TPACKET_V3");
    memset(&req, 0, sizeof req);
    req.tp_block_size = BLOCK_SIZE;
    req.tp_block_nr = BLOCK_NR;
    req.tp_frame_size = FRAME_SIZE;
    req.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR;
    req.tp_retire_blk_tov = BLOCK_TOV_MS;
    if (setsockopt(c->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) == -1)
        return fail(c, why, "packet socket ring");
    c->block_size = BLOCK_SIZE;
    c->block_nr = BLOCK_NR;
    c->ring_len = (size_t)BLOCK_SIZE * BLOCK_NR;
    c->ring = mmap(NULL, c->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                   c->fd, 0);
    if (c->ring == MAP_FAILED) {
        c->ring = NULL;
        return fail(c, why, "packet socket mmap");
    }
    /* On loopback every frame passes twice, going out and coming in:
     * keep only the one coming in (the kernel skips the other, or, on a
     * kernel before 4.20, capture_read does).  Elsewhere what this
     * machine sends passes once, going out, and is kept. */
    c->loopback = loopback;
    c->ignore_outgoing = loopback &&
        setsockopt(c->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on,
                   sizeof on) == 0;
    /* Without the filter every frame still comes, and is sorted here. */
    if (c->link == FRAME_LINK_ETHER)
        (void)attach_filter(c->fd, port);
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)ifindex;
    (void)clock_gettime(CLOCK_REALTIME, &c->opened);
    if (bind(c->fd, (struct sockaddr *)&sll, sizeof sll) == -1)
        return fail(c, why, "packet socket bind");
    return 0;
}

int capture_read(struct capture *c, int timeout_ms, capture_fn *fn,
                 void *arg)
{
    int handed = 0;
    unsigned blocks;

    for (blocks = 0; blocks < c->block_nr; blocks++) {
        struct tpacket_block_desc *b = (struct tpacket_block_desc *)
            (c->ring + (size_t)c->next_block * c->block_size);
        struct tpacket3_hdr *h;
        uint32_t i, npkts;

        if (!(b->hdr.bh1.block_status & TP_STATUS_USER)) {
            struct pollfd p;

            if (handed > 0 || blocks > 0)
                break;
            p.fd = c->fd;
            p.events = POLLIN | POLLERR;
            p.revents = 0;
            if (poll(&p, 1, timeout_ms) == -1)
                return errno == EINTR ? 0 : -1;
            if (!(b->hdr.bh1.block_status & TP_STATUS_USER))
                return 0;
        }
        npkts = b->hdr.bh1.num_pkts;
        h = (struct tpacket3_hdr *)((unsigned char *)b +
                                    b->hdr.bh1.offset_to_first_pkt);
        for (i = 0; i < npkts; i++) {
            const struct sockaddr_ll *sll = (const struct sockaddr_ll *)
                ((unsigned char *)h + TPACKET_ALIGN(sizeof *h));

            if (!c->loopback || c->ignore_outgoing ||
                sll->sll_pkttype != PACKET_OUTGOING) {
                struct timespec ts;

                ts.tv_sec = h->tp_sec;
                ts.tv_nsec = h->tp_nsec;
                c->seen++;
                fn((unsigned char *)h + h->tp_mac, h->tp_snaplen, h->tp_len,
                   &ts, arg);
                handed++;
            }
            h = (struct tpacket3_hdr *)((unsigned char *)h + h->tp_next_offset);
        }
        /* The block goes back to the kernel to fill again. */
        __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL,
                         __ATOMIC_RELEASE);
        c->next_block = (c->next_block + 1) % c->block_nr;
    }
    return handed;
}

int capture_stats(struct capture *c)
{
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;

    if (c->fd == -1)
        return -1;
    if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == -1)
        return -1;
    c->kernel_drops += st.tp_drops;
    return 0;
}

void capture_close(struct capture *c)
{
    if (c->ring != NULL)
        munmap(c->ring, c->ring_len);
    c->ring = NULL;
    if (c->fd != -1)
        close(c->fd);
    c->fd = -1;
}
