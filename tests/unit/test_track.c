/*
 * test_track.c - track_segment moves both ends' TCP states as the
 * segments between them make them (RFC 9293 §3.3.2 and the figures of
 * §3.5), and names the numbers relative to the client's first (j) and
 * the server's first (k).  The segments are struct frame values written
 * here (no bytes needed), but for one conversation captured on lo and
 * taken apart by frame_parse.  Covered: the handshake, data, the close
 * from either side, a FIN+ACK that acknowledges the peer's FIN, the
 * simultaneous close and open, resets, retransmissions, a connection
 * joined mid-stream, a four-tuple used again, the table's LRU bound and
 * sequence numbers that wrap.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "frame.h"
#include "track.h"
#include "mock_syscalls.h"

#define CPORT 47964
#define SPORT 8080
#define J     1000u         /* the client's ISN */
#define K     5000u         /* the server's ISN */
#define C     1             /* from the client */
#define S     0             /* from the server */

static const unsigned char lo4[16] = {127, 0, 0, 1};
static const unsigned char lo6[16] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const unsigned char payload[64] =
    "welcome!\nhello\nquit\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

static struct tracker tr;
static struct track_event ev;

static int tracker_up(void **state)
{
    (void)state;
    mock_reset();
    return track_init(&tr, 8, SPORT);
}

static int tracker_down(void **state)
{
    (void)state;
    track_free(&tr);
    mock_reset();
    return 0;
}

#define track_test(f) \
    cmocka_unit_test_setup_teardown(f, tracker_up, tracker_down)

/* A segment between client port `cport` and the server, one way. */
static struct frame seg_on(int family, unsigned cport, int from_client,
                           unsigned flags, uint32_t seq, uint32_t ack,
                           size_t len)
{
    struct frame f;
    const unsigned char *a = family == AF_INET ? lo4 : lo6;

    memset(&f, 0, sizeof f);
    f.family = family;
    memcpy(f.src, a, 16);
    memcpy(f.dst, a, 16);
    f.proto = IPPROTO_TCP;
    f.sport = (uint16_t)(from_client ? cport : SPORT);
    f.dport = (uint16_t)(from_client ? SPORT : cport);
    f.seq = seq;
    f.ack = ack;
    f.flags = flags;
    f.win = 65535;
    f.opt.mss = f.opt.wscale = -1;
    assert_true(len <= sizeof payload);
    f.len = f.captured = len;
    f.data = payload;
    return f;
}

/* Send one segment on connection `cport` and check both ends' states
 * after it, by name; a failure names the line of the step. */
#define step_on(...) step_at(__LINE__, __VA_ARGS__)
static void step_at(int line, unsigned cport, int from_client,
                    unsigned flags, uint32_t seq, uint32_t ack, size_t len,
                    enum tcp_end_state client, enum tcp_end_state server)
{
    struct frame f = seg_on(AF_INET, cport, from_client, flags, seq, ack,
                            len);

    track_segment(&tr, &f, &ev);
    if (ev.client_after != client || ev.server_after != server)
        print_error("step at line %d: client %s, server %s\n", line,
                    track_state_name(ev.client_after),
                    track_state_name(ev.server_after));
    assert_non_null(ev.conn);
    assert_int_equal(ev.from_client, from_client);
    assert_string_equal(track_state_name(ev.client_after),
                        track_state_name(client));
    assert_string_equal(track_state_name(ev.server_after),
                        track_state_name(server));
    assert_int_equal(ev.conn->c.state, client);
    assert_int_equal(ev.conn->s.state, server);
}

#define step(...) step_at(__LINE__, CPORT, __VA_ARGS__)

/* v as the article writes it, relative to end e's first number. */
static void rel_is(const struct track_end *e, char name, uint32_t v,
                   const char *want)
{
    char out[32];

    track_rel(e, name, v, out, sizeof out);
    assert_string_equal(out, want);
}

/* The three segments of the handshake, checked in handshake(). */
#define handshake_on(...) handshake_at(__LINE__, __VA_ARGS__)
static void handshake_at(int line, unsigned cport, uint32_t j, uint32_t k)
{
    step_at(line, cport, C, FRAME_SYN, j, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step_at(line, cport, S, FRAME_SYN | FRAME_ACK, k, j + 1, 0,
            TS_ESTABLISHED, TS_SYN_RECV);
    step_at(line, cport, C, FRAME_ACK, j + 1, k + 1, 0, TS_ESTABLISHED,
            TS_ESTABLISHED);
}

static void handshake(void **state)
{
    struct track_conn *c;

    (void)state;
    step(C, FRAME_SYN, J, 0, 0, TS_SYN_SENT, TS_LISTEN);
    c = ev.conn;
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(c->id, 1);
    assert_int_equal(c->joined, 0);
    assert_int_equal(c->cport, CPORT);
    assert_int_equal(c->sport, SPORT);
    assert_int_equal(ev.client_before, TS_CLOSED);
    assert_int_equal(ev.server_before, TS_LISTEN);
    assert_int_equal(ev.tell_j, 1);
    assert_int_equal(ev.tell_k, 0);
    assert_int_equal(ev.again, 0);
    assert_int_equal(c->c.isn, J);
    rel_is(&c->c, 'j', J, "j");

    step(S, FRAME_SYN | FRAME_ACK, K, J + 1, 0, TS_ESTABLISHED,
         TS_SYN_RECV);
    assert_ptr_equal(ev.conn, c);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.client_before, TS_SYN_SENT);
    assert_int_equal(ev.server_before, TS_LISTEN);
    assert_int_equal(ev.tell_j, 0);
    assert_int_equal(ev.tell_k, 1);
    assert_int_equal(ev.again, 0);
    assert_int_equal(c->s.isn, K);
    rel_is(&c->s, 'k', K, "k");
    rel_is(&c->c, 'j', J + 1, "j+1");

    step(C, FRAME_ACK, J + 1, K + 1, 0, TS_ESTABLISHED, TS_ESTABLISHED);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.tell_j, 0);
    assert_int_equal(ev.tell_k, 0);
    assert_int_equal(ev.again, 0);
    rel_is(&c->s, 'k', K + 1, "k+1");
    assert_int_equal(tr.forgotten, 0);
}

/* A SYN+ACK that does not acknowledge the SYN moves the client nowhere. */
static void synack_with_wrong_ack(void **state)
{
    (void)state;
    step(C, FRAME_SYN, J, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step(S, FRAME_SYN | FRAME_ACK, K, J + 7, 0, TS_SYN_SENT, TS_SYN_RECV);
}

static void data_moves_the_numbers(void **state)
{
    struct track_conn *c;

    (void)state;
    handshake_on(CPORT, J, K);
    c = ev.conn;
    /* welcome!\n: k+1 to k+10. */
    step(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, 9, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    assert_int_equal(c->s.next_seq, K + 10);
    rel_is(&c->s, 'k', K + 1, "k+1");
    rel_is(&c->s, 'k', c->s.next_seq, "k+10");
    step(C, FRAME_ACK, J + 1, K + 10, 0, TS_ESTABLISHED, TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    /* hello\n: j+1 to j+7. */
    step(C, FRAME_PSH | FRAME_ACK, J + 1, K + 10, 6, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    assert_int_equal(c->c.next_seq, J + 7);
    step(S, FRAME_PSH | FRAME_ACK, K + 10, J + 7, 6, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    assert_int_equal(c->s.next_seq, K + 16);
    assert_int_equal(ev.tell_j | ev.tell_k, 0);
}

/* RFC 9293 figure 12, the client closing first. */
static void close_from_client(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 1, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    assert_int_equal(ev.conn->c.fin_seq, J + 1);
    step(S, FRAME_ACK, K + 1, J + 2, 0, TS_FIN_WAIT2, TS_CLOSE_WAIT);
    step(S, FRAME_FIN | FRAME_ACK, K + 1, J + 2, 0, TS_TIME_WAIT,
         TS_LAST_ACK);
    step(C, FRAME_ACK, J + 2, K + 2, 0, TS_TIME_WAIT, TS_CLOSED);
    assert_int_equal(ev.again, 0);
}

static void close_from_server(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    step(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, 9, TS_ESTABLISHED,
         TS_ESTABLISHED);
    step(S, FRAME_FIN | FRAME_ACK, K + 10, J + 1, 0, TS_CLOSE_WAIT,
         TS_FIN_WAIT1);
    step(C, FRAME_ACK, J + 1, K + 11, 0, TS_CLOSE_WAIT, TS_FIN_WAIT2);
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 11, 0, TS_LAST_ACK,
         TS_TIME_WAIT);
    step(S, FRAME_ACK, K + 11, J + 2, 0, TS_CLOSED, TS_TIME_WAIT);
}

/* The second FIN carries the ACK of the first: FIN_WAIT1 to TIME_WAIT
 * at once (through FIN_WAIT2, in one segment). */
static void fin_ack_acks_the_peers_fin(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 1, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    step(S, FRAME_FIN | FRAME_ACK, K + 1, J + 2, 0, TS_TIME_WAIT,
         TS_LAST_ACK);
    assert_int_equal(ev.client_before, TS_FIN_WAIT1);
    assert_int_equal(ev.server_before, TS_CLOSE_WAIT);
    step(C, FRAME_ACK, J + 2, K + 2, 0, TS_TIME_WAIT, TS_CLOSED);
}

/*
 * RFC 9293 figure 13: both send FIN before either has the other's.  The
 * server's FIN does not acknowledge the client's (ack j+1, not j+2): it
 * was sent from ESTABLISHED, so the server is in FIN_WAIT1 and the
 * client's FIN, already on the wire, takes it to CLOSING; the client's
 * state is CLOSING as soon as the server's FIN arrives.  Each ACK then
 * leads to TIME_WAIT.
 */
static void simultaneous_close(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    /* Until the server's own FIN, nothing says it had not read the
     * client's: CLOSE_WAIT is what the wire shows so far. */
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 1, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    step(S, FRAME_FIN | FRAME_ACK, K + 1, J + 1, 0, TS_CLOSING, TS_CLOSING);
    step(C, FRAME_ACK, J + 2, K + 2, 0, TS_CLOSING, TS_TIME_WAIT);
    step(S, FRAME_ACK, K + 2, J + 2, 0, TS_TIME_WAIT, TS_TIME_WAIT);
}

/*
 * RFC 9293 figure 7: both ends send a SYN; each answers the other's
 * with a SYN+ACK.  The server here is the end on the watched port,
 * though it was not listening: its SYN alone says SYN_SENT.
 */
static void simultaneous_open(void **state)
{
    (void)state;
    step(C, FRAME_SYN, J, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step(S, FRAME_SYN, K, 0, 0, TS_SYN_RECV, TS_SYN_SENT);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.tell_k, 1);
    step(C, FRAME_SYN | FRAME_ACK, J, K + 1, 0, TS_SYN_RECV,
         TS_ESTABLISHED);
    assert_int_equal(ev.tell_j, 0);
    step(S, FRAME_SYN | FRAME_ACK, K, J + 1, 0, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.tell_k, 0);
    assert_int_equal(ev.conn->id, 1);
}

/* Nobody listens: the answer is RST+ACK seq=0 ack=j+1. */
static void rst_refuses_the_syn(void **state)
{
    struct track_conn *c;

    (void)state;
    step(C, FRAME_SYN, J, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step(S, FRAME_RST | FRAME_ACK, 0, J + 1, 0, TS_CLOSED, TS_CLOSED);
    c = ev.conn;
    assert_int_equal(ev.tell_k, 0);
    assert_int_equal(c->s.has_isn, 0);
    rel_is(&c->c, 'j', J + 1, "j+1");
    rel_is(&c->s, 'k', 0, "0");
}

static void rst_when_established(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    step(C, FRAME_RST, J + 1, 0, 0, TS_CLOSED, TS_CLOSED);

    handshake_on(CPORT + 1, J, K);
    step_on(CPORT + 1, S, FRAME_RST | FRAME_ACK, K + 1, J + 1, 0,
            TS_CLOSED, TS_CLOSED);
    assert_int_equal(ev.conn->id, 2);
}

static void rst_during_close(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 1, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    step(S, FRAME_ACK, K + 1, J + 2, 0, TS_FIN_WAIT2, TS_CLOSE_WAIT);
    step(S, FRAME_RST | FRAME_ACK, K + 1, J + 2, 0, TS_CLOSED, TS_CLOSED);

    /* From LAST_ACK too. */
    handshake_on(CPORT + 1, J, K);
    step_on(CPORT + 1, C, FRAME_FIN | FRAME_ACK, J + 1, K + 1, 0,
            TS_FIN_WAIT1, TS_CLOSE_WAIT);
    step_on(CPORT + 1, S, FRAME_FIN | FRAME_ACK, K + 1, J + 2, 0,
            TS_TIME_WAIT, TS_LAST_ACK);
    step_on(CPORT + 1, C, FRAME_RST, J + 2, 0, 0, TS_CLOSED, TS_CLOSED);
}

/* The SYN sent again with the same number: a retransmission, no new
 * connection, no state moved. */
static void retransmitted_syn(void **state)
{
    struct track_conn *c;

    (void)state;
    step(C, FRAME_SYN, J, 0, 0, TS_SYN_SENT, TS_LISTEN);
    c = ev.conn;
    step(C, FRAME_SYN, J, 0, 0, TS_SYN_SENT, TS_LISTEN);
    assert_int_equal(ev.again, 1);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.tell_j, 0);
    assert_ptr_equal(ev.conn, c);
    assert_int_equal(ev.client_before, TS_SYN_SENT);
    assert_int_equal(c->c.isn, J);
    /* The SYN+ACK too. */
    step(S, FRAME_SYN | FRAME_ACK, K, J + 1, 0, TS_ESTABLISHED,
         TS_SYN_RECV);
    assert_int_equal(ev.again, 0);
    step(S, FRAME_SYN | FRAME_ACK, K, J + 1, 0, TS_ESTABLISHED,
         TS_SYN_RECV);
    assert_int_equal(ev.again, 1);
    assert_int_equal(ev.tell_k, 0);
}

static void retransmitted_data_and_fin(void **state)
{
    (void)state;
    handshake_on(CPORT, J, K);
    step(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, 9, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    step(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, 9, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 1);
    assert_int_equal(ev.conn->s.next_seq, K + 10);
    /* A part of it again. */
    step(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, 4, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 1);
    /* New bytes are not. */
    step(S, FRAME_PSH | FRAME_ACK, K + 10, J + 1, 6, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    /* Nor is an ACK repeated: it sends no number. */
    step(C, FRAME_ACK, J + 1, K + 16, 0, TS_ESTABLISHED, TS_ESTABLISHED);
    step(C, FRAME_ACK, J + 1, K + 16, 0, TS_ESTABLISHED, TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    /* The FIN again. */
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 16, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    assert_int_equal(ev.again, 0);
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 16, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    assert_int_equal(ev.again, 1);
    assert_int_equal(ev.conn->c.fin_seq, J + 1);
}

/* Joined mid-connection: no SYN seen, the states unknown, the first
 * number each end sends stands for j or k. */
static void joined_mid_stream(void **state)
{
    struct track_conn *c;

    (void)state;
    step(S, FRAME_PSH | FRAME_ACK, K + 100, J + 50, 9, TS_UNKNOWN,
         TS_UNKNOWN);
    c = ev.conn;
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(c->joined, 1);
    /* The end on the watched port serves, whichever sent first. */
    assert_int_equal(c->sport, SPORT);
    assert_int_equal(c->cport, CPORT);
    assert_int_equal(ev.from_client, 0);
    assert_int_equal(ev.tell_k, 1);
    assert_int_equal(ev.tell_j, 0);
    rel_is(&c->s, 'k', K + 100, "k");
    rel_is(&c->c, 'j', J + 50, "1050");      /* j not known yet */
    assert_int_equal(ev.client_before, TS_UNKNOWN);
    assert_string_equal(track_state_name(TS_UNKNOWN), "?");

    step(C, FRAME_ACK, J + 50, K + 109, 0, TS_UNKNOWN, TS_UNKNOWN);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.tell_j, 1);
    assert_int_equal(ev.tell_k, 0);
    rel_is(&c->c, 'j', J + 50, "j");
    rel_is(&c->s, 'k', K + 109, "k+9");

    /* What a FIN means does not need the past. */
    step(C, FRAME_FIN | FRAME_ACK, J + 50, K + 109, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    step(S, FRAME_FIN | FRAME_ACK, K + 109, J + 51, 0, TS_TIME_WAIT,
         TS_LAST_ACK);

    /* Joined by a segment from the client's side: still the end on the
     * watched port serves. */
    step_on(CPORT + 1, C, FRAME_ACK, 1, 2, 0, TS_UNKNOWN, TS_UNKNOWN);
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(ev.conn->cport, CPORT + 1);
    assert_int_equal(ev.conn->sport, SPORT);
    assert_int_equal(ev.tell_j, 1);
}

/* The four numbers used again after the connection ended: a SYN with
 * a new ISN is a new connection with a new id. */
static void new_syn_after_finished(void **state)
{
    struct track_conn *first;

    (void)state;
    handshake_on(CPORT, J, K);
    first = ev.conn;
    assert_int_equal(first->id, 1);
    step(C, FRAME_FIN | FRAME_ACK, J + 1, K + 1, 0, TS_FIN_WAIT1,
         TS_CLOSE_WAIT);
    step(S, FRAME_FIN | FRAME_ACK, K + 1, J + 2, 0, TS_TIME_WAIT,
         TS_LAST_ACK);
    step(C, FRAME_ACK, J + 2, K + 2, 0, TS_TIME_WAIT, TS_CLOSED);

    /* The old SYN again (same ISN) is a retransmission, not new. */
    step(C, FRAME_SYN, J, 0, 0, TS_TIME_WAIT, TS_CLOSED);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.again, 1);

    step(C, FRAME_SYN, J + 90000, 0, 0, TS_SYN_SENT, TS_LISTEN);
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(ev.conn->id, 2);
    assert_int_equal(ev.tell_j, 1);
    assert_int_equal(ev.client_before, TS_CLOSED);
    rel_is(&ev.conn->c, 'j', J + 90001, "j+1");
    assert_int_equal(tr.forgotten, 0);
    /* An established connection is not replaced by a SYN, and j's
     * value, told once, is not told again. */
    handshake_on(CPORT + 1, J, K);
    step_on(CPORT + 1, C, FRAME_SYN, J + 5, 0, 0, TS_ESTABLISHED,
            TS_ESTABLISHED);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.conn->id, 3);
    assert_int_equal(ev.tell_j, 0);
}

/* A table of two: the third connection pushes out the one heard from
 * longest ago, which comes back as new (joined). */
static void full_table_forgets_the_oldest(void **state)
{
    (void)state;
    track_free(&tr);
    assert_int_equal(track_init(&tr, 2, SPORT), 0);
    step_on(1001, C, FRAME_SYN, 1, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step_on(1002, C, FRAME_SYN, 2, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step_on(1001, C, FRAME_SYN, 1, 0, 0, TS_SYN_SENT, TS_LISTEN);
    assert_int_equal(ev.is_new, 0);
    step_on(1003, C, FRAME_SYN, 3, 0, 0, TS_SYN_SENT, TS_LISTEN);
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(ev.conn->id, 3);
    assert_int_equal(tr.forgotten, 1);
    /* 1001 was heard from after 1002: it stays. */
    step_on(1001, S, FRAME_SYN | FRAME_ACK, 7, 2, 0, TS_ESTABLISHED,
            TS_SYN_RECV);
    assert_int_equal(ev.is_new, 0);
    assert_int_equal(ev.conn->id, 1);
    /* 1002 is gone: its next segment starts afresh, and pushes out
     * 1003, now the oldest. */
    step_on(1002, S, FRAME_SYN | FRAME_ACK, 9, 3, 0, TS_UNKNOWN,
            TS_SYN_RECV);
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(ev.conn->joined, 1);
    assert_int_equal(ev.conn->id, 4);
    assert_int_equal(tr.forgotten, 2);
    step_on(1001, C, FRAME_ACK, 2, 8, 0, TS_ESTABLISHED, TS_ESTABLISHED);
    assert_int_equal(ev.is_new, 0);
    step_on(1003, C, FRAME_ACK, 4, 1, 0, TS_UNKNOWN, TS_UNKNOWN);
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(tr.forgotten, 3);

    /* A table of none holds one. */
    track_free(&tr);
    assert_int_equal(track_init(&tr, 0, SPORT), 0);
    assert_int_equal(tr.cap, 1);
    step_on(1001, C, FRAME_SYN, 1, 0, 0, TS_SYN_SENT, TS_LISTEN);
    step_on(1002, C, FRAME_SYN, 2, 0, 0, TS_SYN_SENT, TS_LISTEN);
    assert_int_equal(tr.forgotten, 1);
}

/* A segment over IPv6 between addresses `a` (the client's) and the
 * server's, the same. */
static struct frame seg6(const unsigned char *a, int from_client,
                         unsigned flags, uint32_t seq, uint32_t ack)
{
    struct frame f = seg_on(AF_INET6, CPORT, from_client, flags, seq, ack,
                            0);

    memcpy(f.src, a, 16);
    memcpy(f.dst, a, 16);
    return f;
}

/* The same ports over IPv4 and IPv6 are two connections, even where
 * the IPv6 address begins with the IPv4 one's bytes (7f00:1:: and
 * 127.0.0.1, both kept in 16 bytes). */
static void families_kept_apart(void **state)
{
    static const unsigned char like4[16] = {127, 0, 0, 1};
    const unsigned char *const a6[] = {lo6, like4};
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        struct frame f4 = seg_on(AF_INET, CPORT, C, FRAME_SYN, J, 0, 0);
        struct frame f6 = seg6(a6[i], C, FRAME_SYN, K, 0);
        struct track_conn *c4;

        track_free(&tr);
        assert_int_equal(track_init(&tr, 8, SPORT), 0);
        track_segment(&tr, &f4, &ev);
        c4 = ev.conn;
        track_segment(&tr, &f6, &ev);
        assert_int_equal(ev.is_new, 1);
        assert_ptr_not_equal(ev.conn, c4);
        assert_int_equal(ev.conn->family, AF_INET6);
        assert_memory_equal(ev.conn->caddr, a6[i], 16);
        f6 = seg6(a6[i], S, FRAME_SYN | FRAME_ACK, 1, K + 1);
        track_segment(&tr, &f6, &ev);
        assert_int_equal(ev.is_new, 0);
        assert_int_equal(ev.conn->id, 2);
        assert_int_equal(ev.client_after, TS_ESTABLISHED);
        assert_int_equal(c4->c.state, TS_SYN_SENT);
    }
}

/* An ISN just below 2^32: j+1 is 0, and every comparison still holds. */
static void sequence_wraps(void **state)
{
    const uint32_t j = 0xffffffffu, k = 0xfffffff0u;
    struct track_conn *c;

    (void)state;
    handshake_on(CPORT, j, k);
    c = ev.conn;
    rel_is(&c->c, 'j', 0, "j+1");
    rel_is(&c->c, 'j', j - 1, "j-1");
    /* 32 bytes from k+1 across the wrap. */
    step(S, FRAME_PSH | FRAME_ACK, k + 1, 0, 32, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    assert_int_equal(c->s.next_seq, 17);
    rel_is(&c->s, 'k', 17, "k+33");
    step(S, FRAME_PSH | FRAME_ACK, k + 1, 0, 32, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 1);
    step(C, FRAME_PSH | FRAME_ACK, 0, 17, 10, TS_ESTABLISHED,
         TS_ESTABLISHED);
    assert_int_equal(ev.again, 0);
    step(C, FRAME_FIN | FRAME_ACK, 10, 17, 0, TS_FIN_WAIT1, TS_CLOSE_WAIT);
    step(S, FRAME_FIN | FRAME_ACK, 17, 11, 0, TS_TIME_WAIT, TS_LAST_ACK);
    step(C, FRAME_ACK, 11, 18, 0, TS_TIME_WAIT, TS_CLOSED);
    rel_is(&c->s, 'k', 18, "k+34");
}

static void relative_numbers(void **state)
{
    struct track_end e;
    char small[3];

    (void)state;
    memset(&e, 0, sizeof e);
    rel_is(&e, 'j', 4000000000u, "4000000000");
    e.has_isn = 1;
    e.isn = 100;
    rel_is(&e, 'j', 100, "j");
    rel_is(&e, 'k', 110, "k+10");
    rel_is(&e, 'j', 99, "j-1");
    rel_is(&e, 'j', 0, "j-100");
    rel_is(&e, 'j', 100 + 0x7fffffffu, "j+2147483647");
    /* Half the sequence space away: as far behind as it can be. */
    rel_is(&e, 'j', 100 + 0x80000000u, "j-2147483648");
    rel_is(&e, 'j', 101 + 0x80000000u, "j-2147483647");
    track_rel(&e, 'k', 150, small, sizeof small);
    assert_string_equal(small, "k+");
}

static void state_names(void **state)
{
    static const char *const want[] = {
        "?", "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED",
        "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
        "TIME_WAIT",
    };
    int st;

    (void)state;
    for (st = TS_UNKNOWN; st <= TS_TIME_WAIT; st++)
        assert_string_equal(track_state_name((enum tcp_end_state)st),
                            want[st]);
    assert_string_equal(track_state_name((enum tcp_end_state)99), "?");
}

/* A whole conversation captured on lo (AF_PACKET): the client says
 * "quit\n" after the server's "welcome!\n", and the server closes
 * first. */
static const char *const captured[] = {
    "00000000000000000000000008004500003c7dab40004006bf0e7f0000017f00"
    "0001bcbe93f9efd0979d00000000a002ffd7fe3000000204ffd70402080ada57"
    "25c3000000000103030a",
    "00000000000000000000000008004500003c0000400040063cba7f0000017f00"
    "000193f9bcbeaf36fdabefd0979ea012ffcbfe3000000204ffd70402080ac938"
    "d5ccda5725c30103030a",
    "0000000000000000000000000800450000347dac40004006bf157f0000017f00"
    "0001bcbe93f9efd0979eaf36fdac80100040fe2800000101080ada5725c3c938"
    "d5cc",
    "00000000000000000000000008004500003d0e42400040062e777f0000017f00"
    "000193f9bcbeaf36fdacefd0979e80180040fe3100000101080ac938d5ccda57"
    "25c377656c636f6d65210a",
    "0000000000000000000000000800450000347dad40004006bf147f0000017f00"
    "0001bcbe93f9efd0979eaf36fdb580100040fe2800000101080ada5725c3c938"
    "d5cc",
    "0000000000000000000000000800450000397dae40004006bf0e7f0000017f00"
    "0001bcbe93f9efd0979eaf36fdb580180040fe2d00000101080ada5725c3c938"
    "d5cc717569740a",
    "0000000000000000000000000800450000340e43400040062e7f7f0000017f00"
    "000193f9bcbeaf36fdb5efd097a380100040fe2800000101080ac938d5ccda57"
    "25c3",
    "0000000000000000000000000800450000340e44400040062e7e7f0000017f00"
    "000193f9bcbeaf36fdb5efd097a380110040fe2800000101080ac938d5ccda57"
    "25c3",
    "0000000000000000000000000800450000347daf40004006bf127f0000017f00"
    "0001bcbe93f9efd097a3af36fdb680100040fe2800000101080ada5725eec938"
    "d5cc",
    "0000000000000000000000000800450000347db040004006bf117f0000017f00"
    "0001bcbe93f9efd097a3af36fdb680110040fe2800000101080ada5725f5c938"
    "d5cc",
    "0000000000000000000000000800450000340000400040063cc27f0000017f00"
    "000193f9bcbeaf36fdb6efd097a48010004053db00000101080ac938d5feda57"
    "25f5",
};

static size_t unhex(const char *hex, unsigned char *out, size_t size)
{
    size_t n = 0;
    unsigned v;

    for (; hex[0] != '\0' && hex[1] != '\0'; hex += 2) {
        assert_true(n < size);
        assert_int_equal(sscanf(hex, "%2x", &v), 1);
        out[n++] = (unsigned char)v;
    }
    return n;
}

static void captured_conversation(void **state)
{
    static const struct {
        enum tcp_end_state client, server;
        const char *seq, *ack;
    } want[] = {
        {TS_SYN_SENT, TS_LISTEN, "j", "0"},
        {TS_ESTABLISHED, TS_SYN_RECV, "k", "j+1"},
        {TS_ESTABLISHED, TS_ESTABLISHED, "j+1", "k+1"},
        {TS_ESTABLISHED, TS_ESTABLISHED, "k+1", "j+1"},    /* welcome!\n */
        {TS_ESTABLISHED, TS_ESTABLISHED, "j+1", "k+10"},
        {TS_ESTABLISHED, TS_ESTABLISHED, "j+1", "k+10"},   /* quit\n */
        {TS_ESTABLISHED, TS_ESTABLISHED, "k+10", "j+6"},
        {TS_CLOSE_WAIT, TS_FIN_WAIT1, "k+10", "j+6"},      /* FIN */
        {TS_CLOSE_WAIT, TS_FIN_WAIT2, "j+6", "k+11"},
        {TS_LAST_ACK, TS_TIME_WAIT, "j+6", "k+11"},        /* FIN */
        {TS_CLOSED, TS_TIME_WAIT, "k+11", "j+7"},
    };
    size_t i;

    (void)state;
    track_free(&tr);
    assert_int_equal(track_init(&tr, 4, 37881), 0);
    for (i = 0; i < sizeof captured / sizeof captured[0]; i++) {
        unsigned char b[128];
        struct frame f;
        const struct track_end *me, *peer;
        size_t n = unhex(captured[i], b, sizeof b);

        assert_int_equal(frame_parse(b, n, FRAME_LINK_ETHER, &f), FRAME_OK);
        track_segment(&tr, &f, &ev);
        assert_int_equal(ev.is_new, i == 0);
        assert_int_equal(ev.again, 0);
        assert_string_equal(track_state_name(ev.client_after),
                            track_state_name(want[i].client));
        assert_string_equal(track_state_name(ev.server_after),
                            track_state_name(want[i].server));
        me = ev.from_client ? &ev.conn->c : &ev.conn->s;
        peer = ev.from_client ? &ev.conn->s : &ev.conn->c;
        rel_is(me, ev.from_client ? 'j' : 'k', f.seq, want[i].seq);
        if (f.flags & FRAME_ACK)
            rel_is(peer, ev.from_client ? 'k' : 'j', f.ack, want[i].ack);
    }
    assert_int_equal(ev.conn->cport, 48318);
    assert_int_equal(ev.conn->c.isn, 0xefd0979du);
    assert_int_equal(ev.conn->s.isn, 0xaf36fdabu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        track_test(handshake),
        track_test(synack_with_wrong_ack),
        track_test(data_moves_the_numbers),
        track_test(close_from_client),
        track_test(close_from_server),
        track_test(fin_ack_acks_the_peers_fin),
        track_test(simultaneous_close),
        track_test(simultaneous_open),
        track_test(rst_refuses_the_syn),
        track_test(rst_when_established),
        track_test(rst_during_close),
        track_test(retransmitted_syn),
        track_test(retransmitted_data_and_fin),
        track_test(joined_mid_stream),
        track_test(new_syn_after_finished),
        track_test(full_table_forgets_the_oldest),
        track_test(families_kept_apart),
        track_test(sequence_wraps),
        track_test(relative_numbers),
        track_test(state_names),
        track_test(captured_conversation),
    };

    return cmocka_run_group_tests_name("track", tests, NULL, NULL);
}
