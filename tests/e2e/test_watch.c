/*
 * test_watch.c - tcp-watch end to end, against real exchanges on
 * loopback: what it says about the wire is held against the wire itself,
 * read by the test's own packet socket (sniff.h).
 *
 * Reading the wire needs CAP_NET_RAW.  The suite runs in two parts:
 *
 *   on this machine      what needs no capture (usage errors), what must
 *                        happen without the privilege (the refusal, and
 *                        the "-- COMMAND" form falling back to a
 *                        namespace of its own), and, as root, the plain
 *                        form on the machine's own loopback and --netns
 *                        under sudo;
 *   on the wire          every capturing test, in a user and network
 *                        namespace the test process enters after the
 *                        first part (own_ns.h): there this user is root
 *                        over a loopback of its own, root or not, and a
 *                        port is free by construction.  Where no such
 *                        namespace can be made, root captures on the
 *                        machine's loopback instead (ports the kernel
 *                        picks); where neither can, the tests say why and
 *                        skip, or fail under CI=true.
 *
 * Every wait is bounded; what is asserted is what tcp-watch promises
 * (the real j and k, states on the right sides, true order), never how
 * fast: tcp-watch is stopped once the test has seen the exchange end on
 * the wire, and must then show all of it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
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
#include <arpa/inet.h>
#include <cmocka.h>

#include "fixture.h"
#include "own_ns.h"
#include "sniff.h"
#include "testutil.h"

#define T_MS 5000
/* A SYN dropped by a full queue is sent again after the first
 * retransmission timeout (1 s on Linux): generous room for it. */
#define SYN_AGAIN_MS 10000

/* Where the capturing tests read the wire, or NULL and why not. */
static const char *wire;
static char no_wire[800];
static int private_net;     /* this process is in a network of its own */

static struct proc watch;   /* tcp-watch */
static struct sniff sn;     /* the test's own look at the wire */

/* What tcp-watch has written so far on one of its streams. */
struct stream {
    int fd;
    size_t len;
    char buf[1 << 17];
};
static struct stream wout, werr;

/* tcp-watch's output cut in lines, once it has ended. */
struct lines {
    size_t n;
    char *v[4096];
    char text[1 << 17];
};
static struct lines out;

static int ci(void)
{
    const char *v = getenv("CI");

    return v != NULL && strcmp(v, "true") == 0;
}

static int setup(void **state)
{
    proc_clear(&watch);
    sn.fd = -1;
    wout.fd = werr.fd = -1;
    wout.len = werr.len = 0;
    wout.buf[0] = werr.buf[0] = '\0';
    return procs_setup(state);
}

static int teardown(void **state)
{
    proc_kill(&watch);
    sniff_close(&sn);
    return procs_teardown(state);
}

#define watch_test(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* The capturing tests need a wire to read. */
static void need_wire(void)
{
    if (wire != NULL)
        return;
    if (ci())
        fail_msg("CI=true, and tcp-watch cannot be tested here: %s", no_wire);
    print_message("cannot read a wire here: %s\n", no_wire);
    skip();
}

/* ns_possible(userns), tried once: 1, or 0 and why not. */
static int can_make_ns(int userns, char *why, size_t size)
{
    static int known[2] = { -1, -1 };
    static char said[2][300];

    if (known[userns] == -1)
        known[userns] = ns_possible(userns, said[userns], sizeof said[userns]);
    snprintf(why, size, "%s", said[userns]);
    return known[userns];
}

/* A user namespace of the test's own, for the tests of no privilege. */
static void need_userns(void)
{
    char why[300];

    if (can_make_ns(1, why, sizeof why))
        return;
    if (ci())
        fail_msg("CI=true, and no user namespace can be made: %s", why);
    print_message("no user namespace can be made: %s\n", why);
    skip();
}

/* ---- tcp-watch's output ------------------------------------------- */

static void stream_init(struct stream *s, int fd)
{
    s->fd = fd;
    s->len = 0;
    s->buf[0] = '\0';
}

/* Read once what comes before `end`; 0 at EOF, on time out or when full. */
static int stream_more(struct stream *s, long long end)
{
    struct pollfd p = { s->fd, POLLIN, 0 };
    long long left = end - ms_now();
    ssize_t n;

    if (s->fd < 0 || left <= 0 || s->len + 1 >= sizeof s->buf ||
        poll(&p, 1, (int)left) <= 0)
        return 0;
    n = read(s->fd, s->buf + s->len, sizeof s->buf - 1 - s->len);
    if (n <= 0)
        return 0;
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    return 1;
}

/* Wait (at most ms) until `needle` has been written on s; a miss fails
 * the test and shows all tcp-watch said. */
static const char *await(struct stream *s, const char *needle, int ms)
{
    long long end = ms_now() + ms;
    const char *at;

    while ((at = strstr(s->buf, needle)) == NULL)
        if (!stream_more(s, end))
            fail_msg("tcp-watch never wrote \"%s\" (within %d ms).\n"
                     "Its stdout:\n%s\nIts stderr:\n%s", needle, ms, wout.buf,
                     werr.buf);
    return at;
}

static const char *awaitf(struct stream *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static const char *awaitf(struct stream *s, const char *fmt, ...)
{
    char needle[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(needle, sizeof needle, fmt, ap);
    va_end(ap);
    return await(s, needle, T_MS);
}

static void to_eof(struct stream *s, int ms)
{
    long long end = ms_now() + ms;

    while (stream_more(s, end))
        ;
}

/*
 * Start tcp-watch OPTS... PORT [-- CMD...] (opts and cmd NULL-ended, or
 * NULL) and wait until it says it is watching: its packet socket is bound
 * then, and every frame after that is its to show.
 */
static void watch_start(const char *const *opts, unsigned port,
                        const char *const *cmd, int with_stdin)
{
    char *argv[40], ps[16];
    size_t n = 0;

    argv[n++] = (char *)bin_path("tcp-watch");
    for (; opts != NULL && *opts != NULL && n < 16; opts++)
        argv[n++] = (char *)*opts;
    snprintf(ps, sizeof ps, "%u", port);
    argv[n++] = ps;
    if (cmd != NULL) {
        argv[n++] = "--";
        for (; *cmd != NULL && n < 38; cmd++)
            argv[n++] = (char *)*cmd;
    }
    argv[n] = NULL;
    proc_start(&watch, argv, with_stdin);
    stream_init(&wout, watch.out);
    stream_init(&werr, watch.err);
    awaitf(&werr, "tcp-watch: watching TCP and UDP port %u on lo", port);
}

/* Stop tcp-watch with sig (0: let it end by itself), take in the rest
 * of what it says and return its exit status. */
static int watch_stop(int sig)
{
    if (sig != 0 && watch.pid > 0)
        kill(watch.pid, sig);
    to_eof(&wout, 2 * T_MS);
    to_eof(&werr, T_MS);
    return proc_wait(&watch, T_MS);
}

static void lines_of(struct lines *l, const char *text)
{
    char *p;

    snprintf(l->text, sizeof l->text, "%s", text);
    l->n = 0;
    for (p = l->text; *p != '\0' && l->n < sizeof l->v / sizeof l->v[0];) {
        char *nl = strchr(p, '\n');

        l->v[l->n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
}

/* A segment's or datagram's line in the lines view: "SEC.USEC " first;
 * what follows, or NULL for another line (the command's). */
static const char *after_stamp(const char *line)
{
    size_t i = 0, d = 0;

    while (line[i] >= '0' && line[i] <= '9')
        i++;
    if (i == 0 || line[i] != '.')
        return NULL;
    for (i++; line[i] >= '0' && line[i] <= '9'; i++)
        d++;
    return d == 6 && line[i] == ' ' ? line + i + 1 : NULL;
}

/* The first line from `from` on that contains needle (starts with it
 * when prefix), or -1. */
static int find_line(const struct lines *l, int from, const char *needle,
                     int prefix)
{
    size_t i;

    for (i = from < 0 ? 0 : (size_t)from; i < l->n; i++)
        if (prefix ? strncmp(l->v[i], needle, strlen(needle)) == 0
                   : strstr(l->v[i], needle) != NULL)
            return (int)i;
    return -1;
}

/* The first segment line from `from` on that is exactly `want` after its
 * time stamp, or -1. */
static int find_seg(const struct lines *l, int from, const char *want)
{
    size_t i;

    for (i = from < 0 ? 0 : (size_t)from; i < l->n; i++) {
        const char *t = after_stamp(l->v[i]);

        if (t != NULL && strcmp(t, want) == 0)
            return (int)i;
    }
    return -1;
}

static int expect_seg(const struct lines *l, int from, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The same, failing the test (and showing everything) on a miss. */
static int expect_seg(const struct lines *l, int from, const char *fmt, ...)
{
    char want[512];
    va_list ap;
    int i;

    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    i = find_seg(l, from, want);
    if (i < 0)
        fail_msg("no line \"SEC.USEC %s\" after line %d of tcp-watch's:\n%s",
                 want, from, wout.buf);
    return i;
}

/* Any line containing (prefix: starting with) needle, from `from` on. */
static int expect_line(const struct lines *l, int from, const char *needle,
                       int prefix)
{
    int i = find_line(l, from, needle, prefix);

    if (i < 0)
        fail_msg("no line %s \"%s\" after line %d of tcp-watch's:\n%s",
                 prefix ? "starting with" : "with", needle, from, wout.buf);
    return i;
}

/* "a before b" with both lines shown when not. */
static void before(const struct lines *l, int a, int b, const char *what)
{
    if (!(a >= 0 && b >= 0 && a < b))
        fail_msg("%s: line %d \"%s\" should come before line %d \"%s\" in:\n%s",
                 what, a, a >= 0 ? l->v[a] : "", b, b >= 0 ? l->v[b] : "",
                 wout.buf);
}

/* The summary tcp-watch writes on stderr at exit. */
struct summary {
    unsigned long segments, datagrams, drops;
    unsigned long conns;
};

static struct summary summary_of(void)
{
    struct summary s;
    const char *p = strstr(werr.buf, " shown, ");
    const char *line;
    char *e;

    if (p == NULL)
        fail_msg("no summary from tcp-watch on stderr:\n%s", werr.buf);
    line = p;
    while (line > werr.buf && line[-1] != '\n')
        line--;
    assert_int_equal(strncmp(line, "tcp-watch: ", 11), 0);
    s.segments = strtoul(line + 11, &e, 10);
    assert_int_equal(strncmp(e, " segment", 8), 0);
    p = strstr(e, " and ");
    assert_non_null(p);
    s.datagrams = strtoul(p + 5, &e, 10);
    assert_int_equal(strncmp(e, " datagram", 9), 0);
    p = strstr(e, " shown, ");
    assert_non_null(p);
    s.conns = strtoul(p + 8, &e, 10);
    assert_int_equal(strncmp(e, " connection", 11), 0);
    p = strstr(e, "; the kernel dropped ");
    assert_non_null(p);
    s.drops = strtoul(p + 21, &e, 10);
    assert_int_equal(strncmp(e, " frame", 6), 0);
    return s;
}

/* In the lines view: every line is a segment's or a datagram's, with a
 * time stamp, in the order the kernel stamped them; returns how many. */
static unsigned long stamped_lines_in_order(const struct lines *l)
{
    double last = 0;
    size_t i;

    for (i = 0; i < l->n; i++) {
        const char *t = after_stamp(l->v[i]);
        double at;

        if (t == NULL)
            fail_msg("line %zu is not a segment's: \"%s\" in:\n%s", i, l->v[i],
                     wout.buf);
        at = strtod(l->v[i], NULL);
        if (at < last)
            fail_msg("line %zu (%s) is stamped before the line above it", i,
                     l->v[i]);
        last = at;
    }
    return (unsigned long)l->n;
}

/* ---- the wire, as the test sees it -------------------------------- */

static void sniff_or_fail(unsigned port)
{
    if (sniff_open(&sn, port) == -1)
        fail_msg("the test's own packet socket on lo: %s", strerror(errno));
}

/* The local port of a socket of the test's. */
static unsigned local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* Wait until the wire has carried a segment from `from` to `to` with
 * exactly `flags` (SYN, ACK, FIN, RST) that acknowledges `ack`. */
static void wire_carried(unsigned flags, unsigned from, unsigned to,
                         uint32_t ack, const char *what)
{
    const unsigned mask = SNIFF_SYN | SNIFF_ACK | SNIFF_FIN | SNIFF_RST;
    long long end = ms_now() + T_MS;
    size_t i = 0;

    while (ms_now() < end) {
        const struct sniffed *g = sniff_find(&sn, i, mask, flags, from, to,
                                             (int)(end - ms_now()));

        if (g == NULL)
            break;
        if (g->ack == ack)
            return;
        i = (size_t)(g - sn.seg) + 1;
    }
    fail_msg("the wire never carried %s", what);
}

/* A connection the test made, as the wire saw it: its ports, j and k. */
struct conn {
    unsigned sport, cport;
    unsigned long j, k;
};

/* j and k of the connection from cport to sport, read off the wire. */
static void real_isns(struct conn *c)
{
    const struct sniffed *syn =
        sniff_find(&sn, 0, SNIFF_SYN | SNIFF_ACK, SNIFF_SYN, c->cport, c->sport, T_MS);
    const struct sniffed *synack =
        sniff_find(&sn, 0, SNIFF_SYN | SNIFF_ACK, SNIFF_SYN | SNIFF_ACK, c->sport,
                   c->cport, T_MS);

    if (syn == NULL || synack == NULL)
        fail_msg("the test's packet socket saw no %s from port %u",
                 syn == NULL ? "SYN" : "SYN+ACK", syn == NULL ? c->cport : c->sport);
    c->j = syn->seq;
    c->k = synack->seq;
}

/*
 * The article's exchange with the test as the client, on tcp-server's
 * port: the welcome, `line` echoed (if not NULL), quit, the server's FIN,
 * then the test's close; returns once the wire has carried the server's
 * last ACK.  The numbers are the wire's own, for holding tcp-watch's
 * against.
 */
static void talk(struct conn *c, const char *line)
{
    int fd = client((int)c->sport);           /* reads "welcome!\n" */
    size_t sent = 5;

    c->cport = local_port(fd);
    if (line != NULL) {
        send_str(fd, line);
        expect_str(fd, line);
        sent += strlen(line);
    }
    send_str(fd, "quit\n");
    expect_fin(fd);
    close(fd);
    real_isns(c);
    /* The server's ACK of the client's FIN: j + 1 + what was sent + 1. */
    wire_carried(SNIFF_ACK, c->sport, c->cport,
                 (uint32_t)(c->j + 1 + sent + 1), "the server's last ACK");
}

/* tcp-server on a port the kernel picks, tcp-watch OPTS on it, and one
 * exchange (talk()). */
static void exchange(const char *const *opts, struct conn *c, const char *line)
{
    c->sport = (unsigned)server_start(&srv, "/dev/null", NULL);
    watch_start(opts, c->sport, NULL, 0);
    sniff_or_fail(c->sport);
    talk(c, line);
}

/* ---- on the wire --------------------------------------------------- */

/*
 * (1) The handshake, as the article writes it: SYN seq=j, SYN+ACK seq=k
 * ack=j+1, ACK seq=j+1 ack=k+1, each with the states it makes; and j and
 * k are the real first sequence numbers, as the test's own packet socket
 * read them off the wire.  SIGINT stops the plain form.
 */
static void handshake_shows_the_real_isns(void **state)
{
    struct conn c;
    struct summary s;
    int i;

    (void)state;
    need_wire();
    exchange(NULL, &c, NULL);
    awaitf(&wout, "ack=j+7  [client CLOSED]\n");   /* shown as it happens */
    assert_int_equal(watch_stop(SIGINT), 0);
    lines_of(&out, wout.buf);

    i = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  SYN seq=j (j=%lu)  "
                   "[client SYN_SENT]", c.cport, c.sport, c.j);
    assert_int_equal(i, 0);
    i = expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  SYN+ACK seq=k ack=j+1 "
                   "(k=%lu)  [server SYN_RECV, client ESTABLISHED]",
                   c.sport, c.cport, c.k);
    assert_int_equal(i, 1);
    i = expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  ACK seq=j+1 ack=k+1  "
                   "[server ESTABLISHED]", c.cport, c.sport);
    assert_int_equal(i, 2);
    /* Each told once, where it first appears. */
    assert_int_equal(find_line(&out, i + 1, "(j=", 0), -1);
    assert_int_equal(find_line(&out, i + 1, "(k=", 0), -1);

    s = summary_of();
    assert_int_equal(s.segments, stamped_lines_in_order(&out));
    assert_int_equal(s.datagrams, 0);
    assert_int_equal(s.conns, 1);
}

/*
 * (2) Data moves the numbers by its length: the welcome is sent at k+1
 * and acknowledged at k+10; the client's line at j+1 is answered with
 * ack=j+7, and the server's FIN comes after its 9 + 6 bytes.
 */
static void data_moves_seq_and_ack(void **state)
{
    struct conn c;
    int w, i;

    (void)state;
    need_wire();
    exchange(NULL, &c, "hello\n");
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);

    w = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  PSH+ACK seq=k+1 ack=j+1 "
                   "len=9 \"welcome!\\n\"", c.sport, c.cport);
    i = expect_seg(&out, w, "127.0.0.1:%u > 127.0.0.1:%u  PSH+ACK seq=j+1 ack=k+10 "
                   "len=6 \"hello\\n\"", c.cport, c.sport);
    i = expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  PSH+ACK seq=k+10 ack=j+7 "
                   "len=6 \"hello\\n\"", c.sport, c.cport);
    i = expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  PSH+ACK seq=j+7 ack=k+16 "
                   "len=5 \"quit\\n\"", c.cport, c.sport);
    expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  FIN+ACK seq=k+16 ack=j+12  "
               "[server FIN_WAIT1, client CLOSE_WAIT]", c.sport, c.cport);
}

/*
 * (3) The four-way close, each end's states on its own side: the server
 * closes first (FIN_WAIT1; the client CLOSE_WAIT), the client's FIN
 * makes it LAST_ACK and the server TIME_WAIT, the last ACK the client
 * CLOSED.  The server was SYN_RECV on its SYN+ACK.
 */
static void four_way_close_states(void **state)
{
    struct conn c;
    int r, i;

    (void)state;
    need_wire();
    exchange(NULL, &c, NULL);
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);

    r = expect_line(&out, 0, "[server SYN_RECV, client ESTABLISHED]", 0);
    i = expect_seg(&out, r, "127.0.0.1:%u > 127.0.0.1:%u  FIN+ACK seq=k+10 ack=j+6  "
                   "[server FIN_WAIT1, client CLOSE_WAIT]", c.sport, c.cport);
    i = expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  FIN+ACK seq=j+6 ack=k+11  "
                   "[client LAST_ACK, server TIME_WAIT]", c.cport, c.sport);
    i = expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%u  ACK seq=k+11 ack=j+7  "
                   "[client CLOSED]", c.sport, c.cport);
    assert_int_equal((size_t)i + 1, out.n);     /* the last word */
}

/* -v: each segment's window and options too (the SYN's MSS). */
static void verbose_shows_window_and_options(void **state)
{
    static const char *const opts[] = { "-v", NULL };
    struct conn c;
    int i;

    (void)state;
    need_wire();
    exchange(opts, &c, NULL);
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);
    i = expect_line(&out, 0, "  SYN seq=j win=", 0);
    assert_non_null(strstr(out.v[i], " mss="));
    assert_non_null(strstr(out.v[i], "[client SYN_SENT]"));
    i = expect_line(&out, i, "  SYN+ACK seq=k ack=j+1 win=", 0);
    assert_non_null(strstr(out.v[i], " mss="));
}

/*
 * (4) A connect to a port nobody listens on: the SYN, and a reset that
 * acknowledges it (ack=j+1) and carries no number of its own; the
 * client ends CLOSED.
 */
static void refused_connect_shows_rst(void **state)
{
    int port, hold, fd;
    struct sockaddr_in to;
    const struct sniffed *syn;
    char want[128];
    int i;

    (void)state;
    need_wire();
    hold = refusing_socket(AF_INET, &port);
    to = v4("127.0.0.1", (unsigned)port);
    watch_start(NULL, (unsigned)port, NULL, 0);
    sniff_or_fail((unsigned)port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(fd);
    syn = sniff_find(&sn, 0, SNIFF_SYN | SNIFF_ACK, SNIFF_SYN, 0, (unsigned)port, T_MS);
    assert_non_null(syn);
    assert_non_null(sniff_find(&sn, 0, SNIFF_RST, SNIFF_RST, (unsigned)port,
                               syn->sport, T_MS));
    await(&wout, "RST", T_MS);
    assert_int_equal(watch_stop(SIGTERM), 0);
    close(hold);
    lines_of(&out, wout.buf);

    i = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%d  SYN seq=j (j=%lu)  "
                   "[client SYN_SENT]", syn->sport, port, (unsigned long)syn->seq);
    snprintf(want, sizeof want, "127.0.0.1:%d > 127.0.0.1:%u  RST+ACK ack=j+1  [",
             port, syn->sport);
    i = expect_line(&out, i, want, 0);
    if (after_stamp(out.v[i]) != strstr(out.v[i], want) ||
        strstr(out.v[i], "client CLOSED]") == NULL)
        fail_msg("the reset: \"%s\", want \"%s...client CLOSED]\"", out.v[i], want);
    assert_int_equal(summary_of().segments, 2);
}

/* A non-blocking connect of the test's to 127.0.0.1:port. */
static int connect_nb(int port)
{
    struct sockaddr_in to = v4("127.0.0.1", (unsigned)port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    assert_true(fd >= 0);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == -1)
        assert_int_equal(errno, EINPROGRESS);
    return fd;
}

/*
 * (5) A full accept queue drops a SYN, and the client sends it again:
 * tcp-server --no-accept --backlog 1 holds two finished handshakes and
 * no more; the third client's SYN comes again with the same number, and
 * tcp-watch says "seq=j (again)" for it, with no answer from the server.
 */
static void full_queue_syn_sent_again(void **state)
{
    int port, fd[3], k;
    char said[4096];
    const struct sniffed *first, *again;
    unsigned c3;
    size_t at;
    int i;

    (void)state;
    need_wire();
    port = server_start(&srv, "/dev/null", "--no-accept", "--backlog", "1", NULL);
    watch_start(NULL, (unsigned)port, NULL, 0);
    sniff_or_fail((unsigned)port);
    for (k = 0; k < 2; k++) {
        struct pollfd p;
        int err = -1;
        socklen_t len = sizeof err;

        fd[k] = connect_nb(port);
        p.fd = fd[k];
        p.events = POLLOUT;
        p.revents = 0;
        assert_int_equal(poll(&p, 1, T_MS), 1);
        assert_int_equal(getsockopt(fd[k], SOL_SOCKET, SO_ERROR, &err, &len), 0);
        assert_int_equal(err, 0);
    }
    /* Both are in the queue (the server looks every 100 ms). */
    read_until(srv.err, said, sizeof said, "accept queue 2/1:", T_MS);
    if (strstr(said, "accept queue 2/1:") == NULL)
        fail_msg("the server never had two in its queue: %s", said);

    fd[2] = connect_nb(port);
    c3 = local_port(fd[2]);
    first = sniff_find(&sn, 0, SNIFF_SYN | SNIFF_ACK, SNIFF_SYN, c3, (unsigned)port, T_MS);
    assert_non_null(first);
    at = (size_t)(first - sn.seg);
    again = sniff_find(&sn, at + 1, SNIFF_SYN | SNIFF_ACK, SNIFF_SYN, c3,
                       (unsigned)port, SYN_AGAIN_MS);
    if (again == NULL)
        fail_msg("the third client's SYN was not sent again within %d ms",
                 SYN_AGAIN_MS);
    assert_int_equal(again->seq, first->seq);
    awaitf(&wout, "127.0.0.1:%u > 127.0.0.1:%d  SYN seq=j (again)\n", c3, port);
    assert_int_equal(watch_stop(SIGTERM), 0);
    for (k = 0; k < 3; k++)
        close(fd[k]);
    lines_of(&out, wout.buf);

    i = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%d  SYN seq=j (j=%lu)  "
                   "[client SYN_SENT]", c3, port, (unsigned long)first->seq);
    expect_seg(&out, i, "127.0.0.1:%u > 127.0.0.1:%d  SYN seq=j (again)", c3, port);
    {
        char answer[64];

        snprintf(answer, sizeof answer, "127.0.0.1:%d > 127.0.0.1:%u ", port, c3);
        assert_int_equal(find_line(&out, 0, answer, 0), -1);
    }
    /* A segment sent again is a segment shown, and counted. */
    assert_int_equal(summary_of().segments, stamped_lines_in_order(&out));
    assert_int_equal(summary_of().conns, 3);
}

static int is_state(const char *s, size_t len)
{
    static const char *const names[] = {
        "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT1",
        "FIN_WAIT2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
    };
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0)
            return 1;
    return 0;
}

/* One row of the ladder, taken apart. */
struct row {
    char left[16], right[16], label[256];
    int rightward;
    size_t right_col;     /* where the right state begins, or 0 */
    size_t arrow_end;     /* one past the arrow's last character */
};

#define STATE_COL 12

/* "STATE        --- LABEL ----->  STATE" or "<-- LABEL ------"; fails
 * the test on anything else. */
static void ladder_row(const char *line, struct row *r)
{
    size_t len = strlen(line), end = len, i;
    const char *arrow = line + STATE_COL + 1;
    const char *tail;

    memset(r, 0, sizeof *r);
    if (len < STATE_COL + 1 + 8 || line[STATE_COL] != ' ')
        fail_msg("not a ladder row: \"%s\"", line);
    for (i = 0; i < STATE_COL && line[i] != ' '; i++)
        ;
    if (i > 0 && !is_state(line, i))
        fail_msg("left column is not a state: \"%s\"", line);
    snprintf(r->left, sizeof r->left, "%.*s", (int)i, line);
    for (; i < STATE_COL; i++)
        if (line[i] != ' ')
            fail_msg("left column holds more than a state: \"%s\"", line);
    /* A state after two spaces at the end is the right column. */
    tail = strrchr(line, ' ');
    if (tail != NULL && tail > line + 1 && tail[-1] == ' ' &&
        is_state(tail + 1, strlen(tail + 1))) {
        r->right_col = (size_t)(tail + 1 - line);
        snprintf(r->right, sizeof r->right, "%s", tail + 1);
        end = (size_t)(tail - 1 - line);
    }
    r->arrow_end = end;
    if (strncmp(arrow, "--- ", 4) == 0)
        r->rightward = 1;
    else if (strncmp(arrow, "<-- ", 4) != 0)
        fail_msg("no arrow at column %d: \"%s\"", STATE_COL + 1, line);
    /* The arrow's end: " --...->" or " --...--", two dashes at least. */
    if (r->rightward ? line[end - 1] != '>' : line[end - 1] != '-')
        fail_msg("the arrow does not end as %s: \"%s\"",
                 r->rightward ? "--->" : "----", line);
    for (i = end - 2; i > STATE_COL + 5 && line[i] == '-'; i--)
        ;
    if (line[i] != ' ' || end - 1 - i < 3)
        fail_msg("the arrow's shaft is not dashes: \"%s\"", line);
    snprintf(r->label, sizeof r->label, "%.*s", (int)(i - (STATE_COL + 5)),
             arrow + 4);
}

/*
 * (6) --ladder: the client on the left, the server on the right, an
 * arrow per segment in its direction, each end's new state beside it on
 * its own side, the header's names over the state columns.
 */
static void ladder_is_well_formed(void **state)
{
    static const char *const opts[] = { "--ladder", NULL };
    struct conn c;
    struct row r;
    char head[160];
    size_t i, server_col, rows = 0, arrow_end = 0;
    int syn = 0, synack = 0, sfin = 0, cfin = 0, last = 0;

    (void)state;
    need_wire();
    exchange(opts, &c, NULL);
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);

    assert_true(out.n > 4);
    assert_string_equal(out.v[0], "");
    snprintf(head, sizeof head, "connection 1: client 127.0.0.1:%u, server 127.0.0.1:%u",
             c.cport, c.sport);
    assert_string_equal(out.v[1], head);
    assert_int_equal(strncmp(out.v[2], "client ", 7), 0);
    assert_non_null(strstr(out.v[2], " server"));
    server_col = (size_t)(strstr(out.v[2], " server") + 1 - out.v[2]);
    assert_string_equal(out.v[2] + server_col, "server");
    /* The states before the first segment, under the names. */
    assert_int_equal(strncmp(out.v[3], "CLOSED ", 7), 0);
    assert_true(strlen(out.v[3]) > server_col);
    assert_string_equal(out.v[3] + server_col, "LISTEN");

    for (i = 4; i < out.n; i++) {
        ladder_row(out.v[i], &r);
        rows++;
        if (r.right_col != 0 && r.right_col != server_col)
            fail_msg("the right state is not under \"server\": \"%s\"", out.v[i]);
        /* Short labels: every arrow ends in the same column. */
        if (strlen(r.label) < 40) {
            if (arrow_end == 0)
                arrow_end = r.arrow_end;
            if (r.arrow_end != arrow_end)
                fail_msg("arrows of unequal length:\n%s", wout.buf);
        }
        if (strncmp(r.label, "SYN seq=j (j=", 13) == 0) {
            syn = 1;
            assert_true(r.rightward);
            assert_string_equal(r.left, "SYN_SENT");
            assert_string_equal(r.right, "");
        } else if (strncmp(r.label, "SYN+ACK seq=k ack=j+1 (k=", 25) == 0) {
            synack = 1;
            assert_false(r.rightward);
            assert_string_equal(r.left, "ESTABLISHED");
            assert_string_equal(r.right, "SYN_RECV");
        } else if (strcmp(r.label, "FIN+ACK seq=k+10 ack=j+6") == 0) {
            sfin = 1;
            assert_false(r.rightward);
            assert_string_equal(r.left, "CLOSE_WAIT");
            assert_string_equal(r.right, "FIN_WAIT1");
        } else if (strcmp(r.label, "FIN+ACK seq=j+6 ack=k+11") == 0) {
            cfin = 1;
            assert_true(r.rightward);
            assert_string_equal(r.left, "LAST_ACK");
            assert_string_equal(r.right, "TIME_WAIT");
        } else if (strcmp(r.label, "ACK seq=k+11 ack=j+7") == 0) {
            last = 1;
            assert_false(r.rightward);
            assert_string_equal(r.left, "CLOSED");
        } else if (strncmp(r.label, "PSH+ACK seq=k+1 ack=j+1 len=9 ", 30) == 0) {
            assert_false(r.rightward);
        }
    }
    if (!(syn && synack && sfin && cfin && last))
        fail_msg("rows missing (SYN %d, SYN+ACK %d, FINs %d %d, last ACK %d):\n%s",
                 syn, synack, sfin, cfin, last, wout.buf);
    assert_int_equal(summary_of().segments, rows);
}

/* Mermaid's own characters in a message: none left raw. */
static void no_raw_mermaid_chars(const char *text, const char *line)
{
    static const char *const entities[] = { "#59;", "#35;", "#lt;", "#gt;" };
    char copy[1024];
    size_t i;

    snprintf(copy, sizeof copy, "%s", text);
    for (i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        char *at;

        while ((at = strstr(copy, entities[i])) != NULL)
            memmove(at, at + 4, strlen(at + 4) + 1);
    }
    if (strpbrk(copy, ";#<>") != NULL)
        fail_msg("a raw ';', '#', '<' or '>' in \"%s\"", line);
}

/* What a well-formed diagram held. */
struct diagram {
    size_t participants, arrows, notes_over;
    int saw_data;          /* the line "a;b#c<d>\n", escaped */
};

/*
 * The diagram in `out`, checked line by line: "sequenceDiagram" first;
 * then each line a participant, an arrow "C<n>->>S<n>: ..." or
 * "S<n>->>C<n>: ...", a note of a state on its end's side, or a note
 * over a pair; every name declared on a line above the first that uses
 * it; Mermaid's own characters escaped.
 */
static void check_diagram(struct diagram *d)
{
    char declared[8][24];
    size_t ndecl = 0, i, k;

    memset(d, 0, sizeof *d);
    assert_true(out.n > 1);
    assert_string_equal(out.v[0], "sequenceDiagram");
    for (i = 1; i < out.n; i++) {
        const char *l = out.v[i];
        char a[8] = "", b[8] = "", side[8], kind[8];
        unsigned n1 = 0, n2 = 0;
        int used = 0, j;

        if (strncmp(l, "    ", 4) != 0)
            fail_msg("line %zu not indented: \"%s\"", i, l);
        l += 4;
        if (sscanf(l, "participant %1[CS]%u as %7s 127.0.0.1:%*u%n", a, &n1, kind,
                   &used) == 3 && used > 0 && l[used] == '\0') {
            assert_string_equal(kind, a[0] == 'C' ? "client" : "server");
            assert_true(ndecl < 8);
            snprintf(declared[ndecl++], sizeof declared[0], "%s%u", a, n1);
            d->participants++;
            continue;
        }
        if (sscanf(l, "%1[CS]%u->>%1[CS]%u: %n", a, &n1, b, &n2, &used) == 4 &&
            used > 0) {
            if (a[0] == b[0] || n1 != n2 || l[used] == '\0')
                fail_msg("not an arrow between a pair: \"%s\"", l);
            no_raw_mermaid_chars(l + used, l);
            if (strstr(l, "\"a#59;b#35;c#lt;d#gt;\\n\"") != NULL)
                d->saw_data = 1;
            d->arrows++;
        } else if (sscanf(l, "Note %5[a-z] of %1[CS]%u: %n", side, a, &n1, &used) == 3 &&
                   used > 0) {
            if (!is_state(l + used, strlen(l + used)) ||
                (strcmp(side, "left") != 0 && strcmp(side, "right") != 0))
                fail_msg("not a note of a state: \"%s\"", l);
            /* The client's states on its left, the server's on its right. */
            assert_string_equal(side, a[0] == 'C' ? "left" : "right");
            n2 = n1;
            b[0] = a[0] == 'C' ? 'S' : 'C';
        } else if (sscanf(l, "Note over C%u,S%u: %n", &n1, &n2, &used) == 2 &&
                   used > 0 && l[used] != '\0') {
            a[0] = 'C';
            b[0] = 'S';
            no_raw_mermaid_chars(l + used, l);
            d->notes_over++;
        } else {
            fail_msg("line %zu is neither participant, arrow nor note: \"%s\"", i, l);
        }
        /* Both names it uses were declared above it. */
        for (j = 0; j < 2; j++) {
            char name[16];
            int found = 0;

            snprintf(name, sizeof name, "%c%u", j == 0 ? a[0] : b[0], j == 0 ? n1 : n2);
            for (k = 0; k < ndecl; k++)
                found |= strcmp(declared[k], name) == 0;
            if (!found)
                fail_msg("%s used before it is declared: \"%s\" in:\n%s", name, l,
                         wout.buf);
        }
    }
}

/*
 * (7) --mermaid: written at the end, well formed (check_diagram()), two
 * connections two pairs, an arrow per segment, the data's ';', '#', '<'
 * and '>' escaped.
 */
static void mermaid_is_well_formed(void **state)
{
    static const char *const opts[] = { "--mermaid", NULL };
    struct conn c, c2;
    struct diagram d;
    struct summary s;

    (void)state;
    need_wire();
    exchange(opts, &c, "a;b#c<d>\n");
    c2.sport = c.sport;
    talk(&c2, NULL);
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);
    check_diagram(&d);
    s = summary_of();
    assert_int_equal(d.participants, 4);
    assert_true(d.saw_data);
    assert_int_equal(s.segments, d.arrows);
    assert_int_equal(s.conns, 2);
}

/*
 * --mermaid -- COMMAND: the command's lines are notes over the pair,
 * the first ones (socket()) from before any segment; the participants
 * are still declared before them.
 */
static void mermaid_declares_before_notes(void **state)
{
    static const char *const opts[] = { "--mermaid", NULL };
    char ps[16];
    const char *cmd[] = { bin_path("tcp-client"), "-t", "127.0.0.1", ps, NULL };
    struct diagram d;
    unsigned port;

    (void)state;
    need_wire();
    port = (unsigned)server_start(&srv, "/dev/null", NULL);
    snprintf(ps, sizeof ps, "%u", port);
    watch_start(opts, port, cmd, 0);    /* no input: the client half-closes */
    assert_int_equal(watch_stop(0), 0);
    assert_non_null(strstr(werr.buf, "the command exited with status 0"));
    lines_of(&out, wout.buf);
    check_diagram(&d);
    assert_int_equal(d.participants, 2);
    assert_true(d.arrows >= 8);
    assert_non_null(strstr(wout.buf, "    Note over C1,S1: socket(AF_INET, SOCK_STREAM, "
                                     "IPPROTO_TCP) = 3\n"));
}

/*
 * (8) tcp-watch PORT -- tcp-client -t: the client's trace and the
 * segments on one timeline, in true order.  connect() sends the SYN
 * while it runs: its head "connect(3, 127.0.0.1:PORT) ..." comes before
 * the SYN, the whole line after it; the handshake is done before the
 * connect is reported done (= 0); a write() begins before its segment.
 * The stamps that order them are not shown.
 */
static void command_lines_in_true_order(void **state)
{
    char ps[16], head[64], want[160];
    const char *cmd[] = { bin_path("tcp-client"), "-t", "127.0.0.1", ps, NULL };
    struct conn c;
    int ih, isyn, isa, iack, ifirst, iok, iw, idata, i;

    (void)state;
    need_wire();
    c.sport = (unsigned)server_start(&srv, "/dev/null", NULL);
    snprintf(ps, sizeof ps, "%u", c.sport);
    sniff_or_fail(c.sport);
    watch_start(NULL, c.sport, cmd, 1);
    await(&wout, "read(3, 65536) = 9 \"welcome!\\n\"  (recv)\n", T_MS);
    assert_int_equal(write_full(watch.in, "hello\n", 6, T_MS), 0);
    await(&wout, "read(3, 65536) = 6 \"hello\\n\"", T_MS);
    proc_close_in(&watch);        /* the client half-closes and ends */
    assert_int_equal(watch_stop(0), 0);
    assert_non_null(strstr(werr.buf, "the command exited with status 0"));
    lines_of(&out, wout.buf);
    {
        const struct sniffed *syn = sniff_find(&sn, 0, SNIFF_SYN | SNIFF_ACK,
                                               SNIFF_SYN, 0, c.sport, T_MS);
        assert_non_null(syn);
        c.cport = syn->sport;
        real_isns(&c);
    }

    i = expect_line(&out, 0, "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3", 1);
    snprintf(head, sizeof head, "connect(3, 127.0.0.1:%u) ...", c.sport);
    ih = expect_line(&out, i, head, 1);
    assert_string_equal(out.v[ih], head);
    isyn = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  SYN seq=j (j=%lu)  "
                      "[client SYN_SENT]", c.cport, c.sport, c.j);
    isa = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  SYN+ACK seq=k ack=j+1 "
                     "(k=%lu)  [server SYN_RECV, client ESTABLISHED]",
                     c.sport, c.cport, c.k);
    iack = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  ACK seq=j+1 ack=k+1  "
                      "[server ESTABLISHED]", c.cport, c.sport);
    snprintf(want, sizeof want, "connect(3, 127.0.0.1:%u) = ", c.sport);
    ifirst = expect_line(&out, 0, want, 1);
    snprintf(want, sizeof want, "connect(3, 127.0.0.1:%u) = 0  local 127.0.0.1:%u  "
             "state ESTABLISHED", c.sport, c.cport);
    iok = expect_line(&out, 0, want, 1);
    before(&out, i, ih, "socket() before connect()");
    before(&out, ih, isyn, "connect()'s head before its SYN");
    before(&out, isyn, ifirst, "the SYN before connect() returns");
    before(&out, isyn, isa, "SYN before SYN+ACK");
    before(&out, isa, iack, "SYN+ACK before ACK");
    before(&out, iack, iok, "the handshake before connect() = 0");

    iw = expect_line(&out, iok, "write(3, \"hello\\n\", 6) ", 1);
    idata = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  PSH+ACK seq=j+1 "
                       "ack=k+10 len=6 \"hello\\n\"", c.cport, c.sport);
    before(&out, iw, idata, "write() before its segment");
    /* No stamp is shown. */
    assert_int_equal(find_line(&out, 0, "@", 1), -1);
}

/*
 * (9) UDP: tcp-client -u and tcp-server -u; each datagram a line with
 * its length and bytes, and no sequence numbers: UDP has none.
 */
static void udp_datagrams_shown(void **state)
{
    char ps[16], got[64];
    char *argv[] = { (char *)bin_path("tcp-client"), "-u", "127.0.0.1", ps, NULL };
    int port;
    unsigned cp = 0, sp = 0;
    const char *at;
    struct summary s;
    size_t i;
    int k;

    (void)state;
    need_wire();
    port = server_start(&srv, "/dev/null", "-u", NULL);
    watch_start(NULL, (unsigned)port, NULL, 0);
    snprintf(ps, sizeof ps, "%d", port);
    proc_start(&cli, argv, 1);
    assert_int_equal(write_full(cli.in, "hi\n", 3, T_MS), 0);
    read_until(cli.out, got, sizeof got, "welcome!\nhi\n", T_MS);
    assert_string_equal(got, "welcome!\nhi\n");
    at = await(&wout, "  UDP len=3 \"hi\\n\"\n", T_MS);
    while (at > wout.buf && at[-1] != '\n')
        at--;
    assert_int_equal(sscanf(at, "%*s 127.0.0.1:%u > 127.0.0.1:%u", &cp, &sp), 2);
    assert_int_equal(sp, (unsigned)port);
    awaitf(&wout, "127.0.0.1:%d > 127.0.0.1:%u  UDP len=3 \"hi\\n\"\n", port, cp);
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);

    k = expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%d  UDP len=3 \"hi\\n\"", cp, port);
    k = expect_seg(&out, k, "127.0.0.1:%d > 127.0.0.1:%u  UDP len=9 \"welcome!\\n\"",
                   port, cp);
    expect_seg(&out, k, "127.0.0.1:%d > 127.0.0.1:%u  UDP len=3 \"hi\\n\"", port, cp);
    for (i = 0; i < out.n; i++)
        if (strstr(out.v[i], "seq=") != NULL || strstr(out.v[i], "ack=") != NULL)
            fail_msg("a datagram with a sequence number: \"%s\"", out.v[i]);
    s = summary_of();
    assert_int_equal(s.segments, 0);
    assert_int_equal(s.conns, 0);
    assert_int_equal(s.datagrams, stamped_lines_in_order(&out));
}

/* A port for a command that cannot be told port 0: any in a network of
 * the test's own, where it is free by construction; else one the kernel
 * just had free. */
static unsigned scene_port(void)
{
    return private_net ? 8080 : (unsigned)free_port();
}

/*
 * (11) The fork design on the wire: after fork() parent and child hold
 * the connection, and the parent's close() of its copy only drops the
 * count: nothing goes on the wire.  The child's shutdown() sends the FIN.
 * The child's trace lines name it ("[pid N]"); the parent's do not.
 */
static void fork_close_sends_nothing(void **state)
{
    unsigned port;
    char ps[16], text[128];
    const char *cmd[] = { bin_path("tcp-server"), "--model", "fork", "-t", "-b",
                          "127.0.0.1", ps, NULL };
    struct conn c;
    const char *at;
    int fd, s, ip, ishut, ifin, iclose, n;
    long pid = 0, pid2 = 0;

    (void)state;
    need_wire();
    port = scene_port();
    snprintf(ps, sizeof ps, "%u", port);
    watch_start(NULL, port, cmd, 0);
    if (!wait_listening((int)port, T_MS))
        fail_msg("tcp-server under tcp-watch never listened on %u:\n%s\n%s", port,
                 wout.buf, werr.buf);
    c.sport = port;
    sniff_or_fail(port);
    s = client((int)port);
    c.cport = local_port(s);
    /* The accept of this client (its line names it), and its descriptor. */
    at = awaitf(&wout, "  peer 127.0.0.1:%u  local", c.cport);
    while (at > wout.buf && at[-1] != '\n')
        at--;
    assert_int_equal(sscanf(at, "accept(3) = %d  peer", &fd), 1);
    assert_true(fd > 3);
    /* The parent has closed its copy before the client says quit. */
    awaitf(&wout, "\nclose(%d) = 0\n", fd);
    send_str(s, "quit\n");
    expect_fin(s);
    close(s);
    real_isns(&c);
    wire_carried(SNIFF_ACK, c.sport, c.cport, (uint32_t)(c.j + 7),
                 "the server's last ACK");
    awaitf(&wout, "] close(%d) = 0\n", fd);
    assert_int_equal(watch_stop(SIGTERM), 0);
    lines_of(&out, wout.buf);

    snprintf(text, sizeof text, "close(%d) = 0", fd);
    ip = expect_line(&out, 0, text, 1);
    assert_string_equal(out.v[ip], text);          /* the parent's: no name */
    ishut = expect_line(&out, 0, "] shutdown(", 0);
    assert_int_equal(sscanf(out.v[ishut], "[pid %ld] shutdown(%d, SHUT_WR)", &pid,
                            &n), 2);
    assert_true(pid > 0);
    assert_int_equal(n, fd);
    snprintf(text, sizeof text, "127.0.0.1:%u > 127.0.0.1:%u  FIN+ACK", c.sport,
             c.cport);
    ifin = expect_line(&out, 0, text, 0);
    before(&out, ip, ishut, "the parent's close before the child's shutdown");
    before(&out, ishut, ifin, "the child's shutdown before the server's FIN");
    /* One FIN from the server: none after the parent's close but that. */
    assert_int_equal(find_line(&out, ifin + 1, text, 0), -1);
    if (strstr(out.v[ip + 1], text) != NULL)
        fail_msg("a FIN right after the parent's close:\n%s", wout.buf);
    /* The child's close names the same child. */
    snprintf(text, sizeof text, "] close(%d) = 0", fd);
    iclose = expect_line(&out, ifin, text, 0);
    assert_int_equal(sscanf(out.v[iclose], "[pid %ld] close(%d)", &pid2, &n), 2);
    assert_int_equal(pid2, pid);
    assert_int_equal(n, fd);
}

/* For proc_start_with(): a process group of its own, as a shell gives a
 * job, so that a Ctrl-C can be sent to the job alone. */
static int own_group(void)
{
    return setpgid(0, 0);
}

/*
 * Ctrl-C in the "-- COMMAND" form: the terminal sends SIGINT to the whole
 * job; tcp-watch lets the command end its way (sleep dies of it) and
 * ends when it has, saying how the command ended.
 */
static void ctrl_c_reaches_the_command(void **state)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-watch"), ps, "--", "/bin/sh", "-c",
                     "echo ready; exec sleep 30", NULL };
    int rc;

    (void)state;
    need_wire();
    snprintf(ps, sizeof ps, "%u", scene_port());
    proc_start_with(&watch, argv, 0, own_group);
    stream_init(&wout, watch.out);
    stream_init(&werr, watch.err);
    await(&wout, "ready\n", T_MS);          /* sleep runs (it is exec'd) */
    kill(-watch.pid, SIGINT);               /* the job: tcp-watch and sleep */
    to_eof(&wout, T_MS);
    to_eof(&werr, T_MS);
    rc = proc_wait(&watch, T_MS);
    if (rc != 0)
        fail_msg("after Ctrl-C: exit %d (-1: still running); stderr:\n%s", rc,
                 werr.buf);
    assert_non_null(strstr(werr.buf, "the command was killed by signal 2"));
}

/* ---- on this machine ----------------------------------------------- */

/* (12) Usage errors exit 2 and say so on stderr, before any capture. */
static void usage_errors_exit_2(void **state)
{
    static const struct {
        const char *args[4];
        const char *says;
    } cases[] = {
        { { "0", NULL }, "PORT must be a number from 1 to 65535" },
        { { "65536", NULL }, "PORT must be a number from 1 to 65535" },
        { { "http", NULL }, "PORT must be a number from 1 to 65535" },
        { { "8080", "8081", NULL }, "unexpected argument '8081'" },
        { { "--ladder", "--mermaid", "8080", NULL }, "'--ladder' and '--mermaid'" },
        { { "--mermaid", "--ladder", NULL }, "'--ladder' and '--mermaid'" },
        { { "8080", "--", NULL }, "'--' wants a command" },
        { { "--", NULL }, "'--' wants a command" },
        { { "--netns", "8080", NULL }, "'--netns' needs a command" },
        { { "--bogus", NULL }, "bogus" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8], o[256], e[1024];
        size_t n = 0, k;
        struct proc p;
        int rc;

        argv[n++] = (char *)bin_path("tcp-watch");
        for (k = 0; cases[i].args[k] != NULL; k++)
            argv[n++] = (char *)cases[i].args[k];
        argv[n] = NULL;
        proc_start(&p, argv, 0);
        read_until(p.err, e, sizeof e, NULL, T_MS);
        read_until(p.out, o, sizeof o, NULL, T_MS);
        rc = proc_wait(&p, T_MS);
        proc_kill(&p);
        if (rc != 2 || strstr(e, cases[i].says) == NULL ||
            strstr(e, "Try 'tcp-watch --help'") == NULL || o[0] != '\0')
            fail_msg("tcp-watch %s%s%s: exit %d, stderr \"%s\", stdout \"%s\"; "
                     "want 2 and \"%s\"", cases[i].args[0],
                     cases[i].args[1] ? " " : "", cases[i].args[1] ? cases[i].args[1] : "",
                     rc, e, o, cases[i].says);
    }
}

/*
 * (10) Without CAP_NET_RAW over the machine's network - a child in a
 * user namespace of its own has none, even as root - the plain form
 * says so in one line naming CAP_NET_RAW and the ways out, and exits 1.
 */
static void refusal_is_one_line(void **state)
{
    char *argv[] = { (char *)bin_path("tcp-watch"), "8080", NULL };
    const char *nl;
    int rc;

    (void)state;
    need_userns();
    proc_start_with(&watch, argv, 0, before_exec_userns);
    stream_init(&wout, watch.out);
    stream_init(&werr, watch.err);
    rc = watch_stop(0);
    if (rc == 125)
        fail_msg("the child could not enter its user namespace");
    assert_int_equal(rc, 1);
    assert_string_equal(wout.buf, "");
    nl = strchr(werr.buf, '\n');
    if (nl == NULL || nl[1] != '\0')
        fail_msg("want exactly one line on stderr, got:\n%s", werr.buf);
    assert_int_equal(strncmp(werr.buf, "tcp-watch: ", 11), 0);
    assert_non_null(strstr(werr.buf, "CAP_NET_RAW"));
    assert_non_null(strstr(werr.buf, "tcp-watch 8080 -- COMMAND"));
}

/*
 * (10) The "-- COMMAND" form in the same child: no privilege on the
 * machine, so COMMAND runs in a network namespace of tcp-watch's own,
 * which it says; there the exchange is seen as anywhere.  (A fixed port:
 * that network is private.)
 */
static void command_falls_back_to_own_network(void **state)
{
    char script[1024];
    char *argv[] = { (char *)bin_path("tcp-watch"), "8080", "--", "/bin/sh", "-c",
                     script, NULL };
    int rc;

    (void)state;
    need_userns();
    /* Listening is waited for in the kernel's table, 5 s at most. */
    snprintf(script, sizeof script,
             "%s -q -b 127.0.0.1 8080 & s=$!; i=0; "
             "while [ $i -lt 250 ] && ! grep -q ':1F90 00000000:0000 0A' /proc/net/tcp; "
             "do sleep 0.02; i=$((i+1)); done; "
             "echo quit | %s 127.0.0.1 8080; kill $s; wait $s",
             bin_path("tcp-server"), bin_path("tcp-client"));
    proc_start_with(&watch, argv, 0, before_exec_userns);
    stream_init(&wout, watch.out);
    stream_init(&werr, watch.err);
    rc = watch_stop(0);
    if (rc == 125)
        fail_msg("the child could not enter its user namespace");
    if (rc != 0 || strstr(werr.buf, "in a private network namespace") == NULL ||
        strstr(werr.buf, "CAP_NET_RAW") != NULL)
        fail_msg("exit %d; stderr:\n%s\nstdout:\n%s", rc, werr.buf, wout.buf);
    assert_non_null(strstr(werr.buf, "the command exited with status 0"));
    assert_non_null(strstr(wout.buf, " > 127.0.0.1:8080  SYN seq=j (j="));
    assert_non_null(strstr(wout.buf, "127.0.0.1:8080 > "));
    assert_non_null(strstr(wout.buf, "  SYN+ACK seq=k ack=j+1 (k="));
    assert_non_null(strstr(wout.buf, "PSH+ACK seq=k+1 ack=j+"));
    assert_non_null(strstr(wout.buf, " len=9 \"welcome!\\n\""));
    assert_non_null(strstr(wout.buf, "\nwelcome!\n"));
}

/*
 * As root, the plain form on the machine's own loopback: the real j and
 * k (a port the kernel picks keeps other suites' traffic out of it).
 */
static void plain_form_as_root(void **state)
{
    struct conn c;

    (void)state;
    if (geteuid() != 0) {
        print_message("not root: the plain form on this machine's loopback needs "
                      "CAP_NET_RAW (the namespace tests cover it otherwise)\n");
        skip();
    }
    if (sniff_open(&sn, 9) == -1) {
        print_message("root without CAP_NET_RAW here (%s)\n", strerror(errno));
        skip();
    }
    sniff_close(&sn);
    exchange(NULL, &c, NULL);
    awaitf(&wout, "ack=j+7  [client CLOSED]\n");
    assert_int_equal(watch_stop(SIGTERM), 0);
    assert_null(strstr(werr.buf, "private network namespace"));
    lines_of(&out, wout.buf);
    expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  SYN seq=j (j=%lu)  "
               "[client SYN_SENT]", c.cport, c.sport, c.j);
    expect_seg(&out, 0, "127.0.0.1:%u > 127.0.0.1:%u  SYN+ACK seq=k ack=j+1 "
               "(k=%lu)  [server SYN_RECV, client ESTABLISHED]", c.sport, c.cport, c.k);
    assert_int_equal(summary_of().conns, 1);
}

/*
 * sudo tcp-watch --netns PORT -- COMMAND: the command runs as the user
 * who asked (SUDO_UID), never as root, here in the namespace too; there
 * it is that namespace's root, which is that user on the machine.
 */
static void netns_under_sudo_runs_as_the_user(void **state)
{
    char *argv[] = { (char *)bin_path("tcp-watch"), "--netns", "8080", "--",
                     "/bin/sh", "-c", "echo uid_map $(cat /proc/self/uid_map)",
                     NULL };
    char why[300];
    int rc;

    (void)state;
    if (geteuid() != 0) {
        print_message("not root: nothing to give up\n");
        skip();
    }
    if (!can_make_ns(0, why, sizeof why)) {
        print_message("no network namespace can be made: %s\n", why);
        skip();
    }
    /* As if "sudo" had been typed by nobody (65534). */
    setenv("SUDO_UID", "65534", 1);
    setenv("SUDO_GID", "65534", 1);
    proc_start(&watch, argv, 0);
    unsetenv("SUDO_UID");
    unsetenv("SUDO_GID");
    stream_init(&wout, watch.out);
    stream_init(&werr, watch.err);
    rc = watch_stop(0);
    if (rc != 0 || strstr(werr.buf, "the command exited with status 0") == NULL)
        fail_msg("exit %d; stderr:\n%s\nstdout:\n%s", rc, werr.buf, wout.buf);
    /* Root in its namespace, 65534 outside it. */
    assert_non_null(strstr(wout.buf, "uid_map 0 65534 1\n"));
}

/* Where the capturing tests will read the wire: a network of this
 * process's own if it can have one, else the machine's as root. */
static void choose_wire(void)
{
    char why[300] = "", why2[120] = "";
    struct sniff probe;

    if (can_make_ns(0, why, sizeof why) && netns_enter(why, sizeof why) == 0) {
        wire = "a network namespace of the test's own";
        private_net = 1;
        return;
    }
    if (sniff_open(&probe, 9) == 0) {
        sniff_close(&probe);
        wire = "this machine's loopback (as root)";
        return;
    }
    snprintf(why2, sizeof why2, "%s", strerror(errno));
    snprintf(no_wire, sizeof no_wire,
             "no network namespace of the test's own (%s), and no CAP_NET_RAW "
             "on this machine's loopback (%s)", why, why2);
}

int main(void)
{
    const struct CMUnitTest machine[] = {
        watch_test(usage_errors_exit_2),
        watch_test(refusal_is_one_line),
        watch_test(command_falls_back_to_own_network),
        watch_test(plain_form_as_root),
        watch_test(netns_under_sudo_runs_as_the_user),
    };
    const struct CMUnitTest on_wire[] = {
        watch_test(handshake_shows_the_real_isns),
        watch_test(data_moves_seq_and_ack),
        watch_test(four_way_close_states),
        watch_test(verbose_shows_window_and_options),
        watch_test(refused_connect_shows_rst),
        watch_test(full_queue_syn_sent_again),
        watch_test(ladder_is_well_formed),
        watch_test(mermaid_is_well_formed),
        watch_test(mermaid_declares_before_notes),
        watch_test(command_lines_in_true_order),
        watch_test(udp_datagrams_shown),
        watch_test(fork_close_sends_nothing),
        watch_test(ctrl_c_reaches_the_command),
    };
    int failed;

    failed = cmocka_run_group_tests_name("tcp-watch on this machine", machine,
                                         NULL, NULL);
    /* From here on this process reads a wire of its own, if it can. */
    choose_wire();
    if (wire != NULL)
        print_message("tcp-watch on the wire: %s\n", wire);
    failed += cmocka_run_group_tests_name("tcp-watch on the wire", on_wire, NULL,
                                          NULL);
    return failed;
}
