/*
 * tcp-watch.c - the wire, in the article's words: every TCP segment (and
 * UDP datagram) to or from PORT on the loopback interface, with j and k
 * for the two first sequence numbers and both ends' states; with
 * "-- COMMAND", the command's trace and the segments on one timeline.
 * This file reads the command line and gets the privilege to read the
 * wire; watch.c watches.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsock.h"
#include "capture.h"
#include "netns.h"
#include "privilege.h"
#include "std_fds.h"
#include "watch.h"
#include "watch_args.h"

static void usage(FILE *f)
{
    fputs("usage: tcp-watch [-i IFACE] [-v] [--ladder | --mermaid] [PORT]\n"
          "       tcp-watch [options] [--netns] [PORT] -- COMMAND [ARGS...]\n"
          "\n"
          "Show every TCP segment and UDP datagram to or from PORT (default 8080)\n"
          "on the loopback interface, one line each, with sequence numbers named\n"
          "as the article names them (j: the client's first, k: the server's) and\n"
          "the TCP state of both ends where it changes.  Only reads; never sends.\n"
          "With \"-- COMMAND\", run COMMAND and show its output (a traced program's\n"
          "calls) and the segments in the order they happened; without the\n"
          "privilege to read this machine's loopback, in a private network\n"
          "namespace with a loopback of its own.\n"
          "\n"
          "  -i IFACE       read IFACE instead of lo\n"
          "  -v             also each segment's window and TCP options\n"
          "  --ladder       client left, server right, an arrow per segment\n"
          "  --mermaid      at the end, a Mermaid sequenceDiagram of it all\n"
          "  --netns        run COMMAND in a private network namespace always\n"
          "  -h, --help     show this help\n"
          "  -V, --version  show the version\n", f);
}

/* The one line for a missing privilege, and the ways out. */
static void say_no_privilege(const struct watch_args *a, const char *why)
{
    fprintf(stderr,
            "tcp-watch: %s: reading the wire needs CAP_NET_RAW: run it as root "
            "(sudo), or give it the capability (sudo setcap cap_net_raw+ep "
            "tcp-watch), or let it run the programs in a network of its own "
            "(tcp-watch %u -- COMMAND)\n", why, (unsigned)a->port);
}

int main(int argc, char **argv)
{
    struct watch_args a;
    struct capture cap;
    struct sock_err why;
    char err[600];
    int private_ns = 0;

    switch (watch_args_parse(argc, argv, &a, err, sizeof err)) {
    case ARGS_HELP:
        usage(stdout);
        return 0;
    case ARGS_VERSION:
        printf("tcp-watch (libsock) %s\n", LIBSOCK_VERSION);
        return 0;
    case ARGS_USAGE:
        fprintf(stderr, "tcp-watch: %s\n", err);
        fputs("Try 'tcp-watch --help' for more information.\n", stderr);
        return 2;
    case ARGS_RUN:
        break;
    }
    fill_std_fds();

    if (a.netns) {
        if (netns_enter_private(&why) == -1) {
            fprintf(stderr, "tcp-watch: %s\n", why.msg);
            return 1;
        }
        private_ns = 1;
    }
    while (capture_open(&cap, a.iface, a.port, &why) == -1) {
        if ((errno != EPERM && errno != EACCES) || private_ns) {
            fprintf(stderr, "tcp-watch: %s\n", why.msg);
            return 1;
        }
        if (a.command == NULL) {
            say_no_privilege(&a, why.msg);
            return 1;
        }
        /* No privilege here: a network of our own, where we have it. */
        if (netns_enter_private(&why) == -1) {
            say_no_privilege(&a, why.msg);
            return 1;
        }
        private_ns = 1;
    }
    /* Root was needed to open the socket, not to read it. */
    if (!private_ns && privilege_drop_to_sudo_user(&why) == -1) {
        fprintf(stderr, "tcp-watch: %s\n", why.msg);
        capture_close(&cap);
        return 1;
    }
    if (private_ns)
        fprintf(stderr, "tcp-watch: in a private network namespace: only "
                "what COMMAND does on its own loopback is seen, nothing "
                "outside it\n");
    {
        int rc = watch_run(&a, &cap);

        capture_close(&cap);
        return rc;
    }
}
