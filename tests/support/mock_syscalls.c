/*
 * mock_syscalls.c - the __wrap_ functions behind mock_syscalls.h.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE   /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <cmocka.h>

#include "mock_syscalls.h"

int __real_socket(int domain, int type, int protocol);
int __real_bind(int fd, const struct sockaddr *addr, socklen_t len);
int __real_listen(int fd, int backlog);
int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int __real_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
int __real_close(int fd);
int __real_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
void __real_freeaddrinfo(struct addrinfo *res);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __real_setsockopt(int fd, int level, int name, const void *val,
                      socklen_t len);
int __real_shutdown(int fd, int how);
ssize_t __real_recvfrom(int fd, void *buf, size_t len, int flags,
                        struct sockaddr *addr, socklen_t *alen);
ssize_t __real_sendto(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *addr, socklen_t alen);

unsigned mock_count[MOCK_NCALLS];
char mock_sent[65536];
size_t mock_sent_len;
size_t mock_send_asked[256];
size_t mock_send_calls;

static int scripted[MOCK_NCALLS];

static unsigned char feed[65536];
static size_t feed_len, feed_pos;

#define GAI_MAX 4
static struct addrinfo gai_nodes[GAI_MAX];
static struct sockaddr_storage gai_addrs[GAI_MAX];
static size_t gai_n;

void mock_script(enum mock_call call)
{
    scripted[call] = 1;
}

void mock_reset(void)
{
    memset(scripted, 0, sizeof scripted);
    memset(mock_count, 0, sizeof mock_count);
    mock_sent_len = 0;
    mock_send_calls = 0;
    feed_len = feed_pos = 0;
    gai_n = 0;
}

int mock_reset_group(void **state)
{
    (void)state;
    mock_reset();
    return 0;
}

void mock_recv_feed(const void *bytes, size_t len)
{
    assert_true(feed_len + len <= sizeof feed);
    memcpy(feed + feed_len, bytes, len);
    feed_len += len;
}

void mock_gai_add(const struct sockaddr *sa, socklen_t len)
{
    struct addrinfo *ai;

    assert_true(gai_n < GAI_MAX);
    ai = &gai_nodes[gai_n];
    memset(ai, 0, sizeof *ai);
    memcpy(&gai_addrs[gai_n], sa, len);
    ai->ai_family = sa->sa_family;
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_addr = (struct sockaddr *)&gai_addrs[gai_n];
    ai->ai_addrlen = len;
    if (gai_n > 0)
        gai_nodes[gai_n - 1].ai_next = ai;
    gai_n++;
}

int mock_lowest_free_fd(void)
{
    int fd = fcntl(0, F_DUPFD, 0);

    assert_true(fd >= 0);
    __real_close(fd);
    return fd;
}

/*
 * The common shape: count the call; if not scripted, say so; otherwise
 * take the next result (and errno) from the queue, which cmocka keys by
 * the name of the function this expands in.
 */
#define SCRIPTED(call, result)                                         \
    do {                                                                   \
        mock_count[call]++;                                                \
        if (!scripted[call]) {                                             \
            result = MOCK_REAL;                                            \
            break;                                                         \
        }                                                                  \
        result = mock_type(long);                                          \
        if (result == -1)                                                  \
            errno = mock_type(int);                                        \
    } while (0)

int __wrap_socket(int domain, int type, int protocol)
{
    long r;

    SCRIPTED(MOCK_SOCKET, r);
    return r == MOCK_REAL ? __real_socket(domain, type, protocol) : (int)r;
}

int __wrap_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    long r;

    SCRIPTED(MOCK_BIND, r);
    return r == MOCK_REAL ? __real_bind(fd, addr, len) : (int)r;
}

int __wrap_listen(int fd, int backlog)
{
    long r;

    SCRIPTED(MOCK_LISTEN, r);
    return r == MOCK_REAL ? __real_listen(fd, backlog) : (int)r;
}

long mock_accept(void)
{
    long r;

    SCRIPTED(MOCK_ACCEPT, r);
    return r;
}

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    long r = mock_accept();

    return r == MOCK_REAL ? __real_accept(fd, addr, len) : (int)r;
}

int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    long r = mock_accept();

    return r == MOCK_REAL ? __real_accept4(fd, addr, len, flags) : (int)r;
}

int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    long r;

    SCRIPTED(MOCK_CONNECT, r);
    return r == MOCK_REAL ? __real_connect(fd, addr, len) : (int)r;
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    long r;

    SCRIPTED(MOCK_RECV, r);
    if (r == MOCK_REAL)
        return __real_recv(fd, buf, len, flags);
    if (r > 0) {
        /* The script may not hand out more than the caller has room for. */
        assert_true((size_t)r <= len);
        assert_true(feed_pos + (size_t)r <= feed_len);
        memcpy(buf, feed + feed_pos, (size_t)r);
        feed_pos += (size_t)r;
    }
    return (ssize_t)r;
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    long r;

    SCRIPTED(MOCK_SEND, r);
    if (r == MOCK_REAL)
        return __real_send(fd, buf, len, flags);
    if (mock_send_calls < sizeof mock_send_asked / sizeof mock_send_asked[0])
        mock_send_asked[mock_send_calls] = len;
    mock_send_calls++;
    if (r > 0) {
        assert_true((size_t)r <= len);
        assert_true(mock_sent_len + (size_t)r <= sizeof mock_sent);
        memcpy(mock_sent + mock_sent_len, buf, (size_t)r);
        mock_sent_len += (size_t)r;
    }
    return (ssize_t)r;
}

int __wrap_close(int fd)
{
    long r;

    SCRIPTED(MOCK_CLOSE, r);
    return r == MOCK_REAL ? __real_close(fd) : (int)r;
}

int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res)
{
    long r;

    SCRIPTED(MOCK_GETADDRINFO, r);
    if (r == MOCK_REAL)
        return __real_getaddrinfo(node, service, hints, res);
    if (r == 0) {
        assert_true(gai_n > 0);
        *res = &gai_nodes[0];
    }
    return (int)r;
}

void __wrap_freeaddrinfo(struct addrinfo *res)
{
    mock_count[MOCK_FREEADDRINFO]++;
    /* The scripted list lives in static storage: nothing to free. */
    if (res != &gai_nodes[0])
        __real_freeaddrinfo(res);
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    long r;
    nfds_t i;

    SCRIPTED(MOCK_POLL, r);
    if (r == MOCK_REAL)
        return __real_poll(fds, n, timeout);
    /* A scripted "ready" makes every descriptor ready for what it asked. */
    for (i = 0; i < n; i++)
        fds[i].revents = r > 0 ? fds[i].events : 0;
    return (int)r;
}

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    long r;

    SCRIPTED(MOCK_GETSOCKOPT, r);
    if (r == MOCK_REAL)
        return __real_getsockopt(fd, level, name, val, len);
    if (r == 0 && level == SOL_SOCKET && name == SO_ERROR) {
        /* The next queued value is the handshake's outcome. */
        *(int *)val = mock_type(int);
        *len = sizeof(int);
    }
    return (int)r;
}

int __wrap_setsockopt(int fd, int level, int name, const void *val,
                      socklen_t len)
{
    long r;

    SCRIPTED(MOCK_SETSOCKOPT, r);
    return r == MOCK_REAL ? __real_setsockopt(fd, level, name, val, len)
                          : (int)r;
}

int __wrap_shutdown(int fd, int how)
{
    long r;

    SCRIPTED(MOCK_SHUTDOWN, r);
    return r == MOCK_REAL ? __real_shutdown(fd, how) : (int)r;
}

/* recvfrom: bytes from the recv feed, and no sender address (*alen 0). */
ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags,
                        struct sockaddr *addr, socklen_t *alen)
{
    long r;

    SCRIPTED(MOCK_RECVFROM, r);
    if (r == MOCK_REAL)
        return __real_recvfrom(fd, buf, len, flags, addr, alen);
    if (r > 0) {
        assert_true((size_t)r <= len);
        assert_true(feed_pos + (size_t)r <= feed_len);
        memcpy(buf, feed + feed_pos, (size_t)r);
        feed_pos += (size_t)r;
    }
    if (r >= 0 && alen != NULL)
        *alen = 0;
    return (ssize_t)r;
}

/* sendto: recorded in mock_sent, as send is. */
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *addr, socklen_t alen)
{
    long r;

    SCRIPTED(MOCK_SENDTO, r);
    if (r == MOCK_REAL)
        return __real_sendto(fd, buf, len, flags, addr, alen);
    mock_send_calls++;
    if (r > 0) {
        assert_true(mock_sent_len + (size_t)r <= sizeof mock_sent);
        memcpy(mock_sent + mock_sent_len, buf, (size_t)r);
        mock_sent_len += (size_t)r;
    }
    return (ssize_t)r;
}
