/*
 * own_ns.c - namespaces of the test's own (own_ns.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): unshare() */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "env.h"
#include "net.h"
#include "own_ns.h"

static int failed(char *why, size_t size, const char *step)
{
    int err = errno;

    if (why != NULL && size > 0)
        snprintf(why, size, "%s: %s", step, strerror(err));
    errno = err;
    return -1;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(text);
    ssize_t n;
    int err;

    if (fd == -1)
        return -1;
    n = write(fd, text, len);
    err = errno;
    close(fd);
    if (n != (ssize_t)len) {
        errno = n == -1 ? err : EIO;
        return -1;
    }
    return 0;
}

/* unshare(flags), then this user as the new user namespace's root. */
static int enter(int flags, char *why, size_t size)
{
    unsigned long uid = (unsigned long)geteuid(), gid = (unsigned long)getegid();
    char map[64];

    if (unshare(flags) == -1)
        return failed(why, size, flags & CLONE_NEWNET
                                     ? "unshare(CLONE_NEWUSER|CLONE_NEWNET)"
                                     : "unshare(CLONE_NEWUSER)");
    snprintf(map, sizeof map, "0 %lu 1\n", uid);
    if (write_text("/proc/self/uid_map", map) == -1)
        return failed(why, size, "/proc/self/uid_map");
    /* An unprivileged gid_map needs setgroups denied first. */
    if (write_text("/proc/self/setgroups", "deny\n") == -1 && errno != ENOENT)
        return failed(why, size, "/proc/self/setgroups");
    snprintf(map, sizeof map, "0 %lu 1\n", gid);
    if (write_text("/proc/self/gid_map", map) == -1)
        return failed(why, size, "/proc/self/gid_map");
    return 0;
}

int userns_enter(char *why, size_t size)
{
    return enter(CLONE_NEWUSER, why, size);
}

int netns_enter(char *why, size_t size)
{
    struct ifreq ifr;
    int fd;

    if (enter(CLONE_NEWUSER | CLONE_NEWNET, why, size) == -1)
        return -1;
    /* A new namespace's loopback is down. */
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return failed(why, size, "socket for lo");
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)) {
        int err = errno;

        close(fd);
        errno = err;
        return failed(why, size, "bringing lo up (SIOCSIFFLAGS)");
    }
    close(fd);
    return 0;
}

int ns_possible(int userns, char *why, size_t size)
{
    int p[2], st = 0;
    char msg[256];
    pid_t pid;

    if (pipe(p) == -1) {
        failed(why, size, "pipe");
        return 0;
    }
    fflush(NULL);
    pid = fork();
    if (pid == -1) {
        failed(why, size, "fork");
        close(p[0]);
        close(p[1]);
        return 0;
    }
    if (pid == 0) {
        int r = userns ? userns_enter(msg, sizeof msg)
                       : netns_enter(msg, sizeof msg);

        if (r == -1)
            (void)!write(p[1], msg, strlen(msg));
        _exit(r == -1);
    }
    close(p[1]);
    /* The child writes one short message at most, then exits. */
    read_until(p[0], msg, sizeof msg, NULL, 5000);
    close(p[0]);
    {
        long long end = ms_now() + 5000;
        pid_t r;

        while ((r = waitpid(pid, &st, WNOHANG)) == 0 && ms_now() < end)
            sleep_ms(2);
        if (r == 0) {
            kill(pid, SIGKILL);
            r = waitpid(pid, &st, 0);
        }
        if (r != pid) {
            failed(why, size, "waitpid");
            return 0;
        }
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (why != NULL && size > 0)
            snprintf(why, size, "%s", msg[0] ? msg : "the child that tried failed");
        return 0;
    }
    return 1;
}

int before_exec_userns(void)
{
    return userns_enter(NULL, 0);
}
