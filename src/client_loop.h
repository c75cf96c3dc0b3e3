/*
 * client_loop.h - tcp-client's full-duplex loop: keyboard (or pipe) to
 * socket and socket to screen at the same time.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CLIENT_LOOP_H
#define CLIENT_LOOP_H

#include <stdio.h>

/*
 * client_run - copy `in` to the connected socket fd, line by line as it
 * comes, and whatever the server sends to `out`, until the exchange ends:
 * after a quit line is sent, or `in` ends (then the socket is half-closed),
 * the rest of the server's bytes are shown until it closes.  `server`
 * names the peer in messages on `log`.  fd is closed.
 * Returns the exit status: 0 when the exchange ended or the server closed
 * (or reset) the connection first, 1 on an error (reported on log).
 */
int client_run(int fd, int in, int out, const char *server, FILE *log);

#endif /* CLIENT_LOOP_H */
