/*
 * own_ns.h - namespaces of the test's own (Linux): a user namespace in
 * which this user is root, and a network namespace with a loopback of its
 * own.  In the second a port is free by construction, nothing of the
 * machine's (other suites, other users) is on the wire, and reading that
 * wire with a packet socket needs no privilege on the machine: the
 * namespace's root, which is this user, has CAP_NET_RAW over it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_OWN_NS_H
#define TEST_OWN_NS_H

#include <stddef.h>

/*
 * Move this process into a new user namespace where it is root: uid and
 * gid maps "0 <euid> 1" and "0 <egid> 1", setgroups denied.  Over the
 * machine's network it has no capability at all, root or not.  The
 * process must be single-threaded.  Returns 0, or -1 with errno, and the
 * step that failed in why (may be NULL).
 */
int userns_enter(char *why, size_t size);

/* The same with a new network namespace too, owned by that user
 * namespace, its loopback up. */
int netns_enter(char *why, size_t size);

/* Could a child of this process do netns_enter() (userns 0) or
 * userns_enter() (userns 1)?  Tried in a child, which then exits: this
 * process stays where it is.  1, or 0 with the reason in why. */
int ns_possible(int userns, char *why, size_t size);

/* For proc_start_with(): userns_enter() in the child before its exec. */
int before_exec_userns(void);

#endif /* TEST_OWN_NS_H */
