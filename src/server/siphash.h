/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012): a keyed hash of a few bytes.  tcp-server -u
 * files its peers by it (udp_peers.c): with a key drawn at random for
 * each run, nobody who sends datagrams can choose source addresses that
 * fall into one bucket and turn each lookup into a scan.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SIPHASH_H
#define SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit SipHash-2-4 of the len bytes at in under the 16-byte key. */
uint64_t siphash24(const unsigned char key[16], const void *in, size_t len);

#endif /* SIPHASH_H */
