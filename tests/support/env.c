/*
 * env.c - the clock and the test's surroundings (env.h).  Failures
 * inside are test failures (cmocka asserts).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "env.h"

long long ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

const char *test_model(void)
{
    const char *m = getenv("TCP_MODEL");

    return m != NULL ? m : "";
}

int one_at_a_time(void)
{
    return strcmp(test_model(), "iterative") == 0;
}

int sanitized(void)
{
    return getenv("TCP_SANITIZED") != NULL;
}

long stop_limit_ms(void)
{
    return sanitized() ? 1500 : 1000;
}

size_t read_file(const char *path, char *buf, size_t size, int remove)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL)
        fail_msg("%s: %s", path, strerror(errno));
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    if (remove)
        unlink(path);
    return n;
}

void need_tool(const char *cmd, char *full, size_t size)
{
    const char *ci = getenv("CI");
    char sh[128];
    FILE *f;

    snprintf(sh, sizeof sh, "command -v %s 2>/dev/null", cmd);
    f = popen(sh, "r");
    full[0] = '\0';
    if (f != NULL) {
        if (fgets(full, (int)size, f) == NULL)
            full[0] = '\0';
        pclose(f);
    }
    full[strcspn(full, "\n")] = '\0';
    if (full[0] == '/')
        return;
    if (ci != NULL && strcmp(ci, "true") == 0)
        fail_msg("CI=true and %s is not installed", cmd);
    print_message("%s not installed\n", cmd);
    skip();
}
