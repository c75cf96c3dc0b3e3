/*
 * forge.h - a UDP datagram with any IPv4 source, address and port, as
 * an attacker on the path could send it: a raw socket writes the IP
 * header itself.  Needs CAP_NET_RAW over the network namespace: the
 * root of one of the test's own (own_ns.h), or root.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_FORGE_H
#define TEST_FORGE_H

#include <stddef.h>

/*
 * Send len bytes at data as one UDP datagram from src:sport to dst:dport
 * (dotted IPv4 text, ports in host order).  Returns 0, or -1 with errno.
 */
int forge_udp4(const char *src, unsigned sport, const char *dst,
               unsigned dport, const void *data, size_t len);

/* The UDP datagrams this network namespace has delivered so far
 * (InDatagrams of /proc/net/snmp), or -1. */
long long udp_delivered(void);

#endif /* TEST_FORGE_H */
