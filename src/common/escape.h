/*
 * escape.h - showing a peer's bytes on a terminal safely: a client's
 * lines in the server's log, a server's bytes on the client's screen.
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

/*
 * A stream of bytes shown on a terminal as they come (tcp-client's
 * screen): the same rules as escape_text(), except that newline, tab and
 * the CR of a CR LF pass as they are, so lines and columns still look
 * like lines and columns; a bare CR, which would return to the start of
 * the line and let what follows draw over it (a fake prompt), is shown
 * as "\r".  A UTF-8 sequence or a CR LF cut between two reads is
 * decided when the next bytes come: the undecided bytes (3 at most) are
 * held in the struct, never shown raw.
 */
struct escape_term {
    unsigned char held[4];
    size_t nheld;
};

/* The most bytes escape_term() writes for `len` bytes in. */
#define ESCAPE_TERM_MAX(len) ESCAPE_MAX((len) + 3)

/* Nothing held: the state of a fresh stream. */
void escape_term_init(struct escape_term *t);

/*
 * escape_term - the next len bytes of the stream, escaped into out (room
 * for ESCAPE_TERM_MAX(len); not NUL-terminated).  Returns how many bytes
 * were written.
 */
size_t escape_term(struct escape_term *t, char *out, const char *s,
                   size_t len);

/*
 * escape_term_end - the stream has ended: the bytes still held, escaped
 * (an unfinished sequence or a trailing CR), into out (room for
 * ESCAPE_TERM_MAX(0)).  Returns how many bytes were written.
 */
size_t escape_term_end(struct escape_term *t, char *out);

#endif /* ESCAPE_H */
