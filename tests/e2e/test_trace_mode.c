/*
 * test_trace_mode.c - trace mode (-t) of both programs, run for real over
 * loopback (tcp-server(1), TRACE MODE): a traced exchange names all eight calls
 * under the article's names with LISTEN, ESTABLISHED, FIN_WAIT and
 * CLOSE_WAIT where the kernel reports them; a client held back by a full
 * accept queue shows SYN_SENT; the handshake lesson (--no-accept,
 * --backlog) queues clients that nobody accepts; and the trace never
 * changes a byte on the wire.
 *
 * The peer each program talks to here is the test itself, so the moment
 * a state is read is under the test's control: a side that shut down is
 * in FIN_WAIT because the test has not closed yet, and so on.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* memmem */ /* NOLINT(bugprone-reserved-identifier) */
#include <errno.h>
#include <poll.h>
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
#include "testutil.h"

#define T_MS 5000

/* What a program has written on a stream so far, kept whole so that a
 * line can be looked for after later ones were read. */
struct seen {
    int fd;
    size_t len;
    char buf[1 << 16];
};
static struct seen srv_err, cli_err;

static void seen_init(struct seen *s, int fd)
{
    s->fd = fd;
    s->len = 0;
    s->buf[0] = '\0';
    if (s == &srv_err) {     /* what server_start() has read already */
        s->len = strlen(server_early);
        memcpy(s->buf, server_early, s->len + 1);
    }
}

/* Wait (at most 5 s) until `needle` has been written; return where.  A
 * miss fails the test and shows everything seen. */
static const char *see(struct seen *s, const char *needle)
{
    long long end = ms_now() + T_MS;

    for (;;) {
        const char *at = strstr(s->buf, needle);
        struct pollfd p = { s->fd, POLLIN, 0 };
        long long left = end - ms_now();
        ssize_t n;

        if (at != NULL)
            return at;
        if (left <= 0 || s->len + 1 >= sizeof s->buf ||
            poll(&p, 1, (int)left) <= 0 ||
            (n = read(s->fd, s->buf + s->len, sizeof s->buf - 1 - s->len)) <= 0) {
            fail_msg("never saw \"%s\" in:\n%s", needle, s->buf);
            return NULL;
        }
        s->len += (size_t)n;
        s->buf[s->len] = '\0';
    }
}

/* The same with a formatted needle. */
static const char *seef(struct seen *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static const char *seef(struct seen *s, const char *fmt, ...)
{
    char needle[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(needle, sizeof needle, fmt, ap);
    va_end(ap);
    return see(s, needle);
}

/* The whole line of s that contains `needle`, copied into out. */
static void line_of(struct seen *s, const char *needle, char *out, size_t size)
{
    const char *at = see(s, needle), *start = at, *end = strchr(at, '\n');

    while (start > s->buf && start[-1] != '\n')
        start--;
    /* Under --model fork or thread a connection's lines name whose they
     * are ("[pid N] ", "[thread N] "): the call is what is compared. */
    if ((strncmp(start, "[pid ", 5) == 0 || strncmp(start, "[thread ", 8) == 0) &&
        strstr(start, "] ") != NULL && strstr(start, "] ") < at)
        start = strstr(start, "] ") + 2;
    if (end == NULL)
        end = at + strlen(at);
    snprintf(out, size, "%.*s", (int)(end - start), start);
}

/* Accept one client within 5 s. */
static int accept_within(int lfd)
{
    struct pollfd p = { lfd, POLLIN, 0 };
    int fd;

    assert_int_equal(poll(&p, 1, T_MS), 1);
    fd = accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    return fd;
}

/* tcp-client -t [extra...] 127.0.0.1 PORT, its stdin a pipe. */
static void start_traced_client(int port, const char *extra)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), "-t", (char *)extra,
                     "127.0.0.1", ps, NULL };

    snprintf(ps, sizeof ps, "%d", port);
    if (extra == NULL) {
        argv[2] = "127.0.0.1";
        argv[3] = ps;
        argv[4] = NULL;
    }
    proc_start(&cli, argv, 1);
    seen_init(&cli_err, cli.err);
}

/*
 * The server's side of the article, traced: socket, bind, listen (state
 * LISTEN with its queue), accept (both ends named, ESTABLISHED), write
 * of the welcome, read and write of each line, shutdown after quit
 * (FIN_WAIT: the test has not closed), close once the test closes; each
 * read and write named as the system call it really is.
 */
static void server_trace_names_the_calls(void **state)
{
    int port = server_start(&srv, "/dev/null", "-t", NULL);
    int c, fd;
    char me[SOCK_ADDR_TEXT_MAX], acc[512];
    const char *at;

    (void)state;
    seen_init(&srv_err, srv.err);
    see(&srv_err, "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n");
    see(&srv_err, "bind(3, 127.0.0.1:0) = 0\n");
    seef(&srv_err, "listen(3, backlog=%d) = 0  state LISTEN  queue 0/%d\n",
         sock_backlog_max(), sock_backlog_max());

    c = client(port);                    /* reads "welcome!\n" */
    local_name(c, me, sizeof me);
    line_of(&srv_err, "accept(3) = ", acc, sizeof acc);
    at = acc + strlen("accept(3) = ");
    fd = atoi(at);
    assert_true(fd > 3);
    {
        char want[256];
        snprintf(want, sizeof want,
                 "accept(3) = %d  peer %s  local 127.0.0.1:%d  state ESTABLISHED%s",
                 fd, me, port,
#ifdef __linux__
                 "  (accept4)"
#else
                 ""
#endif
        );
        assert_string_equal(acc, want);
    }
    seef(&srv_err, "write(%d, \"welcome!\\n\", 9) = 9  (send)\n", fd);

    send_str(c, "hello\n");
    expect_str(c, "hello\n");
    seef(&srv_err, "read(%d, 65536) = 6 \"hello\\n\"  (recv)\n", fd);
    seef(&srv_err, "write(%d, \"hello\\n\", 6) = 6  (send)\n", fd);

    send_str(c, "quit\n");
    seef(&srv_err, "read(%d, 65536) = 5 \"quit\\n\"  (recv)\n", fd);
    {
        char sh[256], want1[64], want2[64];
        snprintf(want1, sizeof want1, "shutdown(%d, SHUT_WR) = 0  state FIN_WAIT1", fd);
        snprintf(want2, sizeof want2, "shutdown(%d, SHUT_WR) = 0  state FIN_WAIT2", fd);
        line_of(&srv_err, "shutdown(", sh, sizeof sh);
        if (strcmp(sh, want1) != 0 && strcmp(sh, want2) != 0)
            fail_msg("after quit: \"%s\", want FIN_WAIT1 or FIN_WAIT2", sh);
    }
    expect_fin(c);
    close(c);
    seef(&srv_err, "close(%d) = 0\n", fd);
    {
        /* A read that got less than it had room for emptied the socket:
         * the server waits for the next bytes instead of reading again
         * only to meet EAGAIN (one system call per line saved). */
        char again[64];
        snprintf(again, sizeof again, "read(%d, 65536) = -1 EAGAIN", fd);
        assert_null(strstr(srv_err.buf, again));
    }
    /* The article's names only: never the system calls' own. */
    assert_null(strstr(srv_err.buf, "recv("));
    assert_null(strstr(srv_err.buf, "send("));
    assert_null(strstr(srv_err.buf, "accept4("));
}

/* The lines one read brings are answered with one write. */
static void one_write_per_read(void **state)
{
    int port = server_start(&srv, "/dev/null", "-t", NULL);
    int c = client(port);

    (void)state;
    seen_init(&srv_err, srv.err);
    send_str(c, "one\ntwo\nthree\n");
    expect_str(c, "one\ntwo\nthree\n");
    see(&srv_err, " = 14 \"one\\ntwo\\nthree\\n\"  (recv)\n");
    see(&srv_err, "\"one\\ntwo\\nthree\\n\", 14) = 14  (send)\n");
    close(c);
}

/* The side that reads the peer's FIN is in CLOSE_WAIT: the server after
 * the test half-closes; and what it still holds is echoed first. */
static void server_reads_fin_close_wait(void **state)
{
    int port = server_start(&srv, "/dev/null", "-t", NULL);
    int c = client(port);

    (void)state;
    seen_init(&srv_err, srv.err);
    send_str(c, "last words");
    assert_int_equal(shutdown(c, SHUT_WR), 0);
    expect_str(c, "last words");
    see(&srv_err, " = 0 end of file: the peer sent FIN  state CLOSE_WAIT  (recv)\n");
    expect_fin(c);
    close(c);
}

/*
 * The client's side, traced against the test's listener: socket,
 * connect (both ends named, ESTABLISHED), read of the welcome, write of
 * each typed line, and at the end of input shutdown: FIN_WAIT while the
 * test keeps its side open.
 */
static void client_trace_names_the_calls(void **state)
{
    int port, lfd = loopback_listener(4, &port), s;
    char me[SOCK_ADDR_TEXT_MAX], buf[16];

    (void)state;
    start_traced_client(port, NULL);
    s = accept_within(lfd);
    {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        assert_int_equal(getpeername(s, (struct sockaddr *)&ss, &len), 0);
        assert_int_equal(sock_addr_text((struct sockaddr *)&ss, len, me, sizeof me), 0);
    }
    see(&cli_err, "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n");
    seef(&cli_err, "connect(3, 127.0.0.1:%d) = 0  local %s  state ESTABLISHED", port, me);

    send_str(s, "welcome!\n");
    see(&cli_err, "read(3, 65536) = 9 \"welcome!\\n\"  (recv)\n");
    assert_int_equal(write_full(cli.in, "hi\n", 3, T_MS), 0);
    assert_int_equal(read_n(s, buf, 3, T_MS), 3);
    see(&cli_err, "write(3, \"hi\\n\", 3) = 3  (send)\n");

    proc_close_in(&cli);                 /* end of input: half-close */
    {
        char sh[128];
        line_of(&cli_err, "shutdown(3, SHUT_WR) = 0", sh, sizeof sh);
        if (strcmp(sh, "shutdown(3, SHUT_WR) = 0  state FIN_WAIT1") != 0 &&
            strcmp(sh, "shutdown(3, SHUT_WR) = 0  state FIN_WAIT2") != 0)
            fail_msg("after end of input: \"%s\", want FIN_WAIT1 or FIN_WAIT2", sh);
    }
    assert_int_equal(read(s, buf, sizeof buf), 0);   /* its FIN */
    close(s);
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    see(&cli_err, "close(3) = 0\n");
    close(lfd);
}

/* The client reads the server's FIN while it still has input: CLOSE_WAIT,
 * then it says the server closed, and closes. */
static void client_reads_fin_close_wait(void **state)
{
    int port, lfd = loopback_listener(4, &port), s;

    (void)state;
    start_traced_client(port, NULL);
    s = accept_within(lfd);
    send_str(s, "welcome!");
    assert_int_equal(shutdown(s, SHUT_WR), 0);
    see(&cli_err, "read(3, 65536) = 0 end of file: the peer sent FIN  state CLOSE_WAIT  (recv)\n");
    see(&cli_err, "closed the connection\n");
    assert_int_equal(proc_wait(&cli, T_MS), 0);
    see(&cli_err, "close(3) = 0\n");
    close(s);
    close(lfd);
}

/*
 * The handshake lesson.  tcp-server --no-accept --backlog 0: the kernel
 * still completes the first client's handshake (ESTABLISHED, in the
 * accept queue, no welcome ever), the server reports the queue; the next
 * client finds the queue full and stays in SYN_SENT, which its trace
 * shows before --timeout ends it.
 */
static void full_queue_shows_syn_sent(void **state)
{
    int port = server_start(&srv, "/dev/null", "-t", "--no-accept",
                            "--backlog", "0", NULL);
    int c1, rc;
    char buf[16];
    long long t0;

    (void)state;
    seen_init(&srv_err, srv.err);
    see(&srv_err, "listen(3, backlog=0) = 0  state LISTEN  queue 0/0\n");
    see(&srv_err, "accept queue 0/0:");

    c1 = connect_port("127.0.0.1", port);     /* handshake done by the kernel */
    see(&srv_err, "accept queue 1/0:");
    {
        struct sock_tcp_info ti;
        assert_int_equal(sock_tcp_state(c1, &ti), 0);
        assert_string_equal(ti.name, "ESTABLISHED");
    }
    assert_int_equal(read_n(c1, buf, 1, 300), 0);   /* nobody says welcome */

    t0 = ms_now();
    start_traced_client(port, "--timeout=1");
    rc = proc_wait(&cli, 4000);
    if (rc == -1)
        fail_msg("the traced client was still connecting after 4 s");
    seef(&cli_err, "connect(3, 127.0.0.1:%d) = -1 EINPROGRESS (Operation now in progress)", port);
    seef(&cli_err, "  state SYN_SENT\n");
    seef(&cli_err, "connect(3, 127.0.0.1:%d) = -1 ETIMEDOUT (Connection timed out), "
                   "gave up after 1000 ms  state SYN_SENT  (poll)\n", port);
    seef(&cli_err, "tcp-client: connect 127.0.0.1:%d: Connection timed out\n", port);
    assert_int_equal(rc, 1);
    assert_true(ms_now() - t0 >= 900);
    /* The server never called accept. */
    assert_null(strstr(srv_err.buf, "accept("));
    close(c1);
}

/* A connect still waiting after a second is reported, state and all. */
static void long_wait_reported(void **state)
{
    int port = server_start(&srv, "/dev/null", "--no-accept", "--backlog",
                            "0", NULL);
    int c1 = connect_port("127.0.0.1", port);

    (void)state;
    start_traced_client(port, "--timeout=3");
    seef(&cli_err, "connect(3, 127.0.0.1:%d) ... waiting for the handshake, "
                   "1 s so far  state SYN_SENT\n", port);
    proc_kill(&cli);      /* the rest is full_queue_shows_syn_sent's */
    close(c1);
}

/* --backlog reaches listen(), and the kernel reports it back. */
static void backlog_option(void **state)
{
    (void)state;
    server_start(&srv, "/dev/null", "-t", "--backlog", "7", NULL);
    seen_init(&srv_err, srv.err);
    see(&srv_err, "listen(3, backlog=7) = 0  state LISTEN  queue 0/7\n");
}

/* A refused connect is traced with its errno by name. */
static void refused_connect_traced(void **state)
{
    int closed, hold = refusing_socket(AF_INET, &closed);

    (void)state;
    start_traced_client(closed, NULL);
    assert_int_equal(proc_wait(&cli, T_MS), 1);
    seef(&cli_err, "connect(3, 127.0.0.1:%d) = -1 ECONNREFUSED (Connection refused)",
         closed);
    see(&cli_err, "close(3) = 0\n");
    close(hold);
}

/* Run tcp-client (traced or not) with `in` as input against port; its
 * stdout in out_path. */
static void run_client(int port, int traced, const char *in, const char *out)
{
    char ps[16];
    char *argv[] = { (char *)bin_path("tcp-client"), "127.0.0.1", ps, NULL,
                     NULL };
    struct proc p;

    snprintf(ps, sizeof ps, "%d", port);
    if (traced) {
        argv[1] = "-t";
        argv[2] = "127.0.0.1";
        argv[3] = ps;
    }
    proc_start_io(&p, argv, in, out);
    assert_int_equal(proc_wait(&p, 10000), 0);
    proc_kill(&p);
}

/*
 * Trace never changes the wire: the same input through an untraced
 * client and server, and through a traced client and traced server,
 * gives the same bytes back: binary bytes, a long line, a line too long,
 * an unterminated last line.
 */
static void trace_keeps_the_wire(void **state)
{
    char in[] = "/tmp/trace-wire-in.XXXXXX";
    char out1[] = "/tmp/trace-wire-1.XXXXXX", out2[] = "/tmp/trace-wire-2.XXXXXX";
    static char a[1 << 16], b[1 << 16];
    int fd, port1, port2;
    size_t na, nb, i;
    struct proc srv2;
    FILE *f;

    (void)state;
    fd = mkstemp(in);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("hello\n", f);
    fwrite("bin\0\x01\xff\r\n", 1, 8, f);
    for (i = 0; i < 3000; i++)
        fputc('a' + (int)(i % 26), f);
    fputc('\n', f);
    for (i = 0; i < 9000; i++)       /* longer than --max-line 8192 */
        fputc('z', f);
    fputs("\nnot echoed\n", f);
    fclose(f);
    assert_true((fd = mkstemp(out1)) >= 0);
    close(fd);
    assert_true((fd = mkstemp(out2)) >= 0);
    close(fd);

    port1 = server_start(&srv, "/dev/null", "-q", NULL);
    run_client(port1, 0, in, out1);
    port2 = server_start(&srv2, "/dev/null", "-t", NULL);
    run_client(port2, 1, in, out2);
    proc_kill(&srv2);

    na = read_file(out1, a, sizeof a, 1);
    nb = read_file(out2, b, sizeof b, 1);
    unlink(in);
    assert_true(na > 3000);
    assert_non_null(memmem(a, na, "error: line too long (max 8192 bytes)\n", 38));
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

/* -t takes no value and is --trace too; both programs say so in --help. */
static void help_names_trace(void **state)
{
    const char *progs[] = { "tcp-server", "tcp-client" };
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        char *argv[] = { (char *)bin_path(progs[i]), "--help", NULL };
        char out[4096];
        struct proc p;

        proc_start(&p, argv, 0);
        read_until(p.out, out, sizeof out, NULL, T_MS);
        assert_int_equal(proc_wait(&p, T_MS), 0);
        proc_kill(&p);
        assert_non_null(strstr(out, "-t, --trace"));
        if (i == 0) {
            assert_non_null(strstr(out, "--backlog N"));
            assert_non_null(strstr(out, "--no-accept"));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(server_trace_names_the_calls),
        proc_test(one_write_per_read),
        proc_test(server_reads_fin_close_wait),
        proc_test(client_trace_names_the_calls),
        proc_test(client_reads_fin_close_wait),
        proc_test(full_queue_shows_syn_sent),
        proc_test(long_wait_reported),
        proc_test(backlog_option),
        proc_test(refused_connect_traced),
        proc_test(trace_keeps_the_wire),
        proc_test(help_names_trace),
    };

    return cmocka_run_group_tests_name("trace mode", tests, NULL, NULL);
}
