/*
 * std_fds.c - keep descriptors 0, 1 and 2 taken (std_fds.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <fcntl.h>
#include <unistd.h>

#include "std_fds.h"

void fill_std_fds(void)
{
    int fd;

    /* open() returns the lowest free number: stop at the first above 2. */
    while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
        ;
    if (fd > 2)
        close(fd);
}
