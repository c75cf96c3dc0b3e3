/*
 * udp_peers.c - tcp-server -u's table of peers (udp_peers.h).
 *
 * Two chained hash tables under one SipHash key: peers by (family,
 * address, port, scope), and IP addresses by (family, address) with the
 * number of peers from each.  Each grows to keep at most one entry per
 * bucket on average; a peer also sits on a doubly linked list by the
 * time it was heard from, so the oldest is always at hand.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "siphash.h"
#include "udp_peers.h"

#define FIRST_BUCKETS 64
#define KEY_MAX 23      /* family, 16 address bytes, port, scope id */

struct udp_ip {
    unsigned char key[KEY_MAX];
    size_t klen;
    size_t peers;           /* peers from this address */
    uint64_t hash;
    struct udp_ip *chain;
};

/* What identifies ss, as bytes to hash and compare: the family, the
 * address and, with_port, the port and the IPv6 scope.  Returns the
 * length. */
static size_t key_of(const struct sockaddr_storage *ss, int with_port,
                     unsigned char k[KEY_MAX])
{
    size_t n = 0;

    k[n++] = (unsigned char)ss->ss_family;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

        memcpy(k + n, &a->sin_addr, 4);
        n += 4;
        if (with_port) {
            memcpy(k + n, &a->sin_port, 2);
            n += 2;
        }
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

        memcpy(k + n, &a->sin6_addr, 16);
        n += 16;
        if (with_port) {
            memcpy(k + n, &a->sin6_port, 2);
            memcpy(k + n + 2, &a->sin6_scope_id, 4);
            n += 6;
        }
    }
    return n;
}

void udp_peers_random_key(unsigned char key[16])
{
    int fd = open("/dev/urandom", O_RDONLY);
    size_t got = 0;

    while (fd >= 0 && got < 16) {
        ssize_t n = read(fd, key + got, 16 - got);

        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    if (fd >= 0)
        close(fd);
    if (got < 16) {
        struct timespec ts;
        unsigned long long v;
        int i;

        (void)clock_gettime(CLOCK_REALTIME, &ts);
        v = (unsigned long long)ts.tv_nsec * 1000003u ^
            (unsigned long long)ts.tv_sec ^ (unsigned long long)getpid() << 40;
        for (i = 0; i < 16; i++)
            key[i] = (unsigned char)(v >> (8 * (i % 8))) ^ (unsigned char)(i * 151);
    }
}

int udp_peers_init(struct udp_peers *t, const unsigned char key[16])
{
    memset(t, 0, sizeof *t);
    memcpy(t->key, key, 16);
    t->bucket = calloc(FIRST_BUCKETS, sizeof(struct udp_peer *));
    t->ipbucket = calloc(FIRST_BUCKETS, sizeof(struct udp_ip *));
    if (t->bucket == NULL || t->ipbucket == NULL) {
        free(t->bucket);
        free(t->ipbucket);
        errno = ENOMEM;
        return -1;
    }
    t->nb = t->nipb = FIRST_BUCKETS;
    return 0;
}

void udp_peers_fini(struct udp_peers *t)
{
    struct udp_peer *p = t->oldest;
    size_t i;

    /* Every peer is on the list once: free them along it. */
    while (p != NULL) {
        struct udp_peer *next = p->newer;

        free(p);
        p = next;
    }
    t->oldest = t->newest = NULL;
    t->n = 0;
    for (i = 0; i < t->nipb; i++)
        while (t->ipbucket[i] != NULL) {
            struct udp_ip *ip = t->ipbucket[i];

            t->ipbucket[i] = ip->chain;
            free(ip);
        }
    free(t->bucket);
    free(t->ipbucket);
    t->bucket = NULL;
    t->ipbucket = NULL;
}

/* A peer's key compared with ss's: the same peer? */
static int same(const struct udp_peer *p, const unsigned char *k, size_t n)
{
    unsigned char pk[KEY_MAX];

    return key_of(&p->addr, 1, pk) == n && memcmp(pk, k, n) == 0;
}

struct udp_peer *udp_peers_find(const struct udp_peers *t,
                                const struct sockaddr_storage *ss)
{
    unsigned char k[KEY_MAX];
    size_t n = key_of(ss, 1, k);
    uint64_t h = siphash24(t->key, k, n);
    struct udp_peer *p;

    for (p = t->bucket[h & (t->nb - 1)]; p != NULL; p = p->chain)
        if (p->hash == h && same(p, k, n))
            return p;
    return NULL;
}

/* The count for ss's IP address, or NULL. */
static struct udp_ip *find_ip(const struct udp_peers *t,
                              const struct sockaddr_storage *ss)
{
    unsigned char k[KEY_MAX];
    size_t n = key_of(ss, 0, k);
    uint64_t h = siphash24(t->key, k, n);
    struct udp_ip *ip;

    for (ip = t->ipbucket[h & (t->nipb - 1)]; ip != NULL; ip = ip->chain)
        if (ip->hash == h && ip->klen == n && memcmp(ip->key, k, n) == 0)
            return ip;
    return NULL;
}

size_t udp_peers_from_ip(const struct udp_peers *t,
                         const struct sockaddr_storage *ss)
{
    const struct udp_ip *ip = find_ip(t, ss);

    return ip != NULL ? ip->peers : 0;
}

/* Twice the buckets for the peers, once they outnumber them; on ENOMEM
 * the chains just grow longer. */
static void grow_peers(struct udp_peers *t)
{
    size_t nb = t->nb * 2, i;
    struct udp_peer **b;

    if (t->n <= t->nb || nb < t->nb || (b = calloc(nb, sizeof(struct udp_peer *))) == NULL)
        return;
    for (i = 0; i < t->nb; i++)
        while (t->bucket[i] != NULL) {
            struct udp_peer *p = t->bucket[i];

            t->bucket[i] = p->chain;
            p->chain = b[p->hash & (nb - 1)];
            b[p->hash & (nb - 1)] = p;
        }
    free(t->bucket);
    t->bucket = b;
    t->nb = nb;
}

/* The same for the IP addresses. */
static void grow_ips(struct udp_peers *t)
{
    size_t nb = t->nipb * 2, i;
    struct udp_ip **b;

    if (t->nip <= t->nipb || nb < t->nipb || (b = calloc(nb, sizeof(struct udp_ip *))) == NULL)
        return;
    for (i = 0; i < t->nipb; i++)
        while (t->ipbucket[i] != NULL) {
            struct udp_ip *ip = t->ipbucket[i];

            t->ipbucket[i] = ip->chain;
            ip->chain = b[ip->hash & (nb - 1)];
            b[ip->hash & (nb - 1)] = ip;
        }
    free(t->ipbucket);
    t->ipbucket = b;
    t->nipb = nb;
}

/* ss's IP address counted once more; NULL on ENOMEM. */
static struct udp_ip *count_ip(struct udp_peers *t,
                               const struct sockaddr_storage *ss)
{
    struct udp_ip *ip = find_ip(t, ss);

    if (ip == NULL) {
        size_t slot;

        ip = calloc(1, sizeof *ip);
        if (ip == NULL)
            return NULL;
        ip->klen = key_of(ss, 0, ip->key);
        ip->hash = siphash24(t->key, ip->key, ip->klen);
        slot = ip->hash & (t->nipb - 1);
        ip->chain = t->ipbucket[slot];
        t->ipbucket[slot] = ip;
        t->nip++;
        grow_ips(t);
    }
    ip->peers++;
    return ip;
}

/* ip counted once less; gone at zero. */
static void uncount_ip(struct udp_peers *t, struct udp_ip *ip)
{
    struct udp_ip **pp;

    if (--ip->peers > 0)
        return;
    for (pp = &t->ipbucket[ip->hash & (t->nipb - 1)]; *pp != ip;
         pp = &(*pp)->chain)
        ;
    *pp = ip->chain;
    t->nip--;
    free(ip);
}

/* Put p at the new end of the list. */
static void link_newest(struct udp_peers *t, struct udp_peer *p)
{
    p->newer = NULL;
    p->older = t->newest;
    if (t->newest != NULL)
        t->newest->newer = p;
    else
        t->oldest = p;
    t->newest = p;
}

/* Take p off the list. */
static void unlink_list(struct udp_peers *t, struct udp_peer *p)
{
    if (p->older != NULL)
        p->older->newer = p->newer;
    else
        t->oldest = p->newer;
    if (p->newer != NULL)
        p->newer->older = p->older;
    else
        t->newest = p->older;
}

struct udp_peer *udp_peers_add(struct udp_peers *t,
                               const struct sockaddr_storage *ss,
                               socklen_t len, long long now)
{
    unsigned char k[KEY_MAX];
    struct udp_peer *p = calloc(1, sizeof *p);
    size_t slot;

    if (p == NULL)
        return NULL;
    p->ip = count_ip(t, ss);
    if (p->ip == NULL) {
        free(p);
        return NULL;
    }
    p->addr = *ss;
    p->len = len;
    p->last = now;
    p->hash = siphash24(t->key, k, key_of(ss, 1, k));
    slot = p->hash & (t->nb - 1);
    p->chain = t->bucket[slot];
    t->bucket[slot] = p;
    link_newest(t, p);
    t->n++;
    grow_peers(t);
    return p;
}

void udp_peers_touch(struct udp_peers *t, struct udp_peer *p, long long now)
{
    p->last = now;
    if (t->newest == p)
        return;
    unlink_list(t, p);
    link_newest(t, p);
}

void udp_peers_remove(struct udp_peers *t, struct udp_peer *p)
{
    struct udp_peer **pp;

    for (pp = &t->bucket[p->hash & (t->nb - 1)]; *pp != p; pp = &(*pp)->chain)
        ;
    *pp = p->chain;
    unlink_list(t, p);
    uncount_ip(t, p->ip);
    t->n--;
    free(p);
}

struct udp_peer *udp_peers_oldest(const struct udp_peers *t)
{
    return t->oldest;
}
