/*
 * tcp-client.c - the article's client, runnable: socket, connect, then
 * send what is typed and show what comes back, until "quit".  This file
 * only reads the command line; libsock connects and client_loop.c talks.
 *
 * SPDX-License-Identifier: MIT
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libsock.h"
#include "client_args.h"
#include "std_fds.h"
#include "client_loop.h"
#include "trace_out.h"

static void usage(FILE *f)
{
    fputs("usage: tcp-client [-4|-6] [-U PATH [--seqpacket] | -u] [-t|--trace]\n"
          "                  [--timeout SEC] [-w|--idle-timeout SEC] [--raw]\n"
          "                  [-h|--help] [-V|--version]\n"
          "                  [HOST [PORT]]\n"
          "\n"
          "Connect to HOST (default 127.0.0.1; an IPv6 address may be written in\n"
          "brackets, [::1]) on PORT (default 8080), send each\n"
          "line of input and show everything the server sends.  After a \"quit\"\n"
          "line, or at the end of input, show the rest and exit.\n"
          "\n"
          "  -4, -6         IPv4 only, IPv6 only (default: every address of HOST)\n"
          "  --timeout SEC  give each address SEC seconds to answer (default 10;\n"
          "                 0: as long as the system waits)\n"
          "  -w, --idle-timeout SEC\n"
          "                 give up when nothing comes from the server for SEC\n"
          "                 seconds (0: never); default 60, but no limit while\n"
          "                 input is a terminal still being read\n"
          "  --raw          on a terminal too, show the server's bytes as they are\n"
          "                 (by default control bytes are shown escaped there)\n"
          "  -U PATH        connect to the local (AF_LOCAL) stream socket at PATH\n"
          "                 (@NAME: a Linux abstract name) instead of HOST and PORT\n"
          "  --seqpacket    with -U: a SOCK_SEQPACKET socket, which keeps message\n"
          "                 boundaries: each line goes as one message\n"
          "  -u             UDP: each line goes as one datagram; at the end, wait\n"
          "                 up to --timeout for the replies still owed\n"
          "  -t, --trace    narrate every socket call and TCP state on stderr\n"
          "  -h, --help     show this help\n"
          "  -V, --version  show the version\n", f);
}

/* HOST is a numeric address (no name lookup would happen for it). */
static int is_address(const char *host)
{
    struct addrinfo *ai = sock_resolve(host, "0", AF_UNSPEC, AI_NUMERICHOST,
                                       NULL);

    if (ai == NULL)
        return 0;
    freeaddrinfo(ai);
    return 1;
}

int main(int argc, char **argv)
{
    struct client_args a;
    struct sock_err why;
    char err[600], server[300];
    int fd, timeout_ms;
    struct client_opts o;

    switch (client_args_parse(argc, argv, &a, err, sizeof err)) {
    case ARGS_HELP:
        usage(stdout);
        return 0;
    case ARGS_VERSION:
        printf("tcp-client (libsock) %s\n", LIBSOCK_VERSION);
        return 0;
    case ARGS_USAGE:
        fprintf(stderr, "tcp-client: %s\n", err);
        fputs("Try 'tcp-client --help' for more information.\n", stderr);
        return 2;
    case ARGS_RUN:
        break;
    }

    fill_std_fds();
    /* A server that vanishes must cost us an EPIPE, never our life. */
    signal(SIGPIPE, SIG_IGN);
    if (a.trace)
        trace_to_fd(STDERR_FILENO);

    timeout_ms = a.timeout_s > 0 ? a.timeout_s * 1000 : -1;
    if (a.local != NULL) {
        fd = sock_connect_local_type(a.local, a.seqpacket ? SOCK_SEQPACKET
                                                          : SOCK_STREAM,
                                     timeout_ms, &why);
        if (fd == -1) {
            fprintf(stderr, "tcp-client: %s\n", why.msg);
            return 1;
        }
    } else if (a.udp) {
        fd = sock_udp_connect(a.host, a.port, a.family, &why);
    } else {
        fd = sock_connect_to(a.host, a.port, a.family, timeout_ms, &why);
    }
    if (fd == -1) {
        /* why names HOST:PORT itself when the name did not resolve; else
         * the address tried, which is HOST unless HOST is a name. */
        client_connect_error(&a, why.msg, why.gai == 0 && !is_address(a.host),
                             err, sizeof err);
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    client_server_name(&a, server, sizeof server);
    /* No limit by default while a person may type; see client_idle_ms(). */
    o.idle_open_ms = client_idle_ms(&a, isatty(STDIN_FILENO));
    o.idle_ms = client_idle_ms(&a, 0);
    /* A terminal is shown escapes, not driven by them; a pipe or a file
     * gets the bytes exactly. */
    o.escape = !a.raw && isatty(STDOUT_FILENO);
    o.messages = a.seqpacket;
    if (a.udp)
        return client_run_udp(fd, STDIN_FILENO, STDOUT_FILENO, server, stderr,
                              timeout_ms, &o);
    return client_run(fd, STDIN_FILENO, STDOUT_FILENO, server, stderr, &o);
}
