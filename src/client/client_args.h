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
/* Seconds with nothing from the server before the client gives up,
 * unless -w says otherwise; not while a person may still type (see
 * client_idle_ms()). */
#define CLIENT_DEFAULT_IDLE 60

struct client_args {
    int family;          /* AF_UNSPEC, AF_INET or AF_INET6 */
    const char *host;    /* "127.0.0.1" unless given; no brackets */
    char host_buf[256];  /* HOST given as [IPv6], without the brackets */
    const char *port;    /* "8080" unless given */
    int timeout_s;       /* --timeout: seconds per address, 0 = kernel's */
    int trace;           /* -t: narrate every socket call on stderr */
    const char *local;   /* -U PATH: an AF_LOCAL stream socket, or NULL */
    int udp;             /* -u: the exchange over UDP datagrams */
    int idle_s;          /* -w: give up after SEC with nothing received;
                            0 = never, -1 = not given (the default) */
    int raw;             /* --raw: the server's bytes to a terminal as
                            they are, control bytes included */
    int seqpacket;       /* --seqpacket: -U's socket is SOCK_SEQPACKET,
                            each input line one message */
};

enum args_result client_args_parse(int argc, char **argv,
                                   struct client_args *a, char *err,
                                   size_t errsize);

/*
 * client_idle_ms - how long the client waits with nothing received from
 * the server before it gives up, in milliseconds, -1 for no limit.
 * `typing` is 1 while the input is a terminal still read: then a person
 * may type the next line at any time, and without -w the client waits
 * for them as long as they like.  Otherwise (a pipe or a file, or the
 * input has ended or quit was sent) the default is CLIENT_DEFAULT_IDLE,
 * so that a script is never held for ever by a silent server.  -w SEC
 * applies in every case, 0 meaning no limit.
 */
int client_idle_ms(const struct client_args *a, int typing);

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
