/*
 * env.h - the clock and the test's surroundings: the server design the
 * suite runs against (TCP_MODEL), a sanitizer build (TCP_SANITIZED), the
 * tools on PATH, and files the programs wrote.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_ENV_H
#define TEST_ENV_H

#include <stddef.h>

/* Milliseconds on a monotonic clock. */
long long ms_now(void);

void sleep_ms(long ms);

/* The server design the suite runs against: TCP_MODEL, or "" for the
 * default.  The iterative design serves one client at a time, so tests
 * that need clients at once skip under it: skip_if_one_at_a_time(). */
const char *test_model(void);
int one_at_a_time(void);
#define skip_if_one_at_a_time()                                              \
    do {                                                                     \
        if (one_at_a_time()) {                                               \
            print_message("the iterative design serves one at a time\n");   \
            skip();                                                          \
        }                                                                    \
    } while (0)

/* Memory and CPU figures mean nothing under a sanitizer's allocator
 * (make check sets TCP_SANITIZED). */
int sanitized(void);

/* How long a server may take to exit after SIGINT, SIGTERM or SIGHUP:
 * tcp-server(1) says within a second; a sanitizer's exit (the leak
 * check) is allowed half a second more. */
long stop_limit_ms(void);

/* The whole of a file (at most size - 1 bytes), NUL-terminated, in buf;
 * returns its length.  With remove set, the file is unlinked after. */
size_t read_file(const char *path, char *buf, size_t size, int remove);

/* Find the program `cmd` on PATH; its full path goes to full.  When it
 * is missing the test is skipped, or fails under CI=true (where every
 * peer must be installed). */
void need_tool(const char *cmd, char *full, size_t size);

#endif /* TEST_ENV_H */
