/*
 * sock_err.c - filling the optional error holder: one line that names the
 * step, the address and the reason, so a program can print it as it is.
 * The lowest file of the library: it calls no other (an address is
 * turned into words by its caller, sock_addr.c's sock__err_addr).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sock_internal.h"

void sock__err_text(struct sock_err *why, const char *step, const char *what,
                    const char *reason)
{
    if (why == NULL)
        return;
    snprintf(why->msg, sizeof why->msg, "%s%s%s: %s", step,
             what != NULL && what[0] != '\0' ? " " : "",
             what != NULL ? what : "", reason);
}

void sock__err_errno(struct sock_err *why, const char *step, const char *what,
                     int err)
{
    if (why != NULL) {
        char reason[128];

        /* XSI strerror_r: thread-safe, returns 0 on success. */
        if (strerror_r(err, reason, sizeof reason) != 0)
            snprintf(reason, sizeof reason, "error %d", err);
        why->gai = 0;
        sock__err_text(why, step, what, reason);
    }
    errno = err;
}
