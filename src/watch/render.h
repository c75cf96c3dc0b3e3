/*
 * render.h - what tcp-watch prints for each segment, datagram and line
 * of the command it runs, in one of three views:
 *
 *   lines    one line a segment, like the trace's: time, both ends,
 *            flags, numbers in the article's j and k, the bytes, and the
 *            states that changed, e.g.
 *            0.000041 127.0.0.1:8080 > 127.0.0.1:47964  SYN+ACK seq=k ack=j+1 (k=3101947105)  [server SYN_RECV, client ESTABLISHED]
 *   ladder   client on the left, server on the right, an arrow a
 *            segment, each side's state beside it (RFC 9293's figures)
 *   mermaid  the same as a Mermaid sequenceDiagram, written at the end
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef RENDER_H
#define RENDER_H

#include <stddef.h>

#include "frame.h"
#include "track.h"

enum watch_view { VIEW_LINES, VIEW_LADDER, VIEW_MERMAID };

/* Room for any one rendering (a ladder's header and its arrow). */
#define RENDER_MAX 1024
/* The most statements a Mermaid diagram keeps; later ones are counted. */
#define RENDER_MERMAID_MAX 20000

struct render {
    enum watch_view view;
    int verbose;             /* -v: window and options too */
    /* Mermaid: the diagram so far, written by render_mermaid_end(). */
    char **stmts;
    size_t n, cap;
    unsigned long left_out;  /* statements past RENDER_MERMAID_MAX */
    unsigned last_conn;      /* the connection a command's line is drawn
                              * over: the last one seen */
};

void render_init(struct render *r, enum watch_view view, int verbose);
void render_free(struct render *r);

/*
 * Each of these writes its text to out (size bytes; RENDER_MAX is
 * enough), whole lines ending in '\n', and returns its length.  In the
 * Mermaid view the text is the diagram's statements, to hand to
 * render_keep() when its turn comes (the diagram is written at the end).
 * `secs` is the time since the watch began, shown in the lines view.
 */
size_t render_tcp(struct render *r, const struct frame *f,
                  const struct track_event *ev, double secs, char *out,
                  size_t size);
size_t render_udp(struct render *r, const struct frame *f, double secs,
                  char *out, size_t size);
/* A line of the command's output (len bytes, no '\n'). */
size_t render_line(struct render *r, const char *line, size_t len,
                   char *out, size_t size);

/* Keep Mermaid statements (lines of text) for the diagram, in order;
 * `conn` (if not 0) is the connection they draw: a command's later
 * lines are drawn over it. */
void render_keep(struct render *r, const char *text, size_t len,
                 unsigned conn);

/* The whole Mermaid diagram, to fd.  Returns 0, or -1 if writing failed. */
int render_mermaid_end(struct render *r, int fd);

/* "127.0.0.1:8080" or "[::1]:8080" for an address of `family`. */
void render_endpoint(int family, const unsigned char *addr, unsigned port,
                     char *out, size_t size);

/* The segment's label: "SYN+ACK seq=k ack=j+1", then len and bytes. */
size_t render_label(const struct frame *f, const struct track_event *ev,
                    int verbose, char *out, size_t size);

#endif /* RENDER_H */
