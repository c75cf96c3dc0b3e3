/*
 * track.h - the connections tcp-watch has seen, and the TCP state of
 * each end as the segments make it (RFC 9293 §3.3.2, with Linux's names
 * as the trace uses them).  Only the segments are known: the state is
 * the one each end must be in to send what it sent and after receiving
 * what it received, as in RFC 9293's figures of the handshake and the
 * close.  The table is bounded: when full, the connection heard from
 * longest ago is forgotten.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TRACK_H
#define TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

enum tcp_end_state {
    TS_UNKNOWN,          /* not seen yet (joined mid-connection) */
    TS_CLOSED,
    TS_LISTEN,
    TS_SYN_SENT,
    TS_SYN_RECV,
    TS_ESTABLISHED,
    TS_FIN_WAIT1,
    TS_FIN_WAIT2,
    TS_CLOSE_WAIT,
    TS_CLOSING,
    TS_LAST_ACK,
    TS_TIME_WAIT
};

/* "SYN_SENT", "ESTABLISHED"... as Linux and the trace name them; a
 * closed end is RFC 9293's CLOSED (Linux's TCP_INFO says CLOSE). */
const char *track_state_name(enum tcp_end_state st);

/* One end of a connection. */
struct track_end {
    enum tcp_end_state state;
    int has_isn;           /* its first sequence number is known */
    uint32_t isn;          /* j for the client, k for the server */
    int fin_sent;          /* it sent FIN, numbered fin_seq */
    uint32_t fin_seq;
    int fin_acked;         /* and the other end acknowledged it */
    uint32_t next_seq;     /* one past the highest byte it sent (for
                            * telling a retransmission) */
    int sent_any;
};

struct track_conn {
    int in_use;
    int family;
    unsigned char caddr[16], saddr[16];   /* client's and server's */
    uint16_t cport, sport;
    struct track_end c, s;   /* c: the end that sent the first SYN */
    unsigned id;             /* 1, 2, ... in the order first seen */
    int joined;              /* first seen mid-connection: j and k are the
                              * first numbers seen, not the SYNs' */
    int isn_told;            /* bit 1: j's value shown, bit 2: k's */
    int saw_syn;             /* a SYN from the client was seen (for
                              * telling its retransmission) */
    uint64_t last_used;      /* when last heard from, for the LRU */
};

/* What one segment did, for the printer. */
struct track_event {
    struct track_conn *conn;
    int from_client;        /* the segment went client -> server */
    int is_new;             /* the first segment of this connection */
    enum tcp_end_state client_before, client_after;
    enum tcp_end_state server_before, server_after;
    int tell_j, tell_k;     /* give j's (k's) real value on this line */
    int again;              /* a retransmission: bytes, SYN or FIN sent
                             * before */
};

struct tracker {
    struct track_conn *conns;
    size_t cap;
    unsigned next_id;
    uint16_t port;           /* the watched port: a server's */
    uint64_t clock;          /* counts segments, for the LRU */
    unsigned long forgotten; /* connections pushed out of a full table */
};

/* Room for `cap` connections (at least 1), watching `port`.  Returns 0,
 * or -1 when memory runs out. */
int track_init(struct tracker *t, size_t cap, uint16_t port);
void track_free(struct tracker *t);

/*
 * track_segment - account for one TCP segment to or from the watched
 * port and say what it did in *ev.  The connection is found (or made:
 * the end that sent a SYN without ACK is the client; joined
 * mid-connection, the end not on the watched port) and both ends' states
 * moved as the segment makes them.
 */
void track_segment(struct tracker *t, const struct frame *f,
                   struct track_event *ev);

/*
 * track_rel - a sequence or acknowledgement number relative to an end's
 * first number: "j", "j+1", "k+10", "j-1"; the raw number when that end's
 * first number is unknown.  `name` is 'j' or 'k'.
 */
void track_rel(const struct track_end *e, char name, uint32_t v, char *out,
               size_t size);

#endif /* TRACK_H */
