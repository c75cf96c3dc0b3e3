/*
 * test_sock_trace.c - the trace seam: with no hook the wrappers just work;
 * with a recording hook every wrapper reports its call under the
 * article's name, in order, with the bytes moved, the address named and
 * the failure; errno survives a hook that clobbers it; removing the hook
 * stops the events.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "libsock.h"
#include "mock_syscalls.h"
#include "net.h"

/* One event as the hook saw it, copied: the event's pointers are only
 * valid during the call. */
struct rec {
    char call[16];
    char sys[32];   /* the system call really made, "" when the same */
    int fd;
    char args[160];
    int has_data;
    unsigned char data[64];
    size_t len;
    long result;
    int err;
    int has_addr;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    void *arg;
};

#define MAX_EVENTS 64
static struct rec ev[MAX_EVENTS];
static size_t n_ev;
static int clobber_errno;   /* make the hook change errno */

static void record(const struct sock_trace_event *e, void *arg)
{
    struct rec *r;

    if (clobber_errno)
        errno = ERANGE;
    if (n_ev >= MAX_EVENTS) {
        n_ev++;   /* counted, not stored: the test sees too many */
        return;
    }
    r = &ev[n_ev++];
    memset(r, 0, sizeof *r);
    snprintf(r->call, sizeof r->call, "%s", e->call);
    r->fd = e->fd;
    snprintf(r->sys, sizeof r->sys, "%s", e->sys != NULL ? e->sys : "");
    snprintf(r->args, sizeof r->args, "%s", e->args != NULL ? e->args : "");
    r->has_data = e->data != NULL;
    if (e->data != NULL)
        memcpy(r->data, e->data, e->len < sizeof r->data ? e->len : sizeof r->data);
    r->len = e->len;
    r->result = e->result;
    r->err = e->err;
    r->has_addr = e->addr != NULL;
    if (e->addr != NULL && e->addrlen <= sizeof r->addr)
        memcpy(&r->addr, e->addr, e->addrlen);
    r->addrlen = e->addrlen;
    r->arg = arg;
}

static int reset(void **state)
{
    sock_trace_set(NULL, NULL);
    n_ev = 0;
    clobber_errno = 0;
    return mock_reset_group(state);
}

static void assert_event(size_t i, const char *call, int fd, long result,
                         int err)
{
    assert_true(i < n_ev);
    assert_string_equal(ev[i].call, call);
    assert_int_equal(ev[i].fd, fd);
    assert_int_equal(ev[i].result, result);
    assert_int_equal(ev[i].err, err);
}

/* A blocking read that waits at most 5 s: a broken close fails the
 * test instead of hanging it. */
static void bound_reads(int fd)
{
    struct timeval tv = { 5, 0 };

    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
}

/* Tracing off (the default): the wrappers do their work, nothing else. */
static void no_hook_wrappers_work(void **state)
{
    char buf[8];
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    bound_reads(sv[1]);
    assert_int_equal(sock_write(sv[0], "abc", 3), 3);
    assert_int_equal(sock_read(sv[1], buf, sizeof buf), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(sock_close(sv[0]), 0);
    assert_int_equal(sock_read(sv[1], buf, sizeof buf), 0);
    assert_int_equal(sock_close(sv[1]), 0);

    mock_script(MOCK_LISTEN);
    FAIL_WITH(__wrap_listen, EOPNOTSUPP);
    errno = 0;
    assert_int_equal(sock_listen(NOFD, 1), -1);
    assert_int_equal(errno, EOPNOTSUPP);
    assert_int_equal(n_ev, 0);
}

/* The article's whole sequence over loopback: one event per call, in
 * order, with its descriptor, arguments, bytes and address. */
static void loopback_sequence_traced(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int token, lfd, cfd, sfd;
    char buf[16];
    size_t i;

    (void)state;
    sock_trace_set(record, &token);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = sock_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(sock_bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(sock_listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    cfd = sock_socket(AF_INET, SOCK_STREAM, 0);
    assert_true(cfd >= 0);
    assert_int_equal(sock_connect(cfd, (struct sockaddr *)&a, sizeof a), 0);
    {
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        sfd = sock_accept(lfd, (struct sockaddr *)&peer, &plen);
    }
    assert_true(sfd >= 0);
    assert_int_equal(sock_write(cfd, "ping", 4), 4);
    assert_int_equal(sock_read(sfd, buf, sizeof buf), 4);
    assert_int_equal(sock_close(cfd), 0);
    assert_int_equal(sock_close(sfd), 0);
    assert_int_equal(sock_close(lfd), 0);

    assert_int_equal(n_ev, 14);
    for (i = 0; i < n_ev; i++)
        assert_ptr_equal(ev[i].arg, &token);

    assert_event(0, "socket", -1, lfd, 0);
    assert_string_equal(ev[0].args, "AF_INET, SOCK_STREAM, 0");
    assert_false(ev[0].has_addr);

    assert_event(1, "bind", lfd, 0, 0);
    assert_true(ev[1].has_addr);
    assert_int_equal(ev[1].addrlen, sizeof a);
    assert_int_equal(ev[1].addr.ss_family, AF_INET);
    assert_int_equal(port_of(&ev[1].addr), 0);   /* as asked: kernel's choice */

    assert_event(2, "listen", lfd, 0, 0);
    assert_string_equal(ev[2].args, "backlog=4");
    assert_string_equal(ev[2].sys, "");

    assert_event(3, "socket", -1, cfd, 0);

    assert_event(4, "connect", cfd, 0, 0);
    assert_true(ev[4].has_addr);
    assert_int_equal(port_of(&ev[4].addr), ntohs(a.sin_port));
    assert_string_equal(ev[4].sys, "");

    assert_event(5, "accept", lfd, sfd, 0);
    assert_true(ev[5].has_addr);
    assert_int_equal(ev[5].addrlen, sizeof(struct sockaddr_in));
    assert_int_equal(((struct sockaddr_in *)&ev[5].addr)->sin_addr.s_addr,
                     htonl(INADDR_LOOPBACK));
#ifdef __linux__
    assert_string_equal(ev[5].sys, "accept4");   /* accept under its real name */
#endif

    assert_event(6, "write", cfd, 4, 0);
    assert_true(ev[6].has_data);
    assert_int_equal(ev[6].len, 4);
    assert_memory_equal(ev[6].data, "ping", 4);
    assert_string_equal(ev[6].args, "4");
    assert_string_equal(ev[6].sys, "send");

    assert_event(7, "read", sfd, 4, 0);
    assert_true(ev[7].has_data);
    assert_int_equal(ev[7].len, 4);
    assert_memory_equal(ev[7].data, "ping", 4);
    assert_string_equal(ev[7].args, "16");   /* the room asked for */
    assert_string_equal(ev[7].sys, "recv");

    assert_event(8, "close-before", cfd, 0, 0);
    assert_event(9, "close", cfd, 0, 0);
    assert_event(10, "close-before", sfd, 0, 0);
    assert_event(11, "close", sfd, 0, 0);
    assert_event(12, "close-before", lfd, 0, 0);
    assert_event(13, "close", lfd, 0, 0);
}

/* Failing calls: result -1 and the errno; no bytes for a read, the bytes
 * offered for a write. */
static void failing_calls_carry_err(void **state)
{
    struct sockaddr_in a;
    char buf[8];
    int bad = mock_lowest_free_fd();

    (void)state;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    sock_trace_set(record, NULL);
    mock_script(MOCK_SOCKET);
    FAIL_WITH(__wrap_socket, EAFNOSUPPORT);
    mock_script(MOCK_CONNECT);
    FAIL_WITH(__wrap_connect, ECONNREFUSED);
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, ECONNRESET);
    mock_script(MOCK_SEND);
    FAIL_WITH(__wrap_send, EPIPE);

    assert_int_equal(sock_socket(AF_INET6, SOCK_STREAM, 0), -1);
    assert_int_equal(sock_connect(NOFD, (struct sockaddr *)&a, sizeof a), -1);
    assert_int_equal(sock_read(NOFD, buf, sizeof buf), -1);
    assert_int_equal(sock_write(NOFD, "xy", 2), -1);
    assert_int_equal(sock_close(bad), -1);   /* real: EBADF */

    assert_int_equal(n_ev, 6);
    assert_event(0, "socket", -1, -1, EAFNOSUPPORT);
    assert_string_equal(ev[0].args, "AF_INET6, SOCK_STREAM, 0");
    assert_event(1, "connect", NOFD, -1, ECONNREFUSED);
    assert_true(ev[1].has_addr);   /* the address it tried */
    assert_event(2, "read", NOFD, -1, ECONNRESET);
    assert_false(ev[2].has_data);
    assert_int_equal(ev[2].len, 0);
    assert_event(3, "write", NOFD, -1, EPIPE);
    assert_true(ev[3].has_data);
    assert_int_equal(ev[3].len, 2);
    assert_memory_equal(ev[3].data, "xy", 2);
    assert_event(4, "close-before", bad, 0, 0);
    assert_event(5, "close", bad, -1, EBADF);
}

/* accept reports each interrupted attempt it retries, then the result;
 * a failed accept names no address. */
static void accept_retry_traced(void **state)
{
    (void)state;
    sock_trace_set(record, NULL);
    mock_script(MOCK_ACCEPT);
    FAIL_WITH(mock_accept, EINTR);
    will_return(mock_accept, 7);
    FAIL_WITH(mock_accept, EAGAIN);
    assert_int_equal(sock_accept(NOFD, NULL, NULL), 7);
    assert_int_equal(sock_accept(NOFD, NULL, NULL), -1);
    assert_int_equal(n_ev, 3);
    assert_event(0, "accept", NOFD, -1, EINTR);
    assert_event(1, "accept", NOFD, 7, 0);
    assert_event(2, "accept", NOFD, -1, EAGAIN);
    assert_false(ev[2].has_addr);
}

/* The family and the base type are named; SOCK_CLOEXEC riding in the
 * type does not hide SOCK_DGRAM. */
static void socket_args_named(void **state)
{
    int fd;

    (void)state;
    sock_trace_set(record, NULL);
    fd = sock_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    sock_close(fd);
    assert_true(n_ev >= 1);
    assert_event(0, "socket", -1, fd, 0);
    assert_string_equal(ev[0].args, "AF_LOCAL, SOCK_DGRAM, 0");
}

/* shutdown, the half of close, is traced under its own name with the
 * direction in words. */
static void shutdown_traced(void **state)
{
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sock_trace_set(record, NULL);
    assert_int_equal(sock_shutdown(sv[0], SHUT_WR), 0);
    assert_int_equal(sock_shutdown(-1, SHUT_RDWR), -1);
    sock_trace_set(NULL, NULL);
    assert_int_equal(n_ev, 2);
    assert_event(0, "shutdown", sv[0], 0, 0);
    assert_string_equal(ev[0].args, "SHUT_WR");
    assert_event(1, "shutdown", -1, -1, EBADF);
    assert_string_equal(ev[1].args, "SHUT_RDWR");
    close(sv[0]);
    close(sv[1]);
}

/* A hook that clobbers errno changes nothing for the caller, after a
 * failure and after a success. */
static void hook_cannot_change_errno(void **state)
{
    char buf[8];
    int bad = mock_lowest_free_fd();

    (void)state;
    clobber_errno = 1;
    sock_trace_set(record, NULL);
    mock_script(MOCK_LISTEN);
    FAIL_WITH(__wrap_listen, EOPNOTSUPP);
    will_return(__wrap_listen, 0);
    mock_script(MOCK_SOCKET);
    FAIL_WITH(__wrap_socket, EMFILE);
    mock_script(MOCK_RECV);
    FAIL_WITH(__wrap_recv, ECONNRESET);

    errno = 0;
    assert_int_equal(sock_listen(NOFD, 1), -1);
    assert_int_equal(errno, EOPNOTSUPP);

    errno = EDOM;   /* a success leaves errno alone, hook or not */
    assert_int_equal(sock_listen(NOFD, 1), 0);
    assert_int_equal(errno, EDOM);

    errno = 0;
    assert_int_equal(sock_socket(AF_INET, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, EMFILE);

    errno = 0;
    assert_int_equal(sock_read(NOFD, buf, sizeof buf), -1);
    assert_int_equal(errno, ECONNRESET);

    /* close: the hook runs before and after; the caller sees close's. */
    errno = 0;
    assert_int_equal(sock_close(bad), -1);
    assert_int_equal(errno, EBADF);

    assert_int_equal(n_ev, 6);
    assert_int_equal(ev[0].err, EOPNOTSUPP);
    assert_int_equal(ev[5].err, EBADF);
}

/* sock_trace_set(NULL, NULL) stops the events; a new hook gets its arg. */
static void removing_hook_stops_events(void **state)
{
    int first, second;

    (void)state;
    mock_script(MOCK_LISTEN);
    will_return(__wrap_listen, 0);
    will_return(__wrap_listen, 0);
    will_return(__wrap_listen, 0);

    sock_trace_set(record, &first);
    assert_int_equal(sock_listen(NOFD, 1), 0);
    assert_int_equal(n_ev, 1);

    sock_trace_set(NULL, NULL);
    assert_int_equal(sock_listen(NOFD, 1), 0);
    assert_int_equal(sock_close(mock_lowest_free_fd()), -1);
    assert_int_equal(n_ev, 1);

    sock_trace_set(record, &second);
    assert_int_equal(sock_listen(NOFD, 1), 0);
    assert_int_equal(n_ev, 2);
    assert_ptr_equal(ev[0].arg, &first);
    assert_ptr_equal(ev[1].arg, &second);
}

/* The helpers go through the same wrappers, so a whole listen_on is
 * traced, including the cleanup close after a failed bind. */
static void listen_on_traced(void **state)
{
    int fd;

    (void)state;
    sock_trace_set(record, NULL);
    fd = sock_listen_on("127.0.0.1", "0", AF_INET, 8, NULL);
    assert_true(fd >= 0);
    assert_int_equal(n_ev, 3);
    assert_event(0, "socket", -1, fd, 0);
    /* The protocol is getaddrinfo's (0 or IPPROTO_TCP): not checked. */
    assert_int_equal(strncmp(ev[0].args, "AF_INET, SOCK_STREAM, ", 22), 0);
    assert_event(1, "bind", fd, 0, 0);
    assert_event(2, "listen", fd, 0, 0);
    assert_string_equal(ev[2].args, "backlog=8");
    sock_close(fd);

    n_ev = 0;
    mock_script(MOCK_BIND);
    FAIL_WITH(__wrap_bind, EACCES);
    assert_int_equal(sock_listen_on("127.0.0.1", "0", AF_INET, 8, NULL), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(n_ev, 4);
    assert_string_equal(ev[0].call, "socket");
    assert_event(1, "bind", (int)ev[0].result, -1, EACCES);
    assert_event(2, "close-before", (int)ev[0].result, 0, 0);
    assert_event(3, "close", (int)ev[0].result, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_hook_wrappers_work, reset, reset),
        cmocka_unit_test_setup_teardown(loopback_sequence_traced, reset, reset),
        cmocka_unit_test_setup_teardown(failing_calls_carry_err, reset, reset),
        cmocka_unit_test_setup_teardown(accept_retry_traced, reset, reset),
        cmocka_unit_test_setup_teardown(socket_args_named, reset, reset),
        cmocka_unit_test_setup_teardown(shutdown_traced, reset, reset),
        cmocka_unit_test_setup_teardown(hook_cannot_change_errno, reset, reset),
        cmocka_unit_test_setup_teardown(removing_hook_stops_events, reset, reset),
        cmocka_unit_test_setup_teardown(listen_on_traced, reset, reset),
    };

    return cmocka_run_group_tests_name("sock_trace", tests, NULL, NULL);
}
