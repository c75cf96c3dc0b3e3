/*
 * conn.h - the connection state machine every design of tcp-server
 * shares (conn.c), and the server state the event-loop designs keep
 * around it.  The designs differ only in how they wait for events: poll()
 * over every descriptor (serve_poll.c), epoll's ready list
 * (serve_epoll.c), or one connection at a time in a process or thread of
 * its own (serve_iterative.c, serve_fork.c, serve_thread.c, through
 * serve_one()).  The protocol itself is session.c's.
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

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#include "libsock.h"
#include "server_loop.h"

#define STOP_MS 600   /* after a signal, the goodbye (the log then gets 100 ms) */
#define CONN_NEVER (1LL << 62)   /* a deadline that never comes */

enum conn_state { C_OPEN, C_CLOSING, C_DRAIN };

/* Events as conn_step() takes them; each driver maps its own to these. */
#define CONN_IN  0x1
#define CONN_OUT 0x2
#define CONN_ERR 0x4

struct conn {
    int fd;
    unsigned char state;      /* enum conn_state */
    unsigned char more;       /* lines may be buffered: process w/o input */
    unsigned char peer_eof;   /* the peer has half-closed */
    unsigned char session;    /* 1: welcomed; 0: turned away as busy */
    unsigned char busy;       /* epoll: on the list of work without events */
    unsigned char want;       /* epoll: the interest registered (CONN_*) */
    size_t idx;               /* its slot in server.conns */
    long long deadline;       /* OPEN: idle cut-off; CLOSING, DRAIN: close */
    const char *why;          /* reason shown when it disconnects */
    struct sock_line_reader rd; /* rd.buf NULL while nothing is held */
    char *out;                /* queued reply bytes, NULL when none */
    size_t out_len, out_off;
    unsigned char ip[16];     /* the peer's IP (IPv4 as ::ffff:a.b.c.d) */
    char peer[SOCK_ADDR_TEXT_MAX];
};

/*
 * What a design that serves sessions elsewhere (a process or a thread per
 * client) plugs into the loop that accepts for it, and what a session's
 * own loop tells its design.  Every member may be NULL.
 */
struct server_hooks {
    /* Take a client within the limits: 0 when it is taken (fd is the
     * design's now), -1 when it is not (it is told busy here). */
    int (*hand_off)(void *arg, int fd, const struct sockaddr *sa,
                    socklen_t salen);
    /* Sessions open in the design: all of them (ip NULL), or from ip. */
    size_t (*sessions)(void *arg, const unsigned char *ip);
    /* Called every turn, and at least every tick_ms. */
    void (*tick)(void *arg, long long now);
    /* A session of this loop has ended (its goodbye begins). */
    void (*ended)(void *arg);
    void *arg;
    int tick_ms;
};

struct server {
    const struct server_config *cfg;
    const struct server_hooks *hooks;   /* or NULL */
    int lfd;                  /* the listener, or -1 */
    int reserve;              /* a spare descriptor for EMFILE */
    struct conn **conns;
    size_t n, cap;
    size_t open;              /* connections in C_OPEN: the sessions */
    char *shown;              /* a received line, escaped for the log */
    long long now;            /* this turn's time, in ms */
    long long accept_paused_until;
    long long emfile_said;    /* when EMFILE was last reported */
    long long next_deadline;  /* no conn's deadline is earlier than this */
    int served;               /* clients accepted so far */
};

/* Set up s for cfg and the listener lfd (-1: none), lfd non-blocking.
 * Returns 0, or -1 with errno (reported on the log by the caller). */
int server_init(struct server *s, const struct server_config *cfg, int lfd);

/* Free every connection (closing it), the listener and s's memory. */
void server_fini(struct server *s);

/* Take clients off the listener (at most a batch), each a new conn, or
 * turned away as busy; --once closes the listener after the first. */
void server_accept(struct server *s, long long now);

/* A signal: tell those still in the accept queue and every session that
 * the server stops; close the listener. */
void server_begin_stop(struct server *s);

/* The listener's part of that: the clients whose handshake the kernel
 * finished are taken and told (closing the listener would reset them),
 * then lfd is closed, so new ones are refused. */
void server_stop_listening(int lfd);

/* Add the connected, non-blocking fd (from sa) as a session; -1 when
 * there is no memory for it (the caller closes fd). */
int server_add(struct server *s, int fd, const struct sockaddr *sa,
               socklen_t salen);

/* One conn after an event (CONN_* bits, 0 for none) or a deadline:
 * returns -1 when it must be freed with conn_free(). */
int conn_step(struct server *s, struct conn *c, int ev, long long now);

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

/* Lower *timeout (poll/epoll milliseconds, -1 = none yet) to reach
 * `deadline` from `now`. */
void wake_by(int *timeout, long long deadline, long long now);

/* Empty the wake pipe: its bytes only say "look at *stop". */
void drain_wake(int fd);

/* Say busy or shutting down, send FIN, drop what the client already
 * sent, close: for a client we have no slot for. */
void close_now(int fd, int shutting_down);

/*
 * server_accept_loop - the poll design's loop, accepting on lfd, with
 * hooks: the fork and thread designs hand their clients off through it,
 * and turn away those beyond the limits with the same goodbye as poll.
 */
int server_accept_loop(int lfd, const struct server_config *cfg,
                       const volatile sig_atomic_t *stop,
                       const struct server_hooks *hooks);

#endif /* CONN_H */
