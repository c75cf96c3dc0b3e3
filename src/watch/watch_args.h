/*
 * watch_args.h - tcp-watch's command line, read into a struct:
 *   tcp-watch [-i IFACE] [-v] [--ladder | --mermaid] [--netns] [PORT]
 *             [-- COMMAND [ARGS...]]
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WATCH_ARGS_H
#define WATCH_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "render.h"

#define WATCH_DEFAULT_PORT 8080
#define WATCH_DEFAULT_IFACE "lo"

struct watch_args {
    uint16_t port;          /* PORT, 8080 unless given */
    const char *iface;      /* -i: the interface, "lo" unless given */
    int verbose;            /* -v: window and TCP options too */
    enum watch_view view;   /* --ladder, --mermaid, else lines */
    int netns;              /* --netns: run COMMAND in a private network
                             * namespace even with the privilege to
                             * watch the machine's own loopback */
    char **command;         /* after "--": what to run, NULL-terminated;
                             * NULL when nothing is */
};

enum args_result watch_args_parse(int argc, char **argv, struct watch_args *a,
                                  char *err, size_t errsize);

#endif /* WATCH_ARGS_H */
