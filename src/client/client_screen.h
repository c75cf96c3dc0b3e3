/*
 * client_screen.h - where tcp-client shows the server's bytes: into a
 * pipe or a file exactly as they came, on a terminal with the bytes that
 * would drive it shown escaped (escape.h), as tcp-server's log shows a
 * client's.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CLIENT_SCREEN_H
#define CLIENT_SCREEN_H

#include <stddef.h>

#include "escape.h"

struct client_screen {
    int fd;
    int escape;              /* 1: escape_term() every byte first */
    struct escape_term term; /* a sequence cut between two reads */
    char *shown;             /* room for ESCAPE_TERM_MAX(max) when escaping */
};

/*
 * screen_open - show on fd, escaped when `escape`, pieces of at most
 * `max` bytes.  Returns 0, or -1 with errno (ENOMEM).
 */
int screen_open(struct client_screen *s, int fd, int escape, size_t max);

/*
 * screen_write - show the next n bytes (n <= max) of what the server
 * sent.  Returns 0, or -1 with errno as fd_write_all() sets it (EPIPE:
 * the reader is gone).
 */
int screen_write(struct client_screen *s, const char *p, size_t n);

/* screen_close - the server's bytes have ended: show what the escaper
 * still held (a cut sequence, a last CR), escaped, and free the room.
 * A write error here is not reported: the exchange is over. */
void screen_close(struct client_screen *s);

#endif /* CLIENT_SCREEN_H */
