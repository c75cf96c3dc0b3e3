/*
 * watch.h - tcp-watch's loop: frames from the packet ring taken apart,
 * followed per connection and printed in the chosen view; with a
 * command, its lines and the segments on one timeline; at the end, one
 * line of what was shown and what the kernel dropped.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef WATCH_H
#define WATCH_H

#include "capture.h"
#include "watch_args.h"

/* The most connections followed at once; past it, the one heard from
 * longest ago is forgotten (its later segments show as joined). */
#define WATCH_MAX_CONNS 4096

/*
 * watch_run - watch on capture `cap` until SIGINT or SIGTERM or, with a
 * command (a->command), run it and watch until it has ended and its last
 * segments are in.  Prints to stdout; the summary line to stderr.
 * Returns the exit status: 0, or 1 when reading failed or the command
 * could not be started.
 */
int watch_run(const struct watch_args *a, struct capture *cap);

#endif /* WATCH_H */
