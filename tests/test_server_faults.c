/*
 * test_server_faults.c - tcp-server under bad input, hostile clients and
 * faults (the server loop's limits and defences): idle timeouts, the
 * client limit, floods from clients that never read, resets, slow
 * clients, running out of descriptors, signals, and the memory that
 * thousands of idle clients cost.  Real programs, loopback, kernel ports.
 *
 * SPDX-License-Identifier: MIT
 */
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
#include "testutil.h"

#define T_MS 5000

static struct proc srv;

static int setup(void **state)
{
    (void)state;
    srv.pid = 0;
    srv.in = srv.out = srv.err = -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    proc_kill(&srv);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Memory and CPU figures mean nothing under a sanitizer's allocator. */
static int sanitized(void)
{
    return getenv("TCP_SANITIZED") != NULL;
}

static void expect_mem(int fd, const char *want, size_t len)
{
    char buf[16384];
    size_t n;

    assert_true(len <= sizeof buf);
    n = read_n(fd, buf, len, T_MS);
    if (n != len || memcmp(buf, want, len) != 0)
        fail_msg("expected '%.*s', got %zu bytes '%.*s'", (int)len, want, n,
                 (int)n, buf);
}

static void expect_str(int fd, const char *want)
{
    expect_mem(fd, want, strlen(want));
}

static void send_str(int fd, const char *s)
{
    assert_int_equal(write_full(fd, s, strlen(s), T_MS), 0);
}

static int client(int port)
{
    int fd = connect_port("127.0.0.1", port);

    expect_str(fd, "welcome!\n");
    return fd;
}

/* A served client, once the server has a free slot: a client told
 * "server busy" tries again, for up to T_MS. */
static int client_when_free(int port)
{
    long long end = ms_now() + T_MS;

    while (ms_now() < end) {
        int fd = connect_port("127.0.0.1", port);
        char buf[9];

        if (read_n(fd, buf, 9, T_MS) == 9 && memcmp(buf, "welcome!\n", 9) == 0)
            return fd;
        close(fd);
        sleep_ms(20);
    }
    fail_msg("no free slot within %d ms", T_MS);
    return -1;
}

/* The peer closes cleanly (FIN, not a reset) within the time. */
static void expect_clean_eof(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    char c;

    assert_int_equal(poll(&p, 1, T_MS), 1);
    assert_int_equal(read(fd, &c, 1), 0);
}

/* A round trip on fd takes less than limit_ms. */
static void echo_within(int fd, const char *line, long limit_ms)
{
    long long t0 = ms_now();

    send_str(fd, line);
    expect_str(fd, line);
    if (ms_now() - t0 >= limit_ms)
        fail_msg("echo took %lld ms", ms_now() - t0);
}

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
        echo_within(busy, "still here\n", 2000);
        assert_int_equal(write_full(slow, &c, 1, T_MS), 0);
        if (told < 0 && poll(&p, 1, 0) == 1)
            told = ms_now();
    }
    /* The silent one was told, not before its second of silence. */
    expect_str(silent, "error: idle timeout\n");
    expect_clean_eof(silent);
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
    echo_within(fd, "after a pause\n", 1000);
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
    expect_clean_eof(c);
    close(c);
    echo_within(a, "a still served\n", 1000);
    echo_within(b, "b still served\n", 1000);
    send_str(a, "quit\n");
    expect_clean_eof(a);
    close(a);
    d = client_when_free(port);        /* a slot is free again */
    echo_within(d, "d served\n", 1000);
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
    expect_clean_eof(fd);
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
    expect_clean_eof(fd);
    close(fd);

    fd = client(port);
    memset(big, 'y', sizeof big);           /* no newline at all */
    assert_int_equal(write_full(fd, big, 32768, T_MS), 0);
    expect_str(fd, "error: line too long (max 64 bytes)\n");
    expect_clean_eof(fd);
    close(fd);
}

/*
 * A client that floods without ever reading (100 MB offered) cannot grow
 * the server's memory: reading it stops while its replies wait.  Another
 * client keeps getting prompt echoes meanwhile.  Bound: the server's
 * resident memory grows by less than 4 MiB.
 */
static void flooding_non_reader(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", NULL);
    int flood = client(port), other = client(port);
    long before = proc_rss_kb(srv.pid), after;
    static char chunk[65536];
    size_t sent = 0, i;
    long long end = ms_now() + 3000, next_echo = 0;

    (void)state;
    for (i = 0; i < sizeof chunk; i++)
        chunk[i] = (i % 100 == 99) ? '\n' : 'f';
    assert_int_equal(sock_set_nonblock(flood, 1), 0);
    while (sent < 100u * 1024 * 1024 && ms_now() < end) {
        ssize_t n = send(flood, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
            fail_msg("flood send: %s", strerror(errno));
        else
            sleep_ms(10);
        if (ms_now() >= next_echo) {
            echo_within(other, "am I slowed down?\n", 1000);
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
    echo_within(other, "still fine\n", 1000);
    close_with_reset(flood);
    close(other);
}

/* Resets mid-line and mid-echo, and clients that vanish: the server
 * goes on serving the others. */
static void resets_and_vanishing_clients(void **state)
{
    int port = server_start(&srv, "/dev/null", NULL);
    int other = client(port), fd, i;
    char err[4096];
    static char lots[1 << 20];

    (void)state;
    fd = client(port);
    send_str(fd, "half a li");
    sleep_ms(50);
    close_with_reset(fd);                   /* reset mid-line */

    fd = client(port);
    for (i = 0; i < (int)sizeof lots; i++)
        lots[i] = (i % 64 == 63) ? '\n' : 'e';
    assert_int_equal(sock_set_nonblock(fd, 1), 0);
    (void)send(fd, lots, sizeof lots, MSG_NOSIGNAL);
    sleep_ms(100);
    close_with_reset(fd);                   /* reset mid-echo */

    fd = connect_port("127.0.0.1", port);
    close(fd);                              /* vanishes at once */

    echo_within(other, "unharmed\n", 1000);
    read_until(srv.err, err, sizeof err, "(reset)", T_MS);
    assert_non_null(strstr(err, "(reset)"));
    close(other);
    kill(srv.pid, SIGTERM);
    assert_int_equal(proc_wait(&srv, T_MS), 0);
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
    echo_within(fd, "back in business\n", 1000);
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
    assert_int_equal(proc_wait(&srv, 2000), 0);
    assert_true(ms_now() - t0 < 1500);   /* SPEC: within a second */
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
    echo_within(fds[N - 1], "last one\n", 1000);
    rss = proc_rss_kb(srv.pid);
    print_message("10000 idle clients: server RSS %ld KiB\n", rss);
    if (!sanitized())
        assert_true(rss > 0 && rss < 10 * 1024);
    for (i = 0; i < N; i++)
        close(fds[i]);
    free(fds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idle_timeout_cuts_only_the_silent, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_timeout_zero_is_off, setup, teardown),
        cmocka_unit_test_setup_teardown(max_clients_turns_extra_away, setup, teardown),
        cmocka_unit_test_setup_teardown(default_line_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(last_words_are_not_reset_away, setup, teardown),
        cmocka_unit_test_setup_teardown(flooding_non_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(resets_and_vanishing_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(emfile_neither_spins_nor_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(raises_open_file_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(sigint_with_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(ten_thousand_idle_clients, setup, teardown),
    };

    return cmocka_run_group_tests_name("server faults", tests, NULL, NULL);
}
