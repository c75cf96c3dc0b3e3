/*
 * privilege.c - root given back after the socket is open (privilege.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): setgroups() */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "privilege.h"

/* A whole decimal id from the environment, or -1. */
static long id_from(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long id;

    if (v == NULL || v[0] == '\0')
        return -1;
    errno = 0;
    id = strtol(v, &end, 10);
    if (*end != '\0' || errno != 0 || id < 0)
        return -1;
    return id;
}

int privilege_drop_to_sudo_user(struct sock_err *why)
{
    long uid = id_from("SUDO_UID"), gid = id_from("SUDO_GID");

    if (geteuid() != 0 || uid <= 0 || gid < 0)
        return 0;
    if (setgroups(0, NULL) == -1 || setgid((gid_t)gid) == -1 ||
        setuid((uid_t)uid) == -1) {
        int err = errno;

        snprintf(why->msg, sizeof why->msg, "becoming user %ld again: %s",
                 uid, strerror(err));
        why->gai = 0;
        errno = err;
        return -1;
    }
    /* A change of user makes the process undumpable, and with it its
     * /proc/self files root's: a user namespace could not be mapped.
     * Nothing of root's is left in it to protect. */
    (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    /* Done: they would name no one in a namespace made next, and the
     * command is that user already. */
    unsetenv("SUDO_UID");
    unsetenv("SUDO_GID");
    return 0;
}
