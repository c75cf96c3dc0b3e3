/*
 * mock_syscalls.h - fake system calls for the unit tests.  Each call in
 * the Makefile's WRAPS list is linked with -Wl,--wrap=NAME, so the code
 * under test reaches __wrap_NAME here.  A wrap passes through to the real
 * call until a test scripts it with mock_script(); then each call takes
 * its result from cmocka's queue:
 *
 *     will_return(__wrap_NAME, RESULT);          a result >= 0, or
 *     will_return(__wrap_NAME, -1);              a failure, followed by
 *     will_return(__wrap_NAME, ERRNO);           the errno to set, or
 *     will_return(__wrap_NAME, MOCK_REAL);       "do the real call this time".
 *
 * recv copies its bytes from mock_recv_feed(); send records what it was
 * given in mock_sent; getsockopt(SO_ERROR) queues the error value;
 * getaddrinfo returning 0 hands out the list built by mock_gai_add().
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef MOCK_SYSCALLS_H
#define MOCK_SYSCALLS_H

#include <stddef.h>
#include <sys/socket.h>

enum mock_call {
    MOCK_SOCKET, MOCK_BIND, MOCK_LISTEN, MOCK_ACCEPT, MOCK_CONNECT,
    MOCK_RECV, MOCK_SEND, MOCK_CLOSE, MOCK_GETADDRINFO, MOCK_POLL,
    MOCK_GETSOCKOPT, MOCK_SETSOCKOPT, MOCK_SHUTDOWN, MOCK_RECVFROM,
    MOCK_SENDTO,
    MOCK_FREEADDRINFO, /* counted only: every list must be freed */
    MOCK_NCALLS
};

/* accept() and accept4() share one script: queue their results with
 * will_return(mock_accept, ...), whichever of the two libsock uses. */
long mock_accept(void);

/* Queue this value to let one scripted call go to the real system call. */
#define MOCK_REAL (-1000)

/* Queue one scripted failure, -1 with errno `err`, for wrap `fn`. */
#define FAIL_WITH(fn, err)      \
    do {                        \
        will_return(fn, -1);    \
        will_return(fn, err);   \
    } while (0)

/* Never opened: only scripted calls ever see this descriptor. */
#define NOFD 900

/* How many times each wrap ran since mock_reset(), scripted or not. */
extern unsigned mock_count[MOCK_NCALLS];

/* Everything send() was given while scripted, and the length of each call. */
extern char mock_sent[65536];
extern size_t mock_sent_len;
extern size_t mock_send_asked[256];
extern size_t mock_send_calls;

/* Script `call`: from now on it answers from the cmocka queue. */
void mock_script(enum mock_call call);

/* Back to real calls everywhere; counters, feeds and lists emptied.
 * Use it in every test's setup and teardown. */
void mock_reset(void);
int mock_reset_group(void **state);

/* A test with mock_reset() for its setup and teardown, for the suites
 * that need nothing more: mock_unit_test(name) in the test table. */
#define mock_unit_test(f) \
    cmocka_unit_test_setup_teardown(f, mock_reset_group, mock_reset_group)

/* Bytes a scripted recv() hands out, in order, across calls. */
void mock_recv_feed(const void *bytes, size_t len);

/* Append an address to the list a scripted getaddrinfo() returns. */
void mock_gai_add(const struct sockaddr *sa, socklen_t len);

/* The lowest free descriptor number: after a failure it must not change. */
int mock_lowest_free_fd(void);

#endif /* MOCK_SYSCALLS_H */
