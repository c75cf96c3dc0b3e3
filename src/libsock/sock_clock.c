/*
 * sock_clock.c - the monotonic millisecond clock (sock_clock_ms() in
 * libsock.h) every deadline uses, in libsock and in the programs.
 *
 * SPDX-License-Identifier: MIT
 */
#include <time.h>

#include "libsock.h"

long long sock_clock_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC is POSIX and cannot fail with these arguments, but
     * if a system lacks it, wall-clock seconds still move forward. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return (long long)time(NULL) * 1000;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
