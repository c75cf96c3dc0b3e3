/*
 * peer_wait.c - waiting for a peer program to be ready (peer_wait.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
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

/* 1 if /proc/net/FILE lists socket `inode` bound to `port`, in LISTEN
 * (state 0A) for TCP, in any state for UDP. */
static int listed(const char *file, int port, int udp, unsigned long inode)
{
    char line[512];
    unsigned lport, st;
    unsigned long ino;
    int found = 0;
    FILE *f = fopen(file, "r");

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        /* "sl local_address rem_address st tx_queue:rx_queue tr:tm->when
         *  retrnsmt uid timeout inode", addresses as HEX:PORT */
        const char *colon = strchr(line, ':');

        if (colon == NULL || (colon = strchr(colon + 1, ':')) == NULL)
            continue;
        if (sscanf(colon + 1, "%x %*s %x %*s %*s %*s %*s %*s %lu", &lport,
                   &st, &ino) == 3 &&
            (int)lport == port && ino == inode && (udp || st == 0x0A))
            found = 1;
    }
    fclose(f);
    return found;
}

/* 1 if process pid holds a socket bound as peer_wait_bound() asks. */
static int holds_bound(pid_t pid, int port, int udp)
{
    char dir[64], path[600], target[128];
    struct dirent *e;
    DIR *d;
    int found = 0;

    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    d = opendir(dir);
    if (d == NULL)
        return 0;
    while (!found && (e = readdir(d)) != NULL) {
        unsigned long inode;
        ssize_t n;

        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (sscanf(target, "socket:[%lu]", &inode) != 1)
            continue;
        found = udp ? listed("/proc/net/udp", port, 1, inode) ||
                          listed("/proc/net/udp6", port, 1, inode)
                    : listed("/proc/net/tcp", port, 0, inode) ||
                          listed("/proc/net/tcp6", port, 0, inode);
    }
    closedir(d);
    return found;
}

int peer_wait_bound(struct proc *p, int port, int udp, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;

    while (p->pid > 0) {
        /* Between fork and exec the child still holds our descriptors:
         * a socket of ours on the port is not the peer's. */
        if (holds_bound(p->pid, port, udp) && !holds_bound(getpid(), port, udp))
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
