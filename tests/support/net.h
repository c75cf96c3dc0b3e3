/*
 * net.h - sockets for a test (listeners, clients, ports nobody listens
 * on), reading and writing any descriptor (a socket or a pipe) with a
 * deadline, and talking to tcp-server.  Every wait here is bounded.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_NET_H
#define TEST_NET_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

struct sock_err;

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

/* A listening socket of the test's own on 127.0.0.1 with the given
 * backlog, on a port the kernel picks; *port receives it. */
int loopback_listener(int backlog, int *port);

/* A plain TCP client socket connected to host:port (blocking). */
int connect_port(const char *host, int port);

/* A port nobody listens on right now (bound once by the kernel, released). */
int free_port(void);

/* A TCP socket bound to the loopback address of `family` that never
 * listens: while it is open, a connect to *port is refused for sure. */
int refusing_socket(int family, int *port);

/* Close fd with a reset (RST) instead of FIN: SO_LINGER with 0 time. */
void close_with_reset(int fd);

/* The IPv4 address `ip` (dotted text) with `port`, as a sockaddr_in. */
struct sockaddr_in v4(const char *ip, unsigned port);

/* The port of an IPv4 or IPv6 address, in host order. */
unsigned port_of(const struct sockaddr_storage *ss);

/* A port number as the text libsock's functions take, in out. */
void port_text(unsigned port, char *out, size_t size);

/* Can this machine bind ::1 at all? */
int ipv6_available(void);

/* The contract for every descriptor libsock's opening functions return:
 * blocking, close-on-exec, urgent bytes kept in the stream. */
void assert_blocking_cloexec(int fd);

/* why->msg is exactly "STEP WHERE: <strerror(err)>", as libsock words a
 * failed step ("bind 127.0.0.1:8080: Address already in use"). */
void expect_err_msg(const struct sock_err *why, const char *step,
                    const char *where, int err);

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
 * The server ends the session as README.md ("The exchange, in short") says: FIN, and then no
 * reset while the client goes on sending for a moment (300 ms, well
 * within the server's one-second drain).  A server that closes at once
 * after its FIN answers those bytes with a reset, and this fails.
 */
void expect_clean_close(int fd);

#endif /* TEST_NET_H */
