/*
 * test_sock_local.c - libsock's AF_LOCAL helpers on real sockets in a
 * fresh directory (sock_listen_local, sock_connect_local,
 * sock_local_unlink), their error lines, and their failure paths with
 * faked calls: nothing is left open when a step fails.  And UDP's
 * opening helpers' error lines.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "libsock.h"
#include "mock_syscalls.h"
#include "scratch.h"

static char dir[64], path[128];

static int setup(void **state)
{
    (void)state;
    mock_reset();
    if (scratch_make("test_sock_local", dir, sizeof dir, path,
                     sizeof path) == -1)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mock_reset();
    return scratch_remove(dir);
}

static void stat_of(const char *p, unsigned long long *dev,
                    unsigned long long *ino)
{
    struct stat st;

    assert_int_equal(lstat(p, &st), 0);
    *dev = (unsigned long long)st.st_dev;
    *ino = (unsigned long long)st.st_ino;
}

/* Listen, connect, one byte each way: a stream like TCP's. */
static void listen_connect_roundtrip(void **state)
{
    int l, c, a;
    char b;
    unsigned long long dev, ino;

    (void)state;
    l = sock_listen_local(path, 4, NULL);
    assert_true(l >= 0);
    c = sock_connect_local(path, 1000, NULL);
    assert_true(c >= 0);
    a = sock_accept(l, NULL, NULL);
    assert_true(a >= 0);
    assert_int_equal(sock_write(c, "x", 1), 1);
    assert_int_equal(sock_read(a, &b, 1), 1);
    assert_int_equal(b, 'x');
    /* The file is the server's to remove: it stays after close. */
    stat_of(path, &dev, &ino);
    sock_close(a);
    sock_close(c);
    sock_close(l);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(sock_local_unlink(path, dev, ino), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(sock_local_unlink(path, dev, ino), 0);  /* gone: fine */
}

/* SOCK_SEQPACKET: both ends of that type; two writes are two messages,
 * each read whole; a longer one is cut to the buffer and its length
 * told (MSG_TRUNC); end of file reads 0.  A stream client is refused
 * (EPROTOTYPE), and a stream server finds the path in use. */
static void seqpacket_roundtrip(void **state)
{
    struct sock_err why;
    int l, c, a, type = 0;
    socklen_t len = sizeof type;
    char b[16];

    (void)state;
    l = sock_listen_local_type(path, SOCK_SEQPACKET, 4, NULL);
    assert_true(l >= 0);
    assert_int_equal(getsockopt(l, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_SEQPACKET);
    c = sock_connect_local_type(path, SOCK_SEQPACKET, 1000, NULL);
    assert_true(c >= 0);
    a = sock_accept(l, NULL, NULL);
    assert_true(a >= 0);
    assert_int_equal(sock_write(c, "one\n", 4), 4);
    assert_int_equal(sock_write(c, "two\n", 4), 4);
    assert_int_equal(sock_read_msg(a, b, sizeof b), 4);
    assert_memory_equal(b, "one\n", 4);
    assert_int_equal(sock_read_msg(a, b, sizeof b), 4);
    assert_memory_equal(b, "two\n", 4);
    assert_int_equal(sock_write(c, "0123456789", 10), 10);
    assert_int_equal(sock_read_msg(a, b, 4), 10);
    assert_memory_equal(b, "0123", 4);
    assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
    assert_int_equal(sock_read_msg(a, b, sizeof b), 0);

    assert_int_equal(sock_connect_local(path, 1000, &why), -1);
    assert_int_equal(errno, EPROTOTYPE);
    assert_int_equal(sock_listen_local(path, 4, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    assert_non_null(strstr(why.msg, "a server is listening there"));
    sock_close(a);
    sock_close(c);
    sock_close(l);
    /* Stale now: a seqpacket server replaces it as a stream one would. */
    l = sock_listen_local_type(path, SOCK_SEQPACKET, 4, NULL);
    assert_true(l >= 0);
    sock_close(l);
}

/* A full accept queue: connect waits, then gives up with ETIMEDOUT. */
static void connect_waits_for_queue_room(void **state)
{
    struct sock_err why;
    int l, fds[8], n = 0, c;
    char want[SOCK_ERR_MAX];

    (void)state;
    l = sock_listen_local(path, 0, NULL);
    assert_true(l >= 0);
    /* Fill the queue (backlog 0 holds one or two) without accepting. */
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_un sun;
        socklen_t len;

        assert_true(fd >= 0);
        assert_int_equal(sock_local_addr(path, &sun, &len), 0);
        if (connect(fd, (struct sockaddr *)&sun, len) == -1) {
            assert_int_equal(errno, EAGAIN);
            close(fd);
            break;
        }
        assert_true(n < 8);
        fds[n++] = fd;
    }
    c = sock_connect_local(path, 200, &why);
    assert_int_equal(c, -1);
    assert_int_equal(errno, ETIMEDOUT);
    snprintf(want, sizeof want, "connect unix:%s: %s", path, strerror(ETIMEDOUT));
    assert_string_equal(why.msg, want);
    while (n > 0)
        close(fds[--n]);
    sock_close(l);
}

/* The error lines: name too long, live server, not a socket, none. */
static void error_lines(void **state)
{
    struct sock_err why;
    char name[SOCK_LOCAL_PATH_MAX + 2], want[SOCK_ERR_MAX];
    int l;

    (void)state;
    memset(name, 'n', sizeof name);
    name[sizeof name - 1] = '\0';
    assert_int_equal(sock_listen_local(name, 1, &why), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    snprintf(want, sizeof want,
             "bind unix:%.40s...: File name too long (%zu bytes; a local address holds %zu)",
             name, sizeof name - 1, (size_t)SOCK_LOCAL_PATH_MAX);
    assert_string_equal(why.msg, want);
    assert_int_equal(sock_connect_local(name, 100, &why), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_non_null(strstr(why.msg, "connect unix:"));

    l = sock_listen_local(path, 1, NULL);
    assert_true(l >= 0);
    assert_int_equal(sock_listen_local(path, 1, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    snprintf(want, sizeof want, "bind unix:%s: %s: a server is listening there",
             path, strerror(EADDRINUSE));
    assert_string_equal(why.msg, want);
    sock_close(l);

    /* Now stale: a new listener replaces the file. */
    l = sock_listen_local(path, 1, &why);
    assert_true(l >= 0);
    sock_close(l);

    assert_int_equal(unlink(path), 0);
    {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
    }
    assert_int_equal(sock_listen_local(path, 1, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    snprintf(want, sizeof want, "bind unix:%s: %s: not a socket, left alone",
             path, strerror(EADDRINUSE));
    assert_string_equal(why.msg, want);
    assert_int_equal(access(path, F_OK), 0);    /* the file stays */
    /* sock_local_unlink will not touch what is not a socket. */
    assert_int_equal(sock_local_unlink(path, 0, 0), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(sock_local_unlink("@abstract", 0, 0), 0);
}

/* A failing step leaves no descriptor open and errno as it failed. */
static void failures_leave_nothing_open(void **state)
{
    int lowest = mock_lowest_free_fd();
    struct sock_err why;

    (void)state;
    mock_script(MOCK_LISTEN);
    will_return(__wrap_listen, -1);
    will_return(__wrap_listen, ENOBUFS);
    assert_int_equal(sock_listen_local(path, 1, &why), -1);
    assert_int_equal(errno, ENOBUFS);
    assert_non_null(strstr(why.msg, "listen unix:"));
    assert_int_equal(mock_lowest_free_fd(), lowest);

    mock_reset();
    mock_script(MOCK_CONNECT);
    will_return(__wrap_connect, -1);
    will_return(__wrap_connect, EACCES);
    assert_int_equal(sock_connect_local(path, 100, &why), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(mock_lowest_free_fd(), lowest);

    mock_reset();
    mock_script(MOCK_SOCKET);
    will_return(__wrap_socket, -1);
    will_return(__wrap_socket, EMFILE);
    assert_int_equal(sock_connect_local(path, 100, &why), -1);
    assert_int_equal(errno, EMFILE);
    assert_non_null(strstr(why.msg, "socket unix:"));
}

/* PATH.lock: held only while a server starts, so a listener leaves no
 * descriptor behind but its own; the file stays, for the next server. */
static void lock_is_held_only_while_starting(void **state)
{
    char lock[160];
    struct stat st;
    int lowest = mock_lowest_free_fd(), l;

    (void)state;
    l = sock_listen_local(path, 1, NULL);
    assert_int_equal(l, lowest);
    assert_int_equal(mock_lowest_free_fd(), l + 1);
    snprintf(lock, sizeof lock, "%s.lock", path);
    assert_int_equal(lstat(lock, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 077, 0);   /* only its owner may lock it */
    sock_close(l);
}

/* Another holds PATH.lock (a server starting, as far as anyone can
 * tell): after a bounded wait, EADDRINUSE and nothing at PATH; the
 * removal at exit gives up sooner, and leaves the file. */
static void lock_held_by_another(void **state)
{
    struct sock_err why;
    char lock[160], want[SOCK_ERR_MAX];
    unsigned long long dev, ino;
    int held, l;

    (void)state;
    snprintf(lock, sizeof lock, "%s.lock", path);
    held = open(lock, O_RDONLY | O_CREAT, 0600);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX), 0);
    assert_int_equal(sock_listen_local(path, 1, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    snprintf(want, sizeof want,
             "bind unix:%s: %s: another server is starting there", path,
             strerror(EADDRINUSE));
    assert_string_equal(why.msg, want);
    assert_int_equal(access(path, F_OK), -1);

    assert_int_equal(flock(held, LOCK_UN), 0);
    l = sock_listen_local(path, 1, NULL);
    assert_true(l >= 0);
    stat_of(path, &dev, &ino);
    assert_int_equal(flock(held, LOCK_EX), 0);
    assert_int_equal(sock_local_unlink(path, dev, ino), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    assert_int_equal(access(path, F_OK), 0);
    close(held);    /* the lock goes with it */
    assert_int_equal(sock_local_unlink(path, dev, ino), 0);
    assert_int_equal(access(path, F_OK), -1);
    sock_close(l);
}

/* What is at PATH.lock is never followed or taken for a lock file: a
 * symbolic link (its target is not created) or a FIFO (no hang). */
static void lock_file_that_is_not_one(void **state)
{
    struct sock_err why;
    char lock[160], target[160], want[SOCK_ERR_MAX];

    (void)state;
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    assert_int_equal(symlink(target, lock), 0);
    assert_int_equal(sock_listen_local(path, 1, &why), -1);
    assert_int_equal(errno, ELOOP);
    snprintf(want, sizeof want, "lock %s: %s", lock, strerror(ELOOP));
    assert_string_equal(why.msg, want);
    assert_int_equal(access(target, F_OK), -1);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(unlink(lock), 0);

    assert_int_equal(mkfifo(lock, 0600), 0);
    assert_int_equal(sock_listen_local(path, 1, &why), -1);
    assert_int_equal(errno, EEXIST);
    snprintf(want, sizeof want, "lock %s: not a regular file, left alone",
             lock);
    assert_string_equal(why.msg, want);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(lock, F_OK), 0);
}

/* A directory that is not there: the line bind would have given, since
 * neither the lock file nor the socket file can be made in it. */
static void lock_in_a_missing_directory(void **state)
{
    struct sock_err why;
    char p[160], want[SOCK_ERR_MAX];

    (void)state;
    snprintf(p, sizeof p, "%s/none/s.sock", dir);
    assert_int_equal(sock_listen_local(p, 1, &why), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(want, sizeof want, "bind unix:%s: %s", p, strerror(ENOENT));
    assert_string_equal(why.msg, want);
}

/* UDP's opening helpers: a port taken is one line naming it; the
 * connected socket of sock_udp_connect has its peer fixed. */
static void udp_open_errors(void **state)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    struct sock_err why;
    char port[16], want[SOCK_ERR_MAX];
    int s = sock_udp_open("127.0.0.1", "0", AF_INET, NULL), c;

    (void)state;
    assert_true(s >= 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    assert_int_equal(sock_udp_open("127.0.0.1", port, AF_INET, &why), -1);
    assert_int_equal(errno, EADDRINUSE);
    snprintf(want, sizeof want, "bind 127.0.0.1:%s: %s", port,
             strerror(EADDRINUSE));
    assert_string_equal(why.msg, want);
    c = sock_udp_connect("127.0.0.1", port, AF_INET, NULL);
    assert_true(c >= 0);
    len = sizeof a;
    assert_int_equal(getpeername(c, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(ntohs(a.sin_port), atoi(port));
    sock_close(c);
    sock_close(s);
    /* A service name /etc/services does not know: no lookup leaves the host. */
    assert_int_equal(sock_udp_connect("127.0.0.1", "no-such-service", AF_INET,
                                      &why), -1);
    assert_non_null(strstr(why.msg, "resolve 127.0.0.1:no-such-service: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(listen_connect_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(connect_waits_for_queue_room, setup, teardown),
        cmocka_unit_test_setup_teardown(seqpacket_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(error_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_is_held_only_while_starting, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_held_by_another, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_file_that_is_not_one, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_in_a_missing_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_leave_nothing_open, setup, teardown),
        cmocka_unit_test_setup_teardown(udp_open_errors, setup, teardown),
    };

    return cmocka_run_group_tests_name("sock_local", tests, NULL, NULL);
}
