/*
 * escape.c - make a client's bytes harmless on the server's terminal: a
 * line with ESC [ ... could otherwise move the cursor, change colours or
 * retitle the window of whoever runs the server (escape.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "escape.h"

static int in(unsigned char c, unsigned lo, unsigned hi)
{
    return c >= lo && c <= hi;
}

size_t escape_utf8_len(const unsigned char *s, size_t len)
{
    /* Unicode's table of well-formed sequences (no overlongs, no
     * surrogates, nothing above U+10FFFF). */
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

int escape_write(FILE *f, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t n;

        if (c >= 0x20 && c < 0x7f && c != '\\') {
            putc(c, f);
            i++;
            continue;
        }
        if (c >= 0x80 && (n = escape_utf8_len(p + i, len - i)) != 0) {
            fwrite(p + i, 1, n, f);
            i += n;
            continue;
        }
        putc('\\', f);
        switch (c) {
        case '\\': putc('\\', f); break;
        case '\t': putc('t', f); break;
        case '\r': putc('r', f); break;
        case '\n': putc('n', f); break;
        default:
            putc('x', f);
            putc(hex[c >> 4], f);
            putc(hex[c & 0xf], f);
        }
        i++;
    }
    return ferror(f) ? EOF : 0;
}
