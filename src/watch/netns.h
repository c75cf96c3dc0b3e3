/*
 * netns.h - a network of one's own: a private network namespace, with
 * a loopback of its own, entered without privilege where the kernel
 * allows unprivileged user namespaces (user_namespaces(7)).  In it this
 * process may open a packet socket (CAP_NET_RAW over that namespace) and
 * whatever it runs shares that loopback; traffic outside it is not seen.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef NETNS_H
#define NETNS_H

#include "libsock.h"

/*
 * netns_enter_private - under sudo, become the user who ran it first
 * (privilege.h); then unshare a new user and network namespace, map
 * this process's user and group to root in it, and bring its loopback
 * up (127.0.0.1 and ::1, as a fresh namespace's lo has them once up).
 * Run by root under sudo, it first becomes the user who ran sudo, for
 * good.  Returns 0, or -1 with errno set and the step in `why`.
 */
int netns_enter_private(struct sock_err *why);

/* Its two steps, for whoever needs them apart (the tests' own
 * namespaces, tests/support/own_ns.c):
 *   netns_unshare  a new user namespace (and network namespace, with
 *                  with_net) where this user is root, as above
 *   netns_lo_up    bring the network namespace's loopback up
 * Each returns 0, or -1 with errno set and the step in `why`. */
int netns_unshare(int with_net, struct sock_err *why);
int netns_lo_up(struct sock_err *why);

#endif /* NETNS_H */
