/*
 * fixture.h - the programs an end-to-end test runs, and the fixture that
 * stops them after the test, whatever became of it.  A suite starts its
 * processes in these four (server_start(&srv, ...), proc_start(&cli,
 * ...)) and lists its tests as proc_test(name); a suite whose fixture
 * does more calls procs_setup() and procs_teardown() from its own.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include "proc.h"

/* A test's servers (srv, and srv2 when it needs two) and its clients or
 * other peers (cli, peer). */
extern struct proc srv, srv2, cli, peer;

/* Setup: all four cleared (proc_clear).  Teardown: whichever still runs
 * is stopped (proc_kill), the clients before the servers. */
int procs_setup(void **state);
int procs_teardown(void **state);

#define proc_test(f) \
    cmocka_unit_test_setup_teardown(f, procs_setup, procs_teardown)

#endif /* TEST_FIXTURE_H */
