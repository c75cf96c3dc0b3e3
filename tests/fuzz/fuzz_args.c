/*
 * fuzz_args.c - libFuzzer targets for the programs' command lines
 * (args.c with server_args.c or client_args.c), built twice: with
 * -DFUZZ_SERVER as fuzz_server_args, without as fuzz_client_args.  The
 * input is split at NUL bytes into argv.  Whatever the words, parsing must
 * not crash, a usage error must explain itself, and an accepted command
 * line must hold values in range.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "client_args.h"
#include "server_args.h"

#define MAX_ARGS 16

static int port_ok(const char *p, long lo)
{
    long n;

    return args_number(p, lo, 65535, &n) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy, *argv[MAX_ARGS + 2], err[200];
    int argc = 1;
    size_t i, start;

    copy = malloc(size + 1);       /* the words plus a final NUL */
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
#ifdef FUZZ_SERVER
    argv[0] = "tcp-server";
#else
    argv[0] = "tcp-client";
#endif
    for (i = 0, start = 0; i <= size && argc <= MAX_ARGS; i++) {
        if (copy[i] == '\0') {
            argv[argc++] = copy + start;
            start = i + 1;
        }
    }
    argv[argc] = NULL;
    err[0] = '\0';

#ifdef FUZZ_SERVER
    {
        struct server_args a;
        enum args_result r = server_args_parse(argc, argv, &a, err, sizeof err);

        if (r == ARGS_USAGE && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL))
            abort();
        if (r == ARGS_RUN &&
            (!port_ok(a.port, 0) || a.max_line < 8 || a.max_line > 1048576 ||
             a.max_clients < 1 || a.max_clients > SERVER_MAX_MAX_CLIENTS ||
             a.idle_timeout < 0 || a.idle_timeout > 86400 ||
             a.max_per_ip > SERVER_MAX_MAX_CLIENTS ||
             (a.family != 0 && a.family != AF_INET && a.family != AF_INET6) ||
             (a.bind != NULL && (a.bind[0] == '\0' || a.bind[0] == '['))))
            abort();
    }
#else
    {
        struct client_args a;
        enum args_result r = client_args_parse(argc, argv, &a, err, sizeof err);

        if (r == ARGS_USAGE && (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL))
            abort();
        if (r == ARGS_RUN &&
            (!port_ok(a.port, 1) || a.host[0] == '\0' || a.host[0] == '[' ||
             a.timeout_s < 0 ||
             a.timeout_s > 2000000 ||
             (a.family != 0 && a.family != AF_INET && a.family != AF_INET6)))
            abort();
    }
#endif
    free(copy);
    return 0;
}
