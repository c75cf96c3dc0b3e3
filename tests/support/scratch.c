/*
 * scratch.c - a directory of a test's own (scratch.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>

#include "scratch.h"

int scratch_make(const char *name, char *dir, size_t dircap, char *path,
                 size_t pathcap)
{
    snprintf(dir, dircap, "/tmp/%s.XXXXXX", name);
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, pathcap, "%s/s.sock", dir);
    return 0;
}

int scratch_remove(const char *dir)
{
    char cmd[300];

    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}
