/*
 * options.c - loadgen's command line: the usage, every option and its
 * bounds, and the server's address (numeric loopback or AF_LOCAL only:
 * this tool is a flood).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): getopt_long */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "loadgen.h"

const char *const mode_name[4] = { "lockstep", "pipelined", "churn", "idle" };
const char *const proto_name[3] = { "tcp", "unix", "udp" };

static void usage(FILE *f)
{
    fputs("usage: loadgen {-p PORT [-H ADDR] [-u] | -U PATH} [-m MODE] [-c N]\n"
          "               [-n LINES] [-l LEN] [-d SECS] [-C N] [-w BYTES] [-a MODE]\n"
          "               [--hold SECS] [--no-welcome] [--no-quit] [--sync]\n"
          "               [--loss-timeout SECS] [-t SECS] [-T SECS]\n"
          "\n"
          "Clients of the welcome/echo/quit exchange, every byte checked.\n"
          "\n"
          "  -H, --host ADDR      loopback address of the server (default 127.0.0.1)\n"
          "  -p, --port PORT      its port\n"
          "  -u, --udp            over UDP: one line per datagram\n"
          "  -U, --unix PATH      over an AF_LOCAL stream socket (@NAME: abstract)\n"
          "  -m, --mode MODE      lockstep, pipelined, churn or idle (default lockstep)\n"
          "  -c, --clients N      clients (churn: connections at a time) (default 1)\n"
          "  -n, --lines N        lines per client (idle: the active client's) (default 1000)\n"
          "  -l, --len BYTES      bytes per line, newline included (default 64)\n"
          "  -d, --duration SECS  churn: how long to open connections (default 5);\n"
          "                       otherwise: no new lines after this long (default: none)\n"
          "  -C, --connects N     connects in flight at most (default 200)\n"
          "  -w, --window BYTES   pipelined: unanswered bytes per client (default 262144)\n"
          "  -a, --active MODE    idle: one more client works, lockstep or pipelined\n"
          "      --hold SECS      idle: hold the clients this long before going on\n"
          "      --no-welcome     the server sends no welcome\n"
          "      --no-quit        end sessions by half-closing, not with \"quit\"\n"
          "      --sync           at each phase print \"sync NAME\", wait for a line on stdin\n"
          "      --loss-timeout SECS  UDP: a line not echoed after this long is lost\n"
          "                       (default 0.5)\n"
          "  -t, --timeout SECS   longest wait for any one step (default 10)\n"
          "  -T, --limit SECS     the whole run, at most (default 60); exit 3 past it\n",
          f);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A numeric loopback address only: this tool is a flood. */
static int set_host(struct lg *g, const char *host)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)&g->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&g->addr;
    const char *udp = g->proto == P_UDP ? "udp:" : "";

    memset(&g->addr, 0, sizeof g->addr);
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)g->port);
        g->addrlen = sizeof *a4;
        snprintf(g->target, sizeof g->target, "%s%s:%d", udp, host, g->port);
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)g->port);
        g->addrlen = sizeof *a6;
        snprintf(g->target, sizeof g->target, "%s[%s]:%d", udp, host, g->port);
        return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ? 0 : -1;
    }
    return -1;
}

/* An AF_LOCAL path, or with a leading '@' a Linux abstract name (the
 * '@' stands for the NUL byte that starts it; the address is as long
 * as the name, no NUL after it). */
static int set_unix(struct lg *g, const char *path)
{
    struct sockaddr_un *u = (struct sockaddr_un *)&g->addr;
    size_t n = strlen(path);

    memset(&g->addr, 0, sizeof g->addr);
    if (n == 0 || n >= sizeof u->sun_path)
        return -1;
    u->sun_family = AF_UNIX;
    memcpy(u->sun_path, path, n);
    if (path[0] == '@') {
        u->sun_path[0] = '\0';
        g->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        g->addrlen = (socklen_t)sizeof *u;
    }
    snprintf(g->target, sizeof g->target, "unix:%s", path);
    return 0;
}

static int parse_mode(const char *s, enum mode *m)
{
    unsigned i;

    for (i = 0; i < sizeof mode_name / sizeof mode_name[0]; i++)
        if (strcmp(s, mode_name[i]) == 0) {
            *m = (enum mode)i;
            return 0;
        }
    return -1;
}

int parse_args(struct lg *g, int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", 1, NULL, 'H' },     { "port", 1, NULL, 'p' },
        { "mode", 1, NULL, 'm' },     { "clients", 1, NULL, 'c' },
        { "lines", 1, NULL, 'n' },    { "len", 1, NULL, 'l' },
        { "duration", 1, NULL, 'd' }, { "connects", 1, NULL, 'C' },
        { "window", 1, NULL, 'w' },   { "active", 1, NULL, 'a' },
        { "udp", 0, NULL, 'u' },      { "unix", 1, NULL, 'U' },
        { "loss-timeout", 1, NULL, 'L' + 256 },
        { "hold", 1, NULL, 'h' + 256 },
        { "no-welcome", 0, NULL, 'W' + 256 },
        { "no-quit", 0, NULL, 'Q' + 256 },
        { "sync", 0, NULL, 'S' + 256 },
        { "timeout", 1, NULL, 't' },  { "limit", 1, NULL, 'T' },
        { "help", 0, NULL, '?' + 256 },
        { NULL, 0, NULL, 0 }
    };
    const char *host = NULL, *path = NULL;
    double v;
    int o;

    g->mode = M_LOCKSTEP;
    g->clients = 1;
    g->connects = 200;
    g->lines = 1000;
    g->len = 64;
    g->window = 256 * 1024;
    g->duration = 5;
    g->welcome = g->quit = 1;
    g->op_ms = 10000;
    g->limit_ms = 60000;
    g->lost_ms = 500;
    g->port = -1;
    while ((o = getopt_long(argc, argv, "H:p:uU:m:c:n:l:d:C:w:a:t:T:", opts, NULL)) != -1) {
        int bad = 0;

        switch (o) {
        case 'H': host = optarg; break;
        case 'u': g->proto = P_UDP; break;
        case 'U': path = optarg; break;
        case 'p': bad = parse_num(optarg, 1, 65535, &v); g->port = (int)v; break;
        case 'm': bad = parse_mode(optarg, &g->mode); break;
        case 'c': bad = parse_num(optarg, 1, MAX_CLIENTS, &v); g->clients = (unsigned)v; break;
        case 'n': bad = parse_num(optarg, 1, 1e12, &v); g->lines = (unsigned long)v; break;
        case 'l': bad = parse_num(optarg, 1, MAX_LEN, &v); g->len = (size_t)v; break;
        case 'd':
            bad = parse_num(optarg, 0.001, 86400, &g->duration);
            g->has_duration = 1;
            break;
        case 'C': bad = parse_num(optarg, 1, MAX_CLIENTS, &v); g->connects = (unsigned)v; break;
        case 'w': bad = parse_num(optarg, 1, 1 << 30, &v); g->window = (size_t)v; break;
        case 'a':
            bad = parse_mode(optarg, &g->active) ||
                  (g->active != M_LOCKSTEP && g->active != M_PIPELINED);
            g->has_active = 1;
            break;
        case 'h' + 256: bad = parse_num(optarg, 0, 86400, &g->hold); break;
        case 'W' + 256: g->welcome = 0; break;
        case 'Q' + 256: g->quit = 0; break;
        case 'S' + 256: g->sync = 1; break;
        case 'L' + 256:
            bad = parse_num(optarg, 0.001, 86400, &v);
            g->lost_ms = (long long)(v * 1000);
            break;
        case 't': bad = parse_num(optarg, 0.001, 86400, &v); g->op_ms = (long long)(v * 1000); break;
        case 'T': bad = parse_num(optarg, 0.001, 86400, &v); g->limit_ms = (long long)(v * 1000); break;
        case '?' + 256: usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (bad) {
            fprintf(stderr, "loadgen: bad value for -%c: '%s'\n", o < 256 ? o : '-', optarg);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "loadgen: unexpected argument\n");
        usage(stderr);
        return -1;
    }
    if (path != NULL) {
        if (host != NULL || g->port >= 0 || g->proto == P_UDP) {
            fprintf(stderr, "loadgen: -U PATH goes with none of -H, -p and -u\n");
            return -1;
        }
        g->proto = P_UNIX;
        if (set_unix(g, path) == -1) {
            fprintf(stderr, "loadgen: %s: not an AF_LOCAL address (1 to %zu bytes)\n",
                    path, sizeof ((struct sockaddr_un *)0)->sun_path - 1);
            return -1;
        }
    } else {
        if (g->port < 0) {
            fprintf(stderr, "loadgen: -p PORT (or -U PATH) is required\n");
            usage(stderr);
            return -1;
        }
        if (host == NULL)
            host = "127.0.0.1";
        if (set_host(g, host) == -1) {
            fprintf(stderr, "loadgen: %s: not a numeric loopback address (127.0.0.0/8, ::1)\n", host);
            return -1;
        }
    }
    /* A datagram holds one line: at most what IPv4 can carry. */
    if (g->proto == P_UDP && g->len > UDP_MAX) {
        fprintf(stderr, "loadgen: a UDP line is at most %d bytes\n", UDP_MAX);
        return -1;
    }
    if (g->proto == P_UDP && g->len < UDP_MIN_LEN) {
        fprintf(stderr, "loadgen: a UDP line is at least %d bytes\n", UDP_MIN_LEN);
        return -1;
    }
    if (g->window < g->len)
        g->window = g->len;
    return 0;
}
