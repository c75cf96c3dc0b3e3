/*
 * session.c - the article's exchange: welcome, echo, quit (session.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>

#include "session.h"

int session_is_quit(const char *line, size_t len)
{
    static const char word[] = "quit";
    size_t i;

    /* Strip the terminator: "\n", then an optional "\r" before it. */
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len != sizeof word - 1)
        return 0;
    for (i = 0; i < len; i++) {
        /* ASCII case folding only: the locale must not change the protocol. */
        char c = line[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

void session_respond(enum session_event ev, const char *line, size_t len,
                     size_t max_line, char *errbuf, size_t errsize,
                     struct session_reply *out)
{
    out->data = NULL;
    out->len = 0;
    out->end = 0;
    switch (ev) {
    case SESSION_LINE:
    case SESSION_LAST_LINE:
        out->end = ev == SESSION_LAST_LINE;
        if (session_is_quit(line, len)) {
            out->end = 1;        /* quit is never echoed */
            break;
        }
        out->data = line;        /* byte-exact echo, terminator included */
        out->len = len;
        break;
    case SESSION_EOF:
        out->end = 1;
        break;
    case SESSION_IDLE_OUT:
        out->data = SESSION_IDLE;
        out->len = sizeof SESSION_IDLE - 1;
        out->end = 1;
        break;
    case SESSION_NOT_READING:
        out->data = SESSION_NOREAD;
        out->len = sizeof SESSION_NOREAD - 1;
        out->end = 1;
        break;
    case SESSION_STOPPING:
        out->data = SESSION_SHUTDOWN;
        out->len = sizeof SESSION_SHUTDOWN - 1;
        out->end = 1;
        break;
    case SESSION_FULL:
        out->data = SESSION_BUSY;
        out->len = sizeof SESSION_BUSY - 1;
        out->end = 1;
        break;
    case SESSION_TOO_LONG: {
        int n = snprintf(errbuf, errsize,
                         "error: line too long (max %zu bytes)\n", max_line);
        out->data = errbuf;
        out->len = n > 0 && (size_t)n < errsize ? (size_t)n : 0;
        out->end = 1;
        break;
    }
    }
}

size_t session_find_quit(struct session_quit *q, const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            int quit = q->n < sizeof q->head && session_is_quit(q->head, q->n);
            q->n = 0;
            if (quit)
                return i + 1;
        } else if (q->n < sizeof q->head) {
            q->head[q->n++] = buf[i];
        }
    }
    return 0;
}
