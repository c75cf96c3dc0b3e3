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

/*
 * client_run_udp - the same for a connected UDP socket fd (client_udp.c):
 * each input line is sent as one datagram, each datagram received is
 * written to `out`.  After quit or the end of input it waits for the
 * replies still owed, at most linger_ms (negative: as long as it takes).
 * fd is closed.  Returns 0, or 1 on an error or replies lost (reported on
 * log; ECONNREFUSED: nothing receives on the server's port).
 */
int client_run_udp(int fd, int in, int out, const char *server, FILE *log,
                   int linger_ms);

#endif /* CLIENT_LOOP_H */
