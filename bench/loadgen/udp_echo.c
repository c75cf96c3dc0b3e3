/*
 * udp_echo.c - loadgen over UDP: what each datagram from the server
 * says, and so what became of each line sent (echoed, lost, late),
 * remembered in a ring per client.  udp.h says what is lost and what is
 * an error.
 *
 * SPDX-License-Identifier: MIT
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "udp.h"

/* A ring for wl lines in flight, and as many before them (so that an
 * echo that comes twice in a row is told, even once its line's place in
 * the window is taken).  A new session forgets every line; a new work
 * keeps what the old ring knew of the latest lines. */
int udp_ring(struct client *c, unsigned wl, int keep)
{
    unsigned i, rl = 2 * wl;
    struct slot *r;

    if (keep && c->wl == wl)
        return 0;
    r = malloc(rl * sizeof *r);
    if (r == NULL)
        return -1;
    for (i = 0; i < rl; i++) {
        r[i].li = ULONG_MAX;
        r[i].at = 0;
        r[i].st = SL_ECHOED;
    }
    for (i = 0; keep && i < c->rl; i++) {
        struct slot *o = &c->ring[i], *n = &r[o->li % rl];

        if (o->li != ULONG_MAX && (n->li == ULONG_MAX || n->li < o->li))
            *n = *o;
    }
    free(c->ring);
    c->ring = r;
    c->wl = wl;
    c->rl = rl;
    return 0;
}

/* Every line of this work before line li is lost. */
void udp_lose_upto(struct lg *g, struct client *c, unsigned long li)
{
    while (c->base + c->resolved < li) {
        slot_of(c, c->base + c->resolved)->st = SL_LOST;
        c->resolved++;
        c->wlost++;
        g->lost++;
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* The number of the line a datagram claims to echo: its first 8 hex
 * digits are the low 32 bits; the rest is taken from the latest line
 * with those bits.  ULONG_MAX: not a number. */
static unsigned long udp_line_number(const struct client *c, const char *p)
{
    unsigned long last = c->seq - 1, low = 0;
    int i;

    for (i = 0; i < 8; i++) {
        int d = hexval(p[i]);

        if (d < 0)
            return ULONG_MAX;
        low = low << 4 | (unsigned long)d;
    }
    return last - ((last - low) & 0xffffffffUL);
}

/* One datagram from the server: -1 when it ended the client. */
int udp_datagram(struct lg *g, struct client *c, const char *p, size_t n,
                 int truncated)
{
    const char *when = c->st == S_WELCOME ? "for the first line"
                       : c->st == S_WORK  ? "while lines wait"
                       : c->st == S_QUIT  ? "before the quit"
                                          : "while silent";
    const char *line;
    unsigned long li, sent;
    struct slot *s;

    if (c->st == S_WELCOME && g->welcome && c->got == 0) {
        if (truncated || n != WELCOME_LEN || memcmp(p, WELCOME, n) != 0) {
            fail(g, c, "the first datagram is not the welcome: %zu bytes '%.*s'",
                 n, (int)(n < 60 ? n : 60), p);
            return -1;
        }
        c->got = n;
        c->deadline = g->now + g->op_ms;
        return 0;
    }
    if (truncated || n != g->len) {
        fail(g, c, "a datagram of %zu bytes%s %s, lines are %zu: '%.*s'", n,
             truncated ? " or more" : "", when, g->len, (int)(n < 60 ? n : 60), p);
        return -1;
    }
    sent = c->seq - udp_unsent(g, c);
    li = udp_line_number(c, p);
    if (li >= sent) {
        fail(g, c, "a datagram %s that echoes no line sent: '%.*s'", when,
             (int)(n < 60 ? n : 60), p);
        return -1;
    }
    line = expected_line(g, c->id, li);
    if (memcmp(p, line, n) != 0) {
        size_t k = 0;

        while (p[k] == line[k])
            k++;
        fail(g, c, "the echo of line %lu differs at byte %zu: sent 0x%02x, got 0x%02x",
             li, k, (unsigned char)line[k], (unsigned char)p[k]);
        return -1;
    }
    s = slot_of(c, li);
    if (c->st == S_WORK && li >= c->base + c->resolved) {
        udp_lose_upto(g, c, li);   /* those before it: dropped */
        s->st = SL_ECHOED;
        c->resolved++;
        c->deadline = g->now + g->op_ms;
        return 0;
    }
    if (c->st == S_WELCOME) {
        s->st = SL_ECHOED;
        welcomed(g, c);
        return 0;
    }
    /* An older line: late if it was lost or is forgotten. */
    if (s->li == li && s->st != SL_LOST) {
        fail(g, c, "line %lu echoed twice", li);
        return -1;
    }
    if (s->li == li)
        s->st = SL_LATE;
    g->late++;
    c->deadline = g->now + g->op_ms;   /* the server is there */
    return 0;
}
