/*
 * timeline.h - putting a command's lines and the wire's segments in the
 * order they happened.  They reach tcp-watch by two roads (a pipe, the
 * packet ring) at their own pace, so each carries the time it happened:
 * the kernel's stamp on a frame, the stamps a traced call's line carries
 * (when the call began and ended).  Events wait here a moment (long
 * enough for the slower road) and leave sorted by that time.
 *
 * A traced call that spans segments (connect() sends the SYN and, on
 * loopback, returns after the whole handshake) is shown twice: its name
 * when it began ("connect(3, 127.0.0.1:8080) ..."), then its whole line
 * when it ended, with the segments it caused in between.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stddef.h>
#include <time.h>

enum tl_kind { TL_SEGMENT, TL_LINE };

struct tl_event {
    struct timespec at;      /* when it happened (a call: when it began) */
    struct timespec ended;   /* a call: when it returned; else = at */
    enum tl_kind kind;
    unsigned conn;           /* a segment's connection, for the printer */
    char *text;              /* what to print (a line: without stamps) */
    size_t len;
    unsigned long order;     /* arrival order, for equal times */
};

/* The most events held; past it the oldest leaves at once. */
#define TIMELINE_MAX 16384

struct timeline {
    struct tl_event *ev;     /* sorted by (at, order) */
    size_t n, cap;
    unsigned long order;
};

/* What leaves the timeline: one event's text, in order. */
typedef void tl_emit_fn(enum tl_kind kind, unsigned conn, const char *text,
                        size_t len, void *arg);

void timeline_init(struct timeline *t);
void timeline_free(struct timeline *t);

/*
 * timeline_add - hold an event.  `ended` is NULL but for a traced call.
 * The text is copied.  Returns 0, or -1 when memory runs out (then the
 * event is handed to fn at once, out of order rather than lost).
 */
int timeline_add(struct timeline *t, const struct timespec *at,
                 const struct timespec *ended, enum tl_kind kind,
                 unsigned conn, const char *text, size_t len,
                 tl_emit_fn *fn, void *arg);

/* Hand every event that happened before `before` (NULL: all) to fn, in
 * the order they happened. */
void timeline_flush(struct timeline *t, const struct timespec *before,
                    tl_emit_fn *fn, void *arg);

/*
 * timeline_parse_stamps - a traced line begins "@SEC.NSEC SEC.NSEC "
 * (trace_out.h): read the two times into *began and *ended and return
 * how many bytes the stamps take, or 0 for a line without them.
 */
size_t timeline_parse_stamps(const char *line, size_t len,
                             struct timespec *began, struct timespec *ended);

#endif /* TIMELINE_H */
