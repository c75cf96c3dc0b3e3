/*
 * peer_wait.c - waiting for a peer program to be ready (peer_wait.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "peer_wait.h"
#include "procfs.h"

/* 1 if /proc/net/unix lists socket `inode` listening at `path`. */
static int listed_unix(const char *path, unsigned long inode)
{
    char line[600], name[512];
    unsigned long flags, ino;
    int found = 0;
    FILE *f = fopen("/proc/net/unix", "r");

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        /* "Num: RefCount Protocol Flags Type St Inode Path"; a listening
         * socket has __SO_ACCEPTCON (0x10000) among its flags. */
        if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %511s", &flags, &ino,
                   name) == 3 &&
            ino == inode && (flags & 0x10000) && strcmp(name, path) == 0)
            found = 1;
    }
    fclose(f);
    return found;
}

/* What a peer must hold: a socket bound to port (TCP listening, or UDP),
 * or listening at path when path is not NULL. */
struct bound {
    int port, udp;
    const char *path;
};

/* match for proc_fd_find: a socket bound as *arg (struct bound) asks. */
static int is_bound(const char *target, void *arg)
{
    const struct bound *b = arg;
    unsigned long inode;

    if (sscanf(target, "socket:[%lu]", &inode) != 1)
        return 0;
    return b->path != NULL ? listed_unix(b->path, inode)
           : b->udp ? proc_net_lists("/proc/net/udp", b->port, 1, inode) ||
                      proc_net_lists("/proc/net/udp6", b->port, 1, inode)
                    : proc_net_lists("/proc/net/tcp", b->port, 0, inode) ||
                      proc_net_lists("/proc/net/tcp6", b->port, 0, inode);
}

static int holds(pid_t pid, int port, int udp, const char *path)
{
    struct bound b = { port, udp, path };

    return proc_fd_find(pid, is_bound, &b) == 1;
}

static int wait_holds(struct proc *p, int port, int udp, const char *path,
                      int timeout_ms)
{
    long long end = ms_now() + timeout_ms;

    while (p->pid > 0) {
        /* Between fork and exec the child still holds our descriptors:
         * a socket of ours is not the peer's. */
        if (holds(p->pid, port, udp, path) && !holds(getpid(), port, udp, path))
            return 1;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
            p->pid = 0;
            return 0;
        }
        if (ms_now() >= end)
            return -1;
        sleep_ms(10);
    }
    return 0;
}

int peer_wait_bound(struct proc *p, int port, int udp, int timeout_ms)
{
    return wait_holds(p, port, udp, NULL, timeout_ms);
}

int peer_wait_unix_listening(struct proc *p, const char *path, int timeout_ms)
{
    return wait_holds(p, 0, 0, path, timeout_ms);
}

void peer_need_openbsd_nc(char *full, size_t size)
{
    char *help[] = { full, "-h", NULL };
    const char *ci = getenv("CI");
    char said[1024];
    struct proc p;

    need_tool("nc", full, size);        /* skips when there is none */
    help[0] = full;
    proc_start(&p, help, 0);
    read_until(p.err, said, sizeof said, "OpenBSD", 5000);
    (void)proc_wait(&p, 5000);
    proc_kill(&p);
    if (strstr(said, "OpenBSD") != NULL)
        return;
    if (ci != NULL && strcmp(ci, "true") == 0)
        fail_msg("CI=true and %s is not OpenBSD's nc", full);
    print_message("%s is not OpenBSD's nc\n", full);
    skip();
}
