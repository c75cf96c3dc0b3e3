/*
 * server_args.h - tcp-server's command line, read into a struct.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SERVER_ARGS_H
#define SERVER_ARGS_H

#include <stddef.h>

#include "args.h"
#define SERVER_DEFAULT_PORT "8080"
#define SERVER_DEFAULT_MAX_LINE 8192
#define SERVER_DEFAULT_MAX_CLIENTS 1024
#define SERVER_DEFAULT_IDLE_TIMEOUT 300
#define SERVER_MAX_MAX_CLIENTS 1000000
/* -u: replies a second to one peer; a loop between two echo services
 * runs far faster, and the first reply dropped ends it. */
#define SERVER_DEFAULT_UDP_RATE 1000

struct server_args {
    int family;          /* AF_UNSPEC (dual stack), AF_INET or AF_INET6 */
    const char *bind;    /* -b ADDR, or NULL for every interface */
    char bind_buf[256];  /* -b [IPv6] without its brackets */
    const char *port;    /* "8080" unless given */
    int once;            /* --once: serve one client, then exit */
    int quiet;           /* -q: no connect/disconnect chatter; -q -q
                            (2): no per-line log either */
    size_t max_line;     /* --max-line: longest line, '\n' included */
    size_t max_clients;  /* --max-clients: sessions at once */
    size_t max_per_ip;   /* --max-per-ip: sessions from one IP, 0 = any */
    long idle_timeout;   /* --idle-timeout: seconds, 0 = never */
    int backlog;         /* --backlog: listen's backlog, -1 = the maximum */
    int no_accept;       /* --no-accept: listen, never accept (a lesson) */
    int trace;           /* -t: narrate every socket call on stderr */
    int model;           /* --model: enum server_model (serve.h) */
    const char *local;   /* -U PATH: an AF_LOCAL stream socket, or NULL */
    int udp;             /* -u: the exchange over UDP datagrams */
    long udp_rate;       /* --udp-rate: -u's replies a second to one
                            peer, 0 = no limit */
    int seqpacket;       /* --seqpacket: -U's socket is SOCK_SEQPACKET,
                            a message per line */
};

/*
 * server_args_parse - fill `a` from argv.  On ARGS_USAGE, err holds one
 * line saying which argument is wrong and why.
 */
enum args_result server_args_parse(int argc, char **argv,
                                   struct server_args *a, char *err,
                                   size_t errsize);

/* The name --model takes for a design ("epoll", ...). */
const char *server_model_name(int model);

#endif /* SERVER_ARGS_H */
