/*
 * cmdline.h - what the suites of the command-line parsers share
 * (test_args, test_server_args, test_client_args): ARGC, a check on a
 * usage error's words, and each program's parser run on a poisoned
 * result, so that a field it forgets to set shows.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_CMDLINE_H
#define TEST_CMDLINE_H

#include <stddef.h>

#include "args.h"
#include "server_args.h"
#include "client_args.h"

/* argc for an argv array that ends with its NULL. */
#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

/* Does err mention `what`?  Say what it held if not. */
void assert_mentions(const char *err, const char *what);

/* server_args_parse() and client_args_parse() on a result filled with
 * 0x5a bytes first (every field must be set) and an emptied err. */
enum args_result sparse(int argc, char **argv, struct server_args *a,
                        char *err, size_t errsize);
enum args_result cparse(int argc, char **argv, struct client_args *a,
                        char *err, size_t errsize);

#endif /* TEST_CMDLINE_H */
