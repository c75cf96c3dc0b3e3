/*
 * client_args.h - tcp-client's command line, read into a struct.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CLIENT_ARGS_H
#define CLIENT_ARGS_H

#include <stddef.h>

#include "server_args.h"   /* enum args_result */

#define CLIENT_DEFAULT_HOST "127.0.0.1"
#define CLIENT_DEFAULT_PORT "8080"
#define CLIENT_DEFAULT_TIMEOUT 10

struct client_args {
    int family;          /* AF_UNSPEC, AF_INET or AF_INET6 */
    const char *host;    /* "127.0.0.1" unless given */
    const char *port;    /* "8080" unless given */
    int timeout_s;       /* --timeout: seconds per address, 0 = kernel's */
};

enum args_result client_args_parse(int argc, char **argv,
                                   struct client_args *a, char *err,
                                   size_t errsize);

#endif /* CLIENT_ARGS_H */
