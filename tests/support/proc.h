/*
 * proc.h - running the real programs from a test: start a process with
 * pipes on its stdin, stdout and stderr, wait for it, stop it by its PID;
 * start tcp-server and learn its port.  Every wait here is bounded.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <sys/types.h>

struct proc {
    pid_t pid;
    int in;    /* write end of its stdin, or -1 */
    int out;   /* read end of its stdout */
    int err;   /* read end of its stderr */
};

/* No process and no pipe: what proc_kill() may be given safely. */
void proc_clear(struct proc *p);

/* Path of a built program: $TCP_BIN_DIR/NAME, default build/NAME. */
const char *bin_path(const char *name);

/* Start argv[0] with argv; stdin from /dev/null when with_stdin is 0. */
void proc_start(struct proc *p, char *const argv[], int with_stdin);

/* The same, with stdin read from in_path and/or stdout written to
 * out_path when they are not NULL (then p->in / p->out are -1). */
void proc_start_io(struct proc *p, char *const argv[], const char *in_path,
                   const char *out_path);

/* proc_start() with before_exec() run in the child just before its
 * exec (a namespace entered, say); when that returns -1 the child exits
 * with status 125 instead. */
void proc_start_with(struct proc *p, char *const argv[], int with_stdin,
                     int (*before_exec)(void));

/* Close our end of its stdin: the child reads EOF. */
void proc_close_in(struct proc *p);

/* Wait up to timeout_ms for it to exit.  Returns its exit status,
 * 128+N when killed by signal N, or -1 on timeout (it is then killed). */
int proc_wait(struct proc *p, int timeout_ms);

/* Stop it by its PID: SIGTERM, then SIGKILL if it is still there 3 s
 * later; reap it and close the pipes.  Safe to call twice. */
void proc_kill(struct proc *p);

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

#endif /* TEST_PROC_H */
