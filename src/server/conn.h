/*
 * conn.h - one connection of tcp-server as a state machine (conn.c), the
 * same in every design.  The designs differ only in how they wait for
 * events: poll() over every descriptor (serve_loop.c), epoll's ready
 * list (serve_epoll.c), or one connection at a time in a process or
 * thread of its own (serve_iterative.c, serve_fork.c, serve_thread.c,
 * through serve_loop_one()).  The protocol itself is session.c's; who is
 * let in and how the server stops is server.c's.
 *
 * Each connection is non-blocking and moves through three states:
 *   OPEN     a session: reading lines and sending replies (session.h);
 *   CLOSING  the session is over (or never began: a client turned away
 *            as busy): send what is still queued;
 *   DRAIN    half-closed (FIN sent): read and drop until the peer closes
 *            or a short deadline, so that our last words are not destroyed
 *            by a reset when the peer still had bytes in flight.
 *
 * Memory stays bounded whatever clients do: while a reply is queued the
 * connection is not read, so a client that sends without reading stops
 * itself (backpressure); the echoes of all the whole lines one read
 * brought are sent with one write, and they fit the reply queue because
 * they came from one line buffer.  The line buffer and the reply queue
 * exist only while they hold something, so an idle client costs its
 * struct conn alone.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <sys/socket.h>

#include "libsock.h"

#define CONN_NEVER (1LL << 62)   /* a deadline that never comes */

enum conn_state { C_OPEN, C_CLOSING, C_DRAIN };

/* Events as conn_step() takes them; each driver maps its own to these. */
#define CONN_IN  0x1
#define CONN_OUT 0x2
#define CONN_ERR 0x4

/*
 * One connection.  A design that keeps state of its own per connection
 * wraps this struct, first member, in one of its own and sets
 * server.conn_size (serve_epoll.c does): conn_add() allocates that much.
 */
struct conn {
    int fd;
    unsigned char state;      /* enum conn_state */
    unsigned char more;       /* lines may be buffered: process w/o input */
    unsigned char peer_eof;   /* the peer has half-closed */
    unsigned char session;    /* 1: welcomed; 0: turned away as busy */
    size_t idx;               /* its slot in server.conns */
    long long deadline;       /* OPEN: idle cut-off; CLOSING, DRAIN: close */
    const char *why;          /* reason shown when it disconnects */
    struct sock_line_reader rd; /* rd.buf NULL while nothing is held */
    char *out;                /* queued reply bytes, NULL when none */
    size_t out_len, out_off;
    size_t out_cut;           /* SOCK_SEQPACKET: where the first of two
                                 queued messages ends (0: one or none) */
    unsigned char ip[16];     /* the peer's IP (IPv4 as ::ffff:a.b.c.d) */
    char peer[SOCK_ADDR_TEXT_MAX];
};

struct server;

/*
 * conn_add - a new connection in s's table: the connected, non-blocking
 * fd (from sa) as a session (welcomed), or, session 0, a client being
 * turned away (told busy, then drained like any goodbye).  Returns 0, or
 * -1 when there is no memory for it (the caller closes fd).
 */
int conn_add(struct server *s, int fd, const struct sockaddr *sa,
             socklen_t salen, int session);

/* One conn after an event (CONN_* bits, 0 for none) or a deadline:
 * returns -1 when it must be freed with conn_free(). */
int conn_step(struct server *s, struct conn *c, int ev, long long now);

/* The server stops: an open session is told so and its goodbye begins
 * (a failed send leaves it CLOSING: freed on its next step). */
void conn_stop(struct server *s, struct conn *c);

/* Close and free conns[i]; the last conn moves into slot i. */
void conn_free(struct server *s, size_t i);

/* Replies are queued: only a writable socket moves it on. */
int conn_pending(const struct conn *c);

/* Work to do without waiting for an event: lines already buffered, or a
 * finished session to half-close. */
int conn_has_work(const struct conn *c);

/* What to wait for: CONN_OUT while replies are queued, CONN_IN while it
 * may read, 0 (only the deadline) otherwise. */
int conn_wants(const struct conn *c);

/* Whether conn c has a deadline that applies (idle timeout, goodbye). */
int conn_timed(const struct server *s, const struct conn *c);

/* The peer's IP as 16 bytes, IPv4 written as IPv4-mapped IPv6, so that
 * one client is one key whichever socket family it came in on. */
void conn_peer_ip(const struct sockaddr *sa, unsigned char ip[16]);

#endif /* CONN_H */
