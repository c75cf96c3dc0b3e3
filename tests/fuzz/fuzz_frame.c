/*
 * fuzz_frame.c - libFuzzer target for tcp-watch's untrusted path: the
 * bytes anyone can put on the wire, taken apart (frame.c), tracked
 * (track.c), drawn (render.c) and put in order with the command's lines
 * (timeline.c), as watch.c does.  Every frame is parsed from a buffer of
 * exactly its size, so that a read past it shows; what it parses to must
 * lie inside it; what the views print of a segment must be printable
 * ASCII lines, within RENDER_MAX.
 *
 * Input: byte 0 picks the view (% 3) and -v (bit 2); bytes 1-2 are the
 * watched port; then records, each a type byte (bit 0: raw-IP link,
 * not Ethernet; bit 1: a line of the command's output, not a frame; the
 * rest: a nudge to its time), a 2-byte length and that many bytes.
 *
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "frame.h"
#include "render.h"
#include "timeline.h"
#include "track.h"

#define MAX_RECORDS 64
#define CONNS       4       /* a small table: the LRU is exercised */

static struct render rd;

/* What a view prints of the wire: whole lines of printable ASCII (the
 * bytes of a payload escaped), ended, within the buffer. */
static void check_shown(const char *p, size_t len, size_t size)
{
    size_t i;

    if (len >= size || p[len] != '\0' || strlen(p) != len)
        abort();
    for (i = 0; i < len; i++)
        if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\n')
            abort();
    if (len > 0 && p[len - 1] != '\n')
        abort();
}

/* An event's turn, as in watch.c: a line rendered, then printed (here:
 * dropped) or kept for the diagram. */
static void emit(enum tl_kind kind, unsigned conn, const char *text,
                 size_t len, void *arg)
{
    char buf[RENDER_MAX];

    (void)arg;
    if (kind == TL_LINE) {
        len = render_line(&rd, text, len, buf, sizeof buf);
        if (len >= sizeof buf)
            abort();
        text = buf;
    }
    if (rd.view == VIEW_MERMAID)
        render_keep(&rd, text, len, conn);
}

static void check_frame(const struct frame *f, const unsigned char *p,
                        size_t n)
{
    char flags[32];

    if (f->family != AF_INET && f->family != AF_INET6)
        abort();
    if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
        abort();
    if (f->captured > f->len || f->data < p || f->data > p + n ||
        (size_t)(f->data - p) + f->captured > n)
        abort();
    if (f->opt.sack_blocks < 0 || f->opt.sack_blocks > 4)
        abort();
    frame_flags_text(f->flags, flags, sizeof flags);
    if (strlen(flags) >= sizeof flags)
        abort();
}

static void check_event(const struct track_event *ev)
{
    const struct track_conn *c = ev->conn;

    if (c == NULL || !c->in_use || c->id == 0)
        abort();
    if ((unsigned)ev->client_after > TS_TIME_WAIT ||
        (unsigned)ev->server_after > TS_TIME_WAIT)
        abort();
    if ((ev->tell_j && !c->c.has_isn) || (ev->tell_k && !c->s.has_isn))
        abort();
}

/* One frame: parsed from its own buffer, then on as watch.c takes it. */
static void one_frame(struct tracker *tr, struct timeline *tl,
                      const uint8_t *bytes, size_t n, unsigned type,
                      const struct timespec *at)
{
    unsigned char *p = malloc(n > 0 ? n : 1);
    enum frame_link link = (type & 1) ? FRAME_LINK_IP : FRAME_LINK_ETHER;
    struct frame f;
    char text[RENDER_MAX];
    size_t len;
    unsigned conn = 0;

    if (p == NULL)
        return;
    if (n > 0)
        memcpy(p, bytes, n);
    if (frame_parse(p, n, link, &f) != FRAME_OK) {
        free(p);
        return;
    }
    check_frame(&f, p, n);
    if (f.sport != tr->port && f.dport != tr->port) {
        free(p);
        return;
    }
    if (f.proto == IPPROTO_TCP) {
        struct track_event ev;

        track_segment(tr, &f, &ev);
        check_event(&ev);
        len = render_tcp(&rd, &f, &ev, 0.001, text, sizeof text);
        conn = ev.conn->id;
    } else {
        len = render_udp(&rd, &f, 0.001, text, sizeof text);
    }
    check_shown(text, len, sizeof text);
    timeline_add(tl, at, NULL, TL_SEGMENT, conn, text, len, emit, NULL);
    free(p);
}

/* One line of the command's output: stamped or not. */
static void one_line(struct timeline *tl, const uint8_t *bytes, size_t n,
                     const struct timespec *at)
{
    char *line = malloc(n > 0 ? n : 1);
    struct timespec began, ended;
    size_t skip;

    if (line == NULL)
        return;
    if (n > 0)
        memcpy(line, bytes, n);
    skip = timeline_parse_stamps(line, n, &began, &ended);
    if (skip > n || (skip > 0 && (began.tv_nsec < 0 ||
                                  began.tv_nsec > 999999999 ||
                                  ended.tv_nsec < 0 ||
                                  ended.tv_nsec > 999999999)))
        abort();
    if (skip > 0)
        timeline_add(tl, &began, &ended, TL_LINE, 0, line + skip, n - skip,
                     emit, NULL);
    else
        timeline_add(tl, at, NULL, TL_LINE, 0, line, n, emit, NULL);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int devnull = -2;
    struct tracker tr;
    struct timeline tl;
    size_t pos = 3, records = 0;

    if (size < 3)
        return 0;
    if (devnull == -2)
        devnull = open("/dev/null", O_WRONLY);
    render_init(&rd, (enum watch_view)(data[0] % 3), (data[0] >> 2) & 1);
    if (track_init(&tr, CONNS, (uint16_t)(data[1] << 8 | data[2])) == -1)
        return 0;
    timeline_init(&tl);
    while (pos + 3 <= size && records++ < MAX_RECORDS) {
        unsigned type = data[pos];
        size_t n = (size_t)data[pos + 1] << 8 | data[pos + 2];
        struct timespec at;

        pos += 3;
        if (n > size - pos)
            n = size - pos;
        /* A millisecond a record, nudged back by the type's high bits. */
        at.tv_sec = 1;
        at.tv_nsec = (long)records * 1000000L - (long)(type >> 2) * 10000L;
        if (type & 2)
            one_line(&tl, data + pos, n, &at);
        else
            one_frame(&tr, &tl, data + pos, n, type, &at);
        pos += n;
        if (records % 8 == 0) {
            struct timespec limit = {1, (long)records * 1000000L - 5000000L};

            timeline_flush(&tl, &limit, emit, NULL);
        }
    }
    timeline_flush(&tl, NULL, emit, NULL);
    if (rd.view == VIEW_MERMAID && devnull >= 0)
        render_mermaid_end(&rd, devnull);
    timeline_free(&tl);
    track_free(&tr);
    render_free(&rd);
    return 0;
}
