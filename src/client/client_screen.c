/*
 * client_screen.c - the server's bytes to stdout (client_screen.h).  A
 * server may send anything: on a terminal, OSC 52 would write the
 * user's clipboard, CSI 2J clear the screen and a bare CR draw a fake
 * prompt over the line, so there they are shown escaped; a pipe or a
 * file gets the bytes exactly, for the program or person who reads them.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>

#include "fd_io.h"
#include "client_screen.h"

int screen_open(struct client_screen *s, int fd, int escape, size_t max)
{
    s->fd = fd;
    s->escape = escape;
    s->shown = NULL;
    escape_term_init(&s->term);
    if (escape && (s->shown = malloc(ESCAPE_TERM_MAX(max))) == NULL) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int screen_write(struct client_screen *s, const char *p, size_t n)
{
    if (!s->escape)
        return fd_write_all(s->fd, p, n);
    return fd_write_all(s->fd, s->shown,
                        escape_term(&s->term, s->shown, p, n));
}

void screen_close(struct client_screen *s)
{
    if (s->shown != NULL)
        (void)fd_write_all(s->fd, s->shown,
                           escape_term_end(&s->term, s->shown));
    free(s->shown);
    s->shown = NULL;
}
