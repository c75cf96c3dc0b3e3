/*
 * track.c - both ends' TCP states, moved by the segments between them.
 *
 * A segment moves its sender where sending it requires (a SYN: SYN_SENT;
 * a SYN+ACK: SYN_RECV; a FIN: FIN_WAIT1, or LAST_ACK from CLOSE_WAIT,
 * CLOSING if it does not acknowledge the peer's FIN; a RST: CLOSED), and
 * its receiver as receiving it does (RFC 9293 §3.10.7:
 * the RST first, then the SYN, the ACK, and the FIN last).  A server's
 * LISTEN -> SYN_RECV shows on the SYN+ACK it sends, not on the SYN it
 * receives: a SYN the kernel drops (a full accept queue) moves nothing,
 * and the segments alone cannot tell a dropped SYN from a kept one until
 * the answer comes.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "track.h"

const char *track_state_name(enum tcp_end_state st)
{
    static const char *const names[] = {
        "?", "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED",
        "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
        "TIME_WAIT",
    };

    if ((unsigned)st < sizeof names / sizeof names[0])
        return names[st];
    return "?";
}

int track_init(struct tracker *t, size_t cap, uint16_t port)
{
    memset(t, 0, sizeof *t);
    if (cap == 0)
        cap = 1;
    t->conns = calloc(cap, sizeof *t->conns);
    if (t->conns == NULL)
        return -1;
    t->cap = cap;
    t->port = port;
    return 0;
}

void track_free(struct tracker *t)
{
    free(t->conns);
    t->conns = NULL;
    t->cap = 0;
}

/* a - b as a signed distance in sequence space (RFC 9293's modulo 2^32
 * comparisons): positive when a comes after b. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;

    /* Behind by 2^32 - d, which is ~d + 1: written -~d - 1, as
     * negating 2^32 - d itself overflows at d = 2^31 (INT32_MIN). */
    return d <= 0x7fffffffu ? (int32_t)d : -(int32_t)~d - 1;
}

void track_rel(const struct track_end *e, char name, uint32_t v, char *out,
               size_t size)
{
    int32_t d;

    if (!e->has_isn) {
        snprintf(out, size, "%lu", (unsigned long)v);
        return;
    }
    d = seq_diff(v, e->isn);
    if (d == 0)
        snprintf(out, size, "%c", name);
    else
        snprintf(out, size, "%c%+ld", name, (long)d);
}

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

static int same(const unsigned char *a, const unsigned char *b, int family)
{
    return memcmp(a, b, addr_len(family)) == 0;
}

/* The connection the segment belongs to, and its direction, or NULL. */
static struct track_conn *find(struct tracker *t, const struct frame *f,
                               int *from_client)
{
    size_t i;

    for (i = 0; i < t->cap; i++) {
        struct track_conn *c = &t->conns[i];

        if (!c->in_use || c->family != f->family)
            continue;
        if (c->cport == f->sport && c->sport == f->dport &&
            same(c->caddr, f->src, f->family) &&
            same(c->saddr, f->dst, f->family)) {
            *from_client = 1;
            return c;
        }
        if (c->sport == f->sport && c->cport == f->dport &&
            same(c->saddr, f->src, f->family) &&
            same(c->caddr, f->dst, f->family)) {
            *from_client = 0;
            return c;
        }
    }
    return NULL;
}

/* A free slot, or the one heard from longest ago. */
static struct track_conn *slot(struct tracker *t)
{
    struct track_conn *oldest = &t->conns[0];
    size_t i;

    for (i = 0; i < t->cap; i++) {
        if (!t->conns[i].in_use)
            return &t->conns[i];
        if (t->conns[i].last_used < oldest->last_used)
            oldest = &t->conns[i];
    }
    t->forgotten++;
    return oldest;
}

static struct track_conn *open_conn(struct tracker *t, const struct frame *f,
                                    int *from_client)
{
    struct track_conn *c = slot(t);
    int syn_only = (f->flags & (FRAME_SYN | FRAME_ACK)) == FRAME_SYN;
    int src_is_client;

    memset(c, 0, sizeof *c);
    c->in_use = 1;
    c->family = f->family;
    c->id = ++t->next_id;
    /* A SYN alone opens; otherwise the end on the watched port serves. */
    src_is_client = syn_only || f->sport != t->port || f->dport == t->port;
    if (src_is_client) {
        memcpy(c->caddr, f->src, 16);
        memcpy(c->saddr, f->dst, 16);
        c->cport = f->sport;
        c->sport = f->dport;
    } else {
        memcpy(c->caddr, f->dst, 16);
        memcpy(c->saddr, f->src, 16);
        c->cport = f->dport;
        c->sport = f->sport;
    }
    if (syn_only) {
        c->c.state = TS_CLOSED;
        c->s.state = TS_LISTEN;
    } else {
        c->joined = 1;
        c->c.state = c->s.state = TS_UNKNOWN;
    }
    *from_client = src_is_client;
    return c;
}

/* Both ends are done with it: a new SYN on the same four numbers is a
 * new connection. */
static int finished(const struct track_conn *c)
{
    int cd = c->c.state == TS_CLOSED || c->c.state == TS_TIME_WAIT;
    int sd = c->s.state == TS_CLOSED || c->s.state == TS_TIME_WAIT ||
             c->s.state == TS_LISTEN;

    return cd && sd;
}

/* The sender's part: what sending this segment requires of it. */
static void on_send(struct track_end *e, const struct track_end *peer,
                    const struct frame *f, int *again, int *new_isn)
{
    uint32_t span = (uint32_t)f->len + ((f->flags & FRAME_SYN) != 0) +
                    ((f->flags & FRAME_FIN) != 0);
    uint32_t end = f->seq + span;

    if (f->flags & FRAME_RST) {
        e->state = TS_CLOSED;
        return;
    }
    if (f->flags & FRAME_SYN) {
        if (e->has_isn && e->isn == f->seq)
            *again = 1;
        else {
            e->has_isn = 1;
            e->isn = f->seq;
            *new_isn = 1;
        }
        if (f->flags & FRAME_ACK) {
            if (e->state == TS_LISTEN || e->state == TS_UNKNOWN ||
                e->state == TS_CLOSED || e->state == TS_SYN_SENT)
                e->state = TS_SYN_RECV;
        } else if (e->state == TS_CLOSED || e->state == TS_UNKNOWN ||
                   e->state == TS_LISTEN) {
            /* From LISTEN too: a listener never sends a SYN alone, an
             * end that opens at the same time as its peer does. */
            e->state = TS_SYN_SENT;
        }
    } else if (!e->has_isn) {
        /* Joined mid-connection: the first number seen stands for it. */
        e->has_isn = 1;
        e->isn = f->seq;
        *new_isn = 1;
    }
    if (span > 0 && e->sent_any && !(f->flags & FRAME_SYN) &&
        seq_diff(end, e->next_seq) <= 0)
        *again = 1;
    if (!e->sent_any || seq_diff(end, e->next_seq) > 0)
        e->next_seq = end;
    e->sent_any = 1;
    if (f->flags & FRAME_FIN) {
        if (!e->fin_sent) {
            e->fin_sent = 1;
            e->fin_seq = end - 1;
        }
        if (e->state == TS_ESTABLISHED || e->state == TS_SYN_RECV ||
            e->state == TS_UNKNOWN)
            e->state = TS_FIN_WAIT1;
        else if (e->state == TS_CLOSE_WAIT) {
            /* A FIN that does not acknowledge the peer's was sent
             * before that one arrived: a simultaneous close (RFC 9293
             * figure 13), FIN_WAIT1, then CLOSING with the peer's FIN,
             * already on the wire. */
            if ((f->flags & FRAME_ACK) && peer->fin_sent &&
                seq_diff(f->ack, peer->fin_seq) <= 0)
                e->state = TS_CLOSING;
            else
                e->state = TS_LAST_ACK;
        }
    }
}

/* The receiver's part, in RFC 9293's order: RST, SYN, ACK, FIN. */
static void on_receive(struct track_end *e, const struct frame *f)
{
    if (f->flags & FRAME_RST) {
        if (e->state != TS_TIME_WAIT)
            e->state = TS_CLOSED;
        return;
    }
    if (f->flags & FRAME_SYN) {
        if (e->state == TS_SYN_SENT && (f->flags & FRAME_ACK) &&
            e->has_isn && f->ack == e->isn + 1)
            e->state = TS_ESTABLISHED;
        else if (e->state == TS_SYN_SENT && !(f->flags & FRAME_ACK))
            e->state = TS_SYN_RECV;        /* simultaneous open */
    }
    if (f->flags & FRAME_ACK) {
        if (e->state == TS_SYN_RECV && e->has_isn &&
            seq_diff(f->ack, e->isn) > 0)
            e->state = TS_ESTABLISHED;
        if (e->fin_sent && !e->fin_acked &&
            seq_diff(f->ack, e->fin_seq) > 0) {
            e->fin_acked = 1;
            if (e->state == TS_FIN_WAIT1)
                e->state = TS_FIN_WAIT2;
            else if (e->state == TS_CLOSING)
                e->state = TS_TIME_WAIT;
            else if (e->state == TS_LAST_ACK)
                e->state = TS_CLOSED;
        }
    }
    if (f->flags & FRAME_FIN) {
        switch (e->state) {
        case TS_ESTABLISHED:
        case TS_SYN_RECV:
        case TS_UNKNOWN:
            e->state = TS_CLOSE_WAIT;
            break;
        case TS_FIN_WAIT1:
            e->state = TS_CLOSING;
            break;
        case TS_FIN_WAIT2:
            e->state = TS_TIME_WAIT;
            break;
        default:
            break;          /* a FIN sent again: nothing new */
        }
    }
}

void track_segment(struct tracker *t, const struct frame *f,
                   struct track_event *ev)
{
    int from_client = 0, again = 0, new_isn = 0;
    struct track_conn *c = find(t, f, &from_client);
    struct track_end *snd, *rcv;

    memset(ev, 0, sizeof *ev);
    if (c != NULL && (f->flags & (FRAME_SYN | FRAME_ACK)) == FRAME_SYN &&
        finished(c) && !(from_client && c->c.has_isn && c->c.isn == f->seq)) {
        c->in_use = 0;      /* the four numbers used again */
        c = NULL;
    }
    if (c == NULL) {
        c = open_conn(t, f, &from_client);
        ev->is_new = 1;
    }
    c->last_used = ++t->clock;
    ev->conn = c;
    ev->from_client = from_client;
    ev->client_before = c->c.state;
    ev->server_before = c->s.state;
    snd = from_client ? &c->c : &c->s;
    rcv = from_client ? &c->s : &c->c;
    /* A reset that answers the first SYN: nobody was listening, so the
     * server's end was never LISTEN (Connection refused). */
    if (!from_client && (f->flags & FRAME_RST) && c->s.state == TS_LISTEN &&
        !c->s.has_isn)
        ev->server_before = c->s.state = TS_CLOSED;
    on_send(snd, rcv, f, &again, &new_isn);
    on_receive(rcv, f);
    ev->again = again;
    if (new_isn) {
        int bit = from_client ? 1 : 2;

        if (!(c->isn_told & bit)) {
            c->isn_told |= bit;
            if (from_client)
                ev->tell_j = 1;
            else
                ev->tell_k = 1;
        }
    }
    ev->client_after = c->c.state;
    ev->server_after = c->s.state;
}
