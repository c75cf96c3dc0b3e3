/*
 * client_loop.h - tcp-client's full-duplex loop: keyboard (or pipe) to
 * socket and socket to screen at the same time.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CLIENT_LOOP_H
#define CLIENT_LOOP_H

#include <stdio.h>

/* How the client waits and shows (tcp-client(1), -w and --raw). */
struct client_opts {
    int idle_ms;       /* give up after this long with nothing received
                          from the server, -1: never ... */
    int idle_open_ms;  /* ... and the same while input is still read */
    int escape;        /* show the server's bytes escaped: stdout is a
                          terminal and --raw was not given */
    int messages;      /* SOCK_SEQPACKET: each input line is sent as one
                          message, each message received shown as it is */
};

/*
 * client_run - copy `in` to the connected socket fd, line by line as it
 * comes, and whatever the server sends to `out`, until the exchange ends:
 * after a quit line is sent, or `in` ends (then the socket is half-closed),
 * the rest of the server's bytes are shown until it closes.  `server`
 * names the peer in messages on `log`.  fd is closed.  When nothing
 * comes from the server for o->idle_open_ms (while `in` is read) or
 * o->idle_ms (after), the client gives up: one line on log, status 1.
 * Returns the exit status: 0 when the exchange ended or the server closed
 * (or reset) the connection first, 1 on an error (reported on log).
 */
int client_run(int fd, int in, int out, const char *server, FILE *log,
               const struct client_opts *o);

/*
 * client_run_udp - the same for a connected UDP socket fd (client_udp.c):
 * each input line is sent as one datagram, each datagram received is
 * written to `out`.  After quit or the end of input it waits for the
 * replies still owed, at most linger_ms (negative: as long as it takes).
 * Only a datagram that echoes a line sent and not yet echoed counts as
 * its reply (or an error line the server sends instead of one); any
 * other is shown and counts for nothing.  The idle limits of `o` apply
 * as over TCP.  fd is closed.  Returns 0, or 1 on an error, replies lost
 * or the idle limit reached (reported on log; ECONNREFUSED: nothing
 * receives on the server's port).
 */
int client_run_udp(int fd, int in, int out, const char *server, FILE *log,
                   int linger_ms, const struct client_opts *o);

/* The line of both loops for an idle limit reached: "tcp-client:
 * SERVER: nothing received for N s; giving up". */
void client_idle_said(FILE *log, const char *server, int limit_ms);

#endif /* CLIENT_LOOP_H */
