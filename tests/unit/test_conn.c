/*
 * test_conn.c - the connection state machine (src/server/conn.c) in this
 * process, over socketpair(): the rules every design of tcp-server
 * shares, without a real server, a port or a clock.  Each test adds one
 * connection to a server with no listener, plays the client on the other
 * end of the pair, and steps the connection as a design's loop would,
 * passing the time (`now`) itself: the welcome, the byte-exact echo,
 * quit, a line too long, EOF in the middle of a line, the goodbye when
 * the server stops, the idle timeout, a turn's budget of lines, a client
 * turned away as busy.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "libsock.h"
#include "logq.h"
#include "session.h"
#include "conn.h"
#include "server.h"
#include "mock_syscalls.h"
#include "testutil.h"

#define T0 1000000LL   /* the time the client came, in ms */

struct fixture {
    struct server_config cfg;
    struct server s;
    int peer;          /* the client's end of the pair */
    int logp[2];       /* the server's log, read back at the end */
    int type;          /* the pair's type: 0 for SOCK_STREAM */
};

static struct fixture fx;

/* A server with no listener, as serve_loop_one() makes, and the line
 * limit and idle timeout the test asks for. */
static void server_up(size_t max_line, long idle_ms)
{
    memset(&fx, 0, sizeof fx);
    mock_reset();
    assert_int_equal(pipe(fx.logp), 0);
    fx.cfg.max_line = max_line;
    fx.cfg.max_clients = 4;
    fx.cfg.idle_ms = idle_ms;
    fx.cfg.wake_fd = -1;
    fx.cfg.log = logq_open(fx.logp[1], fx.logp[1], 1 << 16, "tcp-server");
    assert_non_null(fx.cfg.log);
    assert_int_equal(server_init(&fx.s, &fx.cfg, -1), 0);
    fx.s.now = T0;
}

/* A client, as a session (welcomed) or, session 0, turned away. */
static struct conn *client_comes(int session)
{
    struct sockaddr_un sa;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, fx.type ? fx.type : SOCK_STREAM, 0,
                                sv), 0);
    assert_int_equal(sock_set_nonblock(sv[0], 1), 0);
    assert_int_equal(sock_set_nonblock(sv[1], 1), 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    fx.peer = sv[0];
    assert_int_equal(conn_add(&fx.s, sv[1], (struct sockaddr *)&sa,
                              (socklen_t)offsetof(struct sockaddr_un, sun_path),
                              session),
                     0);
    assert_int_equal(fx.s.n, 1);
    return fx.s.conns[0];
}

/* One turn of a design's loop for the only connection, at `now`:
 * 0 while it lives, -1 once it was freed. */
static int step(int ev, long long now)
{
    fx.s.now = now;
    if (conn_step(&fx.s, fx.s.conns[0], ev, now) == -1) {
        conn_free(&fx.s, 0);
        return -1;
    }
    return 0;
}

static void peer_sends(const char *bytes, size_t len)
{
    assert_int_equal(sock_write_all(fx.peer, bytes, len, NULL), 0);
}

/* Everything the server has sent so far and the client not yet read;
 * *eof says whether the server's FIN came after it. */
static size_t peer_takes(char *buf, size_t cap, int *eof)
{
    size_t got = 0;

    *eof = 0;
    for (;;) {
        ssize_t n = read(fx.peer, buf + got, cap - got);

        if (n > 0 && (got += (size_t)n) < cap)
            continue;
        if (n == 0)
            *eof = 1;
        else if (n == -1)
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        return got;
    }
}

/* The client has exactly `want` to read, then (eof) the server's FIN
 * or (!eof) nothing yet. */
static void peer_gets(const char *want, size_t len, int eof)
{
    char buf[512];
    int saw_eof;
    size_t got = peer_takes(buf, sizeof buf, &saw_eof);

    assert_int_equal(got, len);
    assert_memory_equal(buf, want, len);
    assert_int_equal(saw_eof, eof);
}

#define PEER_GETS(lit, eof) peer_gets(lit, sizeof lit - 1, eof)

/* The server down; its log, as one string, into `log`. */
static void server_down(char *log, size_t cap)
{
    server_fini(&fx.s);
    (void)logq_close(fx.cfg.log, 1000);
    close(fx.logp[1]);
    read_until(fx.logp[0], log, cap, NULL, 2000);
    close(fx.logp[0]);
    close(fx.peer);
}

/* Accepted: "welcome!" at once, before the client says anything; one
 * session open; the log says who came. */
static void welcome_on_accept(void **state)
{
    char log[1024];

    (void)state;
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    assert_int_equal(fx.s.open, 1);
    assert_int_equal(step(0, T0), 0);
    PEER_GETS("", 0);                      /* nothing more, no FIN */
    server_down(log, sizeof log);
    assert_string_equal(log, "connected unix:(unnamed)\n"
                             "disconnected unix:(unnamed)\n");
}

/* Every line comes back as it came: CR, NUL, tab, bytes above 127, the
 * terminator; lines glued in one write and a line split across two. */
static void echo_is_byte_exact(void **state)
{
    static const char lines[] = "hello\r\n" "a\0b\n" "\t\xff\xfe x\n";
    char log[1024];

    (void)state;
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    peer_sends(lines, sizeof lines - 1);
    peer_sends("spl", 3);
    assert_int_equal(step(CONN_IN, T0), 0);
    peer_gets(lines, sizeof lines - 1, 0);
    peer_sends("it\n", 3);
    assert_int_equal(step(CONN_IN, T0), 0);
    PEER_GETS("split\n", 0);
    assert_int_equal(fx.s.conns[0]->state, C_OPEN);
    server_down(log, sizeof log);
    /* The log shows each line escaped (escape.c), in order. */
    assert_string_equal(log, "connected unix:(unnamed)\n"
                             "unix:(unnamed): hello\\r\n"
                             "unix:(unnamed): a\\x00b\n"
                             "unix:(unnamed): \\t\\xff\\xfe x\n"
                             "unix:(unnamed): split\n"
                             "disconnected unix:(unnamed)\n");
}

/* quit (any case, CRLF too) is not echoed; the lines before it are.
 * Then FIN; the server drains until the client closes. */
static void quit_ends_the_session(void **state)
{
    char log[1024];

    (void)state;
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    peer_sends("bye\nQuIt\r\nlost\n", 16);
    assert_int_equal(step(CONN_IN, T0), 0);
    assert_int_equal(fx.s.open, 0);
    assert_int_equal(step(0, T0), 0);      /* the half-close */
    assert_int_equal(fx.s.conns[0]->state, C_DRAIN);
    PEER_GETS("bye\n", 1);
    shutdown(fx.peer, SHUT_WR);
    assert_int_equal(step(CONN_IN, T0), -1);
    assert_int_equal(fx.s.n, 0);
    server_down(log, sizeof log);
    assert_non_null(strstr(log, "disconnected unix:(unnamed) (quit)\n"));
}

/* One byte over --max-line: the error names the limit and the session
 * ends; a line of exactly the limit is still echoed. */
static void line_too_long(void **state)
{
    char log[1024];

    (void)state;
    server_up(8, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    peer_sends("1234567\n", 8);
    assert_int_equal(step(CONN_IN, T0), 0);
    PEER_GETS("1234567\n", 0);
    peer_sends("12345678\n", 9);
    assert_int_equal(step(CONN_IN, T0), 0);
    assert_int_equal(fx.s.open, 0);
    assert_int_equal(step(0, T0), 0);
    PEER_GETS("error: line too long (max 8 bytes)\n", 1);
    server_down(log, sizeof log);
    assert_non_null(strstr(log, "disconnected unix:(unnamed) (line too long)\n"));
}

/* The client half-closes after an unterminated line: it is echoed as it
 * came (no '\n' added), and as both sides are done the server closes. */
static void eof_mid_line(void **state)
{
    char log[1024];

    (void)state;
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    peer_sends("half", 4);
    shutdown(fx.peer, SHUT_WR);
    assert_int_equal(step(CONN_IN, T0), -1);
    PEER_GETS("half", 1);
    server_down(log, sizeof log);
    assert_non_null(strstr(log, "unix:(unnamed): half"));
    assert_non_null(strstr(log, "disconnected unix:(unnamed) (eof)\n"));
}

/* The server stops: the session is told, then FIN; the drain ends at its
 * deadline if the client never closes. */
static void goodbye_on_stop(void **state)
{
    char log[1024];

    (void)state;
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    server_begin_stop(&fx.s);
    assert_int_equal(fx.s.open, 0);
    assert_int_equal(step(0, T0), 0);
    PEER_GETS("error: server shutting down\n", 1);
    assert_int_equal(step(0, T0 + 999), 0);          /* still draining */
    assert_int_equal(step(0, T0 + 1000), -1);        /* DRAIN_MS */
    server_down(log, sizeof log);
    assert_non_null(strstr(log,
                           "disconnected unix:(unnamed) (server shutting down)\n"));
}

/* --idle-timeout: silent that long, the client is told and let go; any
 * byte it sends, half a line too, starts the wait again. */
static void idle_timeout(void **state)
{
    char log[1024];

    (void)state;
    server_up(64, 5000);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    assert_true(conn_timed(&fx.s, fx.s.conns[0]));
    assert_int_equal(step(0, T0 + 4999), 0);
    PEER_GETS("", 0);
    peer_sends("ha", 2);                              /* half a line */
    assert_int_equal(step(CONN_IN, T0 + 3000), 0);
    assert_int_equal(step(0, T0 + 7999), 0);
    PEER_GETS("", 0);
    assert_int_equal(fx.s.open, 1);
    assert_int_equal(step(0, T0 + 8000), 0);
    PEER_GETS("error: idle timeout\n", 1);
    assert_int_equal(fx.s.open, 0);
    server_down(log, sizeof log);
    assert_non_null(strstr(log, "disconnected unix:(unnamed) (idle timeout)\n"));
}

/* No idle timeout (0): the deadline never applies. */
static void no_idle_timeout_no_deadline(void **state)
{
    char log[1024];

    (void)state;
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    assert_false(conn_timed(&fx.s, fx.s.conns[0]));
    assert_int_equal(step(0, T0 + 86400000LL), 0);
    PEER_GETS("", 0);
    server_down(log, sizeof log);
}

/* Fairness: one turn answers at most LINES_PER_TURN (64) lines; the
 * rest wait for the next turn, which needs no event (conn_has_work), and
 * that turn also reads what came meanwhile. */
static void lines_beyond_a_turn_wait_for_the_next(void **state)
{
    char in[70 * 3 + 1], want[70 * 3 + 1], log[16384];
    int i;

    (void)state;
    for (i = 0; i < 70; i++)
        snprintf(in + 3 * i, 4, "%02d\n", i);
    server_up(64, 0);
    (void)client_comes(1);
    PEER_GETS("welcome!\n", 0);
    peer_sends(in, 70 * 3);
    assert_int_equal(step(CONN_IN, T0), 0);
    peer_gets(in, 64 * 3, 0);
    assert_true(conn_has_work(fx.s.conns[0]));
    peer_sends("xy\n", 3);
    assert_int_equal(step(0, T0), 0);
    memcpy(want, in + 64 * 3, 6 * 3);
    memcpy(want + 6 * 3, "xy\n", 3);
    peer_gets(want, 7 * 3, 0);
    assert_false(conn_has_work(fx.s.conns[0]));
    server_down(log, sizeof log);
}

/* A client beyond the limits: "server busy", no welcome, no session,
 * then the same goodbye (FIN, drain) as a session's end. */
static void busy(void **state)
{
    char log[1024];
    struct conn *c;

    (void)state;
    server_up(64, 0);
    c = client_comes(0);
    assert_int_equal(fx.s.open, 0);
    assert_int_equal(c->state, C_CLOSING);
    assert_int_equal(step(0, T0), 0);
    PEER_GETS("error: server busy\n", 1);
    peer_sends("ignored\n", 8);
    assert_int_equal(step(CONN_IN, T0), 0);           /* read and dropped */
    PEER_GETS("", 1);
    shutdown(fx.peer, SHUT_WR);
    assert_int_equal(step(CONN_IN, T0), -1);
    server_down(log, sizeof log);
    assert_string_equal(log, "turned away unix:(unnamed) (server busy)\n");
}

/* SOCK_SEQPACKET: a reply queued while the client does not read and the
 * notice of a stop queued behind it go as two messages, never as one. */
static void seqpacket_queued_replies_stay_apart(void **state)
{
    char msg[256], log[1024];
    int i, told = 0;

    (void)state;
    server_up(64, 0);
    fx.cfg.seqpacket = 1;
    fx.type = SOCK_SEQPACKET;
    (void)client_comes(1);
    assert_int_equal(recv(fx.peer, msg, sizeof msg, 0), 9);
    /* Messages until the client's socket is full and a reply waits. */
    for (i = 0; i < 100000 && !conn_pending(fx.s.conns[0]); i++) {
        if (send(fx.peer, "m\n", 2, 0) == -1)
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        assert_int_equal(step(CONN_IN, T0), 0);
    }
    assert_true(conn_pending(fx.s.conns[0]));
    server_begin_stop(&fx.s);
    for (i = 0; i < 100000 && !told; i++) {
        ssize_t n = recv(fx.peer, msg, sizeof msg, MSG_DONTWAIT);

        if (n == -1) {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            assert_int_equal(step(CONN_OUT, T0), 0);
        } else if (n == (ssize_t)sizeof SESSION_SHUTDOWN - 1 &&
                   memcmp(msg, SESSION_SHUTDOWN, (size_t)n) == 0) {
            told = 1;
        } else if (n != 2 || memcmp(msg, "m\n", 2) != 0) {
            fail_msg("a message of %zd bytes: '%.*s'", n, (int)n, msg);
        }
    }
    assert_true(told);
    server_down(log, sizeof log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(welcome_on_accept),
        cmocka_unit_test(echo_is_byte_exact),
        cmocka_unit_test(quit_ends_the_session),
        cmocka_unit_test(line_too_long),
        cmocka_unit_test(eof_mid_line),
        cmocka_unit_test(goodbye_on_stop),
        cmocka_unit_test(idle_timeout),
        cmocka_unit_test(no_idle_timeout_no_deadline),
        cmocka_unit_test(lines_beyond_a_turn_wait_for_the_next),
        cmocka_unit_test(busy),
        cmocka_unit_test(seqpacket_queued_replies_stay_apart),
    };

    return cmocka_run_group_tests_name("conn", tests, NULL, NULL);
}
