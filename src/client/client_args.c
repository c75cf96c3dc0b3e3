/*
 * client_args.c - tcp-client's options (client_args.h, tcp-client(1)).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "client_args.h"

enum { OPT_4 = 1, OPT_6, OPT_TIMEOUT, OPT_TRACE, OPT_LOCAL, OPT_UDP,
       OPT_IDLE, OPT_RAW, OPT_SEQPACKET, OPT_HELP, OPT_VERSION };

static const struct args_opt options[] = {
    { NULL, '4', 0, OPT_4 },
    { NULL, '6', 0, OPT_6 },
    { "timeout", 0, 1, OPT_TIMEOUT },
    { "trace", 't', 0, OPT_TRACE },
    { NULL, 'U', 1, OPT_LOCAL },
    { NULL, 'u', 0, OPT_UDP },
    { "idle-timeout", 'w', 1, OPT_IDLE },
    { "raw", 0, 0, OPT_RAW },
    { "seqpacket", 0, 0, OPT_SEQPACKET },
    { "help", 'h', 0, OPT_HELP },
    { "version", 'V', 0, OPT_VERSION },
    { NULL, 0, 0, 0 },
};

enum args_result client_args_parse(int argc, char **argv,
                                   struct client_args *a, char *err,
                                   size_t errsize)
{
    struct args_iter it;
    const char *v;
    long n;
    int id, operands = 0;

    a->family = 0;   /* AF_UNSPEC */
    a->host = CLIENT_DEFAULT_HOST;
    a->port = CLIENT_DEFAULT_PORT;
    a->timeout_s = CLIENT_DEFAULT_TIMEOUT;
    a->trace = 0;
    a->local = NULL;
    a->udp = 0;
    a->idle_s = -1;
    a->raw = 0;
    a->seqpacket = 0;

    args_init(&it, argc, argv);
    while ((id = args_next(&it, options, &v, err, errsize)) != ARGS_END) {
        switch (id) {
        case ARGS_BAD:
            return ARGS_USAGE;
        case OPT_4:
        case OPT_6:
            if (args_family(&a->family, id == OPT_4 ? AF_INET : AF_INET6,
                            err, errsize) == -1)
                return ARGS_USAGE;
            break;
        case OPT_TIMEOUT:
            /* Whole seconds; the top keeps milliseconds inside an int. */
            if (args_number(v, 0, 2000000, &n) == -1) {
                snprintf(err, errsize,
                         "option '--timeout' wants seconds from 0 to 2000000, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->timeout_s = (int)n;
            break;
        case OPT_IDLE:
            /* Whole seconds, within an int of milliseconds as above. */
            if (args_number(v, 0, 2000000, &n) == -1) {
                snprintf(err, errsize,
                         "option '--idle-timeout' wants seconds from 0 to 2000000, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->idle_s = (int)n;
            break;
        case OPT_RAW:
            a->raw = 1;
            break;
        case OPT_TRACE:
            a->trace = 1;
            break;
        case OPT_LOCAL:
            if (args_local(v, &a->local, err, errsize) == -1)
                return ARGS_USAGE;
            break;
        case OPT_UDP:
            a->udp = 1;
            break;
        case OPT_SEQPACKET:
            a->seqpacket = 1;
            break;
        case OPT_HELP:
            return ARGS_HELP;
        case OPT_VERSION:
            return ARGS_VERSION;
        case ARGS_OPERAND:
            operands++;
            if (operands == 1) {
                if (args_host(v, a->host_buf, sizeof a->host_buf, &a->host,
                              "HOST", err, errsize) == -1)
                    return ARGS_USAGE;
            } else if (operands == 2) {
                if (args_number(v, 1, 65535, &n) == -1) {
                    snprintf(err, errsize, "PORT must be a number from 1 to 65535, not '%.40s'", v);
                    return ARGS_USAGE;
                }
                a->port = v;
            } else {
                snprintf(err, errsize, "unexpected argument '%.40s' (HOST and PORT only)", v);
                return ARGS_USAGE;
            }
            break;
        }
    }
    if (args_one_kind(a->local, a->udp, err, errsize) == -1)
        return ARGS_USAGE;
    if (a->seqpacket && a->local == NULL) {
        snprintf(err, errsize, "'--seqpacket' applies with '-U PATH' only: "
                 "Linux offers SOCK_SEQPACKET in AF_LOCAL, not over TCP or UDP");
        return ARGS_USAGE;
    }
    if (a->local != NULL && (operands > 0 || a->family != 0)) {
        snprintf(err, errsize, "'%s' does not apply with '-U': a local socket "
                 "is named by its path, with no host or port",
                 operands > 0 ? "HOST" : a->family == AF_INET ? "-4" : "-6");
        return ARGS_USAGE;
    }
    return ARGS_RUN;
}

int client_idle_ms(const struct client_args *a, int typing)
{
    if (a->idle_s == 0 || (a->idle_s < 0 && typing))
        return -1;
    return (a->idle_s < 0 ? CLIENT_DEFAULT_IDLE : a->idle_s) * 1000;
}

void client_server_name(const struct client_args *a, char *out, size_t size)
{
    if (a->local != NULL) {
        snprintf(out, size, "unix:%s", a->local);
        return;
    }
    snprintf(out, size, strchr(a->host, ':') != NULL ? "[%s]:%s" : "%s:%s",
             a->host, a->port);
}

void client_connect_error(const struct client_args *a, const char *why_msg,
                          int resolved, char *out, size_t size)
{
    char server[300];

    if (!resolved) {
        snprintf(out, size, "tcp-client: %s", why_msg);
        return;
    }
    client_server_name(a, server, sizeof server);
    snprintf(out, size, "tcp-client: %s: %s", server, why_msg);
}
