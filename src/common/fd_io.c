/*
 * fd_io.c - write every byte to a plain descriptor (fd_io.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "fd_io.h"

int fd_write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n == -1 && errno == EINTR) {
            continue;
        } else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = { fd, POLLOUT, 0 };

            if (poll(&pf, 1, -1) == -1 && errno != EINTR)
                return -1;
        } else {
            if (n == 0)
                errno = EIO;   /* no progress and no error: never spin */
            return -1;
        }
    }
    return 0;
}
