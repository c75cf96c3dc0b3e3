/*
 * lines.c - loadgen's lines: each one generated from its client and its
 * number, so that what a server echoes can be checked without keeping
 * what was sent.
 *
 * SPDX-License-Identifier: MIT
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define FILL_ROT      61             /* distinct line patterns per line number */

/*
 * Line li of client cid, len bytes, the last one '\n': a cut of a
 * repeating alphabet (so it can never read "quit"), starting with the
 * line number and the client's id in hex when there is room, so that a
 * line echoed twice, dropped, reordered or sent to the wrong client is
 * caught by the byte comparison.
 */
void gen_line(const struct lg *g, unsigned cid, unsigned long li, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t body = g->len - 1, i;

    memcpy(out, g->fill + (cid + li) % FILL_ROT, body);
    if (body >= 8)
        for (i = 0; i < 8; i++)
            out[i] = hex[(li >> (28 - 4 * i)) & 15];
    if (body >= 17) {
        out[8] = '.';
        for (i = 0; i < 8; i++)
            out[9 + i] = hex[(cid >> (28 - 4 * i)) & 15];
    }
    out[body] = '\n';
}

int make_fill(struct lg *g)
{
    static const char abc[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
    size_t i, n = g->len + FILL_ROT;

    g->fill = malloc(n);
    g->vline = malloc(g->len);
    if (g->fill == NULL || g->vline == NULL)
        return -1;
    for (i = 0; i < n; i++)
        g->fill[i] = abc[i % (sizeof abc - 1)];
    g->vcid = UINT_MAX;
    return 0;
}

/* Line li of client cid, as it was sent.  An echo comes in pieces, so
 * the line is kept until another is asked for. */
const char *expected_line(struct lg *g, unsigned cid, unsigned long li)
{
    if (g->vcid != cid || g->vli != li) {
        gen_line(g, cid, li, g->vline);
        g->vcid = cid;
        g->vli = li;
    }
    return g->vline;
}
