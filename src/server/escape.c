/*
 * escape.c - make a client's bytes harmless on the server's terminal: a
 * line with ESC [ ... could otherwise move the cursor, change colours or
 * retitle the window of whoever runs the server, and a right-to-left
 * override (U+202E) could make it read as something it is not
 * (escape.h).
 *
 * SPDX-License-Identifier: MIT
 */
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

/* Unicode's table of well-formed sequences (no overlongs, no surrogates,
 * nothing above U+10FFFF); C1 controls excluded. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    if (len >= 2 && in(s[0], 0xC2, 0xDF) && in(s[1], 0x80, 0xBF))
        return s[0] == 0xC2 && s[1] < 0xA0 ? 0 : 2;  /* C1 controls */
    if (len >= 3 && in(s[2], 0x80, 0xBF)) {
        if ((s[0] == 0xE0 && in(s[1], 0xA0, 0xBF)) ||
            ((in(s[0], 0xE1, 0xEC) || in(s[0], 0xEE, 0xEF)) &&
             in(s[1], 0x80, 0xBF)) ||
            (s[0] == 0xED && in(s[1], 0x80, 0x9F)))
            return 3;
    }
    if (len >= 4 && in(s[2], 0x80, 0xBF) && in(s[3], 0x80, 0xBF)) {
        if ((s[0] == 0xF0 && in(s[1], 0x90, 0xBF)) ||
            (in(s[0], 0xF1, 0xF3) && in(s[1], 0x80, 0xBF)) ||
            (s[0] == 0xF4 && in(s[1], 0x80, 0x8F)))
            return 4;
    }
    return 0;
}

size_t escape_utf8_len(const unsigned char *s, size_t len)
{
    size_t n = utf8_len(s, len);

    return n != 0 && format_char(s, n) ? 0 : n;
}

size_t escape_text(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
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
            while (n-- > 0)
                *o++ = (char)p[i++];
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '\\': *o++ = '\\'; break;
        case '\t': *o++ = 't'; break;
        case '\r': *o++ = 'r'; break;
        case '\n': *o++ = 'n'; break;
        default:
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        }
        i++;
    }
    return (size_t)(o - out);
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
