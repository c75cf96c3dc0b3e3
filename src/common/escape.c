/*
 * escape.c - make a peer's bytes harmless on a terminal: a line with
 * ESC [ ... could otherwise move the cursor, change colours, retitle the
 * window or write the clipboard of whoever reads it, and a right-to-left
 * override (U+202E) could make it read as something it is not.  The
 * server's log (escape_line) and the client's screen (escape_term) use
 * the same rules, so one byte looks the same on both (escape.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "escape.h"

static int in(unsigned char c, unsigned lo, unsigned hi)
{
    return c >= lo && c <= hi;
}

/* Well-formed, but invisible or reordering: shown escaped.  n is the
 * sequence's length, already checked. */
static int format_char(const unsigned char *s, size_t n)
{
    if (n == 2)
        return s[0] == 0xD8 && s[1] == 0x9C;            /* U+061C ALM */
    if (n != 3)
        return 0;
    if (s[0] == 0xE2 && s[1] == 0x80)                   /* U+2000.. */
        return in(s[2], 0x8B, 0x8F) ||                  /* U+200B-U+200F */
               in(s[2], 0xA8, 0xAE);                    /* U+2028-U+202E */
    if (s[0] == 0xE2 && s[1] == 0x81)
        return in(s[2], 0xA6, 0xA9);                    /* U+2066-U+2069 */
    return s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF; /* U+FEFF */
}

/*
 * Unicode's table of well-formed sequences (no overlongs, no surrogates,
 * nothing above U+10FFFF): the length a lead byte starts (2 to 4, or 0
 * for a byte that starts none) and the range its second byte must be
 * in; every later byte is 0x80-0xBF.
 */
static size_t utf8_lead(unsigned char c, unsigned *lo, unsigned *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (in(c, 0xC2, 0xDF))
        return 2;
    if (c == 0xE0)
        *lo = 0xA0;
    else if (c == 0xED)
        *hi = 0x9F;
    if (in(c, 0xE0, 0xEF))
        return 3;
    if (c == 0xF0)
        *lo = 0x90;
    else if (c == 0xF4)
        *hi = 0x8F;
    return in(c, 0xF0, 0xF4) ? 4 : 0;
}

/* How many of the first `len` bytes at s (at most the sequence's
 * length n) follow the table. */
static size_t utf8_good(const unsigned char *s, size_t len, size_t n,
                        unsigned lo, unsigned hi)
{
    size_t i;

    for (i = 1; i < n && i < len; i++)
        if (!in(s[i], i == 1 ? lo : 0x80, i == 1 ? hi : 0xBF))
            return i;
    return i;
}

size_t escape_utf8_len(const unsigned char *s, size_t len)
{
    unsigned lo, hi;
    size_t n = len > 0 ? utf8_lead(s[0], &lo, &hi) : 0;

    if (n == 0 || len < n || utf8_good(s, len, n, lo, hi) != n)
        return 0;
    if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0)   /* C1 controls */
        return 0;
    return format_char(s, n) ? 0 : n;
}

/* The len bytes at s (len >= 1) are the start of a well-formed sequence
 * whose end has not come yet: more bytes decide it. */
static int utf8_unfinished(const unsigned char *s, size_t len)
{
    unsigned lo, hi;
    size_t n = utf8_lead(s[0], &lo, &hi);

    return n != 0 && len < n && utf8_good(s, len, n, lo, hi) == len;
}

/* One byte as "\xNN" (or its C name for the few the log names). */
static size_t escape_byte(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";

    o[0] = '\\';
    switch (c) {
    case '\\': o[1] = '\\'; return 2;
    case '\t': o[1] = 't'; return 2;
    case '\r': o[1] = 'r'; return 2;
    case '\n': o[1] = 'n'; return 2;
    default:
        o[1] = 'x';
        o[2] = hex[c >> 4];
        o[3] = hex[c & 0xf];
        return 4;
    }
}

/*
 * The one loop both ways share.  `term`: newline, tab and the CR of a
 * CR LF pass as they are (a terminal's own line and column moves); in
 * the log they are named like every other control.  `end`: no more
 * bytes follow, so an unfinished UTF-8 sequence or a CR at the end is
 * escaped; otherwise the loop stops before it and *used says where.
 */
static size_t escape_run(char *out, const unsigned char *p, size_t len,
                         int term, int end, size_t *used)
{
    char *o = out;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t n;

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80 && (n = escape_utf8_len(p + i, len - i)) != 0) {
            memcpy(o, p + i, n);
            o += n;
            i += n;
            continue;
        }
        if (!end && ((c == '\r' && term && i + 1 == len) ||
                     (c >= 0x80 && utf8_unfinished(p + i, len - i))))
            break;     /* the next bytes decide */
        if (term && (c == '\n' || c == '\t' ||
                     (c == '\r' && i + 1 < len && p[i + 1] == '\n'))) {
            *o++ = (char)c;
            i++;
            continue;
        }
        o += escape_byte(o, c);
        i++;
    }
    *used = i;
    return (size_t)(o - out);
}

size_t escape_text(char *out, const char *s, size_t len)
{
    size_t used;

    return escape_run(out, (const unsigned char *)s, len, 0, 1, &used);
}

size_t escape_line(char *out, const char *peer, const char *line, size_t len)
{
    size_t n = 0;

    if (len > 0 && line[len - 1] == '\n')
        len--;
    while (*peer != '\0')
        out[n++] = *peer++;
    out[n++] = ':';
    out[n++] = ' ';
    n += escape_text(out + n, line, len);
    out[n++] = '\n';
    return n;
}

void escape_term_init(struct escape_term *t)
{
    t->nheld = 0;
}

size_t escape_term(struct escape_term *t, char *out, const char *s,
                   size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, used;

    if (t->nheld > 0) {
        /* The bytes held, with up to four new ones after them: enough to
         * finish or refute any sequence that begins among the held. */
        unsigned char tmp[sizeof t->held + 4];
        size_t k = t->nheld, take = len < 4 ? len : 4;

        memcpy(tmp, t->held, k);
        memcpy(tmp + k, p, take);
        o = escape_run(out, tmp, k + take, 1, 0, &used);
        if (used < k) {
            /* Still undecided: then all of s was taken into tmp. */
            t->nheld = k + take - used;
            memmove(t->held, tmp + used, t->nheld);
            return o;
        }
        p += used - k;
        len -= used - k;
        t->nheld = 0;
    }
    o += escape_run(out + o, p, len, 1, 0, &used);
    /* What is left is an unfinished sequence (3 bytes at most) or a CR. */
    t->nheld = len - used;
    memcpy(t->held, p + used, t->nheld);
    return o;
}

size_t escape_term_end(struct escape_term *t, char *out)
{
    size_t used, o = escape_run(out, t->held, t->nheld, 1, 1, &used);

    t->nheld = 0;
    return o;
}
