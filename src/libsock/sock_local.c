/*
 * sock_local.c - the article's AF_LOCAL family: a stream (or SOCK_SEQPACKET)
 * socket named by a path on this host instead of an IP address and a port.  The server's
 * socket - bind - listen and the client's socket - connect, with what a
 * path adds: a socket file that outlives a dead server, and a name that
 * may be too long for the address, and two servers that must not both
 * take one path, whatever the timing (the lock file: sock_local_lock.c).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "sock_internal.h"

int sock_local_addr(const char *name, struct sockaddr_un *sun,
                    socklen_t *len)
{
    size_t n = name != NULL ? strlen(name) : 0;
    size_t off = offsetof(struct sockaddr_un, sun_path);

    if (n == 0) {
        errno = EINVAL;
        return -1;
    }
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
#ifdef __linux__
    if (name[0] == '@') {
        /* Abstract: a NUL first, then the name's bytes, no NUL after. */
        if (n - 1 > SOCK_LOCAL_PATH_MAX || n == 1) {
            errno = n == 1 ? EINVAL : ENAMETOOLONG;
            return -1;
        }
        memcpy(sun->sun_path + 1, name + 1, n - 1);
        *len = (socklen_t)(off + n);
        return 0;
    }
#endif
    if (n > SOCK_LOCAL_PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun->sun_path, name, n + 1);
    *len = (socklen_t)(off + n + 1);
    return 0;
}

/* A name that is a file on disk, not a Linux abstract name. */
static int has_file(const struct sockaddr_un *sun)
{
    return sun->sun_path[0] != '\0';
}

/* "STEP unix:NAME: REASON" for a name sock_local_addr() refused. */
static void err_bad_name(struct sock_err *why, const char *step,
                         const char *name, int err)
{
    char what[SOCK_ADDR_TEXT_MAX + 8];

    /* The name is cut to fit the line; the reason says what was wrong. */
    snprintf(what, sizeof what, "unix:%.*s%s", 40, name != NULL ? name : "",
             name != NULL && strlen(name) > 40 ? "..." : "");
    if (err == ENAMETOOLONG) {
        char reason[96];

        snprintf(reason, sizeof reason,
                 "File name too long (%zu bytes; a local address holds %zu)",
                 strlen(name), (size_t)SOCK_LOCAL_PATH_MAX);
        sock__err_text(why, step, what, reason);
        if (why != NULL)
            why->gai = 0;
        errno = err;
    } else {
        sock__err_errno(why, step, what, err);
    }
}

/* Add words after the reason sock__err_addr() wrote. */
static void err_more(struct sock_err *why, const char *more)
{
    if (why != NULL) {
        size_t n = strlen(why->msg);

        snprintf(why->msg + n, sizeof why->msg - n, "%s", more);
    }
}

/* A local socket of `type` (SOCK_STREAM, SOCK_SEQPACKET), close-on-exec. */
static int local_socket(int type)
{
#ifdef SOCK_CLOEXEC
    return sock_socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
#else
    int fd = sock_socket(AF_UNIX, type, 0);

    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
#endif
}

/* How long a server waits for PATH.lock, which another holds only while
 * it starts (a few system calls) or removes its file at exit.  At exit
 * the wait is short: a stop must be quick, and a file left behind is
 * only stale, for the next server to replace. */
#define LOCK_WAIT_START_MS 2000
#define LOCK_WAIT_EXIT_MS  100

enum taken { STALE, IN_USE, NOT_SOCKET, UNKNOWN };

/*
 * bind found the path taken.  A socket file stays on disk after its
 * server is gone; a connect tells whether anyone still listens: refused
 * means the file is stale.  Never blocks: the probe is non-blocking, and
 * a full accept queue (EAGAIN) is a live server too, as is one listening
 * with another socket type (EPROTOTYPE: a stream server at the path of
 * a SOCK_SEQPACKET one, or the other way round).
 */
static enum taken who_has(const struct sockaddr_un *sun, socklen_t len,
                          int type)
{
    struct stat st;
    int fd, r, err;

    if (lstat(sun->sun_path, &st) == -1)
        return errno == ENOENT ? STALE : UNKNOWN;   /* gone meanwhile */
    if (!S_ISSOCK(st.st_mode))
        return NOT_SOCKET;
    fd = local_socket(type);
    if (fd == -1)
        return UNKNOWN;
    if (sock_set_nonblock(fd, 1) == -1) {
        sock_close(fd);
        return UNKNOWN;
    }
    r = sock_connect(fd, (const struct sockaddr *)sun, len);
    err = errno;
    sock_close(fd);
    if (r == 0 || err == EAGAIN || err == EINPROGRESS || err == EPROTOTYPE)
        return IN_USE;
    return err == ECONNREFUSED ? STALE : UNKNOWN;
}

int sock_listen_local_type(const char *name, int type, int backlog,
                           struct sock_err *why)
{
    struct sockaddr_un sun;
    const struct sockaddr *sa = (const struct sockaddr *)&sun;
    socklen_t len;
    int fd, r, lock = -1;

    if (sock_local_addr(name, &sun, &len) == -1) {
        err_bad_name(why, "bind", name, errno);
        return -1;
    }
    fd = local_socket(type);
    if (fd == -1) {
        sock__err_addr(why, "socket", sa, len, errno);
        return -1;
    }
    /* From the first bind (and the probe, and the removal of a stale
     * file) to listen, PATH is ours alone among servers: one that comes
     * meanwhile waits, then finds us listening.  Taken after
     * socket(), so that the listener is still the first free descriptor
     * (3 in a program's trace).  An abstract name needs no lock: bind
     * takes it atomically and nothing of it outlives its socket. */
    if (has_file(&sun)) {
        lock = sock__local_lock(&sun, len, LOCK_WAIT_START_MS, why);
        if (lock == -1) {
            if (errno == EWOULDBLOCK) {
                sock__err_addr(why, "bind", sa, len, EADDRINUSE);
                err_more(why, ": another server is starting there");
            }
            goto fail;
        }
    }
    r = sock_bind(fd, sa, len);
    if (r == -1 && errno == EADDRINUSE && has_file(&sun)) {
        switch (who_has(&sun, len, type)) {
        case STALE:
            /* Left by a server that died: ours to replace. */
            if (unlink(sun.sun_path) == 0 || errno == ENOENT) {
                r = sock_bind(fd, sa, len);
                break;
            }
            sock__err_addr(why, "unlink stale socket", sa, len, errno);
            goto fail;
        case IN_USE:
            sock__err_addr(why, "bind", sa, len, EADDRINUSE);
            err_more(why, ": a server is listening there");
            goto fail;
        case NOT_SOCKET:
            sock__err_addr(why, "bind", sa, len, EADDRINUSE);
            err_more(why, ": not a socket, left alone");
            goto fail;
        case UNKNOWN:
            errno = EADDRINUSE;
            break;
        }
    }
    if (r == -1) {
        sock__err_addr(why, "bind", sa, len, errno);
        goto fail;
    }
    if (sock_listen(fd, backlog) == -1) {
        sock__err_addr(why, "listen", sa, len, errno);
        goto fail;
    }
    /* Listening now: a server that takes the lock next finds us by its
     * probe. */
    sock__local_unlock(lock);
    return fd;
fail:
    r = errno;
    sock_close(fd);
    sock__local_unlock(lock);
    errno = r;
    return -1;
}

int sock_listen_local(const char *name, int backlog, struct sock_err *why)
{
    return sock_listen_local_type(name, SOCK_STREAM, backlog, why);
}

/* The file at name is the socket dev, ino: remove it.  Under the lock. */
static int unlink_if_ours(const char *name, unsigned long long dev,
                          unsigned long long ino)
{
    struct stat st;

    if (lstat(name, &st) == -1)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode) || (unsigned long long)st.st_dev != dev ||
        (unsigned long long)st.st_ino != ino) {
        errno = EEXIST;
        return -1;
    }
    return unlink(name) == -1 && errno != ENOENT ? -1 : 0;
}

int sock_local_unlink(const char *name, unsigned long long dev,
                      unsigned long long ino)
{
    struct sockaddr_un sun;
    socklen_t len;
    int lock, r;

    if (name == NULL || name[0] == '\0' || name[0] == '@')
        return 0;
    if (sock_local_addr(name, &sun, &len) == -1)
        return -1;
    /* Our listener may be closed already: a server starting now would
     * find our file stale and replace it.  Under the lock, our check
     * and our unlink come both before its probe or both after its
     * bind, never around it, so we never remove its file. */
    lock = sock__local_lock(&sun, len, LOCK_WAIT_EXIT_MS, NULL);
    if (lock == -1)
        return -1;
    r = unlink_if_ours(name, dev, ino);
    sock__local_unlock(lock);
    return r;
}

/* SO_SNDTIMEO bounds a blocking local connect's wait for queue room. */
static int send_timeout(int fd, int ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int sock_connect_local_type(const char *name, int type, int timeout_ms,
                            struct sock_err *why)
{
    struct sockaddr_un sun;
    const struct sockaddr *sa = (const struct sockaddr *)&sun;
    socklen_t len;
    int fd, r, err;

    if (sock_local_addr(name, &sun, &len) == -1) {
        err_bad_name(why, "connect", name, errno);
        return -1;
    }
    fd = local_socket(type);
    if (fd == -1) {
        sock__err_addr(why, "socket", sa, len, errno);
        return -1;
    }
    if (timeout_ms > 0 && send_timeout(fd, timeout_ms) == -1) {
        sock__err_addr(why, "setsockopt SO_SNDTIMEO", sa, len, errno);
        goto fail;
    }
    /* Nothing crosses a wire: the kernel joins the two sockets now, or
     * waits for room in the server's accept queue.  Interrupted, it has
     * joined nothing, so trying again is safe. */
    do
        r = sock_connect(fd, sa, len);
    while (r == -1 && errno == EINTR);
    if (r == -1) {
        /* The wait for queue room ran out: a timeout by any other name. */
        sock__err_addr(why, "connect", sa, len,
                       errno == EAGAIN ? ETIMEDOUT : errno);
        goto fail;
    }
    if (timeout_ms > 0 && send_timeout(fd, 0) == -1) {
        sock__err_addr(why, "setsockopt SO_SNDTIMEO", sa, len, errno);
        goto fail;
    }
    return fd;
fail:
    err = errno;
    sock_close(fd);
    errno = err;
    return -1;
}

int sock_connect_local(const char *name, int timeout_ms, struct sock_err *why)
{
    return sock_connect_local_type(name, SOCK_STREAM, timeout_ms, why);
}
