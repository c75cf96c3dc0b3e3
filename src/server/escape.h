/*
 * escape.h - showing a client's bytes on the server's terminal safely.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>

/* The most bytes escape_text() writes for `len` bytes in ("\xNN" each). */
#define ESCAPE_MAX(len) (4 * (len))

/*
 * escape_text - write bytes so that none can act on a terminal or disguise
 * the text around it: printable ASCII and well-formed, visible UTF-8
 * (Chinese text included) as they are; "\\", "\t", "\r", "\n" for those;
 * every other byte as "\xNN": C0 and C1 controls, DEL, malformed UTF-8,
 * and the invisible and bidirectional format characters that would make a
 * line display as something else (U+061C, U+200B-U+200F, U+2028, U+2029,
 * U+202A-U+202E, U+2066-U+2069, U+FEFF).
 *
 *   out  room for ESCAPE_MAX(len) bytes; not NUL-terminated
 *   s    the bytes, len of them
 *
 * Returns how many bytes were written to out.
 */
size_t escape_text(char *out, const char *s, size_t len);

/* Room escape_line() needs for a peer's name of plen bytes and a line
 * of len. */
#define ESCAPE_LINE_MAX(plen, len) ((plen) + 3 + ESCAPE_MAX(len))

/*
 * escape_line - the server's log line for a line received: "PEER: text\n",
 * the line's own '\n' dropped and the rest escaped with escape_text().
 * Every design writes its received lines so.
 *
 *   out   room for ESCAPE_LINE_MAX(strlen(peer), len); not NUL-terminated
 *
 * Returns how many bytes were written to out.
 */
size_t escape_line(char *out, const char *peer, const char *line, size_t len);

/*
 * escape_utf8_len - the length (2 to 4) of the well-formed UTF-8 sequence
 * at s that may be shown as it is, or 0 if there is none (malformed, a C1
 * control, or one of the format characters above).
 */
size_t escape_utf8_len(const unsigned char *s, size_t len);

#endif /* ESCAPE_H */
