/*
 * udp_limits.c - the limits on what tcp-server -u sends (udp_limits.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <netinet/in.h>

#include "udp_limits.h"

void udp_bucket_init(struct udp_bucket *b, long rate, long long now)
{
    b->milli = (long long)rate * 1000;
    b->at = now;
}

int udp_bucket_take(struct udp_bucket *b, long rate, long long now)
{
    long long full = (long long)rate * 1000;

    if (rate <= 0)
        return 1;
    /* A second refills the whole burst: a longer gap adds nothing more,
     * and capping it first keeps the product far from overflow.  A
     * clock that went back (it does not: sock_clock_ms is monotonic)
     * would add nothing. */
    if (now > b->at) {
        long long ms = now - b->at > 1000 ? 1000 : now - b->at;

        b->milli += ms * rate;
        if (b->milli > full)
            b->milli = full;
        b->at = now;
    }
    if (b->milli < 1000)
        return 0;
    b->milli -= 1000;
    return 1;
}

size_t udp_header_bytes(int family)
{
    return family == AF_INET6 ? UDP_HDR_V6 : UDP_HDR_V4;
}

int udp_budget_allows(unsigned long long in, unsigned long long out,
                      size_t len)
{
    return out + len <= UDP_AMPLIFICATION * in;
}

int udp_port_refused(const struct sockaddr_storage *ss)
{
    unsigned port;

    if (ss->ss_family == AF_INET)
        port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
    else if (ss->ss_family == AF_INET6)
        port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    else
        return 1;
    /* 0: nothing can be sent there.  The rest answer whatever comes
     * (RFC 862 echo, 867 daytime, 865 qotd, 864 chargen, 868 time). */
    return port == 0 || port == 7 || port == 13 || port == 17 ||
           port == 19 || port == 37;
}
