/*
 * netns.c - entering a private network namespace (netns.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): unshare() */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "netns.h"
#include "privilege.h"

static int fail(struct sock_err *why, const char *step)
{
    int err = errno;

    if (why != NULL) {
        snprintf(why->msg, sizeof why->msg, "%s: %s", step, strerror(err));
        why->gai = 0;
    }
    errno = err;
    return -1;
}

/* Write text to a file of /proc/self (uid_map, gid_map, setgroups). */
static int write_file(const char *path, const char *text)
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

int netns_unshare(int with_net, struct sock_err *why)
{
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();

    if (unshare(CLONE_NEWUSER | (with_net ? CLONE_NEWNET : 0)) == -1)
        return fail(why, "private namespace (unshare)");
    /* Root in the namespace is this user outside it, nothing more.
     * setgroups must be denied before an unprivileged gid_map. */
    snprintf(map, sizeof map, "0 %lu 1\n", (unsigned long)uid);
    if (write_file("/proc/self/uid_map", map) == -1)
        return fail(why, "private namespace (uid_map)");
    if (write_file("/proc/self/setgroups", "deny\n") == -1 && errno != ENOENT)
        return fail(why, "private namespace (setgroups)");
    snprintf(map, sizeof map, "0 %lu 1\n", (unsigned long)gid);
    if (write_file("/proc/self/gid_map", map) == -1)
        return fail(why, "private namespace (gid_map)");
    return 0;
}

int netns_lo_up(struct sock_err *why)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd == -1)
        return fail(why, "private network namespace (socket)");
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1) {
        close(fd);
        return fail(why, "private network namespace (lo flags)");
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1) {
        close(fd);
        return fail(why, "private network namespace (lo up)");
    }
    close(fd);
    return 0;
}

/*
 * Under sudo, the namespace is made by the user who asked: tcp-watch
 * needs no privilege on the machine to read a loopback of its own, and
 * the command is never to have root's.  Made by root, the namespace's
 * root would be root on the machine.
 */
int netns_enter_private(struct sock_err *why)
{
    if (privilege_drop_to_sudo_user(why) == -1 ||
        netns_unshare(1, why) == -1)
        return -1;
    /* A new namespace's loopback is down: bring it up. */
    return netns_lo_up(why);
}
