/*
 * hold_call.c - a test-only LD_PRELOAD shim that holds a program inside
 * one step of its opening sequence, so that an end-to-end test can run a
 * second program in that window without relying on timing luck.  Built
 * by the Makefile as hold_call.so; never linked into the programs.
 *
 *   HOLD_CALL=NAME  the call to hold: listen, unlink or flock
 *   HOLD_MARK=FILE  created when the first NAME call is reached (the
 *                   test waits for it: the program is in the window)
 *   HOLD_GO=FILE    the call waits until FILE exists (at most 10 s),
 *                   then goes on; without it, it goes on at once
 *
 * Only the first call of NAME is held or marked.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define GO_WAIT_MS 10000

static int done;

/* If this is the call to hold (the first time): mark, then wait for go. */
static void maybe_hold(const char *call)
{
    const char *name = getenv("HOLD_CALL");
    const char *mark = getenv("HOLD_MARK");
    const char *go = getenv("HOLD_GO");
    struct timespec nap = { 0, 5 * 1000000L };
    int fd, waited;

    if (done || name == NULL || strcmp(name, call) != 0)
        return;
    done = 1;
    if (mark != NULL && (fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
        (void)close(fd);
    for (waited = 0; go != NULL && access(go, F_OK) != 0 && waited < GO_WAIT_MS;
         waited += 5)
        (void)nanosleep(&nap, NULL);
}

/* The next definition of a call: libc's (or a sanitizer's in front of it). */
static void *next(const char *call)
{
    void *f = dlsym(RTLD_NEXT, call);

    if (f == NULL)
        abort();
    return f;
}

int listen(int fd, int backlog)
{
    int (*real)(int, int) = (int (*)(int, int))next("listen");

    maybe_hold("listen");
    return real(fd, backlog);
}

int unlink(const char *path)
{
    int (*real)(const char *) = (int (*)(const char *))next("unlink");

    maybe_hold("unlink");
    return real(path);
}

int flock(int fd, int op)
{
    int (*real)(int, int) = (int (*)(int, int))next("flock");

    maybe_hold("flock");
    return real(fd, op);
}
