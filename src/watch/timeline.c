/*
 * timeline.c - events held briefly and let out in time order
 * (timeline.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int earlier(const struct tl_event *a, const struct tl_event *b)
{
    if (before(&a->at, &b->at))
        return 1;
    if (before(&b->at, &a->at))
        return 0;
    return a->order < b->order;
}

void timeline_init(struct timeline *t)
{
    memset(t, 0, sizeof *t);
}

void timeline_free(struct timeline *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        free(t->ev[i].text);
    free(t->ev);
    memset(t, 0, sizeof *t);
}

/* Put e in its place (the array has room). */
static void insert(struct timeline *t, const struct tl_event *e)
{
    size_t i = t->n;

    /* Most events arrive in order: look from the end. */
    while (i > 0 && earlier(e, &t->ev[i - 1]))
        i--;
    memmove(&t->ev[i + 1], &t->ev[i], (t->n - i) * sizeof *t->ev);
    t->ev[i] = *e;
    t->n++;
}

static void pop_front(struct timeline *t, struct tl_event *e)
{
    *e = t->ev[0];
    t->n--;
    memmove(&t->ev[0], &t->ev[1], t->n * sizeof *t->ev);
}

/* A call's line is split when a segment happened while it ran: after
 * the call began, and such that it leaves before the whole line does
 * (at the call's end; equal times in arrival order).  Else there would
 * be nothing between the two halves. */
static int spans_segment(const struct timeline *t, const struct tl_event *e)
{
    struct tl_event whole = *e;
    size_t i;

    if (e->kind != TL_LINE || !before(&e->at, &e->ended))
        return 0;
    whole.at = e->ended;
    for (i = 0; i < t->n; i++) {
        const struct tl_event *s = &t->ev[i];

        if (!earlier(s, &whole))
            break;              /* sorted: nothing later can be inside */
        if (s->kind == TL_SEGMENT && before(&e->at, &s->at))
            return 1;
    }
    return 0;
}

/* "connect(3, 127.0.0.1:8080) = 0  local ..." -> "connect(3, 127.0.0.1:8080) ...":
 * the call before its result. */
static size_t call_head(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i + 2 < len; i++)
        if (text[i] == ' ' && text[i + 1] == '=' && text[i + 2] == ' ')
            return i;
    return len;
}

void timeline_flush(struct timeline *t, const struct timespec *limit,
                    tl_emit_fn *fn, void *arg)
{
    while (t->n > 0 && (limit == NULL || before(&t->ev[0].at, limit))) {
        struct tl_event e;

        pop_front(t, &e);
        if (spans_segment(t, &e)) {
            size_t head = call_head(e.text, e.len);
            char *shown = malloc(head + 5);

            if (shown != NULL) {
                memcpy(shown, e.text, head);
                snprintf(shown + head, 5, " ...");
                fn(TL_LINE, 0, shown, head + 4, arg);
                free(shown);
            }
            /* The whole line again when the call returned. */
            e.at = e.ended;
            insert(t, &e);
            continue;
        }
        fn(e.kind, e.conn, e.text, e.len, arg);
        free(e.text);
    }
}

int timeline_add(struct timeline *t, const struct timespec *at,
                 const struct timespec *ended, enum tl_kind kind,
                 unsigned conn, const char *text, size_t len,
                 tl_emit_fn *fn, void *arg)
{
    struct tl_event e;

    if (t->n >= TIMELINE_MAX) {
        struct tl_event old;

        pop_front(t, &old);
        fn(old.kind, old.conn, old.text, old.len, arg);
        free(old.text);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct tl_event *grown = realloc(t->ev, cap * sizeof *grown);

        if (grown == NULL) {
            fn(kind, conn, text, len, arg);
            return -1;
        }
        t->ev = grown;
        t->cap = cap;
    }
    e.text = malloc(len + 1);
    if (e.text == NULL) {
        fn(kind, conn, text, len, arg);
        return -1;
    }
    memcpy(e.text, text, len);
    e.text[len] = '\0';
    e.len = len;
    e.at = *at;
    e.ended = ended != NULL ? *ended : *at;
    e.kind = kind;
    e.conn = conn;
    e.order = t->order++;
    insert(t, &e);
    return 0;
}

/* Digits (at most 18: any more could overflow a long long), then '.',
 * then nine digits: one time stamp. */
static size_t stamp(const char *p, size_t len, struct timespec *ts)
{
    size_t i = 0, d;
    long long sec = 0;
    long nsec = 0;

    while (i < len && p[i] >= '0' && p[i] <= '9' && i < 18)
        sec = sec * 10 + (p[i++] - '0');
    if (i == 0 || i >= len || p[i] != '.')
        return 0;
    i++;
    for (d = 0; d < 9; d++, i++) {
        if (i >= len || p[i] < '0' || p[i] > '9')
            return 0;
        nsec = nsec * 10 + (p[i] - '0');
    }
    ts->tv_sec = (time_t)sec;
    ts->tv_nsec = nsec;
    return i;
}

size_t timeline_parse_stamps(const char *line, size_t len,
                             struct timespec *began, struct timespec *ended)
{
    size_t a, b;

    if (len < 2 || line[0] != '@')
        return 0;
    a = stamp(line + 1, len - 1, began);
    if (a == 0 || 1 + a >= len || line[1 + a] != ' ')
        return 0;
    b = stamp(line + 2 + a, len - 2 - a, ended);
    if (b == 0 || 2 + a + b >= len || line[2 + a + b] != ' ')
        return 0;
    return 3 + a + b;
}
