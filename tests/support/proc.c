/*
 * proc.c - running the real programs from a test (proc.h).  Failures
 * inside are test failures (cmocka asserts).
 *
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
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
#include <sys/wait.h>
#include <cmocka.h>

#include "env.h"
#include "net.h"
#include "proc.h"

void proc_clear(struct proc *p)
{
    p->pid = 0;
    p->in = p->out = p->err = -1;
}

const char *bin_path(const char *name)
{
    static char path[4][512];
    static int k;
    const char *dir = getenv("TCP_BIN_DIR");
    char *p = path[k++ % 4];

    snprintf(p, sizeof path[0], "%s/%s", dir != NULL ? dir : "build", name);
    return p;
}

void proc_start(struct proc *p, char *const argv[], int with_stdin)
{
    proc_start_io(p, argv, with_stdin ? NULL : "/dev/null", NULL);
}

static void start(struct proc *p, char *const argv[], const char *in_path,
                  const char *out_path, int (*before_exec)(void));

void proc_start_io(struct proc *p, char *const argv[], const char *in_path,
                   const char *out_path)
{
    start(p, argv, in_path, out_path, NULL);
}

void proc_start_with(struct proc *p, char *const argv[], int with_stdin,
                     int (*before_exec)(void))
{
    start(p, argv, with_stdin ? NULL : "/dev/null", NULL, before_exec);
}

static void start(struct proc *p, char *const argv[], const char *in_path,
                  const char *out_path, int (*before_exec)(void))
{
    int in[2], out[2], err[2];

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    fflush(NULL);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int fd;

        if (in_path == NULL)
            dup2(in[0], 0);
        else if ((fd = open(in_path, O_RDONLY)) == -1 || dup2(fd, 0) == -1)
            _exit(126);
        if (out_path == NULL)
            dup2(out[1], 1);
        else if ((fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
                     -1 || dup2(fd, 1) == -1)
            _exit(126);
        dup2(err[1], 2);
        /* Close everything else, the test's sockets included. */
        for (fd = 3; fd < 1024; fd++)
            close(fd);
        /* Signals as a terminal's foreground job has them, whatever this
         * test inherited (a background job starts with SIGINT ignored). */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (before_exec != NULL && before_exec() == -1)
            _exit(125);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    if (in_path != NULL)
        proc_close_in(p);
    if (out_path != NULL) {
        close(p->out);
        p->out = -1;
    }
}

void proc_close_in(struct proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

static void close_pipes(struct proc *p)
{
    proc_close_in(p);
    if (p->out >= 0)
        close(p->out);
    if (p->err >= 0)
        close(p->err);
    p->out = p->err = -1;
}

int proc_wait(struct proc *p, int timeout_ms)
{
    long long end = ms_now() + timeout_ms;
    int st;

    if (p->pid <= 0)
        return -1;
    while (ms_now() < end) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        {
            struct timespec pause = { 0, 2000000 };   /* 2 ms */
            nanosleep(&pause, NULL);
        }
    }
    proc_kill(p);
    return -1;
}

void proc_kill(struct proc *p)
{
    if (p->pid > 0) {
        long long end = ms_now() + 3000;

        /* SIGTERM first: a program that exits normally keeps what it
         * must write at exit (a coverage build's counts among them). */
        kill(p->pid, SIGTERM);
        while (waitpid(p->pid, NULL, WNOHANG) == 0) {
            struct timespec pause = { 0, 2000000 };   /* 2 ms */

            if (ms_now() >= end) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
                break;
            }
            nanosleep(&pause, NULL);
        }
        p->pid = 0;
    }
    close_pipes(p);
}

char server_said[256];
char server_early[8192];

static int vserver_start(struct proc *p, const char *out_path, int loopback,
                         const char *arg, va_list ap)
{
    char *argv[24];
    char buf[512];
    const char *colon, *line;
    size_t n = 0, i;
    int local = 0;

    argv[n++] = (char *)bin_path("tcp-server");
    /* TCP_MODEL runs a suite against one design (make test does each). */
    if (getenv("TCP_MODEL") != NULL && getenv("TCP_MODEL")[0] != '\0') {
        argv[n++] = "--model";
        argv[n++] = getenv("TCP_MODEL");
    }
    for (; arg != NULL && n < 20; arg = va_arg(ap, const char *))
        argv[n++] = (char *)arg;
    for (i = 1; i < n; i++) {
        if (strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "-4") == 0 ||
            strcmp(argv[i], "-6") == 0)
            loopback = 0;
        if (strcmp(argv[i], "-U") == 0)
            local = 1;    /* a path: no address, no port */
    }
    if (loopback && !local) {
        argv[n++] = "-b";
        argv[n++] = "127.0.0.1";
    }
    if (!local)
        argv[n++] = "0";
    argv[n] = NULL;
    proc_start_io(p, argv, "/dev/null", out_path);
    /* Trace mode writes its lines for socket, bind and listen first. */
    read_until(p->err, server_early, sizeof server_early, "listening on ", 5000);
    line = strncmp(server_early, "listening on ", 13) == 0
               ? server_early : strstr(server_early, "\nlistening on ");
    if (line != NULL && line != server_early)
        line++;
    if (line != NULL && strchr(line, '\n') == NULL) {
        size_t have = strlen(server_early);
        read_until(p->err, server_early + have, sizeof server_early - have,
                   "\n", 5000);
    }
    if (line == NULL || strchr(line, '\n') == NULL) {
        proc_kill(p);
        fail_msg("server did not start: '%s'", server_early);
    }
    snprintf(buf, sizeof buf, "%.*s", (int)(strchr(line, '\n') + 1 - line), line);
    colon = strrchr(buf, ':');
    assert_non_null(colon);
    snprintf(server_said, sizeof server_said, "%.250s", buf);
    return local ? 0 : atoi(colon + 1);
}

int server_start(struct proc *p, const char *out_path, const char *arg, ...)
{
    va_list ap;
    int port;

    va_start(ap, arg);
    port = vserver_start(p, out_path, 1, arg, ap);
    va_end(ap);
    return port;
}

int server_start_dual(struct proc *p, const char *out_path, const char *arg,
                      ...)
{
    va_list ap;
    int port;

    va_start(ap, arg);
    port = vserver_start(p, out_path, 0, arg, ap);
    va_end(ap);
    return port;
}
