/*
 * siphash.c - SipHash-2-4 (siphash.h), as the paper describes it: the
 * key's two halves set the four words of state; each 8-byte block of the
 * message, read little-endian, is mixed in with two rounds; the last
 * block holds the leftover bytes and the length's low byte at the top;
 * four more rounds finish.
 *
 * SPDX-License-Identifier: MIT
 */
#include "siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* n bytes (n <= 8) at p as a little-endian number: the paper's order,
 * whatever this machine's. */
static uint64_t le64(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* One SipRound: the paper's add-rotate-xor network over v[0..3]. */
static void sipround(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL(v[1], 13);
    v[1] ^= v[0];
    v[0] = ROTL(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = ROTL(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = ROTL(v[1], 17);
    v[1] ^= v[2];
    v[2] = ROTL(v[2], 32);
}

/* Mix one message word in: c = 2 rounds between the two xors. */
static void compress(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    sipround(v);
    sipround(v);
    v[0] ^= m;
}

uint64_t siphash24(const unsigned char key[16], const void *in, size_t len)
{
    const unsigned char *p = in;
    uint64_t k0 = le64(key, 8), k1 = le64(key + 8, 8);
    /* "somepseudorandomlygeneratedbytes", the paper's constants. */
    uint64_t v[4];
    size_t left = len;

    v[0] = k0 ^ UINT64_C(0x736f6d6570736575);
    v[1] = k1 ^ UINT64_C(0x646f72616e646f6d);
    v[2] = k0 ^ UINT64_C(0x6c7967656e657261);
    v[3] = k1 ^ UINT64_C(0x7465646279746573);
    for (; left >= 8; left -= 8, p += 8)
        compress(v, le64(p, 8));
    compress(v, le64(p, left) | ((uint64_t)(len & 0xff) << 56));
    v[2] ^= 0xff;
    sipround(v);
    sipround(v);
    sipround(v);
    sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}
