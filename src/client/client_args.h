/*
 * client_args.h - tcp-client's command line, read into a struct.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CLIENT_ARGS_H
#define CLIENT_ARGS_H

#include <stddef.h>

#include "args.h"

#define CLIENT_DEFAULT_HOST "127.0.0.1"
#define CLIENT_DEFAULT_PORT "8080"
#define CLIENT_DEFAULT_TIMEOUT 10

struct client_args {
    int family;          /* AF_UNSPEC, AF_INET or AF_INET6 */
    const char *host;    /* "127.0.0.1" unless given; no brackets */
    char host_buf[256];  /* HOST given as [IPv6], without the brackets */
    const char *port;    /* "8080" unless given */
    int timeout_s;       /* --timeout: seconds per address, 0 = kernel's */
    int trace;           /* -t: narrate every socket call on stderr */
    const char *local;   /* -U PATH: an AF_LOCAL stream socket, or NULL */
    int udp;             /* -u: the exchange over UDP datagrams */
};

enum args_result client_args_parse(int argc, char **argv,
                                   struct client_args *a, char *err,
                                   size_t errsize);

/* The server as the user named it: "HOST:PORT", "[IPv6]:PORT",
 * "unix:PATH". */
void client_server_name(const struct client_args *a, char *out, size_t size);

/*
 * The one line tcp-client prints when it cannot connect, from what
 * sock_connect_to() said (`why_msg`, naming the step and an address).
 * When that address is not what the user typed (HOST is a name that
 * resolved), the name goes first: "localhost:8080: connect
 * 127.0.0.1:8080: Connection refused".  `resolved` is 1 when HOST was
 * looked up and resolved, 0 when it is an address or did not resolve
 * (the message names it then).
 */
void client_connect_error(const struct client_args *a, const char *why_msg,
                          int resolved, char *out, size_t size);

#endif /* CLIENT_ARGS_H */
