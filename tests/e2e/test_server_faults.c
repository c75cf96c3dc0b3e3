/*
 * test_server_faults.c - tcp-server under bad input, hostile clients and
 * faults (the server loop's limits and defences): idle timeouts, the
 * client limit, floods from clients that never read, resets, slow
 * clients, running out of descriptors, signals, and the memory that
 * thousands of idle clients cost.  Real programs, loopback, kernel ports.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE   /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "promptly.h"
#include "testutil.h"

#define T_MS 5000

/* Silent clients are cut at the idle timeout; busy ones and slow ones
 * (a byte at a time) are not. */
static void idle_timeout_cuts_only_the_silent(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--idle-timeout", "1",
                            NULL);
    long long t0 = ms_now(), told = -1;
    int silent = client(port), busy = client(port), slow = client(port);
    const char *word = "slowly\n";
    int i;

    (void)state;
    for (i = 0; i < 10; i++) {         /* 10 x 250 ms: well past 1 s */
        struct pollfd p = { silent, POLLIN, 0 };
        char c = word[i % 6];

        sleep_ms(250);
        echo_promptly(busy, "still here\n", 2000);
        assert_int_equal(write_full(slow, &c, 1, T_MS), 0);
        if (told < 0 && poll(&p, 1, 0) == 1)
            told = ms_now();
    }
    /* The silent one was told, not before its second of silence.  (Read
     * late, past the server's drain: FIN is all there is to check.) */
    expect_str(silent, "error: idle timeout\n");
    expect_fin(silent);
    if (told < 0)
        told = ms_now();
    print_message("idle notice after %lld ms\n", told - t0);
    assert_true(told - t0 >= 950);
    send_str(slow, "\n");
    expect_str(slow, "slowlyslow\n");
    close(silent);
    close(busy);
    close(slow);
}

/* --idle-timeout 0 turns the cut off (here: still served after 1.5 s,
 * when a timeout of 1 s would have struck). */
static void idle_timeout_zero_is_off(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--idle-timeout", "0",
                            NULL);
    int fd = client(port);

    (void)state;
    assert_false(read_eof(fd, 1500));
    echo_promptly(fd, "after a pause\n", 1000);
    close(fd);
}

/* Beyond --max-clients: "server busy", closed at once; the others go on. */
static void max_clients_turns_extra_away(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--max-clients", "2",
                            NULL);
    int a = client(port), b = client(port), c, d;

    (void)state;
    c = connect_port("127.0.0.1", port);
    expect_str(c, "error: server busy\n");
    expect_clean_close(c);
    close(c);
    echo_promptly(a, "a still served\n", 1000);
    echo_promptly(b, "b still served\n", 1000);
    send_str(a, "quit\n");
    expect_clean_close(a);
    close(a);
    d = client_when_free(port);        /* a slot is free again */
    echo_promptly(d, "d served\n", 1000);
    close(b);
    close(d);
}

/* The default line limit is 8192 bytes, newline included. */
static void default_line_limit(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);
    char *line = malloc(8194);

    (void)state;
    assert_non_null(line);
    memset(line, 'x', 8193);
    line[8191] = '\n';                 /* 8192 bytes: accepted */
    assert_int_equal(write_full(fd, line, 8192, T_MS), 0);
    expect_mem(fd, line, 8192);
    line[8191] = 'x';
    line[8192] = '\n';                 /* 8193 bytes: too long */
    assert_int_equal(write_full(fd, line, 8193, T_MS), 0);
    expect_str(fd, "error: line too long (max 8192 bytes)\n");
    expect_clean_close(fd);
    close(fd);
    free(line);
}

/*
 * The last words survive: a client that sends lines, quit and then more
 * junk, all at once, gets every echo and a clean FIN, not a reset that
 * would destroy replies still in flight.  Likewise the error line for a
 * too long line followed by more bytes.
 */
static void last_words_are_not_reset_away(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--max-line", "64", NULL);
    int fd = client(port), i;
    char big[65536], want[4096];
    size_t n = 0, w = 0;

    (void)state;
    for (i = 0; i < 100; i++) {
        n += (size_t)sprintf(big + n, "line %d\n", i);
    }
    w = n;
    memcpy(want, big, w);
    n += (size_t)sprintf(big + n, "quit\n");
    memset(big + n, 'j', sizeof big - n);   /* junk after quit */
    assert_int_equal(write_full(fd, big, sizeof big, T_MS), 0);
    expect_mem(fd, want, w);
    expect_clean_close(fd);
    close(fd);

    fd = client(port);
    memset(big, 'y', sizeof big);           /* no newline at all */
    assert_int_equal(write_full(fd, big, 32768, T_MS), 0);
    expect_str(fd, "error: line too long (max 64 bytes)\n");
    expect_clean_close(fd);
    close(fd);
}

/*
 * A client that floods without ever reading (100 MB offered) cannot grow
 * the server's memory: reading it stops while its replies wait.  Another
 * client keeps getting prompt echoes meanwhile.  Bound: the server's
 * resident memory grows by less than 4 MiB.  The flood goes on until
 * the kernel has taken nothing for half a second (the server stopped
 * reading), 100 MB have gone (it never did), or 3 s have passed.
 */
static void flooding_non_reader(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int flood = client(port), other = client(port);
    long before = proc_rss_kb(srv.pid), after;
    static char chunk[65536];
    size_t sent = 0, i;
    long long end = ms_now() + 3000, next_echo = 0, quiet_since = -1;

    (void)state;
    for (i = 0; i < sizeof chunk; i++)
        chunk[i] = (i % 100 == 99) ? '\n' : 'f';
    assert_int_equal(sock_set_nonblock(flood, 1), 0);
    while (sent < 100u * 1024 * 1024 && ms_now() < end) {
        ssize_t n = send(flood, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            quiet_since = -1;
        } else if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
            fail_msg("flood send: %s", strerror(errno));
        } else if (quiet_since < 0) {
            quiet_since = ms_now();
        } else if (ms_now() - quiet_since >= 500) {
            break;                      /* stuck: the server reads no more */
        } else {
            sleep_ms(10);
        }
        if (ms_now() >= next_echo) {
            echo_promptly(other, "am I slowed down?\n", 1000);
            next_echo = ms_now() + 200;
        }
    }
    after = proc_rss_kb(srv.pid);
    print_message("flood: %zu bytes offered, server RSS %ld -> %ld KiB\n",
                  sent, before, after);
    /* A reply waits for the non-reader: the server must wait for POLLOUT,
     * not spin. */
    {
        long cpu0 = proc_cpu_ms(srv.pid), cpu1;

        sleep_ms(1000);
        cpu1 = proc_cpu_ms(srv.pid);
        print_message("flood: server CPU %ld ms in 1 s of waiting\n",
                      cpu1 - cpu0);
        if (!sanitized())
            assert_true(cpu1 - cpu0 < 300);
    }
    /* It stopped taking bytes long before 100 MB: the kernel's buffers
     * filled and the server read no more. */
    assert_true(sent < 100u * 1024 * 1024);
    if (!sanitized())
        assert_true(after - before < 4096);
    echo_promptly(other, "still fine\n", 1000);
    close_with_reset(flood);
    close(other);
}

/* Read the server's stderr until `line` appears in it (all of it kept in
 * err, which the caller sizes), or fail after T_MS. */
static void expect_log_line(char *err, size_t size, const char *line)
{
    size_t n = strlen(err);

    while (strstr(err, line) == NULL) {
        size_t k = read_until(srv.err, err + n, size - n, "\n", T_MS);
        if (k == 0)
            fail_msg("no '%s' on stderr, only '%s'", line, err);
        n += k;
    }
}

/* Resets mid-line and mid-echo, and a client that leaves: each is named
 * with its own reason, and the server goes on serving the others. */
static void resets_and_vanishing_clients(void **state)
{
    int port = server_start(&srv, "/dev/null", NULL);
    int other = client(port), fd, i;
    char err[16384] = "", peer[SOCK_ADDR_TEXT_MAX], want[256];
    static char lots[1 << 20];

    (void)state;
    fd = client(port);
    local_name(fd, peer, sizeof peer);
    send_str(fd, "half a li");
    sleep_ms(50);
    close_with_reset(fd);                   /* reset mid-line */
    snprintf(want, sizeof want, "disconnected %s (reset)\n", peer);
    expect_log_line(err, sizeof err, want);

    fd = client(port);
    local_name(fd, peer, sizeof peer);
    for (i = 0; i < (int)sizeof lots; i++)
        lots[i] = (i % 64 == 63) ? '\n' : 'e';
    assert_int_equal(sock_set_nonblock(fd, 1), 0);
    (void)send(fd, lots, sizeof lots, MSG_NOSIGNAL);
    sleep_ms(100);
    close_with_reset(fd);                   /* reset mid-echo */
    snprintf(want, sizeof want, "disconnected %s (reset)\n", peer);
    expect_log_line(err, sizeof err, want);

    fd = client(port);
    local_name(fd, peer, sizeof peer);
    close(fd);                              /* leaves: FIN, nothing unread */
    snprintf(want, sizeof want, "disconnected %s (eof)\n", peer);
    expect_log_line(err, sizeof err, want);

    echo_promptly(other, "unharmed\n", 1000);
    close(other);
    kill(srv.pid, SIGTERM);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
}

/* --max-clients counts sessions, not goodbyes: the slot of a client that
 * said quit is free at once, while the server still drains it. */
static void max_clients_counts_open_sessions(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--max-clients", "1",
                            NULL);
    int a = client(port), b;

    (void)state;
    send_str(a, "quit\n");
    expect_fin(a);          /* a stays open: the server is draining it */
    b = connect_port("127.0.0.1", port);
    expect_str(b, "welcome!\n");
    echo_promptly(b, "my slot\n", 1000);
    close(a);
    close(b);
}

/* Send on a non-blocking fd until the kernel takes no more (the server
 * has stopped reading us); returns the bytes sent. */
static size_t flood_until_full(int fd)
{
    static char chunk[65536];
    size_t sent = 0, i;
    long long end = ms_now() + T_MS, quiet_since = -1;

    for (i = 0; i < sizeof chunk; i++)
        chunk[i] = (i % 64 == 63) ? '\n' : 'n';
    while (ms_now() < end) {
        ssize_t n = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);

        if (n > 0) {
            sent += (size_t)n;
            quiet_since = -1;
        } else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (quiet_since < 0)
                quiet_since = ms_now();
            else if (ms_now() - quiet_since > 200)
                return sent;     /* full for 200 ms: it is stuck */
            sleep_ms(10);
        } else {
            fail_msg("flood: %s", strerror(errno));
        }
    }
    fail_msg("the server kept reading a client that never reads");
    return sent;
}

/*
 * A client that sends but never reads is not silent, it is not reading:
 * at the idle timeout it is told "error: not reading replies" (after
 * the replies it left), and the log says so.  One that reads at last
 * gets every echo, the notice, then FIN; one that never reads is closed
 * LINGER_MS (5 s) later.
 */
static void not_reading_replies(void **state)
{
    int port = server_start(&srv, "/dev/null", "--idle-timeout", "1", NULL);
    int late = client(port), never = client(port);
    char err[16384] = "", peer_late[SOCK_ADDR_TEXT_MAX];
    char peer_never[SOCK_ADDR_TEXT_MAX], want[256];
    static char got[65536];
    char last[64] = "";
    size_t sent, n = 0;
    long long stalled;
    const char *tail = "error: not reading replies\n";

    (void)state;
    local_name(late, peer_late, sizeof peer_late);
    local_name(never, peer_never, sizeof peer_never);
    assert_int_equal(sock_set_nonblock(late, 1), 0);
    assert_int_equal(sock_set_nonblock(never, 1), 0);
    sent = flood_until_full(late);
    (void)flood_until_full(never);
    stalled = ms_now();

    /* The cut comes a second after the last byte moved; reading before
     * it would un-stick the client.  Then read it all, to the FIN. */
    sleep_ms(2000);
    assert_int_equal(sock_set_nonblock(late, 0), 0);
    for (;;) {
        ssize_t k = read(late, got, sizeof got);

        if (k <= 0) {
            if (k == -1)
                fail_msg("read: %s", strerror(errno));
            break;     /* FIN */
        }
        n += (size_t)k;
        /* Keep the last bytes seen at the end of last[]. */
        if ((size_t)k >= sizeof last) {
            memcpy(last, got + k - sizeof last, sizeof last);
        } else {
            memmove(last, last + k, sizeof last - (size_t)k);
            memcpy(last + sizeof last - (size_t)k, got, (size_t)k);
        }
    }
    assert_true(n >= strlen(tail) && n <= sent + strlen(tail));
    if (memcmp(last + sizeof last - strlen(tail), tail, strlen(tail)) != 0)
        fail_msg("the last bytes are '%.40s'", last + sizeof last - 40);
    close(late);
    snprintf(want, sizeof want, "disconnected %s (not reading replies)\n",
             peer_late);
    expect_log_line(err, sizeof err, want);

    /* The one that never reads: closed LINGER_MS (5 s) after its cut,
     * not kept for ever. */
    snprintf(want, sizeof want, "disconnected %s (not reading replies)\n",
             peer_never);
    expect_log_line(err, sizeof err, want);
    print_message("never-reader closed %lld ms after the stall\n",
                  ms_now() - stalled);
    assert_true(ms_now() - stalled >= 5500);
    close(never);
}

/*
 * A client that reads its replies slowly but steadily is not "not
 * reading": taking our bytes is activity, even while the socket has not
 * drained far enough for poll() to call it writable (half the send
 * buffer, on Linux).  It floods until the server stops reading it, then
 * reads 64 KiB every 200 ms for 3 s past a 1 s idle timeout, and is
 * still served: a ping at the end comes back.
 */
static void slow_steady_reader_is_not_cut(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--idle-timeout", "1",
                            NULL);
    int fd = client(port), i, pinged = 0;
    static char buf[65536];
    char tail[6] = "";
    long long end;

    (void)state;
    assert_int_equal(sock_set_nonblock(fd, 1), 0);
    (void)flood_until_full(fd);
    for (i = 0; i < 15; i++) {
        ssize_t n;

        sleep_ms(200);
        n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            fail_msg("cut while reading slowly: %s",
                     n == 0 ? "EOF" : strerror(errno));
        if (memmem(buf, (size_t)n, "error:", 6) != NULL)
            fail_msg("told '%.40s' while reading", (char *)memmem(buf, (size_t)n, "error:", 6));
    }
    /* Read the rest at speed; the ping must come back last. */
    end = ms_now() + 20000;
    while (strcmp(tail, "ping\n") != 0 || !pinged) {
        struct pollfd p = { fd, (short)(POLLIN | (pinged ? 0 : POLLOUT)), 0 };
        ssize_t n;

        if (ms_now() > end)
            fail_msg("the ping did not come back");
        (void)poll(&p, 1, 100);
        if (!pinged && (p.revents & POLLOUT) &&
            send(fd, "ping\n", 5, MSG_NOSIGNAL) == 5)
            pinged = 1;
        while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
            if (memmem(buf, (size_t)n, "error:", 6) != NULL)
                fail_msg("told '%.40s'", (char *)memmem(buf, (size_t)n, "error:", 6));
            /* The last 5 bytes seen, across reads. */
            if (n >= 5) {
                memcpy(tail, buf + n - 5, 5);
            } else {
                memmove(tail, tail + n, (size_t)(5 - n));
                memcpy(tail + 5 - n, buf, (size_t)n);
            }
            tail[5] = '\0';
        }
        if (n == 0)
            fail_msg("closed before the ping came back");
    }
    close(fd);
}

/* Byte `off` of a stream of 1000-byte lines, each starting with its
 * number: "000000000.........\n", "000000001.........\n", ... */
#define NUMBERED_LEN 1000
static char numbered(size_t off)
{
    size_t line = off / NUMBERED_LEN, pos = off % NUMBERED_LEN, div = 100000000;

    if (pos == NUMBERED_LEN - 1)
        return '\n';
    if (pos >= 9)
        return '.';
    while (pos-- > 0)
        div /= 10;
    return (char)('0' + line / div % 10);
}

/*
 * A slow reader: it sends numbered lines without reading until the
 * server stops taking them (its replies queue, so it stops reading), stays
 * stalled half a second, then reads while it sends a megabyte more.
 * Every byte comes back, in order.
 */
static void slow_reader_gets_everything_in_order(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);
    static char buf[65536];
    size_t sent = 0, got = 0, total = 0, i;
    long long end = ms_now() + 30000, quiet_since = -1;

    (void)state;
    assert_int_equal(sock_set_nonblock(fd, 1), 0);
    while (total == 0) {                 /* until the kernel takes no more */
        ssize_t n;

        if (ms_now() > end || sent > ((size_t)512 << 20))
            fail_msg("the server never stopped reading (%zu bytes)", sent);
        for (i = 0; i < sizeof buf; i++)
            buf[i] = numbered(sent + i);
        n = send(fd, buf, sizeof buf, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            quiet_since = -1;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fail_msg("send: %s", strerror(errno));
        } else if (quiet_since < 0) {
            quiet_since = ms_now();
        } else if (ms_now() - quiet_since > 300) {
            /* Stalled: now read, and send more, ending on a whole line. */
            total = (sent + 1000000) / NUMBERED_LEN * NUMBERED_LEN;
        } else {
            sleep_ms(10);
        }
    }
    sleep_ms(500);
    while (got < total) {
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;

        if (ms_now() > end)
            fail_msg("slow reader: %zu of %zu bytes back in 30 s", got, total);
        if (sent < total) {
            size_t want = total - sent < sizeof buf ? total - sent : sizeof buf;

            for (i = 0; i < want; i++)
                buf[i] = numbered(sent + i);
            n = send(fd, buf, want, MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            p.events |= POLLOUT;
        }
        (void)poll(&p, 1, 100);
        while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
            for (i = 0; i < (size_t)n; i++)
                if (buf[i] != numbered(got + i))
                    fail_msg("byte %zu of the echo is '%c', not '%c'",
                             got + i, buf[i], numbered(got + i));
            got += (size_t)n;
        }
        if (n == 0)
            fail_msg("EOF after %zu bytes", got);
    }
    print_message("slow reader: %zu bytes back intact, in order\n", total);
    close(fd);
}

/*
 * Out of descriptors: under "ulimit -n 24" the clients beyond what fits
 * are told "server busy" and closed, the server's CPU stays near idle
 * (no busy loop on a listener that stays readable), and once clients
 * leave, new ones are served again.
 */
static void emfile_neither_spins_nor_stops(void **state)
{
    char *argv[] = { "/bin/sh", "-c", NULL, NULL };
    char cmd[600], err[2048];
    const char *colon;
    int fds[40], port, n_ok = 0, n_busy = 0, i, fd;
    long cpu0, cpu1;

    (void)state;
    snprintf(cmd, sizeof cmd,
             "ulimit -n 24 && exec %s -q -b 127.0.0.1 --max-clients 100 0",
             bin_path("tcp-server"));
    argv[2] = cmd;
    proc_start(&srv, argv, 0);
    read_until(srv.err, err, sizeof err, "listening on", T_MS);
    assert_non_null(strstr(err, "open-file limit is 24"));
    colon = strrchr(err, ':');
    assert_non_null(colon);
    port = atoi(colon + 1);

    for (i = 0; i < 40; i++) {
        char buf[32];
        size_t n;

        fds[i] = connect_port("127.0.0.1", port);
        n = read_n(fds[i], buf, 9, T_MS);
        if (n == 9 && memcmp(buf, "welcome!\n", 9) == 0) {
            n_ok++;
        } else {
            n += read_n(fds[i], buf + n, 19 - n, T_MS);
            assert_int_equal(n, 19);
            assert_memory_equal(buf, "error: server busy\n", 19);
            n_busy++;
        }
    }
    print_message("emfile: %d served, %d turned away\n", n_ok, n_busy);
    assert_true(n_ok >= 10);
    assert_true(n_busy >= 10);

    /* Clients keep knocking for a second: the server must not spin. */
    cpu0 = proc_cpu_ms(srv.pid);
    for (i = 0; i < 10; i++) {
        fd = connect_port("127.0.0.1", port);
        sleep_ms(100);
        close(fd);
    }
    cpu1 = proc_cpu_ms(srv.pid);
    print_message("emfile: server CPU %ld ms in ~1 s\n", cpu1 - cpu0);
    if (!sanitized())
        assert_true(cpu1 - cpu0 < 300);

    for (i = 0; i < 40; i++)
        close(fds[i]);
    fd = client_when_free(port);        /* served again */
    echo_promptly(fd, "back in business\n", 1000);
    close(fd);
}

/* The soft open-file limit is raised to what --max-clients needs. */
static void raises_open_file_limit(void **state)
{
    char *argv[] = { "/bin/sh", "-c", NULL, NULL };
    char cmd[600], err[512], path[64], line[256];
    FILE *f;
    long soft = -1;
    struct rlimit rl;

    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 600)
        skip();
    snprintf(cmd, sizeof cmd,
             "ulimit -S -n 64 && exec %s -q -b 127.0.0.1 --max-clients 500 0",
             bin_path("tcp-server"));
    argv[2] = cmd;
    proc_start(&srv, argv, 0);
    read_until(srv.err, err, sizeof err, "listening on", T_MS);
    assert_null(strstr(err, "open-file limit"));
    snprintf(path, sizeof path, "/proc/%d/limits", (int)srv.pid);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "Max open files %ld", &soft) == 1)
            break;
    fclose(f);
    assert_true(soft >= 500);
}

/* SIGINT, like SIGTERM: clients told, exit 0 within a second, even with
 * a client in the middle of sending. */
static void sigint_with_clients(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int a = client(port), b = client(port);
    long long t0;

    (void)state;
    send_str(b, "half");
    t0 = ms_now();
    kill(srv.pid, SIGINT);
    expect_str(a, "error: server shutting down\n");
    expect_str(b, "error: server shutting down\n");
    stopped_promptly(&srv, t0);             /* tcp-server(1): within a second */
    close(a);
    close(b);
}

/* 10,000 idle clients cost the server well under 10 MB resident. */
static void ten_thousand_idle_clients(void **state)
{
    enum { N = 10000, BATCH = 100 };
    struct rlimit rl;
    int *fds, port, i, k;
    long rss;

    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < N + 100) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > N + 100
                          ? N + 100 : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < N + 100) {
            print_message("needs %d descriptors, hard limit too low\n", N + 100);
            skip();
        }
    }
    port = server_start(&srv, "/dev/null", "-q", "--max-clients", "10000",
                        "--idle-timeout", "0", NULL);
    fds = malloc(N * sizeof *fds);
    assert_non_null(fds);
    for (i = 0; i < N; i += BATCH) {
        for (k = i; k < i + BATCH; k++)
            fds[k] = connect_port("127.0.0.1", port);
        for (k = i; k < i + BATCH; k++)
            expect_str(fds[k], "welcome!\n");
    }
    echo_promptly(fds[N - 1], "last one\n", 1000);
    rss = proc_rss_kb(srv.pid);
    print_message("10000 idle clients: server RSS %ld KiB\n", rss);
    /* A thread per client costs its stack: the bound is the event-loop
     * designs' (fork's parent holds no client at all). */
    if (!sanitized() && strcmp(test_model(), "thread") != 0)
        assert_true(rss > 0 && rss < 10 * 1024);
    for (i = 0; i < N; i++)
        close(fds[i]);
    free(fds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(idle_timeout_cuts_only_the_silent),
        proc_test(idle_timeout_zero_is_off),
        proc_test(max_clients_turns_extra_away),
        proc_test(default_line_limit),
        proc_test(last_words_are_not_reset_away),
        proc_test(flooding_non_reader),
        proc_test(resets_and_vanishing_clients),
        proc_test(max_clients_counts_open_sessions),
        proc_test(not_reading_replies),
        proc_test(slow_steady_reader_is_not_cut),
        proc_test(slow_reader_gets_everything_in_order),
        proc_test(emfile_neither_spins_nor_stops),
        proc_test(raises_open_file_limit),
        proc_test(sigint_with_clients),
        proc_test(ten_thousand_idle_clients),
    };

    return cmocka_run_group_tests_name("server faults", tests, NULL, NULL);
}
