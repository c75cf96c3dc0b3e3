/*
 * scratch.h - a directory of a test's own under /tmp, for the socket
 * files of -U and AF_LOCAL tests: made in a suite's setup, removed with
 * all it holds in its teardown.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_SCRATCH_H
#define TEST_SCRATCH_H

#include <stddef.h>

/* Make /tmp/NAME.XXXXXX into dir (dircap bytes), and write dir/s.sock
 * into path (pathcap bytes).  0, or -1 (errno). */
int scratch_make(const char *name, char *dir, size_t dircap, char *path,
                 size_t pathcap);

/* Remove dir and everything in it, write permission given back first
 * (a test may have taken it away).  0, or -1. */
int scratch_remove(const char *dir);

#endif /* TEST_SCRATCH_H */
