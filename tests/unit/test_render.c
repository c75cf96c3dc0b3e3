/*
 * test_render.c - what tcp-watch prints, byte for byte: the lines view
 * of a handshake (numbers in j and k, the states that changed), the
 * ladder (client left, server right, the state columns aligned with the
 * header) and the Mermaid statements; a payload shown as a C string,
 * cut after 40 bytes with "..."; Mermaid's own characters (';' '#' '<'
 * '>') escaped; and render_mermaid_end writing "sequenceDiagram" with
 * every participant first.  The events come from the tracker
 * (track.c), as in tcp-watch.
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
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "frame.h"
#include "render.h"
#include "track.h"
#include "mock_syscalls.h"

#define CPORT 47964
#define SPORT 8080
#define J     1000u
#define K     5000u
#define C     1
#define S     0

static const unsigned char lo4[16] = {127, 0, 0, 1};

static struct tracker tr;
static struct render rd;
static struct track_event ev;
static struct frame fr;
static char out[RENDER_MAX];
static size_t out_len;

static int render_up(void **state)
{
    (void)state;
    mock_reset();
    memset(&rd, 0, sizeof rd);
    return track_init(&tr, 4, SPORT);
}

static int render_down(void **state)
{
    (void)state;
    track_free(&tr);
    render_free(&rd);
    mock_reset();
    return 0;
}

#define render_test(f) \
    cmocka_unit_test_setup_teardown(f, render_up, render_down)

/* One segment through the tracker, then rendered at `secs`. */
static void seg_bytes(int from_client, unsigned flags, uint32_t seq,
                      uint32_t ack, const void *data, size_t len,
                      size_t captured, double secs)
{
    memset(&fr, 0, sizeof fr);
    fr.family = AF_INET;
    memcpy(fr.src, lo4, 16);
    memcpy(fr.dst, lo4, 16);
    fr.proto = IPPROTO_TCP;
    fr.sport = (uint16_t)(from_client ? CPORT : SPORT);
    fr.dport = (uint16_t)(from_client ? SPORT : CPORT);
    fr.seq = seq;
    fr.ack = ack;
    fr.flags = flags;
    fr.win = 65495;
    fr.opt.mss = fr.opt.wscale = -1;
    fr.len = len;
    fr.captured = captured;
    fr.data = data;
    track_segment(&tr, &fr, &ev);
    memset(out, '#', sizeof out);
    out_len = render_tcp(&rd, &fr, &ev, secs, out, sizeof out);
}

static void seg(int from_client, unsigned flags, uint32_t seq, uint32_t ack,
                const char *data, double secs)
{
    size_t len = data != NULL ? strlen(data) : 0;

    seg_bytes(from_client, flags, seq, ack, data, len, len, secs);
}

/* The last rendering is exactly want, and its length says so. */
static void is(const char *want)
{
    if (strcmp(out, want) != 0)
        print_error("rendered\n[%s]\nwant\n[%s]\n", out, want);
    assert_string_equal(out, want);
    assert_int_equal(out_len, strlen(want));
}

static void handshake(double t0)
{
    seg(C, FRAME_SYN, J, 0, NULL, t0);
    seg(S, FRAME_SYN | FRAME_ACK, K, J + 1, NULL, t0 + 0.000041);
    seg(C, FRAME_ACK, J + 1, K + 1, NULL, t0 + 0.00005);
}

static void lines_handshake_and_data(void **state)
{
    (void)state;
    render_init(&rd, VIEW_LINES, 0);
    seg(C, FRAME_SYN, J, 0, NULL, 0.0);
    is("0.000000 127.0.0.1:47964 > 127.0.0.1:8080  SYN seq=j (j=1000)"
       "  [client SYN_SENT]\n");
    seg(S, FRAME_SYN | FRAME_ACK, K, J + 1, NULL, 0.000041);
    is("0.000041 127.0.0.1:8080 > 127.0.0.1:47964  SYN+ACK seq=k ack=j+1"
       " (k=5000)  [server SYN_RECV, client ESTABLISHED]\n");
    seg(C, FRAME_ACK, J + 1, K + 1, NULL, 0.00005);
    is("0.000050 127.0.0.1:47964 > 127.0.0.1:8080  ACK seq=j+1 ack=k+1"
       "  [server ESTABLISHED]\n");
    seg(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, "welcome!\n", 1.25);
    is("1.250000 127.0.0.1:8080 > 127.0.0.1:47964  PSH+ACK seq=k+1 ack=j+1"
       " len=9 \"welcome!\\n\"\n");
    /* The same bytes again. */
    seg(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, "welcome!\n", 1.5);
    is("1.500000 127.0.0.1:8080 > 127.0.0.1:47964  PSH+ACK seq=k+1 ack=j+1"
       " len=9 \"welcome!\\n\" (again)\n");
    seg(C, FRAME_FIN | FRAME_ACK, J + 1, K + 10, NULL, 2.0);
    is("2.000000 127.0.0.1:47964 > 127.0.0.1:8080  FIN+ACK seq=j+1"
       " ack=k+10  [client FIN_WAIT1, server CLOSE_WAIT]\n");
}

/* -v: the window and the options, before (j=...). */
static void lines_verbose_options(void **state)
{
    (void)state;
    render_init(&rd, VIEW_LINES, 1);
    memset(&fr, 0, sizeof fr);
    fr.family = AF_INET;
    memcpy(fr.src, lo4, 16);
    memcpy(fr.dst, lo4, 16);
    fr.proto = IPPROTO_TCP;
    fr.sport = CPORT;
    fr.dport = SPORT;
    fr.seq = J;
    fr.flags = FRAME_SYN;
    fr.win = 65495;
    fr.opt.mss = 65495;
    fr.opt.wscale = 7;
    fr.opt.sack_ok = 1;
    fr.opt.has_ts = 1;
    fr.opt.ts_val = 1;
    fr.opt.ts_ecr = 0;
    track_segment(&tr, &fr, &ev);
    out_len = render_tcp(&rd, &fr, &ev, 0.0, out, sizeof out);
    is("0.000000 127.0.0.1:47964 > 127.0.0.1:8080  SYN seq=j win=65495"
       " mss=65495 wscale=7 sackOK ts=1/0 (j=1000)  [client SYN_SENT]\n");
    /* SACK blocks, no other option. */
    fr.flags = FRAME_ACK;
    fr.sport = SPORT;
    fr.dport = CPORT;
    fr.seq = K;
    fr.ack = J + 1;
    fr.win = 512;
    memset(&fr.opt, 0, sizeof fr.opt);
    fr.opt.mss = fr.opt.wscale = -1;
    fr.opt.sack_blocks = 2;
    track_segment(&tr, &fr, &ev);
    out_len = render_tcp(&rd, &fr, &ev, 0.0, out, sizeof out);
    is("0.000000 127.0.0.1:8080 > 127.0.0.1:47964  ACK seq=k ack=j+1"
       " win=512 sack=2 (k=5000)\n");
}

/* A connection refused: the reset has no number of its own. */
static void lines_refused_and_joined(void **state)
{
    (void)state;
    render_init(&rd, VIEW_LINES, 0);
    seg(C, FRAME_SYN, J, 0, NULL, 0.0);
    seg(S, FRAME_RST | FRAME_ACK, 0, J + 1, NULL, 0.000010);
    /* Nobody was listening: only the client's end changes. */
    is("0.000010 127.0.0.1:8080 > 127.0.0.1:47964  RST+ACK ack=j+1"
       "  [client CLOSED]\n");

    track_free(&tr);
    assert_int_equal(track_init(&tr, 4, SPORT), 0);
    seg(S, FRAME_PSH | FRAME_ACK, K + 100, J + 50, "hi\n", 3.0);
    is("3.000000 127.0.0.1:8080 > 127.0.0.1:47964  PSH+ACK seq=k"
       " ack=1050 len=3 \"hi\\n\" (k=5100)  (joined mid-connection:"
       " j and k are the first numbers seen)\n");
    seg(C, FRAME_ACK, J + 50, K + 103, NULL, 3.5);
    is("3.500000 127.0.0.1:47964 > 127.0.0.1:8080  ACK seq=j ack=k+3"
       " (j=1050)\n");
}

/* The ladder: 12 columns of state, the arrow (56 wide at least), the
 * server's state; the header's "server" over the server's states.
 * GAP is the header's 63 spaces between "client" and "server". */
#define GAP "                                " \
            "                               "

static void ladder_handshake(void **state)
{
    const char *row;

    (void)state;
    assert_int_equal(strlen(GAP), 63);
    render_init(&rd, VIEW_LADDER, 0);
    seg(C, FRAME_SYN, J, 0, NULL, 0.0);
    is("\nconnection 1: client 127.0.0.1:47964, server 127.0.0.1:8080\n"
       "client" GAP "server\n"
       "CLOSED" GAP "LISTEN\n"
       "SYN_SENT     --- SYN seq=j (j=1000) "
       "------------------------------>\n");
    seg(S, FRAME_SYN | FRAME_ACK, K, J + 1, NULL, 0.1);
    is("ESTABLISHED  <-- SYN+ACK seq=k ack=j+1 (k=5000) "
       "-------------------  SYN_RECV\n");
    seg(C, FRAME_ACK, J + 1, K + 1, NULL, 0.2);
    is("             --- ACK seq=j+1 ack=k+1 "
       "----------------------------->  ESTABLISHED\n");
    /* The right-hand state starts where the header's "server" does. */
    row = strstr(out, "ESTABLISHED");
    assert_int_equal(row - out, 6 + strlen(GAP));
    /* A label past the arrow's width: two dashes, still an arrow. */
    seg(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1,
        "a line long enough to push the arrow", 0.3);
    is("             <-- PSH+ACK seq=k+1 ack=j+1 len=36 \"a line long "
       "enough to push the arrow\" ---\n");
}

static void ladder_joined_and_udp(void **state)
{
    struct frame u;

    (void)state;
    render_init(&rd, VIEW_LADDER, 0);
    seg(C, FRAME_ACK, J, K, NULL, 0.0);
    is("\nconnection 1: client 127.0.0.1:47964, server 127.0.0.1:8080"
       " (joined mid-connection: j and k are the first numbers seen)\n"
       "client" GAP "server\n"
       "?     " GAP "?\n"
       "             --- ACK seq=j ack=5000 (j=1000) "
       "--------------------->\n");

    memset(&u, 0, sizeof u);
    u.family = AF_INET;
    memcpy(u.src, lo4, 16);
    memcpy(u.dst, lo4, 16);
    u.proto = IPPROTO_UDP;
    u.sport = 5000;
    u.dport = SPORT;
    u.len = u.captured = 6;
    u.data = (const unsigned char *)"hello\n";
    out_len = render_udp(&rd, &u, 0.5, out, sizeof out);
    is("127.0.0.1:5000 > 127.0.0.1:8080  UDP len=6 \"hello\\n\"\n");
    rd.view = VIEW_LINES;
    out_len = render_udp(&rd, &u, 0.5, out, sizeof out);
    is("0.500000 127.0.0.1:5000 > 127.0.0.1:8080  UDP len=6"
       " \"hello\\n\"\n");
    rd.view = VIEW_MERMAID;
    out_len = render_udp(&rd, &u, 0.5, out, sizeof out);
    is("Note over C0,S0: UDP 127.0.0.1:5000 > 127.0.0.1:8080 len=6\n");
}

static void mermaid_handshake(void **state)
{
    (void)state;
    render_init(&rd, VIEW_MERMAID, 0);
    seg(C, FRAME_SYN, J, 0, NULL, 0.0);
    is("participant C1 as client 127.0.0.1:47964\n"
       "participant S1 as server 127.0.0.1:8080\n"
       "Note left of C1: SYN_SENT\n"
       "C1->>S1: SYN seq=j (j=1000)\n");
    seg(S, FRAME_SYN | FRAME_ACK, K, J + 1, NULL, 0.1);
    is("Note right of S1: SYN_RECV\n"
       "S1->>C1: SYN+ACK seq=k ack=j+1 (k=5000)\n"
       "Note left of C1: ESTABLISHED\n");
    seg(C, FRAME_ACK, J + 1, K + 1, NULL, 0.2);
    is("C1->>S1: ACK seq=j+1 ack=k+1\n"
       "Note right of S1: ESTABLISHED\n");
    /* A state that does not change has no note. */
    seg(S, FRAME_PSH | FRAME_ACK, K + 1, J + 1, "ok\n", 0.3);
    is("S1->>C1: PSH+ACK seq=k+1 ack=j+1 len=3 \"ok\\n\"\n");
}

/* Bytes as a C string: escapes for what could act on a terminal, and
 * no more than 40 of them shown. */
static void payload_escaped_and_cut(void **state)
{
    static const unsigned char odd[] = "\r\n\t\\\"\x01\x1b[2J\x7f\xff ok";
    char fifty[51];

    (void)state;
    render_init(&rd, VIEW_LINES, 0);
    handshake(0.0);
    seg_bytes(C, FRAME_PSH | FRAME_ACK, J + 1, K + 1, odd, sizeof odd - 1,
              sizeof odd - 1, 1.0);
    is("1.000000 127.0.0.1:47964 > 127.0.0.1:8080  PSH+ACK seq=j+1"
       " ack=k+1 len=15 \"\\r\\n\\t\\\\\\\"\\x01\\x1b[2J\\x7f\\xff ok\"\n");

    /* 50 bytes: the first 40, then "...". */
    memset(fifty, 0, sizeof fifty);
    memcpy(fifty, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", 50);
    seg(S, FRAME_PSH | FRAME_ACK, K + 1, J + 16, fifty, 2.0);
    is("2.000000 127.0.0.1:8080 > 127.0.0.1:47964  PSH+ACK seq=k+1"
       " ack=j+16 len=50"
       " \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"...\n");
    /* Exactly 40: no "...". */
    fifty[40] = '\0';
    seg(S, FRAME_PSH | FRAME_ACK, K + 51, J + 16, fifty, 2.5);
    is("2.500000 127.0.0.1:8080 > 127.0.0.1:47964  PSH+ACK seq=k+51"
       " ack=j+16 len=40"
       " \"0123456789abcdefghijklmnopqrstuvwxyzABCD\"\n");
    /* The capture kept 5 of 300: those, then "...". */
    seg_bytes(S, FRAME_ACK, K + 91, J + 16, "hello", 300, 5, 3.0);
    is("3.000000 127.0.0.1:8080 > 127.0.0.1:47964  ACK seq=k+91 ack=j+16"
       " len=300 \"hello\"...\n");
    /* Escapes count as the byte they stand for, not their length. */
    memset(fifty, '\n', 50);
    fifty[50] = '\0';
    seg(S, FRAME_PSH | FRAME_ACK, K + 391, J + 16, fifty, 4.0);
    assert_non_null(strstr(out, "len=50 \""));
    assert_non_null(strstr(out, "\\n\\n\"...\n"));
    assert_int_equal(out_len, strlen("4.000000 127.0.0.1:8080 > "
                                     "127.0.0.1:47964  PSH+ACK seq=k+391"
                                     " ack=j+16 len=50 \"\"...\n") + 80);
}

/* ';' ends a Mermaid statement, '#' starts an entity, '<' '>' are
 * HTML: each becomes an entity, in segments and in the command's lines. */
static void mermaid_escapes(void **state)
{
    char buf[RENDER_MAX];
    size_t n;
    const char *line = "write(3, \"a;b#c<d>\", 9) = 9  sent 9 of 9";

    (void)state;
    render_init(&rd, VIEW_MERMAID, 0);
    handshake(0.0);
    seg(C, FRAME_PSH | FRAME_ACK, J + 1, K + 1, "a;b#c<d>\n", 1.0);
    is("C1->>S1: PSH+ACK seq=j+1 ack=k+1 len=9"
       " \"a#59;b#35;c#lt;d#gt;\\n\"\n");

    /* A command's line: the call and its result (up to two spaces),
     * over the last connection drawn (none yet here: C0,S0). */
    n = render_line(&rd, line, strlen(line), buf, sizeof buf);
    assert_string_equal(buf, "Note over C0,S0: write(3, \"a#59;b#35;c#lt;d"
                             "#gt;\", 9) = 9\n");
    assert_int_equal(n, strlen(buf));
    render_keep(&rd, "x\n", 2, 1);
    n = render_line(&rd, "close(3) = 0", 12, buf, sizeof buf);
    assert_string_equal(buf, "Note over C1,S1: close(3) = 0\n");
    /* Nothing before the two spaces: nothing drawn. */
    n = render_line(&rd, "  indented", 10, buf, sizeof buf);
    assert_int_equal(n, 0);
    /* In the other views, the line as it is. */
    rd.view = VIEW_LINES;
    n = render_line(&rd, line, strlen(line), buf, sizeof buf);
    assert_int_equal(n, strlen(line) + 1);
    assert_memory_equal(buf, line, strlen(line));
    assert_int_equal(buf[n - 1], '\n');
}

/* The diagram, read back from a file. */
static char *diagram(size_t *len)
{
    FILE *f = tmpfile();
    char *text;
    long size;

    assert_non_null(f);
    assert_int_equal(render_mermaid_end(&rd, fileno(f)), 0);
    size = lseek(fileno(f), 0, SEEK_END);
    assert_true(size > 0);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(fileno(f), text, (size_t)size, 0), size);
    text[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return text;
}

/* Render a segment and keep its statements, as tcp-watch does. */
static void seg_kept(int from_client, unsigned cport, unsigned flags,
                     uint32_t seq, uint32_t ack)
{
    memset(&fr, 0, sizeof fr);
    fr.family = AF_INET;
    memcpy(fr.src, lo4, 16);
    memcpy(fr.dst, lo4, 16);
    fr.proto = IPPROTO_TCP;
    fr.sport = (uint16_t)(from_client ? cport : SPORT);
    fr.dport = (uint16_t)(from_client ? SPORT : cport);
    fr.seq = seq;
    fr.ack = ack;
    fr.flags = flags;
    fr.opt.mss = fr.opt.wscale = -1;
    track_segment(&tr, &fr, &ev);
    out_len = render_tcp(&rd, &fr, &ev, 0.0, out, sizeof out);
    render_keep(&rd, out, out_len, ev.conn->id);
}

static void keep_line(const char *line)
{
    char buf[RENDER_MAX];
    size_t n = render_line(&rd, line, strlen(line), buf, sizeof buf);

    render_keep(&rd, buf, n, 0);
}

static void mermaid_end_participants_first(void **state)
{
    char *text;
    size_t len;

    (void)state;
    render_init(&rd, VIEW_MERMAID, 0);
    keep_line("socket(AF_INET, SOCK_STREAM, 0) = 3");
    seg_kept(C, CPORT, FRAME_SYN, J, 0);
    keep_line("connect(3, 127.0.0.1:8080) = 0");
    seg_kept(C, CPORT + 1, FRAME_SYN, 7, 0);
    seg_kept(S, CPORT, FRAME_RST | FRAME_ACK, 0, J + 1);
    text = diagram(&len);
    assert_string_equal(text,
        "sequenceDiagram\n"
        "    participant C1 as client 127.0.0.1:47964\n"
        "    participant S1 as server 127.0.0.1:8080\n"
        "    participant C2 as client 127.0.0.1:47965\n"
        "    participant S2 as server 127.0.0.1:8080\n"
        "    Note over C1,S1: socket(AF_INET, SOCK_STREAM, 0) = 3\n"
        "    Note left of C1: SYN_SENT\n"
        "    C1->>S1: SYN seq=j (j=1000)\n"
        "    Note over C1,S1: connect(3, 127.0.0.1:8080) = 0\n"
        "    Note left of C2: SYN_SENT\n"
        "    C2->>S2: SYN seq=j (j=7)\n"
        "    S1->>C1: RST+ACK ack=j+1\n"
        "    Note left of C1: CLOSED\n");
    assert_int_equal(len, strlen(text));
    free(text);
}

/* Past RENDER_MERMAID_MAX statements, the rest are counted, and the
 * diagram says how many. */
static void mermaid_end_counts_what_is_left_out(void **state)
{
    char *text;
    size_t len, i;
    const char *tail = "    Note over C1,S1: 3 more not drawn\n";

    (void)state;
    render_init(&rd, VIEW_MERMAID, 0);
    for (i = 0; i < RENDER_MERMAID_MAX + 3; i++)
        render_keep(&rd, "Note over C1,S1: x\n", 19, 0);
    assert_int_equal(rd.n, RENDER_MERMAID_MAX);
    assert_int_equal(rd.left_out, 3);
    text = diagram(&len);
    /* No connection: the notes' client and server are declared. */
    assert_int_equal(len, 16 + 58 + RENDER_MERMAID_MAX * 23 + strlen(tail));
    assert_string_equal(text + len - strlen(tail), tail);
    free(text);
    /* A write that fails is said so. */
    assert_int_equal(render_mermaid_end(&rd, -1), -1);
}

static void endpoints(void **state)
{
    static const unsigned char lo6[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char v6[16] = {
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};
    char buf[64];

    (void)state;
    render_endpoint(AF_INET, lo4, 8080, buf, sizeof buf);
    assert_string_equal(buf, "127.0.0.1:8080");
    render_endpoint(AF_INET6, lo6, 8080, buf, sizeof buf);
    assert_string_equal(buf, "[::1]:8080");
    render_endpoint(AF_INET6, v6, 65535, buf, sizeof buf);
    assert_string_equal(buf, "[2001:db8::42]:65535");
}

/* Too little room: cut, never past `size`, always a string. */
static void small_buffers(void **state)
{
    char small[16];
    size_t n;

    (void)state;
    render_init(&rd, VIEW_LINES, 0);
    handshake(0.0);
    memset(small, '#', sizeof small);
    n = render_tcp(&rd, &fr, &ev, 0.0, small, sizeof small);
    assert_true(n < sizeof small);
    assert_int_equal(small[n], '\0');
    assert_memory_equal(small, "0.000000 127.0.", 15);
    assert_int_equal(render_tcp(&rd, &fr, &ev, 0.0, small, 0), 0);
    n = render_label(&fr, &ev, 0, small, 8);
    assert_int_equal(n, 7);
    assert_string_equal(small, "ACK seq");
    /* A command's line longer than the room: cut, and still a line
     * ending in '\n' with a NUL after it (fuzz_frame found one that
     * filled the room to the last byte). */
    n = render_line(&rd, "0123456789abcdefghij", 20, small, sizeof small);
    assert_int_equal(n, sizeof small - 1);
    assert_int_equal(small[n - 1], '\n');
    assert_int_equal(small[n], '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        render_test(lines_handshake_and_data),
        render_test(lines_verbose_options),
        render_test(lines_refused_and_joined),
        render_test(ladder_handshake),
        render_test(ladder_joined_and_udp),
        render_test(mermaid_handshake),
        render_test(payload_escaped_and_cut),
        render_test(mermaid_escapes),
        render_test(mermaid_end_participants_first),
        render_test(mermaid_end_counts_what_is_left_out),
        render_test(endpoints),
        render_test(small_buffers),
    };

    return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
