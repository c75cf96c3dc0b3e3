/*
 * test_fork.c - what the fork design (--model fork) promises beyond what
 * every design does: a child holds only its own client's socket, a stop
 * with many children tells every client and leaves none behind, a
 * child's log lines reach a slow pipe whole, and a client the server
 * cannot make a process for is told it is busy.  Run for real over
 * loopback.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): unshare */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
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
#include <cmocka.h>

#include "libsock.h"
#include "fixture.h"
#include "promptly.h"
#include "testutil.h"

#define T_MS 5000

/* A process as /proc/PID/stat names it: its parent and start time (so
 * that a PID used again by another process is not taken for it). */
static int stat_of(pid_t pid, pid_t *ppid, unsigned long long *start)
{
    char path[64], buf[1024], *rp;
    FILE *f;
    int ok;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    ok = fgets(buf, sizeof buf, f) != NULL && (rp = strrchr(buf, ')')) != NULL &&
         sscanf(rp + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
                "%*d %*d %*d %*d %*d %*d %llu", ppid, start) == 2;
    fclose(f);
    return ok ? 0 : -1;
}

/* The children of pid (at most max), with their start times. */
static size_t children_of(pid_t pid, pid_t *kids, unsigned long long *start,
                          size_t max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while (n < max && (e = readdir(d)) != NULL) {
        pid_t k = (pid_t)atoi(e->d_name), pp;
        unsigned long long st;

        if (k > 0 && stat_of(k, &pp, &st) == 0 && pp == pid) {
            kids[n] = k;
            start[n++] = st;
        }
    }
    closedir(d);
    return n;
}

/* The child serving the client whose welcome was just read: the one
 * child of srv that is not among the `n` known. */
static pid_t new_child(const pid_t *known, size_t n)
{
    long long end = ms_now() + T_MS;

    while (ms_now() < end) {
        pid_t kids[16];
        unsigned long long st[16];
        size_t k = children_of(srv.pid, kids, st, 16), i, j;

        for (i = 0; i < k; i++) {
            for (j = 0; j < n && known[j] != kids[i]; j++)
                ;
            if (j == n)
                return kids[i];
        }
        sleep_ms(10);
    }
    fail_msg("no new child of the server");
    return -1;
}

/* 1 if /proc/net/FILE lists a socket of that inode. */
static int net_lists_inode(const char *file, unsigned long inode)
{
    char path[64], line[512];
    FILE *f;
    int found = 0;

    snprintf(path, sizeof path, "/proc/net/%s", file);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        unsigned long ino;

        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu", &ino) == 1)
            found = ino == inode;
    }
    fclose(f);
    return found;
}

struct fds {
    int tcp, unix_sock, pipe, other;
    char others[512];
};

/* What process pid holds beyond descriptors 0, 1 and 2. */
static void fds_of(pid_t pid, struct fds *f)
{
    char dir[64], path[600], target[256];
    struct dirent *e;
    DIR *d;

    memset(f, 0, sizeof *f);
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        unsigned long ino;
        ssize_t n;

        if (e->d_name[0] == '.' || atoi(e->d_name) <= 2)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (sscanf(target, "socket:[%lu]", &ino) == 1 &&
            (net_lists_inode("tcp", ino) || net_lists_inode("tcp6", ino)))
            f->tcp++;
        else if (sscanf(target, "socket:[%lu]", &ino) == 1)
            f->unix_sock++;
        else if (strncmp(target, "pipe:", 5) == 0)
            f->pipe++;
        else {
            f->other++;
            snprintf(f->others + strlen(f->others),
                     sizeof f->others - strlen(f->others), " %s=%s",
                     e->d_name, target);
        }
    }
    closedir(d);
}

/*
 * A child forked while the parent says goodbye to clients it turned away
 * holds none of their sockets, nor the parent's spare /dev/null: one TCP
 * socket (its client's), its log's socket and its wake pipe.  The client
 * turned away gets its notice and EOF.
 */
static void child_holds_only_its_client(void **state)
{
    int port = server_start(&srv, "/dev/null", "-q", "--model", "fork",
                            "--max-clients", "1", NULL);
    int a = client(port), b, c, d;
    pid_t kids[2];
    struct fds f;

    (void)state;
    kids[0] = new_child(NULL, 0);
    /* b and c are turned away; they do not close, so the parent holds
     * their goodbyes (a second's drain) while d is forked. */
    b = connect_port("127.0.0.1", port);
    c = connect_port("127.0.0.1", port);
    expect_str(b, "error: server busy\n");
    expect_str(c, "error: server busy\n");
    send_str(a, "quit\n");
    expect_fin(a);
    d = client_when_free(port);
    kids[1] = new_child(kids, 1);
    fds_of(kids[1], &f);
    if (f.tcp != 1 || f.other != 0 || f.unix_sock > 1 || f.pipe > 2)
        fail_msg("the child holds %d TCP sockets (1 is its client's), %d "
                 "others, %d local sockets, %d pipes:%s", f.tcp, f.other,
                 f.unix_sock, f.pipe, f.others);
    expect_fin(b);      /* the notice, then EOF */
    echo_promptly(d, "mine alone\n", 1000);
    close(a);
    close(b);
    close(c);
    close(d);
}

/*
 * SIGTERM with many children (CLIENTS: cheap on a busy 2-CPU machine):
 * every client reads the shutdown notice and EOF, the server exits 0,
 * within the second as a promise of time (promptly.h), and no child is
 * left.
 */
static void sigterm_tells_every_child(void **state)
{
    enum { CLIENTS = 200 };
    static struct pollfd p[CLIENTS];
    static char got[CLIENTS][40];
    static size_t have[CLIENTS];
    static pid_t kids[CLIENTS + 8];
    static unsigned long long start[CLIENTS + 8];
    const char want[] = "error: server shutting down\n";
    int port, i, open = CLIENTS, told = 0;
    size_t nkids, k, left = 0;
    long long t0, end, took;

    (void)state;
    want_fds(CLIENTS + 64);
    port = server_start(&srv, "/dev/null", "-q", "-q", "--model", "fork",
                        NULL);
    for (i = 0; i < CLIENTS; i++) {
        p[i].fd = connect_port("127.0.0.1", port);
        p[i].events = POLLIN;
        have[i] = 0;
    }
    for (i = 0; i < CLIENTS; i++)
        expect_str(p[i].fd, "welcome!\n");
    nkids = children_of(srv.pid, kids, start, CLIENTS + 8);
    assert_int_equal(nkids, CLIENTS);

    t0 = ms_now();
    kill(srv.pid, SIGTERM);
    end = t0 + 2 * T_MS;
    while (open > 0 && ms_now() < end) {
        (void)poll(p, CLIENTS, 100);
        for (i = 0; i < CLIENTS; i++) {
            ssize_t n;

            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(p[i].fd, got[i] + have[i], sizeof got[i] - 1 - have[i]);
            if (n > 0) {
                have[i] += (size_t)n;
                continue;
            }
            told += have[i] == strlen(want) && memcmp(got[i], want, have[i]) == 0;
            close(p[i].fd);     /* at EOF, as a prompt client does */
            p[i].fd = -1;
            open--;
        }
    }
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    took = ms_now() - t0;
    for (i = 0; i < CLIENTS; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    for (k = 0; k < nkids; k++) {
        pid_t pp;
        unsigned long long st;

        left += stat_of(kids[k], &pp, &st) == 0 && st == start[k];
    }
    print_message("stop: %d of %d clients told, %zu of %zu children left, "
                  "exit after %lld ms\n", told, CLIENTS, left, nkids, took);
    assert_int_equal(told, CLIENTS);
    assert_int_equal(left, 0);
    promise_of_time("the stop", took, stop_limit_ms());
}

/*
 * Children log long lines (longer than PIPE_BUF, 4096 bytes) at once
 * into a pipe that a slow reader empties: every line read is whole, one
 * client's line after that client's name.  Lines may be dropped (the
 * reader falls behind), never mixed.
 */
static void log_lines_whole_through_a_slow_pipe(void **state)
{
    enum { CLIENTS = 12, LINES = 8, LEN = 6000 };
    static char line[LEN + 1], buf[CLIENTS * LINES * (LEN + 64)];
    char names[CLIENTS][SOCK_ADDR_TEXT_MAX];
    int fds[CLIENTS], port, i, j, whole = 0;
    size_t have = 0;
    long long quiet_since;
    char *at, *nl;

    (void)state;
    port = server_start(&srv, NULL, "-q", "--model", "fork", NULL);
    for (i = 0; i < CLIENTS; i++) {
        fds[i] = client(port);
        local_name(fds[i], names[i], sizeof names[i]);
    }
    /* Line j of client i: "i j " then its letter, LEN bytes with '\n'. */
    for (j = 0; j < LINES; j++) {
        for (i = 0; i < CLIENTS; i++) {
            int n = snprintf(line, sizeof line, "%d %d ", i, j);

            memset(line + n, 'a' + i, LEN - 1 - (size_t)n);
            line[LEN - 1] = '\n';
            send_mem(fds[i], line, LEN);
        }
        for (i = 0; i < CLIENTS; i++) {
            char echo[LEN];

            assert_int_equal(read_n(fds[i], echo, LEN, T_MS), LEN);
        }
    }
    /* The slow reader: 1 KiB a millisecond, until a second of quiet. */
    quiet_since = ms_now();
    while (ms_now() - quiet_since < 1000 && have < sizeof buf - 1) {
        size_t got = read_n(srv.out, buf + have,
                            sizeof buf - 1 - have < 1024 ? sizeof buf - 1 - have
                                                         : 1024, 1);

        if (got > 0)
            quiet_since = ms_now();
        have += got;
        sleep_ms(1);
    }
    buf[have] = '\0';
    for (at = buf; (nl = strchr(at, '\n')) != NULL; at = nl + 1) {
        int ci = -1, cj = -1, off = 0;
        size_t plen;

        for (i = 0; i < CLIENTS && ci < 0; i++) {
            plen = strlen(names[i]);
            if (strncmp(at, names[i], plen) == 0 && strncmp(at + plen, ": ", 2) == 0)
                ci = i;
        }
        if (ci < 0)
            fail_msg("a log line that names none of the clients: '%.60s'", at);
        at += strlen(names[ci]) + 2;
        if (sscanf(at, "%d %d %n", &i, &cj, &off) != 2 || i != ci)
            fail_msg("client %d's log line holds another's bytes: '%.60s'", ci, at);
        for (j = off; j < LEN - 1; j++)
            if (at[j] != 'a' + ci)
                fail_msg("client %d's line %d is mixed at byte %d: '%.60s'",
                         ci, cj, j, at + j);
        if (at + LEN - 1 != nl)
            fail_msg("client %d's line %d is %ld bytes, not %d", ci, cj,
                     (long)(nl - at), LEN - 1);
        whole++;
    }
    print_message("%d of %d lines logged, every one whole\n", whole,
                  CLIENTS * LINES);
    assert_true(whole > 0);
    assert_true(at == buf + have);      /* nothing after the last line */
    for (i = 0; i < CLIENTS; i++)
        close(fds[i]);
}

/*
 * For proc_start_with(): the server runs as a user of its own (nobody,
 * when we are root: root ignores the limit) in a user namespace of its
 * own, so that the process limit counts its tasks alone, under a limit
 * of 5 tasks: its own three (the serving thread, the log's writer, the
 * children's log relay) and two children.
 */
static int limited_user(void)
{
    struct rlimit rl = { 5, 5 };

    if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
        return -1;
    if (unshare(CLONE_NEWUSER) == -1)
        return -1;
    return setrlimit(RLIMIT_NPROC, &rl);
}

/*
 * Under a process limit (RLIMIT_NPROC, room for two children), the clients after those it can make processes for
 * are told "error: server busy" and closed, like any refusal: none gets
 * a bare EOF, whether fork() fails or the child cannot start.  The
 * failing fork is logged once a second at most.
 */
static void process_limit_says_busy(void **state)
{
    enum { CLIENTS = 12 };
    char *argv[] = { (char *)bin_path("tcp-server"), "--model", "fork", "-q",
                     "-b", "127.0.0.1", "0", NULL };
    char err[8192], got[64];
    const char *colon, *at;
    int fds[CLIENTS], port, i, welcomed = 0, busy = 0, said = 0;
    long long t0;

    (void)state;
    proc_start_with(&srv, argv, 0, limited_user);
    read_until(srv.err, err, sizeof err, "\n", T_MS);
    if (strncmp(err, "listening on ", 13) != 0) {
        const char *ci = getenv("CI");

        if (ci != NULL && strcmp(ci, "true") == 0)
            fail_msg("no server as a user of its own: '%s'", err);
        print_message("no user namespace for the server here ('%s'): "
                      "skipped\n", err);
        skip();
    }
    colon = strrchr(err, ':');
    assert_non_null(colon);
    port = atoi(colon + 1);

    t0 = ms_now();
    for (i = 0; i < CLIENTS; i++) {
        size_t n;

        fds[i] = connect_port("127.0.0.1", port);
        n = read_n(fds[i], got, 9, T_MS);   /* "welcome!\n", or the start of busy */
        if (n == 9 && memcmp(got, "welcome!\n", 9) == 0) {
            welcomed++;
            continue;
        }
        n += read_n(fds[i], got + n, strlen("error: server busy\n") - n, T_MS);
        got[n] = '\0';
        if (strcmp(got, "error: server busy\n") != 0)
            fail_msg("client %d: '%s' (%zu bytes), not a welcome nor "
                     "'error: server busy'", i, got, n);
        expect_fin(fds[i]);
        busy++;
    }
    /* What it said meanwhile: read for half a second more. */
    read_until(srv.err, err, sizeof err, "(a line it never says)", 500);
    proc_kill(&srv);
    for (at = err; (at = strstr(at, "tcp-server: fork: ")) != NULL; at++)
        said++;
    print_message("%d welcomed, %d told busy, %d lines about fork in %lld ms\n",
                  welcomed, busy, said, ms_now() - t0);
    assert_true(welcomed > 0);
    assert_true(busy > 0);
    assert_true(said >= 1);
    assert_true(said <= 1 + (ms_now() - t0) / 1000);
    for (i = 0; i < CLIENTS; i++)
        close(fds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        proc_test(child_holds_only_its_client),
        proc_test(sigterm_tells_every_child),
        proc_test(log_lines_whole_through_a_slow_pipe),
        proc_test(process_limit_says_busy),
    };

    return cmocka_run_group_tests_name("fork", tests, NULL, NULL);
}
