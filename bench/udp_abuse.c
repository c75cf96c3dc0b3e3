/*
 * udp_abuse.c - what a hostile sender can make of a UDP echo service
 * (tcp-server -u), measured over loopback; bench/udp-abuse.sh runs it
 * against a server before and after a change, and `make bench` runs its
 * lookup case.  Never linked with libsock: the code under test does not
 * measure itself.
 *
 *   udp_abuse loop PORT_A PORT_B SECONDS
 *       One datagram forged from 127.0.0.1:PORT_A to 127.0.0.1:PORT_B
 *       (the same port: a server answering itself), then the UDP
 *       datagrams this network namespace delivers, second by second.
 *       Forging needs CAP_NET_RAW: run it in a namespace of its own
 *       (unshare -rn), as udp-abuse.sh does.
 *   udp_abuse amp PORT WAIT_MS
 *       One empty datagram, never another; every reply it draws in
 *       WAIT_MS, bytes counted at IP level (28 bytes of headers each).
 *   udp_abuse fill PORT N [BURST]
 *       N sockets of 127.0.0.1 send a datagram each, one after the
 *       other's first reply, and stay open; then
 *       127.0.0.2 sends one: its first reply, and, with BURST, how many
 *       replies BURST more datagrams from it draw.
 *   udp_abuse busy PORT BURST
 *       One socket of 127.0.0.1 sends a datagram; another sends BURST:
 *       the replies those draw (with --max-per-ip 1, busy notices).
 *   udp_abuse lookup PORT PEERS ROUNDS
 *       PEERS peers made of sockets on kernel-chosen ports, each sending
 *       from up to 250 loopback addresses (IP_PKTINFO), then one more
 *       peer's lockstep exchange: microseconds a round trip.  The peers
 *       said are those sent less those the server's socket dropped.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#define HDR 28

static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "udp_abuse: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct sockaddr_in loop_addr(const char *ip, int port)
{
    struct sockaddr_in a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

/* A UDP socket bound to ip on a kernel-chosen port, connected to
 * 127.0.0.1:port when port > 0. */
static int udp_sock(const char *ip, int port)
{
    struct sockaddr_in me = loop_addr(ip, 0), to = loop_addr("127.0.0.1", port);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0)
        die("socket");
    if (port > 0 && connect(fd, (struct sockaddr *)&to, sizeof to) < 0)
        die("connect");
    return fd;
}

/* One datagram on fd within ms, or -1. */
static ssize_t recv_within(int fd, char *buf, size_t size, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };

    if (poll(&p, 1, ms) != 1)
        return -1;
    return recv(fd, buf, size, 0);
}

/* The system's count of UDP datagrams delivered (this namespace's). */
static unsigned long long udp_in(void)
{
    char line[1024];
    unsigned long long v = 0;
    int head = 1;
    FILE *f = fopen("/proc/net/snmp", "r");

    if (f == NULL)
        die("/proc/net/snmp");
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Udp: ", 5) == 0) {
            if (!head && sscanf(line, "Udp: %llu", &v) == 1)
                break;
            head = 0;
        }
    fclose(f);
    return v;
}

static int do_loop(int pa, int pb, int seconds)
{
    struct {
        struct iphdr ip;
        struct udphdr udp;
        char data[6];
    } pkt;
    struct sockaddr_in to = loop_addr("127.0.0.1", pb);
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW), s;
    unsigned long long last;

    if (fd < 0)
        die("raw socket (CAP_NET_RAW: run in unshare -rn)");
    memset(&pkt, 0, sizeof pkt);
    pkt.ip.version = 4;
    pkt.ip.ihl = 5;
    pkt.ip.ttl = 64;
    pkt.ip.protocol = IPPROTO_UDP;
    pkt.ip.tot_len = htons(sizeof pkt);
    pkt.ip.saddr = htonl(INADDR_LOOPBACK);
    pkt.ip.daddr = htonl(INADDR_LOOPBACK);
    pkt.udp.source = htons((uint16_t)pa);
    pkt.udp.dest = htons((uint16_t)pb);
    pkt.udp.len = htons(sizeof pkt.udp + sizeof pkt.data);
    memcpy(pkt.data, "hello\n", 6);
    last = udp_in();
    if (sendto(fd, &pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to) < 0)
        die("sendto");
    for (s = 1; s <= seconds; s++) {
        unsigned long long n;

        sleep(1);
        n = udp_in();
        printf("second %d: %llu datagrams\n", s, n - last);
        last = n;
    }
    return 0;
}

static int do_amp(int port, int wait_ms)
{
    char buf[70000];
    int fd = udp_sock("127.0.0.1", port), n = 0;
    long long end = now_us() + wait_ms * 1000LL, bytes = 0;
    ssize_t r;

    if (send(fd, "", 0, 0) < 0)
        die("send");
    while (now_us() < end &&
           (r = recv_within(fd, buf, sizeof buf,
                            (int)((end - now_us()) / 1000) + 1)) >= 0) {
        n++;
        bytes += r + HDR;
    }
    printf("sent 1 datagram, %d bytes; got %d datagrams, %lld bytes: %.2fx\n",
           HDR, n, bytes, (double)bytes / HDR);
    return 0;
}

static int do_fill(int port, int n, int burst)
{
    char buf[512];
    int *fds = calloc((size_t)n, sizeof *fds), i, last, got = 0;
    ssize_t r;

    if (fds == NULL)
        die("calloc");
    /* One at a time, each answered (or not) before the next: a burst
     * would overflow the server's receive buffer and fill nothing. */
    for (i = 0; i < n; i++) {
        fds[i] = udp_sock("127.0.0.1", port);
        if (send(fds[i], "x\n", 2, 0) < 0)
            die("send");
        (void)recv_within(fds[i], buf, sizeof buf, 1000);
    }
    last = udp_sock("127.0.0.2", port);
    if (send(last, "hello\n", 6, 0) < 0)
        die("send");
    r = recv_within(last, buf, sizeof buf - 1, 2000);
    if (r < 0)
        printf("after %d peers, a newcomer from 127.0.0.2 gets nothing\n", n);
    else
        printf("after %d peers, a newcomer from 127.0.0.2 gets \"%.*s\"\n", n,
               r > 0 && buf[r - 1] == '\n' ? (int)r - 1 : (int)r, buf);
    for (i = 0; i < burst; i++)
        if (send(last, "again\n", 6, 0) < 0)
            die("send");
    while (burst > 0 && recv_within(last, buf, sizeof buf, 500) >= 0)
        got++;
    if (burst > 0)
        printf("%d more datagrams from it drew %d replies\n", burst, got);
    return 0;
}

static int do_busy(int port, int burst)
{
    char buf[512];
    int a = udp_sock("127.0.0.1", port), b = udp_sock("127.0.0.1", port), i;
    int got = 0;

    if (send(a, "x\n", 2, 0) < 0 || recv_within(a, buf, sizeof buf, 1000) < 0)
        die("first peer");
    for (i = 0; i < burst; i++)
        if (send(b, "again\n", 6, 0) < 0)
            die("send");
    while (recv_within(b, buf, sizeof buf, 500) >= 0)
        got++;
    printf("%d datagrams from a second port drew %d replies\n", burst, got);
    return 0;
}

/* Send one datagram from fd with the source address ip (IP_PKTINFO). */
static void send_from(int fd, struct in_addr ip, const struct sockaddr_in *to)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { "x\n", 2 };
    struct msghdr m;
    struct cmsghdr *c;
    struct in_pktinfo pi;

    memset(&m, 0, sizeof m);
    memset(&ctl, 0, sizeof ctl);
    memset(&pi, 0, sizeof pi);
    m.msg_name = (void *)to;
    m.msg_namelen = sizeof *to;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    pi.ipi_spec_dst = ip;
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    while (sendmsg(fd, &m, 0) < 0) {
        if (errno != EAGAIN && errno != ENOBUFS)
            die("sendmsg");
        usleep(1000);
    }
}

/* Datagrams dropped at the socket on 127.0.0.1:port for a full receive
 * buffer: the last field of its /proc/net/udp line. */
static long long server_drops(int port)
{
    char line[512], want[32];
    long long d = 0;
    FILE *f = fopen("/proc/net/udp", "r");

    if (f == NULL)
        return 0;
    snprintf(want, sizeof want, "0100007F:%04X ", (unsigned)port);
    while (fgets(line, sizeof line, f) != NULL) {
        char *last = strrchr(line, ' ');

        if (strstr(line, want) != NULL && last != NULL)
            d = atoll(last + 1);
    }
    fclose(f);
    return d;
}

/* Rounds of the lockstep exchange from a fresh peer: µs a round trip. */
static double lockstep(int port, int rounds)
{
    char buf[64];
    int fd = udp_sock("127.0.0.1", port), i;
    long long t0;

    if (send(fd, "hi\n", 3, 0) < 0 || recv_within(fd, buf, sizeof buf, 2000) < 0 ||
        recv_within(fd, buf, sizeof buf, 2000) < 0) {
        fprintf(stderr, "udp_abuse: no welcome\n");
        exit(1);
    }
    t0 = now_us();
    for (i = 0; i < rounds; i++)
        if (send(fd, "ping\n", 5, 0) < 0 ||
            recv_within(fd, buf, sizeof buf, 2000) != 5) {
            fprintf(stderr, "udp_abuse: round %d lost\n", i);
            exit(1);
        }
    close(fd);
    return (double)(now_us() - t0) / rounds;
}

static int do_lookup(int port, int peers, int rounds)
{
    struct sockaddr_in to = loop_addr("127.0.0.1", port);
    int naddr = 250, nsock = (peers + naddr - 1) / naddr, s, a, made = 0;
    int *fds = calloc((size_t)nsock, sizeof *fds);
    long long drops;
    double base;

    if (fds == NULL)
        die("calloc");
    base = lockstep(port, rounds);
    for (s = 0; s < nsock; s++) {
        struct sockaddr_in any = loop_addr("0.0.0.0", 0);
        int on = 1, small = 4096;

        fds[s] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[s] < 0 || bind(fds[s], (struct sockaddr *)&any, sizeof any) < 0)
            die("socket");
        /* Their replies are not read: a small buffer drops them. */
        setsockopt(fds[s], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        setsockopt(fds[s], IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    }
    drops = server_drops(port);
    for (a = 0; a < naddr && made < peers; a++)
        for (s = 0; s < nsock && made < peers; s++, made++) {
            struct in_addr ip;

            ip.s_addr = htonl(0x7f010000u + (unsigned)a + 1);  /* 127.1.0.x */
            send_from(fds[s], ip, &to);
            /* Paced below what the server takes: a datagram dropped at
             * its socket is a peer fewer. */
            if (made % 32 == 31)
                usleep(1000);
        }
    usleep(500000);
    drops = server_drops(port) - drops;
    printf("lockstep beside 1 peer: %.1f us a round trip; beside %lld: %.1f us\n",
           base, made - drops, lockstep(port, rounds));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "loop") == 0)
        return do_loop(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    if (argc == 4 && strcmp(argv[1], "amp") == 0)
        return do_amp(atoi(argv[2]), atoi(argv[3]));
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "fill") == 0)
        return do_fill(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 0);
    if (argc == 4 && strcmp(argv[1], "busy") == 0)
        return do_busy(atoi(argv[2]), atoi(argv[3]));
    if (argc == 5 && strcmp(argv[1], "lookup") == 0)
        return do_lookup(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: udp_abuse loop PORT_A PORT_B SECONDS | amp PORT WAIT_MS |\n"
                    "       fill PORT N [BURST] | busy PORT BURST | lookup PORT PEERS ROUNDS\n");
    return 2;
}
