/*
 * fixture.c - the processes of an end-to-end test, cleared before it and
 * stopped after it (fixture.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "fixture.h"

struct proc srv, srv2, cli, peer;

int procs_setup(void **state)
{
    (void)state;
    proc_clear(&srv);
    proc_clear(&srv2);
    proc_clear(&cli);
    proc_clear(&peer);
    return 0;
}

int procs_teardown(void **state)
{
    (void)state;
    proc_kill(&cli);
    proc_kill(&peer);
    proc_kill(&srv2);
    proc_kill(&srv);
    return 0;
}
