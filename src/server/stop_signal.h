/*
 * stop_signal.h - SIGINT (Ctrl-C), SIGTERM (kill) and SIGHUP (the
 * terminal closed) all mean "stop" to tcp-server: a flag the designs
 * watch, and a self-pipe that wakes whatever they wait in (a signal that
 * lands just before poll() still wakes it).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef STOP_SIGNAL_H
#define STOP_SIGNAL_H

#include <signal.h>

/* Set (to 1) by the signal handler. */
extern volatile sig_atomic_t stop_requested;

/*
 * stop_signal_catch - install the handler.  A SIGINT or SIGHUP that was
 * ignored when we started stays ignored: "nohup tcp-server &" asks to
 * outlive the terminal, and a shell starts background jobs with SIGINT
 * ignored so that Ctrl-C does not reach them.  Returns 0 or -1 (errno).
 */
int stop_signal_catch(void);

/*
 * stop_signal_pipe - open the self-pipe (both ends non-blocking and
 * close-on-exec) and return its read end, or -1 with errno.  Called again
 * in a child process after fork(), it gives the child a pipe of its own,
 * so that its signals wake the child and not the parent.
 */
int stop_signal_pipe(void);

/*
 * stop_signal_forget - a child that has just closed every descriptor it
 * inherited (serve_fork.c) forgets the parent's pipe without closing it
 * again: its numbers may already name a descriptor of the child's own.
 * Until the next stop_signal_pipe() the handler only sets the flag.
 */
void stop_signal_forget(void);

/*
 * stop_signal_drain - empty the self-pipe's read end fd (non-blocking):
 * its bytes only say "look at the flag", so a loop that woke for them
 * reads them all and looks.  A pipe that wakes several threads at once
 * (serve_thread.c) is never drained.
 */
void stop_signal_drain(int fd);

#endif /* STOP_SIGNAL_H */
