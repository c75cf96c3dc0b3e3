/*
 * procfs.c - what the kernel says about a process or a port, read from
 * /proc, and this process's descriptor limit (procfs.h).  Failures inside
 * are test failures (cmocka asserts).
 *
 * SPDX-License-Identifier: MIT
 */
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

/* 1 if /proc/net/FILE lists a socket in LISTEN (state 0A) on port. */
static int listed_listening(const char *file, int port)
{
    char line[512];
    unsigned lport, st;
    int found = 0;
    FILE *f = fopen(file, "r");

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        /* "  sl  local_address rem_address   st ..." with ADDR:PORT in hex */
        const char *colon = strchr(line, ':');
        if (colon == NULL || (colon = strchr(colon + 1, ':')) == NULL)
            continue;
        if (sscanf(colon + 1, "%x %*s %x", &lport, &st) == 2 &&
            (int)lport == port && st == 0x0A)
            found = 1;
    }
    fclose(f);
    return found;
}

int wait_listening(int port, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;

    while (ms_now() < end) {
        struct timespec pause = { 0, 20000000 };   /* 20 ms */

        if (listed_listening("/proc/net/tcp", port) ||
            listed_listening("/proc/net/tcp6", port))
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
