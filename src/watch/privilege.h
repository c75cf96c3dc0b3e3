/*
 * privilege.h - giving root back once the packet socket is open, as
 * tcpdump's -Z does: reading the ring needs no privilege, only opening
 * the socket did.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PRIVILEGE_H
#define PRIVILEGE_H

#include "libsock.h"

/*
 * privilege_drop_to_sudo_user - when running as root by sudo (SUDO_UID
 * and SUDO_GID set), become the user who called sudo, for good: no
 * supplementary groups, group, then user.  Does nothing otherwise.
 * Returns 0, or -1 with errno set and the step in `why`.
 */
int privilege_drop_to_sudo_user(struct sock_err *why);

#endif /* PRIVILEGE_H */
