/*
 * sock_local_lock.c - the lock file beside a local socket's path,
 * PATH.lock, that servers hold while they change what is at PATH: at
 * start-up across the probe, the removal of a stale file, bind and
 * listen; at exit across the check and the removal of their own file.
 * Without it "check, then unlink" is a race: a server that has just
 * decided PATH is stale may remove the file of one that bound it
 * meanwhile, and both say they listen while clients reach only one.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "sock_internal.h"

#define NAP_MS 5   /* between two tries of a lock another server holds */

/* Sleep ms, or less if a signal comes: the caller's clock decides. */
static void nap(int ms)
{
    struct timespec ts;

    ts.tv_sec = 0;
    ts.tv_nsec = (long)ms * 1000000L;
    (void)nanosleep(&ts, NULL);
}

/* Close fd keeping errno, so the caller sees the first failure. */
static void close_keep_errno(int fd)
{
    int err = errno;

    (void)close(fd);
    errno = err;
}

int sock__local_lock(const struct sockaddr_un *sun, socklen_t len,
                     int wait_ms, struct sock_err *why)
{
    char name[sizeof sun->sun_path + 8];
    struct stat st;
    long long end;
    int fd;

    snprintf(name, sizeof name, "%s.lock", sun->sun_path);
    /* O_NOFOLLOW: a symbolic link planted at PATH.lock must not make us
     * create or lock a file elsewhere.  O_NONBLOCK: a FIFO put there
     * must not hang the open; it is refused below. */
    fd = open(name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
              0600);
    if (fd == -1) {
        int err = errno;

        /* Nothing there and no file can be made: the directory is
         * missing or refuses us, as it would refuse bind.  Say it as
         * bind would have. */
        if (lstat(name, &st) == -1 && errno == ENOENT)
            sock__err_addr(why, "bind", (const struct sockaddr *)sun, len, err);
        else
            sock__err_errno(why, "lock", name, err);
        return -1;
    }
    if (fstat(fd, &st) == -1) {
        sock__err_errno(why, "lock", name, errno);
        close_keep_errno(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        sock__err_text(why, "lock", name, "not a regular file, left alone");
        (void)close(fd);
        errno = EEXIST;
        return -1;
    }
    /* flock(): the lock belongs to this open file, so two opens in one
     * process exclude each other too, and it goes when the process dies,
     * however it dies: a lock file left behind is never stale. */
    end = sock_clock_ms() + wait_ms;
    while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            sock__err_errno(why, "lock", name, errno);
            close_keep_errno(fd);
            return -1;
        }
        if (sock_clock_ms() >= end) {
            (void)close(fd);
            errno = EWOULDBLOCK;   /* the caller words it */
            return -1;
        }
        nap(NAP_MS);
    }
    return fd;
}

void sock__local_unlock(int fd)
{
    if (fd >= 0)
        close_keep_errno(fd);   /* the lock goes with the descriptor */
}
