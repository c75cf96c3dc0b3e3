/*
 * fd_io.h - writing every byte to a plain descriptor (a terminal, a pipe,
 * a file): the programs' stdout and stderr, as opposed to sockets, which
 * go through libsock.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef FD_IO_H
#define FD_IO_H

#include <stddef.h>

/*
 * fd_write_all - write(2) all `len` bytes, however long the reader takes:
 * short writes continue, EINTR retries, and EAGAIN (someone made the
 * shared descriptor non-blocking) waits in poll() for room.  Returns 0,
 * or -1 with errno set (EPIPE: the reader is gone; ENOSPC; EIO for a
 * write that took nothing).
 */
int fd_write_all(int fd, const char *p, size_t len);

#endif /* FD_IO_H */
