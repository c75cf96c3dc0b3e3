/*
 * testutil.h - running the real programs from a test: start a process
 * with pipes on its stdin, stdout and stderr, read from it with a
 * deadline, stop it by its PID.  Every wait here is bounded.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

struct proc {
    pid_t pid;
    int in;    /* write end of its stdin, or -1 */
    int out;   /* read end of its stdout */
    int err;   /* read end of its stderr */
};

/* Path of a built program: $TCP_BIN_DIR/NAME, default build/NAME. */
const char *bin_path(const char *name);

/* Start argv[0] with argv; stdin from /dev/null when with_stdin is 0. */
void proc_start(struct proc *p, char *const argv[], int with_stdin);

/* The same, with stdin read from in_path and/or stdout written to
 * out_path when they are not NULL (then p->in / p->out are -1). */
void proc_start_io(struct proc *p, char *const argv[], const char *in_path,
                   const char *out_path);

/* Close our end of its stdin: the child reads EOF. */
void proc_close_in(struct proc *p);

/* Wait up to timeout_ms for it to exit.  Returns its exit status,
 * 128+N when killed by signal N, or -1 on timeout (it is then killed). */
int proc_wait(struct proc *p, int timeout_ms);

/* Stop it by its PID: SIGTERM, then SIGKILL if it is still there 3 s
 * later; reap it and close the pipes.  Safe to call twice. */
void proc_kill(struct proc *p);

/* Read from fd into buf (NUL-terminated, cap includes the NUL) until
 * `needle` appears, EOF, the buffer is full or timeout_ms passes.
 * Returns the bytes held.  needle NULL: read until EOF. */
size_t read_until(int fd, char *buf, size_t cap, const char *needle,
                  int timeout_ms);

/* Read exactly n bytes (fewer on EOF or timeout); returns how many. */
size_t read_n(int fd, char *buf, size_t n, int timeout_ms);

/* 1 if the peer closes (read gives 0 or a reset) within timeout_ms with
 * no more data, 0 if data comes or the time runs out. */
int read_eof(int fd, int timeout_ms);

/* Write all of len bytes to fd within timeout_ms; returns 0 or -1. */
int write_full(int fd, const void *buf, size_t len, int timeout_ms);

/*
 * Start build/tcp-server with the given extra arguments (NULL-ended) and
 * port 0; wait for "listening on ...:PORT" and return PORT.  Its stdout
 * goes to out_path, or to a pipe (p->out) when out_path is NULL; its
 * stderr stays a pipe (p->err).  It listens on 127.0.0.1 only, unless the
 * arguments name an address or family themselves (-b, -4, -6).  With
 * "-U PATH" among them it listens on that path, adds no address and no
 * port, and returns 0.
 */
int server_start(struct proc *p, const char *out_path, const char *arg, ...);

/* The line the last server_start() read, "listening on ...\n". */
extern char server_said[256];

/* Everything the last server_start() read from the server's stderr:
 * trace lines before "listening on", that line, and perhaps some after. */
extern char server_early[8192];

/* The same on the default dual-stack address, for the tests of it. */
int server_start_dual(struct proc *p, const char *out_path, const char *arg,
                      ...);

/* Wait until something listens on TCP port `port` of this host, looking
 * at the kernel's table (Linux /proc/net/tcp*), never touching the port.
 * Returns 1, or 0 after timeout_ms. */
int wait_listening(int port, int timeout_ms);

/* A listening socket of the test's own on 127.0.0.1 with the given
 * backlog, on a port the kernel picks; *port receives it. */
int loopback_listener(int backlog, int *port);

/* A plain TCP client socket connected to host:port (blocking). */
int connect_port(const char *host, int port);

/* A port nobody listens on right now (bound once by the kernel, released). */
int free_port(void);

/* Make sure this process may hold n descriptors (raising its soft
 * limit); fails the test if the hard limit is lower. */
void want_fds(unsigned long n);

/* The whole of a file (at most size - 1 bytes), NUL-terminated, in buf;
 * returns its length.  With remove set, the file is unlinked after. */
size_t read_file(const char *path, char *buf, size_t size, int remove);

/* A TCP socket bound to the loopback address of `family` that never
 * listens: while it is open, a connect to *port is refused for sure. */
int refusing_socket(int family, int *port);

/* Resident memory of a process in KiB (VmRSS), or -1. */
long proc_rss_kb(pid_t pid);

/* CPU time (user + system) a process has used, in milliseconds, or -1. */
long proc_cpu_ms(pid_t pid);

/* Close fd with a reset (RST) instead of FIN: SO_LINGER with 0 time. */
void close_with_reset(int fd);

/* The server design the suite runs against: TCP_MODEL, or "" for the
 * default.  The iterative design serves one client at a time, so tests
 * that need clients at once skip under it: skip_if_one_at_a_time(). */
const char *test_model(void);
int one_at_a_time(void);
#define skip_if_one_at_a_time()                                              \
    do {                                                                     \
        if (one_at_a_time()) {                                               \
            print_message("the iterative design serves one at a time\n");   \
            skip();                                                          \
        }                                                                    \
    } while (0)

/* Find the program `cmd` on PATH; its full path goes to full.  When it
 * is missing the test is skipped, or fails under CI=true (where every
 * peer must be installed). */
void need_tool(const char *cmd, char *full, size_t size);

/* Milliseconds on a monotonic clock. */
long long ms_now(void);

void sleep_ms(long ms);

/* Memory and CPU figures mean nothing under a sanitizer's allocator
 * (make check sets TCP_SANITIZED). */
int sanitized(void);

/* How long a server may take to exit after SIGINT, SIGTERM or SIGHUP:
 * SPEC section 2 says within a second; a sanitizer's exit (the leak
 * check) is allowed half a second more. */
long stop_limit_ms(void);

/*
 * Talking to tcp-server from a test.  Every step takes at most 5 s; a
 * step that fails is a test failure naming what was expected and got.
 */

/* The next len bytes from fd are exactly `want`. */
void expect_mem(int fd, const char *want, size_t len);
void expect_str(int fd, const char *want);

/* Send all bytes. */
void send_mem(int fd, const void *buf, size_t len);
void send_str(int fd, const char *s);

/* A client of tcp-server on 127.0.0.1:port that has read its welcome. */
int client(int port);

/* The same once the server has a free slot: a client told "server busy"
 * tries again, for up to 5 s. */
int client_when_free(int port);

/* A round trip of `line` on fd takes less than limit_ms. */
void echo_within(int fd, const char *line, long limit_ms);

/* This end of a connected socket as the server names its peer
 * ("127.0.0.1:51012"); out has room for SOCK_ADDR_TEXT_MAX. */
void local_name(int fd, char *out, size_t size);

/* The peer closes its side: read() gives 0 (FIN), with no data before
 * it and no reset instead of it. */
void expect_fin(int fd);

/*
 * The server ends the session as SPEC section 2 asks: FIN, and then no
 * reset while the client goes on sending for a moment (300 ms, well
 * within the server's one-second drain).  A server that closes at once
 * after its FIN answers those bytes with a reset, and this fails.
 */
void expect_clean_close(int fd);

#endif /* TESTUTIL_H */
