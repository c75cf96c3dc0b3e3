/*
 * escape.h - showing a client's bytes on the server's terminal safely.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/*
 * escape_write - write bytes so that none can act on a terminal: printable
 * ASCII and well-formed UTF-8 (Chinese text included) as they are; "\\",
 * "\t", "\r", "\n" for those; every other byte, C1 controls and bytes of
 * malformed UTF-8 as "\xNN".  Returns 0, or EOF if the stream failed.
 */
int escape_write(FILE *f, const char *s, size_t len);

/*
 * escape_utf8_len - the length (2 to 4) of the well-formed, printable
 * UTF-8 sequence at s, or 0 if there is none.
 */
size_t escape_utf8_len(const unsigned char *s, size_t len);

#endif /* ESCAPE_H */
