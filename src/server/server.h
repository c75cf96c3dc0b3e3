/*
 * server.h - what tcp-server keeps around its connections (server.c):
 * the table of them, the listener, and the policy over both: who is let
 * in (--max-clients, --max-per-ip; a spare descriptor for EMFILE, so a
 * client is told "busy" even then), and the stop (those waiting in the
 * accept queue and every session are told, then the listener goes).
 * One connection's own rules are conn.h's.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SERVER_H
#define SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "conn.h"
#include "serve.h"
#include "session.h"

#define STOP_MS 600   /* after a signal, the goodbye (the log then gets 100 ms) */

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
    size_t conn_size;         /* bytes per conn: sizeof(struct conn), or a
                                 design's wrapper around it */
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

/* Say why (SESSION_FULL: busy; SESSION_STOPPING: shutting down), send
 * FIN, drop what the client already sent, close: for a client we have
 * no slot, descriptor or time for. */
void server_close_now(int fd, enum session_event why);

/* Lower *timeout (poll/epoll milliseconds, -1 = none yet) to reach
 * `deadline` from `now`. */
void server_wake_by(int *timeout, long long deadline, long long now);

#endif /* SERVER_H */
