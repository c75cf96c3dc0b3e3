/*
 * sock_err.c - filling the optional error holder: one line that names the
 * step, the address and the reason, so a program can print it as it is.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sock_internal.h"

void sock_err_text(struct sock_err *why, const char *step, const char *what,
                   const char *reason)
{
    if (why == NULL)
        return;
    snprintf(why->msg, sizeof why->msg, "%s%s%s: %s", step,
             what != NULL && what[0] != '\0' ? " " : "",
             what != NULL ? what : "", reason);
}

void sock_err_addr(struct sock_err *why, const char *step,
                   const struct sockaddr *sa, socklen_t salen, int err)
{
    if (why != NULL) {
        char where[SOCK_ADDR_TEXT_MAX] = "";
        char reason[128];

        if (sa != NULL && sock_addr_text(sa, salen, where, sizeof where) == -1)
            snprintf(where, sizeof where, "(%s address)",
                     sock_family_name(sa->sa_family));
        /* XSI strerror_r: thread-safe, returns 0 on success. */
        if (strerror_r(err, reason, sizeof reason) != 0)
            snprintf(reason, sizeof reason, "error %d", err);
        why->gai = 0;
        sock_err_text(why, step, where, reason);
    }
    errno = err;
}
