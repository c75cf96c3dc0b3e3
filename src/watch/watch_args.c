/*
 * watch_args.c - tcp-watch's options (watch_args.h, tcp-watch(1)).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "watch_args.h"

enum { OPT_IFACE = 1, OPT_VERBOSE, OPT_LADDER, OPT_MERMAID, OPT_NETNS,
       OPT_HELP, OPT_VERSION };

static const struct args_opt options[] = {
    { NULL, 'i', 1, OPT_IFACE },
    { NULL, 'v', 0, OPT_VERBOSE },
    { "ladder", 0, 0, OPT_LADDER },
    { "mermaid", 0, 0, OPT_MERMAID },
    { "netns", 0, 0, OPT_NETNS },
    { "help", 'h', 0, OPT_HELP },
    { "version", 'V', 0, OPT_VERSION },
    { NULL, 0, 0, 0 },
};

enum args_result watch_args_parse(int argc, char **argv, struct watch_args *a,
                                  char *err, size_t errsize)
{
    struct args_iter it;
    const char *v;
    long n;
    int id, operands = 0, i, own = argc;

    a->port = WATCH_DEFAULT_PORT;
    a->iface = WATCH_DEFAULT_IFACE;
    a->verbose = 0;
    a->view = VIEW_LINES;
    a->netns = 0;
    a->command = NULL;
    /* Everything after the first "--" is the command, options and all. */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            own = i;
            if (i + 1 >= argc) {
                snprintf(err, errsize, "'--' wants a command after it");
                return ARGS_USAGE;
            }
            a->command = argv + i + 1;
            break;
        }
    }
    args_init(&it, own, argv);
    while ((id = args_next(&it, options, &v, err, errsize)) != ARGS_END) {
        switch (id) {
        case ARGS_BAD:
            return ARGS_USAGE;
        case OPT_IFACE:
            if (v[0] == '\0' || strlen(v) >= 16) {
                snprintf(err, errsize,
                         "option '-i' wants an interface name, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->iface = v;
            break;
        case OPT_VERBOSE:
            a->verbose = 1;
            break;
        case OPT_LADDER:
        case OPT_MERMAID:
            if (a->view != VIEW_LINES) {
                snprintf(err, errsize, "choose one of '--ladder' and '--mermaid'");
                return ARGS_USAGE;
            }
            a->view = id == OPT_LADDER ? VIEW_LADDER : VIEW_MERMAID;
            break;
        case OPT_NETNS:
            a->netns = 1;
            break;
        case OPT_HELP:
            return ARGS_HELP;
        case OPT_VERSION:
            return ARGS_VERSION;
        case ARGS_OPERAND:
            if (++operands > 1) {
                snprintf(err, errsize, "unexpected argument '%.40s'", v);
                return ARGS_USAGE;
            }
            if (args_number(v, 1, 65535, &n) == -1) {
                snprintf(err, errsize,
                         "PORT must be a number from 1 to 65535, not '%.40s'", v);
                return ARGS_USAGE;
            }
            a->port = (uint16_t)n;
            break;
        default:
            break;
        }
    }
    if (a->netns && a->command == NULL) {
        snprintf(err, errsize, "'--netns' needs a command: tcp-watch --netns PORT -- COMMAND");
        return ARGS_USAGE;
    }
    return ARGS_RUN;
}
