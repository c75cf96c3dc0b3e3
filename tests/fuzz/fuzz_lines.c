/*
 * fuzz_lines.c - libFuzzer target for the line framer (sock_read_line)
 * and the exchange (session.c, escape.c): arbitrary bytes, cut into
 * arbitrary reads, must come out as the same bytes, framed within the
 * limit, echoed exactly, and shown without a single control byte.  The
 * client's terminal (escape_term) is fed the same bytes whole and in the
 * same reads: both must show the same, with no control byte but
 * newline, tab and the CR of a CR LF.
 *
 * Input: byte 0 picks the line limit (8..135), byte 1 seeds the sizes of
 * the reads, the rest is what the peer sends.  recv() is --wrap'ed to
 * hand those bytes out.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "libsock.h"
#include "escape.h"
#include "session.h"

static const uint8_t *feed;
static size_t feed_len, feed_pos;
static unsigned rng;

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    size_t n;

    (void)fd;
    (void)flags;
    if (feed_pos == feed_len)
        return 0;                             /* the peer closed */
    rng = rng * 1103515245u + 12345u;
    n = 1 + (rng >> 16) % 64;                 /* 1..64 bytes a read */
    if (n > len)
        n = len;
    if (n > feed_len - feed_pos)
        n = feed_len - feed_pos;
    memcpy(buf, feed + feed_pos, n);
    feed_pos += n;
    return (ssize_t)n;
}

/* What the server shows must hold no byte below 0x20, no DEL, and no
 * right-to-left override (U+202E), and must fit ESCAPE_MAX. */
static void check_shown(const char *line, size_t len)
{
    char out[ESCAPE_MAX(136)];
    size_t out_len, i;

    if (len > 136)
        abort();
    out_len = escape_text(out, line, len);
    if (out_len > ESCAPE_MAX(len))
        abort();
    for (i = 0; i < out_len; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f)
            abort();
    for (i = 0; i + 3 <= out_len; i++)
        if (memcmp(out + i, "\xe2\x80\xae", 3) == 0)
            abort();
}

/* The whole stream on the client's terminal, in one piece and in reads
 * of 1..64 bytes: the same bytes shown, none that drives a terminal. */
static void check_term(const uint8_t *s, size_t len, unsigned seed)
{
    static char whole[ESCAPE_TERM_MAX(70000)], cut[ESCAPE_TERM_MAX(70000)];
    struct escape_term t;
    size_t nw, nc = 0, pos = 0, i;

    if (len > 70000)
        return;
    escape_term_init(&t);
    nw = escape_term(&t, whole, (const char *)s, len);
    nw += escape_term_end(&t, whole + nw);
    escape_term_init(&t);
    while (pos < len) {
        size_t n;

        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 16) % 64;
        if (n > len - pos)
            n = len - pos;
        nc += escape_term(&t, cut + nc, (const char *)s + pos, n);
        pos += n;
    }
    nc += escape_term_end(&t, cut + nc);
    if (nw != nc || memcmp(whole, cut, nw) != 0 || nw > ESCAPE_TERM_MAX(len))
        abort();
    for (i = 0; i < nw; i++) {
        unsigned char c = (unsigned char)whole[i];

        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f ||
            (c == '\r' && (i + 1 == nw || whole[i + 1] != '\n')))
            abort();
    }
    for (i = 0; i + 3 <= nw; i++)
        if (memcmp(whole + i, "\xe2\x80\xae", 3) == 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[136], errline[80];
    struct sock_line_reader lr;
    struct session_quit q;
    size_t cap, seen = 0, turns;

    if (size < 2)
        return 0;
    cap = 8 + data[0] % 128;
    rng = data[1];
    feed = data + 2;
    feed_len = size - 2;
    feed_pos = 0;
    memset(&q, 0, sizeof q);
    sock_line_reader_init(&lr, buf, cap);

    for (turns = 0; turns <= feed_len + 1; turns++) {
        const char *line;
        size_t len;
        ssize_t r = sock_read_line(-1, &lr, &line, &len);
        struct session_reply rep;

        if (r == SOCK_LINE_EOF)
            break;
        if (r == SOCK_LINE_ERROR)
            abort();                          /* the fake recv never fails */
        /* Every piece is the next stretch of the stream, within the limit. */
        if (len == 0 || len > cap || seen + len > feed_len ||
            memcmp(line, feed + seen, len) != 0)
            abort();
        seen += len;
        if (r > 0) {
            if ((size_t)r != len || line[len - 1] != '\n' ||
                memchr(line, '\n', len - 1) != NULL)
                abort();
            session_respond(SESSION_LINE, line, len, cap, errline,
                            sizeof errline, &rep);
            /* The client's quit finder agrees with the server's. */
            if ((session_find_quit(&q, line, len) == len) !=
                session_is_quit(line, len))
                abort();
            if (session_is_quit(line, len)
                    ? rep.len != 0 || !rep.end
                    : rep.len != len || rep.data != line || rep.end)
                abort();
        } else if (r == SOCK_LINE_TOO_LONG) {
            const uint8_t *nl;

            if (len != cap || memchr(line, '\n', len) != NULL)
                abort();
            memset(&q, 0, sizeof q);          /* the line is dropped */
            /* ... and so is the rest of it, through its '\n'. */
            nl = memchr(feed + seen, '\n', feed_len - seen);
            check_shown(line, len);
            seen = nl != NULL ? (size_t)(nl - feed) + 1 : feed_len;
            continue;
        } else if (r == SOCK_LINE_PARTIAL) {
            if (len > cap || memchr(line, '\n', len) != NULL)
                abort();
        } else {
            abort();
        }
        check_shown(line, len);
    }
    if (seen != feed_len)
        abort();                              /* bytes lost or invented */
    check_term(feed, feed_len, data[1]);
    return 0;
}
