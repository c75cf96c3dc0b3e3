/*
 * frame.h - one frame off the wire, taken apart: which IP version, which
 * two ends, and the TCP segment or UDP datagram inside.  The bytes come
 * from anyone who can send to the interface, so nothing in them is
 * trusted: every length is checked against what was captured.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdint.h>

/* How the captured bytes begin (the interface's link layer). */
enum frame_link {
    FRAME_LINK_ETHER,   /* a 14-byte Ethernet header: lo and Ethernet */
    FRAME_LINK_IP       /* the IP header at once: tun, ip6tnl, ... */
};

/* TCP's flags, as they sit in the header's 13th byte. */
#define FRAME_FIN 0x01
#define FRAME_SYN 0x02
#define FRAME_RST 0x04
#define FRAME_PSH 0x08
#define FRAME_ACK 0x10
#define FRAME_URG 0x20

/* TCP's options, the ones -v shows; -1 (or 0) where absent. */
struct frame_tcp_opts {
    int mss;             /* maximum segment size, or -1 */
    int wscale;          /* window scale shift, or -1 */
    int sack_ok;         /* SACK permitted (on a SYN) */
    int sack_blocks;     /* SACK blocks carried, 0 to 4 */
    int has_ts;          /* timestamps present */
    uint32_t ts_val, ts_ecr;
};

struct frame {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char src[16];      /* source address, network order (the */
    unsigned char dst[16];      /* first 4 bytes for IPv4) */
    int proto;                  /* IPPROTO_TCP or IPPROTO_UDP */
    uint16_t sport, dport;      /* ports, host order */
    /* TCP only */
    uint32_t seq, ack;
    unsigned flags;             /* FRAME_SYN | FRAME_ACK ... */
    uint16_t win;               /* the window as sent (unscaled) */
    struct frame_tcp_opts opt;
    /* The payload: len bytes by the IP header's count, of which the
     * first `captured` are in `data` (fewer when the capture cut it). */
    size_t len;
    size_t captured;
    const unsigned char *data;
};

enum frame_result {
    FRAME_OK,       /* a TCP segment or UDP datagram, in *f */
    FRAME_OTHER,    /* well formed, but not IP carrying TCP or UDP (ARP,
                     * ICMP, a later IPv4 fragment, ...) */
    FRAME_BAD       /* truncated or malformed: lengths that do not add up */
};

/*
 * frame_parse - take apart one captured frame.
 *
 *   p, n  the bytes as captured (n may be less than the frame was)
 *   link  how they begin
 *   f     receives the result; f->data points into p
 *
 * Handles IPv4 with options, IPv6 with its extension headers (hop by
 * hop, routing, fragment, destination options, authentication), VLAN
 * tags, and TCP options.  Reads no byte past p + n.
 */
enum frame_result frame_parse(const unsigned char *p, size_t n,
                              enum frame_link link, struct frame *f);

/* "SYN", "SYN+ACK", "PSH+ACK", "FIN+ACK", "RST+ACK"... into out (room
 * for 32 bytes is enough); "none" for a segment with no flag. */
void frame_flags_text(unsigned flags, char *out, size_t size);

#endif /* FRAME_H */
