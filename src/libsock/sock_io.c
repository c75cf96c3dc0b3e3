/*
 * sock_io.c - the "read/write" part of "open - read/write - close" done
 * right: writing every byte across short writes, and reading a stream of
 * bytes as lines in a bounded buffer the caller owns.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include "sock_internal.h"

int sock_write_all(int fd, const void *buf, size_t len, size_t *written)
{
    const char *p = buf;
    size_t done = 0;
    int r = 0;

    while (done < len) {
        ssize_t n = sock_write(fd, p + done, len - done);

        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n == 0)
            errno = EIO;  /* no progress and no error: never spin on it */
        r = -1;
        break;
    }
    if (written != NULL)
        *written = done;
    return r;
}

void sock_line_reader_init(struct sock_line_reader *lr, char *buf, size_t cap)
{
    lr->buf = buf;
    lr->cap = cap;
    lr->start = 0;
    lr->end = 0;
    lr->scan = 0;
    lr->skipping = 0;
    lr->drained = 0;
    lr->limit = cap;
}

/* Drop the first `n` held bytes. */
static void drop(struct sock_line_reader *lr, size_t n)
{
    lr->start += n;
    lr->scan = 0;
    if (lr->start == lr->end)
        lr->start = lr->end = 0;   /* empty: reuse the buffer from the top */
}

/* Hand out the first `n` held bytes as the line and drop them; the
 * pointer stays valid until the next call, which may overwrite them. */
static ssize_t take(struct sock_line_reader *lr, size_t n, const char **line,
                    size_t *len, ssize_t result)
{
    *line = lr->buf + lr->start;
    *len = n;
    drop(lr, n);
    return result;
}

/*
 * cap bytes are held and none is '\n'.  One more byte decides: EOF makes
 * them a last line of exactly the limit; anything else makes the line too
 * long, and a byte other than '\n' means the rest of it is still to come.
 */
static ssize_t full_buffer(int fd, struct sock_line_reader *lr,
                           const char **line, size_t *len)
{
    char next;
    ssize_t n = sock_read(fd, &next, 1);

    if (n == -1)
        return SOCK_LINE_ERROR;
    if (n == 0)
        return take(lr, lr->cap, line, len, SOCK_LINE_PARTIAL);
    lr->skipping = next != '\n';
    return take(lr, lr->cap, line, len, SOCK_LINE_TOO_LONG);
}

ssize_t sock_read_line(int fd, struct sock_line_reader *lr, const char **line,
                       size_t *len)
{
    *line = NULL;
    *len = 0;
    for (;;) {
        size_t held = lr->end - lr->start;
        const char *nl = memchr(lr->buf + lr->start + lr->scan, '\n',
                                held - lr->scan);
        ssize_t n;

        if (nl != NULL) {
            size_t n_line = (size_t)(nl - (lr->buf + lr->start)) + 1;

            if (lr->skipping) {
                lr->skipping = 0;      /* the too long line ends here */
                drop(lr, n_line);
                continue;
            }
            if (n_line <= lr->limit)
                return take(lr, n_line, line, len, (ssize_t)n_line);
            /* Whole in a buffer bigger than the limit, and over it. */
            lr->skipping = 1;
            return take(lr, lr->limit, line, len, SOCK_LINE_TOO_LONG);
        }
        if (lr->skipping) {
            lr->start = lr->end = lr->scan = 0;   /* still the long line */
            held = 0;
        } else {
            lr->scan = held;   /* searched; the next memchr starts after it */
            if (held > lr->limit) {
                lr->skipping = 1;   /* more than the limit, no '\n' yet */
                return take(lr, lr->limit, line, len, SOCK_LINE_TOO_LONG);
            }
            if (held >= lr->cap)
                return full_buffer(fd, lr, line, len);
        }

        /* Make room at the end by moving the partial line to the front. */
        if (lr->start > 0 && lr->end == lr->cap) {
            memmove(lr->buf, lr->buf + lr->start, held);
            lr->start = 0;
            lr->end = held;
        }
        n = sock_read(fd, lr->buf + lr->end, lr->cap - lr->end);
        /* Fewer bytes than there was room for: the socket had no more. */
        lr->drained = n == -1 || (n > 0 && (size_t)n < lr->cap - lr->end);
        if (n > 0) {
            lr->end += (size_t)n;
            continue;
        }
        if (n == -1)
            return SOCK_LINE_ERROR;
        if (held == 0)
            return SOCK_LINE_EOF;
        return take(lr, held, line, len, SOCK_LINE_PARTIAL);
    }
}

size_t sock_line_reader_held(const struct sock_line_reader *lr)
{
    return lr->end - lr->start;
}

int sock_line_reader_has_line(const struct sock_line_reader *lr)
{
    const char *p = lr->buf + lr->start + lr->scan;
    const char *end = lr->buf + lr->end;
    const char *nl = memchr(p, '\n', (size_t)(end - p));

    /* The first '\n' of a too long line being skipped ends that line,
     * not one to return. */
    if (nl != NULL && lr->skipping)
        nl = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
    return nl != NULL;
}

int sock_line_reader_drained(const struct sock_line_reader *lr)
{
    return lr->drained;
}
