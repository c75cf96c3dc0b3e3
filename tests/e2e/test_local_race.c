/*
 * test_local_race.c - two tcp-server -U on one path, whatever the timing:
 * exactly one serves the path, and the other exits 1 with the line a
 * server already listening there gets.  The windows between the steps
 * of the opening sequence (and of the removal at exit) last only a few
 * system calls, so the test holds one server inside a step with a
 * preloaded shim (tests/support/preload/hold_call.c), starts the second
 * in that window, waits until the second has come as far as it can
 * (the lock, or with no lock, its own "listening on"), and only then
 * lets the first go on.  No sleep decides anything.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "libsock.h"
#include "env.h"
#include "fixture.h"
#include "net.h"
#include "scratch.h"
#include "testutil.h"

#define T_MS 5000   /* the longest any single step may take */

static char dir[64], path[128], held[160], go[160], came[160];
static char shim[PATH_MAX], asan[512];

/* What the next server started through hold() preloads: which call it
 * holds, the file it creates there, the file it waits for. */
static const char *hold_name, *hold_mark, *hold_go;

static int setup(void **state)
{
    const char *a = getenv("ASAN_OPTIONS");

    procs_setup(state);
    if (scratch_make("test_local_race", dir, sizeof dir, path,
                     sizeof path) == -1)
        return -1;
    snprintf(held, sizeof held, "%s/held", dir);
    snprintf(go, sizeof go, "%s/go", dir);
    snprintf(came, sizeof came, "%s/came", dir);
    {
        /* LD_PRELOAD wants a path that does not depend on the cwd. */
        const char *so = bin_path("tests/support/preload/hold_call.so");
        char cwd[PATH_MAX - 200];

        if (so[0] == '/')
            snprintf(shim, sizeof shim, "%s", so);
        else if (getcwd(cwd, sizeof cwd) != NULL)
            snprintf(shim, sizeof shim, "%s/%s", cwd, so);
        else
            return -1;
        if (access(shim, R_OK) != 0)
            return -1;
    }
    /* A sanitizer build wants its runtime first; the shim comes first. */
    snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0",
             a != NULL ? a : "", a != NULL && a[0] != '\0' ? ":" : "");
    return 0;
}

static int teardown(void **state)
{
    procs_teardown(state);
    return scratch_remove(dir);
}

/* In the child, just before exec: the shim and what it is to do. */
static int preload(void)
{
    if (setenv("LD_PRELOAD", shim, 1) == -1 ||
        setenv("ASAN_OPTIONS", asan, 1) == -1 ||
        setenv("HOLD_CALL", hold_name, 1) == -1 ||
        setenv("HOLD_MARK", hold_mark, 1) == -1)
        return -1;
    if (hold_go != NULL)
        return setenv("HOLD_GO", hold_go, 1);
    return unsetenv("HOLD_GO");
}

/* Start tcp-server -U path with the shim: at its first `call` it creates
 * `mark`, and waits for `go_file` if that is not NULL. */
static void start_held(struct proc *p, const char *call, const char *mark,
                       const char *go_file)
{
    char *argv[] = { (char *)bin_path("tcp-server"), "-U", path, NULL };

    hold_name = call;
    hold_mark = mark;
    hold_go = go_file;
    proc_start_with(p, argv, 0, preload);
}

static void wait_file(const char *f)
{
    long long end = ms_now() + T_MS;

    while (access(f, F_OK) != 0) {
        if (ms_now() >= end)
            fail_msg("%s did not appear within %d ms", f, T_MS);
        sleep_ms(2);
    }
}

/*
 * The second server has come as far as it can while the first is held:
 * it reached the lock (its shim created `came`), or it said something
 * (with no lock it goes all the way to "listening on"), or it exited.
 * What it said so far is kept in said.
 */
static void wait_until_it_came(struct proc *p, char *said, size_t cap)
{
    long long end = ms_now() + T_MS;
    size_t n = 0;

    said[0] = '\0';
    for (;;) {
        struct pollfd pfd = { p->err, POLLIN, 0 };

        if (access(came, F_OK) == 0)
            return;
        if (poll(&pfd, 1, 2) == 1) {
            /* A line, or EOF: it has done what it could. */
            n += read_until(p->err, said + n, cap - n, "\n", T_MS);
            return;
        }
        if (ms_now() >= end)
            fail_msg("the second server did nothing within %d ms", T_MS);
    }
}

static void let_go(void)
{
    int fd = open(go, O_WRONLY | O_CREAT, 0600);

    assert_true(fd >= 0);
    close(fd);
}

/* The loser: exit 1 and the one line a server already there gets. */
static void refused(struct proc *p, const char *said)
{
    char err[512], want[300];
    size_t n = strlen(said);
    int st = proc_wait(p, T_MS);

    assert_true(n < sizeof err);
    memcpy(err, said, n + 1);
    read_until(p->err, err + n, sizeof err - n, NULL, T_MS);
    snprintf(want, sizeof want,
             "tcp-server: bind unix:%s: %s: a server is listening there\n",
             path, strerror(EADDRINUSE));
    if (st != 1)
        fail_msg("want the second server to exit 1, got %d; it said '%s'",
                 st, err);
    assert_string_equal(err, want);
}

/* The survivor: it said it listens, and a client at path is served. */
static void serves(struct proc *p)
{
    char line[300], want[300];
    struct sock_err why;
    int fd;

    snprintf(want, sizeof want, "listening on unix:%s\n", path);
    read_until(p->err, line, sizeof line, "\n", T_MS);
    /* Its first line; the loser's probe may be logged after it. */
    if (strncmp(line, want, strlen(want)) != 0)
        fail_msg("want '%s' first, got '%s'", want, line);
    fd = sock_connect_local(path, T_MS, &why);
    if (fd == -1)
        fail_msg("nobody serves %s: %s", path, why.msg);
    expect_str(fd, "welcome!\n");
    echo_within(fd, "who is there\n", T_MS);
    close(fd);
}

/* A socket file nobody listens on: what a killed server leaves. */
static void make_stale(const char *p)
{
    struct sockaddr_un sun;
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(sock_local_addr(p, &sun, &len), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
    close(fd);
}

/* B starts while A has bound and not yet listened.  Without a lock,
 * B's probe is refused (A is not listening), B removes A's file, binds
 * and serves; A listens on a name nobody can reach any more. */
static void second_between_bind_and_listen(void **state)
{
    char said[512];

    (void)state;
    start_held(&srv, "listen", held, go);
    wait_file(held);
    start_held(&srv2, "flock", came, NULL);
    wait_until_it_came(&srv2, said, sizeof said);
    let_go();
    serves(&srv);
    refused(&srv2, said);
}

/* B found a stale file and decided to remove it; A starts before the
 * unlink.  Without a lock, A removes the stale file, binds and serves;
 * then B's unlink removes A's file, and B serves alone, A unreachable. */
static void second_between_stale_and_unlink(void **state)
{
    char said[512];

    (void)state;
    make_stale(path);
    start_held(&srv, "unlink", held, go);
    wait_file(held);
    start_held(&srv2, "flock", came, NULL);
    wait_until_it_came(&srv2, said, sizeof said);
    let_go();
    serves(&srv);
    refused(&srv2, said);
}

/* A is stopping: its listener is closed, it has checked that the file
 * is its own and is about to remove it; B starts.  Without a lock, B
 * finds the file stale, replaces it and serves; then A removes B's
 * file.  With it, A removes its own, and B binds the free path. */
static void second_while_the_first_removes_its_file(void **state)
{
    char said[512], line[300];

    (void)state;
    start_held(&srv, "unlink", held, go);
    read_until(srv.err, line, sizeof line, "\n", T_MS);
    assert_int_equal(kill(srv.pid, SIGTERM), 0);
    wait_file(held);
    start_held(&srv2, "flock", came, NULL);
    wait_until_it_came(&srv2, said, sizeof said);
    let_go();
    assert_int_equal(proc_wait(&srv, T_MS), 0);
    if (said[0] != '\0') {
        /* It went all the way before the first went on (no lock). */
        char want[300];

        snprintf(want, sizeof want, "listening on unix:%s\n", path);
        assert_string_equal(said, want);
        {
            struct sock_err why;
            int fd = sock_connect_local(path, T_MS, &why);

            if (fd == -1)
                fail_msg("the second server said it listens, but nobody "
                         "serves %s: %s", path, why.msg);
            close(fd);
        }
    } else {
        serves(&srv2);
    }
}

/* A server killed by SIGKILL leaves its socket file and its lock file;
 * neither stops the next server. */
static void killed_server_is_replaced(void **state)
{
    char lock[160], line[300];
    struct stat st;

    (void)state;
    {
        char *argv[] = { (char *)bin_path("tcp-server"), "-U", path, NULL };

        proc_start(&srv, argv, 0);
        read_until(srv.err, line, sizeof line, "\n", T_MS);
        assert_int_equal(kill(srv.pid, SIGKILL), 0);
        assert_int_equal(proc_wait(&srv, T_MS), 128 + SIGKILL);
    }
    snprintf(lock, sizeof lock, "%s.lock", path);
    assert_int_equal(lstat(lock, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    {
        char *argv[] = { (char *)bin_path("tcp-server"), "-U", path, NULL };

        proc_start(&srv2, argv, 0);
        serves(&srv2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(second_between_bind_and_listen, setup, teardown),
        cmocka_unit_test_setup_teardown(second_between_stale_and_unlink, setup, teardown),
        cmocka_unit_test_setup_teardown(second_while_the_first_removes_its_file, setup, teardown),
        cmocka_unit_test_setup_teardown(killed_server_is_replaced, setup, teardown),
    };

    return cmocka_run_group_tests_name("tcp-server -U, two at once", tests, NULL, NULL);
}
