/*
 * cmdline.c - for the suites of the command-line parsers (cmdline.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

/* Does err mention `what`?  Say what it held if not. */
void assert_mentions(const char *err, const char *what)
{
    if (strstr(err, what) == NULL)
        print_error("message \"%s\" does not mention \"%s\"\n", err, what);
    assert_non_null(strstr(err, what));
}

enum args_result sparse(int argc, char **argv, struct server_args *a,
                        char *err, size_t errsize)
{
    memset(a, 0x5a, sizeof *a);     /* every field must be set */
    memset(err, 0, errsize);
    return server_args_parse(argc, argv, a, err, errsize);
}

enum args_result cparse(int argc, char **argv, struct client_args *a,
                        char *err, size_t errsize)
{
    memset(a, 0x5a, sizeof *a);
    memset(err, 0, errsize);
    return client_args_parse(argc, argv, a, err, errsize);
}
