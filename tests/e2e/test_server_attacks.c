/*
 * test_server_attacks.c - tcp-server against what an attacker on the
 * same host tried (docs/robustness.md): a storm of connections, readers of
 * the server's stdout and stderr that stop reading, the signals that stop
 * it, one address holding every slot, TCP urgent data, and text that
 * would disguise itself in the server's log.  Real programs, loopback,
 * ports the kernel picks.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE   /* F_SETPIPE_SZ: a small pipe fills fast */
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
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "promptly.h"
#include "testutil.h"

#define T_MS 5000

/* A pipe we read from, shrunk to one page so that it fills at once. */
static void small_pipe(int fd)
{
    int size = fcntl(fd, F_SETPIPE_SZ, 4096);

    if (size < 0 || size > 8192)
        fail_msg("cannot shrink the pipe: %s", strerror(errno));
}

/*
 * A burst: 1000 connections in flight at once (4000 in all, each one
 * replaced as soon as it has its first line and has closed).  With a
 * backlog below the burst the accept queue overflows and some clients,
 * though connected as far as their kernel knows, wait for ever for a
 * first line, while the server serves those who came after them.  Every
 * one must get "welcome!" or "error: server busy", and none may be left
 * behind.  What the test asserts is that promise, not a speed: a client
 * still waiting while FLIGHT clients launched after it have had their
 * line was left behind (the accept queue is first come, first served, so
 * a working server never lets a whole burst overtake anyone), and a
 * server that answers nobody for STALL_MS while clients wait has stopped.
 * How long a busy machine makes clients wait is only reported.
 *
 * max_clients: NULL for the default, or a limit that turns most away.
 * hold: keep every welcomed client connected until all TOTAL = FLIGHT
 * have had their line, so that more than max_clients are connected at
 * once and at least FLIGHT - max_clients must be told busy.
 */
static void storm(const char *max_clients, int hold)
{
    enum { FLIGHT = 1000, STALL_MS = 10000 };
    const int total = hold ? FLIGHT : 4000;
    static struct pollfd pf[FLIGHT];
    static long long since[FLIGHT];
    static int seq[FLIGHT], overtaken[FLIGHT], welcome_fd[FLIGHT];
    static char got[FLIGHT][24];
    static size_t have[FLIGHT];
    struct sockaddr_in a;
    int port, launched = 0, done = 0, welcomed = 0, busy = 0, held = 0, i;
    long long last_answer = ms_now(), longest = 0;

    want_fds(FLIGHT + 64);
    port = max_clients == NULL
               ? server_start(&srv, "/dev/null", "-q", NULL)
               : server_start(&srv, "/dev/null", "-q", "--max-clients",
                              max_clients, NULL);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < FLIGHT; i++)
        pf[i].fd = -1;
    while (done < total) {
        long long now = ms_now();

        for (i = 0; i < FLIGHT && launched < total; i++) {
            int fd;

            if (pf[i].fd >= 0 || (hold && launched >= FLIGHT))
                continue;
            fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            assert_true(fd >= 0);
            if (connect(fd, (struct sockaddr *)&a, sizeof a) == -1 &&
                errno != EINPROGRESS)
                fail_msg("storm: connect %d: %s", launched, strerror(errno));
            pf[i].fd = fd;
            pf[i].events = POLLIN;
            since[i] = now;
            seq[i] = launched++;
            overtaken[i] = 0;
            have[i] = 0;
        }
        (void)poll(pf, FLIGHT, 100);
        now = ms_now();
        for (i = 0; i < FLIGHT; i++) {
            char *nl;
            ssize_t n;
            int j;

            if (pf[i].fd < 0)
                continue;
            if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP))) {
                if (overtaken[i] >= FLIGHT)
                    fail_msg("storm: a client waited %lld ms for a first "
                             "line while %d launched after it had theirs "
                             "(%d answered, %d launched)", now - since[i],
                             overtaken[i], done, launched);
                if (now - last_answer > STALL_MS)
                    fail_msg("storm: no client answered in %d ms, %d of %d "
                             "still waiting", STALL_MS, launched - done,
                             launched);
                continue;
            }
            n = read(pf[i].fd, got[i] + have[i], sizeof got[i] - 1 - have[i]);
            if (n <= 0)
                fail_msg("storm: closed before a first line: %s",
                         n == 0 ? "EOF" : strerror(errno));
            have[i] += (size_t)n;
            got[i][have[i]] = '\0';
            nl = strchr(got[i], '\n');
            if (nl == NULL && have[i] < sizeof got[i] - 1)
                continue;
            if (strcmp(got[i], "welcome!\n") == 0)
                welcomed++;
            else if (strcmp(got[i], "error: server busy\n") == 0)
                busy++;
            else
                fail_msg("storm: first line '%s'", got[i]);
            if (now - since[i] > longest)
                longest = now - since[i];
            last_answer = now;
            for (j = 0; j < FLIGHT; j++)      /* those it overtook */
                if (pf[j].fd >= 0 && seq[j] < seq[i])
                    overtaken[j]++;
            if (hold && got[i][0] == 'w')
                welcome_fd[held++] = pf[i].fd;   /* stays connected */
            else
                close(pf[i].fd);
            pf[i].fd = -1;
            done++;
        }
    }
    print_message("storm: %d welcomed, %d told busy; the longest wait for "
                  "a first line was %lld ms\n", welcomed, busy, longest);
    for (i = 0; i < held; i++)
        close(welcome_fd[i]);
    assert_int_equal(welcomed + busy, total);
    if (hold) {
        /* All connected at once: the limit's worth served, the rest
         * turned away. */
        int max = atoi(max_clients);

        assert_true(welcomed > 0);
        assert_true(busy >= FLIGHT - max);
        assert_int_equal(welcomed, max);
    }
}

static void connection_storm_everyone_answered(void **state)
{
    (void)state;
    storm(NULL, 0);
}

/* 1000 clients connected at once, every one kept until all have their
 * line, with room for 100 sessions: 100 are welcomed and the 900 others
 * are told busy, each with its line, none left waiting. */
static void connection_storm_busy_answered(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    (void)state;
    storm("100", 1);
}

/*
 * stdout is a pipe nobody reads (a paused pager).  Lines of one client
 * fill it and the log queue behind it; that client and a newcomer are
 * still served promptly, lines are dropped (whole lines) and counted,
 * and the count is reported once the reader reads again.
 */
static void stuck_stdout_costs_log_lines_not_service(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    static char line[1000], out[1 << 16];
    char err[1024];
    int port, a, b, i;
    long long end;
    size_t n;
    const char *said;

    (void)state;
    port = server_start(&srv, NULL, "-q", NULL);
    small_pipe(srv.out);
    memset(line, 's', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    a = client(port);
    for (i = 0; i < 400; i++) {             /* 400 KB of log: far too much */
        send_mem(a, line, sizeof line);
        expect_mem(a, line, sizeof line);
    }
    b = client(port);
    echo_promptly(b, "served while stdout is stuck\n", 1000);
    echo_promptly(a, "and so am I\n", 1000);

    /* The reader reads again: the count follows. */
    end = ms_now() + T_MS;
    err[0] = '\0';
    n = 0;
    while (ms_now() < end && strstr(err, "log lines dropped\n") == NULL) {
        struct pollfd p = { srv.err, POLLIN, 0 };

        while (read_n(srv.out, out, sizeof out, 20) > 0)
            ;
        if (poll(&p, 1, 20) == 1) {
            ssize_t k = read(srv.err, err + n, sizeof err - 1 - n);
            if (k > 0)
                n += (size_t)k;
            err[n] = '\0';
        }
    }
    said = strstr(err, "tcp-server: ");
    if (said == NULL || strstr(said, " log lines dropped\n") == NULL)
        fail_msg("no drop count on stderr: '%s'", err);
    assert_true(atol(said + strlen("tcp-server: ")) > 0);
    print_message("stuck stdout: %s", said);
    close(a);
    close(b);
}

/* What the server wrote to stdout after the reader came back is whole
 * lines: dropping never cuts one. */
static void dropped_lines_are_whole_lines(void **state)
{
    static char line[600], out[1 << 20];
    char peer[SOCK_ADDR_TEXT_MAX], want[800];
    int port, a, i;
    size_t n = 0, at;

    (void)state;
    port = server_start(&srv, NULL, "-q", NULL);
    small_pipe(srv.out);
    a = client(port);
    local_name(a, peer, sizeof peer);
    memset(line, 'w', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (i = 0; i < 600; i++) {
        send_mem(a, line, sizeof line);
        expect_mem(a, line, sizeof line);
    }
    send_str(a, "quit\n");
    expect_clean_close(a);
    close(a);
    /* The reader comes back: read stdout until it stays quiet. */
    for (;;) {
        size_t k = read_n(srv.out, out + n, sizeof out - n, 500);
        if (k == 0)
            break;
        n += k;
    }
    kill(srv.pid, SIGTERM);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    snprintf(want, sizeof want, "%s: %.*s\n", peer, (int)sizeof line - 1, line);
    for (at = 0; at < n; at += strlen(want)) {
        if (n - at >= strlen(want) &&
            memcmp(out + at, want, strlen(want)) == 0)
            continue;
        if (n - at == strlen(peer) + 7 &&
            memcmp(out + at + strlen(peer), ": quit\n", 7) == 0)
            break;   /* the quit line, if it was not dropped too */
        fail_msg("stdout at byte %zu is not a whole line: '%.40s'", at,
                 out + at);
    }
    print_message("%zu bytes of whole lines kept of %d lines\n", n, 601);
}

/*
 * stderr is a pipe nobody reads: a few hundred connects and disconnects
 * fill it.  Every client is still welcomed within a second, and SIGTERM
 * still ends the server within a second, stuck log and all.
 */
static void stuck_stderr_and_sigterm(void **state)
{
    int port, i, fd;
    long long t0;

    (void)state;
    port = server_start(&srv, "/dev/null", NULL);
    small_pipe(srv.err);
    for (i = 0; i < 300; i++) {
        t0 = ms_now();
        fd = client(port);
        promise_of_time("a welcome", ms_now() - t0, 1000);
        send_str(fd, "quit\n");
        expect_fin(fd);
        close(fd);
    }
    fd = client(port);
    t0 = ms_now();
    kill(srv.pid, SIGTERM);
    expect_str(fd, "error: server shutting down\n");
    stopped_promptly(&srv, t0);
    print_message("stuck stderr: SIGTERM to exit in %lld ms\n", ms_now() - t0);
    close(fd);
}

/* stdout and stderr into one file keep their order: a connect comes
 * before the client's lines, the lines before its disconnect. */
static void stdout_and_stderr_in_order(void **state)
{
    char path[] = "/tmp/tcp-server-log-XXXXXX";
    char cmd[700], buf[2048], peer[SOCK_ADDR_TEXT_MAX], want[1024];
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    int tmp = mkstemp(path), port = 0, fd;
    long long end = ms_now() + T_MS;

    (void)state;
    assert_true(tmp >= 0);
    close(tmp);
    snprintf(cmd, sizeof cmd, "exec %s -b 127.0.0.1 0 >%s 2>&1",
             bin_path("tcp-server"), path);
    proc_start(&srv, argv, 0);
    while (port == 0 && ms_now() < end) {
        const char *colon;

        (void)read_file(path, buf, sizeof buf, 0);
        if (strchr(buf, '\n') != NULL && (colon = strrchr(buf, ':')) != NULL)
            port = atoi(colon + 1);
        else
            sleep_ms(10);
    }
    assert_true(port > 0);
    fd = client(port);
    local_name(fd, peer, sizeof peer);
    echo_promptly(fd, "hello\n", 1000);
    send_str(fd, "quit\n");
    expect_clean_close(fd);
    close(fd);
    kill(srv.pid, SIGTERM);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    (void)read_file(path, buf, sizeof buf, 1);
    snprintf(want, sizeof want,
             "listening on 127.0.0.1:%d\nconnected %s\n%s: hello\n%s: quit\n"
             "disconnected %s (quit)\n", port, peer, peer, peer, peer);
    assert_string_equal(buf, want);
}

/* After SIGINT, SIGTERM or SIGHUP the server accepts no one: while it
 * still says goodbye to its clients, a new connection is refused. */
static void stop_signals_stop_accepting(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    size_t k;

    (void)state;
    for (k = 0; k < sizeof sigs / sizeof sigs[0]; k++) {
        int port = server_start(&srv, "/dev/null", "-q", NULL);
        int old = client(port);
        char ps[16];
        struct sock_err why;

        /* `old` neither reads nor closes: the server stays up, saying
         * goodbye, for most of its second. */
        kill(srv.pid, sigs[k]);
        expect_str(old, "error: server shutting down\n");
        assert_true(kill(srv.pid, 0) == 0);   /* still running */
        snprintf(ps, sizeof ps, "%d", port);
        if (sock_connect_to("127.0.0.1", ps, AF_INET, T_MS, &why) != -1 ||
            errno != ECONNREFUSED)
            fail_msg("signal %d: a new client was not refused: %s", sigs[k],
                     why.msg);
        exits_promptly(&srv, 2000);
        close(old);
    }
}

/* A client whose handshake the kernel finished but the server had not
 * yet accepted when the signal came is told too, not reset: the server
 * is stopped (SIGSTOP) while it connects, then gets SIGTERM. */
static void stop_tells_clients_not_yet_accepted(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int queued;

    (void)state;
    assert_int_equal(kill(srv.pid, SIGSTOP), 0);
    queued = connect_port("127.0.0.1", port);   /* the kernel takes it */
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    assert_int_equal(kill(srv.pid, SIGCONT), 0);
    expect_str(queued, "error: server shutting down\n");
    expect_fin(queued);
    exits_promptly(&srv, 2000);
    close(queued);
}

/* Started with SIGHUP ignored (nohup), the server keeps it ignored and
 * goes on serving when the terminal goes; SIGTERM still stops it. */
static void nohup_is_respected(void **state)
{
    char cmd[600], err[256];
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    const char *colon;
    int port, fd;

    (void)state;
    snprintf(cmd, sizeof cmd, "trap '' HUP; exec %s -q -b 127.0.0.1 0",
             bin_path("tcp-server"));
    proc_start(&srv, argv, 0);
    read_until(srv.err, err, sizeof err, "\n", T_MS);
    colon = strrchr(err, ':');
    assert_non_null(colon);
    port = atoi(colon + 1);
    fd = client(port);
    assert_int_equal(kill(srv.pid, SIGHUP), 0);
    echo_promptly(fd, "the terminal closed; I am still served\n", 1000);
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    expect_str(fd, "error: server shutting down\n");
    exits_promptly(&srv, 2000);
    close(fd);
}

/* SIGHUP (the terminal closed) stops the server like SIGTERM: every
 * client is told, exit 0 within a second. */
static void sighup_stops_like_sigterm(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int a = client(port), b = client(port);
    long long t0;

    (void)state;
    send_str(b, "half a line");
    t0 = ms_now();
    kill(srv.pid, SIGHUP);
    expect_str(a, "error: server shutting down\n");
    expect_str(b, "error: server shutting down\n");
    expect_fin(a);
    stopped_promptly(&srv, t0);
    close(a);
    close(b);
}

/* A TCP client socket from `src` (a loopback address) to 127.0.0.1. */
static int connect_from(const char *src, int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* --max-per-ip: one address cannot take every slot.  A third session
 * from 127.0.0.1 is told busy; 127.0.0.2 is still served; a slot freed
 * by quit is free again. */
static void max_per_ip_limits_one_address(void **state)
{
    skip_if_one_at_a_time();   /* needs clients at once */
    int port = server_start(&srv, "/dev/null", "-q", "--max-per-ip", "2",
                            NULL);
    int a = client(port), b = client(port), c, d;

    (void)state;
    c = connect_port("127.0.0.1", port);
    expect_str(c, "error: server busy\n");
    expect_clean_close(c);
    close(c);
    d = connect_from("127.0.0.2", port);
    expect_str(d, "welcome!\n");
    echo_promptly(d, "another address\n", 1000);
    send_str(a, "quit\n");
    expect_fin(a);
    close(a);
    c = client_when_free(port);
    echo_promptly(c, "my turn\n", 1000);
    close(b);
    close(c);
    close(d);
}

/* Urgent data is part of the stream: "ab\n", an urgent "c", "d\n" come
 * back as "ab\ncd\n", every byte. */
static void urgent_data_echoed_in_line(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int fd = client(port);

    (void)state;
    send_str(fd, "ab\n");
    expect_str(fd, "ab\n");
    assert_int_equal(send(fd, "c", 1, MSG_OOB), 1);
    send_str(fd, "d\n");
    expect_str(fd, "cd\n");
    close(fd);
}

/* A right-to-left override or a zero-width space in a line reaches the
 * log escaped; the echo is still byte for byte. */
static void bidi_and_invisible_escaped_in_log(void **state)
{
    static const char line[] = "evil\xe2\x80\xaetxt.exe \xe2\x80\x8bx\n";
    char path[] = "/tmp/tcp-server-out-XXXXXX";
    char out[512], peer[SOCK_ADDR_TEXT_MAX], want[512];
    int tmp = mkstemp(path), port, fd;

    (void)state;
    assert_true(tmp >= 0);
    close(tmp);
    port = server_start(&srv, path, "-q", "--once", NULL);
    fd = client(port);
    local_name(fd, peer, sizeof peer);
    send_str(fd, line);
    expect_str(fd, line);
    close(fd);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    (void)read_file(path, out, sizeof out, 1);
    snprintf(want, sizeof want,
             "%s: evil\\xe2\\x80\\xaetxt.exe \\xe2\\x80\\x8bx\n", peer);
    assert_string_equal(out, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(connection_storm_everyone_answered),
        proc_test(connection_storm_busy_answered),
        proc_test(stuck_stdout_costs_log_lines_not_service),
        proc_test(dropped_lines_are_whole_lines),
        proc_test(stuck_stderr_and_sigterm),
        proc_test(stdout_and_stderr_in_order),
        proc_test(stop_signals_stop_accepting),
        proc_test(stop_tells_clients_not_yet_accepted),
        proc_test(nohup_is_respected),
        proc_test(sighup_stops_like_sigterm),
        proc_test(max_per_ip_limits_one_address),
        proc_test(urgent_data_echoed_in_line),
        proc_test(bidi_and_invisible_escaped_in_log),
    };

    return cmocka_run_group_tests_name("server attacks", tests, NULL, NULL);
}
