/*
 * frame.c - a frame taken apart, layer by layer: link, IP (v4 or v6),
 * then TCP or UDP.  Each layer checks that its header fits in what was
 * captured and that its length fields agree before the next is read.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "frame.h"

#define ETH_HLEN_    14
#define ETYPE_IPV4   0x0800
#define ETYPE_IPV6   0x86dd
#define ETYPE_VLAN   0x8100
#define ETYPE_QINQ   0x88a8
#define MAX_VLANS    2
#define MAX_EXT_HDRS 8      /* IPv6 extension headers followed, at most */

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* TCP's options (RFC 9293 §3.1): kind, length, value; 0 ends, 1 pads. */
static enum frame_result tcp_options(const unsigned char *p, size_t n,
                                     struct frame_tcp_opts *o)
{
    size_t i = 0;

    o->mss = -1;
    o->wscale = -1;
    o->sack_ok = 0;
    o->sack_blocks = 0;
    o->has_ts = 0;
    o->ts_val = o->ts_ecr = 0;
    while (i < n) {
        unsigned kind = p[i], len;

        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return FRAME_BAD;
        len = p[i + 1];
        if (len < 2 || len > n - i)
            return FRAME_BAD;
        switch (kind) {
        case 2:
            if (len == 4)
                o->mss = (int)get16(p + i + 2);
            break;
        case 3:
            if (len == 3)
                o->wscale = p[i + 2];
            break;
        case 4:
            o->sack_ok = 1;
            break;
        case 5:
            o->sack_blocks = (int)((len - 2) / 8);
            break;
        case 8:
            if (len == 10) {
                o->has_ts = 1;
                o->ts_val = get32(p + i + 2);
                o->ts_ecr = get32(p + i + 6);
            }
            break;
        default:
            break;
        }
        i += len;
    }
    return FRAME_OK;
}

/* The transport header at p: `len` bytes by the IP header's count, of
 * which `have` were captured. */
static enum frame_result transport(const unsigned char *p, size_t have,
                                   size_t len, int proto, struct frame *f)
{
    size_t hl;

    f->proto = proto;
    if (proto == IPPROTO_UDP) {
        size_t ulen;

        if (have < 8 || len < 8)
            return FRAME_BAD;
        f->sport = (uint16_t)get16(p);
        f->dport = (uint16_t)get16(p + 2);
        ulen = get16(p + 4);
        if (ulen < 8 || ulen > len)
            return FRAME_BAD;
        hl = 8;
        len = ulen;
    } else if (proto == IPPROTO_TCP) {
        if (have < 20 || len < 20)
            return FRAME_BAD;
        f->sport = (uint16_t)get16(p);
        f->dport = (uint16_t)get16(p + 2);
        f->seq = get32(p + 4);
        f->ack = get32(p + 8);
        hl = (size_t)(p[12] >> 4) * 4;
        f->flags = p[13] & 0x3f;
        f->win = (uint16_t)get16(p + 14);
        if (hl < 20 || hl > len || hl > have)
            return FRAME_BAD;
        if (tcp_options(p + 20, hl - 20, &f->opt) != FRAME_OK)
            return FRAME_BAD;
    } else {
        return FRAME_OTHER;
    }
    f->len = len - hl;
    f->captured = have > hl ? have - hl : 0;
    if (f->captured > f->len)
        f->captured = f->len;   /* link padding is not payload */
    f->data = p + hl;
    return FRAME_OK;
}

static enum frame_result ipv4(const unsigned char *p, size_t n,
                              struct frame *f)
{
    size_t ihl, total;
    unsigned frag;

    if (n < 20 || p[0] >> 4 != 4)
        return FRAME_BAD;
    ihl = (size_t)(p[0] & 0x0f) * 4;
    total = get16(p + 2);
    /* A frame cut by the capture still says its full length. */
    if (ihl < 20 || ihl > n || total < ihl)
        return FRAME_BAD;
    frag = get16(p + 6);
    if ((frag & 0x1fff) != 0)
        return FRAME_OTHER;   /* a later fragment: no transport header */
    f->family = AF_INET;
    memcpy(f->src, p + 12, 4);
    memcpy(f->dst, p + 16, 4);
    return transport(p + ihl, n - ihl < total - ihl ? n - ihl : total - ihl,
                     total - ihl, p[9], f);
}

static enum frame_result ipv6(const unsigned char *p, size_t n,
                              struct frame *f)
{
    size_t off = 40, payload, end;
    unsigned next;
    int hops;

    if (n < 40 || p[0] >> 4 != 6)
        return FRAME_BAD;
    payload = get16(p + 4);
    next = p[6];
    f->family = AF_INET6;
    memcpy(f->src, p + 8, 16);
    memcpy(f->dst, p + 24, 16);
    end = 40 + payload;       /* (a jumbogram's 0 is not TCP on lo's MTU) */
    for (hops = 0; hops < MAX_EXT_HDRS; hops++) {
        size_t hl;

        switch (next) {
        case IPPROTO_TCP:
        case IPPROTO_UDP:
            if (off > end)
                return FRAME_BAD;
            return transport(p + off, n - off < end - off ? n - off : end - off,
                             end - off, (int)next, f);
        case 0:     /* hop-by-hop options */
        case 43:    /* routing */
        case 60:    /* destination options */
            if (off + 2 > n || off + 2 > end)
                return FRAME_BAD;
            hl = ((size_t)p[off + 1] + 1) * 8;
            break;
        case 44:    /* fragment: only a first fragment has the header */
            if (off + 8 > n || off + 8 > end)
                return FRAME_BAD;
            if ((get16(p + off + 2) & 0xfff8) != 0)
                return FRAME_OTHER;
            hl = 8;
            break;
        case 51:    /* authentication header: its length in 4-byte words */
            if (off + 2 > n || off + 2 > end)
                return FRAME_BAD;
            hl = ((size_t)p[off + 1] + 2) * 4;
            break;
        default:
            return FRAME_OTHER;   /* ICMPv6, no next header, ... */
        }
        next = p[off];
        off += hl;
        if (off > n || off > end)
            return FRAME_BAD;
    }
    return FRAME_BAD;   /* a chain longer than any real sender's */
}

enum frame_result frame_parse(const unsigned char *p, size_t n,
                              enum frame_link link, struct frame *f)
{
    memset(f, 0, sizeof *f);
    if (link == FRAME_LINK_ETHER) {
        unsigned type;
        size_t off = ETH_HLEN_;
        int vlans = 0;

        if (n < ETH_HLEN_)
            return FRAME_BAD;
        type = get16(p + 12);
        while ((type == ETYPE_VLAN || type == ETYPE_QINQ) && vlans++ < MAX_VLANS) {
            if (n < off + 4)
                return FRAME_BAD;
            type = get16(p + off + 2);
            off += 4;
        }
        if (type == ETYPE_IPV4)
            return ipv4(p + off, n - off, f);
        if (type == ETYPE_IPV6)
            return ipv6(p + off, n - off, f);
        return FRAME_OTHER;
    }
    if (n < 1)
        return FRAME_BAD;
    if (p[0] >> 4 == 4)
        return ipv4(p, n, f);
    if (p[0] >> 4 == 6)
        return ipv6(p, n, f);
    return FRAME_OTHER;
}

void frame_flags_text(unsigned flags, char *out, size_t size)
{
    /* In the order people say them: SYN+ACK, PSH+ACK, FIN+ACK, RST+ACK. */
    static const struct { unsigned bit; const char *name; } names[] = {
        {FRAME_SYN, "SYN"}, {FRAME_FIN, "FIN"}, {FRAME_RST, "RST"},
        {FRAME_PSH, "PSH"}, {FRAME_URG, "URG"}, {FRAME_ACK, "ACK"},
    };
    size_t i, used = 0;

    if (size == 0)
        return;
    out[0] = '\0';
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        int r;

        if (!(flags & names[i].bit))
            continue;
        r = snprintf(out + used, size - used, "%s%s", used ? "+" : "",
                     names[i].name);
        if (r < 0 || (size_t)r >= size - used)
            return;
        used += (size_t)r;
    }
    if (used == 0)
        snprintf(out, size, "none");
}
