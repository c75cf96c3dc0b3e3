/*
 * forge.c - forged UDP datagrams (forge.h).  The kernel fills in the IP
 * header's checksum and identification for a raw socket of protocol
 * IPPROTO_RAW; the UDP checksum is left 0, "none", which IPv4 allows.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "forge.h"

#define IP_HDR 20
#define UDP_HDR 8
#define FORGE_MAX 1024

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

int forge_udp4(const char *src, unsigned sport, const char *dst,
               unsigned dport, const void *data, size_t len)
{
    unsigned char pkt[IP_HDR + UDP_HDR + FORGE_MAX];
    struct sockaddr_in to;
    struct in_addr s, d;
    size_t total = IP_HDR + UDP_HDR + len;
    int fd, saved;
    ssize_t n;

    if (len > FORGE_MAX || inet_pton(AF_INET, src, &s) != 1 ||
        inet_pton(AF_INET, dst, &d) != 1) {
        errno = EINVAL;
        return -1;
    }
    memset(pkt, 0, IP_HDR + UDP_HDR);
    pkt[0] = 0x45;                  /* version 4, 5 words of header */
    put16(pkt + 2, (unsigned)total);
    pkt[8] = 64;                    /* TTL */
    pkt[9] = IPPROTO_UDP;
    memcpy(pkt + 12, &s, 4);
    memcpy(pkt + 16, &d, 4);
    put16(pkt + IP_HDR, sport);
    put16(pkt + IP_HDR + 2, dport);
    put16(pkt + IP_HDR + 4, (unsigned)(UDP_HDR + len));
    memcpy(pkt + IP_HDR + UDP_HDR, data, len);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr = d;
    fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd == -1)
        return -1;
    n = sendto(fd, pkt, total, 0, (struct sockaddr *)&to, sizeof to);
    saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)total ? 0 : -1;
}

long long udp_delivered(void)
{
    char line[1024];
    long long v = -1;
    int head = 1;
    FILE *f = fopen("/proc/net/snmp", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Udp: ", 5) == 0) {
            if (!head && sscanf(line, "Udp: %lld", &v) == 1)
                break;
            head = 0;
        }
    fclose(f);
    return v;
}
