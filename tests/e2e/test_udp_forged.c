/*
 * test_udp_forged.c - tcp-server -u against forged sources, end to end:
 * the datagrams an attacker sends with someone else's address.  Forging
 * needs a raw socket, so the whole suite runs in a user and network
 * namespace of the test's own (own_ns.h): there this user is root over a
 * loopback that holds nothing but the test's servers, so the system's
 * count of UDP datagrams delivered (/proc/net/snmp) counts theirs only.
 * Where no such namespace can be made the tests say why and skip; under
 * CI=true they fail.
 *
 *   a loop      one datagram forged from server A to server B starts the
 *               exchange of two echo services; it must die out within
 *               3 s (the count stops growing), and one forged from A to
 *               itself must not start at all
 *   lockout     1024 forged sources whose replies go nowhere (no route,
 *               so no ICMP either) fill the table; a newcomer from
 *               another address is still welcomed
 *   ICMP        a peer whose reply draws "port unreachable" is forgotten
 *
 * Every wait is bounded; what is asserted is the outcome, with the one
 * bound the promise names (3 s) as its limit.
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

#include "libsock.h"
#include "fixture.h"
#include "forge.h"
#include "net.h"
#include "own_ns.h"
#include "testutil.h"

#define T_MS 5000
#define LOOP_LIMIT_MS 3000   /* the promise: a loop dies out within 3 s */
#define QUIET_MS 250         /* a window with no datagram at all */

static int in_ns;            /* this process is in a network of its own */
static char no_ns[400];

static int ci(void)
{
    const char *v = getenv("CI");

    return v != NULL && strcmp(v, "true") == 0;
}

/* Forging needs the namespace. */
static void need_ns(void)
{
    if (in_ns)
        return;
    if (ci())
        fail_msg("CI=true, and no network namespace of the test's own: %s",
                 no_ns);
    print_message("no network namespace of the test's own: %s\n", no_ns);
    skip();
}

/* What a server has said on stderr so far. */
struct said {
    size_t len;
    char text[1 << 18];
};
static struct said said_a, said_b;

/* Read what p wrote to stderr within ms (until EOF with eof set). */
static void take(struct proc *p, struct said *s, int ms, int eof)
{
    long long end = ms_now() + ms;

    for (;;) {
        struct pollfd f = { p->err, POLLIN, 0 };
        long long left = end - ms_now();
        ssize_t n;

        if (s->len + 1 >= sizeof s->text || left < 0 ||
            poll(&f, 1, (int)left) != 1)
            break;
        n = read(p->err, s->text + s->len, sizeof s->text - 1 - s->len);
        if (n <= 0)
            break;
        s->len += (size_t)n;
        s->text[s->len] = '\0';
        if (!eof)
            end = ms_now();   /* what is there, no more */
    }
}

static size_t count_of(const struct said *s, const char *needle)
{
    size_t n = 0;
    const char *p = s->text;

    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

/* Wait up to ms for `needle` to appear n times in p's stderr. */
static size_t wait_said(struct proc *p, struct said *s, const char *needle,
                        size_t n, int ms)
{
    long long end = ms_now() + ms;

    while (count_of(s, needle) < n && ms_now() < end)
        take(p, s, 50, 0);
    return count_of(s, needle);
}

/* Stop p with SIGTERM; all it said, to the end. */
static void stop_and_read(struct proc *p, struct said *s)
{
    assert_int_equal(kill(p->pid, SIGTERM), 0);
    take(p, s, T_MS, 1);
    assert_int_equal(proc_wait(p, T_MS), 0);
}

static int setup(void **state)
{
    said_a.len = said_b.len = 0;
    said_a.text[0] = said_b.text[0] = '\0';
    return procs_setup(state);
}

#define forged_test(f) cmocka_unit_test_setup_teardown(f, setup, procs_teardown)

static void forge(const char *src, unsigned sport, unsigned dport,
                  const char *data)
{
    if (forge_udp4(src, sport, "127.0.0.1", dport, data, strlen(data)) == -1)
        fail_msg("forging a datagram from %s:%u: %s", src, sport,
                 strerror(errno));
}

/*
 * The datagrams delivered since c0 stop growing: QUIET_MS with none, seen
 * twice in a row, before LOOP_LIMIT_MS from t0.  Returns how many were
 * delivered in all.
 */
static long long dies_out(long long c0, long long t0)
{
    long long before = udp_delivered(), now;
    int quiet = 0;

    while (quiet < 2) {
        if (ms_now() - t0 > LOOP_LIMIT_MS + 2 * QUIET_MS)
            fail_msg("still looping %d ms after one forged datagram: %lld "
                     "datagrams delivered", LOOP_LIMIT_MS, before - c0);
        sleep_ms(QUIET_MS);
        now = udp_delivered();
        quiet = now == before ? quiet + 1 : 0;
        before = now;
    }
    return before - c0;
}

/* One datagram forged from A's address and port to B: the two echo
 * services would answer each other for ever; the first reply over
 * --udp-rate (default 1000 a second) is dropped and ends it. */
static void loop_between_two_servers_dies(void **state)
{
    int pa, pb;
    long long c0, t0, n;

    (void)state;
    need_ns();
    pa = server_start(&srv, "/dev/null", "-u", "-q", "-q", NULL);
    pb = server_start(&srv2, "/dev/null", "-u", "-q", "-q", NULL);
    c0 = udp_delivered();
    t0 = ms_now();
    forge("127.0.0.1", (unsigned)pa, (unsigned)pb, "hello\n");
    n = dies_out(c0, t0);
    print_message("the loop delivered %lld datagrams, then died\n", n);
    assert_true(n > 3);   /* it did start: B answered A, A answered B */
    stop_and_read(&srv, &said_a);
    stop_and_read(&srv2, &said_b);
    if (strstr(said_a.text, "a second to one peer (--udp-rate)") == NULL &&
        strstr(said_b.text, "a second to one peer (--udp-rate)") == NULL)
        fail_msg("neither server dropped a reply over --udp-rate:\n%s%s",
                 said_a.text, said_b.text);
}

/* A datagram forged from the server's own address and port, or from port
 * 0, echo (7), chargen (19): none is answered, even with no rate limit
 * at all; no slot is taken, and the failed replies of old ("the
 * socket's send buffer was full") are gone.  A real peer is served. */
static void loop_to_itself_never_starts(void **state)
{
    int pa, fd;
    long long c0;
    char ps[16];

    (void)state;
    need_ns();
    pa = server_start(&srv, "/dev/null", "-u", "--udp-rate", "0", NULL);
    c0 = udp_delivered();
    forge("127.0.0.1", (unsigned)pa, (unsigned)pa, "hello\n");
    forge("127.0.0.1", 0, (unsigned)pa, "zero\n");
    forge("127.0.0.1", 7, (unsigned)pa, "echo\n");
    forge("127.0.0.1", 19, (unsigned)pa, "chargen\n");
    assert_int_equal(dies_out(c0, ms_now()), 4);
    snprintf(ps, sizeof ps, "%d", pa);
    fd = sock_udp_connect("127.0.0.1", ps, AF_INET, NULL);
    assert_true(fd >= 0);
    send_str(fd, "real\n");
    expect_str(fd, "welcome!\n");
    expect_str(fd, "real\n");
    close(fd);
    stop_and_read(&srv, &said_a);
    assert_int_equal(count_of(&said_a, "new peer "), 1);
    assert_non_null(strstr(said_a.text, "tcp-server: 4 datagrams not "
                           "answered: from port 0, an echo, daytime, qotd, "
                           "chargen or time port, or this socket\n"));
    assert_null(strstr(said_a.text, "send buffer was full"));
}

/* 1024 forged sources (the default --max-clients) from an address with
 * no route back: their replies fail at once, no ICMP comes, and nothing
 * but the table's own rule can free a slot.  A newcomer from 127.0.0.2
 * is welcomed all the same: the peer heard from longest ago makes room. */
static void forged_sources_do_not_lock_out(void **state)
{
    int pa, fd, i;
    char ps[16], src[32];
    struct sockaddr_in to;

    (void)state;
    need_ns();
    pa = server_start(&srv, "/dev/null", "-u", NULL);
    /* In batches the server's receive buffer holds, each seen taken. */
    for (i = 0; i < 1024; i++) {
        snprintf(src, sizeof src, "10.9.%d.%d", i / 250, 1 + i % 250);
        forge(src, 40000, (unsigned)pa, "x\n");
        if (i % 32 == 31 &&
            wait_said(&srv, &said_a, "new peer ", (size_t)i + 1, T_MS) !=
                (size_t)i + 1)
            fail_msg("the server took %zu forged peers, not %d",
                     count_of(&said_a, "new peer "), i + 1);
    }
    fd = sock_udp_open("127.0.0.2", "0", AF_INET, NULL);
    assert_true(fd >= 0);
    to = v4("127.0.0.1", (unsigned)pa);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    snprintf(ps, sizeof ps, "%d", pa);
    send_str(fd, "hello\n");
    expect_str(fd, "welcome!\n");
    expect_str(fd, "hello\n");
    close(fd);
    stop_and_read(&srv, &said_a);
    assert_non_null(strstr(said_a.text, "forgot peer 10.9.0.1:40000 (table "
                           "full: heard from longest ago)\n"));
    /* What happened to their replies, said as it was. */
    assert_non_null(strstr(said_a.text, "replies not sent: Network is "
                           "unreachable\n"));
}

/* A datagram forged from a port where nothing listens: the welcome draws
 * ICMP port unreachable, and the peer is forgotten at once rather than
 * after --idle-timeout. */
static void unreachable_peer_is_forgotten(void **state)
{
    int pa, gone = free_port();
    char want[80];

    (void)state;
    need_ns();
    pa = server_start(&srv, "/dev/null", "-u", NULL);
    forge("127.0.0.1", (unsigned)gone, (unsigned)pa, "hi\n");
    snprintf(want, sizeof want, "forgot peer 127.0.0.1:%d (port unreachable)\n",
             gone);
    if (wait_said(&srv, &said_a, want, 1, T_MS) != 1)
        fail_msg("not forgotten: the server said\n%s", said_a.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        forged_test(loop_between_two_servers_dies),
        forged_test(loop_to_itself_never_starts),
        forged_test(forged_sources_do_not_lock_out),
        forged_test(unreachable_peer_is_forgotten),
    };

    if (ns_possible(0, no_ns, sizeof no_ns) &&
        netns_enter(no_ns, sizeof no_ns) == 0)
        in_ns = 1;
    return cmocka_run_group_tests_name("tcp-server -u, forged sources", tests,
                                       NULL, NULL);
}
