/*
 * server_args.c - tcp-server's options (server_args.h, tcp-server(1)).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "server_args.h"
#include "serve.h"

/* The designs by name, in enum server_model's order. */
static const char *const model_names[] = {
    "iterative", "fork", "thread", "poll", "epoll",
};

const char *server_model_name(int model)
{
    return model >= 0 && model < 5 ? model_names[model] : "?";
}

enum { OPT_4 = 1, OPT_6, OPT_BIND, OPT_ONCE, OPT_QUIET, OPT_MAX_LINE,
       OPT_MAX_CLIENTS, OPT_MAX_PER_IP, OPT_IDLE, OPT_BACKLOG, OPT_NO_ACCEPT,
       OPT_TRACE, OPT_MODEL, OPT_LOCAL, OPT_UDP, OPT_UDP_RATE, OPT_SEQPACKET, OPT_HELP,
       OPT_VERSION };

static const struct args_opt options[] = {
    { NULL, '4', 0, OPT_4 },
    { NULL, '6', 0, OPT_6 },
    { "bind", 'b', 1, OPT_BIND },
    { "once", 0, 0, OPT_ONCE },
    { "quiet", 'q', 0, OPT_QUIET },
    { "max-line", 0, 1, OPT_MAX_LINE },
    { "max-clients", 0, 1, OPT_MAX_CLIENTS },
    { "max-per-ip", 0, 1, OPT_MAX_PER_IP },
    { "idle-timeout", 0, 1, OPT_IDLE },
    { "backlog", 0, 1, OPT_BACKLOG },
    { "no-accept", 0, 0, OPT_NO_ACCEPT },
    { "trace", 't', 0, OPT_TRACE },
    { "model", 0, 1, OPT_MODEL },
    { NULL, 'U', 1, OPT_LOCAL },
    { NULL, 'u', 0, OPT_UDP },
    { "udp-rate", 0, 1, OPT_UDP_RATE },
    { "seqpacket", 0, 0, OPT_SEQPACKET },
    { "help", 'h', 0, OPT_HELP },
    { "version", 'V', 0, OPT_VERSION },
    { NULL, 0, 0, 0 },
};

/* -U names a path, not an IP and a port; -u has neither listen nor
 * accept, and one design; --udp-rate is -u's alone.  Options that then
 * mean nothing are refused rather than ignored. */
static enum args_result combined_ok(const struct server_args *a,
                                    const char *ip_only,
                                    const char *stream_only,
                                    const char *per_ip,
                                    const char *udp_only, char *err,
                                    size_t errsize)
{
    if (args_one_kind(a->local, a->udp, err, errsize) == -1)
        return ARGS_USAGE;
    if (a->local != NULL && (ip_only != NULL || per_ip != NULL)) {
        snprintf(err, errsize, "'%s' does not apply with '-U': a local socket "
                 "is named by its path, with no IP address or port",
                 ip_only != NULL ? ip_only : per_ip);
        return ARGS_USAGE;
    }
    if (a->udp && stream_only != NULL) {
        snprintf(err, errsize, "'%s' does not apply with '-u': UDP has no "
                 "listen, no accept and one design", stream_only);
        return ARGS_USAGE;
    }
    if (a->seqpacket && a->local == NULL) {
        snprintf(err, errsize, "'--seqpacket' applies with '-U PATH' only: "
                 "Linux offers SOCK_SEQPACKET in AF_LOCAL, not over TCP or UDP");
        return ARGS_USAGE;
    }
    if (!a->udp && udp_only != NULL) {
        snprintf(err, errsize, "'%s' applies with '-u' only: it limits the "
                 "replies to each UDP peer", udp_only);
        return ARGS_USAGE;
    }
    return ARGS_RUN;
}

enum args_result server_args_parse(int argc, char **argv,
                                   struct server_args *a, char *err,
                                   size_t errsize)
{
    struct args_iter it;
    const char *v;
    long n;
    int id, ports = 0;
    /* Options given, for those that -U or -u makes meaningless. */
    const char *ip_only = NULL, *stream_only = NULL, *per_ip = NULL;
    const char *udp_only = NULL;

    a->family = 0;   /* AF_UNSPEC */
    a->bind = NULL;
    a->port = SERVER_DEFAULT_PORT;
    a->once = 0;
    a->quiet = 0;
    a->max_line = SERVER_DEFAULT_MAX_LINE;
    a->max_clients = SERVER_DEFAULT_MAX_CLIENTS;
    a->max_per_ip = 0;
    a->bind_buf[0] = '\0';
    a->idle_timeout = SERVER_DEFAULT_IDLE_TIMEOUT;
    a->backlog = -1;
    a->no_accept = 0;
    a->trace = 0;
    a->model = SERVER_DEFAULT_MODEL;
    a->local = NULL;
    a->udp = 0;
    a->udp_rate = SERVER_DEFAULT_UDP_RATE;
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
            ip_only = id == OPT_4 ? "-4" : "-6";
            break;
        case OPT_BIND:
            ip_only = "-b";
            if (v[0] == '\0') {
                snprintf(err, errsize, "option '-b' needs an address");
                return ARGS_USAGE;
            }
            if (args_host(v, a->bind_buf, sizeof a->bind_buf, &a->bind,
                          "option '-b'", err, errsize) == -1)
                return ARGS_USAGE;
            break;
        case OPT_ONCE:
            a->once = 1;
            break;
        case OPT_QUIET:
            if (a->quiet < 2)
                a->quiet++;     /* -q -q: no per-line log either */
            break;
        case OPT_MAX_LINE:
            /* Room for at least "quit\r\n"; a million is plenty for a line. */
            if (args_number(v, 8, 1048576, &n) == -1) {
                snprintf(err, errsize,
                         "option '--max-line' wants bytes from 8 to 1048576, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->max_line = (size_t)n;
            break;
        case OPT_MAX_CLIENTS:
            if (args_number(v, 1, SERVER_MAX_MAX_CLIENTS, &n) == -1) {
                snprintf(err, errsize,
                         "option '--max-clients' wants a number from 1 to %d, not '%.40s'",
                         SERVER_MAX_MAX_CLIENTS, v);
                return ARGS_USAGE;
            }
            a->max_clients = (size_t)n;
            break;
        case OPT_MAX_PER_IP:
            if (args_number(v, 0, SERVER_MAX_MAX_CLIENTS, &n) == -1) {
                snprintf(err, errsize,
                         "option '--max-per-ip' wants a number from 0 to %d, not '%.40s'",
                         SERVER_MAX_MAX_CLIENTS, v);
                return ARGS_USAGE;
            }
            a->max_per_ip = (size_t)n;
            per_ip = "--max-per-ip";
            break;
        case OPT_IDLE:
            /* A day at most: longer is "never", which 0 already says. */
            if (args_number(v, 0, 86400, &n) == -1) {
                snprintf(err, errsize,
                         "option '--idle-timeout' wants seconds from 0 to 86400, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->idle_timeout = n;
            break;
        case OPT_BACKLOG:
            /* The kernel cuts it to net.core.somaxconn; 0 is a lesson:
             * a queue of (about) one. */
            if (args_number(v, 0, 65535, &n) == -1) {
                snprintf(err, errsize,
                         "option '--backlog' wants a number from 0 to 65535, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->backlog = (int)n;
            stream_only = "--backlog";
            break;
        case OPT_NO_ACCEPT:
            a->no_accept = 1;
            stream_only = "--no-accept";
            break;
        case OPT_TRACE:
            a->trace = 1;
            break;
        case OPT_MODEL: {
            int m;

            for (m = 0; m < 5 && strcmp(v, model_names[m]) != 0; m++)
                ;
            if (m == 5) {
                snprintf(err, errsize,
                         "option '--model' wants iterative, fork, thread, poll or epoll, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->model = m;
            stream_only = "--model";
            break;
        }
        case OPT_LOCAL:
            if (args_local(v, &a->local, err, errsize) == -1)
                return ARGS_USAGE;
            break;
        case OPT_UDP:
            a->udp = 1;
            break;
        case OPT_UDP_RATE:
            if (args_number(v, 0, 1000000, &n) == -1) {
                snprintf(err, errsize,
                         "option '--udp-rate' wants replies a second from 0 to 1000000, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->udp_rate = n;
            udp_only = "--udp-rate";
            break;
        case OPT_SEQPACKET:
            a->seqpacket = 1;
            break;
        case OPT_HELP:
            return ARGS_HELP;
        case OPT_VERSION:
            return ARGS_VERSION;
        case ARGS_OPERAND:
            if (++ports > 1) {
                snprintf(err, errsize, "unexpected argument '%.40s' (one PORT only)", v);
                return ARGS_USAGE;
            }
            if (args_number(v, 0, 65535, &n) == -1) {
                snprintf(err, errsize, "PORT must be a number from 0 to 65535, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->port = v;
            ip_only = "PORT";
            break;
        }
    }
    return combined_ok(a, ip_only, stream_only, per_ip, udp_only, err,
                       errsize);
}
