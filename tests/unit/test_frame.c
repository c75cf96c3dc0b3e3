/*
 * test_frame.c - frame_parse takes apart what tcp-watch captures: frames
 * captured on lo (Linux's own bytes), and frames built here byte by byte
 * (Ethernet, a VLAN tag or none, IPv4 with options or IPv6 with
 * extension headers, TCP with options or UDP).  Every length field is
 * lied about in turn; every frame is cut at every length, each copy in
 * a buffer of exactly that size, so that a read past the end shows
 * under the AddressSanitizer build (make check).  frame_flags_text names
 * the flags as people say them.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "frame.h"
#include "mock_syscalls.h"

/* Captured on lo (AF_PACKET, Linux 6): the client's SYN, the server's
 * first words, and an IPv6 SYN+ACK.  The checksums are lo's, unchecked. */
static const unsigned char real_syn_v4[74] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x7d, 0xab, 0x40, 0x00, 0x40, 0x06,
    0xbf, 0x0e, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xbc, 0xbe,
    0x93, 0xf9, 0xef, 0xd0, 0x97, 0x9d, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xff, 0xd7, 0xfe, 0x30, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02,
    0x08, 0x0a, 0xda, 0x57, 0x25, 0xc3, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
    0x03, 0x0a,
};
static const unsigned char real_data_v4[75] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3d, 0x0e, 0x42, 0x40, 0x00, 0x40, 0x06,
    0x2e, 0x77, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x93, 0xf9,
    0xbc, 0xbe, 0xaf, 0x36, 0xfd, 0xac, 0xef, 0xd0, 0x97, 0x9e, 0x80, 0x18,
    0x00, 0x40, 0xfe, 0x31, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xc9, 0x38,
    0xd5, 0xcc, 0xda, 0x57, 0x25, 0xc3, 0x77, 0x65, 0x6c, 0x63, 0x6f, 0x6d,
    0x65, 0x21, 0x0a,
};
static const unsigned char real_synack_v6[94] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x86, 0xdd, 0x60, 0x02, 0xb2, 0x69, 0x00, 0x28, 0x06, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9a, 0x53, 0xea, 0xde, 0x8d, 0x6c,
    0x4a, 0x2a, 0xae, 0xcd, 0xbd, 0x7c, 0xa0, 0x12, 0xff, 0xb8, 0x00, 0x30,
    0x00, 0x00, 0x02, 0x04, 0xff, 0xc4, 0x04, 0x02, 0x08, 0x0a, 0x68, 0x0f,
    0x8f, 0xff, 0x2c, 0x4d, 0x99, 0x82, 0x01, 0x03, 0x03, 0x0a,
};

/* ---- A frame written byte by byte ---- */

struct pkt {
    unsigned char b[512];
    size_t n;
};

static void b8(struct pkt *p, unsigned v)
{
    assert_true(p->n < sizeof p->b);
    p->b[p->n++] = (unsigned char)v;
}

static void b16(struct pkt *p, unsigned v)
{
    b8(p, v >> 8 & 0xff);
    b8(p, v & 0xff);
}

static void b32(struct pkt *p, uint32_t v)
{
    b16(p, v >> 16);
    b16(p, v & 0xffff);
}

static void bmem(struct pkt *p, const void *m, size_t n)
{
    if (n == 0)
        return;                      /* m may be NULL */
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, m, n);
    p->n += n;
}

static void put_pkt(struct pkt *p, const struct pkt *q)
{
    bmem(p, q->b, q->n);
}

static const unsigned char addr4_c[4] = {10, 0, 0, 1};
static const unsigned char addr4_s[4] = {10, 0, 0, 2};
static const unsigned char addr6_c[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const unsigned char addr6_s[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* Ethernet: two MAC addresses and the type. */
static void eth(struct pkt *p, unsigned type)
{
    static const unsigned char mac[12] = {
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};

    bmem(p, mac, sizeof mac);
    b16(p, type);
}

/* A VLAN tag after eth(p, TPID): its id, then the type it carries. */
static void vlan(struct pkt *p, unsigned id, unsigned inner)
{
    b16(p, id);
    b16(p, inner);
}

/* IPv4: IHL from the options' length, total = header + payload. */
static void ip4(struct pkt *p, int proto, const unsigned char *opts,
                size_t olen, size_t payload, unsigned frag)
{
    assert_int_equal(olen % 4, 0);
    b8(p, 0x40 | (unsigned)(5 + olen / 4));
    b8(p, 0);
    b16(p, (unsigned)(20 + olen + payload));
    b16(p, 0x1234);                  /* id */
    b16(p, frag);                    /* flags and fragment offset */
    b8(p, 64);
    b8(p, (unsigned)proto);
    b16(p, 0);                       /* checksum: not checked */
    bmem(p, addr4_c, 4);
    bmem(p, addr4_s, 4);
    if (olen > 0)
        bmem(p, opts, olen);
}

static void ip6(struct pkt *p, unsigned next, size_t payload)
{
    b32(p, 0x60000000u);
    b16(p, (unsigned)payload);
    b8(p, next);
    b8(p, 64);
    bmem(p, addr6_c, 16);
    bmem(p, addr6_s, 16);
}

/* An extension header of 8 * (units + 1) bytes: next header, length,
 * then padding (PadN). */
static void ext6(struct pkt *p, unsigned next, unsigned units)
{
    size_t i;

    b8(p, next);
    b8(p, units);
    b8(p, 1);                        /* PadN */
    b8(p, (unsigned)(units * 8 + 4));
    for (i = 0; i < units * 8 + 4; i++)
        b8(p, 0);
}

static void frag6(struct pkt *p, unsigned next, unsigned offset, int more)
{
    b8(p, next);
    b8(p, 0);
    b16(p, offset << 3 | (more ? 1 : 0));
    b32(p, 0xcafe);                  /* identification */
}

static void tcp(struct pkt *p, unsigned sport, unsigned dport, uint32_t seq,
                uint32_t ack, unsigned flags, const unsigned char *opts,
                size_t olen, const char *data, size_t dlen)
{
    assert_int_equal(olen % 4, 0);
    b16(p, sport);
    b16(p, dport);
    b32(p, seq);
    b32(p, ack);
    b8(p, (unsigned)(5 + olen / 4) << 4);
    b8(p, flags);
    b16(p, 65535);
    b16(p, 0);                       /* checksum */
    b16(p, 0);                       /* urgent pointer */
    if (olen > 0)
        bmem(p, opts, olen);
    if (dlen > 0)
        bmem(p, data, dlen);
}

static void udp(struct pkt *p, unsigned sport, unsigned dport,
                const char *data, size_t dlen)
{
    b16(p, sport);
    b16(p, dport);
    b16(p, (unsigned)(8 + dlen));
    b16(p, 0);
    bmem(p, data, dlen);
}

/* A SYN's options as Linux sends them: mss, sackOK, timestamps, nop,
 * wscale (20 bytes). */
static const unsigned char syn_opts[20] = {
    2, 4, 0x05, 0xb4,                /* mss 1460 */
    4, 2,                            /* sackOK */
    8, 10, 0, 0, 0, 7, 0, 0, 0, 0,   /* ts 7/0 */
    1,                               /* nop */
    3, 3, 7,                         /* wscale 7 */
};

/* A frame: Ethernet, IPv4 (no options), the given transport bytes. */
static void v4_frame(struct pkt *p, int proto, const struct pkt *l4)
{
    p->n = 0;
    eth(p, 0x0800);
    ip4(p, proto, NULL, 0, l4->n, 0);
    put_pkt(p, l4);
}

static void v6_frame(struct pkt *p, int proto, const struct pkt *l4)
{
    p->n = 0;
    eth(p, 0x86dd);
    ip6(p, (unsigned)proto, l4->n);
    put_pkt(p, l4);
}

/* Parse n bytes of q from a buffer of exactly n bytes: a read past them
 * is AddressSanitizer's to see. */
static enum frame_result parse_n(const unsigned char *q, size_t n,
                                 enum frame_link link, struct frame *f)
{
    unsigned char *copy = malloc(n > 0 ? n : 1);
    enum frame_result r;

    assert_non_null(copy);
    if (n > 0)
        memcpy(copy, q, n);
    r = frame_parse(copy, n, link, f);
    /* f->data points into the copy: keep only its offset. */
    if (r == FRAME_OK) {
        assert_true(f->data >= copy && f->data <= copy + n);
        assert_true(f->captured <= f->len);
        assert_true(f->data + f->captured <= copy + n);
        f->data = q + (f->data - copy);
    }
    free(copy);
    return r;
}

static enum frame_result parse(const struct pkt *p, enum frame_link link,
                               struct frame *f)
{
    return parse_n(p->b, p->n, link, f);
}

/* ---- Real frames ---- */

static void real_syn_with_linux_options(void **state)
{
    static const unsigned char lo[4] = {127, 0, 0, 1};
    struct frame f;

    (void)state;
    assert_int_equal(parse_n(real_syn_v4, sizeof real_syn_v4,
                             FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET);
    assert_int_equal(f.proto, IPPROTO_TCP);
    assert_memory_equal(f.src, lo, 4);
    assert_memory_equal(f.dst, lo, 4);
    assert_int_equal(f.sport, 48318);
    assert_int_equal(f.dport, 37881);
    assert_int_equal(f.seq, 0xefd0979du);
    assert_int_equal(f.ack, 0);
    assert_int_equal(f.flags, FRAME_SYN);
    assert_int_equal(f.win, 65495);
    assert_int_equal(f.opt.mss, 65495);
    assert_int_equal(f.opt.wscale, 10);
    assert_int_equal(f.opt.sack_ok, 1);
    assert_int_equal(f.opt.sack_blocks, 0);
    assert_int_equal(f.opt.has_ts, 1);
    assert_int_equal(f.opt.ts_val, 0xda5725c3u);
    assert_int_equal(f.opt.ts_ecr, 0);
    assert_int_equal(f.len, 0);
    assert_int_equal(f.captured, 0);
}

static void real_data_segment(void **state)
{
    struct frame f;

    (void)state;
    assert_int_equal(parse_n(real_data_v4, sizeof real_data_v4,
                             FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.sport, 37881);
    assert_int_equal(f.dport, 48318);
    assert_int_equal(f.flags, FRAME_PSH | FRAME_ACK);
    assert_int_equal(f.seq, 0xaf36fdacu);
    assert_int_equal(f.ack, 0xefd0979eu);
    assert_int_equal(f.win, 64);
    assert_int_equal(f.opt.mss, -1);
    assert_int_equal(f.opt.wscale, -1);
    assert_int_equal(f.opt.sack_ok, 0);
    assert_int_equal(f.opt.has_ts, 1);
    assert_int_equal(f.opt.ts_val, 0xc938d5ccu);
    assert_int_equal(f.opt.ts_ecr, 0xda5725c3u);
    assert_int_equal(f.len, 9);
    assert_int_equal(f.captured, 9);
    assert_memory_equal(f.data, "welcome!\n", 9);
    assert_ptr_equal(f.data, real_data_v4 + 66);
}

static void real_synack_v6_loopback(void **state)
{
    static const unsigned char lo6[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    struct frame f;

    (void)state;
    assert_int_equal(parse_n(real_synack_v6, sizeof real_synack_v6,
                             FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET6);
    assert_int_equal(f.proto, IPPROTO_TCP);
    assert_memory_equal(f.src, lo6, 16);
    assert_memory_equal(f.dst, lo6, 16);
    assert_int_equal(f.sport, 39507);
    assert_int_equal(f.dport, 60126);
    assert_int_equal(f.flags, FRAME_SYN | FRAME_ACK);
    assert_int_equal(f.seq, 0x8d6c4a2au);
    assert_int_equal(f.ack, 0xaecdbd7cu);
    assert_int_equal(f.win, 65464);
    assert_int_equal(f.opt.mss, 65476);
    assert_int_equal(f.opt.wscale, 10);
    assert_int_equal(f.opt.sack_ok, 1);
    assert_int_equal(f.opt.has_ts, 1);
    assert_int_equal(f.opt.ts_val, 0x680f8fffu);
    assert_int_equal(f.opt.ts_ecr, 0x2c4d9982u);
    assert_int_equal(f.len, 0);
}

/* ---- Built frames ---- */

static void v4_syn_with_options(void **state)
{
    static const unsigned char sack[20] = {
        1, 1, 5, 18,                 /* nop nop, SACK: two blocks */
        0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
    };
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    tcp(&l4, 40000, 8080, 1000, 0, FRAME_SYN, syn_opts, sizeof syn_opts,
        NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET);
    assert_memory_equal(f.src, addr4_c, 4);
    assert_memory_equal(f.dst, addr4_s, 4);
    assert_int_equal(f.sport, 40000);
    assert_int_equal(f.dport, 8080);
    assert_int_equal(f.seq, 1000);
    assert_int_equal(f.flags, FRAME_SYN);
    assert_int_equal(f.win, 65535);
    assert_int_equal(f.opt.mss, 1460);
    assert_int_equal(f.opt.wscale, 7);
    assert_int_equal(f.opt.sack_ok, 1);
    assert_int_equal(f.opt.has_ts, 1);
    assert_int_equal(f.opt.ts_val, 7);
    assert_int_equal(f.opt.ts_ecr, 0);
    assert_int_equal(f.len, 0);

    /* An ACK with SACK blocks and the end-of-options mark. */
    l4.n = 0;
    tcp(&l4, 8080, 40000, 5000, 1001, FRAME_ACK, sack, sizeof sack,
        NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.opt.sack_blocks, 2);
    assert_int_equal(f.opt.mss, -1);
    assert_int_equal(f.opt.has_ts, 0);
}

/* End of options (kind 0) stops the reading: what follows is padding. */
static void tcp_end_of_options(void **state)
{
    static const unsigned char opts[8] = {
        2, 4, 0x01, 0x00, 0, 0xff, 0xff, 0xff,
    };
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    tcp(&l4, 1, 2, 0, 0, FRAME_SYN, opts, sizeof opts, NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.opt.mss, 256);
}

static void v4_with_ip_options(void **state)
{
    /* Record route, 3 slots (IHL 9: 36 bytes): a router's footprints. */
    static const unsigned char rr[16] = {
        7, 15, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    struct pkt l4 = {{0}, 0}, p = {{0}, 0};
    struct frame f;

    (void)state;
    tcp(&l4, 8080, 40000, 77, 1001, FRAME_PSH | FRAME_ACK, NULL, 0,
        "hi\n", 3);
    eth(&p, 0x0800);
    ip4(&p, IPPROTO_TCP, rr, sizeof rr, l4.n, 0);
    put_pkt(&p, &l4);
    assert_int_equal(p.b[14], 0x49);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.sport, 8080);
    assert_int_equal(f.seq, 77);
    assert_int_equal(f.len, 3);
    assert_int_equal(f.captured, 3);
    assert_memory_equal(f.data, "hi\n", 3);
}

static void v6_tcp(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    tcp(&l4, 40000, 8080, 0xfffffff0u, 0, FRAME_SYN, syn_opts,
        sizeof syn_opts, NULL, 0);
    v6_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET6);
    assert_int_equal(f.proto, IPPROTO_TCP);
    assert_memory_equal(f.src, addr6_c, 16);
    assert_memory_equal(f.dst, addr6_s, 16);
    assert_int_equal(f.sport, 40000);
    assert_int_equal(f.seq, 0xfffffff0u);
    assert_int_equal(f.opt.mss, 1460);
    assert_int_equal(f.opt.wscale, 7);
}

/* Hop-by-hop, destination options, fragment (the first), TCP. */
static void v6_extension_headers(void **state)
{
    struct pkt l4 = {{0}, 0}, p = {{0}, 0};
    struct frame f;
    size_t ext = 16 + 8 + 8;

    (void)state;
    tcp(&l4, 8080, 40000, 9, 10, FRAME_PSH | FRAME_ACK, NULL, 0, "abc", 3);
    eth(&p, 0x86dd);
    ip6(&p, 0, ext + l4.n);                      /* hop by hop first */
    ext6(&p, 60, 1);                             /* 16 bytes */
    ext6(&p, 44, 0);                             /* 8 bytes */
    frag6(&p, IPPROTO_TCP, 0, 1);                /* offset 0, more */
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET6);
    assert_int_equal(f.sport, 8080);
    assert_int_equal(f.seq, 9);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.data, "abc", 3);

    /* A later fragment holds no TCP header: not ours to read. */
    p.n = 0;
    eth(&p, 0x86dd);
    ip6(&p, 0, ext + l4.n);
    ext6(&p, 60, 1);
    ext6(&p, 44, 0);
    frag6(&p, IPPROTO_TCP, 185, 0);
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);
}

/* Routing and authentication headers (AH counts 4-byte words, less 2). */
static void v6_routing_and_ah(void **state)
{
    struct pkt l4 = {{0}, 0}, p = {{0}, 0};
    struct frame f;
    size_t i;

    (void)state;
    udp(&l4, 53, 5353, "q", 1);
    eth(&p, 0x86dd);
    ip6(&p, 43, 8 + 24 + l4.n);
    ext6(&p, 51, 0);                 /* routing, 8 bytes */
    b8(&p, IPPROTO_UDP);             /* AH: 24 bytes = (4 + 2) * 4 */
    b8(&p, 4);
    for (i = 0; i < 22; i++)
        b8(&p, 0);
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.proto, IPPROTO_UDP);
    assert_int_equal(f.sport, 53);
    assert_int_equal(f.dport, 5353);
    assert_int_equal(f.len, 1);
}

/* ICMPv6 and "no next header" are not TCP or UDP; a chain of extension
 * headers longer than any sender's is refused. */
static void v6_other_and_long_chain(void **state)
{
    struct pkt p = {{0}, 0};
    struct frame f;
    int i;

    (void)state;
    eth(&p, 0x86dd);
    ip6(&p, 58, 8);
    b32(&p, 0x80000000u);            /* echo request */
    b32(&p, 0);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);

    p.n = 0;
    eth(&p, 0x86dd);
    ip6(&p, 60, 8);
    ext6(&p, 59, 0);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);

    p.n = 0;
    eth(&p, 0x86dd);
    ip6(&p, 60, 9 * 8 + 20);
    for (i = 0; i < 9; i++)
        ext6(&p, i < 8 ? 60 : IPPROTO_TCP, 0);
    tcp(&p, 1, 2, 0, 0, FRAME_ACK, NULL, 0, NULL, 0);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
}

static void udp_v4_and_v6(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    udp(&l4, 5000, 8080, "hello\n", 6);
    v4_frame(&p, IPPROTO_UDP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET);
    assert_int_equal(f.proto, IPPROTO_UDP);
    assert_int_equal(f.sport, 5000);
    assert_int_equal(f.dport, 8080);
    assert_int_equal(f.len, 6);
    assert_int_equal(f.captured, 6);
    assert_memory_equal(f.data, "hello\n", 6);

    v6_frame(&p, IPPROTO_UDP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET6);
    assert_int_equal(f.proto, IPPROTO_UDP);
    assert_int_equal(f.len, 6);
    assert_memory_equal(f.data, "hello\n", 6);

    /* An empty datagram. */
    l4.n = 0;
    udp(&l4, 5000, 8080, NULL, 0);
    v4_frame(&p, IPPROTO_UDP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.len, 0);
}

/* The UDP length, not the IP one, says where the datagram ends. */
static void udp_length_shorter_than_ip(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    udp(&l4, 5000, 8080, "hello\n", 6);
    l4.b[5] = 8 + 2;
    v4_frame(&p, IPPROTO_UDP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.len, 2);
    assert_int_equal(f.captured, 2);
}

static void vlan_tags(void **state)
{
    struct pkt l4 = {{0}, 0}, p = {{0}, 0};
    struct frame f;

    (void)state;
    tcp(&l4, 40000, 8080, 1, 0, FRAME_SYN, NULL, 0, NULL, 0);
    eth(&p, 0x8100);
    vlan(&p, 42, 0x0800);
    ip4(&p, IPPROTO_TCP, NULL, 0, l4.n, 0);
    put_pkt(&p, &l4);
    assert_int_equal(p.n, 14 + 4 + 20 + 20);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.sport, 40000);
    assert_int_equal(f.flags, FRAME_SYN);

    /* QinQ: an outer 802.1ad tag, then an 802.1Q one, then IPv6. */
    p.n = 0;
    eth(&p, 0x88a8);
    vlan(&p, 7, 0x8100);
    vlan(&p, 42, 0x86dd);
    ip6(&p, IPPROTO_TCP, l4.n);
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.family, AF_INET6);

    /* A third tag is more than is followed. */
    p.n = 0;
    eth(&p, 0x8100);
    vlan(&p, 1, 0x8100);
    vlan(&p, 2, 0x8100);
    vlan(&p, 3, 0x0800);
    ip4(&p, IPPROTO_TCP, NULL, 0, l4.n, 0);
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);

    /* A tag cut short. */
    p.n = 0;
    eth(&p, 0x8100);
    b16(&p, 42);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
}

/* The raw-IP link (tun, ip6tnl): the IP header at once. */
static void raw_ip_link(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    tcp(&l4, 40000, 8080, 1, 0, FRAME_SYN, syn_opts, sizeof syn_opts,
        NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse_n(p.b + 14, p.n - 14, FRAME_LINK_IP, &f),
                     FRAME_OK);
    assert_int_equal(f.family, AF_INET);
    assert_int_equal(f.opt.mss, 1460);
    /* The same bytes read as Ethernet make no sense. */
    assert_int_not_equal(parse_n(p.b + 14, p.n - 14, FRAME_LINK_ETHER, &f),
                         FRAME_OK);

    v6_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse_n(p.b + 14, p.n - 14, FRAME_LINK_IP, &f),
                     FRAME_OK);
    assert_int_equal(f.family, AF_INET6);

    /* Neither version 4 nor 6; nothing at all. */
    p.b[14] = 0x50;
    assert_int_equal(parse_n(p.b + 14, p.n - 14, FRAME_LINK_IP, &f),
                     FRAME_OTHER);
    assert_int_equal(parse_n(p.b + 14, 0, FRAME_LINK_IP, &f), FRAME_BAD);
}

static void arp_and_icmp_are_other(void **state)
{
    struct pkt p = {{0}, 0};
    struct frame f;
    size_t i;

    (void)state;
    eth(&p, 0x0806);                 /* ARP request */
    b16(&p, 1);
    b16(&p, 0x0800);
    b8(&p, 6);
    b8(&p, 4);
    b16(&p, 1);
    for (i = 0; i < 20; i++)
        b8(&p, 0);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);

    p.n = 0;
    eth(&p, 0x0800);
    ip4(&p, IPPROTO_ICMP, NULL, 0, 8, 0);
    b32(&p, 0x08000000u);            /* echo request */
    b32(&p, 0);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);
}

/* IPv4 fragments: the first carries the TCP header (MF set, offset 0),
 * a later one does not. */
static void v4_fragments(void **state)
{
    struct pkt l4 = {{0}, 0}, p = {{0}, 0};
    struct frame f;

    (void)state;
    tcp(&l4, 40000, 8080, 1, 0, FRAME_ACK, NULL, 0, "abcd", 4);
    eth(&p, 0x0800);
    ip4(&p, IPPROTO_TCP, NULL, 0, l4.n, 0x2000);        /* MF, offset 0 */
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.len, 4);

    p.n = 0;
    eth(&p, 0x0800);
    ip4(&p, IPPROTO_TCP, NULL, 0, l4.n, 0x0003);        /* offset 24 */
    put_pkt(&p, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);
}

/*
 * Every frame cut at every length, n = 0 .. whole: never a read past n
 * (the copy is exactly n bytes), BAD until the transport header is
 * whole, then OK with the payload counted in full and `captured` what
 * the capture kept.
 */
static void cut_at_every_length(const unsigned char *b, size_t whole,
                                size_t hdrs, enum frame_link link,
                                size_t payload)
{
    size_t n;

    for (n = 0; n <= whole; n++) {
        struct frame f;
        enum frame_result r = parse_n(b, n, link, &f);

        if (n < hdrs) {
            if (r != FRAME_BAD)
                print_error("cut at %zu of %zu: %d\n", n, whole, (int)r);
            assert_int_equal(r, FRAME_BAD);
        } else {
            assert_int_equal(r, FRAME_OK);
            assert_int_equal(f.len, payload);
            assert_int_equal(f.captured, n - hdrs);
            assert_ptr_equal(f.data, b + hdrs);
        }
    }
}

static void truncated_at_every_length(void **state)
{
    /* Router alert, then no-ops and the end of the list. */
    static const unsigned char ip_opts[8] = {0x94, 4, 0, 0, 1, 1, 1, 0};
    struct pkt l4 = {{0}, 0}, p = {{0}, 0};
    const char *text = "welcome!\n";

    (void)state;
    cut_at_every_length(real_syn_v4, sizeof real_syn_v4, 74,
                        FRAME_LINK_ETHER, 0);
    cut_at_every_length(real_data_v4, sizeof real_data_v4, 66,
                        FRAME_LINK_ETHER, 9);
    cut_at_every_length(real_synack_v6, sizeof real_synack_v6, 94,
                        FRAME_LINK_ETHER, 0);
    cut_at_every_length(real_data_v4 + 14, sizeof real_data_v4 - 14, 52,
                        FRAME_LINK_IP, 9);

    /* IPv6 through three extension headers, with a payload. */
    tcp(&l4, 8080, 40000, 9, 10, FRAME_PSH | FRAME_ACK, syn_opts,
        sizeof syn_opts, text, 9);
    eth(&p, 0x86dd);
    ip6(&p, 0, 32 + l4.n);
    ext6(&p, 60, 1);
    ext6(&p, 44, 0);
    frag6(&p, IPPROTO_TCP, 0, 1);
    put_pkt(&p, &l4);
    cut_at_every_length(p.b, p.n, 14 + 40 + 32 + 40, FRAME_LINK_ETHER, 9);

    /* UDP over IPv4 with options, behind a VLAN tag. */
    l4.n = 0;
    udp(&l4, 5000, 8080, text, 9);
    p.n = 0;
    eth(&p, 0x8100);
    vlan(&p, 42, 0x0800);
    ip4(&p, IPPROTO_UDP, ip_opts, sizeof ip_opts, l4.n, 0);
    put_pkt(&p, &l4);
    cut_at_every_length(p.b, p.n, 18 + 28 + 8, FRAME_LINK_ETHER, 9);
}

/* Captured short of the whole (a snap length): the header says len, the
 * buffer holds `captured`, and the payload is not read past it. */
static void capture_cut_short(void **state)
{
    char big[300];
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;

    (void)state;
    memset(big, 'x', sizeof big);
    tcp(&l4, 8080, 40000, 1, 1, FRAME_ACK, NULL, 0, big, sizeof big);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse_n(p.b, 54 + 10, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.len, 300);
    assert_int_equal(f.captured, 10);

    /* Ethernet's padding of a short frame (60 bytes) is not payload. */
    l4.n = 0;
    tcp(&l4, 8080, 40000, 1, 1, FRAME_ACK, NULL, 0, NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    memset(p.b + p.n, 0xee, 6);
    p.n += 6;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.len, 0);
    assert_int_equal(f.captured, 0);

    l4.n = 0;
    udp(&l4, 1, 2, "ab", 2);
    v6_frame(&p, IPPROTO_UDP, &l4);
    memset(p.b + p.n, 0xee, 8);
    p.n += 8;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.len, 2);
    assert_int_equal(f.captured, 2);
}

static void bogus_ip_lengths(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;
    unsigned ihl;

    (void)state;
    /* The ack's first byte (0x50) would pass for a data offset if a
     * short IHL moved the TCP header 4 bytes back. */
    tcp(&l4, 40000, 8080, 1, 0x50000000u, FRAME_ACK, NULL, 0, NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);

    /* IHL below 5: the header would overlap the addresses. */
    for (ihl = 0; ihl < 5; ihl++) {
        p.b[14] = (unsigned char)(0x40 | ihl);
        assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    }
    /* IHL past what was captured. */
    p.b[14] = 0x4f;
    assert_int_equal(parse_n(p.b, 14 + 40, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[14] = 0x45;
    /* A total length shorter than the header. */
    p.b[16] = 0;
    p.b[17] = 19;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    /* ... or than the TCP header. */
    p.b[17] = 20 + 19;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[17] = 40;
    /* Version 6 in an IPv4 frame. */
    p.b[14] = 0x65;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);

    /* IPv6 whose payload length ends inside an extension header, or
     * inside the TCP header. */
    p.n = 0;
    eth(&p, 0x86dd);
    ip6(&p, 60, 4);
    ext6(&p, IPPROTO_TCP, 0);
    tcp(&p, 1, 2, 0, 0, FRAME_ACK, NULL, 0, NULL, 0);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[19] = 8 + 19;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[19] = 8 + 20;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    /* An extension header longer than the frame. */
    p.b[55] = 200;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    /* ... or than the payload, whatever follows it. */
    p.b[55] = 0;
    p.b[54] = 58;                    /* ICMPv6 */
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OTHER);
    p.b[19] = 4;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
}

static void bogus_tcp_lengths(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;
    unsigned off;

    (void)state;
    tcp(&l4, 40000, 8080, 1, 0, FRAME_SYN, syn_opts, sizeof syn_opts,
        NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    /* Data offset below 5. */
    for (off = 0; off < 5; off++) {
        p.b[46] = (unsigned char)(off << 4);
        assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    }
    /* Data offset past the end of the segment. */
    p.b[46] = 15 << 4;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[46] = 10 << 4;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
}

static void bogus_tcp_options(void **state)
{
    static const unsigned char len0[4] = {2, 0, 1, 1};
    static const unsigned char len1[4] = {1, 1, 3, 1};
    static const unsigned char past[4] = {1, 1, 8, 10};
    static const unsigned char no_len[4] = {1, 1, 1, 2};
    static const unsigned char *const bad[] = {len0, len1, past, no_len};
    /* Unknown kinds are stepped over; known ones of a wrong length are
     * not read (mss of length 3, wscale of length 4). */
    static const unsigned char odd[12] = {
        99, 4, 0, 0, 2, 3, 0x05, 3, 4, 1, 2, 0,
    };
    struct pkt l4, p;
    struct frame f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l4.n = 0;
        tcp(&l4, 40000, 8080, 1, 0, FRAME_SYN, bad[i], 4, NULL, 0);
        v4_frame(&p, IPPROTO_TCP, &l4);
        assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    }
    l4.n = 0;
    tcp(&l4, 40000, 8080, 1, 0, FRAME_SYN, odd, sizeof odd, NULL, 0);
    v4_frame(&p, IPPROTO_TCP, &l4);
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_OK);
    assert_int_equal(f.opt.mss, -1);
    assert_int_equal(f.opt.wscale, -1);
}

static void bogus_udp_lengths(void **state)
{
    struct pkt l4 = {{0}, 0}, p;
    struct frame f;
    unsigned ulen;

    (void)state;
    udp(&l4, 5000, 8080, "hello\n", 6);
    v4_frame(&p, IPPROTO_UDP, &l4);
    for (ulen = 0; ulen < 8; ulen++) {
        p.b[38] = 0;
        p.b[39] = (unsigned char)ulen;
        assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    }
    p.b[39] = 8 + 7;                 /* past the IP payload */
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[38] = 0xff;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);

    v6_frame(&p, IPPROTO_UDP, &l4);
    p.b[58] = 0;
    p.b[59] = 8 + 7;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
    p.b[59] = 4;
    assert_int_equal(parse(&p, FRAME_LINK_ETHER, &f), FRAME_BAD);
}

static void flags_text(unsigned flags, const char *want)
{
    char out[32];

    memset(out, '#', sizeof out);
    frame_flags_text(flags, out, sizeof out);
    assert_string_equal(out, want);
}

static void flags_named(void **state)
{
    char small[4];

    (void)state;
    flags_text(FRAME_SYN, "SYN");
    flags_text(FRAME_SYN | FRAME_ACK, "SYN+ACK");
    flags_text(FRAME_ACK, "ACK");
    flags_text(FRAME_PSH | FRAME_ACK, "PSH+ACK");
    flags_text(FRAME_FIN | FRAME_ACK, "FIN+ACK");
    flags_text(FRAME_RST | FRAME_ACK, "RST+ACK");
    flags_text(FRAME_RST, "RST");
    flags_text(FRAME_FIN | FRAME_PSH | FRAME_ACK, "FIN+PSH+ACK");
    flags_text(FRAME_URG | FRAME_ACK, "URG+ACK");
    flags_text(0x3f, "SYN+FIN+RST+PSH+URG+ACK");
    flags_text(0, "none");
    /* Too little room: cut, always ended. */
    memset(small, '#', sizeof small);
    frame_flags_text(FRAME_SYN | FRAME_ACK, small, sizeof small);
    assert_string_equal(small, "SYN");
    memset(small, '#', sizeof small);
    frame_flags_text(FRAME_FIN, small, 2);
    assert_int_equal(small[1], '\0');
    frame_flags_text(FRAME_FIN, small, 0);   /* writes nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        mock_unit_test(real_syn_with_linux_options),
        mock_unit_test(real_data_segment),
        mock_unit_test(real_synack_v6_loopback),
        mock_unit_test(v4_syn_with_options),
        mock_unit_test(tcp_end_of_options),
        mock_unit_test(v4_with_ip_options),
        mock_unit_test(v6_tcp),
        mock_unit_test(v6_extension_headers),
        mock_unit_test(v6_routing_and_ah),
        mock_unit_test(v6_other_and_long_chain),
        mock_unit_test(udp_v4_and_v6),
        mock_unit_test(udp_length_shorter_than_ip),
        mock_unit_test(vlan_tags),
        mock_unit_test(raw_ip_link),
        mock_unit_test(arp_and_icmp_are_other),
        mock_unit_test(v4_fragments),
        mock_unit_test(truncated_at_every_length),
        mock_unit_test(capture_cut_short),
        mock_unit_test(bogus_ip_lengths),
        mock_unit_test(bogus_tcp_lengths),
        mock_unit_test(bogus_tcp_options),
        mock_unit_test(bogus_udp_lengths),
        mock_unit_test(flags_named),
    };

    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
