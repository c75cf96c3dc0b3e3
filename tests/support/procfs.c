/*
 * procfs.c - what the kernel says about a process or a port, read from
 * /proc, and this process's descriptor limit (procfs.h).  Failures inside
 * are test failures (cmocka asserts).
 *
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "env.h"
#include "procfs.h"

int proc_net_lists(const char *file, int port, int udp, unsigned long inode)
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
            (int)lport == port && (inode == 0 || ino == inode) &&
            (udp || st == 0x0A))
            found = 1;
    }
    fclose(f);
    return found;
}

int proc_fd_find(pid_t pid, int (*match)(const char *target, void *arg),
                 void *arg)
{
    char dir[64], path[600], target[256];
    struct dirent *e;
    DIR *d;
    int found = 0;

    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    d = opendir(dir);
    if (d == NULL)
        return -1;
    while (!found && (e = readdir(d)) != NULL) {
        ssize_t n;

        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found = match(target, arg);
        }
    }
    closedir(d);
    return found;
}

int wait_listening(int port, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;

    while (ms_now() < end) {
        struct timespec pause = { 0, 20000000 };   /* 20 ms */

        if (proc_net_lists("/proc/net/tcp", port, 0, 0) ||
            proc_net_lists("/proc/net/tcp6", port, 0, 0))
            return 1;
        nanosleep(&pause, NULL);
    }
    return 0;
}

void want_fds(unsigned long n)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur >= n)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n
                      ? n : rl.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < n)
        fail_msg("this test needs %lu descriptors; the hard limit is %lu", n,
                 (unsigned long)rl.rlim_max);
}

long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

long proc_cpu_ms(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut, st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces: 3 is state,
     * 14 utime and 15 stime, in clock ticks. */
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                            &ut, &st) != 2)
        return -1;
    return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}
