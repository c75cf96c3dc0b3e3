/*
 * udp_peers.h - tcp-server -u's table of peers (udp_peers.c): a hash
 * table on (family, address, port, IPv6 scope), keyed with SipHash under
 * a key drawn at random for each run, and a list from the peer heard
 * from longest ago to the one heard from last.  Every operation is O(1)
 * on average whatever the number of peers: a lookup, a new peer, making
 * room (the oldest goes), expiry (the oldest first), and the count of
 * peers that share one IP address (--max-per-ip).
 *
 * The table keeps peers; what the server does with them (the protocol,
 * the limits on what it sends) is serve_udp.c's.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef UDP_PEERS_H
#define UDP_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "libsock.h"
#include "udp_limits.h"

struct udp_ip;

struct udp_peer {
    struct sockaddr_storage addr;
    socklen_t len;
    long long last;                 /* when it was last heard from */
    unsigned long heard;            /* datagrams it sent */
    unsigned long long in, out;     /* bytes each way, IP headers counted */
    struct udp_bucket rate;         /* replies it may still get (--udp-rate) */
    char text[SOCK_ADDR_TEXT_MAX];  /* its address, for the log */
    /* The table's own links. */
    struct udp_peer *older, *newer; /* the list by time heard from */
    struct udp_peer *chain;         /* next in its hash bucket */
    struct udp_ip *ip;              /* the count for its IP address */
    uint64_t hash;
};

struct udp_peers {
    size_t n;                       /* peers in the table */
    size_t nb;                      /* buckets (a power of two) */
    struct udp_peer **bucket;
    size_t nip, nipb;               /* IP addresses, and their buckets */
    struct udp_ip **ipbucket;
    struct udp_peer *oldest, *newest;
    unsigned char key[16];
};

/* Fill key with 16 bytes from the system's random source (/dev/urandom);
 * where it cannot be read, from the clock and the process id, which is
 * weaker but still unknown to a remote sender.  Never fails. */
void udp_peers_random_key(unsigned char key[16]);

/* An empty table hashing under key.  Returns 0, or -1 (ENOMEM). */
int udp_peers_init(struct udp_peers *t, const unsigned char key[16]);

/* Free every peer and the table. */
void udp_peers_fini(struct udp_peers *t);

/* The peer with ss's family, address, port (and scope), or NULL. */
struct udp_peer *udp_peers_find(const struct udp_peers *t,
                                const struct sockaddr_storage *ss);

/* How many peers share ss's IP address (any port). */
size_t udp_peers_from_ip(const struct udp_peers *t,
                         const struct sockaddr_storage *ss);

/* A new peer for ss (not in the table), the newest, its counts zero.
 * Returns it, or NULL (ENOMEM).  The caller bounds the table's size. */
struct udp_peer *udp_peers_add(struct udp_peers *t,
                               const struct sockaddr_storage *ss,
                               socklen_t len, long long now);

/* p was heard from at now: it becomes the newest. */
void udp_peers_touch(struct udp_peers *t, struct udp_peer *p, long long now);

/* Take p out of the table and free it. */
void udp_peers_remove(struct udp_peers *t, struct udp_peer *p);

/* The peer heard from longest ago, or NULL when the table is empty. */
struct udp_peer *udp_peers_oldest(const struct udp_peers *t);

#endif /* UDP_PEERS_H */
